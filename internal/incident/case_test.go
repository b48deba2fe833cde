package incident_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
)

// TestCaseScope holds the store to need-to-know: a context restricted to
// cases reaches only their incidents, in every way the store reads or
// writes them, and an incident outside them is "not found".
func TestCaseScope(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		accounts := account.NewStore(d, account.Options{})
		october, err := accounts.CreateCase(f.ctx, "7 October 2023", "")
		if err != nil {
			t.Fatal(err)
		}
		darfur, err := accounts.CreateCase(f.ctx, "Darfur 2023", "")
		if err != nil {
			t.Fatal(err)
		}
		add := func(title, caseID, partyID string) *incident.Incident {
			in := &incident.Incident{Title: title, CaseID: caseID, Acts: []incident.Act{{ViolationType: incident.Rape,
				Perpetrators: []incident.Perpetrator{{PartyID: partyID}}}}}
			if err := f.store.Create(f.ctx, in); err != nil {
				t.Fatalf("create %s: %v", title, err)
			}
			return in
		}
		nova := add("Nova festival", october.ID, f.nukhba.ID)
		geneina := add("El Geneina", darfur.ID, f.rsf.ID)
		unassigned := add("Not yet assigned", "", f.rsf.ID)

		octoberOnly := record.RestrictToCases(f.ctx, []string{october.ID})
		nothing := record.RestrictToCases(f.ctx, nil)

		t.Run("Get", func(t *testing.T) {
			if _, err := f.store.Get(octoberOnly, nova.ID); err != nil {
				t.Errorf("own case: %v", err)
			}
			for _, in := range []*incident.Incident{geneina, unassigned} {
				if _, err := f.store.Get(octoberOnly, in.ID); !errors.Is(err, db.ErrNotFound) {
					t.Errorf("%s from another case: %v, want ErrNotFound", in.Title, err)
				}
			}
			if _, err := f.store.Get(nothing, nova.ID); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("a context with no cases read an incident: %v", err)
			}
			got, err := f.store.Get(f.ctx, unassigned.ID)
			if err != nil || got.CaseID != "" {
				t.Errorf("unrestricted read of a case-less incident: %v %+v", err, got)
			}
			if got, _ := f.store.Get(f.ctx, geneina.ID); got.CaseID != darfur.ID {
				t.Errorf("case_id read back as %q", got.CaseID)
			}
		})

		t.Run("List, Each and counts", func(t *testing.T) {
			titles := func(ctx context.Context, filter incident.Filter) ([]string, int) {
				t.Helper()
				page, err := f.store.List(ctx, filter)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, in := range page.Incidents {
					out = append(out, in.Title)
				}
				slices.Sort(out)
				return out, page.Total
			}
			for _, c := range []struct {
				name   string
				ctx    context.Context
				filter incident.Filter
				want   []string
			}{
				{"unrestricted", f.ctx, incident.Filter{}, []string{"El Geneina", "Not yet assigned", "Nova festival"}},
				{"one case", octoberOnly, incident.Filter{}, []string{"Nova festival"}},
				{"no case", nothing, incident.Filter{}, nil},
				{"one case, by party", octoberOnly, incident.Filter{PartyID: f.rsf.ID}, nil},
				{"one case, by text", octoberOnly, incident.Filter{Text: "Geneina"}, nil},
			} {
				got, total := titles(c.ctx, c.filter)
				if !slices.Equal(got, c.want) || total != len(c.want) {
					t.Errorf("%s: %q (total %d), want %q", c.name, got, total, c.want)
				}
			}
			// Every plan of the act filters keeps to the case.
			for _, lead := range []string{"party", "age"} {
				restore := incident.ForceLeadingFilter(lead)
				for _, sort := range []incident.Sort{incident.NewestFirst, incident.ByTitle} {
					got, total := titles(octoberOnly, incident.Filter{PartyID: f.rsf.ID, AgeGroup: incident.Adult, Sort: sort})
					if len(got) != 0 || total != 0 {
						t.Errorf("walking the %s rows first, sorted by %s, leaked %q (total %d)", lead, sort, got, total)
					}
					got, total = titles(octoberOnly, incident.Filter{Text: "Geneina", PartyID: f.rsf.ID, Sort: sort})
					if len(got) != 0 || total != 0 {
						t.Errorf("words and a party, sorted by %s, leaked %q (total %d)", sort, got, total)
					}
				}
				restore()
			}

			var each []string
			if err := f.store.Each(octoberOnly, func(in *incident.Incident) error { each = append(each, in.Title); return nil }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(each, []string{"Nova festival"}) {
				t.Errorf("Each in one case: %q", each)
			}
			coded := &incident.Incident{Title: "A coded victim", CaseID: darfur.ID, Acts: []incident.Act{{
				ViolationType: incident.Rape, Victim: incident.Victim{Code: "SYN-0042"}}}}
			if err := f.store.Create(f.ctx, coded); err != nil {
				t.Fatal(err)
			}
			for ctx, want := range map[context.Context]int{f.ctx: 1, octoberOnly: 0} {
				if acts, err := incident.ActsOfVictim(ctx, d, "SYN-0042"); err != nil || len(acts) != want {
					t.Errorf("ActsOfVictim: %d acts, %v; want %d", len(acts), err, want)
				}
			}
			for ctx, want := range map[context.Context]int{f.ctx: 2, octoberOnly: 0} {
				if n, err := f.store.CountForParty(ctx, f.rsf.ID); err != nil || n != want {
					t.Errorf("CountForParty(RSF) = %d, %v; want %d", n, err, want)
				}
			}
		})

		t.Run("an import names the case once", func(t *testing.T) {
			in := &incident.Incident{Title: "Imported without a case"}
			ctx := record.WithDefaultCase(octoberOnly, october.ID)
			if err := d.Write(ctx, func(tx *db.Tx) error { return incident.Insert(ctx, tx, in) }); err != nil {
				t.Fatal(err)
			}
			if in.CaseID != october.ID {
				t.Errorf("filed in %q, want the default case", in.CaseID)
			}
		})

		t.Run("writes stay within the cases", func(t *testing.T) {
			in := &incident.Incident{Title: "No case given"}
			if err := f.store.Create(octoberOnly, in); !hasFieldError(err, "case_id", "required") {
				t.Errorf("create without a case in a restricted context: %v", err)
			}
			in = &incident.Incident{Title: "Another's case", CaseID: darfur.ID}
			if err := f.store.Create(octoberOnly, in); !hasFieldError(err, "case_id", "not_allowed") {
				t.Errorf("create in a case not one's own: %v", err)
			}
			in = &incident.Incident{Title: "No such case", CaseID: record.NewID()}
			if err := f.store.Create(f.ctx, in); !hasFieldError(err, "case_id", "not_found") {
				t.Errorf("create in a case that does not exist: %v", err)
			}

			other, err := f.store.Get(f.ctx, geneina.ID)
			if err != nil {
				t.Fatal(err)
			}
			other.Title = "Edited from outside"
			if err := f.store.Update(octoberOnly, other); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("edit of another case's incident: %v, want ErrNotFound", err)
			}
			own, err := f.store.Get(octoberOnly, nova.ID)
			if err != nil {
				t.Fatal(err)
			}
			own.CaseID = darfur.ID
			if err := f.store.Update(octoberOnly, own); !hasFieldError(err, "case_id", "not_allowed") {
				t.Errorf("moving an incident into a case not one's own: %v", err)
			}
			both := record.RestrictToCases(f.ctx, []string{october.ID, darfur.ID})
			if err := f.store.Update(both, own); err != nil {
				t.Fatalf("moving an incident between two of one's cases: %v", err)
			}
			if _, err := f.store.Get(octoberOnly, nova.ID); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("the moved incident is still in its old case: %v", err)
			}
		})
	})
}

func hasFieldError(err error, field, code string) bool {
	errs, ok := record.AsErrors(err)
	if !ok {
		return false
	}
	for _, e := range errs {
		if e.Field == field && e.Code == code {
			return true
		}
	}
	return false
}
