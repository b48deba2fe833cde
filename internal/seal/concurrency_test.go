package seal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tink-crypto/tink-go/v2/core/registry"
	"github.com/tink-crypto/tink-go/v2/tink"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

// TestConcurrentSealSameSubject has several processes' worth of Sealers
// seal for the same new subjects at once: each subject gets one key, and
// every value opens.
func TestConcurrentSealSameSubject(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		first := newSealer(t, d, dir)
		sealers := []*Sealer{first}
		for range 3 {
			s, err := New(ctx, d, first.KEK(), Options{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			sealers = append(sealers, s)
		}
		type sealed struct {
			subject, value string
			ct             []byte
		}
		var mu sync.Mutex
		var all []sealed
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for w, s := range sealers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 10 {
					subject := fmt.Sprintf("survivor-%d", i)
					value := fmt.Sprintf("value %d from %d", i, w)
					ct, err := s.Seal(ctx, subject, "name", []byte(value))
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					all = append(all, sealed{subject, value, ct})
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var keys int
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM data_keys`).Scan(&keys); err != nil {
			t.Fatal(err)
		}
		if keys != 10 {
			t.Errorf("%d data keys for 10 subjects", keys)
		}
		for _, s := range sealers {
			for _, v := range all {
				got, err := s.Open(ctx, v.subject, "name", v.ct)
				if err != nil || string(got) != v.value {
					t.Fatalf("Open(%s) = %q, %v", v.subject, got, err)
				}
			}
		}
	})
}

// TestRotateWhileServing rotates while another Sealer — the server — keeps
// sealing for new subjects and opening old ones.
func TestRotateWhileServing(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		admin := newSealer(t, d, dir)
		old := sealMany(t, admin, 3*rotateBatch)
		server, err := New(ctx, d, admin.KEK(), Options{DataDir: dir, CacheSize: 16})
		if err != nil {
			t.Fatal(err)
		}
		newKEK := newKEKFile(t, dir, "kek-2.json")
		slow := &slowKEK{KEK: newKEK} // a KMS's latency, so the rotation takes a while

		var done atomic.Bool
		var during atomic.Int64
		var served sync.Map
		var serveErr error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !done.Load() || i < 20; i++ {
				subject := fmt.Sprintf("during-%d", i)
				ct, err := server.Seal(ctx, subject, "name", []byte("name of "+subject))
				if err != nil {
					serveErr = fmt.Errorf("seal %s: %w", subject, err)
					return
				}
				served.Store(subject, ct)
				if !done.Load() {
					during.Add(1)
				}
				oldSubject := fmt.Sprintf("survivor-%04d", (i*37)%len(old))
				if got, err := server.Open(ctx, oldSubject, "name", old[oldSubject]); err != nil || string(got) != "name of "+oldSubject {
					serveErr = fmt.Errorf("open %s: %q, %w", oldSubject, got, err)
					return
				}
			}
		}()
		err = admin.Rotate(ctx, slow)
		done.Store(true)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if serveErr != nil {
			t.Fatal(serveErr)
		}
		only, err := New(ctx, d, newKEK, Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		openAll(t, only, old)
		n := 0
		served.Range(func(k, v any) bool {
			n++
			subject := k.(string)
			if got, err := only.Open(ctx, subject, "name", v.([]byte)); err != nil || string(got) != "name of "+subject {
				t.Errorf("a key made during the rotation: Open(%s) = %q, %v", subject, got, err)
			}
			return true
		})
		if during.Load() < 5 {
			t.Errorf("only %d seals overlapped the rotation: the test did not exercise serving during it", during.Load())
		}
		t.Logf("%d of %d subjects sealed by the server while the rotation ran", during.Load(), n)
	})
}

type slowKEK struct{ KEK }

func (s *slowKEK) Encrypt(plaintext, ad []byte) ([]byte, error) {
	time.Sleep(time.Millisecond)
	return s.KEK.Encrypt(plaintext, ad)
}

// fakeKMS serves KEKs under "fake-kms://" from local keysets, as a cloud
// KMS client would from remote keys.
type fakeKMS struct {
	keys  map[string]tink.AEAD
	calls atomic.Int64
}

func (f *fakeKMS) Supported(uri string) bool { return strings.HasPrefix(uri, "fake-kms://") }

func (f *fakeKMS) GetAEAD(uri string) (tink.AEAD, error) {
	a, ok := f.keys[uri]
	if !ok {
		return nil, errors.New("no such key in the KMS")
	}
	return countingAEAD{a, &f.calls}, nil
}

type countingAEAD struct {
	tink.AEAD
	calls *atomic.Int64
}

func (c countingAEAD) Decrypt(ct, ad []byte) ([]byte, error) {
	c.calls.Add(1)
	return c.AEAD.Decrypt(ct, ad)
}

func TestKMSKEK(t *testing.T) {
	ctx := context.Background()
	keysetJSON, err := GenerateKEK()
	if err != nil {
		t.Fatal(err)
	}
	local, err := KEKFromKeyset(keysetJSON, "")
	if err != nil {
		t.Fatal(err)
	}
	kms := &fakeKMS{keys: map[string]tink.AEAD{"fake-kms://projects/p/keys/k1": local}}
	registry.RegisterKMSClient(kms)

	dir := t.TempDir()
	d := dbtest.SQLite(t)
	s := newSealer(t, d, dir)
	sealed := sealMany(t, s, 20)

	k, err := OpenKEK(ctx, "fake-kms://projects/p/keys/k1", "")
	if err != nil {
		t.Fatal(err)
	}
	if k.ID() != "fake-kms://projects/p/keys/k1" || k.URI() != k.ID() {
		t.Errorf("KMS KEK ID %q, URI %q", k.ID(), k.URI())
	}
	if err := s.Rotate(ctx, k); err != nil {
		t.Fatal(err)
	}
	// A process started on the database finds the KMS key from the URI it
	// records, and unwraps each key once thanks to the cache.
	s2, err := Open(ctx, d, "", Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	before := kms.calls.Load()
	openAll(t, s2, sealed)
	openAll(t, s2, sealed)
	if calls := kms.calls.Load() - before; calls != int64(len(sealed)) {
		t.Errorf("%d KMS decryptions to open %d subjects twice, want %d", calls, len(sealed), len(sealed))
	}
	if _, err := OpenKEK(ctx, "other-kms://x", ""); err == nil {
		t.Error("OpenKEK of a URI no client serves succeeded")
	}
}
