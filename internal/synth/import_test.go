package synth

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/transfer"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// TestImportAcceptsEveryRow imports a generated set through the import the
// benchmarks measure, on both engines: nothing may be rejected, and the
// filters the query benchmark uses must find what the files hold.
func TestImportAcceptsEveryRow(t *testing.T) {
	dir, want := generate(t, 300, 1)
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := record.WithActor(context.Background(), "test")
		a := app.New(d)
		report, err := transfer.ImportFile(ctx, a, dir, transfer.Options{})
		if err != nil {
			t.Fatalf("ImportFile: %v", err)
		}
		for i, r := range report.Rejected {
			if i < 10 {
				t.Errorf("rejected: %s", r)
			}
		}
		if !report.Committed {
			t.Fatalf("import not committed (%d rejections)", len(report.Rejected))
		}
		got := report.Imported
		if got.Situations != want.Situations || got.Parties != want.Parties || got.Sources != want.Sources ||
			got.Incidents != want.Incidents || got.Acts != want.Acts {
			t.Fatalf("imported %+v, generated %+v", got, want)
		}

		all, err := a.Incidents.List(ctx, incident.Filter{Limit: incident.MaxPage})
		if err != nil {
			t.Fatal(err)
		}
		if all.Total != want.Incidents {
			t.Errorf("list total %d, want %d", all.Total, want.Incidents)
		}

		// The commonest word is in most incidents; each script is searchable.
		for _, q := range []string{Vocabulary()[0], ArabicVocabulary()[0], HebrewVocabulary()[0]} {
			page, err := a.Incidents.List(ctx, incident.Filter{Text: q})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total == 0 {
				t.Errorf("search for %q found nothing", q)
			}
		}

		// A top-level party's incidents include those attributed to its
		// units, as the files say.
		expected := incidentsByTopParty(t, dir)
		tops, err := a.Parties.List(ctx, party.Filter{TopLevel: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(tops) != len(expected) {
			t.Errorf("%d top-level parties, the files attribute acts to %d", len(tops), len(expected))
		}
		for _, p := range tops {
			page, err := a.Incidents.List(ctx, incident.Filter{PartyID: p.ID})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != expected[p.ID] {
				t.Errorf("party %s: %d incidents listed, the files attribute %d to it or its units", p.Name, page.Total, expected[p.ID])
			}
		}
	})
}

// incidentsByTopParty counts, from the files, the incidents attributed to
// each top-level party or any of its units.
func incidentsByTopParty(t *testing.T, dir string) map[string]int {
	parent := map[string]string{}
	for _, r := range records(t, dir, "parties.csv") {
		parent[r["id"]] = r["parent_id"]
	}
	top := func(id string) string {
		for parent[id] != "" {
			id = parent[id]
		}
		return id
	}
	incidentOf := map[string]string{}
	for _, r := range records(t, dir, "acts.csv") {
		incidentOf[r["id"]] = r["incident_id"]
	}
	seen := map[[2]string]bool{}
	out := map[string]int{}
	for _, r := range records(t, dir, "perpetrators.csv") {
		if r["party_id"] == "" {
			continue
		}
		k := [2]string{top(r["party_id"]), incidentOf[r["act_id"]]}
		if !seen[k] {
			seen[k] = true
			out[k[0]]++
		}
	}
	return out
}

// TestFurtherSetImportsIntoTheStore imports a further set (Options.Further)
// into a store that holds its seed's set: it brings no situation, party or
// source of its own, refers only to the stored ones, and nothing is
// rejected.
func TestFurtherSetImportsIntoTheStore(t *testing.T) {
	first, firstCounts := generate(t, 200, 1)
	further := t.TempDir()
	want, err := WriteDir(further, Options{Incidents: 150, Seed: 1, Further: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"situations.csv", "parties.csv", "party_names.csv", "sources.csv"} {
		if _, err := os.Stat(filepath.Join(further, name)); !os.IsNotExist(err) {
			t.Errorf("the further set has %s (%v)", name, err)
		}
	}
	if want.Situations+want.Parties+want.Sources != 0 || want.Incidents != 150 {
		t.Errorf("further set counts %+v", want)
	}
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := record.WithActor(context.Background(), "test")
		a := app.New(d)
		for _, dir := range []string{first, further} {
			report, err := transfer.ImportFile(ctx, a, dir, transfer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range report.Rejected {
				if i < 10 {
					t.Errorf("%s: rejected: %s", filepath.Base(dir), r)
				}
			}
			if !report.Committed {
				t.Fatalf("%s: not committed", dir)
			}
		}
		all, err := a.Incidents.List(ctx, incident.Filter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if all.Total != firstCounts.Incidents+want.Incidents {
			t.Errorf("%d incidents stored, want %d + %d", all.Total, firstCounts.Incidents, want.Incidents)
		}
	})
}
