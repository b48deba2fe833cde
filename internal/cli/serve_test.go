//go:build unix

package cli_test

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/cli"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

// TestServe runs "dossier serve" as a person would: it loads the demo
// record set into an empty data directory, answers HTTP on the address it
// prints, and stops cleanly on an interrupt. A second start leaves the
// record alone.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	out := serve(t, "serve", "--addr", "127.0.0.1:0", "--demo", "--data", dir)
	if !regexp.MustCompile(`Loaded the demo record set: \d+ situations, \d+ parties, \d+ sources, [1-9]\d* incidents with [1-9]\d* acts`).MatchString(out) {
		t.Errorf("first start did not report loading the demo set:\n%s", out)
	}
	out = serve(t, "serve", "--addr", "127.0.0.1:0", "--demo", "--data", dir)
	if !strings.Contains(out, "The demo record set was not loaded: this Dossier already holds records") {
		t.Errorf("second start did not say the demo set was left out:\n%s", out)
	}

	var stdout, stderr bytes.Buffer
	if code := cli.Main([]string{"serve", "--addr", "8080", "--data", dir}, nil, &stdout, &stderr); code != cli.ExitUsage {
		t.Errorf("serve --addr 8080: exit code %d, want %d; stderr:\n%s", code, cli.ExitUsage, stderr.String())
	}
	if !strings.Contains(stderr.String(), `--addr "8080": give HOST:PORT`) {
		t.Errorf("serve --addr 8080: stderr does not name the flag:\n%s", stderr.String())
	}
}

// TestServeWarmsTheStore: serve reads a SQLite store through at start,
// logging how much it read, unless told not to.
func TestServeWarmsTheStore(t *testing.T) {
	dir := t.TempDir()
	_, logged := serveLogging(t, "read the store into memory", "serve", "--addr", "127.0.0.1:0", "--demo", "--data", dir)
	m := regexp.MustCompile(`msg="read the store into memory ahead of requests" size="([0-9.]+) (KiB|MiB)" seconds=\d+\.\d`).FindStringSubmatch(logged)
	if m == nil {
		t.Fatalf("serve did not log what it read:\n%s", logged)
	}
	info, err := os.Stat(filepath.Join(dir, "dossier.db"))
	if err != nil {
		t.Fatal(err)
	}
	// The main file, at least: the log may have grown since.
	if read, _ := strconv.ParseFloat(m[1], 64); m[2] == "KiB" && read*1024 < float64(info.Size())*0.95 {
		t.Errorf("serve read %s %s of a %d-byte store", m[1], m[2], info.Size())
	}
	if _, logged := serveLogging(t, "", "serve", "--addr", "127.0.0.1:0", "--data", dir, "--warm=false"); strings.Contains(logged, "into memory") {
		t.Errorf("serve --warm=false read the store:\n%s", logged)
	}
	// On PostgreSQL nothing is read; the tests' cluster runs without
	// pg_prewarm, which serve says how to turn on.
	url := dbtest.PostgresDatabase(t)
	_, logged = serveLogging(t, "does not keep its cache", "serve", "--addr", "127.0.0.1:0", "--db", url, "--data", t.TempDir())
	if !strings.Contains(logged, `shared_preload_libraries = 'pg_prewarm' in postgresql.conf`) || strings.Contains(logged, "into memory") {
		t.Errorf("serve on PostgreSQL did not log the hint, or read a store:\n%s", logged)
	}
}

var runningAt = regexp.MustCompile(`Dossier is running: open (http://\S+/) `)

// serve runs the command until it prints its address, checks that the
// server answers there, interrupts it, and returns what it printed.
func serve(t *testing.T, args ...string) string {
	t.Helper()
	stdout, _ := serveLogging(t, "", args...)
	return stdout
}

// serveLogging is serve, which also waits, before the interrupt, until the
// server has logged a line containing logLine (unless it is empty), and
// returns the log too.
func serveLogging(t *testing.T, logLine string, args ...string) (stdout, log string) {
	t.Helper()
	r, w := io.Pipe()
	var stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		code := cli.Main(args, nil, w, &stderr)
		w.Close()
		done <- code
	}()
	var printed strings.Builder
	lines := bufio.NewScanner(r)
	url := ""
	for url == "" && lines.Scan() {
		printed.WriteString(lines.Text() + "\n")
		if m := runningAt.FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatalf("dossier %s printed no address (exit code %d):\n%s\nstderr:\n%s", strings.Join(args, " "), <-done, printed.String(), stderr.String())
	}
	var rest bytes.Buffer
	copied := make(chan struct{})
	go func() { io.Copy(&rest, r); close(copied) }()

	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url + "healthz")
	if err != nil {
		t.Fatalf("GET %shealthz: %v", url, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status":"ok"`) {
		t.Errorf("GET %shealthz: %d %s", url, resp.StatusCode, body)
	}
	for waited := time.Duration(0); logLine != "" && !strings.Contains(stderr.String(), logLine); waited += 10 * time.Millisecond {
		if waited > 30*time.Second {
			t.Fatalf("dossier %s did not log %q:\n%s", strings.Join(args, " "), logLine, stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The signal a person sends with Ctrl-C; the command catches it.
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != cli.ExitOK {
			t.Errorf("dossier serve stopped with exit code %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dossier serve did not stop after an interrupt")
	}
	<-copied // the command closed its output when it returned
	printed.WriteString(rest.String())
	if !strings.Contains(printed.String(), "Dossier has stopped.") {
		t.Errorf("dossier serve did not say it stopped:\n%s", printed.String())
	}
	return printed.String(), stderr.String()
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
