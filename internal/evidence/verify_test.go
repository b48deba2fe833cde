package evidence_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/integrity"
	"github.com/dossier-org/dossier/internal/record"
)

// TestVerified checks that evidence items and custody events stand up to
// the audit log as Dossier writes them, and that a change made behind its
// back is named.
func TestVerified(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			cfg := app.Config{DataDir: t.TempDir()}
			if engine == "postgres" {
				url, err := dbtest.PostgresURL()
				if err != nil {
					if dbtest.Required() {
						t.Fatal(err)
					}
					t.Skipf("SKIPPING PostgreSQL: %v", err)
				}
				cfg.DatabaseURL = url
			}
			ctx := record.WithActor(context.Background(), "test:investigator")
			a, err := app.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			// An instant in another zone with nanoseconds, and coordinates
			// with many digits: they must read back exactly as hashed.
			at := time.Date(2023, 10, 7, 6, 31, 12, 123456789, time.FixedZone("IDT", 3*3600))
			lat, lon := 31.123456789012, 34.987654321098
			it := &evidence.Item{Description: "first", Capture: evidence.Capture{At: &at, Latitude: &lat, Longitude: &lon}}
			if _, err := a.Evidence.Ingest(ctx, bytes.NewReader(pngOf(t, 40, 30)), "", it); err != nil {
				t.Fatal(err)
			}
			it.Description = "second"
			if err := a.Evidence.Update(ctx, it); err != nil {
				t.Fatal(err)
			}
			if err := a.Evidence.AddCustody(ctx, it.ID, &evidence.Event{Kind: evidence.Collected, By: "A", At: at}); err != nil {
				t.Fatal(err)
			}
			report, err := integrity.Verify(ctx, a)
			if err != nil || !report.OK() || report.Records != 1 || report.Revisions != 2 {
				t.Fatalf("verify: %+v %v", report, err)
			}
			entries, err := audit.EntriesFor(ctx, a.DB, it.ID)
			if err != nil {
				t.Fatal(err)
			}
			byIndex := map[uint64]audit.Entry{}
			for _, e := range entries {
				byIndex[e.Index] = e
			}
			n := 0
			err = evidence.EachEvent(ctx, a.DB, func(e evidence.Event) error {
				n++
				if h, _ := e.ContentHash(); byIndex[e.AuditIndex].ContentHash != h || byIndex[e.AuditIndex].Kind != evidence.AuditKind {
					t.Errorf("event %s does not match its log entry %+v", e.ID, byIndex[e.AuditIndex])
				}
				return nil
			})
			if err != nil || n != 2 {
				t.Errorf("EachEvent: %d events, %v", n, err)
			}

			if err := a.DB.Write(ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(ctx, `UPDATE evidence_items SET description = 'forged' WHERE id = $1`, it.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			report, err = integrity.Verify(ctx, a)
			if err != nil || report.OK() || !strings.Contains(report.Problems[0].What, it.ID) {
				t.Errorf("after tampering: %+v %v", report, err)
			}
		})
	}
}
