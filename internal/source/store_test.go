package source_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/source"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func TestStore(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := record.WithActor(context.Background(), "test")
		s := source.NewStore(d)
		report := &source.Source{Kind: source.UNReport, Title: "Conflict-related sexual violence: report of the Secretary-General",
			Organisation: "United Nations", DocumentSymbol: "S/2025/389", PublishedOn: "2025-08-14", Language: "en", Reliability: source.High}
		older := &source.Source{Kind: source.NGOReport, Title: "Older report", PublishedOn: "2024-07-17"}
		for _, src := range []*source.Source{older, report} {
			if err := s.Create(ctx, src); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Get(ctx, report.ID)
		if err != nil || got.DocumentSymbol != "S/2025/389" || got.Reliability != source.High {
			t.Fatalf("read back %+v, %v", got, err)
		}
		list, _ := s.List(ctx)
		if len(list) != 2 || list[0].ID != report.ID || list[1].Reliability != source.UnknownReliability {
			t.Errorf("list: %+v", list)
		}
		got.URL = "https://www.un.org/sexualviolenceinconflict/"
		if err := s.Update(ctx, got); err != nil {
			t.Fatal(err)
		}
		report.URL = "https://example.org/stale"
		if err := s.Update(ctx, report); !errors.Is(err, db.ErrConflict) {
			t.Errorf("stale update: %v", err)
		}
		bad := &source.Source{Kind: "rumour", URL: "ftp://x", PublishedOn: "14 Aug 2025"}
		errs, _ := record.AsErrors(s.Create(ctx, bad))
		for _, f := range []string{"kind", "title", "url", "published_on"} {
			if errs.For(f) == nil {
				t.Errorf("no error for %s: %v", f, errs)
			}
		}
	})
}
