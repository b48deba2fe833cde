package blob_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/integrity"
	"github.com/dossier-org/dossier/internal/seal"
)

// TestVerifyFindsAlteredSealedFiles runs dossier verify's check over sealed
// stores altered behind Dossier's back: every altered byte is a named
// problem, never an aborted verification.
func TestVerifyFindsAlteredSealedFiles(t *testing.T) {
	content := randomBytes(91, 4<<20+1) // padding fills the last segments
	forEachSealed(t, func(t *testing.T, b blob.Backend, s *blob.SealedStore, _ *seal.Sealer) {
		ctx := context.Background()
		a := app.New(dbtest.SQLite(t)).WithBlobs(s)
		key, err := audit.LoadKey(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		a.LogKey = key
		ref, _, err := s.Put(ctx, bytes.NewReader(content), "")
		if err != nil {
			t.Fatal(err)
		}
		other, _, err := s.Put(ctx, strings.NewReader("an intact photograph"), "")
		if err != nil {
			t.Fatal(err)
		}
		name := nameOf(t, s, ref)
		original := readRaw(t, b, name)
		end := contentEnd(original)

		report, err := integrity.Verify(ctx, a)
		if err != nil || !report.OK() || report.Blobs != 2 {
			t.Fatalf("intact store: %+v, %v", report, err)
		}
		for _, r := range regions {
			t.Run(r.name, func(t *testing.T) {
				damaged := bytes.Clone(original)
				damaged[r.at(int64(len(damaged)), end)] ^= 0x01
				replaceRaw(t, b, name, damaged)
				defer replaceRaw(t, b, name, original)
				report, err := integrity.Verify(ctx, a)
				if err != nil {
					t.Fatalf("verify stopped instead of reporting: %v", err)
				}
				if report.OK() || len(report.Problems) != 1 || report.Blobs != 2 {
					t.Fatalf("verify found %d problems in %d files, want the one altered file: %v", len(report.Problems), report.Blobs, report.Problems)
				}
				p := report.Problems[0]
				if !strings.Contains(p.What, ref.SHA256) && !strings.Contains(p.What, name) {
					t.Errorf("the problem names %q, neither the file %s nor its object %s", p.What, ref.SHA256, name)
				}
				if strings.Contains(p.What, other.SHA256) {
					t.Errorf("the intact file is reported: %v", p)
				}
			})
		}
		// A file deleted behind Dossier's back is not a sealed-store
		// problem of its own (evidence items report missing content);
		// verify still completes.
		if err := b.Delete(ctx, name); err != nil {
			t.Fatal(err)
		}
		if _, err := integrity.Verify(ctx, a); err != nil && !errors.Is(err, blob.ErrDamaged) {
			t.Fatalf("verify after a deletion: %v", err)
		}
	})
}
