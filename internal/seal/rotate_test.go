package seal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/tink-crypto/tink-go/v2/keyset"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

// sealMany seals one name for each of n subjects and returns the ciphertexts.
func sealMany(t *testing.T, s *Sealer, n int) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	sealed := make(map[string][]byte, n)
	err := s.d.Write(ctx, func(tx *db.Tx) error {
		for i := range n {
			subject := fmt.Sprintf("survivor-%04d", i)
			ct, err := s.SealTx(ctx, tx, subject, "name", []byte("name of "+subject))
			if err != nil {
				return err
			}
			sealed[subject] = ct
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sealed
}

func openAll(t *testing.T, s *Sealer, sealed map[string][]byte) {
	t.Helper()
	for subject, ct := range sealed {
		got, err := s.Open(context.Background(), subject, "name", ct)
		if err != nil {
			t.Fatalf("Open(%s): %v", subject, err)
		}
		if string(got) != "name of "+subject {
			t.Fatalf("Open(%s) = %q", subject, got)
		}
	}
}

func TestRotate(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		s := newSealer(t, d, dir)
		oldKEK := s.KEK()
		sealed := sealMany(t, s, 2*rotateBatch+50) // several batches
		tokens := s.IndexTokens("Fatima")
		blobName := s.BlobName("ab")
		before := wrappedKeyOf(t, d, "survivor-0001")

		newKEK := newKEKFile(t, dir, "kek-2.json")
		if err := s.Rotate(ctx, newKEK); err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(wrappedKeyOf(t, d, "survivor-0001"), before) {
			t.Error("the data key was not re-wrapped")
		}

		// A process with only the new KEK opens everything sealed before.
		fresh, err := New(ctx, d, newKEK, Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		openAll(t, fresh, sealed)
		if got := fresh.IndexTokens("Fatima"); !equalStrings(got, tokens) {
			t.Error("the blind index changed with the KEK")
		}
		if fresh.BlobName("ab") != blobName {
			t.Error("blob names changed with the KEK")
		}

		// The old KEK is refused, and unwraps nothing any more.
		if _, err := New(ctx, d, oldKEK, Options{DataDir: dir}); !errors.Is(err, ErrKEKRetired) {
			t.Errorf("New with the old KEK: %v, want ErrKEKRetired", err)
		}
		if _, err := keyset.ReadWithAssociatedData(keyset.NewBinaryReader(bytes.NewReader(wrappedKeyOf(t, d, "survivor-0001"))),
			oldKEK, dataKeyAD("survivor-0001", keyIDOf(t, d, "survivor-0001"))); err == nil {
			t.Error("the old KEK still unwraps a rotated key")
		}
		if err := s.Rotate(ctx, oldKEK); !errors.Is(err, ErrKEKRetired) {
			t.Errorf("rotating back to a retired KEK: %v, want ErrKEKRetired", err)
		}

		st, err := s.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Current != newKEK.ID() || st.Rotating || st.DataKeys != len(sealed) || len(st.KEKs) != 2 ||
			st.KEKs[0].RetiredAt.IsZero() || st.KEKs[0].Keys != 0 || st.KEKs[1].Keys != len(sealed)+3 {
			t.Errorf("status after rotating: %+v", st)
		}
	})
}

func keyIDOf(t *testing.T, d *db.DB, subject string) string {
	t.Helper()
	var id string
	if err := d.QueryRow(context.Background(), `SELECT key_id FROM data_keys WHERE subject = $1`, subject).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// failingKEK is a KEK that stops encrypting after a number of calls, as a
// rotation interrupted by a crash or a KMS outage.
type failingKEK struct {
	KEK
	left atomic.Int64
}

func (f *failingKEK) Encrypt(plaintext, ad []byte) ([]byte, error) {
	if f.left.Add(-1) < 0 {
		return nil, errors.New("KMS unavailable")
	}
	return f.KEK.Encrypt(plaintext, ad)
}

func TestRotateResumesAndServesMeanwhile(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		s := newSealer(t, d, dir)
		sealed := sealMany(t, s, rotateBatch+100)

		// A server: another Sealer, which has only the old KEK in memory.
		server, err := New(ctx, d, s.KEK(), Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}

		newKEK := newKEKFile(t, dir, "kek-2.json")
		flaky := &failingKEK{KEK: newKEK}
		flaky.left.Store(rotateBatch + 3 + 10) // the first batch, then part of the second
		if err := s.Rotate(ctx, flaky); err == nil {
			t.Fatal("Rotate succeeded with a failing KEK")
		}
		st, err := s.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Rotating || st.Current != newKEK.ID() {
			t.Fatalf("status of an interrupted rotation: %+v", st)
		}
		var moved int
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM data_keys WHERE kek_id = $1`, newKEK.ID()).Scan(&moved); err != nil {
			t.Fatal(err)
		}
		if moved != rotateBatch {
			t.Errorf("%d keys re-wrapped before the failure, want the first batch (%d)", moved, rotateBatch)
		}

		// Meanwhile the server opens keys under either KEK (it reaches the
		// new one through the URI the database records) and wraps new keys
		// with the new KEK.
		openAll(t, server, sealed)
		if _, err := server.Seal(ctx, "survivor-new", "name", []byte("during rotation")); err != nil {
			t.Fatal(err)
		}
		var kekID string
		if err := d.QueryRow(ctx, `SELECT kek_id FROM data_keys WHERE subject = 'survivor-new'`).Scan(&kekID); err != nil {
			t.Fatal(err)
		}
		if kekID != newKEK.ID() {
			t.Errorf("a key made during the rotation is wrapped by %s, want the new KEK %s", kekID, newKEK.ID())
		}

		// Resumed, the rotation finishes.
		if err := s.Rotate(ctx, newKEK); err != nil {
			t.Fatal(err)
		}
		st, err = s.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Rotating {
			t.Errorf("still rotating after resuming: %+v", st)
		}
		fresh, err := New(ctx, d, newKEK, Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		openAll(t, fresh, sealed)
		openAll(t, server, sealed)
	})
}

func TestRotationOvertakenByAnother(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		s := newSealer(t, d, dir)
		sealed := sealMany(t, s, rotateBatch+10)
		k2 := newKEKFile(t, dir, "kek-2.json")
		flaky := &failingKEK{KEK: k2}
		flaky.left.Store(rotateBatch + 3 + 1)
		if err := s.Rotate(ctx, flaky); err == nil {
			t.Fatal("Rotate succeeded with a failing KEK")
		}
		k3 := newKEKFile(t, dir, "kek-3.json")
		if err := s.Rotate(ctx, k3); err != nil {
			t.Fatal(err)
		}
		st, err := s.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Current != k3.ID() || st.Rotating || len(st.KEKs) != 3 {
			t.Fatalf("status: %+v", st)
		}
		for _, k := range st.KEKs {
			if (k.ID == k3.ID()) != k.RetiredAt.IsZero() {
				t.Errorf("KEK %s retired at %v", k.ID, k.RetiredAt)
			}
		}
		if err := s.Rotate(ctx, k2); !errors.Is(err, ErrKEKRetired) {
			t.Errorf("resuming the overtaken rotation: %v, want ErrKEKRetired", err)
		}
		only3, err := New(ctx, d, k3, Options{})
		if err != nil {
			t.Fatal(err)
		}
		openAll(t, only3, sealed)
	})
}
