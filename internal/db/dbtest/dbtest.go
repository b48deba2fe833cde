// Package dbtest runs storage tests against every engine Dossier supports:
// SQLite in a temporary directory, and PostgreSQL — either the server named
// by DOSSIER_TEST_POSTGRES_URL or a throw-away cluster this package starts
// from the installed binaries on a Unix socket. In CI (CI=true) a missing
// PostgreSQL fails the tests instead of skipping them.
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/db"
)

// Main runs a package's tests and then stops the PostgreSQL cluster, if one
// was started. Use it from TestMain: os.Exit(dbtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	cluster.stop()
	return code
}

// Required reports whether tests must not skip PostgreSQL.
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("DOSSIER_REQUIRE_POSTGRES") == "1"
}

// ForEachEngine runs fn as a subtest against a fresh, migrated database on
// each engine.
func ForEachEngine(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite opens a fresh database in a temporary data directory.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatalf("open SQLite: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Postgres opens a fresh, empty database on the test PostgreSQL server, or
// skips the test — loudly, and never in CI — when none can be had.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), PostgresDatabase(t), "")
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

var counter atomic.Int64

// PostgresDatabase returns the URL of a fresh, empty PostgreSQL database
// (not migrated), for tests that need the URL itself — pg_dump, a server
// process, a second database — or skips the test, loudly, and never when
// PostgreSQL is required.
func PostgresDatabase(t testing.TB) string {
	t.Helper()
	url, err := PostgresURL()
	if err != nil {
		if Required() {
			t.Fatalf("PostgreSQL is required here (CI=true or DOSSIER_REQUIRE_POSTGRES=1) but unavailable: %v", err)
		}
		t.Skipf("SKIPPING PostgreSQL: %v (install postgresql or set DOSSIER_TEST_POSTGRES_URL)", err)
	}
	return url
}

// PostgresURL creates a new empty database and returns its URL.
func PostgresURL() (string, error) {
	base := os.Getenv("DOSSIER_TEST_POSTGRES_URL")
	if base == "" {
		var err error
		if base, err = cluster.start(); err != nil {
			return "", err
		}
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	name := fmt.Sprintf("dossier_test_%d_%d", os.Getpid(), counter.Add(1))
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		return "", fmt.Errorf("create test database: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// cluster is a throw-away PostgreSQL server shared by one test process.
var cluster pgCluster

type pgCluster struct {
	once sync.Once
	url  string
	err  error
	dir  string
	ctl  string
	as   []string // runuser prefix when running as root
}

func (c *pgCluster) start() (string, error) {
	c.once.Do(func() { c.url, c.err = c.boot() })
	return c.url, c.err
}

func binDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(matches) == 0 {
		return "", fmt.Errorf("no PostgreSQL server binaries (pg_ctl) found")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

func (c *pgCluster) boot() (string, error) {
	bin, err := binDir()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "dossier-pg-")
	if err != nil {
		return "", err
	}
	c.dir = dir
	c.ctl = filepath.Join(bin, "pg_ctl")
	owner := ""
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: run the cluster as the postgres user.
		pg, err := user.Lookup("postgres")
		if err != nil {
			return "", fmt.Errorf("running as root and no postgres user to run the cluster as: %w", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return "", err
		}
		c.as = []string{"runuser", "-u", "postgres", "--"}
		owner = "postgres"
	} else {
		u, err := user.Current()
		if err != nil {
			return "", err
		}
		owner = u.Username
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run(filepath.Join(bin, "initdb"), "-D", data, "-U", owner, "-A", "trust", "-E", "UTF8",
		"--locale=C.UTF-8", "--no-sync"); err != nil {
		return "", fmt.Errorf("initdb: %v: %s", err, out)
	}
	opts := fmt.Sprintf("-c listen_addresses='' -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", dir)
	if out, err := c.run(c.ctl, "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "30", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		return "", fmt.Errorf("start PostgreSQL: %v: %s %s", err, out, log)
	}
	u := url.URL{Scheme: "postgres", User: url.User(owner), Path: "/postgres", RawQuery: "host=" + url.QueryEscape(dir)}
	// The server is up when pg_ctl returns, but give the socket a moment on a busy machine.
	for i := 0; i < 50; i++ {
		if conn, err := sql.Open("pgx", u.String()); err == nil {
			err = conn.Ping()
			conn.Close()
			if err == nil {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return u.String(), nil
}

func (c *pgCluster) run(name string, args ...string) (string, error) {
	argv := append(append([]string{}, c.as...), name)
	argv = append(argv, args...)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (c *pgCluster) stop() {
	if c.dir == "" {
		return
	}
	c.run(c.ctl, "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "stop")
	os.RemoveAll(c.dir)
}
