package survivor_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
)

// A person working on a case reaches the survivors whose code an act of that
// case bears, and no other; the operator reaches every survivor.
func TestSurvivorsWithinTheCasesOfTheirActs(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := record.WithActor(context.Background(), "test")
		f := newFixture(t, d)
		accounts := account.NewStore(d, account.Options{})
		darfur, err := accounts.CreateCase(ctx, "Darfur 2023", "")
		f.must(err)
		kivu, err := accounts.CreateCase(ctx, "Kivu 2024", "")
		f.must(err)
		in := &incident.Incident{Title: "Attack on a camp", CaseID: darfur.ID, Date: record.Date{Precision: record.DateUnknown},
			Acts: []incident.Act{{ViolationType: "rape", Victim: incident.Victim{Code: "SYN-0101"}}}}
		f.must(incident.NewStore(d).Create(ctx, in))
		inCase := f.add("SYN-0101", survivor.Identity{})
		outside := f.add("SYN-0102", survivor.Identity{})

		inDarfur := record.RestrictToCases(ctx, []string{darfur.ID})
		inKivu := record.RestrictToCases(ctx, []string{kivu.ID})

		list, err := f.s.List(inDarfur)
		f.must(err)
		if len(list) != 1 || list[0].Code != "SYN-0101" {
			t.Fatalf("Darfur's investigator lists %+v", list)
		}
		if _, err := f.s.Get(inDarfur, outside.ID); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("a survivor no act of the case names: %v, want not found", err)
		}
		if _, err := f.s.Get(inKivu, inCase.ID); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("a survivor of another case: %v, want not found", err)
		}
		if _, err := f.s.Consents(inKivu, inCase.ID); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("consent of a survivor of another case: %v, want not found", err)
		}
		if _, err := f.s.Interviews(inKivu, inCase.ID); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("interviews of a survivor of another case: %v, want not found", err)
		}
		err = f.s.RecordConsent(inKivu, &survivor.Consent{SurvivorID: inCase.ID, Use: survivor.Statistics,
			Decision: survivor.Given, On: "2024-01-01", Language: "en", TakenBy: "x"})
		if !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("consent written for a survivor of another case: %v, want not found", err)
		}
		if _, err := f.s.Get(inDarfur, inCase.ID); err != nil {
			t.Fatalf("a survivor of the case: %v", err)
		}
		// Adding a survivor behind no act of one's cases is refused.
		sv := &survivor.Survivor{Code: "SYN-0103", Synthetic: true}
		err = f.s.Create(inDarfur, survivor.Administrator(inDarfur), sv, survivor.Identity{})
		if errs, ok := record.AsErrors(err); !ok || errs.For("code") == nil {
			t.Fatalf("a survivor behind no act of the case: %v", err)
		}
		// The operator, unrestricted, reaches both.
		all, err := f.s.List(ctx)
		f.must(err)
		if len(all) != 2 {
			t.Fatalf("the operator lists %d survivors", len(all))
		}
	})
}
