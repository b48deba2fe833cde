package seal

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
)

func sealWith(t *testing.T, k *BlobKey, plain, ad []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := k.EncryptWriter(&buf, ad)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func openWith(k *BlobKey, ct, ad []byte) ([]byte, error) {
	r, err := k.DecryptReader(bytes.NewReader(ct), ad)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func TestSubjectBlobKeys(t *testing.T) {
	forEachEngineRaw(t, func(t *testing.T, d *db.DB, raw func() []byte) {
		ctx := context.Background()
		dir := t.TempDir()
		s := newSealer(t, d, dir)
		plain := pattern(3<<20 + 17)
		ad := []byte("object-1")

		if _, err := s.OpenSubjectBlobKey(ctx, "survivor-1"); !errors.Is(err, ErrNoKey) {
			t.Fatalf("a subject's file key before any: %v, want ErrNoKey", err)
		}
		k1, err := s.SubjectBlobKey(ctx, "survivor-1")
		if err != nil {
			t.Fatal(err)
		}
		ct := sealWith(t, k1, plain, ad)

		// Another process opens it; other keys do not.
		other, err := New(ctx, d, s.KEK(), Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		again, err := other.OpenSubjectBlobKey(ctx, "survivor-1")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := openWith(again, ct, ad); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("the subject's file in another process: %d bytes, %v", len(got), err)
		}
		k2, err := s.SubjectBlobKey(ctx, "survivor-2")
		if err != nil {
			t.Fatal(err)
		}
		ct2 := sealWith(t, k2, plain, ad)
		for name, k := range map[string]*BlobKey{"another subject's key": k2, "the deployment's key": s.DeploymentBlobKey()} {
			if _, err := openWith(k, ct, ad); !errors.Is(err, ErrCiphertext) {
				t.Errorf("%s opens the subject's file: %v", name, err)
			}
		}
		if s.SubjectBlobName("survivor-1", "ab") == s.SubjectBlobName("survivor-2", "ab") ||
			s.SubjectBlobName("survivor-1", "ab") == s.BlobName("ab") ||
			s.SubjectBlobName("survivor-1", "AB") != s.SubjectBlobName("survivor-1", "ab") {
			t.Error("subjects' blob names collide, or depend on the hash's case")
		}

		// The file key is wrapped by the data key, not the KEK: a rotation
		// leaves it as it is, and it still opens.
		var wrapped []byte
		if err := d.QueryRow(ctx, `SELECT wrapped FROM subject_blob_keys WHERE subject = 'survivor-1'`).Scan(&wrapped); err != nil {
			t.Fatal(err)
		}
		if err := s.Rotate(ctx, newKEKFile(t, dir, "kek-2.json")); err != nil {
			t.Fatal(err)
		}
		var after []byte
		if err := d.QueryRow(ctx, `SELECT wrapped FROM subject_blob_keys WHERE subject = 'survivor-1'`).Scan(&after); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(wrapped, after) {
			t.Error("rotating the KEK rewrote the subject's file key")
		}
		fresh, err := New(ctx, d, s.KEK(), Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if k, err := fresh.OpenSubjectBlobKey(ctx, "survivor-1"); err != nil {
			t.Fatalf("after rotation: %v", err)
		} else if got, err := openWith(k, ct, ad); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("the subject's file after rotation: %v", err)
		}

		told := map[string]int{}
		s.OnShredded(func(_ context.Context, subject string) error { told[subject]++; return nil })
		secret := wrapped[4:36]
		if !holds(raw(), secret) {
			t.Fatal("the wrapped file key cannot be found in the raw database: the search is blind")
		}
		if err := s.Shred(ctx, "survivor-1"); err != nil {
			t.Fatal(err)
		}
		if told["survivor-1"] != 1 {
			t.Errorf("the listener was told %v", told)
		}
		for name, sl := range map[string]*Sealer{"shredding process": s, "other process": other} {
			if _, err := sl.OpenSubjectBlobKey(ctx, "survivor-1"); !errors.Is(err, ErrShredded) {
				t.Errorf("%s: the file key after shredding: %v, want ErrShredded", name, err)
			}
			if _, err := sl.SubjectBlobKey(ctx, "survivor-1"); !errors.Is(err, ErrShredded) {
				t.Errorf("%s: a new file key after shredding: %v, want ErrShredded", name, err)
			}
		}
		if ok, err := s.IsShredded(ctx, "survivor-1"); !ok || err != nil {
			t.Errorf("IsShredded = %v, %v", ok, err)
		}
		if ok, err := s.IsShredded(ctx, "survivor-2"); ok || err != nil {
			t.Errorf("IsShredded of a live subject = %v, %v", ok, err)
		}
		var n int
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM subject_blob_keys WHERE subject = 'survivor-1'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("the shredded subject's file key row: %d, %v", n, err)
		}
		if holds(raw(), secret) {
			t.Error("the raw database still holds the shredded file key's bytes")
		}
		if k, err := s.OpenSubjectBlobKey(ctx, "survivor-2"); err != nil {
			t.Errorf("another subject's file key after the shredding: %v", err)
		} else if got, err := openWith(k, ct2, ad); err != nil || !bytes.Equal(got, plain) {
			t.Errorf("another subject's file after the shredding: %v", err)
		}
	})
}

// TestSubjectFilesInOldBackups: a backup made before a subject was shredded
// opens its files with the KEK of its time — the caveat fields share — and
// no longer once that KEK is rotated away and destroyed.
func TestSubjectFilesInOldBackups(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := db.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := newSealer(t, d, dir)
	k, err := s.SubjectBlobKey(ctx, "survivor-7")
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("Synthetic testimony recording (not a real person)")
	ct := sealWith(t, k, plain, nil)
	if err := s.FlushShredded(ctx); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	copyFile(t, d.Path(), backup)
	if err := s.Shred(ctx, "survivor-7"); err != nil {
		t.Fatal(err)
	}

	old := openBackup(t, backup)
	oldSealer, err := New(ctx, old, s.KEK(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if k, err := oldSealer.OpenSubjectBlobKey(ctx, "survivor-7"); err != nil {
		t.Fatalf("the old backup with the old KEK: %v (expected to open: that is the exposure)", err)
	} else if got, err := openWith(k, ct, nil); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("the old backup's file key does not open the file: %v", err)
	}
	old.Close()

	oldKEK := s.KEK()
	if err := s.Rotate(ctx, newKEKFile(t, dir, "kek-2.json")); err != nil {
		t.Fatal(err)
	}
	if err := s.DestroyKEK(ctx, oldKEK.ID()); err != nil {
		t.Fatal(err)
	}
	old = openBackup(t, backup)
	defer old.Close()
	if _, err := Open(ctx, old, "", Options{DataDir: dir}); err == nil {
		t.Error("the old backup opened with its recorded (destroyed) KEK")
	}
}
