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
