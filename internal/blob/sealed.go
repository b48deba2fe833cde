package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dossier-org/dossier/internal/seal"
)

// A sealed store keeps each blob as one object of the backend, encrypted with
// the deployment's blob key (seal's streaming AEAD) under a name that is a
// keyed HMAC of the content hash:
//
//	sealed/<first two hex digits of the name>/<name>
//
//	offset 0   "DSO" 0x01                    magic, in clear
//	       4   object ID                     16 random bytes, in clear
//	      20   content                       seal.EncryptWriter stream of the content,
//	                                         associated data: contentAD(object ID)
//	       C   index                         seal.EncryptWriter stream of indexSize bytes,
//	                                         associated data: indexAD(name, object ID)
//	 size-8    index length (uint32), "DSO" 0x01
//
// The index holds what the name no longer says — the content's SHA-256 and
// size — so that Walk can list blobs, and a digest of the content stream's
// last part (below). It comes after the content because the hash is only
// known once the content has streamed through; and being in the same
// object, it becomes visible with the content in one atomic publish
// (Backend's Commit): there is no separate index to get out of step after a
// crash, and no blob half visible.
//
// The content is bound to its hash through the object ID: its associated
// data names the ID, and the index, whose associated data names the object
// (the HMAC of the hash) and the ID, holds the hash. Content moved into
// another object, an object renamed or an index swapped does not open.
//
// seal pads the content (Padmé) and authenticates it in segments as they are
// read, but a reader stops at the content's end, so segments holding only
// padding are never authenticated by reading. The index therefore also holds
// the SHA-256 of every ciphertext byte written after the content ended (the
// last segment and the padding: at most 12% of the size, under 3% past
// 1 GiB), checked when an object is read from its start to its end, as
// verification and backups do. So any altered byte is found.
const (
	sealedPrefix     = "sealed/"
	objectMagic      = "DSO\x01"
	objectIDSize     = 16
	objectHeaderSize = len(objectMagic) + objectIDSize
	objectTailSize   = 4 + len(objectMagic)
	indexMagic       = "DSI\x01"
	// indexSize: magic, SHA-256, size, offset and digest of the content's end.
	indexSize = len(indexMagic) + sha256.Size + 8 + 8 + sha256.Size
	// The index of objects written since blobs can belong to a subject (a
	// survivor) names the subject too, in a field of fixed length, so that
	// every new object's index has the same size whoever's file it holds.
	indexMagicV2 = "DSI\x02"
	maxSubject   = 64
	indexSizeV2  = indexSize + 1 + maxSubject
	// maxIndexCiphertext bounds what a reader accepts as an index's length.
	maxIndexCiphertext = 4 << 10
)

var (
	// ErrDamaged: a stored blob does not decrypt or does not match what its
	// index says — it was altered or damaged where it is kept.
	ErrDamaged = errors.New("the stored blob was altered or damaged")
	// ErrNotSealed: the blob is kept in clear, by a store made before
	// encryption at rest (see SealedStore.SealLegacy).
	ErrNotSealed = errors.New("the blob is kept unencrypted")
	// ErrNoKeys: the store was opened without the keys that seal evidence
	// files (the key-encryption key could not be opened), so sealed blobs
	// cannot be read, listed or stored.
	ErrNoKeys = errors.New("the keys that seal evidence files are not available")
	// ErrShredded: the blob belongs to a subject whose key was destroyed
	// (crypto-shredded): it can never be read again, and nothing more is
	// stored for the subject. It is seal.ErrShredded.
	ErrShredded = seal.ErrShredded
	// ErrNoSubjectKeys: a blob was to be kept under a subject's key by a
	// store that does not seal (a store kept in clear).
	ErrNoSubjectKeys = errors.New("this store does not seal files, so it cannot keep them under a survivor's key")
)

// DamagedError is returned by SealedStore.Walk, after walking every other
// blob, when stored objects do not open: their content hash cannot be known,
// so they cannot be reported as Refs.
type DamagedError struct {
	Objects []string // backend names of the objects
	Errs    []error  // why each does not open
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("%d stored objects do not open (%s): altered or damaged", len(e.Objects), strings.Join(e.Objects, ", "))
}

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// SealedStore is a Store that encrypts blobs at rest and keeps them under
// names that do not reveal their hash. It also reads (and deletes) blobs
// kept in clear by a store made before, in the same backend, until
// SealLegacy has converted them.
//
// A store holds the deployment's blobs; For gives the view of the same
// backend that holds one subject's (a survivor's) blobs, sealed with that
// subject's own key: the same content kept for two subjects, or for a
// subject and the deployment, is two objects under two keys, and shredding
// the subject makes its objects unreadable without touching the others.
type SealedStore struct {
	backend Backend
	sealer  *seal.Sealer
	legacy  *contentStore
	noKeys  error  // why there is no sealer
	subject string // whose blobs this view holds; "" for the deployment's
}

// For returns the view of the store holding subject's blobs (the
// deployment's, for ""). It shares the backend: objects of every subject
// sit side by side, under names that do not tell whose they are.
func (s *SealedStore) For(subject string) (*SealedStore, error) {
	if len(subject) > maxSubject || strings.IndexByte(subject, 0) >= 0 {
		return nil, fmt.Errorf("blob store: a subject's name is at most %d bytes, without NUL", maxSubject)
	}
	v := *s
	v.subject = subject
	return &v, nil
}

// Subject is whose blobs this view holds; "" for the deployment's.
func (s *SealedStore) Subject() string { return s.subject }

// Sealer is the sealer whose keys the store uses; nil without keys.
func (s *SealedStore) Sealer() *seal.Sealer { return s.sealer }

// ForSubject returns the view of store holding subject's blobs: store itself
// for "", and for a subject the SealedStore's view (For). A store that does
// not seal cannot keep a subject's blobs apart (ErrNoSubjectKeys).
func ForSubject(store Store, subject string) (Store, error) {
	if subject == "" {
		return store, nil
	}
	sealed, ok := store.(*SealedStore)
	if !ok {
		return nil, ErrNoSubjectKeys
	}
	return sealed.For(subject)
}

// contentKey is the key the view's content is sealed with. With create, a
// subject's key is made on first use.
func (s *SealedStore) contentKey(ctx context.Context, create bool) (*seal.BlobKey, error) {
	switch {
	case s.subject == "":
		return s.sealer.DeploymentBlobKey(), nil
	case create:
		return s.sealer.SubjectBlobKey(ctx, s.subject)
	}
	k, err := s.sealer.OpenSubjectBlobKey(ctx, s.subject)
	if errors.Is(err, seal.ErrNoKey) {
		// An object of the subject without a key: not what Put makes.
		return nil, fmt.Errorf("%w: no key was ever made for its subject", ErrDamaged)
	}
	return k, err
}

// clearToo reports whether blobs kept in clear (from before encryption at
// rest) belong to this view: the deployment's only.
func (s *SealedStore) clearToo() bool { return s.subject == "" }

// NewSealedStore returns a sealed store on b with the deployment's keys.
func NewSealedStore(b Backend, sealer *seal.Sealer) *SealedStore {
	if sealer == nil {
		return WithoutKeys(b, errors.New("no sealer given"))
	}
	return &SealedStore{backend: b, sealer: sealer, legacy: &contentStore{backend: b}}
}

// WithoutKeys returns the sealed store on b for a process that could not
// open the deployment's keys (why says why): blobs kept in clear still
// read, but everything that needs the keys — storing (never in clear),
// reading, listing or deleting sealed blobs — fails with an error wrapping
// ErrNoKeys that gives the reason.
func WithoutKeys(b Backend, why error) *SealedStore {
	return &SealedStore{backend: b, legacy: &contentStore{backend: b}, noKeys: why}
}

func (s *SealedStore) keysMissing(op string) error {
	return fmt.Errorf("%s in %s: %w: %v", op, s.backend.Location(), ErrNoKeys, s.noKeys)
}

// Backend is the raw backend the objects are kept in.
func (s *SealedStore) Backend() Backend { return s.backend }

// Location names where the blobs are kept.
func (s *SealedStore) Location() string { return s.backend.Location() }

// storedName is the backend name of the view's sealed object for a content
// hash.
func (s *SealedStore) storedName(sum string) string {
	return s.nameFor(s.subject, sum)
}

func (s *SealedStore) nameFor(subject, sum string) string {
	name := s.sealer.BlobName(sum)
	if subject != "" {
		name = s.sealer.SubjectBlobName(subject, sum)
	}
	return sealedPrefix + name[:2] + "/" + name
}

// validStoredName reports whether name has the form storedName gives.
func validStoredName(name string) bool {
	rest, ok := strings.CutPrefix(name, sealedPrefix)
	if !ok || len(rest) != 2+1+64 || rest[2] != '/' {
		return false
	}
	h := rest[3:]
	parsed, err := ParseSHA256(h)
	return err == nil && parsed == h && h[:2] == rest[:2]
}

func contentAD(objectID []byte) []byte {
	return append([]byte("dossier/blob-content/v1\x00"), objectID...)
}

func indexAD(name string, objectID []byte) []byte {
	b := append([]byte("dossier/blob-index/v1\x00"), name...)
	return append(append(b, 0), objectID...)
}

// index is what an object's index holds.
type index struct {
	sha256    [sha256.Size]byte
	size      int64
	endOffset int64 // offset in the content stream where the end digest starts
	endDigest [sha256.Size]byte
	subject   string // whose key seals the content; "" for the deployment's
}

// encode writes the current index format, which names the subject.
func (ix index) encode() []byte {
	b := make([]byte, 0, indexSizeV2)
	b = append(b, indexMagicV2...)
	b = append(b, ix.sha256[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(ix.size))
	b = binary.BigEndian.AppendUint64(b, uint64(ix.endOffset))
	b = append(b, ix.endDigest[:]...)
	b = append(b, byte(len(ix.subject)))
	b = append(b, ix.subject...)
	return append(b, make([]byte, maxSubject-len(ix.subject))...)
}

// decodeIndex reads either format: objects written before subjects had
// blobs of their own have the deployment's.
func decodeIndex(b []byte) (index, bool) {
	var ix index
	switch {
	case len(b) == indexSize && string(b[:4]) == indexMagic:
	case len(b) == indexSizeV2 && string(b[:4]) == indexMagicV2:
		n := int(b[indexSize])
		if n > maxSubject {
			return ix, false
		}
		ix.subject = string(b[indexSize+1 : indexSize+1+n])
	default:
		return ix, false
	}
	b = b[4:]
	copy(ix.sha256[:], b)
	b = b[sha256.Size:]
	ix.size = int64(binary.BigEndian.Uint64(b))
	ix.endOffset = int64(binary.BigEndian.Uint64(b[8:]))
	copy(ix.endDigest[:], b[16:16+sha256.Size])
	if ix.size < 0 || ix.endOffset < 0 {
		return ix, false
	}
	return ix, true
}

// Put streams r into a new sealed object: the content is hashed on one
// core while it is encrypted on the other, into a staged object that is
// published under the hash's name only once complete and checked.
func (s *SealedStore) Put(ctx context.Context, r io.Reader, wantSHA256 string) (Ref, bool, error) {
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
	if s.noKeys != nil {
		return Ref{}, false, s.keysMissing("store blob")
	}
	// The subject's key first: a subject shredded takes nothing more, and
	// the upload is not read for nothing.
	key, err := s.contentKey(ctx, true)
	if err != nil {
		return Ref{}, false, fmt.Errorf("store blob in %s: %w", s.backend.Location(), err)
	}
	objectID := make([]byte, objectIDSize)
	rand.Read(objectID)

	pr, pw := io.Pipe()
	written := make(chan sealedWrite, 1)
	go func() {
		w, err := s.writeObject(ctx, pw, r, key, objectID)
		pw.CloseWithError(err)
		w.err = err
		written <- w
	}()
	staged, stageErr := s.backend.Stage(ctx, pr)
	// If Stage stopped reading early, this ends the writer; otherwise it
	// has finished already.
	pr.CloseWithError(errStageEnded)
	w := <-written
	if w.err != nil || stageErr != nil {
		if staged != nil {
			staged.Discard()
		}
		err := w.err
		if err == nil || errors.Is(err, errStageEnded) {
			err = stageErr
		}
		return Ref{}, false, fmt.Errorf("store blob in %s: %w", s.backend.Location(), err)
	}
	ref := w.ref
	if staged.Size() != w.stored {
		staged.Discard()
		return Ref{}, false, fmt.Errorf("store blob in %s: wrote %d bytes but staged %d", s.backend.Location(), w.stored, staged.Size())
	}
	if want != "" && ref.SHA256 != want {
		if err := staged.Discard(); err != nil {
			return Ref{}, false, fmt.Errorf("%w: content hashes to %s, expected %s; removing the staged copy: %v", ErrHashMismatch, ref.SHA256, want, err)
		}
		return Ref{}, false, fmt.Errorf("%w: content hashes to %s, expected %s", ErrHashMismatch, ref.SHA256, want)
	}
	name := s.storedName(ref.SHA256)
	existed, err := staged.Commit(ctx, name)
	if err != nil {
		staged.Discard()
		return Ref{}, false, fmt.Errorf("store blob %s in %s: %w", ref.SHA256, s.backend.Location(), err)
	}
	if existed {
		// What is already there must be this content, whole: otherwise it
		// was damaged since, and saying the content is safely kept would be
		// false.
		// A concurrent Put of the same content may replace the object while
		// it is read (S3 has no create-if-absent): the read then fails, not
		// the check, and reading again sees the whole new copy.
		err := s.checkExisting(ctx, name, ref, w.stored)
		for attempt := 1; err != nil && !errors.Is(err, ErrDamaged) && attempt < 4 && ctx.Err() == nil; attempt++ {
			err = s.checkExisting(ctx, name, ref, w.stored)
		}
		if err != nil {
			return Ref{}, false, fmt.Errorf("store blob %s in %s: the copy already stored: %w", ref.SHA256, s.backend.Location(), err)
		}
		return ref, true, nil
	}
	// Content already held in clear, from before encryption at rest, is
	// held: say so. SealLegacy removes the clear copy.
	if s.clearToo() {
		if _, err := s.backend.Size(ctx, objectName(ref.SHA256)); err == nil {
			existed = true
		}
	}
	return ref, existed, nil
}

// errStageEnded ends an object writer whose reader, the backend's Stage,
// has returned.
var errStageEnded = errors.New("the backend stopped reading")

type sealedWrite struct {
	ref    Ref
	stored int64 // bytes of the object
	err    error
}

func (s *SealedStore) checkExisting(ctx context.Context, name string, ref Ref, stored int64) error {
	obj, err := s.backend.Open(ctx, name)
	if err != nil {
		return err
	}
	defer obj.Close()
	if obj.Size() != stored {
		return fmt.Errorf("%w: it holds %d bytes, not %d", ErrDamaged, obj.Size(), stored)
	}
	h, err := s.readHead(obj, name)
	if err != nil {
		return err
	}
	if hex.EncodeToString(h.ix.sha256[:]) != ref.SHA256 || h.ix.size != ref.Size || h.ix.subject != s.subject {
		return fmt.Errorf("%w: its index names other content", ErrDamaged)
	}
	return nil
}

// writeObject writes the whole object for the content read from r to w.
func (s *SealedStore) writeObject(ctx context.Context, w io.Writer, r io.Reader, key *seal.BlobKey, objectID []byte) (sealedWrite, error) {
	out := &countingWriter{w: w}
	if _, err := out.Write([]byte(objectMagic)); err != nil {
		return sealedWrite{}, err
	}
	if _, err := out.Write(objectID); err != nil {
		return sealedWrite{}, err
	}
	content := &endDigester{w: out}
	ew, err := key.EncryptWriter(content, contentAD(objectID))
	if err != nil {
		return sealedWrite{}, err
	}
	h := sha256.New()
	size, err := hashAndEncrypt(ctx, r, h, ew)
	if err != nil {
		return sealedWrite{}, err
	}
	// Everything written from here on — the content's last segment and its
	// padding — is digested, for readers that never decrypt the padding.
	ix := index{subject: s.subject}
	ix.endOffset = content.n
	content.digest = sha256.New()
	if err := ew.Close(); err != nil {
		return sealedWrite{}, err
	}
	copy(ix.endDigest[:], content.digest.Sum(nil))
	copy(ix.sha256[:], h.Sum(nil))
	ix.size = size
	ref := Ref{SHA256: hex.EncodeToString(ix.sha256[:]), Size: size}

	indexStart := out.n
	iw, err := s.sealer.EncryptWriter(out, indexAD(s.storedName(ref.SHA256), objectID))
	if err != nil {
		return sealedWrite{}, err
	}
	if _, err := iw.Write(ix.encode()); err != nil {
		return sealedWrite{}, err
	}
	if err := iw.Close(); err != nil {
		return sealedWrite{}, err
	}
	tail := binary.BigEndian.AppendUint32(nil, uint32(out.n-indexStart))
	if _, err := out.Write(append(tail, objectMagic...)); err != nil {
		return sealedWrite{}, err
	}
	return sealedWrite{ref: ref, stored: out.n}, nil
}

const (
	// putBufferSize and putBuffers: the content is read in blocks this size,
	// hashed by the reading goroutine and encrypted by another, with this
	// many blocks in flight between them.
	putBufferSize = 256 << 10
	putBuffers    = 4
)

// hashAndEncrypt reads r to its end, hashing it into h on one goroutine and
// writing it to w on another, so that hashing and encryption each have a
// core. It stops when ctx is done.
func hashAndEncrypt(ctx context.Context, r io.Reader, h hash.Hash, w io.Writer) (int64, error) {
	free := make(chan []byte, putBuffers)
	for range putBuffers {
		free <- make([]byte, putBufferSize)
	}
	full := make(chan []byte, putBuffers)
	var stop atomic.Bool
	var n int64
	readErr := make(chan error, 1)
	go func() {
		defer close(full)
		for !stop.Load() {
			if err := ctx.Err(); err != nil {
				readErr <- err
				return
			}
			buf := <-free
			k, err := io.ReadFull(r, buf)
			if k > 0 {
				h.Write(buf[:k])
				n += int64(k)
				full <- buf[:k]
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				readErr <- nil
				return
			}
			if err != nil {
				readErr <- err
				return
			}
		}
		readErr <- nil
	}()
	var werr error
	for b := range full {
		if werr == nil {
			if _, werr = w.Write(b); werr != nil {
				stop.Store(true)
			}
		}
		free <- b[:cap(b)]
	}
	if err := <-readErr; err != nil {
		return n, err
	}
	if werr != nil {
		return n, werr
	}
	// A context cancelled as the content ended must still stop the Put.
	return n, ctx.Err()
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// endDigester counts what passes through it and, once digest is set, hashes
// it too.
type endDigester struct {
	w      io.Writer
	n      int64
	digest hash.Hash
}

func (e *endDigester) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if e.digest != nil {
		e.digest.Write(p[:n])
	}
	e.n += int64(n)
	return n, err
}

// head is what Open learns from an object's ends: where its parts are and
// what its index says.
type head struct {
	objectID   []byte
	ix         index
	contentLen int64 // ciphertext bytes of the content stream
	src        *objectReaderAt
}

// readHead reads the object's magic, ID, tail and index. Errors that mean
// the object is not what Put wrote wrap ErrDamaged.
func (s *SealedStore) readHead(obj Object, name string) (head, error) {
	size := obj.Size()
	src := newObjectReaderAt(obj)
	if size < int64(objectHeaderSize+objectTailSize) {
		return head{}, fmt.Errorf("%w: %d bytes is too short for a sealed object", ErrDamaged, size)
	}
	start := make([]byte, objectHeaderSize)
	if _, err := src.ReadAt(start, 0); err != nil {
		return head{}, fmt.Errorf("read %s: %w", name, err)
	}
	tail := make([]byte, objectTailSize)
	if _, err := src.ReadAt(tail, size-int64(objectTailSize)); err != nil {
		return head{}, fmt.Errorf("read %s: %w", name, err)
	}
	if string(start[:4]) != objectMagic || string(tail[4:]) != objectMagic {
		return head{}, fmt.Errorf("%w: not a sealed object (its first or last bytes are wrong)", ErrDamaged)
	}
	indexLen := int64(binary.BigEndian.Uint32(tail))
	contentLen := size - int64(objectHeaderSize+objectTailSize) - indexLen
	if indexLen > maxIndexCiphertext || contentLen < 0 {
		return head{}, fmt.Errorf("%w: impossible index length %d", ErrDamaged, indexLen)
	}
	h := head{objectID: start[4:], contentLen: contentLen, src: src}
	ir, err := s.sealer.DecryptReaderAt(io.NewSectionReader(src, int64(objectHeaderSize)+contentLen, indexLen), indexLen, indexAD(name, h.objectID))
	if err != nil {
		return head{}, explain(name, err)
	}
	plain := make([]byte, indexSizeV2+1)
	n, err := io.ReadFull(ir, plain)
	if err != io.ErrUnexpectedEOF {
		if err == nil {
			err = errors.New("the index is too long")
		}
		return head{}, explain(name, err)
	}
	ix, ok := decodeIndex(plain[:n])
	if !ok {
		return head{}, fmt.Errorf("%w: malformed index", ErrDamaged)
	}
	if ix.endOffset > contentLen {
		return head{}, fmt.Errorf("%w: the index points past the content", ErrDamaged)
	}
	h.ix = ix
	return h, nil
}

// explain turns seal's ErrCiphertext into ErrDamaged; a failing source (a
// dropped connection) stays what it is.
func explain(name string, err error) error {
	if errors.Is(err, seal.ErrCiphertext) {
		return fmt.Errorf("%w: %s: %w", ErrDamaged, name, err)
	}
	return err
}

// Open returns the blob's content, decrypting only what is read: Seek and
// ReadAt start at the 256 KiB chunk holding the offset.
func (s *SealedStore) Open(ctx context.Context, sha256 string) (Object, error) {
	sum, err := ParseSHA256(sha256)
	if err != nil {
		return nil, fmt.Errorf("open blob: %w", err)
	}
	if s.noKeys != nil {
		if !s.clearToo() {
			return nil, s.keysMissing("open blob " + sum)
		}
		obj, err := s.legacy.Open(ctx, sum)
		if errors.Is(err, ErrNotFound) {
			return nil, s.keysMissing("open blob " + sum)
		}
		return obj, err
	}
	name := s.storedName(sum)
	raw, err := s.backend.Open(ctx, name)
	if errors.Is(err, ErrNotFound) && s.clearToo() {
		return s.legacy.Open(ctx, sum)
	}
	if err != nil {
		return nil, s.wrap("open", sum, err)
	}
	obj, err := s.openObject(ctx, raw, name, sum)
	if err != nil {
		raw.Close()
		return nil, s.wrap("open", sum, err)
	}
	return obj, nil
}

func (s *SealedStore) openObject(ctx context.Context, raw Object, name, sum string) (*sealedObject, error) {
	h, err := s.readHead(raw, name)
	if err != nil {
		return nil, err
	}
	if hex.EncodeToString(h.ix.sha256[:]) != sum || h.ix.subject != s.subject {
		return nil, fmt.Errorf("%w: the object stored for this hash holds another", ErrDamaged)
	}
	key, err := s.contentKey(ctx, false)
	if err != nil {
		return nil, err
	}
	content, err := key.DecryptReaderAt(io.NewSectionReader(h.src, int64(objectHeaderSize), h.contentLen), h.contentLen, contentAD(h.objectID))
	if err != nil {
		return nil, explain(name, err)
	}
	if content.Size() != h.ix.size {
		return nil, fmt.Errorf("%w: the content holds %d bytes, its index says %d", ErrDamaged, content.Size(), h.ix.size)
	}
	return &sealedObject{raw: raw, name: name, head: h, r: content}, nil
}

// Stat returns the blob's hash and plaintext size, read from its index.
func (s *SealedStore) Stat(ctx context.Context, sha256 string) (Ref, error) {
	sum, err := ParseSHA256(sha256)
	if err != nil {
		return Ref{}, fmt.Errorf("stat blob: %w", err)
	}
	if s.noKeys != nil {
		if !s.clearToo() {
			return Ref{}, s.keysMissing("stat blob " + sum)
		}
		ref, err := s.legacy.Stat(ctx, sum)
		if errors.Is(err, ErrNotFound) {
			return Ref{}, s.keysMissing("stat blob " + sum)
		}
		return ref, err
	}
	name := s.storedName(sum)
	raw, err := s.backend.Open(ctx, name)
	if errors.Is(err, ErrNotFound) && s.clearToo() {
		return s.legacy.Stat(ctx, sum)
	}
	if err != nil {
		return Ref{}, s.wrap("stat", sum, err)
	}
	defer raw.Close()
	h, err := s.readHead(raw, name)
	if err != nil {
		return Ref{}, s.wrap("stat", sum, err)
	}
	if hex.EncodeToString(h.ix.sha256[:]) != sum || h.ix.subject != s.subject {
		return Ref{}, s.wrap("stat", sum, fmt.Errorf("%w: the object stored for this hash holds another", ErrDamaged))
	}
	// A shredded subject's blob is there, but it is no longer a blob
	// anyone can have.
	if s.subject != "" {
		if shredded, err := s.sealer.IsShredded(ctx, s.subject); err != nil {
			return Ref{}, s.wrap("stat", sum, err)
		} else if shredded {
			return Ref{}, s.wrap("stat", sum, ErrShredded)
		}
	}
	return Ref{SHA256: sum, Size: h.ix.size}, nil
}

// Delete removes the blob, sealed or in clear (both, if a conversion was
// interrupted between the two).
func (s *SealedStore) Delete(ctx context.Context, sha256 string) error {
	sum, err := ParseSHA256(sha256)
	if err != nil {
		return fmt.Errorf("delete blob: %w", err)
	}
	if s.noKeys != nil {
		// A sealed copy cannot be found without the keys, and a deletion
		// that might leave one behind must not report success.
		return s.keysMissing("delete blob " + sum)
	}
	sealedErr := s.backend.Delete(ctx, s.storedName(sum))
	if sealedErr != nil && !errors.Is(sealedErr, ErrNotFound) {
		return s.wrap("delete", sum, sealedErr)
	}
	if !s.clearToo() {
		if sealedErr != nil {
			return s.wrap("delete", sum, sealedErr)
		}
		return nil
	}
	legacyErr := s.legacy.Delete(ctx, sum)
	if legacyErr != nil && !errors.Is(legacyErr, ErrNotFound) {
		return legacyErr
	}
	if sealedErr != nil && legacyErr != nil {
		return s.wrap("delete", sum, sealedErr)
	}
	return nil
}

// Walk lists the view's blobs: it reads the index of every sealed object, in
// the order of their stored names (which says nothing of their hashes),
// keeps those of the view's subject (the deployment's, for the store
// itself), then lists the blobs kept in clear that have no sealed copy.
// Objects that do not open are skipped and reported together at the end,
// in a *DamagedError. WalkAll lists every subject's.
func (s *SealedStore) Walk(ctx context.Context, fn func(Ref) error) error {
	return s.walk(ctx, func(h Held) error {
		if h.Subject != s.subject {
			return nil
		}
		return fn(h.Ref)
	})
}

// Held is a blob as the store keeps it: whose key seals it ("" for the
// deployment's, or a subject's), and the object's name in the backend
// ("sealed/ab/…"; "sha256/ab/…" for a blob kept in clear).
type Held struct {
	Ref
	Subject string
	Name    string
}

// WalkAll is Walk over every blob of the backend, the deployment's and every
// subject's, whose key is not needed to list them: the index is sealed with
// the deployment's. A shredded subject's objects are listed too, as long as
// they have not been deleted (seal.Sealer.IsShredded tells them apart).
func (s *SealedStore) WalkAll(ctx context.Context, fn func(Held) error) error {
	return s.walk(ctx, fn)
}

func (s *SealedStore) walk(ctx context.Context, fn func(Held) error) error {
	if s.noKeys != nil {
		if !s.clearToo() {
			return s.keysMissing("list sealed blobs")
		}
		return s.walkWithoutKeys(ctx, func(ref Ref) error { return fn(Held{Ref: ref, Name: objectName(ref.SHA256)}) })
	}
	damaged := &DamagedError{}
	err := s.backend.List(ctx, sealedPrefix, func(name string, size int64) error {
		if !validStoredName(name) {
			return nil // not an object Put wrote
		}
		held, err := s.readHeld(ctx, name)
		switch {
		case errors.Is(err, ErrNotFound):
			return nil // deleted while we walked
		case errors.Is(err, ErrDamaged):
			damaged.Objects = append(damaged.Objects, name)
			damaged.Errs = append(damaged.Errs, err)
			return nil
		case err != nil:
			return fmt.Errorf("walk %s: %s: %w", s.backend.Location(), name, err)
		}
		return fn(held)
	})
	if err != nil {
		return err
	}
	err = s.legacy.Walk(ctx, func(ref Ref) error {
		if _, err := s.backend.Size(ctx, s.nameFor("", ref.SHA256)); err == nil {
			return nil // converted; the clear copy is about to go
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		return fn(Held{Ref: ref, Name: objectName(ref.SHA256)})
	})
	if err != nil {
		return err
	}
	if len(damaged.Objects) > 0 {
		return damaged
	}
	return nil
}

// walkWithoutKeys lists the blobs kept in clear, then fails if there are
// sealed ones, which it cannot list.
func (s *SealedStore) walkWithoutKeys(ctx context.Context, fn func(Ref) error) error {
	if err := s.legacy.Walk(ctx, fn); err != nil {
		return err
	}
	sealed := 0
	err := s.backend.List(ctx, sealedPrefix, func(name string, _ int64) error {
		if validStoredName(name) {
			sealed++
		}
		return nil
	})
	if err != nil {
		return err
	}
	if sealed > 0 {
		return s.keysMissing(fmt.Sprintf("list %d sealed blobs", sealed))
	}
	return nil
}

func (s *SealedStore) readHeld(ctx context.Context, name string) (Held, error) {
	raw, err := s.backend.Open(ctx, name)
	if err != nil {
		return Held{}, err
	}
	defer raw.Close()
	h, err := s.readHead(raw, name)
	if err != nil {
		return Held{}, err
	}
	held := Held{Ref: Ref{SHA256: hex.EncodeToString(h.ix.sha256[:]), Size: h.ix.size}, Subject: h.ix.subject, Name: name}
	// The index is bound to the name, but check the name is the hash's
	// (and the subject's): otherwise the object was made with another
	// blob-name key.
	if s.nameFor(held.Subject, held.SHA256) != name {
		return Held{}, fmt.Errorf("%w: %s holds %s, which is not kept under that name", ErrDamaged, name, held.SHA256)
	}
	return held, nil
}

func (s *SealedStore) wrap(op, sum string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%s blob %s: %w in %s", op, sum, ErrNotFound, s.backend.Location())
	}
	return fmt.Errorf("%s blob %s in %s: %w", op, sum, s.backend.Location(), err)
}

// sealedObject is an open sealed blob.
type sealedObject struct {
	raw  Object
	name string
	head head
	r    *seal.BlobReader

	pos        int64 // where the next Read starts
	contiguous int64 // content read by Reads in one run from offset 0
	checked    bool  // the end digest was checked
}

func (o *sealedObject) Size() int64 { return o.head.ix.size }

func (o *sealedObject) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	if o.pos == o.contiguous {
		o.contiguous += int64(n)
	}
	o.pos += int64(n)
	if err == io.EOF && o.contiguous == o.head.ix.size && !o.checked {
		// Read from start to end: what was never decrypted is checked too.
		o.checked = true
		if cerr := o.checkEnd(); cerr != nil {
			return n, cerr
		}
	}
	if err != nil && err != io.EOF {
		err = explain(o.name, err)
	}
	return n, err
}

func (o *sealedObject) Seek(offset int64, whence int) (int64, error) {
	pos, err := o.r.Seek(offset, whence)
	if err == nil {
		o.pos = pos
	}
	return pos, err
}

func (o *sealedObject) ReadAt(p []byte, off int64) (int, error) {
	n, err := o.r.ReadAt(p, off)
	if err != nil && err != io.EOF {
		err = explain(o.name, err)
	}
	return n, err
}

func (o *sealedObject) Close() error { return o.raw.Close() }

// checkEnd hashes the content stream's ciphertext from where its last
// segment began and compares it with the digest in the index.
func (o *sealedObject) checkEnd() error {
	h := sha256.New()
	start := int64(objectHeaderSize) + o.head.ix.endOffset
	n := o.head.contentLen - o.head.ix.endOffset
	if _, err := io.CopyBuffer(h, io.NewSectionReader(o.head.src, start, n), make([]byte, 64<<10)); err != nil {
		return fmt.Errorf("read %s: %w", o.name, err)
	}
	if !bytes.Equal(h.Sum(nil), o.head.ix.endDigest[:]) {
		return fmt.Errorf("%w: %s: the end of its content (padding) was altered", ErrDamaged, o.name)
	}
	return nil
}

// objectReaderAt reads a backend object by offset. Files are read with
// pread. Other objects (S3) are read as a stream, seeking only when the
// offset is not where the last read ended, so that decrypting a blob from
// start to end is one request, not one per segment; and the object's first
// and last bytes — magic, index, tail, seal's header and trailer — are
// fetched once, with two requests, and served from memory.
type objectReaderAt struct {
	obj  Object
	at   io.ReaderAt // for files
	size int64

	mu        sync.Mutex // for the stream and the ends
	pos       int64      // of obj's stream; -1 when unknown
	head      []byte
	tail      []byte
	tailStart int64
}

// objectEnds is how much of each end of an object is kept in memory: the
// index, the tail and seal's trailer fit with room to spare.
const objectEnds = 2 << 10

func newObjectReaderAt(obj Object) *objectReaderAt {
	r := &objectReaderAt{obj: obj, size: obj.Size(), pos: -1}
	if f, ok := obj.(*fileObject); ok {
		r.at = f.File
	}
	return r
}

func (r *objectReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("read at a negative offset")
	}
	if off >= r.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	want := len(p)
	if left := r.size - off; int64(want) > left {
		p = p[:left]
	}
	var n int
	var err error
	if r.at != nil {
		n, err = r.at.ReadAt(p, off)
	} else {
		r.mu.Lock()
		n, err = r.readCached(p, off)
		r.mu.Unlock()
	}
	if err == nil && n < want {
		err = io.EOF
	}
	return n, err
}

func (r *objectReaderAt) readCached(p []byte, off int64) (int, error) {
	end := off + int64(len(p))
	if r.head == nil && off < objectEnds && end <= objectEnds {
		r.head = make([]byte, min(objectEnds, r.size))
		if _, err := r.stream(r.head, 0); err != nil {
			r.head = nil
			return 0, err
		}
	}
	if r.head != nil && end <= int64(len(r.head)) {
		return copy(p, r.head[off:]), nil
	}
	if r.tail == nil && off >= r.size-objectEnds {
		r.tailStart = max(0, r.size-objectEnds)
		r.tail = make([]byte, r.size-r.tailStart)
		if _, err := r.stream(r.tail, r.tailStart); err != nil {
			r.tail = nil
			return 0, err
		}
	}
	if r.tail != nil && off >= r.tailStart {
		return copy(p, r.tail[off-r.tailStart:]), nil
	}
	return r.stream(p, off)
}

func (r *objectReaderAt) stream(p []byte, off int64) (int, error) {
	if off != r.pos {
		if _, err := r.obj.Seek(off, io.SeekStart); err != nil {
			r.pos = -1
			return 0, err
		}
		r.pos = off
	}
	n, err := io.ReadFull(r.obj, p)
	r.pos += int64(n)
	if err != nil {
		r.pos = -1
	}
	return n, err
}
