package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
)

// NewStore returns a Store that keeps each blob in b under
// "sha256/<first two hex digits>/<hex SHA-256>".
func NewStore(b Backend) Store {
	return &contentStore{backend: b}
}

type contentStore struct {
	backend Backend
}

const hashPrefix = "sha256/"

// objectName is where a blob with this (valid, lowercase) hash lives. One
// level of 256 directories keeps a local directory listing short up to
// millions of blobs without making a walk visit a directory per blob.
func objectName(sum string) string {
	return hashPrefix + sum[:2] + "/" + sum
}

// hashFromName is objectName's inverse; ok is false for names that are not a
// blob's (stray files, staged objects).
func hashFromName(name string) (sum string, ok bool) {
	rest, found := strings.CutPrefix(name, hashPrefix)
	if !found || len(rest) != 2+1+64 || rest[2] != '/' {
		return "", false
	}
	sum = rest[3:]
	if parsed, err := ParseSHA256(sum); err != nil || parsed != sum || sum[:2] != rest[:2] {
		return "", false
	}
	return sum, true
}

func (s *contentStore) Put(ctx context.Context, r io.Reader, wantSHA256 string) (Ref, bool, error) {
	want := ""
	if wantSHA256 != "" {
		var err error
		if want, err = ParseSHA256(wantSHA256); err != nil {
			return Ref{}, false, fmt.Errorf("store blob: expected hash: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return Ref{}, false, fmt.Errorf("store blob: %w", err)
	}
	hr := &hashingReader{ctx: ctx, r: r, h: sha256.New()}
	staged, err := s.backend.Stage(ctx, hr)
	if err != nil {
		return Ref{}, false, fmt.Errorf("store blob in %s: %w", s.backend.Location(), err)
	}
	ref := Ref{SHA256: hex.EncodeToString(hr.h.Sum(nil)), Size: hr.n}
	if staged.Size() != ref.Size {
		staged.Discard()
		return Ref{}, false, fmt.Errorf("store blob in %s: read %d bytes but staged %d", s.backend.Location(), ref.Size, staged.Size())
	}
	if want != "" && ref.SHA256 != want {
		if err := staged.Discard(); err != nil {
			return Ref{}, false, fmt.Errorf("%w: content hashes to %s, expected %s; removing the staged copy: %v", ErrHashMismatch, ref.SHA256, want, err)
		}
		return Ref{}, false, fmt.Errorf("%w: content hashes to %s, expected %s", ErrHashMismatch, ref.SHA256, want)
	}
	name := objectName(ref.SHA256)
	existed, err := staged.Commit(ctx, name)
	if err != nil {
		staged.Discard()
		return Ref{}, false, fmt.Errorf("store blob %s in %s: %w", ref.SHA256, s.backend.Location(), err)
	}
	if existed {
		// Content under a hash is never rewritten, so a stored copy of
		// another size has been damaged since: say so rather than report
		// the content safely stored.
		size, err := s.backend.Size(ctx, name)
		if err != nil {
			return Ref{}, false, fmt.Errorf("store blob %s in %s: check the copy already stored: %w", ref.SHA256, s.backend.Location(), err)
		}
		if size != ref.Size {
			return Ref{}, false, fmt.Errorf("store blob %s in %s: the copy already stored holds %d bytes, not %d: it has been damaged", ref.SHA256, s.backend.Location(), size, ref.Size)
		}
	}
	return ref, existed, nil
}

func (s *contentStore) Open(ctx context.Context, sha256 string) (Object, error) {
	sum, err := ParseSHA256(sha256)
	if err != nil {
		return nil, fmt.Errorf("open blob: %w", err)
	}
	obj, err := s.backend.Open(ctx, objectName(sum))
	if err != nil {
		return nil, s.wrap("open", sum, err)
	}
	return obj, nil
}

func (s *contentStore) Stat(ctx context.Context, sha256 string) (Ref, error) {
	sum, err := ParseSHA256(sha256)
	if err != nil {
		return Ref{}, fmt.Errorf("stat blob: %w", err)
	}
	size, err := s.backend.Size(ctx, objectName(sum))
	if err != nil {
		return Ref{}, s.wrap("stat", sum, err)
	}
	return Ref{SHA256: sum, Size: size}, nil
}

func (s *contentStore) Delete(ctx context.Context, sha256 string) error {
	sum, err := ParseSHA256(sha256)
	if err != nil {
		return fmt.Errorf("delete blob: %w", err)
	}
	if err := s.backend.Delete(ctx, objectName(sum)); err != nil {
		return s.wrap("delete", sum, err)
	}
	return nil
}

func (s *contentStore) Walk(ctx context.Context, fn func(Ref) error) error {
	return s.backend.List(ctx, hashPrefix, func(name string, size int64) error {
		sum, ok := hashFromName(name)
		if !ok {
			return nil
		}
		return fn(Ref{SHA256: sum, Size: size})
	})
}

func (s *contentStore) Location() string { return s.backend.Location() }

func (s *contentStore) wrap(op, sum string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%s blob %s: %w in %s", op, sum, ErrNotFound, s.backend.Location())
	}
	return fmt.Errorf("%s blob %s in %s: %w", op, sum, s.backend.Location(), err)
}

// hashingReader hashes and counts what is read through it, and stops when
// ctx is done. It has no WriteTo method on purpose: io.Copy would otherwise
// hand the copy to the underlying *os.File and its 32 KiB buffer.
type hashingReader struct {
	ctx context.Context
	r   io.Reader
	h   hash.Hash
	n   int64
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	if err := hr.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := hr.r.Read(p)
	if n > 0 {
		hr.h.Write(p[:n])
		hr.n += int64(n)
	}
	return n, err
}
