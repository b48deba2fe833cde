package api

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/blob/blobtest"
	"github.com/dossier-org/dossier/internal/bundle"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/record"
)

func TestIncidentBundleDownloadsAndVerifies(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c := newClient(t, d)
		c.a.WithBlobs(blobtest.Local(t))
		var err error
		if c.a.LogKey, err = audit.LoadKey(t.TempDir()); err != nil {
			t.Fatal(err)
		}
		var in struct{ ID string }
		c.post("/api/v1/incidents", map[string]any{"title": "Attack on a camp",
			"acts": []any{map[string]any{"violation_type": "rape"}}}).expect(t, 201).decode(t, &in)
		ctx := record.WithActor(context.Background(), "test")
		it := &evidence.Item{Filename: "statement.txt", Links: []evidence.Link{{Kind: evidence.LinkIncident, ID: in.ID}}}
		if _, err := c.a.Evidence.Ingest(ctx, bytes.NewReader([]byte("synthetic statement")), "", it); err != nil {
			t.Fatal(err)
		}

		res := c.get("/api/v1/incidents/"+in.ID+"/bundle?purpose=review").expect(t, 200)
		zr, err := zip.NewReader(bytes.NewReader(res.body), int64(len(res.body)))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		for _, f := range zr.File {
			p := filepath.Join(dir, filepath.FromSlash(f.Name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		r, err := bundle.VerifyDir(filepath.Join(dir, "bundle-"+in.ID), c.a.LogKey.Public)
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() || r.Evidence != 1 {
			t.Fatalf("the downloaded bundle: %+v", r)
		}
		events, err := c.a.Evidence.Custody(ctx, it.ID)
		if err != nil || events[len(events)-1].Purpose != "review" {
			t.Fatalf("the export is not in the custody chain with its purpose: %+v (%v)", events, err)
		}
		c.get("/api/v1/incidents/0190aaaa-0000-7000-8000-000000000001/bundle").expect(t, 404)
	})
}
