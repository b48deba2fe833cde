package seal

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"sync"

	"github.com/tink-crypto/tink-go/v2/tink"
)

// A sealed blob is a sequence of independent Tink streaming ciphertexts
// (AES-256-GCM-HKDF, 64 KiB segments), because Tink for Go decrypts a stream
// only from its start: cutting the file into chunks lets a reader start at
// any chunk, so a Range request on a video costs at most one chunk of
// decryption and a segment of memory, whatever the file's size.
//
//	header   16 bytes: "DSB" 0x01, then chunk plaintext size, chunk
//	         ciphertext size and trailer ciphertext size (uint32, big-endian)
//	chunks   ceil(padme(P)/C) ciphertexts of C plaintext bytes each (the
//	         last may hold fewer)
//	trailer  a ciphertext of the plaintext size P (uint64, big-endian)
//
// The plaintext is padded with zeros to a size Padmé allows (below), so
// that the size of what is stored says little about the size of the file.
//
// Every chunk and the trailer are bound, by associated data, to the header,
// their index, whether they are the trailer, and the caller's associated
// data; so chunks cannot be reordered, dropped, cut short, moved between
// blobs, nor the blob truncated at a chunk boundary (the trailer's index and
// P would disagree with what is left).
const (
	blobMagic      = "DSB\x01"
	blobHeaderSize = 16
	// 1 MiB: a seek decrypts at most this much, and each chunk starts a
	// Tink stream with its own buffers, so smaller chunks cost allocation
	// and garbage collection on every large upload.
	blobChunkSize = 1 << 20
)

// padme is the length a plaintext of l bytes is padded to: Padmé, from
// Nikitin et al., "Reducing metadata leakage from encrypted files and
// communication with PURBs" (PETS 2019). It keeps the top bits of l and
// rounds up the rest, so at most 12% is added (under 3% past 1 GiB) and a
// stored size names one of O(log log l) bits' worth of lengths instead of
// the exact one: a known video can no longer be recognised by its size alone
// among the files of its size class.
func padme(l int64) int64 {
	if l < 2 {
		return l
	}
	e := bits.Len64(uint64(l)) - 1 // floor(log2 l)
	s := bits.Len64(uint64(e))     // floor(log2 e) + 1
	if e <= s {
		return l
	}
	mask := int64(1)<<(e-s) - 1
	return (l + mask) &^ mask
}

type blobLayout struct {
	chunk, chunkCT, trailerCT int64
}

// measureLayout learns from the key how long a full chunk and a trailer are
// once encrypted, so readers can find chunk i without reading the others.
func measureLayout(sa tink.StreamingAEAD) (blobLayout, error) {
	size := func(n int64) (int64, error) {
		var c countingWriter
		w, err := sa.NewEncryptingWriter(&c, nil)
		if err != nil {
			return 0, err
		}
		if _, err := io.CopyN(w, zeroReader{}, n); err != nil {
			return 0, err
		}
		if err := w.Close(); err != nil {
			return 0, err
		}
		return c.n, nil
	}
	l := blobLayout{chunk: blobChunkSize}
	var err error
	if l.chunkCT, err = size(l.chunk); err != nil {
		return l, err
	}
	if l.trailerCT, err = size(8); err != nil {
		return l, err
	}
	return l, nil
}

func (l blobLayout) header() []byte {
	h := make([]byte, blobHeaderSize)
	copy(h, blobMagic)
	binary.BigEndian.PutUint32(h[4:], uint32(l.chunk))
	binary.BigEndian.PutUint32(h[8:], uint32(l.chunkCT))
	binary.BigEndian.PutUint32(h[12:], uint32(l.trailerCT))
	return h
}

func parseBlobHeader(h []byte) (blobLayout, error) {
	if len(h) != blobHeaderSize || string(h[:4]) != blobMagic {
		return blobLayout{}, fmt.Errorf("%w: not a sealed blob (unknown header)", ErrCiphertext)
	}
	l := blobLayout{
		chunk:     int64(binary.BigEndian.Uint32(h[4:])),
		chunkCT:   int64(binary.BigEndian.Uint32(h[8:])),
		trailerCT: int64(binary.BigEndian.Uint32(h[12:])),
	}
	if l.chunk <= 0 || l.chunkCT <= l.chunk || l.trailerCT <= 8 || l.trailerCT > 1<<20 {
		return blobLayout{}, fmt.Errorf("%w: impossible sizes in the blob header", ErrCiphertext)
	}
	return l, nil
}

func chunkAD(header []byte, index int64, trailer bool, ad []byte) []byte {
	b := make([]byte, 0, 16+len(header)+9+len(ad))
	b = append(b, "dossier/blob/v1"...)
	b = append(b, header...)
	b = binary.BigEndian.AppendUint64(b, uint64(index))
	if trailer {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return append(b, ad...)
}

// BlobName is the name to store a blob under, given the lowercase hex SHA-256
// of its plain content: a keyed HMAC of the hash, so that someone who can list
// the bucket cannot confirm that a known file is held, while identical content
// still gets the same name (and is stored once).
func (s *Sealer) BlobName(sha256 string) string {
	out, err := s.blobName.ComputePRF([]byte(strings.ToLower(sha256)), 32)
	if err != nil {
		// HMAC-SHA256 with a 32-byte output cannot fail once the key loaded.
		panic(fmt.Sprintf("seal: blob name: %v", err))
	}
	return hex.EncodeToString(out)
}

// BlobKey is one streaming key that seals blobs: the deployment's own
// (Sealer.DeploymentBlobKey), or a subject's (Sealer.SubjectBlobKey), whose
// blobs become unreadable when the subject is shredded.
type BlobKey struct {
	sa     tink.StreamingAEAD
	layout blobLayout
}

func newBlobKey(sa tink.StreamingAEAD) (*BlobKey, error) {
	l, err := measureLayout(sa)
	if err != nil {
		return nil, err
	}
	return &BlobKey{sa: sa, layout: l}, nil
}

// EncryptWriter seals with the deployment's blob key: see
// BlobKey.EncryptWriter.
func (s *Sealer) EncryptWriter(w io.Writer, ad []byte) (io.WriteCloser, error) {
	return s.blobKey.EncryptWriter(w, ad)
}

// DecryptReader opens what EncryptWriter sealed: see BlobKey.DecryptReader.
func (s *Sealer) DecryptReader(src io.ReadSeeker, ad []byte) (*BlobReader, error) {
	return s.blobKey.DecryptReader(src, ad)
}

// DecryptReaderAt opens what EncryptWriter sealed: see
// BlobKey.DecryptReaderAt.
func (s *Sealer) DecryptReaderAt(src io.ReaderAt, ciphertextSize int64, ad []byte) (*BlobReader, error) {
	return s.blobKey.DecryptReaderAt(src, ciphertextSize, ad)
}

// EncryptWriter returns a writer that encrypts what is written to it onto w,
// bound to ad (say, the blob's name: then a ciphertext renamed to another
// blob does not open). Memory stays constant whatever is written. Close
// writes the end of the ciphertext; it does not close w, and without it the
// ciphertext does not open.
func (k *BlobKey) EncryptWriter(w io.Writer, ad []byte) (io.WriteCloser, error) {
	bw := &blobWriter{
		sa:     k.sa,
		w:      countingWriter{w: w},
		layout: k.layout,
		header: k.layout.header(),
		ad:     append([]byte(nil), ad...),
	}
	if _, err := bw.w.Write(bw.header); err != nil {
		return nil, fmt.Errorf("write the blob header: %w", err)
	}
	return bw, nil
}

type blobWriter struct {
	sa     tink.StreamingAEAD
	w      countingWriter
	layout blobLayout
	header []byte
	ad     []byte

	chunk      io.WriteCloser // the chunk being written; nil between chunks
	chunkStart int64
	inChunk    int64
	index      int64
	total      uint64
	err        error
	closed     bool
}

func (bw *blobWriter) Write(p []byte) (int, error) {
	if bw.err != nil {
		return 0, bw.err
	}
	if bw.closed {
		return 0, errors.New("seal: write to a closed blob writer")
	}
	n, err := bw.write(p)
	bw.total += uint64(n)
	return n, err
}

// write encrypts p into chunks.
func (bw *blobWriter) write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if bw.chunk == nil {
			bw.chunkStart = bw.w.n
			cw, err := bw.sa.NewEncryptingWriter(&bw.w, chunkAD(bw.header, bw.index, false, bw.ad))
			if err != nil {
				return written, bw.fail(err)
			}
			bw.chunk = cw
		}
		n := int(min(int64(len(p)), bw.layout.chunk-bw.inChunk))
		m, err := bw.chunk.Write(p[:n])
		written += m
		bw.inChunk += int64(m)
		if err != nil {
			return written, bw.fail(err)
		}
		p = p[n:]
		if bw.inChunk == bw.layout.chunk {
			if err := bw.endChunk(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

func (bw *blobWriter) endChunk() error {
	if err := bw.chunk.Close(); err != nil {
		return bw.fail(err)
	}
	if bw.inChunk == bw.layout.chunk && bw.w.n-bw.chunkStart != bw.layout.chunkCT {
		return bw.fail(fmt.Errorf("a full chunk encrypted to %d bytes, not %d", bw.w.n-bw.chunkStart, bw.layout.chunkCT))
	}
	bw.chunk = nil
	bw.inChunk = 0
	bw.index++
	return nil
}

func (bw *blobWriter) Close() error {
	if bw.err != nil {
		return bw.err
	}
	if bw.closed {
		return nil
	}
	padding := make([]byte, 32<<10)
	for left := padme(int64(bw.total)) - int64(bw.total); left > 0; {
		n, err := bw.write(padding[:min(left, int64(len(padding)))])
		if err != nil {
			return err
		}
		left -= int64(n)
	}
	if bw.chunk != nil {
		if err := bw.endChunk(); err != nil {
			return err
		}
	}
	start := bw.w.n
	tw, err := bw.sa.NewEncryptingWriter(&bw.w, chunkAD(bw.header, bw.index, true, bw.ad))
	if err != nil {
		return bw.fail(err)
	}
	if _, err := tw.Write(binary.BigEndian.AppendUint64(nil, bw.total)); err != nil {
		return bw.fail(err)
	}
	if err := tw.Close(); err != nil {
		return bw.fail(err)
	}
	if bw.w.n-start != bw.layout.trailerCT {
		return bw.fail(fmt.Errorf("the trailer encrypted to %d bytes, not %d", bw.w.n-start, bw.layout.trailerCT))
	}
	bw.closed = true
	return nil
}

func (bw *blobWriter) fail(err error) error {
	bw.err = fmt.Errorf("seal: encrypt blob: %w", err)
	return bw.err
}

// BlobReader decrypts a sealed blob: sequentially with Read, from anywhere
// with Seek, or at any offset with ReadAt. It holds one Tink segment in
// memory, whatever the blob's size. Read and Seek share a position and are
// not for concurrent use; ReadAt is when the source's ReadAt is.
type BlobReader struct {
	sa     tink.StreamingAEAD
	src    *sourceAt
	ad     []byte
	header []byte
	layout blobLayout
	chunks int64 // number of data chunks
	body   int64 // ciphertext bytes of all data chunks
	size   int64 // plaintext size

	pos      int64
	cur      io.Reader // decrypting chunk curIndex, curOff bytes into it
	curIndex int64
	curOff   int64
	scratch  []byte
}

// DecryptReader opens the sealed blob in src (a file or a stored object)
// for reading, with the ad it was encrypted with. It checks the trailer at
// once, so a truncated or foreign blob fails here; each chunk is
// authenticated as it is read.
func (k *BlobKey) DecryptReader(src io.ReadSeeker, ad []byte) (*BlobReader, error) {
	size, err := src.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("seal: size of the sealed blob: %w", err)
	}
	return k.newBlobReader(&seekerAt{rs: src, pos: -1}, size, ad)
}

// DecryptReaderAt is DecryptReader over a source read by offset, of the given
// ciphertext size.
func (k *BlobKey) DecryptReaderAt(src io.ReaderAt, ciphertextSize int64, ad []byte) (*BlobReader, error) {
	return k.newBlobReader(src, ciphertextSize, ad)
}

func (k *BlobKey) newBlobReader(src io.ReaderAt, ctSize int64, ad []byte) (*BlobReader, error) {
	r := &BlobReader{sa: k.sa, src: &sourceAt{r: src}, ad: append([]byte(nil), ad...)}
	header := make([]byte, blobHeaderSize)
	if ctSize < blobHeaderSize {
		return nil, fmt.Errorf("%w: too short to be a sealed blob", ErrCiphertext)
	}
	if _, err := r.src.ReadAt(header, 0); err != nil {
		return nil, fmt.Errorf("seal: read the blob header: %w", err)
	}
	l, err := parseBlobHeader(header)
	if err != nil {
		return nil, err
	}
	r.header, r.layout = header, l
	r.body = ctSize - blobHeaderSize - l.trailerCT
	if r.body < 0 {
		return nil, fmt.Errorf("%w: too short to be a sealed blob", ErrCiphertext)
	}
	r.chunks = (r.body + l.chunkCT - 1) / l.chunkCT
	tr, err := r.sa.NewDecryptingReader(io.NewSectionReader(r.src, ctSize-l.trailerCT, l.trailerCT),
		chunkAD(header, r.chunks, true, r.ad))
	if err != nil {
		return nil, r.explain(err)
	}
	trailer, err := io.ReadAll(io.LimitReader(tr, 9))
	if err != nil {
		return nil, r.explain(err)
	}
	if len(trailer) != 8 {
		return nil, fmt.Errorf("%w: malformed blob trailer", ErrCiphertext)
	}
	size := binary.BigEndian.Uint64(trailer)
	if size > 1<<62 || (padme(int64(size))+l.chunk-1)/l.chunk != r.chunks {
		return nil, fmt.Errorf("%w: the blob's length does not match its trailer", ErrCiphertext)
	}
	r.size = int64(size)
	return r, nil
}

// Size is the plaintext size.
func (r *BlobReader) Size() int64 { return r.size }

func (r *BlobReader) chunkLen(i int64) int64 { return min(r.layout.chunk, r.size-i*r.layout.chunk) }

func (r *BlobReader) openChunk(i int64) (io.Reader, error) {
	start := blobHeaderSize + i*r.layout.chunkCT
	n := min(r.layout.chunkCT, r.body-i*r.layout.chunkCT)
	cr, err := r.sa.NewDecryptingReader(io.NewSectionReader(r.src, start, n), chunkAD(r.header, i, false, r.ad))
	if err != nil {
		return nil, r.explain(err)
	}
	return cr, nil
}

// explain tells a failing source apart from a ciphertext that does not
// authenticate: Tink reports both alike.
func (r *BlobReader) explain(err error) error {
	if srcErr := r.src.failure(); srcErr != nil {
		return fmt.Errorf("seal: read the sealed blob: %w", srcErr)
	}
	return fmt.Errorf("%w: %v", ErrCiphertext, err)
}

// readChunk reads len(p) bytes (no more than the chunk holds) from cr.
func (r *BlobReader) readFull(cr io.Reader, p []byte) error {
	if _, err := io.ReadFull(cr, p); err != nil {
		return r.explain(err)
	}
	return nil
}

func (r *BlobReader) skip(cr io.Reader, n int64) error {
	if n == 0 {
		return nil
	}
	if r.scratch == nil {
		r.scratch = make([]byte, 32<<10)
	}
	for n > 0 {
		k := min(n, int64(len(r.scratch)))
		if err := r.readFull(cr, r.scratch[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// Read decrypts from the current position.
func (r *BlobReader) Read(p []byte) (int, error) {
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	i, within := r.pos/r.layout.chunk, r.pos%r.layout.chunk
	if r.cur == nil || r.curIndex != i || r.curOff > within {
		cr, err := r.openChunk(i)
		if err != nil {
			return 0, err
		}
		r.cur, r.curIndex, r.curOff = cr, i, 0
	}
	if err := r.skip(r.cur, within-r.curOff); err != nil {
		r.cur = nil
		return 0, err
	}
	r.curOff = within
	want := min(int64(len(p)), r.chunkLen(i)-within)
	n, err := r.cur.Read(p[:want])
	for n == 0 && err == nil {
		n, err = r.cur.Read(p[:want])
	}
	r.curOff += int64(n)
	r.pos += int64(n)
	if err != nil && (err != io.EOF || n == 0) {
		r.cur = nil
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return n, r.explain(err)
	}
	if r.curOff == r.chunkLen(i) {
		r.cur = nil
	}
	return n, nil
}

// Seek sets the position of the next Read, as io.Seeker says; decryption
// resumes from the chunk holding it.
func (r *BlobReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, errors.New("seal: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("seal: seek to a negative position")
	}
	r.pos = offset
	return offset, nil
}

// ReadAt decrypts len(p) bytes at off, independently of Read and Seek. It
// decrypts from the start of the chunk holding off (at most 256 KiB more than
// asked), so reading a whole blob is cheaper with Read.
func (r *BlobReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("seal: read at a negative offset")
	}
	n := 0
	var scratch []byte
	for n < len(p) {
		if off >= r.size {
			return n, io.EOF
		}
		i, within := off/r.layout.chunk, off%r.layout.chunk
		cr, err := r.openChunk(i)
		if err != nil {
			return n, err
		}
		for skipped := int64(0); skipped < within; {
			if scratch == nil {
				scratch = make([]byte, 32<<10)
			}
			k := min(within-skipped, int64(len(scratch)))
			if err := r.readFull(cr, scratch[:k]); err != nil {
				return n, err
			}
			skipped += k
		}
		want := int(min(int64(len(p)-n), r.chunkLen(i)-within))
		if err := r.readFull(cr, p[n:n+want]); err != nil {
			return n, err
		}
		n += want
		off += int64(want)
	}
	return n, nil
}

// sourceAt remembers the first failure of the source, so a broken
// connection is not reported as tampering.
type sourceAt struct {
	r   io.ReaderAt
	mu  sync.Mutex
	err error
}

func (s *sourceAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := s.r.ReadAt(p, off)
	if err != nil && err != io.EOF {
		s.mu.Lock()
		if s.err == nil {
			s.err = err
		}
		s.mu.Unlock()
	}
	return n, err
}

func (s *sourceAt) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// seekerAt reads an io.ReadSeeker by offset. It seeks only when the offset
// is not where the last read ended, so sequential reads of a remote object
// stay one streaming request.
type seekerAt struct {
	mu  sync.Mutex
	rs  io.ReadSeeker
	pos int64
}

func (s *seekerAt) ReadAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if off != s.pos {
		if _, err := s.rs.Seek(off, io.SeekStart); err != nil {
			s.pos = -1
			return 0, err
		}
		s.pos = off
	}
	n, err := io.ReadFull(s.rs, p)
	s.pos += int64(n)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.w == nil {
		c.n += int64(len(p))
		return len(p), nil
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
