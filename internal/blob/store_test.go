package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	mathrand "math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/blob/blobtest"
)

func TestMain(m *testing.M) { os.Exit(blobtest.Main(m)) }

// kinds are the two stores: content in clear under its hash, and sealed.
var kinds = []struct {
	name  string
	store func(t testing.TB, b blob.Backend) blob.Store
}{
	{"plain", func(t testing.TB, b blob.Backend) blob.Store { return blob.NewStore(b) }},
	{"sealed", func(t testing.TB, b blob.Backend) blob.Store { return blob.NewSealedStore(b, blobtest.Sealer(t)) }},
}

// forEachKind runs fn against a plain and a sealed store on a fresh
// backend of each kind.
func forEachKind(t *testing.T, fn func(t *testing.T, b blob.Backend, s blob.Store)) {
	t.Helper()
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			blobtest.ForEachBackend(t, func(t *testing.T, b blob.Backend) { fn(t, b, kind.store(t, b)) })
		})
	}
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	mathrand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}).Read(b)
	return b
}

// walk collects every blob Walk reports.
func walk(t *testing.T, s blob.Store) []blob.Ref {
	t.Helper()
	var refs []blob.Ref
	if err := s.Walk(context.Background(), func(r blob.Ref) error {
		refs = append(refs, r)
		return nil
	}); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return refs
}

// names collects every object a backend holds, staged ones included.
func names(t *testing.T, b blob.Backend) []string {
	t.Helper()
	var out []string
	if err := b.List(context.Background(), "", func(name string, size int64) error {
		out = append(out, name)
		return nil
	}); err != nil {
		t.Fatalf("List: %v", err)
	}
	return out
}

func readAll(t *testing.T, s blob.Store, sha string) []byte {
	t.Helper()
	obj, err := s.Open(context.Background(), sha)
	if err != nil {
		t.Fatalf("Open(%s): %v", sha, err)
	}
	defer obj.Close()
	got, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("read %s: %v", sha, err)
	}
	return got
}

func TestRoundTrip(t *testing.T) {
	forEachKind(t, func(t *testing.T, _ blob.Backend, s blob.Store) {
		tests := []struct {
			name    string
			content []byte
		}{
			{"empty", nil},
			{"one byte", []byte{0}},
			{"text", []byte("witness statement, page 1\n")},
			{"exactly one copy buffer", randomBytes(1, 1<<20)},
			{"one byte over a copy buffer", randomBytes(2, 1<<20+1)},
			{"several buffers", randomBytes(3, 3<<20+12345)},
		}
		ctx := context.Background()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				want := blob.Ref{SHA256: sum(tt.content), Size: int64(len(tt.content))}
				ref, existed, err := s.Put(ctx, bytes.NewReader(tt.content), "")
				if err != nil {
					t.Fatalf("Put: %v", err)
				}
				if ref != want || existed {
					t.Fatalf("Put = %+v, existed %v; want %+v, false", ref, existed, want)
				}
				stat, err := s.Stat(ctx, ref.SHA256)
				if err != nil || stat != want {
					t.Fatalf("Stat = %+v, %v; want %+v", stat, err, want)
				}
				obj, err := s.Open(ctx, ref.SHA256)
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				defer obj.Close()
				if obj.Size() != want.Size {
					t.Errorf("Object.Size = %d, want %d", obj.Size(), want.Size)
				}
				got, err := io.ReadAll(obj)
				if err != nil || !bytes.Equal(got, tt.content) {
					t.Fatalf("read back %d bytes (err %v), want the %d put", len(got), err, len(tt.content))
				}
				if len(tt.content) < 2 {
					return
				}
				// Seek into the middle and read the rest, as an HTTP range
				// request would.
				mid := int64(len(tt.content) / 2)
				if pos, err := obj.Seek(mid, io.SeekStart); err != nil || pos != mid {
					t.Fatalf("Seek(%d) = %d, %v", mid, pos, err)
				}
				rest, err := io.ReadAll(obj)
				if err != nil || !bytes.Equal(rest, tt.content[mid:]) {
					t.Fatalf("after Seek read %d bytes (err %v), want %d", len(rest), err, len(tt.content)-int(mid))
				}
				ra, ok := obj.(io.ReaderAt)
				if !ok {
					t.Fatalf("%T does not implement io.ReaderAt", obj)
				}
				buf := make([]byte, 1)
				if n, err := ra.ReadAt(buf, 1); n != 1 || buf[0] != tt.content[1] {
					t.Fatalf("ReadAt(1) = %d, %v, byte %d; want byte %d", n, err, buf[0], tt.content[1])
				}
			})
		}
		got := walk(t, s)
		if len(got) != len(tests) {
			t.Fatalf("Walk found %d blobs, want %d", len(got), len(tests))
		}
	})
}

func TestPutStoresIdenticalContentOnce(t *testing.T) {
	forEachKind(t, func(t *testing.T, _ blob.Backend, s blob.Store) {
		ctx := context.Background()
		content := []byte("the same photograph, uploaded twice")
		first, existed, err := s.Put(ctx, bytes.NewReader(content), "")
		if err != nil || existed {
			t.Fatalf("first Put: existed %v, err %v", existed, err)
		}
		second, existed, err := s.Put(ctx, bytes.NewReader(content), first.SHA256)
		if err != nil || !existed || second != first {
			t.Fatalf("second Put = %+v, existed %v, err %v; want %+v, existed", second, existed, err, first)
		}
		other, existed, err := s.Put(ctx, strings.NewReader("a different photograph"), "")
		if err != nil || existed || other.SHA256 == first.SHA256 {
			t.Fatalf("Put of other content = %+v, existed %v, err %v", other, existed, err)
		}
		if got := walk(t, s); len(got) != 2 {
			t.Fatalf("Walk = %v, want two blobs", got)
		}
	})
}

func TestPutHashMismatchKeepsNothing(t *testing.T) {
	forEachKind(t, func(t *testing.T, b blob.Backend, s blob.Store) {
		ctx := context.Background()
		content := randomBytes(4, 2<<20)
		wrong := sum([]byte("something else"))
		_, _, err := s.Put(ctx, bytes.NewReader(content), wrong)
		if !errors.Is(err, blob.ErrHashMismatch) {
			t.Fatalf("Put with a wrong hash: err = %v, want ErrHashMismatch", err)
		}
		if !strings.Contains(err.Error(), sum(content)) || !strings.Contains(err.Error(), wrong) {
			t.Errorf("error %q should name both hashes", err)
		}
		if _, err := s.Stat(ctx, sum(content)); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Stat of the rejected content: err = %v, want ErrNotFound", err)
		}
		if _, err := s.Stat(ctx, wrong); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Stat of the expected hash: err = %v, want ErrNotFound", err)
		}
		if got := names(t, b); len(got) != 0 {
			t.Fatalf("backend holds %v after a rejected Put, want nothing", got)
		}
		// The right hash, in capitals, is accepted.
		ref, _, err := s.Put(ctx, bytes.NewReader(content), strings.ToUpper(sum(content)))
		if err != nil || ref.SHA256 != sum(content) {
			t.Fatalf("Put with the right hash = %+v, %v", ref, err)
		}
	})
}

func TestInvalidHashes(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) { testInvalidHashes(t, kind.store(t, blobtest.LocalBackend(t))) })
	}
}

func testInvalidHashes(t *testing.T, s blob.Store) {
	ctx := context.Background()
	bad := []struct{ name, hash, wantInError string }{
		{"empty", "", "64 hexadecimal digits"},
		{"short", "abc", "got 3 characters"},
		{"not hex", strings.Repeat("g", 64), "'g' at position 1"},
		{"path", "../" + strings.Repeat("a", 61), "'.' at position 1"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			checks := map[string]error{}
			_, checks["Open"] = s.Open(ctx, tt.hash)
			_, checks["Stat"] = s.Stat(ctx, tt.hash)
			checks["Delete"] = s.Delete(ctx, tt.hash)
			if tt.hash != "" {
				_, _, checks["Put"] = s.Put(ctx, strings.NewReader("x"), tt.hash)
			}
			for op, err := range checks {
				if err == nil || errors.Is(err, blob.ErrNotFound) || errors.Is(err, blob.ErrHashMismatch) {
					t.Errorf("%s(%q): err = %v, want an invalid-hash error", op, tt.hash, err)
				} else if !strings.Contains(err.Error(), tt.wantInError) {
					t.Errorf("%s(%q): err = %q, want it to mention %q", op, tt.hash, err, tt.wantInError)
				}
			}
		})
	}
	if got := walk(t, s); len(got) != 0 {
		t.Fatalf("invalid hashes stored %v", got)
	}
}

func TestStatDeleteWalk(t *testing.T) {
	forEachKind(t, func(t *testing.T, _ blob.Backend, s blob.Store) {
		ctx := context.Background()
		var want []blob.Ref
		for i := range 5 {
			ref, _, err := s.Put(ctx, bytes.NewReader(randomBytes(uint64(10+i), 1000*i)), "")
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, ref)
		}
		byHash := func(a, b blob.Ref) int { return strings.Compare(a.SHA256, b.SHA256) }
		slices.SortFunc(want, byHash)
		// The plain store walks in hash order; a sealed one in an order
		// that says nothing of the hashes.
		walk := func(t *testing.T, s blob.Store) []blob.Ref {
			got := walk(t, s)
			if _, sealed := s.(*blob.SealedStore); sealed {
				slices.SortFunc(got, byHash)
			}
			return got
		}
		if got := walk(t, s); !slices.Equal(got, want) {
			t.Fatalf("Walk = %v\nwant (in hash order) %v", got, want)
		}

		gone := want[2]
		if err := s.Delete(ctx, gone.SHA256); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := s.Stat(ctx, gone.SHA256); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Stat after Delete: err = %v, want ErrNotFound", err)
		}
		if _, err := s.Open(ctx, gone.SHA256); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Open after Delete: err = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, gone.SHA256); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("second Delete: err = %v, want ErrNotFound", err)
		}
		want = slices.Delete(want, 2, 3)
		if got := walk(t, s); !slices.Equal(got, want) {
			t.Fatalf("Walk after Delete = %v\nwant %v", got, want)
		}

		// An error from fn stops the walk and comes back unchanged.
		stop := errors.New("stop here")
		calls := 0
		err := s.Walk(ctx, func(blob.Ref) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("Walk with a failing fn: err = %v after %d calls, want %v after 1", err, calls, stop)
		}
		// So does a cancelled context.
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Walk(cancelled, func(blob.Ref) error { return nil }); !errors.Is(err, context.Canceled) {
			t.Errorf("Walk with a cancelled context: err = %v, want context.Canceled", err)
		}
	})
}

func TestConcurrentIdenticalPuts(t *testing.T) {
	forEachKind(t, func(t *testing.T, b blob.Backend, s blob.Store) {
		content := randomBytes(5, 3<<20)
		const writers = 6
		var wg sync.WaitGroup
		refs := make([]blob.Ref, writers)
		existed := make([]bool, writers)
		errs := make([]error, writers)
		for i := range writers {
			wg.Go(func() {
				refs[i], existed[i], errs[i] = s.Put(context.Background(), bytes.NewReader(content), "")
			})
		}
		wg.Wait()
		created := 0
		for i := range writers {
			if errs[i] != nil {
				t.Fatalf("Put %d: %v", i, errs[i])
			}
			if refs[i].SHA256 != sum(content) || refs[i].Size != int64(len(content)) {
				t.Fatalf("Put %d = %+v", i, refs[i])
			}
			if !existed[i] {
				created++
			}
		}
		if created == 0 {
			t.Errorf("every concurrent Put reported existing content; one must have created it")
		}
		if _, local := b.(*blob.Dir); local && created != 1 {
			t.Errorf("%d concurrent Puts report creating the blob, want exactly 1", created)
		}
		if got := names(t, b); len(got) != 1 {
			t.Fatalf("backend holds %v, want the one blob and no staged objects", got)
		}
		if got := readAll(t, s, sum(content)); !bytes.Equal(got, content) {
			t.Fatalf("content read back differs from what was put")
		}
	})
}

// gatedReader yields its content in two halves and waits for the gate to
// open between them.
type gatedReader struct {
	content []byte
	pos     int
	halfway chan struct{}
	gate    chan struct{}
}

func (g *gatedReader) Read(p []byte) (int, error) {
	half := len(g.content) / 2
	if g.pos == half && g.gate != nil {
		close(g.halfway)
		<-g.gate
		g.gate = nil
	}
	end := len(g.content)
	if g.pos < half {
		end = half
	}
	if g.pos == len(g.content) {
		return 0, io.EOF
	}
	n := copy(p, g.content[g.pos:end])
	g.pos += n
	return n, nil
}

func TestNothingVisibleBeforePutCompletes(t *testing.T) {
	forEachKind(t, func(t *testing.T, _ blob.Backend, s blob.Store) {
		ctx := context.Background()
		content := randomBytes(6, 4<<20)
		r := &gatedReader{content: content, halfway: make(chan struct{}), gate: make(chan struct{})}
		done := make(chan error, 1)
		go func() {
			_, _, err := s.Put(ctx, r, "")
			done <- err
		}()
		<-r.halfway
		if _, err := s.Stat(ctx, sum(content)); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Stat halfway through Put: err = %v, want ErrNotFound", err)
		}
		if got := walk(t, s); len(got) != 0 {
			t.Errorf("Walk halfway through Put = %v, want nothing", got)
		}
		close(r.gate)
		if err := <-done; err != nil {
			t.Fatalf("Put: %v", err)
		}
		if ref, err := s.Stat(ctx, sum(content)); err != nil || ref.Size != int64(len(content)) {
			t.Fatalf("Stat after Put = %+v, %v", ref, err)
		}
	})
}

// errNotStopped ends a reader that Put should have stopped long before.
var errNotStopped = errors.New("reader still being read long after the context was cancelled")

// endlessReader produces data, calling onRead after each read, until limit
// bytes (which a test never expects to reach) and then fails.
type endlessReader struct {
	n, limit int64
	onRead   func(n int64)
}

func (e *endlessReader) Read(p []byte) (int, error) {
	if e.n >= e.limit {
		return 0, errNotStopped
	}
	p = p[:min(int64(len(p)), e.limit-e.n)]
	for i := range p {
		p[i] = byte(e.n + int64(i))
	}
	e.n += int64(len(p))
	if e.onRead != nil {
		e.onRead(e.n)
	}
	return len(p), nil
}

func TestPutStopsWhenContextIsCancelled(t *testing.T) {
	forEachKind(t, func(t *testing.T, b blob.Backend, s blob.Store) {
		t.Run("before", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, _, err := s.Put(ctx, strings.NewReader("x"), ""); !errors.Is(err, context.Canceled) {
				t.Fatalf("Put: err = %v, want context.Canceled", err)
			}
		})
		t.Run("during", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r := &endlessReader{limit: 200 << 20, onRead: func(n int64) {
				if n > 40<<20 {
					cancel()
				}
			}}
			start := time.Now()
			_, _, err := s.Put(ctx, r, "")
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Put: err = %v, want context.Canceled", err)
			}
			t.Logf("stopped after %d MiB, %v", r.n>>20, time.Since(start).Round(time.Millisecond))
		})
		if got := names(t, b); len(got) != 0 {
			t.Fatalf("backend holds %v after cancelled Puts, want nothing", got)
		}
		if got := blobtest.IncompleteUploads(t, b); len(got) != 0 {
			t.Fatalf("multipart uploads %v left after cancelled Puts", got)
		}
	})
}

type failingReader struct {
	left int
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.left == 0 {
		return 0, f.err
	}
	n := min(len(p), f.left)
	clear(p[:n])
	f.left -= n
	return n, nil
}

func TestPutReaderErrorKeepsNothing(t *testing.T) {
	forEachKind(t, func(t *testing.T, b blob.Backend, s blob.Store) {
		broken := errors.New("connection reset by the uploader")
		// Sizes either side of the S3 part size, so both a single-part and
		// a multipart upload are abandoned.
		for _, size := range []int{100, 5 << 20, 40 << 20} {
			_, _, err := s.Put(context.Background(), &failingReader{left: size, err: broken}, "")
			if !errors.Is(err, broken) {
				t.Fatalf("Put failing after %d bytes: err = %v, want %v", size, err, broken)
			}
		}
		if got := names(t, b); len(got) != 0 {
			t.Fatalf("backend holds %v after failed Puts, want nothing", got)
		}
		if got := blobtest.IncompleteUploads(t, b); len(got) != 0 {
			t.Fatalf("multipart uploads %v left after failed Puts", got)
		}
	})
}

// hashingSource is a reader of size pseudo-random bytes that hashes what it
// hands out, so a test can stream far more than it could hold.
type hashingSource struct {
	rng  *mathrand.ChaCha8
	left int64
	h    hash.Hash
}

func (s *hashingSource) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	s.rng.Read(p)
	s.h.Write(p)
	s.left -= int64(len(p))
	return len(p), nil
}

// peakHeap samples the heap in use until stop is closed and returns the
// highest value seen.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		var m runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

func TestLargeContentStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams hundreds of MiB")
	}
	const size = 320 << 20
	const bound = 96 << 20 // well under size: the content is never held whole
	forEachKind(t, func(t *testing.T, _ blob.Backend, s blob.Store) {
		ctx := context.Background()
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)

		src := &hashingSource{rng: mathrand.NewChaCha8([32]byte{7}), left: size, h: sha256.New()}
		stop := make(chan struct{})
		peak := peakHeap(stop)
		start := time.Now()
		ref, _, err := s.Put(ctx, src, "")
		elapsed := time.Since(start)
		close(stop)
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
		grew := int64(<-peak) - int64(before.HeapInuse)
		t.Logf("Put of %d MiB took %v; heap in use grew by at most %.1f MiB", size>>20, elapsed.Round(time.Millisecond), float64(grew)/(1<<20))
		if want := hex.EncodeToString(src.h.Sum(nil)); ref.SHA256 != want || ref.Size != size {
			t.Fatalf("Put = %+v, want %s, %d bytes", ref, want, size)
		}
		if grew > bound {
			t.Errorf("heap in use grew by %d MiB while streaming %d MiB, want under %d MiB", grew>>20, size>>20, bound>>20)
		}

		obj, err := s.Open(ctx, ref.SHA256)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer obj.Close()
		h := sha256.New()
		n, err := io.CopyBuffer(h, obj, make([]byte, 1<<20))
		if err != nil || n != size || hex.EncodeToString(h.Sum(nil)) != ref.SHA256 {
			t.Fatalf("read back %d bytes hashing to %x (err %v), want %d bytes hashing to %s", n, h.Sum(nil), err, size, ref.SHA256)
		}
	})
}

func TestLocationNamesNoCredentials(t *testing.T) {
	cfg := blob.S3Config{
		Endpoint: "127.0.0.1:9000", Region: "eu-west-3", Bucket: "evidence", Prefix: "vault/", Insecure: true,
		AccessKeyID: "AKIAEXAMPLEKEYID", SecretAccessKey: "wJalrXUtnFEMI-secret", SessionToken: "session-token-value",
	}
	want := "s3://evidence/vault/?endpoint=127.0.0.1%3A9000&insecure=1&region=eu-west-3"
	for _, got := range []string{cfg.String(), fmt.Sprint(cfg), fmt.Sprintf("%v", &cfg)} {
		if got != want {
			t.Errorf("S3Config shown as %q, want %q", got, want)
		}
	}
	forEachKind(t, func(t *testing.T, _ blob.Backend, s blob.Store) {
		loc := s.Location()
		if !strings.HasPrefix(loc, "file:///") && !strings.HasPrefix(loc, "s3://") {
			t.Errorf("Location() = %q, want a file:// or s3:// URL", loc)
		}
	})
}

func TestOpenFromEnvironment(t *testing.T) {
	ctx := context.Background()
	t.Run("data directory", func(t *testing.T) {
		dataDir := t.TempDir()
		s, err := blob.Open(ctx, "", dataDir)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		ref, _, err := s.Put(ctx, strings.NewReader("report"), "")
		if err != nil {
			t.Fatal(err)
		}
		path := dataDir + "/blobs/sha256/" + ref.SHA256[:2] + "/" + ref.SHA256
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("blob not at %s: %v", path, err)
		}
		if want := "file://" + dataDir + "/blobs"; s.Location() != want {
			t.Errorf("Location() = %q, want %q", s.Location(), want)
		}
	})
	t.Run("s3", func(t *testing.T) {
		cfg := blobtest.S3Bucket(t)
		location := cfg.String()
		t.Setenv("AWS_ACCESS_KEY_ID", cfg.AccessKeyID)
		t.Setenv("AWS_SECRET_ACCESS_KEY", cfg.SecretAccessKey)
		t.Setenv("AWS_SESSION_TOKEN", cfg.SessionToken)
		s, err := blob.Open(ctx, location, "")
		if err != nil {
			t.Fatalf("Open(%s): %v", location, err)
		}
		if s.Location() != location {
			t.Errorf("Location() = %q, want %q", s.Location(), location)
		}
		ref, _, err := s.Put(ctx, strings.NewReader("report"), "")
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, s, ref.SHA256); string(got) != "report" {
			t.Fatalf("read back %q", got)
		}

		failures := []struct {
			name, location, key, secret, wantInError string
		}{
			{"no secret", location, cfg.AccessKeyID, "", "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"},
			{"no key", location, "", cfg.SecretAccessKey, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"},
			{"no credentials", location, "", "", "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
			{"wrong secret", location, cfg.AccessKeyID, "not-the-secret-0123456789", "access denied|signature"},
			{"missing bucket", strings.Replace(location, cfg.Bucket, "no-such-bucket-here", 1), cfg.AccessKeyID, cfg.SecretAccessKey, `bucket "no-such-bucket-here" does not exist`},
		}
		for _, tt := range failures {
			t.Run(tt.name, func(t *testing.T) {
				t.Setenv("AWS_ACCESS_KEY_ID", tt.key)
				t.Setenv("AWS_SECRET_ACCESS_KEY", tt.secret)
				_, err := blob.Open(ctx, tt.location, "")
				if err == nil {
					t.Fatalf("Open succeeded")
				}
				// Servers word some refusals differently: any of the |-separated phrases will do.
				mentioned := false
				for _, phrase := range strings.Split(tt.wantInError, "|") {
					mentioned = mentioned || strings.Contains(strings.ToLower(err.Error()), strings.ToLower(phrase))
				}
				if !mentioned {
					t.Errorf("err = %q, want it to mention %q", err, tt.wantInError)
				}
				if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
					t.Errorf("err = %q repeats the secret key", err)
				}
			})
		}
	})
}

func TestParseLocation(t *testing.T) {
	tests := []struct {
		location, dataDir string
		wantDir           string
		wantS3            blob.S3Config
	}{
		{"", "/srv/dossier", "/srv/dossier/blobs", blob.S3Config{}},
		{"file:///var/lib/dossier/blobs", "", "/var/lib/dossier/blobs", blob.S3Config{}},
		{"file://localhost/var/blobs/", "", "/var/blobs", blob.S3Config{}},
		{"file:///srv/with%20space", "", "/srv/with space", blob.S3Config{}},
		{"s3://evidence", "", "", blob.S3Config{Bucket: "evidence"}},
		{"s3://evidence/vault/2026?endpoint=minio.internal:9000&region=eu-west-3&insecure=1", "/ignored", "",
			blob.S3Config{Bucket: "evidence", Prefix: "vault/2026/", Endpoint: "minio.internal:9000", Region: "eu-west-3", Insecure: true}},
		{"s3://evidence/vault/?insecure=0", "", "", blob.S3Config{Bucket: "evidence", Prefix: "vault/"}},
	}
	for _, tt := range tests {
		dir, s3, err := blob.ParseLocation(tt.location, tt.dataDir)
		if err != nil || dir != tt.wantDir || s3 != tt.wantS3 {
			t.Errorf("ParseLocation(%q, %q) = %q, %+v, %v; want %q, %+v", tt.location, tt.dataDir, dir, s3, err, tt.wantDir, tt.wantS3)
		}
	}
}

func TestParseLocationErrors(t *testing.T) {
	tests := []struct {
		location, dataDir string
		wantInError       string
		secret            string // must not appear in the error
	}{
		{"", "", "no data directory", ""},
		{"/srv/blobs", "", "file:///srv/blobs", ""},
		{"blobs", "", "want file:///absolute/dir or s3://", ""},
		{"file:blobs", "", "must be absolute", ""},
		{"file://server/share", "", `host "server"`, ""},
		{"file:///srv/blobs?mode=x", "", "no query", ""},
		{"ftp://host/dir", "", `unsupported scheme "ftp"`, ""},
		{"s3:///prefix", "", "no bucket", ""},
		{"s3://Evidence_Bucket", "", `bucket "Evidence_Bucket"`, ""},
		{"s3://evidence/a//b", "", "empty, . and .. segments", ""},
		{"s3://evidence/../b", "", "empty, . and .. segments", ""},
		{"s3://evidence?endpoint=http://minio:9000", "", "without scheme or path", ""},
		{"s3://evidence?endpoint=", "", "want host or host:port", ""},
		{"s3://evidence?insecure=yes", "", `insecure="yes"`, ""},
		{"s3://evidence?region=a&region=b", "", `"region" is given 2 times`, ""},
		{"s3://evidence?endpoint=h:1&secret_key=hunter2-secret", "", `unknown parameter "secret_key"`, "hunter2-secret"},
		{"s3://AKIAKEY:hunter2-secret@evidence/x", "", "remove the user name and password", "hunter2-secret"},
		{"s3://AKIAKEY:hunter2-secret@evidence/x?foo=%zz", "", "remove the user name and password", "hunter2-secret"},
		{"s3://AKIAKEY:hunter2-secret@ev idence/x", "", "not a valid URL", "hunter2-secret"},
		{"file:///srv/blobs#hunter2-secret", "", "no query or fragment", "hunter2-secret"},
	}
	for _, tt := range tests {
		_, _, err := blob.ParseLocation(tt.location, tt.dataDir)
		if err == nil {
			t.Errorf("ParseLocation(%q) succeeded, want an error mentioning %q", tt.location, tt.wantInError)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantInError) {
			t.Errorf("ParseLocation(%q): err = %q, want it to mention %q", tt.location, err, tt.wantInError)
		}
		if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
			t.Errorf("ParseLocation(%q): err = %q repeats the secret", tt.location, err)
		}
	}
}
