package db_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

// upgradeTestVersion is a migration that does nothing, so that a test can
// mark it as not yet applied and open the store again, as an upgrade would.
const upgradeTestVersion = 900

func init() {
	db.RegisterMigration(upgradeTestVersion, func(context.Context, *sql.Tx, db.Dialect) error { return nil })
}

func TestOpenReportsAnUpgrade(t *testing.T) {
	engines := map[string]func(t *testing.T) (url, dir string){
		"sqlite":   func(t *testing.T) (string, string) { return "", t.TempDir() },
		"postgres": func(t *testing.T) (string, string) { return dbtest.PostgresDatabase(t), "" },
	}
	for name, store := range engines {
		t.Run(name, func(t *testing.T) {
			url, dir := store(t)
			var reports []db.Upgrade
			ctx := db.WithUpgradeReport(context.Background(), func(u db.Upgrade) { reports = append(reports, u) })
			open := func() {
				t.Helper()
				d, err := db.Open(ctx, url, dir)
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				if v, err := d.SchemaVersion(ctx); err != nil || v != upgradeTestVersion {
					t.Fatalf("schema version %d (%v), want %d", v, err, upgradeTestVersion)
				}
			}

			open()
			if len(reports) != 0 {
				t.Fatalf("a new store reported %+v; its first migrations are not an upgrade", reports)
			}
			open()
			if len(reports) != 0 {
				t.Fatalf("an up-to-date store reported %+v", reports)
			}

			// The store as it was before the newest migration.
			d, err := db.Open(context.Background(), url, dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Write(ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(ctx, `DELETE FROM goose_db_version WHERE version_id = $1`, upgradeTestVersion)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			previous, err := d.SchemaVersion(ctx)
			d.Close()
			if err != nil || previous == 0 || previous >= upgradeTestVersion {
				t.Fatalf("version before the upgrade %d (%v)", previous, err)
			}

			open()
			if len(reports) != 2 {
				t.Fatalf("got %d reports %+v, want one before and one after the upgrade", len(reports), reports)
			}
			before, after := reports[0], reports[1]
			if before.From != previous || before.To != upgradeTestVersion || before.Pending != 1 || before.Done || before.Took != 0 {
				t.Errorf("before the upgrade: %+v, want from %d to %d, one pending, not done", before, previous, upgradeTestVersion)
			}
			if after.From != previous || after.To != upgradeTestVersion || !after.Done || after.Took <= 0 {
				t.Errorf("after the upgrade: %+v, want done, with the time it took", after)
			}
		})
	}
}
