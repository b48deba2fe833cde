package seal

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/db/dbtest"
)

// splitmix64 gives the synthetic content: word i of a test blob is
// splitmix64(i), so any range can be checked without keeping the blob.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// patternAt fills p with the synthetic content from offset off.
func patternAt(p []byte, off int64) {
	for i := 0; i < len(p); {
		pos := off + int64(i)
		if pos%8 == 0 && len(p)-i >= 8 {
			binary.LittleEndian.PutUint64(p[i:], splitmix64(uint64(pos/8)))
			i += 8
			continue
		}
		p[i] = byte(splitmix64(uint64(pos/8)) >> (8 * (pos % 8)))
		i++
	}
}

type patternReader struct{ off, size int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.size-r.off)]
	patternAt(p, r.off)
	r.off += int64(len(p))
	return len(p), nil
}

func pattern(n int64) []byte {
	p := make([]byte, n)
	patternAt(p, 0)
	return p
}

// encryptBlob seals plain, written in uneven pieces.
func encryptBlob(t testing.TB, s *Sealer, plain, ad []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := s.EncryptWriter(&out, ad)
	if err != nil {
		t.Fatal(err)
	}
	for rest := plain; len(rest) > 0; {
		n := min(len(rest), 7777)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestBlobRoundTrip(t *testing.T) {
	s := newSealer(t, dbtest.SQLite(t), t.TempDir())
	const c = blobChunkSize
	for _, size := range []int64{0, 1, 1000, c - 1, c, c + 1, 2 * c, 3*c + 12345} {
		plain := pattern(size)
		ad := []byte("blob-" + string(rune('a'+size%26)))
		ct := encryptBlob(t, s, plain, ad)
		if size > 64 && bytes.Contains(ct, plain[:64]) {
			t.Fatalf("size %d: the ciphertext holds the plaintext", size)
		}
		r, err := s.DecryptReader(bytes.NewReader(ct), ad)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if r.Size() != size {
			t.Errorf("size %d: Size() = %d", size, r.Size())
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("size %d: ReadAll gave %d bytes, %v", size, len(got), err)
		}
		// Reads across chunk boundaries, by offset and after seeking.
		for _, off := range []int64{0, 1, c - 1, c, c + 1, 2*c - 3, size - 1, size / 2} {
			if off < 0 || off >= size {
				continue
			}
			n := min(int64(c+10), size-off)
			buf := make([]byte, n)
			if k, err := r.ReadAt(buf, off); err != nil && !(err == io.EOF && int64(k) == n) {
				t.Fatalf("size %d: ReadAt(%d, %d) = %d, %v", size, n, off, k, err)
			}
			if !bytes.Equal(buf, plain[off:off+n]) {
				t.Fatalf("size %d: ReadAt(%d, %d) returned other bytes", size, n, off)
			}
			if _, err := r.Seek(off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(r, buf); err != nil || !bytes.Equal(buf, plain[off:off+n]) {
				t.Fatalf("size %d: Seek(%d) then Read: %v", size, off, err)
			}
		}
		if pos, err := r.Seek(0, io.SeekEnd); err != nil || pos != size {
			t.Errorf("size %d: Seek to the end = %d, %v", size, pos, err)
		}
		if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Errorf("size %d: Read at the end = %d, %v", size, n, err)
		}
		if n, err := r.ReadAt(make([]byte, 1), size); n != 0 || err != io.EOF {
			t.Errorf("size %d: ReadAt past the end = %d, %v", size, n, err)
		}
	}
}

func TestBlobRefusesTampering(t *testing.T) {
	s := newSealer(t, dbtest.SQLite(t), t.TempDir())
	const c = blobChunkSize
	plain := pattern(3*c + 100)
	ad := []byte("evidence-1")
	ct := encryptBlob(t, s, plain, ad)
	l := s.blobKey.layout
	chunkStart := func(i int64) int64 { return blobHeaderSize + i*l.chunkCT }
	altered := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(ct)) }
	flip := func(at int64) []byte {
		return altered(func(b []byte) []byte { b[at] ^= 0x40; return b })
	}

	atOpen := []struct {
		name string
		ct   []byte
		ad   []byte
	}{
		{"other associated data", ct, []byte("evidence-2")},
		{"no associated data", ct, nil},
		{"header altered", flip(5), ad},
		{"trailer altered", flip(int64(len(ct)) - 3), ad},
		{"trailer dropped", ct[:int64(len(ct))-l.trailerCT], ad},
		{"last chunk dropped, trailer kept", altered(func(b []byte) []byte {
			return append(b[:chunkStart(3)], b[int64(len(b))-l.trailerCT:]...)
		}), ad},
		{"cut in the middle", ct[:len(ct)/2], ad},
		{"bytes appended", append(bytes.Clone(ct), 0), ad},
		{"empty", nil, ad},
		{"not a blob", []byte(strings.Repeat("x", 200)), ad},
	}
	for _, tt := range atOpen {
		if _, err := s.DecryptReader(bytes.NewReader(tt.ct), tt.ad); !errors.Is(err, ErrCiphertext) {
			t.Errorf("%s: DecryptReader = %v, want ErrCiphertext", tt.name, err)
		}
	}

	// Damage inside a chunk shows when that chunk is read, and only then:
	// the rest of a damaged video still plays.
	atRead := []struct {
		name     string
		ct       []byte
		badAt    int64 // a plaintext offset whose segment is damaged
		intactAt int64
	}{
		{"chunk 1 altered", flip(chunkStart(1) + 100), c + 10, 10},
		{"chunk 2's last tag altered", flip(chunkStart(3) - 1), 3*c - 1000, 2*c + 10},
		{"chunks 0 and 1 swapped", altered(func(b []byte) []byte {
			c0 := bytes.Clone(b[chunkStart(0):chunkStart(1)])
			copy(b[chunkStart(0):], b[chunkStart(1):chunkStart(2)])
			copy(b[chunkStart(1):], c0)
			return b
		}), 10, 2*c + 10},
	}
	for _, tt := range atRead {
		r, err := s.DecryptReader(bytes.NewReader(tt.ct), ad)
		if err != nil {
			t.Fatalf("%s: DecryptReader: %v", tt.name, err)
		}
		buf := make([]byte, 1000)
		if _, err := r.ReadAt(buf, tt.badAt); !errors.Is(err, ErrCiphertext) {
			t.Errorf("%s: ReadAt in the damaged part = %v, want ErrCiphertext", tt.name, err)
		}
		if _, err := r.ReadAt(buf, tt.intactAt); err != nil || !bytes.Equal(buf, plain[tt.intactAt:][:1000]) {
			t.Errorf("%s: ReadAt in an intact part = %v", tt.name, err)
		}
		if _, err := io.ReadAll(r); !errors.Is(err, ErrCiphertext) {
			t.Errorf("%s: reading it all = %v, want ErrCiphertext", tt.name, err)
		}
	}

	// Another deployment's key does not open it.
	other := newSealer(t, dbtest.SQLite(t), t.TempDir())
	if _, err := other.DecryptReader(bytes.NewReader(ct), ad); !errors.Is(err, ErrCiphertext) {
		t.Errorf("another deployment: %v, want ErrCiphertext", err)
	}
}

// failingSource fails every read after the header.
type failingSource struct{ ct []byte }

func (f failingSource) ReadAt(p []byte, off int64) (int, error) {
	if off >= blobHeaderSize {
		return 0, errors.New("connection reset")
	}
	return copy(p, f.ct[off:]), nil
}

func TestBlobSourceFailureIsNotTampering(t *testing.T) {
	s := newSealer(t, dbtest.SQLite(t), t.TempDir())
	ct := encryptBlob(t, s, pattern(1000), nil)
	_, err := s.DecryptReaderAt(failingSource{ct}, int64(len(ct)), nil)
	if err == nil || errors.Is(err, ErrCiphertext) || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("DecryptReaderAt over a failing source = %v, want the source's error", err)
	}
}

func TestBlobName(t *testing.T) {
	s := newSealer(t, dbtest.SQLite(t), t.TempDir())
	other := newSealer(t, dbtest.SQLite(t), t.TempDir())
	sum := sha256.Sum256([]byte("a known video"))
	hash := hex.EncodeToString(sum[:])
	name := s.BlobName(hash)
	if len(name) != 64 || strings.Trim(name, "0123456789abcdef") != "" {
		t.Errorf("BlobName = %q, want 64 lowercase hex digits", name)
	}
	if name == hash {
		t.Error("BlobName is the content hash")
	}
	if s.BlobName(strings.ToUpper(hash)) != name || s.BlobName(hash) != name {
		t.Error("BlobName is not a function of the hash")
	}
	if other.BlobName(hash) == name {
		t.Error("two deployments name the same content alike")
	}
	sum2 := sha256.Sum256([]byte("another video"))
	if s.BlobName(hex.EncodeToString(sum2[:])) == name {
		t.Error("two contents share a name")
	}
}

// TestBlobLargeConstantMemory streams hundreds of MiB through encryption
// and decryption with the heap sampled throughout, then reads at random
// offsets.
func TestBlobLargeConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 320 MiB")
	}
	const size = 320 << 20
	s := newSealer(t, dbtest.SQLite(t), t.TempDir())
	path := filepath.Join(t.TempDir(), "blob.sealed")
	ad := []byte("large-evidence")

	peak := sampleHeap(t)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := s.EncryptWriter(f, ad)
	if err != nil {
		t.Fatal(err)
	}
	wantHash := sha256.New()
	if _, err := io.CopyBuffer(w, io.TeeReader(&patternReader{size: size}, wantHash), make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	r, err := s.DecryptReader(f, ad)
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != size {
		t.Fatalf("Size() = %d", r.Size())
	}
	gotHash := sha256.New()
	if _, err := io.Copy(gotHash, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotHash.Sum(nil), wantHash.Sum(nil)) {
		t.Fatal("the decrypted stream differs from what was encrypted")
	}

	rng := rand.New(rand.NewPCG(1, 2))
	buf, want := make([]byte, 64<<10), make([]byte, 64<<10)
	for i := range 200 {
		off := rng.Int64N(size)
		n := min(int64(1+rng.IntN(len(buf))), size-off)
		patternAt(want[:n], off)
		if i%2 == 0 {
			if _, err := r.ReadAt(buf[:n], off); err != nil && err != io.EOF {
				t.Fatalf("ReadAt(%d, %d): %v", n, off, err)
			}
		} else {
			if _, err := r.Seek(off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(r, buf[:n]); err != nil {
				t.Fatalf("Seek(%d) and Read(%d): %v", off, n, err)
			}
		}
		if !bytes.Equal(buf[:n], want[:n]) {
			t.Fatalf("read %d bytes at %d: wrong content", n, off)
		}
	}
	if p := peak(); p > 48<<20 {
		t.Errorf("the heap grew by %d MiB while streaming %d MiB", p>>20, size>>20)
	} else {
		t.Logf("heap grew by at most %.1f MiB while streaming %d MiB", float64(p)/(1<<20), size>>20)
	}
}

// sampleHeap samples the heap in use every few milliseconds until the
// returned function is called, which reports the largest growth seen.
func sampleHeap(t *testing.T) func() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > base && ms.HeapInuse-base > peak.Load() {
					peak.Store(ms.HeapInuse - base)
				}
			}
		}
	}()
	var once sync.Once
	done := func() uint64 {
		once.Do(func() { close(stop); wg.Wait() })
		return peak.Load()
	}
	t.Cleanup(func() { done() })
	return done
}

func TestBlobWriterErrors(t *testing.T) {
	s := newSealer(t, dbtest.SQLite(t), t.TempDir())
	w, err := s.EncryptWriter(io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("late")); err == nil {
		t.Error("Write after Close succeeded")
	}
	if _, err := s.EncryptWriter(brokenWriter{}, nil); err == nil {
		t.Error("EncryptWriter onto a failing writer succeeded")
	}
}

type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestPadme(t *testing.T) {
	for _, tt := range []struct{ in, want int64 }{
		{0, 0}, {1, 1}, {2, 2}, {8, 8}, {9, 10}, {100, 104}, {1000, 1024}, {1000001, 1015808},
		{1 << 30, 1 << 30}, {1<<30 + 1, 1<<30 + 1<<25},
	} {
		if got := padme(tt.in); got != tt.want {
			t.Errorf("padme(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 100000 {
		l := rng.Int64N(1 << 40)
		p := padme(l)
		if p < l || float64(p-l) > 0.12*float64(l)+1 || padme(p) != p {
			t.Fatalf("padme(%d) = %d", l, p)
		}
	}
}

func TestBlobSizeIsPadded(t *testing.T) {
	s := newSealer(t, dbtest.SQLite(t), t.TempDir())
	a := encryptBlob(t, s, pattern(1000001), nil)
	b := encryptBlob(t, s, pattern(1000500), nil)
	if len(a) != len(b) {
		t.Errorf("files of 1000001 and 1000500 bytes stored as %d and %d bytes: the size gives the file away", len(a), len(b))
	}
	r, err := s.DecryptReader(bytes.NewReader(b), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, pattern(1000500)) {
		t.Errorf("the padded blob reads back %d bytes, %v", len(got), err)
	}
}
