package incident_test

import (
	"fmt"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
)

// A bulk load counts list-key numbers in memory: incidents filed after it,
// on the same day, must not draw one it gave.
func TestBulkLoadKeepsTheSequence(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		const day = "2023-10-07"
		err := d.Write(f.ctx, func(tx *db.Tx) error {
			ctx, err := incident.BeginBulkLoad(f.ctx, tx)
			if err != nil {
				return err
			}
			for i := range 3 {
				if err := incident.Insert(ctx, tx, f.incident(fmt.Sprintf("loaded %d", i), f.israel.ID, day)); err != nil {
					return err
				}
			}
			return incident.FinishBulkLoad(ctx, tx)
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := f.store.Create(f.ctx, f.incident(fmt.Sprintf("filed %d", i), f.israel.ID, day)); err != nil {
				t.Fatalf("file an incident after a bulk load: %v", err)
			}
		}
		page, err := f.store.List(f.ctx, incident.Filter{Text: "loaded"})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Incidents) != 3 {
			t.Errorf("the search finds %d of the 3 loaded incidents", len(page.Incidents))
		}
	})
}
