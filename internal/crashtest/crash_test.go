// Package crashtest kills a running Dossier server with SIGKILL, again and
// again, while clients write records and upload evidence, and shows that
// every acknowledged write survives, nothing unacknowledged is half-stored,
// and verification passes on what is left.
package crashtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/cli"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/integrity"
)

// The test binary doubles as the server: re-run with serverEnv set, it
// serves instead of testing, so the process killed is a real Dossier.
const serverEnv = "DOSSIER_CRASHTEST_SERVE"

func TestMain(m *testing.M) {
	if args := os.Getenv(serverEnv); args != "" {
		os.Exit(cli.Main(strings.Split(args, "\x1f"), os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(dbtest.Main(m))
}

// acked is what the server acknowledged.
type acked struct {
	mu         sync.Mutex
	situations map[string]bool // names
	blobs      map[string]bool // SHA-256 of acknowledged uploads
	items      map[string]bool // evidence items they created
	refusal    string          // the first refusal, to explain a test that proves nothing
}

func (a *acked) add(set map[string]bool, key string) {
	a.mu.Lock()
	set[key] = true
	a.mu.Unlock()
}

func TestAcknowledgedWritesSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a server several times")
	}
	engines := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string {
			url := dbtest.PostgresDatabase(t)
			return url
		}},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			dataDir := t.TempDir()
			dbURL := e.url(t)
			token, incidentID := investigatorToken(t, dataDir, dbURL)
			got := &acked{situations: map[string]bool{}, blobs: map[string]bool{}, items: map[string]bool{}}
			rng := rand.New(rand.NewPCG(7, uint64(len(e.name))))
			const rounds = 6
			for round := range rounds {
				srv := startServer(t, dataDir, dbURL)
				ctx, stopWriters := context.WithCancel(context.Background())
				var wg sync.WaitGroup
				for w := range 4 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						write(ctx, srv.base, token, incidentID, fmt.Sprintf("r%d-w%d", round, w), w%2 == 1, got)
					}()
				}
				time.Sleep(time.Duration(150+rng.IntN(500)) * time.Millisecond)
				if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				srv.cmd.Wait()
				stopWriters()
				wg.Wait()
			}

			// Every acknowledged write is there, and everything verifies.
			a, err := app.Open(context.Background(), app.Config{DataDir: dataDir, DatabaseURL: dbURL})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			stored := map[string]bool{}
			list, err := a.Situations.List(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range list {
				stored[s.Name] = true
			}
			got.mu.Lock()
			defer got.mu.Unlock()
			if len(got.situations) == 0 || len(got.blobs) == 0 {
				t.Fatalf("the clients got no acknowledgement at all (%d records, %d uploads): the test proves nothing; first refusal: %s",
					len(got.situations), len(got.blobs), got.refusal)
			}
			for name := range got.situations {
				if !stored[name] {
					t.Errorf("acknowledged record %q is lost", name)
				}
			}
			for sha := range got.blobs {
				if _, err := a.Blobs.Stat(context.Background(), sha); err != nil {
					t.Errorf("acknowledged upload %s is lost: %v", sha, err)
				}
			}
			for id := range got.items {
				if _, err := a.Evidence.Get(context.Background(), id); err != nil {
					t.Errorf("acknowledged evidence item %s is lost: %v", id, err)
				}
			}
			report, err := integrity.Verify(context.Background(), a)
			if err != nil {
				t.Fatal(err)
			}
			if !report.OK() {
				t.Fatalf("verification after %d kills: %v", rounds, report.Problems)
			}
			incomplete, err := os.ReadDir(dataDir + "/blobs/tmp")
			if err == nil && len(incomplete) > 0 {
				t.Logf("%d staged uploads left by the kills (never visible under a hash)", len(incomplete))
			}
			t.Logf("%d acknowledged records and %d acknowledged uploads survived %d kills; %d records stored, %d log entries",
				len(got.situations), len(got.blobs), rounds, len(list), report.LogEntries)
		})
	}
}

// investigatorToken creates an administrator (the server serves nothing
// before one exists) and an investigator, and returns an API token of the
// investigator's.
func investigatorToken(t *testing.T, dataDir, dbURL string) (token, incidentID string) {
	t.Helper()
	input := ""
	run := func(args ...string) string {
		t.Helper()
		all := []string{"--data", dataDir}
		if dbURL != "" {
			all = append(all, "--db", dbURL)
		}
		var out, errs bytes.Buffer
		if code := cli.Main(append(all, args...), strings.NewReader(input), &out, &errs); code != 0 {
			t.Fatalf("dossier %v: exit %d\n%s", args, code, errs.String())
		}
		return out.String()
	}
	run("user", "add", "admin", "--role", "administrator")
	// A password of her own: one generated for her would have to be
	// changed before her token may do anything.
	input = "a long passphrase for the crash test\n"
	run("user", "add", "ines", "--role", "investigator", "--password-stdin")
	input = ""
	run("user", "join", "ines", "Crash test", "--new")
	var in struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(run("incident", "add", "--title", "Evidence target", "--case", "Crash test", "--json")), &in); err != nil || in.ID == "" {
		t.Fatalf("no incident: %v", err)
	}
	var created struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(run("token", "create", "--user", "ines", "--name", "crash test", "--json")), &created); err != nil || created.Token == "" {
		t.Fatalf("no token: %v", err)
	}
	return created.Token, in.ID
}

type server struct {
	cmd  *exec.Cmd
	base string
}

func startServer(t *testing.T, dataDir, dbURL string) server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	args := []string{"--data", dataDir, "serve", "--addr", addr}
	if dbURL != "" {
		args = append([]string{"--db", dbURL}, args...)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serverEnv+"="+strings.Join(args, "\x1f"))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return server{cmd: cmd, base: base}
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the server did not start:\n%s", logs.String())
		}
	}
}

// write keeps writing until ctx ends or the server dies: records, or
// evidence files through the upload API.
func write(ctx context.Context, base, token, incidentID, prefix string, uploads bool, got *acked) {
	client := &http.Client{Timeout: 5 * time.Second}
	for i := 0; ctx.Err() == nil; i++ {
		name := fmt.Sprintf("%s-%d", prefix, i)
		var req *http.Request
		var sha string
		if uploads {
			content := bytes.Repeat([]byte(name+"\n"), 2000+i%7*5000)
			sum := sha256.Sum256(content)
			sha = hex.EncodeToString(sum[:])
			req, _ = http.NewRequestWithContext(ctx, http.MethodPost,
				base+"/api/v1/evidence?incident="+incidentID+"&filename="+url.QueryEscape(name+".txt")+"&sha256="+sha, bytes.NewReader(content))
			req.Header.Set("Content-Type", "application/octet-stream")
		} else {
			body, _ := json.Marshal(map[string]string{"name": name, "conflict_class": "NIAC", "setting": "conflict"})
			req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/situations", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil {
			return // the server was killed
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var item struct{ ID string }
		if res.StatusCode != http.StatusCreated || json.Unmarshal(body, &item) != nil {
			got.mu.Lock()
			if got.refusal == "" {
				got.refusal = fmt.Sprintf("%s %s: %s", req.Method, req.URL.Path, body)
			}
			got.mu.Unlock()
			continue
		}
		if uploads {
			got.add(got.blobs, sha)
			got.add(got.items, item.ID)
		} else {
			got.add(got.situations, name)
		}
	}
}
