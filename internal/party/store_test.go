package party_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func TestStore(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := record.WithActor(context.Background(), "test")
		s := party.NewStore(d)
		hamas := &party.Party{Name: "Hamas", Type: party.NonStateArmedGroup, Names: []party.Name{
			{Lang: "ar", Text: "حركة المقاومة الإسلامية حماس"},
			{Lang: "he", Text: "חמאס"},
			{Lang: "en", Text: "Islamic Resistance Movement", Alias: true},
		}}
		if err := s.Create(ctx, hamas); err != nil {
			t.Fatal(err)
		}
		qassam := &party.Party{Name: "Izz ad-Din al-Qassam Brigades", Type: party.NonStateArmedGroup, ParentID: hamas.ID}
		nukhba := &party.Party{Name: "Nukhba force", Type: party.NonStateArmedGroup}
		rsf := &party.Party{Name: "Rapid Support Forces", Abbreviation: "RSF", Type: party.StateAffiliatedMilitia,
			Names: []party.Name{{Lang: "ar", Text: "قوات الدعم السريع"}}}
		for _, p := range []*party.Party{qassam, nukhba, rsf} {
			if err := s.Create(ctx, p); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("names round trip in order", func(t *testing.T) {
			got, err := s.Get(ctx, hamas.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Names, hamas.Names) || got.NameIn("he") != "חמאס" || got.NameIn("fr") != "Hamas" || len(got.Aliases()) != 1 {
				t.Errorf("names read back as %+v", got.Names)
			}
		})

		t.Run("a unit moves under its organisation", func(t *testing.T) {
			nukhba.ParentID = qassam.ID
			if err := s.Update(ctx, nukhba); err != nil {
				t.Fatal(err)
			}
			ids, err := s.Subtree(ctx, hamas.ID)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(ids)
			want := []string{hamas.ID, qassam.ID, nukhba.ID}
			slices.Sort(want)
			if !slices.Equal(ids, want) {
				t.Errorf("subtree of Hamas = %v, want %v", ids, want)
			}
			chain, err := s.Ancestors(ctx, nukhba)
			if err != nil || len(chain) != 2 || chain[0].ID != qassam.ID || chain[1].ID != hamas.ID {
				t.Errorf("ancestors of Nukhba = %+v, %v", chain, err)
			}
		})

		t.Run("no cycles", func(t *testing.T) {
			h, _ := s.Get(ctx, hamas.ID)
			h.ParentID = nukhba.ID
			errs, ok := record.AsErrors(s.Update(ctx, h))
			if !ok || errs.For("parent_id") == nil || errs.For("parent_id").Code != "cycle" {
				t.Errorf("making Hamas a unit of its own unit: %v", errs)
			}
			orphan := &party.Party{Name: "Orphan", Type: party.NonStateArmedGroup, ParentID: record.NewID()}
			errs, _ = record.AsErrors(s.Create(ctx, orphan))
			if errs.For("parent_id") == nil || errs.For("parent_id").Code != "not_found" {
				t.Errorf("missing parent: %v", errs)
			}
		})

		t.Run("search any name", func(t *testing.T) {
			for _, c := range []struct {
				q    string
				want []string
			}{
				{"hamas", []string{"Hamas"}},
				{"חמאס", []string{"Hamas"}},
				{"المقاومة", []string{"Hamas"}},
				{"الدعم", []string{"Rapid Support Forces"}},
				{"RSF", []string{"Rapid Support Forces"}},
				{"resistance move", []string{"Hamas"}},
				{"brigades", []string{"Izz ad-Din al-Qassam Brigades"}},
			} {
				ps, err := s.List(ctx, party.Filter{Text: c.q})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, p := range ps {
					got = append(got, p.Name)
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("search %q = %q, want %q", c.q, got, c.want)
				}
			}
		})

		t.Run("search index follows renames", func(t *testing.T) {
			r, _ := s.Get(ctx, rsf.ID)
			r.Names = nil
			if err := s.Update(ctx, r); err != nil {
				t.Fatal(err)
			}
			if ps, _ := s.List(ctx, party.Filter{Text: "الدعم"}); len(ps) != 0 {
				t.Errorf("a removed name still finds %d parties", len(ps))
			}
		})

		t.Run("filters", func(t *testing.T) {
			top, _ := s.List(ctx, party.Filter{TopLevel: true})
			units, _ := s.List(ctx, party.Filter{ParentID: hamas.ID})
			militias, _ := s.List(ctx, party.Filter{Type: party.StateAffiliatedMilitia})
			if len(top) != 2 || len(units) != 1 || units[0].ID != qassam.ID || len(militias) != 1 {
				t.Errorf("top %d, units %d, militias %d", len(top), len(units), len(militias))
			}
			found, err := s.FindByName(ctx, "RSF")
			if err != nil || found.ID != rsf.ID {
				t.Errorf("FindByName(RSF) = %v, %v", found, err)
			}
			if _, err := s.FindByName(ctx, "nobody"); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("FindByName(nobody): %v", err)
			}
		})

		t.Run("stale update", func(t *testing.T) {
			stale, _ := s.Get(ctx, qassam.ID)
			fresh, _ := s.Get(ctx, qassam.ID)
			fresh.Description = "Military wing."
			if err := s.Update(ctx, fresh); err != nil {
				t.Fatal(err)
			}
			stale.Description = "Overwrite"
			if err := s.Update(ctx, stale); !errors.Is(err, db.ErrConflict) {
				t.Errorf("stale update: %v", err)
			}
			revs, _ := record.History(ctx, d, record.KindParty, qassam.ID)
			if len(revs) != 2 {
				t.Errorf("%d revisions, want 2", len(revs))
			}
		})

		t.Run("validation", func(t *testing.T) {
			bad := &party.Party{Type: "army", CountryCode: "SDN", Names: []party.Name{{Lang: "arabic", Text: ""}}}
			errs, _ := record.AsErrors(s.Create(ctx, bad))
			for _, f := range []string{"name", "type", "country_code", "names[0].name", "names[0].lang"} {
				if errs.For(f) == nil {
					t.Errorf("no error for %s: %v", f, errs)
				}
			}
		})
	})
}

func TestCategory(t *testing.T) {
	for typ, want := range map[party.Type]party.Category{
		party.StateArmedForces: party.State, party.StatePolice: party.State, party.NonStateArmedGroup: party.NonState,
		party.TerroristDesignated: party.NonState, party.UNContingent: party.Other, party.CivilianIndividuals: party.Other,
	} {
		if got := typ.Category(); got != want {
			t.Errorf("%s.Category() = %s, want %s", typ, got, want)
		}
	}
}
