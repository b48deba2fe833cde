// Package blob keeps evidence files by the SHA-256 of their content.
//
// Two layers: a Backend holds immutable objects by name (a local directory or
// an S3-compatible bucket) and knows nothing about hashes or keys; a Store
// hashes what it is given while streaming it into the backend, checks the
// hash, and only then publishes the object. The SealedStore (NewSealedStore,
// OpenSealed), Dossier's default, encrypts each blob with the deployment's
// keys (package seal) under a name that does not reveal its hash; the plain
// store (NewStore, Open) keeps content in clear under its hash, as stores
// made before encryption at rest did. docs/blob-storage.md has the layouts
// and what each reveals.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Ref identifies a blob: the lowercase hex SHA-256 of its content and its size
// in bytes.
type Ref struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

var (
	// ErrNotFound: no blob (or backend object) under that hash (or name).
	ErrNotFound = errors.New("blob not found")
	// ErrHashMismatch: the content did not hash to the SHA-256 the caller
	// expected; nothing was kept.
	ErrHashMismatch = errors.New("blob content does not match the expected SHA-256")
)

// Object is an open blob. The objects of both backends and of both stores
// also implement io.ReaderAt.
type Object interface {
	io.ReadSeekCloser
	Size() int64
}

// Store holds blobs by content.
type Store interface {
	// Put streams r into the store (constant memory), hashing as it goes. If
	// wantSHA256 != "" and the content hashes otherwise, nothing is kept and
	// the error wraps ErrHashMismatch. Identical content is stored once
	// (existed=true). Nothing is visible under the hash before it is complete
	// and verified.
	Put(ctx context.Context, r io.Reader, wantSHA256 string) (ref Ref, existed bool, err error)
	// Open returns the blob's content, or an error wrapping ErrNotFound.
	Open(ctx context.Context, sha256 string) (Object, error)
	// Stat returns the blob's Ref without reading it, or ErrNotFound.
	Stat(ctx context.Context, sha256 string) (Ref, error)
	// Delete removes the blob, or returns ErrNotFound.
	Delete(ctx context.Context, sha256 string) error
	// Walk calls fn for every blob held, with its content size; it does not
	// read or re-hash content. The plain store walks in hash order; a sealed
	// store in the order of its stored names, which says nothing of the
	// hashes. An error from fn stops the walk and is returned.
	Walk(ctx context.Context, fn func(Ref) error) error
	// Location names where the blobs are kept, for messages; it never
	// contains credentials.
	Location() string
}

// Backend holds immutable objects under slash-separated names such as
// "sha256/ab/ab12…". Names are valid io/fs paths. New objects are first
// staged under the reserved "tmp/" prefix and become visible under their name
// only when committed, so a reader never sees a partial object.
type Backend interface {
	// Stage streams r, to its end, into a new temporary object. On error
	// nothing is left behind. The caller must Commit or Discard the result.
	Stage(ctx context.Context, r io.Reader) (Staged, error)
	// Open returns the named object, or an error wrapping ErrNotFound.
	Open(ctx context.Context, name string) (Object, error)
	// Size returns the named object's size, or an error wrapping ErrNotFound.
	Size(ctx context.Context, name string) (int64, error)
	// Delete removes the named object, or returns an error wrapping
	// ErrNotFound.
	Delete(ctx context.Context, name string) error
	// List calls fn for each object whose name starts with prefix ("" or
	// ending in "/"), staged ones under "tmp/" included. Objects are listed
	// in byte order of their names when all names under prefix have the same
	// number of segments.
	List(ctx context.Context, prefix string, fn func(name string, size int64) error) error
	// Location names the backend for messages, without credentials.
	Location() string
}

// Staged is an object written by Backend.Stage and not yet visible.
type Staged interface {
	// Size is the number of bytes staged.
	Size() int64
	// Commit publishes the staged object under name. If an object already
	// exists under name it is kept, the staged copy is discarded and existed
	// is true.
	Commit(ctx context.Context, name string) (existed bool, err error)
	// Discard removes the staged object. It is safe to call after Commit or
	// more than once.
	Discard() error
}

// stagingPrefix is the part of a backend's namespace reserved for staged
// objects.
const stagingPrefix = "tmp/"

// ParseSHA256 checks that s is a hex SHA-256 and returns it in lowercase.
func ParseSHA256(s string) (string, error) {
	if len(s) != 64 {
		return "", fmt.Errorf("invalid SHA-256 %q: want 64 hexadecimal digits, got %d characters", clip(s), len(s))
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			b[i] = c + ('a' - 'A')
		default:
			return "", fmt.Errorf("invalid SHA-256 %q: %q at position %d is not a hexadecimal digit", clip(s), c, i+1)
		}
	}
	return string(b), nil
}

// clip keeps error messages short when given a long bogus argument.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
