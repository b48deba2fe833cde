package incident_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
)

// On PostgreSQL a search with a party reads party_incidents, one row per
// party and incident, written from the per-act rows. After a bulk load,
// new incidents, edits that move an incident's day and its acts' parties,
// and a unit moved to another parent, it must hold exactly the parties of
// the per-act rows, and searches with a party find what they should.
func TestPartyIncidentsFollowThePerActRows(t *testing.T) {
	d := dbtest.Postgres(t)
	f := setup(t, d)
	check := func(when string) { t.Helper(); checkPartyIncidents(t, d, when) }
	var loaded []*incident.Incident
	for i := range 20 {
		loaded = append(loaded, f.incident(fmt.Sprintf("Checkpoint %d", i), f.israel.ID, fmt.Sprintf("2023-10-%02d", i%9+1),
			act(incident.GangRape, incident.Adult, f.nukhba.ID), act(incident.Rape, incident.Child, f.nukhba.ID)))
	}
	loaded[3].Acts = append(loaded[3].Acts, act(incident.SexualSlavery, incident.Adult, f.rsf.ID))
	if err := bulkLoad(f.ctx, d, loaded, nil); err != nil {
		t.Fatal(err)
	}
	check("after a bulk load")

	filed := f.incident("Filed at the checkpoint", f.sudan.ID, "2024-02-01", act(incident.Rape, incident.Adult, f.rsf.ID))
	if err := f.store.Create(f.ctx, filed); err != nil {
		t.Fatal(err)
	}
	edited, err := f.store.Get(f.ctx, loaded[5].ID)
	if err != nil {
		t.Fatal(err)
	}
	edited.Date.Start, edited.Date.End = "2024-03-01", "2024-03-01" // a new list key
	edited.Acts = []incident.Act{act(incident.Rape, incident.Adult, f.rsf.ID)}
	if err := f.store.Update(f.ctx, edited); err != nil {
		t.Fatal(err)
	}
	check("after a new incident and an edit")
	for _, c := range []struct {
		party string
		want  int
	}{{f.hamas.ID, 19}, {f.nukhba.ID, 19}, {f.rsf.ID, 3}} {
		if got := f.total(t, incident.Filter{Text: "checkpoint", PartyID: c.party}); got != c.want {
			t.Errorf("checkpoint with party %s: %d incidents, want %d", c.party, got, c.want)
		}
	}

	f.nukhba.ParentID = f.rsf.ID
	if err := party.NewStore(d).Update(f.ctx, f.nukhba); err != nil {
		t.Fatal(err)
	}
	check("after a unit moved")
	for _, c := range []struct {
		party string
		want  int
	}{{f.hamas.ID, 0}, {f.rsf.ID, 21}} {
		if got := f.total(t, incident.Filter{Text: "checkpoint", PartyID: c.party}); got != c.want {
			t.Errorf("after the move, checkpoint with party %s: %d incidents, want %d", c.party, got, c.want)
		}
	}
}

// checkPartyIncidents checks that party_incidents holds exactly the
// parties, incidents and cases of the per-act rows, after what when says.
func checkPartyIncidents(t *testing.T, d *db.DB, when string) {
	t.Helper()
	rows := func(query string) []string {
		out, err := db.Column[string](d.Query(context.Background(), query))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := rows(`SELECT DISTINCT party || ' ' || list_key || ' ' || COALESCE(case_number, 0) FROM party_facets ORDER BY 1`)
	got := rows(`SELECT party || ' ' || list_key || ' ' || COALESCE(case_number, 0) FROM party_incidents ORDER BY 1`)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("%s: party_incidents holds %d rows, the per-act rows %d parties of incidents; first differences: %v",
			when, len(got), len(want), firstDifferences(got, want, "in party_incidents", "in party_facets"))
	}
}

// A PostgreSQL store from before party_incidents (migration 21) has it
// written when it is opened again.
func TestPartyIncidentsMigration(t *testing.T) {
	url := dbtest.PostgresDatabase(t)
	d, err := db.Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	f := setup(t, d)
	for i := range 5 {
		in := f.incident(fmt.Sprintf("Checkpoint %d", i), f.israel.ID, "2023-10-07", act(incident.Rape, incident.Adult, f.nukhba.ID))
		if err := f.store.Create(f.ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	d = reopenBefore(t, d, url, "", 21, "DROP TABLE party_incidents")
	checkPartyIncidents(t, d, "after migration 21")
	f.store = incident.NewStore(d)
	if got := f.total(t, incident.Filter{Text: "checkpoint", PartyID: f.hamas.ID}); got != 5 {
		t.Errorf("after the migration, %d incidents with the word and the party, want 5", got)
	}
}
