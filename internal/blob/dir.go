package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Dir is a Backend in a local directory. Objects are read-only files under
// their name; staged objects are files in DIR/tmp, on the same file system,
// so publishing one is a hard link (or rename) that never copies data.
type Dir struct {
	root string
}

const (
	// copyBufferSize is the size of each read from the source and of each
	// write to the file: large enough that hashing, not system calls,
	// sets the pace.
	copyBufferSize = 1 << 20
	// copyBuffers in flight between the reading (hashing) goroutine and the
	// writing one.
	copyBuffers = 4
	// staleAfter: staged files older than this were left by a process that
	// died mid-upload, and are removed when a store is opened.
	staleAfter = 24 * time.Hour
)

// NewDir opens (creating it if needed) a directory backend rooted at dir,
// which must be an absolute path. It removes staged files left over from
// uploads interrupted more than a day ago.
func NewDir(dir string) (*Dir, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("blob directory %q: must be an absolute path", dir)
	}
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(filepath.Join(dir, stagingPrefix), 0o700); err != nil {
		return nil, fmt.Errorf("blob directory: %w", err)
	}
	d := &Dir{root: dir}
	d.removeStale(time.Now().Add(-staleAfter))
	return d, nil
}

// Root is the directory's absolute path.
func (d *Dir) Root() string { return d.root }

// Location is a file:// URL naming the directory.
func (d *Dir) Location() string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(d.root)}).String()
}

func (d *Dir) path(name string) (string, error) {
	if !fs.ValidPath(name) || name == "." {
		return "", fmt.Errorf("invalid object name %q", clip(name))
	}
	return filepath.Join(d.root, filepath.FromSlash(name)), nil
}

// removeStale deletes staged files not modified since cutoff. It is best
// effort: a failure here must not stop the store from opening, and the next
// open tries again.
func (d *Dir) removeStale(cutoff time.Time) {
	entries, err := os.ReadDir(filepath.Join(d.root, stagingPrefix))
	if err != nil {
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err == nil && info.Mode().IsRegular() && info.ModTime().Before(cutoff) {
			os.Remove(filepath.Join(d.root, stagingPrefix, e.Name()))
		}
	}
}

func (d *Dir) Stage(ctx context.Context, r io.Reader) (Staged, error) {
	sf, err := createStagingFile(filepath.Join(d.root, stagingPrefix))
	if err != nil {
		return nil, fmt.Errorf("create staging file: %w", err)
	}
	f := sf.f
	fail := func(err error) (Staged, error) {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	n, err := copyPipelined(sf, r)
	if err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	// Read-only before it gets its name, so it is never writable there.
	if err := f.Chmod(0o444); err != nil {
		return fail(fmt.Errorf("staging file: %w", err))
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("sync staging file: %w", err))
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("close staging file: %w", err)
	}
	return &dirStaged{dir: d, path: f.Name(), size: n}, nil
}

type dirStaged struct {
	dir  *Dir
	path string
	size int64
}

func (s *dirStaged) Size() int64 { return s.size }

func (s *dirStaged) Discard() error {
	if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (s *dirStaged) Commit(ctx context.Context, name string) (bool, error) {
	if strings.HasPrefix(name, stagingPrefix) {
		return false, fmt.Errorf("invalid object name %q: %s is reserved for staged objects", name, stagingPrefix)
	}
	final, err := s.dir.path(name)
	if err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	parent := filepath.Dir(final)
	if err := s.dir.makeDirs(parent); err != nil {
		return false, err
	}
	// A hard link never replaces an existing file, so of several Puts of the
	// same content exactly one creates the name and the others learn that it
	// exists.
	existed := false
	err = os.Link(s.path, final)
	switch {
	case errors.Is(err, fs.ErrExist):
		existed = true
	case err != nil:
		// Some file systems have no hard links: rename instead, after
		// checking the name is free. Two concurrent Puts may then both
		// rename, which is harmless: the content is identical.
		if _, statErr := os.Lstat(final); statErr == nil {
			existed = true
		} else if err := os.Rename(s.path, final); err != nil {
			return false, fmt.Errorf("publish %s: %w", name, err)
		}
	}
	if err := s.Discard(); err != nil {
		return false, fmt.Errorf("remove staging file: %w", err)
	}
	if existed {
		return true, nil
	}
	if err := syncDir(parent); err != nil {
		return false, fmt.Errorf("publish %s: %w", name, err)
	}
	return false, nil
}

// makeDirs creates dir and any missing parents below the root, syncing each
// new directory's parent so the new entries survive a crash.
func (d *Dir) makeDirs(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	rel, err := filepath.Rel(d.root, dir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("directory %s is outside %s", dir, d.root)
	}
	parent := d.root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		next := filepath.Join(parent, part)
		err := os.Mkdir(next, 0o700)
		switch {
		case err == nil:
			if err := syncDir(parent); err != nil {
				return err
			}
		case !errors.Is(err, fs.ErrExist):
			return err
		}
		parent = next
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	return err
}

func (d *Dir) Open(ctx context.Context, name string) (Object, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, notFound(err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	return &fileObject{File: f, size: info.Size()}, nil
}

type fileObject struct {
	*os.File
	size int64
}

func (o *fileObject) Size() int64 { return o.size }

func (d *Dir) Size(ctx context.Context, name string) (int64, error) {
	p, err := d.path(name)
	if err != nil {
		return 0, err
	}
	info, err := os.Stat(p)
	if err != nil {
		return 0, notFound(err)
	}
	if !info.Mode().IsRegular() {
		return 0, fmt.Errorf("%s is not a regular file", name)
	}
	return info.Size(), nil
}

func (d *Dir) Delete(ctx context.Context, name string) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return notFound(err)
	}
	// Deletion is how evidence is destroyed on request: make it durable.
	return syncDir(filepath.Dir(p))
}

func (d *Dir) List(ctx context.Context, prefix string, fn func(name string, size int64) error) error {
	start := d.root
	if prefix != "" {
		if !strings.HasSuffix(prefix, "/") {
			return fmt.Errorf("list prefix %q must end in /", prefix)
		}
		p, err := d.path(strings.TrimSuffix(prefix, "/"))
		if err != nil {
			return err
		}
		start = p
	}
	err := filepath.WalkDir(start, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if path == start && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.Type().IsRegular() {
			return nil
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted or published while we walked
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(d.root, path)
		if err != nil {
			return err
		}
		return fn(filepath.ToSlash(rel), info.Size())
	})
	return err
}

func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// stagingFile is a staged blob being written. On Linux it is written around
// the page cache (O_DIRECT): the content is read back rarely (extraction,
// verification), and on the project's machine buffered writes of a 2 GiB
// file cost over 5 s of kernel CPU and direct ones 0.5 s. Direct writes must
// be whole, aligned blocks: the copy buffers are aligned and every write but
// the last is a whole buffer; the last, and any write the file system
// refuses, goes through the page cache instead.
type stagingFile struct {
	f      *os.File
	direct bool
}

// directAlignment is the block alignment direct writes need: 4 KiB covers
// disks with 512-byte and 4 KiB sectors.
const directAlignment = 4096

func createStagingFile(dir string) (*stagingFile, error) {
	for range 100 {
		var random [8]byte
		rand.Read(random[:])
		name := filepath.Join(dir, "put-"+hex.EncodeToString(random[:]))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|directFlag, 0o600)
		if err != nil && directFlag != 0 && errors.Is(err, syscall.EINVAL) {
			// A file system without direct I/O (tmpfs on older kernels, some FUSE).
			return createBuffered(name)
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &stagingFile{f: f, direct: directFlag != 0}, nil
	}
	return nil, fmt.Errorf("no free staging file name in %s", dir)
}

func createBuffered(name string) (*stagingFile, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return &stagingFile{f: f}, nil
}

func (s *stagingFile) Write(p []byte) (int, error) {
	if s.direct && len(p)%directAlignment != 0 {
		if err := s.buffered(); err != nil {
			return 0, err
		}
	}
	n, err := s.f.Write(p)
	if err != nil && n == 0 && s.direct && errors.Is(err, syscall.EINVAL) {
		// The file system wants another alignment: carry on buffered.
		if err := s.buffered(); err != nil {
			return 0, err
		}
		return s.f.Write(p)
	}
	return n, err
}

// buffered turns direct I/O off for the rest of the file.
func (s *stagingFile) buffered() error {
	s.direct = false
	conn, err := s.f.SyscallConn()
	if err != nil {
		return err
	}
	var setErr error
	if err := conn.Control(func(fd uintptr) { setErr = setDirect(fd, false) }); err != nil {
		return err
	}
	return setErr
}

// alignedBuffer returns size bytes starting at a multiple of
// directAlignment, as direct I/O requires.
func alignedBuffer(size int) []byte {
	b := make([]byte, size+directAlignment)
	off := int(uintptrOf(b) % directAlignment)
	if off != 0 {
		off = directAlignment - off
	}
	return b[off : off+size : off+size]
}

func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// copyPipelined copies src to dst in large blocks, reading the next block
// while the previous one is written: reading is where the hashing happens,
// so the two cores hash and write at once.
func copyPipelined(dst io.Writer, src io.Reader) (int64, error) {
	free := make(chan []byte, copyBuffers)
	for range copyBuffers {
		free <- alignedBuffer(copyBufferSize)
	}
	full := make(chan []byte, copyBuffers)
	var writeFailed atomic.Bool
	writeErr := make(chan error, 1)
	go func() {
		var err error
		for b := range full {
			if err == nil {
				if _, err = dst.Write(b); err != nil {
					writeFailed.Store(true)
				}
			}
			free <- b[:cap(b)]
		}
		writeErr <- err
	}()

	var n int64
	var readErr error
	for !writeFailed.Load() {
		buf := <-free
		k, err := io.ReadFull(src, buf)
		if k > 0 {
			n += int64(k)
			full <- buf[:k]
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
	}
	close(full)
	if err := <-writeErr; err != nil {
		return n, fmt.Errorf("write staging file: %w", err)
	}
	if readErr != nil {
		return n, readErr
	}
	return n, nil
}
