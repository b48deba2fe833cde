package seal

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
)

// holds reports whether raw contains secret as bytes or as the hex a dump
// writes for bytea.
func holds(raw, secret []byte) bool {
	return bytes.Contains(raw, secret) || bytes.Contains(raw, []byte(hex.EncodeToString(secret)))
}

func wrappedKeyOf(t *testing.T, d *db.DB, subject string) []byte {
	t.Helper()
	var w []byte
	if err := d.QueryRow(context.Background(), `SELECT wrapped FROM data_keys WHERE subject = $1`, subject).Scan(&w); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestShred(t *testing.T) {
	forEachEngineRaw(t, func(t *testing.T, d *db.DB, raw func() []byte) {
		ctx := context.Background()
		dir := t.TempDir()
		s := newSealer(t, d, dir)
		ct, err := s.Seal(ctx, "survivor-7", "name", []byte("Synthetic Shredded Name"))
		if err != nil {
			t.Fatal(err)
		}
		kept, err := s.Seal(ctx, "survivor-8", "name", []byte("Synthetic Kept Name"))
		if err != nil {
			t.Fatal(err)
		}
		// Another process has the key cached when the shredding happens.
		server, err := New(ctx, d, s.KEK(), Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := server.Open(ctx, "survivor-7", "name", ct); err != nil {
			t.Fatal(err)
		}

		wrapped := wrappedKeyOf(t, d, "survivor-7")
		secret := wrapped[4:36] // inside the encrypted keyset
		if !holds(raw(), secret) {
			t.Fatal("the wrapped key cannot be found in the raw database before shredding: the search is blind")
		}

		if err := s.Shred(ctx, "survivor-7"); err != nil {
			t.Fatal(err)
		}
		for name, sl := range map[string]*Sealer{"shredding process": s, "other process": server} {
			if _, err := sl.Open(ctx, "survivor-7", "name", ct); !errors.Is(err, ErrShredded) {
				t.Errorf("%s: Open after Shred = %v, want ErrShredded", name, err)
			}
			if _, err := sl.Seal(ctx, "survivor-7", "name", []byte("again")); !errors.Is(err, ErrShredded) {
				t.Errorf("%s: Seal after Shred = %v, want ErrShredded", name, err)
			}
		}
		if got, err := s.Open(ctx, "survivor-8", "name", kept); err != nil || string(got) != "Synthetic Kept Name" {
			t.Errorf("another subject after Shred: %q, %v", got, err)
		}
		if holds(raw(), secret) {
			t.Error("the raw database still holds the shredded key's bytes")
		}
		var shreddedAt *string
		var left []byte
		if err := d.QueryRow(ctx, `SELECT wrapped, shredded_at FROM data_keys WHERE subject = 'survivor-7'`).Scan(&left, &shreddedAt); err != nil {
			t.Fatal(err)
		}
		if left != nil || shreddedAt == nil {
			t.Errorf("after Shred: wrapped %x, shredded_at %v", left, shreddedAt)
		}
		if err := s.Shred(ctx, "survivor-7"); err != nil {
			t.Errorf("shredding twice: %v", err)
		}
	})
}

func TestShredSubjectWithoutKey(t *testing.T) {
	forEachEngineRaw(t, func(t *testing.T, d *db.DB, _ func() []byte) {
		ctx := context.Background()
		s := newSealer(t, d, t.TempDir())
		if err := s.Shred(ctx, "never-sealed"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Seal(ctx, "never-sealed", "name", []byte("x")); !errors.Is(err, ErrShredded) {
			t.Errorf("Seal for a subject shredded before any key: %v, want ErrShredded", err)
		}
		if e, err := s.BackupExposure(ctx); err != nil || e.Subjects != 0 {
			t.Errorf("a subject that never had a key counts as exposed: %+v, %v", e, err)
		}
	})
}

// TestShreddingAndBackups follows an old backup through a shredding and a
// rotation: the caveat docs/sealing.md states, checked.
func TestShreddingAndBackups(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := db.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := newSealer(t, d, dir)
	ct, err := s.Seal(ctx, "survivor-7", "name", []byte("Synthetic Backup Name"))
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	// A backup as a file copy: checkpointed first, the database file is all.
	if err := s.FlushShredded(ctx); err != nil {
		t.Fatal(err)
	}
	copyFile(t, d.Path(), backup)

	if err := s.Shred(ctx, "survivor-7"); err != nil {
		t.Fatal(err)
	}
	e, err := s.BackupExposure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e.Subjects != 1 || len(e.KEKs) != 1 || e.KEKs[0] != s.KEK().ID() || e.Warning() == "" {
		t.Fatalf("exposure after shredding = %+v, want one subject under the current KEK", e)
	}

	// The caveat: the old backup with the KEK still in use gives it back.
	old := openBackup(t, backup)
	oldSealer, err := New(ctx, old, s.KEK(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := oldSealer.Open(ctx, "survivor-7", "name", ct); err != nil || string(got) != "Synthetic Backup Name" {
		t.Fatalf("the old backup with the old KEK: %q, %v (expected to open: that is the exposure)", got, err)
	}
	old.Close()

	oldKEK := s.KEK()
	if err := s.Rotate(ctx, newKEKFile(t, dir, "kek-2.json")); err != nil {
		t.Fatal(err)
	}
	if e, err := s.BackupExposure(ctx); err != nil || e.Subjects != 0 || e.Warning() != "" {
		t.Fatalf("exposure after rotating = %+v, %v; want none", e, err)
	}
	if err := s.DestroyKEK(ctx, oldKEK.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "keys", "kek.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the old key file survived DestroyKEK: %v", err)
	}

	// With the old KEK destroyed, the old backup is sealed for good: the
	// current KEK is not the one it knows, and does not unwrap its keys.
	old = openBackup(t, backup)
	defer old.Close()
	if _, err := New(ctx, old, s.KEK(), Options{DataDir: dir}); !errors.Is(err, ErrUnknownKEK) {
		t.Errorf("the old backup with the new KEK: %v, want ErrUnknownKEK", err)
	}
	if _, err := Open(ctx, old, "", Options{DataDir: dir}); err == nil {
		t.Error("the old backup opened with its recorded (destroyed) KEK")
	}
}

func openBackup(t *testing.T, backup string) *db.DB {
	t.Helper()
	copyDir := t.TempDir()
	copyFile(t, backup, filepath.Join(copyDir, db.SQLiteFile))
	d, err := db.Open(context.Background(), "", copyDir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
