package cli_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dossier-org/dossier/internal/cli"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

func TestMain(m *testing.M) {
	// The test binary doubles as the dossier command the scripts run.
	testscript.Main(stopPostgres{m}, map[string]func(){
		"dossier": func() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// stopPostgres runs the tests, then stops the PostgreSQL cluster dbtest
// may have started.
type stopPostgres struct{ m *testing.M }

func (s stopPostgres) Run() int { return dbtest.Main(s.m) }

var update = os.Getenv("UPDATE_SCRIPTS") == "1"

// TestScripts runs every script in testdata/script against SQLite in a
// fresh data directory, and again against a fresh PostgreSQL database
// (DOSSIER_DB), so that the command line behaves the same on both engines.
// Conditions [sqlite] and [postgres] tell the engines apart where output
// must differ.
func TestScripts(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			if engine == "postgres" {
				if _, err := dbtest.PostgresURL(); err != nil {
					if dbtest.Required() {
						t.Fatalf("PostgreSQL is required here but unavailable: %v", err)
					}
					t.Skipf("SKIPPING PostgreSQL: %v", err)
				}
			}
			testscript.Run(t, testscript.Params{
				Dir:                 "testdata/script",
				RequireExplicitExec: true,
				RequireUniqueNames:  true,
				UpdateScripts:       update,
				Setup: func(env *testscript.Env) error {
					env.Setenv("DOSSIER_DATA", filepath.Join(env.WorkDir, "data"))
					env.Setenv("ENGINE", engine)
					if engine == "postgres" {
						url, err := dbtest.PostgresURL()
						if err != nil {
							return err
						}
						env.Setenv("DOSSIER_DB", url)
						env.Setenv("DB_URL", url)
					}
					return nil
				},
				Condition: func(cond string) (bool, error) {
					switch cond {
					case "sqlite", "postgres":
						return cond == engine, nil
					}
					return false, fmt.Errorf("unknown condition %q", cond)
				},
				Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
					"capture": capture,
					"exits":   exits,
					"replace": replace,
				},
			})
		})
	}
}

var recordID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// capture NAME [REGEXP] sets $NAME to the first record ID in the last
// command's standard output, or to the first group REGEXP matches there, so
// that scripts can refer to the records they add and the pages they list.
func capture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: capture NAME [REGEXP]")
	}
	re := recordID
	if len(args) == 2 {
		var err error
		re, err = regexp.Compile(args[1])
		ts.Check(err)
	}
	m := re.FindStringSubmatch(ts.ReadFile("stdout"))
	if m == nil {
		ts.Fatalf("capture %s: no match in standard output", args[0])
	}
	ts.Setenv(args[0], m[len(m)-1])
}

// exits CODE COMMAND [ARGS...] runs a command like exec and checks its exit
// code: the command line's exit codes are part of its contract.
func exits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("run %s: %v", args[1], err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with code %d, want %d", args[1], got, want)
	}
}

// replace FILE OLD NEW edits a file as a person would, failing if OLD is
// not in it.
func replace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	text := ts.ReadFile(args[0])
	if !strings.Contains(text, args[1]) {
		ts.Fatalf("replace: %s does not contain %q", args[0], args[1])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(strings.Replace(text, args[1], args[2], 1)), 0o600))
}
