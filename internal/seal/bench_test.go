package seal

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/db/dbtest"
)

// Per-operation cost of sealed fields on SQLite: each Seal and Open looks
// the subject's key row up (so a shredding elsewhere is seen at once); the
// unwrapped key comes from the cache.
func BenchmarkSeal(b *testing.B) {
	ctx := context.Background()
	s := newSealer(b, dbtest.SQLite(b), b.TempDir())
	name := []byte("Zainab Synthetica Qorvalli")
	if _, err := s.Seal(ctx, "survivor-1", "name", name); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Seal(ctx, "survivor-1", "name", name); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	ctx := context.Background()
	s := newSealer(b, dbtest.SQLite(b), b.TempDir())
	ct, err := s.Seal(ctx, "survivor-1", "name", []byte("Zainab Synthetica Qorvalli"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Open(ctx, "survivor-1", "name", ct); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenUnwrapping opens with the key never in the cache: the cost
// of unwrapping with a local key file (a KMS adds its round trip).
func BenchmarkOpenUnwrapping(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	s, err := New(ctx, dbtest.SQLite(b), newKEKFile(b, dir, "kek.json"), Options{DataDir: dir, CacheSize: 1})
	if err != nil {
		b.Fatal(err)
	}
	var cts [2][]byte
	for i, subject := range []string{"survivor-1", "survivor-2"} {
		if cts[i], err = s.Seal(ctx, subject, "name", []byte("name")); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.Open(ctx, []string{"survivor-1", "survivor-2"}[i%2], "name", cts[i%2]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkIndexTokens(b *testing.B) {
	s := newSealer(b, dbtest.SQLite(b), b.TempDir())
	text := strings.Repeat("They came at night to the compound near the water tower and took my sister. ", 10)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		s.IndexTokens(text)
	}
}

const benchBlobSize = 256 << 20

func BenchmarkEncryptStream(b *testing.B) {
	s := newSealer(b, dbtest.SQLite(b), b.TempDir())
	plain := pattern(benchBlobSize)
	b.SetBytes(benchBlobSize)
	for b.Loop() {
		w, err := s.EncryptWriter(io.Discard, []byte("bench"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(w, bytes.NewReader(plain)); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecryptStream(b *testing.B) {
	s := newSealer(b, dbtest.SQLite(b), b.TempDir())
	ct := encryptBlob(b, s, pattern(benchBlobSize), []byte("bench"))
	b.SetBytes(benchBlobSize)
	for b.Loop() {
		r, err := s.DecryptReader(bytes.NewReader(ct), []byte("bench"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRangeRead reads 64 KiB at random offsets, as a video player's
// Range requests do: each costs the decryption of at most one chunk.
func BenchmarkRangeRead(b *testing.B) {
	s := newSealer(b, dbtest.SQLite(b), b.TempDir())
	ct := encryptBlob(b, s, pattern(benchBlobSize), []byte("bench"))
	r, err := s.DecryptReader(bytes.NewReader(ct), []byte("bench"))
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := r.Seek(rng.Int64N(benchBlobSize-int64(len(buf))), io.SeekStart); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r, buf); err != nil {
			b.Fatal(err)
		}
	}
}
