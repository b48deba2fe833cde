package integrity_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/blob/blobtest"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/integrity"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
)

// openApp opens a Dossier on each engine and each blob backend, as
// dossier serve does.
func forEachApp(t *testing.T, fn func(t *testing.T, a *app.App)) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			for _, backend := range []string{"local", "s3"} {
				t.Run(backend, func(t *testing.T) {
					cfg := app.Config{DataDir: t.TempDir()}
					if engine == "postgres" {
						cfg.DatabaseURL = dbtest.PostgresDatabase(t)
					}
					if backend == "s3" {
						bucket := blobtest.S3Bucket(t)
						t.Setenv("AWS_ACCESS_KEY_ID", bucket.AccessKeyID)
						t.Setenv("AWS_SECRET_ACCESS_KEY", bucket.SecretAccessKey)
						cfg.BlobURL = bucket.String()
					}
					a, err := app.Open(context.Background(), cfg)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { a.Close() })
					fn(t, a)
				})
			}
		})
	}
}

// flip changes one byte in the middle of the stored object holding owner's
// copy of sha, as someone with write access to the store could.
func flip(t *testing.T, a *app.App, owner, sha string) {
	t.Helper()
	ctx := context.Background()
	sealed, err := a.Blobs.(*blob.SealedStore).For(owner)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := sealed.OpenStored(ctx, sha)
	if err != nil {
		t.Fatal(err)
	}
	name := stored.Name()
	stored.Close()
	b := sealed.Backend()
	obj, err := b.Open(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(obj)
	obj.Close()
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x01
	if err := b.Delete(ctx, name); err != nil {
		t.Fatal(err)
	}
	staged, err := b.Stage(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := staged.Commit(ctx, name); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyReportsShreddedFiles: once a survivor is erased, verify lists
// their file as shredded — not as tampering — and still finds any altered
// byte of every other file, a survivor's included.
func TestVerifyReportsShreddedFiles(t *testing.T) {
	forEachApp(t, func(t *testing.T, a *app.App) {
		ctx := record.WithActor(context.Background(), "test:investigator")
		in := &incident.Incident{Title: "Attack on a village", Date: record.Date{Start: "2023-10-07"}}
		if err := a.Incidents.Create(ctx, in); err != nil {
			t.Fatal(err)
		}
		newSurvivor := func(code string) *survivor.Survivor {
			sv := &survivor.Survivor{Code: code, Sex: incident.Female, AgeGroup: incident.Adult, Synthetic: true}
			if err := a.Survivors.Create(ctx, survivor.Administrator(ctx), sv, survivor.Identity{}); err != nil {
				t.Fatal(err)
			}
			return sv
		}
		erased, kept := newSurvivor("SYN-0101"), newSurvivor("SYN-0102")
		add := func(text, survivorID string) *evidence.Item {
			it := &evidence.Item{Links: []evidence.Link{{Kind: evidence.LinkIncident, ID: in.ID}}, SurvivorID: survivorID}
			if _, err := a.Evidence.Ingest(ctx, strings.NewReader(text), "", it); err != nil {
				t.Fatal(err)
			}
			return it
		}
		testimony := add("Synthetic testimony transcript of SYN-0101 (not a real person)", erased.ID)
		report := add("Synthetic medical report of SYN-0102 (not a real person)", kept.ID)
		photo := add("A synthetic photograph of the burnt market", "")

		r, err := integrity.Verify(ctx, a)
		if err != nil || !r.OK() || r.Blobs != 3 || len(r.Shredded) != 0 {
			t.Fatalf("before the erasure: %+v, %v", r, err)
		}
		if _, err := a.Survivors.Erase(ctx, erased.ID, survivor.Erasure{Reason: survivor.FullWithdrawal, On: "2024-05-01",
			Language: "ar", TakenBy: "WPA Darfur 2"}); err != nil {
			t.Fatal(err)
		}
		r, err = integrity.Verify(ctx, a)
		if err != nil || !r.OK() {
			t.Fatalf("after the erasure: %v, %v", r.Problems, err)
		}
		if len(r.Shredded) != 1 || r.Shredded[0].Item != testimony.ID || r.Shredded[0].SHA256 != testimony.Blob.SHA256 ||
			r.Shredded[0].At.IsZero() || r.Blobs != 2 || r.AwaitingDeletion != 0 {
			t.Fatalf("after the erasure: shredded %+v, %d files, %d awaiting deletion", r.Shredded, r.Blobs, r.AwaitingDeletion)
		}

		// A shredded survivor's object the store still holds (say, its
		// deletion failed) is counted, not opened, and no problem.
		leftover := newSurvivor("SYN-0103")
		left := add("Synthetic photograph identifying SYN-0103 (not a real person)", leftover.ID)
		if err := a.Sealer.Shred(ctx, leftover.ID); err != nil {
			t.Fatal(err)
		}
		r, err = integrity.Verify(ctx, a)
		if err != nil || r.AwaitingDeletion != 1 {
			t.Fatalf("a shredded survivor's object left in the store: %+v, %v", r, err)
		}
		// Its item was not marked (the key was shredded behind the
		// survivor store's back): that is named.
		if r.OK() || !strings.Contains(r.Problems[0].What, left.ID) || !strings.Contains(r.Problems[0].Detail, "destroyed") {
			t.Fatalf("an item whose survivor's key is gone without the item saying so: %v", r.Problems)
		}

		for _, tc := range []struct {
			owner string
			it    *evidence.Item
		}{{"", photo}, {kept.ID, report}} {
			flip(t, a, tc.owner, tc.it.Blob.SHA256)
			r, err = integrity.Verify(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range r.Problems {
				if strings.Contains(p.What, tc.it.ID) || strings.Contains(p.Detail, tc.it.ID) || strings.Contains(p.What, tc.it.Blob.SHA256) {
					found = true
				}
				if strings.Contains(p.What, testimony.ID) || strings.Contains(p.Detail, testimony.ID) {
					t.Errorf("the shredded file is reported as a problem: %v", p)
				}
			}
			if !found {
				t.Errorf("a flipped byte in %s's file (owner %q) is not reported: %v", tc.it.ID, tc.owner, r.Problems)
			}
		}
	})
}
