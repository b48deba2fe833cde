package seal

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

// forEachEngineRaw is dbtest.ForEachEngine for tests that look at what an
// attacker holding the database would see: raw gives every byte of the SQLite
// files (database, write-ahead log, shared memory), or a pg_dump of the
// PostgreSQL database.
func forEachEngineRaw(t *testing.T, fn func(t *testing.T, d *db.DB, raw func() []byte)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		d := dbtest.SQLite(t)
		fn(t, d, func() []byte {
			var all []byte
			for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
				b, err := os.ReadFile(d.Path() + suffix)
				if err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				all = append(all, b...)
			}
			if len(all) == 0 {
				t.Fatal("the SQLite files are empty")
			}
			return all
		})
	})
	t.Run("postgres", func(t *testing.T) {
		url := dbtest.PostgresDatabase(t)
		pgDump := findPgDump(t)
		d, err := db.Open(context.Background(), url, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		fn(t, d, func() []byte {
			out, err := exec.Command(pgDump, "--no-owner", "--dbname", url).Output()
			if err != nil {
				t.Fatalf("pg_dump: %v", err)
			}
			if !bytes.Contains(out, []byte("data_keys")) {
				t.Fatal("the dump does not hold the data_keys table")
			}
			return out
		})
	})
}

func findPgDump(t *testing.T) string {
	if p, err := exec.LookPath("pg_dump"); err == nil {
		return p
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
	if len(matches) == 0 {
		if dbtest.Required() {
			t.Fatal("pg_dump not found")
		}
		t.Skip("SKIPPING: pg_dump not found")
	}
	return matches[len(matches)-1]
}
