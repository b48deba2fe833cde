package backup_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/backup"
	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/integrity"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/seal"
	"github.com/dossier-org/dossier/internal/survivor"
)

// TestBackupsAndErasedSurvivors: a backup made after a survivor's erasure
// holds nothing of their file, and restores to a copy that verifies, with
// the file listed as shredded. A backup made before opens it with the
// key-encryption key of its time — the caveat sealed fields share — and
// no longer once that key is rotated away and destroyed.
func TestBackupsAndErasedSurvivors(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			ctx := record.WithActor(context.Background(), "test")
			a, cfg := source(t, e.url(t))
			in := &incident.Incident{Title: "Attack on a village", Date: record.Date{Start: "2023-10-07"}}
			if err := a.Incidents.Create(ctx, in); err != nil {
				t.Fatal(err)
			}
			sv := &survivor.Survivor{Code: "SYN-0701", Sex: incident.Female, AgeGroup: incident.Adult, Synthetic: true}
			if err := a.Survivors.Create(ctx, survivor.Administrator(ctx), sv, survivor.Identity{Name: "Synthetic Person (not a real person)"}); err != nil {
				t.Fatal(err)
			}
			marker := "SYNTHETIC TESTIMONY RECORDING of SYN-0701, the orchard by the blue water tower (not a real person)"
			it := &evidence.Item{Type: evidence.SurvivorTestimony, SurvivorID: sv.ID, Links: []evidence.Link{{Kind: evidence.LinkIncident, ID: in.ID}}}
			if _, err := a.Evidence.Ingest(ctx, strings.NewReader(marker), "", it); err != nil {
				t.Fatal(err)
			}
			sealed, err := a.Blobs.(*blob.SealedStore).For(sv.ID)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := sealed.OpenStored(ctx, it.Blob.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			object, err := io.ReadAll(stored)
			stored.Close()
			if err != nil {
				t.Fatal(err)
			}
			objectName := "stored/" + stored.Name()

			var before bytes.Buffer
			m, err := backup.Write(ctx, a, &before, backup.Options{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL})
			if err != nil {
				t.Fatal(err)
			}
			if !holdsEntry(m, objectName) || !bytes.Contains(before.Bytes(), object) {
				t.Fatal("the backup made before the erasure does not hold the survivor's file: the check below is blind")
			}

			if _, err := a.Survivors.Erase(ctx, sv.ID, survivor.Erasure{Reason: survivor.ErasureRequest, On: "2024-05-01",
				Language: "ar", TakenBy: "WPA Darfur 2"}); err != nil {
				t.Fatal(err)
			}
			var after bytes.Buffer
			m2, err := backup.Write(ctx, a, &after, backup.Options{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL})
			if err != nil {
				t.Fatal(err)
			}
			if holdsEntry(m2, objectName) || bytes.Contains(after.Bytes(), object[len(object)/2:len(object)/2+64]) ||
				bytes.Contains(after.Bytes(), []byte(marker)) || len(m2.Sealed) != len(m.Sealed)-1 {
				t.Fatalf("the backup made after the erasure holds the survivor's file (%d sealed files, %d before)", len(m2.Sealed), len(m.Sealed))
			}
			restored := restore(t, e, after.Bytes(), filepath.Join(cfg.DataDir, "keys"))
			report, err := integrity.Verify(ctx, restored)
			if err != nil || !report.OK() || len(report.Shredded) != 1 || report.Shredded[0].Item != it.ID {
				t.Fatalf("the restored copy: %+v, %v", report, err)
			}
			if _, _, err := restored.Evidence.Open(ctx, it.ID); !errors.Is(err, evidence.ErrShredded) {
				t.Errorf("the shredded file in the restored copy: %v", err)
			}

			// The backup made before, with the KEK still in use: the
			// survivor's file opens. That is the exposure rotating ends.
			old := restore(t, e, before.Bytes(), filepath.Join(cfg.DataDir, "keys"))
			if _, obj, err := old.Evidence.Open(ctx, it.ID); err != nil {
				t.Fatalf("the old backup with the old KEK: %v (expected to open)", err)
			} else {
				got, _ := io.ReadAll(obj)
				obj.Close()
				if string(got) != marker {
					t.Fatal("the old backup gives back other content")
				}
			}
			oldKEK := a.Sealer.KEK()
			newKEKPath := filepath.Join(cfg.DataDir, "keys", "kek-2.json")
			if err := seal.CreateKEKFile(newKEKPath); err != nil {
				t.Fatal(err)
			}
			newKEK, err := seal.OpenKEK(ctx, "file:keys/kek-2.json", cfg.DataDir)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Sealer.Rotate(ctx, newKEK); err != nil {
				t.Fatal(err)
			}
			if err := a.Sealer.DestroyKEK(ctx, oldKEK.ID()); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(cfg.DataDir, "keys", "kek.json")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the old KEK is still there: %v", err)
			}
			gone := restore(t, e, before.Bytes(), filepath.Join(cfg.DataDir, "keys"))
			if _, _, err := gone.Evidence.Open(ctx, it.ID); err == nil {
				t.Fatal("the old backup still opens the survivor's file after the KEK was rotated and destroyed")
			}
			if _, err := seal.New(ctx, gone.DB, newKEK, seal.Options{DataDir: cfg.DataDir}); !errors.Is(err, seal.ErrUnknownKEK) {
				t.Errorf("the old backup with the new KEK: %v, want ErrUnknownKEK", err)
			}
		})
	}
}

func holdsEntry(m backup.Manifest, name string) bool {
	for _, f := range m.Sealed {
		if f.Name == name {
			return true
		}
	}
	return false
}

// restore restores a backup into a new data directory (and, for
// PostgreSQL, a new database) with the keys in keys, and opens it.
func restore(t *testing.T, e engine, archive []byte, keys string) *app.App {
	t.Helper()
	ctx := context.Background()
	target := app.Config{DataDir: t.TempDir(), DatabaseURL: e.url(t)}
	if _, err := backup.Restore(ctx, bytes.NewReader(archive), backup.RestoreOptions{DataDir: target.DataDir,
		DatabaseURL: target.DatabaseURL, KeysFrom: keys}); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}
