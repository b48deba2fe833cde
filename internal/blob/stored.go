package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// StoredObject is a sealed blob as its store keeps it: ciphertext, under a
// name that does not reveal the content hash. A backup copies it as it is,
// so the backup is no more readable than the store: the keys to open it are
// wrapped in the database by the key-encryption key, which no backup holds.
type StoredObject interface {
	io.ReadCloser
	// Name is the object's name in the backend ("sealed/3f/3fa1…").
	Name() string
	// Size is the number of bytes stored.
	Size() int64
}

// OpenStored opens blob sha256 as it is kept. Reading it to its end also
// checks it, in the same pass: the content is decrypted and re-hashed as
// the stored bytes go by, and the last Read returns an error wrapping
// ErrDamaged (or ErrHashMismatch) instead of io.EOF if anything does not
// match. A blob kept in clear, from before encryption at rest, gives
// ErrNotSealed: copy its content instead.
func (s *SealedStore) OpenStored(ctx context.Context, sha256 string) (StoredObject, error) {
	sum, err := ParseSHA256(sha256)
	if err != nil {
		return nil, fmt.Errorf("open blob: %w", err)
	}
	if s.noKeys != nil {
		if _, lerr := s.legacy.Stat(ctx, sum); lerr == nil && s.clearToo() {
			return nil, fmt.Errorf("blob %s: %w", sum, ErrNotSealed)
		}
		return nil, s.keysMissing("copy blob " + sum)
	}
	name := s.storedName(sum)
	raw, err := s.backend.Open(ctx, name)
	if errors.Is(err, ErrNotFound) && s.clearToo() {
		if _, lerr := s.legacy.Stat(ctx, sum); lerr == nil {
			return nil, fmt.Errorf("blob %s: %w", sum, ErrNotSealed)
		}
	}
	if err != nil {
		return nil, s.wrap("open", sum, err)
	}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.CloseWithError(s.copyVerified(ctx, raw, name, sum, pw))
	}()
	return &storedObject{PipeReader: pr, raw: raw, name: name, size: raw.Size(), done: done}, nil
}

type storedObject struct {
	*io.PipeReader
	raw  Object
	name string
	size int64
	done chan struct{}
}

func (o *storedObject) Name() string { return o.name }
func (o *storedObject) Size() int64  { return o.size }

func (o *storedObject) Close() error {
	o.PipeReader.CloseWithError(errors.New("the stored object was closed"))
	<-o.done
	return o.raw.Close()
}

// copyVerified writes the stored bytes of raw to w in order while
// decrypting and hashing the content from the same reads.
func (s *SealedStore) copyVerified(ctx context.Context, raw Object, name, sum string, w io.Writer) error {
	obj, err := s.openObject(ctx, raw, name, sum)
	if err != nil {
		return s.wrap("copy", sum, err)
	}
	// From here every read of the object passes through tee, which hands
	// w each byte the first time it is read in order. The content is read
	// in order; only seal's first look at its trailer, near the end, jumps
	// ahead, and those bytes are written when the copy gets there.
	tee := &teeReaderAt{src: obj.head.src, w: w,
		endStart: int64(objectHeaderSize) + obj.head.ix.endOffset,
		endStop:  int64(objectHeaderSize) + obj.head.contentLen,
		digest:   sha256.New(),
	}
	if err := tee.copyTo(int64(objectHeaderSize)); err != nil {
		return err
	}
	key, err := s.contentKey(ctx, false)
	if err != nil {
		return s.wrap("copy", sum, err)
	}
	content, err := key.DecryptReaderAt(io.NewSectionReader(tee, int64(objectHeaderSize), obj.head.contentLen), obj.head.contentLen, contentAD(obj.head.objectID))
	if err != nil {
		return s.wrap("copy", sum, explain(name, err))
	}
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := content.Read(buf)
		h.Write(buf[:n])
		if tee.err != nil {
			return tee.err
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return s.wrap("copy", sum, explain(name, err))
		}
	}
	if err := tee.copyTo(raw.Size()); err != nil {
		return err
	}
	if !bytes.Equal(tee.digest.Sum(nil), obj.head.ix.endDigest[:]) {
		return s.wrap("copy", sum, fmt.Errorf("%w: %s: the end of its content (padding) was altered", ErrDamaged, name))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return s.wrap("copy", sum, fmt.Errorf("%w: its content hashes to %s", ErrHashMismatch, got))
	}
	return nil
}

// teeReaderAt reads src by offset and writes to w, once and in order,
// every byte from next on that a read covers contiguously. It also hashes
// the bytes in [endStart, endStop) as they are written.
type teeReaderAt struct {
	src               io.ReaderAt
	w                 io.Writer
	next              int64
	endStart, endStop int64
	digest            hash.Hash
	err               error // the first write error: the copy is over
}

func (t *teeReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := t.src.ReadAt(p, off)
	if t.err == nil && off <= t.next && off+int64(n) > t.next {
		t.write(p[t.next-off : n])
	}
	return n, err
}

func (t *teeReaderAt) write(p []byte) {
	start := t.next
	if _, err := t.w.Write(p); err != nil {
		t.err = err
		return
	}
	t.next += int64(len(p))
	lo, hi := max(start, t.endStart), min(t.next, t.endStop)
	if lo < hi {
		t.digest.Write(p[lo-start : hi-start])
	}
}

// copyTo writes what has not been written yet up to offset end.
func (t *teeReaderAt) copyTo(end int64) error {
	buf := make([]byte, 256<<10)
	for t.err == nil && t.next < end {
		n, err := t.src.ReadAt(buf[:min(int64(len(buf)), end-t.next)], t.next)
		if n > 0 {
			t.write(buf[:n])
		}
		if err != nil && !(err == io.EOF && t.next == end) {
			return err
		}
	}
	return t.err
}

// PutStored stores, as it is and under its name, an object copied by
// OpenStored from a store with the same keys — a backup being restored, when
// the keys to decrypt it are usually not at hand yet. It returns the SHA-256
// and size of the bytes stored, for the caller to check against its record
// of them; the content itself is checked when the restored store is verified.
func PutStored(ctx context.Context, b Backend, name string, r io.Reader) (sha256Hex string, size int64, err error) {
	if !validStoredName(name) {
		return "", 0, fmt.Errorf("store %q: not the name of a sealed object", clip(name))
	}
	h := sha256.New()
	staged, err := b.Stage(ctx, io.TeeReader(r, h))
	if err != nil {
		return "", 0, fmt.Errorf("store %s in %s: %w", name, b.Location(), err)
	}
	existed, err := staged.Commit(ctx, name)
	if err != nil {
		staged.Discard()
		return "", 0, fmt.Errorf("store %s in %s: %w", name, b.Location(), err)
	}
	if existed {
		if size, err := b.Size(ctx, name); err != nil || size != staged.Size() {
			return "", 0, fmt.Errorf("store %s in %s: another object of that name is there already", name, b.Location())
		}
	}
	return hex.EncodeToString(h.Sum(nil)), staged.Size(), nil
}
