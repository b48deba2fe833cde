package blob_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	mathrand "math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/blob/blobtest"
	"github.com/dossier-org/dossier/internal/seal"
)

// forEachSealed runs fn against a sealed store, with new keys, on a fresh
// backend of each kind.
func forEachSealed(t *testing.T, fn func(t *testing.T, b blob.Backend, s *blob.SealedStore, keys *seal.Sealer)) {
	t.Helper()
	blobtest.ForEachBackend(t, func(t *testing.T, b blob.Backend) {
		keys := blobtest.Sealer(t)
		fn(t, b, blob.NewSealedStore(b, keys), keys)
	})
}

type rawObject struct {
	name string
	size int64
}

// rawObjects lists what someone who can list the directory or bucket sees.
func rawObjects(t *testing.T, b blob.Backend) []rawObject {
	t.Helper()
	var out []rawObject
	if err := b.List(context.Background(), "", func(name string, size int64) error {
		out = append(out, rawObject{name, size})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func readRaw(t *testing.T, b blob.Backend, name string) []byte {
	t.Helper()
	obj, err := b.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// replaceRaw puts data in place of the named object, as someone with write
// access to the directory or bucket could.
func replaceRaw(t *testing.T, b blob.Backend, name string, data []byte) {
	t.Helper()
	ctx := context.Background()
	if err := b.Delete(ctx, name); err != nil && !errors.Is(err, blob.ErrNotFound) {
		t.Fatal(err)
	}
	staged, err := b.Stage(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := staged.Commit(ctx, name); err != nil {
		t.Fatal(err)
	}
}

// onlyObject returns the one object outside tmp/.
func onlyObject(t *testing.T, b blob.Backend) rawObject {
	t.Helper()
	var found []rawObject
	for _, o := range rawObjects(t, b) {
		if !strings.HasPrefix(o.name, "tmp/") {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("backend holds %v, want one object", found)
	}
	return found[0]
}

// readBack opens the blob and reads it whole, as verification does.
func readBack(s blob.Store, sha string) ([]byte, error) {
	obj, err := s.Open(context.Background(), sha)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	return io.ReadAll(obj)
}

func TestSealedListingRevealsNoHashNorSize(t *testing.T) {
	forEachSealed(t, func(t *testing.T, b blob.Backend, s *blob.SealedStore, keys *seal.Sealer) {
		ctx := context.Background()
		marker := []byte("NAME OF A WITNESS: Amira K., born 1990 in El Geneina")
		// Sizes in one Padmé class (they all pad to 1024 bytes) and a few
		// others.
		sizes := []int{1000, 1001, 1010, 1023, 1024, 5000, 300 << 10}
		var refs []blob.Ref
		for i, size := range sizes {
			content := append(randomBytes(uint64(100+i), size-len(marker)), marker...)
			ref, _, err := s.Put(ctx, bytes.NewReader(content), "")
			if err != nil {
				t.Fatal(err)
			}
			refs = append(refs, ref)
		}
		objects := rawObjects(t, b)
		if len(objects) != len(sizes) {
			t.Fatalf("backend holds %d objects, want %d: %v", len(objects), len(sizes), objects)
		}
		sizeOf := map[int]int64{}
		for _, o := range objects {
			for _, ref := range refs {
				for _, form := range []string{ref.SHA256, strings.ToUpper(ref.SHA256), ref.SHA256[:16], ref.SHA256[48:]} {
					if strings.Contains(o.name, form) {
						t.Errorf("stored name %s contains %q of content hash %s", o.name, form, ref.SHA256)
					}
				}
				if o.size == ref.Size {
					t.Errorf("stored object %s is exactly the size of a blob (%d bytes)", o.name, ref.Size)
				}
			}
			data := readRaw(t, b, o.name)
			if bytes.Contains(data, marker) || bytes.Contains(data, marker[:16]) {
				t.Errorf("stored object %s holds the content in clear", o.name)
			}
			for _, ref := range refs {
				raw, _ := hex.DecodeString(ref.SHA256)
				if bytes.Contains(data, raw) || bytes.Contains(data, []byte(ref.SHA256)) {
					t.Errorf("stored object %s holds a content hash in clear", o.name)
				}
			}
		}
		for _, ref := range refs {
			stat, err := s.Stat(ctx, ref.SHA256)
			if err != nil || stat != ref {
				t.Fatalf("Stat = %+v, %v; want %+v", stat, err, ref)
			}
			obj, err := b.Open(ctx, nameOf(t, s, ref))
			if err != nil {
				t.Fatal(err)
			}
			sizeOf[int(ref.Size)] = obj.Size()
			obj.Close()
		}
		// A size class, not a size: these four files look the same.
		if sizeOf[1000] != sizeOf[1001] || sizeOf[1000] != sizeOf[1010] || sizeOf[1000] != sizeOf[1023] {
			t.Errorf("stored sizes of 1000, 1001, 1010, 1023-byte files: %d %d %d %d; want them equal",
				sizeOf[1000], sizeOf[1001], sizeOf[1010], sizeOf[1023])
		}
		// Another deployment's keys name the same content otherwise.
		other := blob.NewSealedStore(b, blobtest.Sealer(t))
		if _, err := other.Stat(ctx, refs[0].SHA256); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("a store with other keys finds the blob: %v", err)
		}
	})
}

// nameOf is the name of the stored object holding ref.
func nameOf(t *testing.T, s *blob.SealedStore, ref blob.Ref) string {
	t.Helper()
	obj, err := s.OpenStored(context.Background(), ref.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	return obj.Name()
}

func TestSealedRandomOffsetReads(t *testing.T) {
	forEachSealed(t, func(t *testing.T, b blob.Backend, s *blob.SealedStore, keys *seal.Sealer) {
		ctx := context.Background()
		content := randomBytes(21, 3<<20+77777)
		ref, _, err := s.Put(ctx, bytes.NewReader(content), "")
		if err != nil {
			t.Fatal(err)
		}
		obj, err := s.Open(ctx, ref.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		ra := obj.(io.ReaderAt)
		rng := mathrand.New(mathrand.NewPCG(1, 2))
		size := int64(len(content))
		// Chunk edges (256 KiB), segment edges (64 KiB), the ends, and
		// random places.
		offsets := []int64{0, 1, 64<<10 - 1, 64 << 10, 256<<10 - 1, 256 << 10, size - 1, size - 300}
		for range 40 {
			offsets = append(offsets, rng.Int64N(size))
		}
		for _, off := range offsets {
			n := min(int64(1+rng.IntN(600<<10)), size-off)
			buf := make([]byte, n)
			if got, err := ra.ReadAt(buf, off); int64(got) != n || (err != nil && err != io.EOF) || !bytes.Equal(buf, content[off:off+n]) {
				t.Fatalf("ReadAt(%d bytes at %d) = %d, %v, or wrong bytes", n, off, got, err)
			}
			if pos, err := obj.Seek(off, io.SeekStart); err != nil || pos != off {
				t.Fatalf("Seek(%d) = %d, %v", off, pos, err)
			}
			if _, err := io.ReadFull(obj, buf); err != nil || !bytes.Equal(buf, content[off:off+n]) {
				t.Fatalf("read %d bytes after Seek(%d): %v, or wrong bytes", n, off, err)
			}
		}
		// Past the end: EOF, as io.ReaderAt says.
		if n, err := ra.ReadAt(make([]byte, 10), size-5); n != 5 || err != io.EOF {
			t.Errorf("ReadAt across the end = %d, %v; want 5, EOF", n, err)
		}
		if pos, err := obj.Seek(-10, io.SeekEnd); err != nil || pos != size-10 {
			t.Fatalf("Seek from the end = %d, %v", pos, err)
		}
		if rest, err := io.ReadAll(obj); err != nil || !bytes.Equal(rest, content[size-10:]) {
			t.Fatalf("read from 10 bytes before the end: %v", err)
		}
	})
}

// region names a place in a sealed object, as an offset from its layout:
// 20 bytes of magic and object ID, the content stream, the index, and 8
// bytes of index length and magic.
type region struct {
	name string
	at   func(size, contentEnd int64) int64
}

var regions = []region{
	{"magic", func(size, contentEnd int64) int64 { return 1 }},
	{"object ID", func(size, contentEnd int64) int64 { return 10 }},
	{"seal header", func(size, contentEnd int64) int64 { return 22 }},
	{"first segment", func(size, contentEnd int64) int64 { return 500 }},
	{"middle of the content", func(size, contentEnd int64) int64 { return contentEnd / 2 }},
	{"padding", func(size, contentEnd int64) int64 { return contentEnd - 200 }},
	{"seal trailer", func(size, contentEnd int64) int64 { return contentEnd - 10 }},
	{"index", func(size, contentEnd int64) int64 { return contentEnd + 60 }},
	{"index length", func(size, contentEnd int64) int64 { return size - 6 }},
	{"last byte", func(size, contentEnd int64) int64 { return size - 1 }},
}

// contentEnd is where the index starts in a stored object.
func contentEnd(data []byte) int64 {
	indexLen := int64(binary.BigEndian.Uint32(data[len(data)-8:]))
	return int64(len(data)) - 8 - indexLen
}

func TestSealedTamperingIsDetected(t *testing.T) {
	// 4 MiB + 1 byte pads to 4 MiB + 128 KiB: two 64 KiB segments at the
	// end hold only padding, which reading the content never decrypts.
	content := randomBytes(31, 4<<20+1)
	forEachSealed(t, func(t *testing.T, b blob.Backend, s *blob.SealedStore, keys *seal.Sealer) {
		ctx := context.Background()
		ref, _, err := s.Put(ctx, bytes.NewReader(content), "")
		if err != nil {
			t.Fatal(err)
		}
		name := onlyObject(t, b).name
		original := readRaw(t, b, name)
		end := contentEnd(original)
		for _, r := range regions {
			t.Run(r.name, func(t *testing.T) {
				damaged := bytes.Clone(original)
				damaged[r.at(int64(len(damaged)), end)] ^= 0x20
				replaceRaw(t, b, name, damaged)
				defer replaceRaw(t, b, name, original)

				got, err := readBack(s, ref.SHA256)
				if !errors.Is(err, blob.ErrDamaged) {
					t.Errorf("reading the blob whole: %d bytes, err %v; want ErrDamaged", len(got), err)
				}
				copied, err := s.OpenStored(ctx, ref.SHA256)
				if err == nil {
					_, err = io.Copy(io.Discard, copied)
					copied.Close()
				}
				if !errors.Is(err, blob.ErrDamaged) {
					t.Errorf("copying it for a backup: err %v; want ErrDamaged", err)
				}
				// Walk lists it if its index still opens, and otherwise
				// names the damaged object.
				var listed []blob.Ref
				err = s.Walk(ctx, func(r blob.Ref) error { listed = append(listed, r); return nil })
				var de *blob.DamagedError
				switch {
				case errors.As(err, &de):
					if len(listed) != 0 || !slices.Equal(de.Objects, []string{name}) {
						t.Errorf("Walk listed %v and reports %v damaged; want only %s damaged", listed, de.Objects, name)
					}
					if !errors.Is(err, blob.ErrDamaged) {
						t.Errorf("Walk's error %v is not ErrDamaged", err)
					}
				case err != nil:
					t.Errorf("Walk: %v", err)
				default:
					if !slices.Equal(listed, []blob.Ref{ref}) {
						t.Errorf("Walk = %v, want %v", listed, ref)
					}
				}
			})
		}
		t.Run("a range elsewhere still reads", func(t *testing.T) {
			damaged := bytes.Clone(original)
			damaged[end-200] ^= 1 // padding
			replaceRaw(t, b, name, damaged)
			defer replaceRaw(t, b, name, original)
			obj, err := s.Open(ctx, ref.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			defer obj.Close()
			buf := make([]byte, 1000)
			if _, err := obj.(io.ReaderAt).ReadAt(buf, 12345); err != nil || !bytes.Equal(buf, content[12345:13345]) {
				t.Fatalf("ReadAt of undamaged content: %v", err)
			}
		})
		t.Run("truncated", func(t *testing.T) {
			for _, cut := range []int64{1, 8, 100, int64(len(original)) - end, 64<<10 + 17} {
				replaceRaw(t, b, name, original[:int64(len(original))-cut])
				if _, err := readBack(s, ref.SHA256); !errors.Is(err, blob.ErrDamaged) {
					t.Errorf("cut by %d bytes: err %v, want ErrDamaged", cut, err)
				}
			}
			replaceRaw(t, b, name, original)
		})
		if got, err := readBack(s, ref.SHA256); err != nil || !bytes.Equal(got, content) {
			t.Fatalf("the restored object does not read back: %v", err)
		}
	})
}

func TestSealedObjectsCannotBeSwapped(t *testing.T) {
	forEachSealed(t, func(t *testing.T, b blob.Backend, s *blob.SealedStore, keys *seal.Sealer) {
		ctx := context.Background()
		// The same size, so the parts line up.
		a, _, err := s.Put(ctx, bytes.NewReader(randomBytes(41, 700<<10)), "")
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := s.Put(ctx, bytes.NewReader(randomBytes(42, 700<<10)), "")
		if err != nil {
			t.Fatal(err)
		}
		nameA, nameC := nameOf(t, s, a), nameOf(t, s, c)
		rawA, rawC := readRaw(t, b, nameA), readRaw(t, b, nameC)
		if len(rawA) != len(rawC) {
			t.Fatalf("objects of equal content size differ in size: %d, %d", len(rawA), len(rawC))
		}
		endA := contentEnd(rawA)
		splices := map[string][]byte{
			// C's object stored under A's name: the index is bound to
			// the name.
			"whole object moved": rawC,
			// A's header and index around C's content: the content is
			// bound to the object ID.
			"content swapped": slices.Concat(rawA[:20], rawC[20:endA], rawA[endA:]),
			// A's content with C's index (and ID).
			"index swapped": slices.Concat(rawC[:20], rawA[20:endA], rawC[endA:]),
			// A chunk of C's content in A.
			"chunk swapped": slices.Concat(rawA[:300<<10], rawC[300<<10:600<<10], rawA[600<<10:]),
		}
		for what, data := range splices {
			t.Run(what, func(t *testing.T) {
				replaceRaw(t, b, nameA, data)
				defer replaceRaw(t, b, nameA, rawA)
				if got, err := readBack(s, a.SHA256); !errors.Is(err, blob.ErrDamaged) {
					t.Errorf("read %d bytes, err %v; want ErrDamaged", len(got), err)
				}
			})
		}
	})
}

// faultyBackend fails where it is told to, as a full disk, a lost
// connection or a killed process would.
type faultyBackend struct {
	blob.Backend
	failStageAfter int64 // fail the upload after this many bytes (0: never)
	commitFails    bool  // Commit fails without publishing
	commitLost     bool  // Commit publishes, then its reply is lost
	killed         bool  // the process dies: nothing cleans up after a failure
}

var errInjected = errors.New("injected failure")

func (f *faultyBackend) Stage(ctx context.Context, r io.Reader) (blob.Staged, error) {
	if f.failStageAfter > 0 {
		r = &failAfter{r: r, left: f.failStageAfter}
	}
	st, err := f.Backend.Stage(ctx, r)
	if err != nil {
		return nil, err
	}
	return &faultyStaged{Staged: st, f: f}, nil
}

type failAfter struct {
	r    io.Reader
	left int64
}

func (fa *failAfter) Read(p []byte) (int, error) {
	if fa.left <= 0 {
		return 0, errInjected
	}
	n, err := fa.r.Read(p[:min(int64(len(p)), fa.left)])
	fa.left -= int64(n)
	return n, err
}

type faultyStaged struct {
	blob.Staged
	f *faultyBackend
}

func (s *faultyStaged) Commit(ctx context.Context, name string) (bool, error) {
	switch {
	case s.f.commitFails:
		return false, errInjected
	case s.f.commitLost:
		if _, err := s.Staged.Commit(ctx, name); err != nil {
			return false, err
		}
		return false, errInjected
	}
	return s.Staged.Commit(ctx, name)
}

func (s *faultyStaged) Discard() error {
	if s.f.killed {
		return nil
	}
	return s.Staged.Discard()
}

func TestSealedPutFailuresLeaveNoPartialBlob(t *testing.T) {
	content := randomBytes(51, 5<<20+3)
	cases := []struct {
		name    string
		faults  faultyBackend
		visible bool // the blob is complete and visible despite the error
	}{
		{"the upload fails early", faultyBackend{failStageAfter: 100}, false},
		{"the upload fails late", faultyBackend{failStageAfter: 5 << 20}, false},
		{"killed between upload and publish", faultyBackend{commitFails: true, killed: true}, false},
		{"publishing fails", faultyBackend{commitFails: true}, false},
		{"the reply to publishing is lost", faultyBackend{commitLost: true}, true},
		{"killed after publishing", faultyBackend{commitLost: true, killed: true}, true},
	}
	blobtest.ForEachBackend(t, func(t *testing.T, b blob.Backend) {
		sealer := blobtest.Sealer(t)
		ctx := context.Background()
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				f := tc.faults
				f.Backend = b
				faulty := blob.NewSealedStore(&f, sealer)
				if _, _, err := faulty.Put(ctx, bytes.NewReader(content), ""); !errors.Is(err, errInjected) {
					t.Fatalf("Put: err %v, want the injected failure", err)
				}
				// A process starting afresh on what is left.
				s := blob.NewSealedStore(b, sealer)
				listed := walk(t, s)
				stat, statErr := s.Stat(ctx, sum(content))
				if !tc.visible {
					if len(listed) != 0 || !errors.Is(statErr, blob.ErrNotFound) {
						t.Fatalf("after the failure Walk = %v, Stat = %+v, %v; want nothing", listed, stat, statErr)
					}
					for _, o := range rawObjects(t, b) {
						if !strings.HasPrefix(o.name, "tmp/") {
							t.Fatalf("object %s left outside the staging area", o.name)
						}
						if !f.killed {
							t.Fatalf("staged object %s left by a process that was not killed", o.name)
						}
					}
				} else {
					want := blob.Ref{SHA256: sum(content), Size: int64(len(content))}
					if !slices.Equal(listed, []blob.Ref{want}) || statErr != nil {
						t.Fatalf("after publishing, Walk = %v, Stat err %v; want %v", listed, statErr, want)
					}
					if got, err := readBack(s, want.SHA256); err != nil || !bytes.Equal(got, content) {
						t.Fatalf("the published blob does not read back whole: %v", err)
					}
				}
				// Storing it again works, and finds it if it was there.
				_, existed, err := s.Put(ctx, bytes.NewReader(content), sum(content))
				if err != nil || existed != tc.visible {
					t.Fatalf("Put again: existed %v, err %v; want existed %v", existed, err, tc.visible)
				}
				if err := s.Delete(ctx, sum(content)); err != nil {
					t.Fatal(err)
				}
				cleanStaging(t, b)
			})
		}
	})
}

// cleanStaging removes what killed Puts left in tmp/ (a restarted store
// does it once they are a day old).
func cleanStaging(t *testing.T, b blob.Backend) {
	t.Helper()
	for _, o := range rawObjects(t, b) {
		if strings.HasPrefix(o.name, "tmp/") {
			if err := b.Delete(context.Background(), o.name); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestSealedWalkAndDedupe(t *testing.T) {
	forEachSealed(t, func(t *testing.T, b blob.Backend, s *blob.SealedStore, keys *seal.Sealer) {
		ctx := context.Background()
		var want []blob.Ref
		for i, size := range []int{0, 1, 4096, 256 << 10, 256<<10 + 1, 2<<20 + 5} {
			content := randomBytes(uint64(60+i), size)
			ref, existed, err := s.Put(ctx, bytes.NewReader(content), "")
			if err != nil || existed {
				t.Fatalf("Put: existed %v, %v", existed, err)
			}
			// Again, from another uploader: stored once.
			again, existed, err := s.Put(ctx, bytes.NewReader(content), ref.SHA256)
			if err != nil || !existed || again != ref {
				t.Fatalf("second Put = %+v, existed %v, %v", again, existed, err)
			}
			want = append(want, ref)
		}
		// Files that are not objects Put wrote are not blobs.
		for _, stray := range []string{"sealed/ab/not-a-name", "sealed/" + strings.Repeat("cd", 32), "sealed/ef/" + strings.Repeat("ab", 32)} {
			replaceRaw(t, b, stray, []byte("stray"))
		}
		got := walk(t, s)
		byHash := func(a, b blob.Ref) int { return strings.Compare(a.SHA256, b.SHA256) }
		slices.SortFunc(got, byHash)
		slices.SortFunc(want, byHash)
		if !slices.Equal(got, want) {
			t.Fatalf("Walk = %v\nwant %v", got, want)
		}
		if n := len(rawObjects(t, b)); n != len(want)+3 {
			t.Fatalf("backend holds %d objects, want %d blobs and 3 stray files", n, len(want))
		}
	})
}

func TestStoredCopyForBackups(t *testing.T) {
	forEachSealed(t, func(t *testing.T, b blob.Backend, s *blob.SealedStore, keys *seal.Sealer) {
		ctx := context.Background()
		content := randomBytes(71, 3<<20+999)
		ref, _, err := s.Put(ctx, bytes.NewReader(content), "")
		if err != nil {
			t.Fatal(err)
		}
		counting := &countingBackend{Backend: b}
		cs := blob.NewSealedStore(counting, keys)
		stored, err := cs.OpenStored(ctx, ref.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		copied, err := io.ReadAll(stored)
		stored.Close()
		if err != nil {
			t.Fatalf("copy: %v", err)
		}
		name := onlyObject(t, b).name
		if stored.Name() != name || stored.Size() != int64(len(copied)) || !bytes.Equal(copied, readRaw(t, b, name)) {
			t.Fatalf("the copy is not the stored object as it is")
		}
		// One pass: the stored bytes are read once, give or take the ends.
		if read := counting.read.Load(); read > int64(len(copied))+64<<10 {
			t.Errorf("copying %d stored bytes read %d", len(copied), read)
		}
		t.Logf("copying %d stored bytes read %d", len(copied), counting.read.Load())

		// Restored as it is into another backend, it opens with the same
		// keys.
		other := blobtest.LocalBackend(t)
		sha, size, err := blob.PutStored(ctx, other, name, bytes.NewReader(copied))
		if err != nil || size != int64(len(copied)) || sha != sum(copied) {
			t.Fatalf("PutStored = %s, %d, %v", sha, size, err)
		}
		restored := blob.NewSealedStore(other, keys)
		if got, err := readBack(restored, ref.SHA256); err != nil || !bytes.Equal(got, content) {
			t.Fatalf("restored copy: %v", err)
		}
		if _, _, err := blob.PutStored(ctx, other, "sha256/ab/"+strings.Repeat("ab", 32), strings.NewReader("x")); err == nil {
			t.Errorf("PutStored accepted a name that is not a sealed object's")
		}
		// A blob kept in clear is not sealed: its content is copied instead.
		legacy, _, err := blob.NewStore(b).Put(ctx, strings.NewReader("kept in clear"), "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.OpenStored(ctx, legacy.SHA256); !errors.Is(err, blob.ErrNotSealed) {
			t.Errorf("OpenStored of a clear blob: %v, want ErrNotSealed", err)
		}
		if _, err := s.OpenStored(ctx, sum([]byte("never stored"))); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("OpenStored of a missing blob: %v, want ErrNotFound", err)
		}
	})
}

func TestLegacyStoreOpensAndSealsInPlace(t *testing.T) {
	blobtest.ForEachBackend(t, func(t *testing.T, b blob.Backend) {
		ctx := context.Background()
		plain := blob.NewStore(b)
		var want, legacyRefs []blob.Ref
		contents := map[string][]byte{}
		for i := range 4 {
			content := randomBytes(uint64(80+i), 100<<10*i+7)
			ref, _, err := plain.Put(ctx, bytes.NewReader(content), "")
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, ref)
			contents[ref.SHA256] = content
		}
		legacyRefs = slices.Clone(want)
		s := blob.NewSealedStore(b, blobtest.Sealer(t))
		if legacy, err := s.Legacy(ctx); err != nil || !legacy {
			t.Fatalf("Legacy = %v, %v; want true", legacy, err)
		}
		byHash := func(a, b blob.Ref) int { return strings.Compare(a.SHA256, b.SHA256) }
		slices.SortFunc(want, byHash)
		check := func(t *testing.T, what string) {
			t.Helper()
			got := walk(t, s)
			slices.SortFunc(got, byHash)
			if !slices.Equal(got, want) {
				t.Fatalf("%s: Walk = %v\nwant %v", what, got, want)
			}
			for _, ref := range want {
				if got, err := readBack(s, ref.SHA256); err != nil || !bytes.Equal(got, contents[ref.SHA256]) {
					t.Fatalf("%s: read %s: %v", what, ref.SHA256, err)
				}
				if stat, err := s.Stat(ctx, ref.SHA256); err != nil || stat != ref {
					t.Fatalf("%s: Stat = %+v, %v", what, stat, err)
				}
			}
		}
		check(t, "opened on a store kept in clear")

		// New content is sealed; content already held in clear is held.
		fresh := randomBytes(90, 5000)
		ref, existed, err := s.Put(ctx, bytes.NewReader(fresh), "")
		if err != nil || existed {
			t.Fatalf("Put of new content: existed %v, %v", existed, err)
		}
		want = append(want, ref)
		slices.SortFunc(want, byHash)
		contents[ref.SHA256] = fresh
		if _, err := plain.Stat(ctx, ref.SHA256); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("new content was kept in clear: %v", err)
		}
		if _, existed, err := s.Put(ctx, bytes.NewReader(contents[legacyRefs[0].SHA256]), ""); err != nil || !existed {
			t.Fatalf("Put of content held in clear: existed %v, %v", existed, err)
		}
		// That left both copies, as an interrupted conversion would: each
		// blob is still listed once.
		check(t, "with a blob both sealed and in clear")

		// One clear copy damaged: it is reported, the rest converted.
		damagedRef := legacyRefs[1]
		clearName := "sha256/" + damagedRef.SHA256[:2] + "/" + damagedRef.SHA256
		original := readRaw(t, b, clearName)
		replaceRaw(t, b, clearName, append(bytes.Clone(original[:len(original)-1]), original[len(original)-1]^1))
		converted, err := s.SealLegacy(ctx, nil)
		if err == nil || !strings.Contains(err.Error(), damagedRef.SHA256) || !strings.Contains(err.Error(), blob.ErrHashMismatch.Error()) || converted != 3 {
			t.Fatalf("SealLegacy with a damaged clear copy: %d converted, err %v", converted, err)
		}
		replaceRaw(t, b, clearName, original)
		if _, err := s.SealLegacy(ctx, nil); err != nil {
			t.Fatalf("SealLegacy: %v", err)
		}
		if legacy, err := s.Legacy(ctx); err != nil || legacy {
			t.Fatalf("after SealLegacy, Legacy = %v, %v", legacy, err)
		}
		for _, o := range rawObjects(t, b) {
			if !strings.HasPrefix(o.name, "sealed/") {
				t.Errorf("after SealLegacy the backend still holds %s", o.name)
			}
		}
		check(t, "after SealLegacy")
	})
}

// countingBackend counts the bytes read from the objects it opens.
type countingBackend struct {
	blob.Backend
	read atomic.Int64
}

func (c *countingBackend) Open(ctx context.Context, name string) (blob.Object, error) {
	obj, err := c.Backend.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	return &countingObject{Object: obj, read: &c.read}, nil
}

type countingObject struct {
	blob.Object
	read *atomic.Int64
}

func (o *countingObject) Read(p []byte) (int, error) {
	n, err := o.Object.Read(p)
	o.read.Add(int64(n))
	return n, err
}

func (o *countingObject) ReadAt(p []byte, off int64) (int, error) {
	n, err := o.Object.(io.ReaderAt).ReadAt(p, off)
	o.read.Add(int64(n))
	return n, err
}

func TestWithoutKeysNothingIsStoredInClear(t *testing.T) {
	ctx := context.Background()
	b := blobtest.LocalBackend(t)
	inClear, _, err := blob.NewStore(b).Put(ctx, strings.NewReader("kept in clear before"), "")
	if err != nil {
		t.Fatal(err)
	}
	why := errors.New("key-encryption key file:keys/kek.json: no such file")
	s := blob.WithoutKeys(b, why)
	// What is kept in clear still reads and lists.
	if got, err := readBack(s, inClear.SHA256); err != nil || string(got) != "kept in clear before" {
		t.Fatalf("read a clear blob without keys: %q, %v", got, err)
	}
	if got := walk(t, s); !slices.Equal(got, []blob.Ref{inClear}) {
		t.Fatalf("Walk = %v", got)
	}
	before := rawObjects(t, b)
	_, _, err = s.Put(ctx, strings.NewReader("new evidence"), "")
	if !errors.Is(err, blob.ErrNoKeys) || !strings.Contains(err.Error(), why.Error()) {
		t.Fatalf("Put without keys: %v; want ErrNoKeys with the reason", err)
	}
	if after := rawObjects(t, b); !slices.Equal(after, before) {
		t.Fatalf("Put without keys wrote %v", after)
	}
	// Sealed blobs: refused with the reason, never reported missing.
	sealed, _, err := blob.NewSealedStore(b, blobtest.Sealer(t)).Put(ctx, strings.NewReader("sealed evidence"), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, sealed.SHA256); !errors.Is(err, blob.ErrNoKeys) {
		t.Errorf("Open of a sealed blob without keys: %v", err)
	}
	if _, err := s.Stat(ctx, sealed.SHA256); !errors.Is(err, blob.ErrNoKeys) {
		t.Errorf("Stat of a sealed blob without keys: %v", err)
	}
	if err := s.Delete(ctx, sealed.SHA256); !errors.Is(err, blob.ErrNoKeys) {
		t.Errorf("Delete without keys: %v", err)
	}
	if err := s.Walk(ctx, func(blob.Ref) error { return nil }); !errors.Is(err, blob.ErrNoKeys) || !strings.Contains(err.Error(), "1 sealed blobs") {
		t.Errorf("Walk over sealed blobs without keys: %v", err)
	}
	if _, err := s.SealLegacy(ctx, nil); !errors.Is(err, blob.ErrNoKeys) {
		t.Errorf("SealLegacy without keys: %v", err)
	}
}
