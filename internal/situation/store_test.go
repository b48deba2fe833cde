package situation_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func TestStore(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := record.WithActor(context.Background(), "test")
		s := situation.NewStore(d)
		sudan := &situation.Situation{Name: " Sudan ", CountryCode: "sd", OnAgenda: true, ConflictClass: situation.NonInternational}
		if err := s.Create(ctx, sudan); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, sudan.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Sudan" || got.CountryCode != "SD" || !got.OnAgenda || got.Setting != situation.ConflictSetting || !got.Listable() {
			t.Errorf("read back %+v", got)
		}
		dup := &situation.Situation{Name: "Sudan"}
		if errs, _ := record.AsErrors(s.Create(ctx, dup)); errs.For("name") == nil || errs.For("name").Code != "duplicate" {
			t.Errorf("duplicate name: %v", errs)
		}
		got.Setting = situation.OtherConcern
		got.OnAgenda = false
		if err := s.Update(ctx, got); err != nil {
			t.Fatal(err)
		}
		again, _ := s.FindByName(ctx, "Sudan")
		if again.Setting != situation.OtherConcern || again.Listable() || again.Version != 2 {
			t.Errorf("after update %+v", again)
		}
		sudan.Description = "stale"
		if err := s.Update(ctx, sudan); !errors.Is(err, db.ErrConflict) {
			t.Errorf("stale update: %v", err)
		}
		if _, err := s.Get(ctx, record.NewID()); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("missing: %v", err)
		}
		bad := &situation.Situation{ConflictClass: "war", Setting: "hot", CountryCode: "SDN"}
		errs, _ := record.AsErrors(s.Create(ctx, bad))
		for _, f := range []string{"name", "conflict_class", "setting", "country_code"} {
			if errs.For(f) == nil {
				t.Errorf("no error for %s: %v", f, errs)
			}
		}
		list, _ := s.List(ctx)
		if len(list) != 1 {
			t.Errorf("list has %d situations", len(list))
		}
	})
}
