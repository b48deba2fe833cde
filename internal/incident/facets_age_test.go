package incident_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
)

// TestPartyFacetsAgeMigration: a store from before migration 22 gets the
// index of a party's acts by age group when opened again, and lists by a
// party and an age group walk it.
func TestPartyFacetsAgeMigration(t *testing.T) {
	forEachReopenableStore(t, func(t *testing.T, d *db.DB, url, dir string) {
		f := setup(t, d)
		for i := range 6 {
			age := []incident.AgeGroup{incident.Child, incident.Adult}[i%2]
			in := f.incident(fmt.Sprintf("Checkpoint %d", i), f.sudan.ID, "2023-06-15", act(incident.Rape, age, f.rsf.ID),
				act(incident.SexualSlavery, incident.Child, f.nukhba.ID))
			if err := f.store.Create(f.ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		d = reopenBefore(t, d, url, dir, 22, "DROP INDEX party_facets_age")
		if !indexExists(t, d, "party_facets_age") {
			t.Fatal("migration 22 did not build party_facets_age")
		}
		f.store = incident.NewStore(d)
		defer incident.ForceLeadingFilter("party+age")()
		for _, c := range []struct {
			filter incident.Filter
			want   int
		}{
			{incident.Filter{PartyID: f.rsf.ID, AgeGroup: incident.Child}, 3},
			{incident.Filter{PartyID: f.hamas.ID, AgeGroup: incident.Child}, 6}, // through its unit
			{incident.Filter{PartyID: f.hamas.ID, AgeGroup: incident.Adult}, 0},
			{incident.Filter{Text: "checkpoint", PartyID: f.rsf.ID, AgeGroup: incident.Adult}, 3},
		} {
			if got := f.total(t, c.filter); got != c.want {
				t.Errorf("%+v: %d incidents, want %d", c.filter, got, c.want)
			}
		}
	})
}

func indexExists(t *testing.T, d *db.DB, name string) bool {
	t.Helper()
	query := `SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = $1)`
	if d.Dialect == db.Postgres {
		query = `SELECT to_regclass($1) IS NOT NULL`
	}
	var exists bool
	if err := d.QueryRow(context.Background(), query, name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	return exists
}
