package evidence_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/blob/blobtest"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/seal"
	"github.com/dossier-org/dossier/internal/survivor"
)

// vault is an evidence store whose blobs are sealed with the keys of the
// database it writes to, as app.Open makes it: survivors' keys and their
// files' keys live together, and erasing a survivor reaches both.
type vault struct {
	d         *db.DB
	backend   blob.Backend
	sealer    *seal.Sealer
	store     *evidence.Store
	survivors *survivor.Store
}

// forEachVault runs fn on every engine and every blob backend.
func forEachVault(t *testing.T, fn func(t *testing.T, ctx context.Context, v vault)) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"sqlite", dbtest.SQLite}, {"postgres", dbtest.Postgres}} {
		t.Run(engine.name, func(t *testing.T) {
			blobtest.ForEachBackend(t, func(t *testing.T, b blob.Backend) {
				d := engine.open(t)
				ctx := record.WithActor(context.Background(), "test:investigator")
				sealer, err := seal.Open(ctx, d, "", seal.Options{DataDir: t.TempDir()})
				if err != nil {
					t.Fatal(err)
				}
				fn(t, ctx, vault{d: d, backend: b, sealer: sealer,
					store: evidence.NewStore(d, blob.NewSealedStore(b, sealer)), survivors: survivor.NewStore(d, sealer)})
			})
		})
	}
}

func (v vault) survivor(t *testing.T, ctx context.Context, code string) *survivor.Survivor {
	t.Helper()
	sv := &survivor.Survivor{Code: code, Sex: incident.Female, AgeGroup: incident.Adult, Synthetic: true}
	if err := v.survivors.Create(ctx, survivor.Administrator(ctx), sv, survivor.Identity{Name: "Synthetic Person " + code + " (not a real person)"}); err != nil {
		t.Fatal(err)
	}
	return sv
}

// storedBytes is every byte someone who can read the backend holds.
func (v vault) storedBytes(t *testing.T) (objects int, all []byte) {
	t.Helper()
	ctx := context.Background()
	err := v.backend.List(ctx, "", func(name string, _ int64) error {
		obj, err := v.backend.Open(ctx, name)
		if err != nil {
			return err
		}
		defer obj.Close()
		data, err := io.ReadAll(obj)
		all = append(all, data...)
		objects++
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return objects, all
}

func readAll(t *testing.T, ctx context.Context, s *evidence.Store, id string) ([]byte, error) {
	t.Helper()
	_, obj, err := s.Open(ctx, id)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	return io.ReadAll(obj)
}

func withGrant(ctx context.Context, see bool) context.Context {
	return account.WithPrincipal(ctx, &account.Principal{User: account.User{Name: "analyst"}, SeeIdentities: see})
}

func custodyKinds(t *testing.T, ctx context.Context, s *evidence.Store, id string) []evidence.EventKind {
	t.Helper()
	events, err := s.Custody(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []evidence.EventKind
	for _, e := range events {
		out = append(out, e.Kind)
	}
	return out
}

// TestSurvivorFiles follows a survivor's testimony through the vault: kept
// under their key apart from identical content of others, read back only
// with the grant, moved between keys, and destroyed by their erasure — its
// bytes gone from the store, its record and custody kept.
func TestSurvivorFiles(t *testing.T) {
	forEachVault(t, func(t *testing.T, ctx context.Context, v vault) {
		w := newWorld(t, ctx, v.d)
		a, b := v.survivor(t, ctx, "SYN-0001"), v.survivor(t, ctx, "SYN-0002")
		marker := []byte("SYNTHETIC TESTIMONY of SYN-0001: they came at dawn to the Quillfeather orchard (not a real person)")
		content := append(pngOf(t, 64, 48), marker...)
		links := []evidence.Link{{Kind: evidence.LinkIncident, ID: w.incident}}
		ingest := func(survivorID string) *evidence.Item {
			t.Helper()
			it := &evidence.Item{Type: evidence.SurvivorTestimony, Links: links, SurvivorID: survivorID}
			if _, err := v.store.Ingest(ctx, bytes.NewReader(content), sum(content), it); err != nil {
				t.Fatalf("ingest for %q: %v", survivorID, err)
			}
			return it
		}
		ofA, plain, ofB := ingest(a.ID), ingest(""), ingest(b.ID)
		if ofA.Thumbnail == nil || ofA.SurvivorID != a.ID || (ofA.Extracted != nil && ofA.Extracted.Latitude != nil) {
			t.Fatalf("the survivor's item: %+v", ofA)
		}
		// Three owners, three copies of the file and of its thumbnail: no
		// deduplication across keys.
		n, raw := v.storedBytes(t)
		if n != 6 {
			t.Fatalf("the backend holds %d objects, want 6 (file and thumbnail, three owners)", n)
		}
		if bytes.Contains(raw, marker[:40]) || bytes.Contains(raw, []byte(a.ID)) {
			t.Fatal("the stored objects hold the testimony or the survivor's ID in clear")
		}
		for _, it := range []*evidence.Item{ofA, plain, ofB} {
			if got, err := readAll(t, ctx, v.store, it.ID); err != nil || !bytes.Equal(got, content) {
				t.Fatalf("read back %s: %v", it.ID, err)
			}
		}

		// Reading a survivor's file needs the grant; the thumbnail too.
		if _, err := readAll(t, withGrant(ctx, false), v.store, ofA.ID); !errors.Is(err, evidence.ErrIdentities) {
			t.Errorf("without the grant: %v, want ErrIdentities", err)
		}
		if _, _, err := v.store.Thumbnail(withGrant(ctx, false), ofA.ID); !errors.Is(err, evidence.ErrIdentities) {
			t.Errorf("the thumbnail without the grant: %v, want ErrIdentities", err)
		}
		if got, err := readAll(t, withGrant(ctx, true), v.store, ofA.ID); err != nil || !bytes.Equal(got, content) {
			t.Errorf("with the grant: %v", err)
		}
		if got, err := readAll(t, withGrant(ctx, false), v.store, plain.ID); err != nil || !bytes.Equal(got, content) {
			t.Errorf("an item of no survivor without the grant: %v", err)
		}
		// Duplicates tied to survivors are named only to those who may see them.
		again := &evidence.Item{Links: links}
		res, err := v.store.Ingest(withGrant(ctx, false), bytes.NewReader(content), "", again)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Duplicates, []string{plain.ID}) {
			t.Errorf("duplicates named without the grant: %v, want only %s", res.Duplicates, plain.ID)
		}

		// Untying a survivor's file needs the grant; tying a plain one does
		// not (it narrows who may see it). Tying seals the file again.
		untie := *ofB
		untie.SurvivorID = ""
		if err := v.store.Update(withGrant(ctx, false), &untie); !errors.Is(err, evidence.ErrIdentities) {
			t.Errorf("untying without the grant: %v, want ErrIdentities", err)
		}
		tie := *again
		tie.SurvivorID = b.ID
		if err := v.store.Update(withGrant(ctx, false), &tie); err != nil {
			t.Fatalf("tying to survivor B: %v", err)
		}
		if kinds := custodyKinds(t, ctx, v.store, tie.ID); !slices.Equal(kinds, []evidence.EventKind{evidence.Received, evidence.Copied}) {
			t.Errorf("custody after tying: %v", kinds)
		}
		moved, err := v.store.Get(ctx, tie.ID)
		if err != nil || moved.SurvivorID != b.ID || moved.Version != 2 {
			t.Fatalf("the tied item: %+v, %v", moved, err)
		}
		if got, err := readAll(t, ctx, v.store, tie.ID); err != nil || !bytes.Equal(got, content) {
			t.Fatalf("the tied item reads back: %v", err)
		}
		// The deployment's copy stays while the plain item uses it.
		if n, _ := v.storedBytes(t); n != 6 {
			t.Errorf("after tying an item whose content others hold: %d objects, want 6", n)
		}
		// Untying the plain item's twin and tying the plain one to B leaves
		// the deployment's copy unused: it is deleted.
		p := *plain
		p.SurvivorID = b.ID
		if err := v.store.Update(ctx, &p); err != nil {
			t.Fatal(err)
		}
		if n, _ := v.storedBytes(t); n != 4 {
			t.Errorf("after the last deployment item moved to B: %d objects, want 4 (A's and B's)", n)
		}
		if pending, err := evidence.PendingDisposals(ctx, v.d); err != nil || len(pending) != 0 {
			t.Errorf("disposals left pending: %v, %v", pending, err)
		}

		// Erasing A destroys A's file, here and in the store.
		if _, err := v.survivors.Erase(ctx, a.ID, survivor.Erasure{Reason: survivor.ErasureRequest, On: "2024-05-01",
			Language: "ar", TakenBy: "WPA Darfur 2"}); err != nil {
			t.Fatal(err)
		}
		gone, err := v.store.Get(ctx, ofA.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !gone.Shredded() || gone.Thumbnail != nil || gone.Blob != ofA.Blob || gone.Version != ofA.Version+1 {
			t.Errorf("the erased survivor's item: %+v", gone)
		}
		if kinds := custodyKinds(t, ctx, v.store, ofA.ID); !slices.Equal(kinds, []evidence.EventKind{evidence.Received, evidence.Destroyed}) {
			t.Errorf("custody after the erasure: %v", kinds)
		}
		if _, err := readAll(t, ctx, v.store, ofA.ID); !errors.Is(err, evidence.ErrShredded) {
			t.Errorf("reading the erased survivor's file: %v, want ErrShredded", err)
		}
		if _, _, err := v.store.Thumbnail(ctx, ofA.ID); !errors.Is(err, evidence.ErrShredded) {
			t.Errorf("its thumbnail: %v, want ErrShredded", err)
		}
		// The copies under A's key are gone from the store; had they
		// stayed, they would not open.
		n, raw = v.storedBytes(t)
		if n != 2 {
			t.Errorf("after the erasure the backend holds %d objects, want B's 2", n)
		}
		if bytes.Contains(raw, marker[:40]) {
			t.Error("the backend holds the testimony in clear")
		}
		sealedA, err := blob.NewSealedStore(v.backend, v.sealer).For(a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sealedA.Open(ctx, ofA.Blob.SHA256); !errors.Is(err, blob.ErrNotFound) && !errors.Is(err, blob.ErrShredded) {
			t.Errorf("A's copy after the erasure: %v", err)
		}
		if _, err := v.sealer.OpenSubjectBlobKey(ctx, a.ID); !errors.Is(err, seal.ErrShredded) {
			t.Errorf("A's file key after the erasure: %v, want ErrShredded", err)
		}
		// B's files are untouched.
		for _, id := range []string{ofB.ID, tie.ID, plain.ID} {
			if got, err := readAll(t, ctx, v.store, id); err != nil || !bytes.Equal(got, content) {
				t.Errorf("B's item %s after A's erasure: %v", id, err)
			}
		}

		// Nothing is kept for A again, and A's destroyed file is tied to
		// no one else.
		if _, err := v.store.Ingest(ctx, bytes.NewReader(content), "", &evidence.Item{Links: links, SurvivorID: a.ID}); !hasFieldError(err, "survivor_id", "erased") {
			t.Errorf("ingest for the erased survivor: %v", err)
		}
		if err := v.store.Update(ctx, &evidence.Item{Meta: plain.Meta, Type: evidence.Photo, Links: links, SurvivorID: a.ID}); !hasFieldError(err, "survivor_id", "erased") {
			t.Errorf("tying to the erased survivor: %v", err)
		}
		retie := *gone
		retie.SurvivorID = b.ID
		if err := v.store.Update(ctx, &retie); !hasFieldError(err, "survivor_id", "shredded") {
			t.Errorf("tying the destroyed file to another survivor: %v", err)
		}
		// What is asserted about it can still be corrected.
		gone.Description = "Testimony recording, interview 1"
		if err := v.store.Update(ctx, gone); err != nil || !gone.Shredded() {
			t.Errorf("editing the destroyed file's item: %v", err)
		}
		if err := v.store.Update(ctx, &evidence.Item{Meta: plain.Meta, Type: evidence.Photo, Links: links, SurvivorID: "not-an-id"}); !hasFieldError(err, "survivor_id", "invalid_id") {
			t.Errorf("a survivor ID that is not one: %v", err)
		}
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

// TestSurvivorFilesNeedASealedStore: a store kept in clear cannot keep a
// file apart under a survivor's key, and says so before any byte is sent.
func TestSurvivorFilesNeedASealedStore(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := record.WithActor(context.Background(), "test:investigator")
	sealer, err := seal.Open(ctx, d, "", seal.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	v := vault{d: d, survivors: survivor.NewStore(d, sealer), store: evidence.NewStore(d, blobtest.PlainLocal(t))}
	w := newWorld(t, ctx, d)
	sv := v.survivor(t, ctx, "SYN-0003")
	it := &evidence.Item{Links: []evidence.Link{{Kind: evidence.LinkIncident, ID: w.incident}}, SurvivorID: sv.ID}
	if err := v.store.Vet(ctx, "", it); !hasFieldError(err, "survivor_id", "no_keys") {
		t.Errorf("Vet: %v", err)
	}
	if _, err := v.store.Ingest(ctx, strings.NewReader("x"), "", it); !hasFieldError(err, "survivor_id", "no_keys") {
		t.Errorf("Ingest: %v", err)
	}
	if err := v.store.Vet(ctx, "", &evidence.Item{Links: it.Links, SurvivorID: "0195f0aa-0000-7000-8000-00000000000f"}); !hasFieldError(err, "survivor_id", "not_found") {
		t.Errorf("an unknown survivor: %v", err)
	}
}
