package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/server"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// site is a server over a test database, with accounts made through the
// App's account store as the command line makes them.
type site struct {
	t    *testing.T
	a    *app.App
	h    *server.Handler
	srv  *httptest.Server
	logs *lockedBuffer
	ctx  context.Context
}

func newSite(t *testing.T, d *db.DB, opts server.Options) *site {
	t.Helper()
	s := &site{t: t, a: app.New(d), logs: &lockedBuffer{}, ctx: record.WithActor(context.Background(), "cli:test")}
	opts.Logger = slog.New(slog.NewTextHandler(s.logs, nil))
	// Over plain http from the test's client, as on a developer's computer.
	opts.InsecureCookies = true
	var err error
	if s.h, err = server.New(s.a, opts); err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(s.h)
	t.Cleanup(s.srv.Close)
	return s
}

// user adds a user with a known password and makes them a member of cases.
func (s *site) user(name string, role account.Role, cases ...*account.Case) (*account.User, string) {
	s.t.Helper()
	password := "correct horse battery " + name
	u, err := s.a.Accounts.AddUser(s.ctx, account.NewUser{Name: name, Role: role, Password: password})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, c := range cases {
		if err := s.a.Accounts.AddToCase(s.ctx, u.ID, c.ID); err != nil {
			s.t.Fatal(err)
		}
	}
	return u, password
}

func (s *site) token(u *account.User) string {
	s.t.Helper()
	text, _, err := s.a.Accounts.CreateToken(s.ctx, u.ID, u.Role, "test", time.Hour)
	if err != nil {
		s.t.Fatal(err)
	}
	return text
}

func (s *site) newCase(name string) *account.Case {
	s.t.Helper()
	c, err := s.a.Accounts.CreateCase(s.ctx, name, "")
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// browser is an HTTP client keeping cookies and not following redirects.
func (s *site) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// login logs a browser in with a password; it fails the test unless the
// server answers with a redirect.
func (s *site) login(c *http.Client, name, password string) *http.Response {
	s.t.Helper()
	res := s.postForm(c, "/login", url.Values{"name": {name}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("login as %s: %d", name, res.StatusCode)
	}
	return res
}

func (s *site) postForm(c *http.Client, path string, form url.Values) *http.Response {
	s.t.Helper()
	res, err := c.PostForm(s.srv.URL+path, form)
	if err != nil {
		s.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with the headers given as name, value pairs.
func (s *site) do(c *http.Client, method, path string, body io.Reader, headers ...string) reply {
	s.t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if c == nil {
		c = s.browser()
	}
	res, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, b}
}

func TestServer(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d, server.Options{MetricsToken: "metrics-secret"})
		s.user("admin", account.Administrator)
		darfur := s.newCase("Darfur 2023")
		investigator, _ := s.user("ines", account.Investigator, darfur)
		bearer := "Bearer " + s.token(investigator)

		t.Run("health names the engine and schema", func(t *testing.T) {
			r := s.do(nil, "GET", "/healthz", nil)
			var health map[string]any
			if err := json.Unmarshal(r.body, &health); err != nil {
				t.Fatal(err)
			}
			if r.status != 200 || health["status"] != "ok" || health["database"] != string(d.Dialect) || health["schema_version"] == nil {
				t.Errorf("healthz %d: %s", r.status, r.body)
			}
		})

		t.Run("every response carries the security headers", func(t *testing.T) {
			for _, path := range []string{"/incidents", "/login", "/api/v1/incidents", "/healthz", "/nowhere"} {
				r := s.do(nil, "GET", path, nil)
				csp := r.header.Get("Content-Security-Policy")
				if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
					strings.Contains(csp, "unsafe-inline") {
					t.Errorf("%s: CSP %q", path, csp)
				}
				if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") != "no-referrer" ||
					r.header.Get("X-Frame-Options") != "DENY" {
					t.Errorf("%s: headers %v", path, r.header)
				}
				if r.header.Get("Strict-Transport-Security") != "" {
					t.Errorf("%s: HSTS over plain http", path)
				}
			}
		})

		t.Run("the API and the web UI are both mounted, behind a login", func(t *testing.T) {
			r := s.do(nil, "GET", "/api/v1/incidents", nil, "Authorization", bearer)
			if r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "json") || !bytes.Contains(r.body, []byte(`"incidents"`)) {
				t.Errorf("API: %d %s", r.status, r.body)
			}
			r = s.do(nil, "GET", "/api/v1/incidents", nil)
			if r.status != http.StatusUnauthorized || !bytes.Contains(r.body, []byte("urn:dossier:problem:unauthenticated")) ||
				!strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("API without a token: %d %s", r.status, r.body)
			}
			r = s.do(nil, "GET", "/incidents?q=x", nil)
			if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?next="+url.QueryEscape("/incidents?q=x") {
				t.Errorf("web without a session: %d %s", r.status, r.header.Get("Location"))
			}
			r = s.do(nil, "GET", "/login", nil)
			if r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "text/html") || !bytes.Contains(r.body, []byte(`name="password"`)) {
				t.Errorf("login page: %d %.300s", r.status, r.body)
			}
		})

		t.Run("metrics need their token and count requests by route pattern", func(t *testing.T) {
			s.do(nil, "GET", "/api/v1/incidents/0190d5a0-0000-7000-8000-000000000000", nil, "Authorization", bearer)
			if r := s.do(nil, "GET", "/metrics", nil); r.status != http.StatusUnauthorized {
				t.Errorf("metrics without the token: %d", r.status)
			}
			if r := s.do(nil, "GET", "/metrics", nil, "Authorization", bearer); r.status != http.StatusUnauthorized {
				t.Errorf("metrics with a user's token: %d", r.status)
			}
			r := s.do(nil, "GET", "/metrics", nil, "Authorization", "Bearer metrics-secret")
			text := string(r.body)
			if !strings.Contains(text, "dossier_http_requests_total") || !strings.Contains(text, "go_goroutines") ||
				!strings.Contains(text, "go_sql_open_connections") {
				t.Fatalf("metrics lack the expected families:\n%.2000s", text)
			}
			if !strings.Contains(text, `route="GET /api/v1/incidents/{id}"`) {
				t.Errorf("no metric for the API route pattern:\n%.3000s", text)
			}
			if strings.Contains(text, "0190d5a0-0000-7000-8000-000000000000") {
				t.Error("a record ID leaked into a metric label")
			}
		})

		t.Run("oversized bodies are refused", func(t *testing.T) {
			big := `{"title": "` + strings.Repeat("x", 11<<20) + `"}`
			r := s.do(nil, "POST", "/api/v1/incidents", strings.NewReader(big), "Authorization", bearer, "Content-Type", "application/json")
			if r.status != http.StatusRequestEntityTooLarge || r.header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("API: status %d (%s), want 413 problem", r.status, r.header.Get("Content-Type"))
			}
			r = s.do(nil, "POST", "/incidents/new", strings.NewReader("title="+strings.Repeat("x", 11<<20)),
				"Content-Type", "application/x-www-form-urlencoded")
			if r.status != http.StatusRequestEntityTooLarge {
				t.Errorf("web: status %d, want 413", r.status)
			}
		})

		t.Run("the access log never holds query strings", func(t *testing.T) {
			s.do(nil, "GET", "/api/v1/incidents?q=SecretNameOfAWitness", nil, "Authorization", bearer)
			if strings.Contains(s.logs.String(), "SecretNameOfAWitness") {
				t.Error("a search term reached the log")
			}
			if !strings.Contains(s.logs.String(), "path=/api/v1/incidents") {
				t.Errorf("no access log line: %s", s.logs.String())
			}
		})
	})
}

// Until an administrator exists, the server serves no data and says how to
// make one; the health check and the static files stay up.
func TestFirstRun(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t), server.Options{})
	r := s.do(nil, "GET", "/api/v1/incidents", nil)
	if r.status != http.StatusServiceUnavailable || !bytes.Contains(r.body, []byte("urn:dossier:problem:setup-required")) ||
		!bytes.Contains(r.body, []byte("dossier user add NAME --role administrator")) {
		t.Errorf("API before setup: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/", "/login", "/incidents"} {
		r = s.do(nil, "GET", path, nil)
		if r.status != http.StatusServiceUnavailable || !bytes.Contains(r.body, []byte("dossier user add NAME --role administrator")) {
			t.Errorf("%s before setup: %d %.300s", path, r.status, r.body)
		}
	}
	if r = s.do(nil, "GET", "/healthz", nil); r.status != 200 {
		t.Errorf("healthz before setup: %d", r.status)
	}
	if r = s.do(nil, "GET", "/static/account.css", nil); r.status != 200 {
		t.Errorf("static files before setup: %d", r.status)
	}
	// A user who is not an administrator does not end the setup.
	s.user("ines", account.Investigator)
	if r = s.do(nil, "GET", "/login", nil); r.status != http.StatusServiceUnavailable {
		t.Errorf("with only an investigator: %d", r.status)
	}
	s.user("admin", account.Administrator)
	if r = s.do(nil, "GET", "/login", nil); r.status != http.StatusOK {
		t.Errorf("after setup: %d", r.status)
	}
	if r = s.do(nil, "GET", "/api/v1/incidents", nil); r.status != http.StatusUnauthorized {
		t.Errorf("API after setup: %d", r.status)
	}
}

// lockedBuffer is a buffer the server's log and the test may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
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
