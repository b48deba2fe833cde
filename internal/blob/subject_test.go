package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/blob/blobtest"
	"github.com/dossier-org/dossier/internal/seal"
)

func view(t *testing.T, s *blob.SealedStore, subject string) *blob.SealedStore {
	t.Helper()
	v, err := s.For(subject)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSubjectBlobsAreKeptApart stores the same content for the deployment
// and for two survivors: three objects under three keys and three names
// that tell nothing, each view seeing only its own; then shreds one
// survivor, whose objects no longer open, while the others do.
func TestSubjectBlobsAreKeptApart(t *testing.T) {
	forEachSealed(t, func(t *testing.T, b blob.Backend, s *blob.SealedStore, keys *seal.Sealer) {
		ctx := context.Background()
		marker := []byte("SYNTHETIC TESTIMONY RECORDING of Survivor A (not a real person)")
		content := append(randomBytes(90, 2<<20+3), marker...)
		a, bb := view(t, s, "0195f0aa-0000-7000-8000-00000000000a"), view(t, s, "0195f0aa-0000-7000-8000-00000000000b")
		views := map[string]*blob.SealedStore{"deployment": s, "survivor A": a, "survivor B": bb}
		var ref blob.Ref
		for name, v := range views {
			got, existed, err := v.Put(ctx, bytes.NewReader(content), "")
			if err != nil || existed {
				t.Fatalf("%s: Put = existed %v, %v; want a new object (no dedupe across keys)", name, existed, err)
			}
			ref = got
		}
		// Within one subject, identical content is stored once.
		if _, existed, err := a.Put(ctx, bytes.NewReader(content), ref.SHA256); err != nil || !existed {
			t.Fatalf("survivor A again: existed %v, %v", existed, err)
		}
		objects := rawObjects(t, b)
		if len(objects) != 3 {
			t.Fatalf("backend holds %v, want three objects", objects)
		}
		sizes := map[int64]bool{}
		for _, o := range objects {
			sizes[o.size] = true
			data := readRaw(t, b, o.name)
			if bytes.Contains(data, marker) || strings.Contains(o.name, ref.SHA256[:16]) ||
				strings.Contains(o.name, "0195f0aa") || bytes.Contains(data, []byte("0195f0aa")) {
				t.Errorf("object %s reveals its content, hash or survivor", o.name)
			}
		}
		if len(sizes) != 1 {
			t.Errorf("the objects' sizes tell whose they are: %v", sizes)
		}
		for name, v := range views {
			if got, err := readBack(v, ref.SHA256); err != nil || !bytes.Equal(got, content) {
				t.Errorf("%s: read back %d bytes, %v", name, len(got), err)
			}
			if refs := walk(t, v); len(refs) != 1 || refs[0] != ref {
				t.Errorf("%s: Walk = %v, want its own blob only", name, refs)
			}
		}
		// A survivor's view finds nothing of another's, or of the
		// deployment's.
		other := view(t, s, "0195f0aa-0000-7000-8000-00000000000c")
		if _, err := other.Stat(ctx, ref.SHA256); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("a third survivor's view finds the blob: %v", err)
		}
		var held []blob.Held
		if err := s.WalkAll(ctx, func(h blob.Held) error { held = append(held, h); return nil }); err != nil {
			t.Fatal(err)
		}
		var subjects []string
		for _, h := range held {
			if h.Ref != ref {
				t.Errorf("WalkAll: %+v", h)
			}
			subjects = append(subjects, h.Subject)
		}
		slices.Sort(subjects)
		if !slices.Equal(subjects, []string{"", a.Subject(), bb.Subject()}) {
			t.Errorf("WalkAll subjects = %q", subjects)
		}

		// Objects cannot be swapped between survivors: B's object put in
		// place of A's does not open as A's.
		nameA, nameB := storedName(t, a, ref), storedName(t, bb, ref)
		saved := readRaw(t, b, nameA)
		replaceRaw(t, b, nameA, readRaw(t, b, nameB))
		if _, err := readBack(a, ref.SHA256); !errors.Is(err, blob.ErrDamaged) {
			t.Errorf("B's object read as A's: %v, want ErrDamaged", err)
		}
		replaceRaw(t, b, nameA, saved)

		// A backup's copy of a survivor's object restores and opens.
		stored, err := bb.OpenStored(ctx, ref.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		var copied bytes.Buffer
		if _, err := copied.ReadFrom(stored); err != nil {
			t.Fatalf("copy survivor B's object: %v", err)
		}
		stored.Close()
		restoredBackend := blobtest.LocalBackend(t)
		if _, _, err := blob.PutStored(ctx, restoredBackend, stored.Name(), &copied); err != nil {
			t.Fatal(err)
		}
		restored := view(t, blob.NewSealedStore(restoredBackend, keys), bb.Subject())
		if got, err := readBack(restored, ref.SHA256); err != nil || !bytes.Equal(got, content) {
			t.Errorf("survivor B's restored object: %v", err)
		}

		if err := keys.Shred(ctx, a.Subject()); err != nil {
			t.Fatal(err)
		}
		if _, err := readBack(a, ref.SHA256); !errors.Is(err, blob.ErrShredded) {
			t.Errorf("Open after shredding: %v, want ErrShredded", err)
		}
		if _, err := a.Stat(ctx, ref.SHA256); !errors.Is(err, blob.ErrShredded) {
			t.Errorf("Stat after shredding: %v, want ErrShredded", err)
		}
		if obj, err := a.OpenStored(ctx, ref.SHA256); err == nil {
			_, err = io.Copy(io.Discard, obj)
			obj.Close()
			if !errors.Is(err, blob.ErrShredded) {
				t.Errorf("copying a shredded object: %v, want ErrShredded", err)
			}
		} else if !errors.Is(err, blob.ErrShredded) {
			t.Errorf("copying a shredded object: %v, want ErrShredded", err)
		}
		if _, _, err := a.Put(ctx, bytes.NewReader(content), ""); !errors.Is(err, blob.ErrShredded) {
			t.Errorf("Put after shredding: %v, want ErrShredded", err)
		}
		for _, name := range []string{"deployment", "survivor B"} {
			if got, err := readBack(views[name], ref.SHA256); err != nil || !bytes.Equal(got, content) {
				t.Errorf("%s after A was shredded: %v", name, err)
			}
		}
		if err := a.Delete(ctx, ref.SHA256); err != nil {
			t.Fatalf("deleting a shredded survivor's object: %v", err)
		}
		if n := len(rawObjects(t, b)); n != 2 {
			t.Errorf("after the deletion the backend holds %d objects, want 2", n)
		}
	})
}

func storedName(t *testing.T, s *blob.SealedStore, ref blob.Ref) string {
	t.Helper()
	return mustStored(t, s, ref).Name()
}

func mustStored(t *testing.T, s *blob.SealedStore, ref blob.Ref) blob.StoredObject {
	t.Helper()
	obj, err := s.OpenStored(context.Background(), ref.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { obj.Close() })
	return obj
}

func TestForSubject(t *testing.T) {
	if _, err := blob.ForSubject(blobtest.PlainLocal(t), "survivor-1"); !errors.Is(err, blob.ErrNoSubjectKeys) {
		t.Errorf("a plain store's subject view: %v, want ErrNoSubjectKeys", err)
	}
	plain := blobtest.PlainLocal(t)
	if v, err := blob.ForSubject(plain, ""); err != nil || v != plain {
		t.Errorf("the deployment's view of a plain store: %v", err)
	}
	if _, err := blob.ForSubject(blobtest.Local(t), strings.Repeat("x", 65)); err == nil {
		t.Error("a subject name longer than the index holds was taken")
	}
}
