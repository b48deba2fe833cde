package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/seal"
)

// RestoreOptions say where to restore to.
type RestoreOptions struct {
	// DataDir receives the SQLite database (if the backup is of one) and
	// the keys; it must hold no database yet.
	DataDir string
	// DatabaseURL names an empty PostgreSQL database, for a PostgreSQL backup.
	DatabaseURL string
	// BlobURL names an empty blob store (default: DataDir/blobs).
	BlobURL string
	// KeysFrom is a directory holding log-signing.key (and witness.key),
	// for a backup made without them, and kek.json, the key-encryption key
	// that sealed data and sealed evidence files need, which no backup holds.
	KeysFrom string
}

// ErrNeedsKey: the data is restored but the log's signing key is not in
// place; the restored log cannot be verified or extended without it.
var ErrNeedsKey = errors.New("the log's signing key is not in the backup")

// Restore reads a backup from r into the empty store opts names. Every
// file is checked against the hash the manifest (or, for evidence, its
// name) gives before it is used.
func Restore(ctx context.Context, r io.Reader, opts RestoreOptions) (Manifest, error) {
	var m Manifest
	dbPath := filepath.Join(opts.DataDir, db.SQLiteFile)
	if _, err := os.Stat(dbPath); err == nil {
		return m, fmt.Errorf("restore into %s: it already holds a database; restore into an empty data directory", opts.DataDir)
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return m, err
	}
	// Sealed evidence files are restored as they were stored, so restoring
	// needs no keys; files an older store kept in clear go back in clear.
	backend, err := blob.OpenBackend(ctx, opts.BlobURL, opts.DataDir)
	if err != nil {
		return m, err
	}
	store := blob.NewStore(backend)
	empty := true
	err = backend.List(ctx, "", func(name string, _ int64) error {
		if strings.HasPrefix(name, "tmp/") {
			return nil
		}
		empty = false
		return io.EOF
	})
	if err != nil && !errors.Is(err, io.EOF) {
		return m, err
	}
	if !empty {
		return m, fmt.Errorf("restore into %s: it already holds evidence files; restore into an empty store", store.Location())
	}
	tmp, err := os.MkdirTemp(opts.DataDir, ".restore-")
	if err != nil {
		return m, err
	}
	defer os.RemoveAll(tmp)

	got := map[string]File{}
	var blobs Counts
	sealed := 0
	var manifest []byte
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, fmt.Errorf("read the backup: %w", err)
		}
		name := path.Clean(hdr.Name)
		switch {
		case name == manifestName:
			if manifest, err = io.ReadAll(io.LimitReader(tr, 1<<20)); err != nil {
				return m, err
			}
		case name == sqliteName || name == pgDumpName:
			f, err := saveFile(tr, filepath.Join(tmp, path.Base(name)))
			if err != nil {
				return m, err
			}
			got[name] = f
		case strings.HasPrefix(name, storedPrefix):
			sha, size, err := blob.PutStored(ctx, backend, strings.TrimPrefix(name, storedPrefix), tr)
			if err != nil {
				return m, fmt.Errorf("evidence file %s: %w", name, err)
			}
			got[name] = File{Name: name, SHA256: sha, Size: size}
			sealed++
		case strings.HasPrefix(name, blobPrefix):
			sha := strings.TrimPrefix(name, blobPrefix)
			ref, _, err := store.Put(ctx, tr, sha)
			if err != nil {
				return m, fmt.Errorf("evidence file %s: %w", sha, err)
			}
			blobs.Files++
			blobs.Bytes += ref.Size
		case strings.HasPrefix(name, keyPrefix) && !strings.Contains(strings.TrimPrefix(name, keyPrefix), "/"):
			f, err := saveFile(tr, filepath.Join(tmp, "key-"+path.Base(name)))
			if err != nil {
				return m, err
			}
			got[name] = f
		default:
			return m, fmt.Errorf("read the backup: unexpected entry %q", hdr.Name)
		}
	}
	if manifest == nil {
		return m, errors.New("read the backup: it has no manifest: it is incomplete")
	}
	if err := json.Unmarshal(manifest, &m); err != nil || m.Format != Format {
		return m, errors.New("read the backup: its manifest is not a Dossier backup's")
	}
	if m.FormatVersion < 1 || m.FormatVersion > 2 {
		return m, fmt.Errorf("read the backup: format version %d is newer than this Dossier reads", m.FormatVersion)
	}
	wanted := append(append([]File{m.Database}, m.Keys...), m.Sealed...)
	for _, want := range wanted {
		have, ok := got[want.Name]
		if !ok {
			return m, fmt.Errorf("read the backup: %s is missing", want.Name)
		}
		if have.SHA256 != want.SHA256 || (strings.HasPrefix(want.Name, storedPrefix) && have.Size != want.Size) {
			return m, fmt.Errorf("read the backup: %s does not match its hash in the manifest: the backup was altered or damaged", want.Name)
		}
	}
	if sealed != len(m.Sealed) {
		return m, fmt.Errorf("read the backup: %d sealed evidence files, the manifest lists %d", sealed, len(m.Sealed))
	}
	// Sealed files are counted with their content's size, which only the
	// keys can confirm (dossier verify does): their bytes as stored are
	// checked above.
	if blobs.Files+sealed != m.Blobs.Files || (sealed == 0 && blobs.Bytes != m.Blobs.Bytes) {
		return m, fmt.Errorf("read the backup: %d evidence files (%d bytes in clear), the manifest lists %d (%d bytes)",
			blobs.Files+sealed, blobs.Bytes, m.Blobs.Files, m.Blobs.Bytes)
	}

	for _, k := range m.Keys {
		if err := placeKey(filepath.Join(tmp, "key-"+path.Base(k.Name)), filepath.Join(opts.DataDir, "keys", path.Base(k.Name))); err != nil {
			return m, err
		}
	}
	switch m.Engine {
	case db.SQLite:
		if opts.DatabaseURL != "" {
			return m, errors.New("this backup is of a SQLite database: restore it into a data directory, without --db")
		}
		if err := os.Rename(filepath.Join(tmp, path.Base(sqliteName)), dbPath); err != nil {
			return m, err
		}
	case db.Postgres:
		if opts.DatabaseURL == "" {
			return m, errors.New("this backup is of a PostgreSQL database: name an empty database to restore it into with --db")
		}
		if err := pgRestore(ctx, opts.DatabaseURL, filepath.Join(tmp, path.Base(pgDumpName))); err != nil {
			return m, err
		}
	default:
		return m, fmt.Errorf("read the backup: unknown engine %q", m.Engine)
	}

	if opts.KeysFrom != "" {
		for _, name := range []string{filepath.Base(audit.KeyFile("")), filepath.Base(audit.WitnessKeyFile("")), filepath.Base(seal.DefaultKEKFile)} {
			src := filepath.Join(opts.KeysFrom, name)
			if _, err := os.Stat(src); err == nil {
				if err := placeKey(src, filepath.Join(opts.DataDir, "keys", name)); err != nil {
					return m, err
				}
			}
		}
	}
	if _, err := os.Stat(audit.KeyFile(opts.DataDir)); err != nil && os.Getenv(audit.EnvSigningKey) == "" {
		return m, fmt.Errorf("%w: put it at %s (or in %s) before using the restored copy", ErrNeedsKey, audit.KeyFile(opts.DataDir), audit.EnvSigningKey)
	}
	key, err := audit.LoadKey(opts.DataDir)
	if err != nil {
		return m, err
	}
	if m.Log.VerifierKey != "" && key.Public != m.Log.VerifierKey {
		return m, fmt.Errorf("the signing key at %s is not this log's (the backup's log is checked with %s)", audit.KeyFile(opts.DataDir), m.Log.VerifierKey)
	}
	return m, nil
}

func saveFile(r io.Reader, path string) (File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(f, h), r, make([]byte, 1<<20))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return File{}, err
	}
	return File{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

// placeKey installs a key file unless one is there already; an existing,
// different key is an error rather than something to overwrite.
func placeKey(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if existing, err := os.ReadFile(dst); err == nil {
		if !bytes.Equal(bytes.TrimSpace(existing), bytes.TrimSpace(data)) {
			return fmt.Errorf("%s holds another key; move it away to restore this backup's", dst)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o600)
}

func pgRestore(ctx context.Context, url, dump string) error {
	d, err := db.Open(ctx, url, "")
	if err == nil {
		// db.Open migrates an empty database; the dump brings its own schema,
		// so only a database with no Dossier data may be restored into.
		var n int
		qerr := d.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM audit_log) + (SELECT COUNT(*) FROM situations)`).Scan(&n)
		d.Close()
		if qerr != nil {
			return qerr
		}
		if n > 0 {
			return errors.New("the PostgreSQL database named by --db holds data: restore into an empty database")
		}
	}
	cmd := exec.CommandContext(ctx, "pg_restore", "--no-owner", "--no-privileges", "--clean", "--if-exists", "--single-transaction", "--dbname", url, dump)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_restore: %v: %s", err, redactURL(firstLine(string(msg)), url))
	}
	return nil
}
