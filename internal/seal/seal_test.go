package seal

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// newKEKFile creates a key file under dir/keys and returns its KEK.
func newKEKFile(t testing.TB, dir, name string) KEK {
	t.Helper()
	if err := CreateKEKFile(filepath.Join(dir, "keys", name)); err != nil {
		t.Fatal(err)
	}
	k, err := OpenKEK(context.Background(), "file:keys/"+name, dir)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newSealer returns a Sealer on d with a fresh key file in dir.
func newSealer(t testing.TB, d *db.DB, dir string) *Sealer {
	t.Helper()
	s, err := New(context.Background(), d, newKEKFile(t, dir, "kek.json"), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpenRoundTrip(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newSealer(t, d, t.TempDir())
		values := map[string][]byte{
			"name":      []byte("Nadia Synthetic-Oyelaran"),
			"residence": []byte("حي النصر، الخرطوم"),
			"empty":     {},
		}
		sealed := map[string][]byte{}
		for field, v := range values {
			ct, err := s.Seal(ctx, "survivor-1", field, v)
			if err != nil {
				t.Fatalf("seal %s: %v", field, err)
			}
			if len(v) > 0 && bytes.Contains(ct, v) {
				t.Fatalf("ciphertext of %s contains the plaintext", field)
			}
			sealed[field] = ct
		}
		again, _ := s.Seal(ctx, "survivor-1", "name", values["name"])
		if bytes.Equal(again, sealed["name"]) {
			t.Error("sealing the same value twice gave the same ciphertext")
		}
		// A second Sealer (another process) with the same KEK opens them,
		// unwrapping the key from the database rather than from a cache.
		other, err := New(ctx, d, s.KEK(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, opener := range []*Sealer{s, other} {
			for field, ct := range sealed {
				got, err := opener.Open(ctx, "survivor-1", field, ct)
				if err != nil {
					t.Fatalf("open %s: %v", field, err)
				}
				if !bytes.Equal(got, values[field]) {
					t.Errorf("open %s = %q, want %q", field, got, values[field])
				}
			}
		}
		var keys int
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM data_keys`).Scan(&keys); err != nil {
			t.Fatal(err)
		}
		if keys != 1 {
			t.Errorf("%d data keys for one subject, want 1", keys)
		}
	})
}

func TestOpenRefusesMovedAndAlteredCiphertext(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newSealer(t, d, t.TempDir())
		ct, err := s.Seal(ctx, "survivor-1", "name", []byte("Amal Synthetic"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Seal(ctx, "survivor-2", "name", []byte("Other Person")); err != nil {
			t.Fatal(err)
		}
		flip := func(i int) []byte {
			c := bytes.Clone(ct)
			c[i] ^= 0x01
			return c
		}
		tests := []struct {
			name           string
			subject, field string
			ciphertext     []byte
			want           error
		}{
			{"another subject's row", "survivor-2", "name", ct, ErrCiphertext},
			{"another field", "survivor-1", "contact", ct, ErrCiphertext},
			{"a subject without key", "survivor-3", "name", ct, ErrNoKey},
			{"key prefix altered", "survivor-1", "name", flip(1), ErrCiphertext},
			{"nonce altered", "survivor-1", "name", flip(8), ErrCiphertext},
			{"body altered", "survivor-1", "name", flip(len(ct) - 20), ErrCiphertext},
			{"tag altered", "survivor-1", "name", flip(len(ct) - 1), ErrCiphertext},
			{"truncated", "survivor-1", "name", ct[:len(ct)-1], ErrCiphertext},
			{"empty", "survivor-1", "name", nil, ErrCiphertext},
		}
		for _, tt := range tests {
			got, err := s.Open(ctx, tt.subject, tt.field, tt.ciphertext)
			if !errors.Is(err, tt.want) {
				t.Errorf("%s: Open = %q, %v; want error %v", tt.name, got, err, tt.want)
			}
		}
		if got, err := s.Open(ctx, "survivor-1", "name", ct); err != nil || string(got) != "Amal Synthetic" {
			t.Errorf("the unaltered ciphertext: Open = %q, %v", got, err)
		}
	})
}

func TestSealTxKeyRollsBackWithTheRecord(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newSealer(t, d, t.TempDir())
		failed := errors.New("the record did not validate")
		err := d.Write(ctx, func(tx *db.Tx) error {
			ct, err := s.SealTx(ctx, tx, "survivor-9", "name", []byte("Rolled Back"))
			if err != nil {
				return err
			}
			if got, err := s.OpenTx(ctx, tx, "survivor-9", "name", ct); err != nil || string(got) != "Rolled Back" {
				t.Errorf("OpenTx inside the transaction = %q, %v", got, err)
			}
			return failed
		})
		if !errors.Is(err, failed) {
			t.Fatalf("Write = %v", err)
		}
		var n int
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM data_keys WHERE subject = 'survivor-9'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatal("the data key outlived its rolled-back transaction")
		}
		var ct []byte
		err = d.Write(ctx, func(tx *db.Tx) error {
			ct, err = s.SealTx(ctx, tx, "survivor-9", "name", []byte("Committed"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.Open(ctx, "survivor-9", "name", ct); err != nil || string(got) != "Committed" {
			t.Errorf("Open after commit = %q, %v", got, err)
		}
	})
}

func TestNewRefusesAnotherKEK(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		s := newSealer(t, d, dir)
		if _, err := s.Seal(ctx, "survivor-1", "name", []byte("x")); err != nil {
			t.Fatal(err)
		}
		stranger := newKEKFile(t, dir, "stranger.json")
		if _, err := New(ctx, d, stranger, Options{DataDir: dir}); !errors.Is(err, ErrUnknownKEK) {
			t.Fatalf("New with a KEK the database does not know: %v, want ErrUnknownKEK", err)
		}
	})
}

func TestOpenDefaultKeyFile(t *testing.T) {
	ctx := context.Background()
	t.Setenv(KEKEnv, "")
	os.Unsetenv(KEKEnv)
	dir := t.TempDir()
	d := dbtest.SQLite(t)
	s, err := Open(ctx, d, "", Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, DefaultKEKFile)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("the key file was not created: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", info.Mode().Perm())
	}
	if dirInfo, _ := os.Stat(filepath.Dir(path)); dirInfo.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %04o, want 0700", dirInfo.Mode().Perm())
	}
	if s.KEK().URI() != "file:keys/kek.json" {
		t.Errorf("KEK URI %q", s.KEK().URI())
	}
	ct, err := s.Seal(ctx, "survivor-1", "name", []byte("Kept"))
	if err != nil {
		t.Fatal(err)
	}

	// The data directory moves: the relative URI recorded still finds it.
	moved := t.TempDir()
	if err := os.Rename(filepath.Join(dir, "keys"), filepath.Join(moved, "keys")); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, d, "", Options{DataDir: moved})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s2.Open(ctx, "survivor-1", "name", ct); err != nil || string(got) != "Kept" {
		t.Errorf("Open after moving = %q, %v", got, err)
	}

	// The key file is lost: no new key is made in its place.
	if _, err := Open(ctx, d, "", Options{DataDir: dir}); err == nil {
		t.Fatal("Open succeeded without the key file")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a new key file was created for a database whose keys are wrapped: %v", err)
	}

	// A key file others can read is refused.
	if err := os.Chmod(filepath.Join(moved, DefaultKEKFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, d, "", Options{DataDir: moved}); err == nil {
		t.Error("Open accepted a key file readable by others")
	}
}

func TestOpenEnvironmentKEK(t *testing.T) {
	ctx := context.Background()
	keysetJSON, err := GenerateKEK()
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range map[string]string{
		"json":   string(keysetJSON),
		"base64": encodeBase64(keysetJSON),
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(KEKEnv, value)
			dir := t.TempDir()
			d := dbtest.SQLite(t)
			s, err := Open(ctx, d, "", Options{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if s.KEK().URI() != "env://DOSSIER_KEK" {
				t.Errorf("KEK URI %q, want env://DOSSIER_KEK", s.KEK().URI())
			}
			if _, err := os.Stat(filepath.Join(dir, DefaultKEKFile)); !errors.Is(err, os.ErrNotExist) {
				t.Error("a key file was created although DOSSIER_KEK is set")
			}
			if _, err := s.Seal(ctx, "s", "f", []byte("v")); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("unset", func(t *testing.T) {
		if _, err := OpenKEK(ctx, "env://DOSSIER_KEK_NOT_SET", ""); err == nil {
			t.Error("OpenKEK of an unset variable succeeded")
		}
	})
	t.Run("garbage", func(t *testing.T) {
		t.Setenv("DOSSIER_KEK_GARBAGE", "not a keyset")
		if _, err := OpenKEK(ctx, "env://DOSSIER_KEK_GARBAGE", ""); err == nil {
			t.Error("OpenKEK of garbage succeeded")
		}
	})
}

func TestKEKPath(t *testing.T) {
	tests := []struct {
		uri, dataDir, want string
		ok                 bool
	}{
		{"file:keys/kek.json", "/data", "/data/keys/kek.json", true},
		{"file:///etc/dossier/kek.json", "/data", "/etc/dossier/kek.json", true},
		{"file:/etc/dossier/kek.json", "", "/etc/dossier/kek.json", true},
		{"file:keys/kek.json", "", "", false},
		{"file://relative/kek.json", "/data", "", false},
		{"env://X", "/data", "", false},
	}
	for _, tt := range tests {
		got, err := KEKPath(tt.uri, tt.dataDir)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("KEKPath(%q, %q) = %q, %v; want %q, ok=%v", tt.uri, tt.dataDir, got, err, tt.want, tt.ok)
		}
	}
}

func TestCacheIsBounded(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	dir := t.TempDir()
	s, err := New(ctx, d, newKEKFile(t, dir, "kek.json"), Options{DataDir: dir, CacheSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	sealed := map[string][]byte{}
	for _, subject := range []string{"a", "b", "c", "d", "e"} {
		ct, err := s.Seal(ctx, subject, "name", []byte(subject))
		if err != nil {
			t.Fatal(err)
		}
		sealed[subject] = ct
	}
	if n := s.cache.len(); n != 3 {
		t.Errorf("cache holds %d keys, want 3", n)
	}
	for subject, ct := range sealed { // evicted keys are unwrapped again
		if got, err := s.Open(ctx, subject, "name", ct); err != nil || string(got) != subject {
			t.Errorf("Open(%s) = %q, %v", subject, got, err)
		}
	}
}

func TestSealedLengthIsPadded(t *testing.T) {
	ctx := context.Background()
	s := newSealer(t, dbtest.SQLite(t), t.TempDir())
	length := func(v string) int {
		ct, err := s.Seal(ctx, "survivor-1", "name", []byte(v))
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Open(ctx, "survivor-1", "name", ct)
		if err != nil || string(got) != v {
			t.Fatalf("round trip of %q: %q, %v", v, got, err)
		}
		return len(ct)
	}
	if a, b := length("Al"), length("Nadia Synthetic-Oyelaran"); a != b {
		t.Errorf("a 2-byte and a 24-byte name seal to %d and %d bytes", a, b)
	}
	if a, b := length(""), length(string(make([]byte, 31))); a != b {
		t.Errorf("empty and 31 zero bytes seal to %d and %d bytes", a, b)
	}
	if a, b := length(string(make([]byte, 31))), length(string(make([]byte, 32))); a == b {
		t.Errorf("31 and 32 bytes share a size class (%d): the classes are wrong", a)
	}
	for _, v := range [][]byte{{}, {0x80}, {0}, {0x80, 0}, []byte("text\x80\x00\x00")} {
		got, ok := unpad(pad(v))
		if !ok || !bytes.Equal(got, v) {
			t.Errorf("unpad(pad(%q)) = %q, %v", v, got, ok)
		}
	}
	for _, bad := range [][]byte{{}, {0, 0}, {1, 2, 3}} {
		if _, ok := unpad(bad); ok {
			t.Errorf("unpad(%q) accepted", bad)
		}
	}
}
