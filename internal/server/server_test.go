package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/server"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func TestServer(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		var logs bytes.Buffer
		h, err := server.New(app.New(d), server.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		defer srv.Close()

		t.Run("health names the engine and schema", func(t *testing.T) {
			res, body := get(t, srv.URL+"/healthz")
			var health map[string]any
			if err := json.Unmarshal(body, &health); err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != 200 || health["status"] != "ok" || health["database"] != string(d.Dialect) || health["schema_version"] == nil {
				t.Errorf("healthz %d: %s", res.StatusCode, body)
			}
		})

		t.Run("every response carries the security headers", func(t *testing.T) {
			for _, path := range []string{"/incidents", "/api/v1/incidents", "/healthz", "/nowhere"} {
				res, _ := get(t, srv.URL+path)
				csp := res.Header.Get("Content-Security-Policy")
				if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
					strings.Contains(csp, "unsafe-inline") {
					t.Errorf("%s: CSP %q", path, csp)
				}
				if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") != "no-referrer" {
					t.Errorf("%s: headers %v", path, res.Header)
				}
			}
		})

		t.Run("the API and the web UI are both mounted", func(t *testing.T) {
			res, body := get(t, srv.URL+"/api/v1/incidents")
			if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "json") || !bytes.Contains(body, []byte(`"incidents"`)) {
				t.Errorf("API: %d %s", res.StatusCode, body)
			}
			res, body = get(t, srv.URL+"/incidents")
			if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "text/html") {
				t.Errorf("web: %d %.200s", res.StatusCode, body)
			}
		})

		t.Run("metrics count requests by route pattern, not raw path", func(t *testing.T) {
			get(t, srv.URL+"/api/v1/incidents/0190d5a0-0000-7000-8000-000000000000")
			_, body := get(t, srv.URL+"/metrics")
			text := string(body)
			if !strings.Contains(text, "dossier_http_requests_total") || !strings.Contains(text, "go_goroutines") ||
				!strings.Contains(text, "go_sql_open_connections") {
				t.Fatalf("metrics lack the expected families:\n%.2000s", text)
			}
			if strings.Contains(text, "0190d5a0-0000-7000-8000-000000000000") {
				t.Error("a record ID leaked into a metric label")
			}
		})

		t.Run("oversized bodies are refused", func(t *testing.T) {
			big := `{"title": "` + strings.Repeat("x", 11<<20) + `"}`
			res, err := http.Post(srv.URL+"/api/v1/incidents", "application/json", strings.NewReader(big))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusRequestEntityTooLarge || res.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("API: status %d (%s), want 413 problem", res.StatusCode, res.Header.Get("Content-Type"))
			}
			res, err = http.Post(srv.URL+"/incidents/new", "application/x-www-form-urlencoded", strings.NewReader("title="+strings.Repeat("x", 11<<20)))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("web: status %d, want 413", res.StatusCode)
			}
		})

		t.Run("the access log never holds query strings", func(t *testing.T) {
			get(t, srv.URL+"/api/v1/incidents?q=SecretNameOfAWitness")
			if strings.Contains(logs.String(), "SecretNameOfAWitness") {
				t.Error("a search term reached the log")
			}
			if !strings.Contains(logs.String(), "path=/api/v1/incidents") {
				t.Errorf("no access log line: %s", logs.String())
			}
		})
	})
}

func TestRunShutsDownWhenCancelled(t *testing.T) {
	a := app.New(dbtest.SQLite(t))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, a, server.Options{Addr: "127.0.0.1:0", Ready: func(addr string) { ready <- addr },
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}
	if res, _ := get(t, "http://"+addr+"/healthz"); res.StatusCode != 200 {
		t.Fatalf("healthz: %d", res.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not shut down")
	}
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}
