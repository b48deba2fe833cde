package db_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

func indexes(t *testing.T, d *db.DB) string {
	t.Helper()
	rows, err := d.Query(context.Background(), `SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'incidents' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	return strings.Join(names, ",")
}

func TestWithoutIndexesRebuildsThem(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	before := indexes(t, d)
	var inside int
	err := d.Write(ctx, func(tx *db.Tx) error {
		return tx.WithoutIndexes(ctx, []string{"incidents"}, func() error {
			return tx.QueryRow(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND name = 'incidents_date'`).Scan(&inside)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if inside != 0 {
		t.Error("the date index was still there inside")
	}
	if after := indexes(t, d); after != before || !strings.Contains(after, "incidents_date") {
		t.Errorf("indexes after: %s, before: %s", after, before)
	}

	// A failed load rolls back with the transaction: the indexes are still there.
	err = d.Write(ctx, func(tx *db.Tx) error {
		return tx.WithoutIndexes(ctx, []string{"incidents"}, func() error { return errors.New("refused") })
	})
	if err == nil || indexes(t, d) != before {
		t.Errorf("after a failed load: %v, indexes %s", err, indexes(t, d))
	}
}

func TestOpenKeepsOddCharactersInThePath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "case #7?draft 100%")
	d, err := db.Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := os.Stat(filepath.Join(dir, db.SQLiteFile)); err != nil {
		t.Errorf("the database is not where it was asked to be: %v", err)
	}
}

func TestWriteAloneLeavesTheWAL(t *testing.T) {
	ctx := context.Background()
	d := dbtest.SQLite(t)
	modeInside := func() string {
		var mode string
		err := d.WriteAlone(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS written_alone (n INTEGER)`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO written_alone (n) VALUES (1)`); err != nil {
				return err
			}
			return tx.QueryRow(ctx, `PRAGMA journal_mode`).Scan(&mode)
		})
		if err != nil {
			t.Fatal(err)
		}
		return mode
	}
	// A reader of this process's own, idle, does not keep it in WAL mode.
	var n int
	if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM sqlite_schema`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if got := modeInside(); got != "delete" {
		t.Errorf("journal mode inside WriteAlone: %q, want delete", got)
	}
	var after string
	if err := d.QueryRow(ctx, `PRAGMA journal_mode`).Scan(&after); err != nil || after != "wal" {
		t.Errorf("journal mode afterwards: %q (%v), want wal", after, err)
	}

	// Another process's connection keeps the WAL; the write still happens.
	other, err := db.Open(ctx, "", filepath.Dir(d.Path()))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.QueryRow(ctx, `SELECT COUNT(*) FROM written_alone`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if got := modeInside(); got != "wal" {
		t.Errorf("journal mode inside WriteAlone with another connection open: %q, want wal", got)
	}
	if err := other.QueryRow(ctx, `SELECT COUNT(*) FROM written_alone`).Scan(&n); err != nil || n != 2 {
		t.Errorf("the other connection reads %d rows (%v), want 2", n, err)
	}
}

// Reads on PostgreSQL are planned for their values every time, unless the
// URL says otherwise; writes are left to PostgreSQL (see openPostgres).
func TestPostgresPlansReadsForTheirValues(t *testing.T) {
	url := dbtest.PostgresDatabase(t)
	ctx := context.Background()
	modes := func(url string) (read, write string) {
		t.Helper()
		d, err := db.Open(ctx, url, "")
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		const mode = `SELECT current_setting('plan_cache_mode')`
		if err := d.QueryRow(ctx, mode).Scan(&read); err != nil {
			t.Fatal(err)
		}
		if err := d.Write(ctx, func(tx *db.Tx) error { return tx.QueryRow(ctx, mode).Scan(&write) }); err != nil {
			t.Fatal(err)
		}
		return read, write
	}
	if read, write := modes(url); read != "force_custom_plan" || write != "auto" {
		t.Errorf("plan_cache_mode: reads %q, writes %q; want force_custom_plan, auto", read, write)
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	if read, _ := modes(url + sep + "plan_cache_mode=force_generic_plan"); read != "force_generic_plan" {
		t.Errorf("with plan_cache_mode=force_generic_plan in the URL, reads: %q", read)
	}
}

// A new store is in WAL mode, with foreign keys on and full syncs.
func TestSQLiteSettings(t *testing.T) {
	d := dbtest.SQLite(t)
	for name, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "2"} {
		var got string
		if err := d.QueryRow(context.Background(), `PRAGMA `+name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s on a new store, want %s", name, got, want)
		}
	}
}

func TestColumn(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		words, err := db.Column[string](d.Query(ctx, `SELECT w FROM (SELECT 'b' AS w UNION ALL SELECT 'a') x ORDER BY w`))
		if err != nil || strings.Join(words, ",") != "a,b" {
			t.Errorf("Column = %q, %v", words, err)
		}
		numbers, err := db.Column[int64](d.Query(ctx, `SELECT 7`))
		if err != nil || len(numbers) != 1 || numbers[0] != 7 {
			t.Errorf("Column = %v, %v", numbers, err)
		}
		if _, err := db.Column[string](d.Query(ctx, `SELECT FROM nowhere`)); err == nil {
			t.Error("Column of a failed query gave no error")
		}
		if _, err := db.Column[int64](d.Query(ctx, `SELECT 'seven'`)); err == nil {
			t.Error("Column scanned text into a number")
		}
	})
}
