// Package backup writes a consistent online backup of a Dossier — the
// database with its audit log, and every evidence file — as one tar file,
// and restores it into an empty data directory (or an empty PostgreSQL
// database and blob store).
//
// Consistency: the database is snapshotted first (SQLite's VACUUM INTO, or
// pg_dump, each one read transaction), then the blobs are copied. Evidence
// files are stored before the records that name them are committed and are
// never changed, so every file the snapshot refers to is in the backup.
//
// Private keys stay out unless asked for: the log's signing key and the
// witness key are copied only with IncludeSigningKeys, and the key that
// unwraps sealed survivor data and sealed evidence files never is — a stolen
// backup must not carry the means to read it. Sealed evidence files are
// copied as they are stored, encrypted. The manifest always holds the log's public key, so a
// restored copy can be checked against the right one.
package backup

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/evidence"
)

// Format names the backup format in its manifest.
const Format = "dossier-backup"

const (
	manifestName = "MANIFEST.json"
	sqliteName   = "database/dossier.db"
	pgDumpName   = "database/dossier.pgdump"
	blobPrefix   = "blobs/"
	storedPrefix = "stored/"
	keyPrefix    = "keys/"
)

// Manifest describes a backup; it is the tar file's last entry.
type Manifest struct {
	Format        string    `json:"format"`
	FormatVersion int       `json:"format_version"`
	CreatedAt     time.Time `json:"created_at"`
	Engine        db.Dialect
	SchemaVersion int64  `json:"schema_version"`
	Database      File   `json:"database"`
	Log           LogAt  `json:"log"`
	Blobs         Counts `json:"blobs"`
	Keys          []File `json:"keys"`
	// Sealed lists the evidence files copied as they are stored: sealed
	// objects, with the SHA-256 and size of their stored bytes (Blobs
	// counts them too, with their content's size).
	Sealed []File `json:"sealed,omitempty"`
	// LeftOut counts the stored objects not copied: files of erased
	// survivors, whose key is destroyed, and copies queued for deletion
	// that the store had not deleted yet.
	LeftOut int `json:"left_out,omitempty"`
}

// File is one file of the backup with its hash.
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// LogAt is the audit log as the snapshot holds it.
type LogAt struct {
	Origin      string `json:"origin"`
	VerifierKey string `json:"verifier_key"`
	Size        uint64 `json:"size"`
	Root        []byte `json:"root"`
}

// Counts counts the evidence files copied.
type Counts struct {
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
}

// Options shape a backup.
type Options struct {
	// DataDir is the data directory the keys are read from.
	DataDir string
	// DatabaseURL is the PostgreSQL database's URL, for pg_dump; empty for SQLite.
	DatabaseURL string
	// IncludeSigningKeys copies the log's signing key and the witness key.
	IncludeSigningKeys bool
	// Progress, if set, is told of each blob copied.
	Progress func(done, total int)
}

// Write writes a backup of a to w.
func Write(ctx context.Context, a *app.App, w io.Writer, opts Options) (Manifest, error) {
	m := Manifest{Format: Format, FormatVersion: 2, CreatedAt: db.Now(), Engine: a.DB.Dialect}
	tmp, err := os.MkdirTemp("", "dossier-backup-")
	if err != nil {
		return m, err
	}
	defer os.RemoveAll(tmp)

	// The snapshot comes first: every blob it refers to exists by then.
	var snapshot, name string
	switch a.DB.Dialect {
	case db.SQLite:
		snapshot, name = filepath.Join(tmp, "dossier.db"), sqliteName
		if err := a.DB.SnapshotSQLite(ctx, snapshot); err != nil {
			return m, err
		}
		if m.Log, err = snapshotHead(ctx, a, snapshot); err != nil {
			return m, err
		}
	case db.Postgres:
		// The head is read before the dump begins, so the dump holds at
		// least the entries the manifest counts.
		if m.Log, err = snapshotHead(ctx, a, ""); err != nil {
			return m, err
		}
		snapshot, name = filepath.Join(tmp, "dossier.pgdump"), pgDumpName
		if err := pgDump(ctx, opts.DatabaseURL, snapshot); err != nil {
			return m, err
		}
	}
	if m.SchemaVersion, err = a.DB.SchemaVersion(ctx); err != nil {
		return m, err
	}

	tw := tar.NewWriter(w)
	if m.Database, err = addFile(tw, name, snapshot); err != nil {
		return m, err
	}
	if err := addBlobs(ctx, tw, a, &m, opts.Progress); err != nil {
		return m, err
	}
	if opts.IncludeSigningKeys {
		for _, path := range []string{audit.KeyFile(opts.DataDir), audit.WitnessKeyFile(opts.DataDir)} {
			f, err := addFile(tw, keyPrefix+filepath.Base(path), path)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return m, err
			}
			m.Keys = append(m.Keys, f)
		}
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o644, Size: int64(len(body)), ModTime: m.CreatedAt}); err != nil {
		return m, err
	}
	if _, err := tw.Write(body); err != nil {
		return m, err
	}
	return m, tw.Close()
}

// snapshotHead reads the log's head: from the SQLite snapshot itself, or
// from the live PostgreSQL database when snapshot is "".
func snapshotHead(ctx context.Context, a *app.App, snapshot string) (LogAt, error) {
	q := db.Querier(a.DB)
	if snapshot != "" {
		snap, err := db.OpenReadOnlySQLite(snapshot)
		if err != nil {
			return LogAt{}, err
		}
		defer snap.Close()
		q = snap
	}
	head, err := audit.CurrentHead(ctx, q)
	if err != nil {
		return LogAt{}, err
	}
	out := LogAt{Size: head.Size, Root: head.Root}
	if a.LogKey != nil {
		out.Origin, out.VerifierKey = a.LogKey.Origin(), a.LogKey.Public
	}
	return out, nil
}

func addFile(tw *tar.Writer, name, path string) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return File{}, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: info.Size(), ModTime: info.ModTime()}); err != nil {
		return File{}, err
	}
	h := sha256.New()
	if _, err := io.CopyBuffer(io.MultiWriter(tw, h), struct{ io.Reader }{f}, make([]byte, 1<<20)); err != nil {
		return File{}, err
	}
	return File{Name: name, SHA256: hex.EncodeToString(h.Sum(nil)), Size: info.Size()}, nil
}

// addBlobs copies every blob, re-hashing each on the way: a backup of a
// file that no longer matches its hash would only carry the damage along.
// Sealed blobs are copied as they are stored, ciphertext under names that
// do not reveal their hash, so the backup is no more readable than the
// store; their content is still decrypted and re-hashed in the same pass.
// Survivors' files are copied under their own keys; those of erased
// survivors are left out — nothing could open them — and so are copies
// queued for deletion (a survivor's file moved to their key leaves one
// under the deployment's), so that a backup made after an erasure holds
// nothing of it.
func addBlobs(ctx context.Context, tw *tar.Writer, a *app.App, m *Manifest, progress func(done, total int)) error {
	store := a.Blobs
	if store == nil {
		return nil
	}
	leftOut, err := toLeaveOut(ctx, a)
	if err != nil {
		return err
	}
	var refs []blob.Held
	sealedRoot, _ := store.(*blob.SealedStore)
	if sealedRoot != nil && sealedRoot.Sealer() != nil {
		shredded := map[string]bool{}
		err := sealedRoot.WalkAll(ctx, func(h blob.Held) error {
			if h.Subject != "" {
				gone, ok := shredded[h.Subject]
				if !ok {
					var err error
					if gone, err = sealedRoot.Sealer().IsShredded(ctx, h.Subject); err != nil {
						return err
					}
					shredded[h.Subject] = gone
				}
				if gone {
					m.LeftOut++
					return nil
				}
			}
			if leftOut[evidence.Disposal{Owner: h.Subject, SHA256: h.SHA256}] {
				m.LeftOut++
				return nil
			}
			refs = append(refs, h)
			return nil
		})
		if err != nil {
			return fmt.Errorf("list the evidence files: %w", err)
		}
	} else if err := store.Walk(ctx, func(r blob.Ref) error { refs = append(refs, blob.Held{Ref: r}); return nil }); err != nil {
		return fmt.Errorf("list the evidence files: %w", err)
	}
	buf := make([]byte, 1<<20)
	for i, held := range refs {
		ref := held.Ref
		if sealedRoot != nil {
			sealed, err := sealedRoot.For(held.Subject)
			if err != nil {
				return err
			}
			f, err := addSealed(ctx, tw, sealed, ref, m.CreatedAt, buf)
			if err == nil {
				m.Sealed = append(m.Sealed, f)
				m.Blobs.Files++
				m.Blobs.Bytes += ref.Size
				if progress != nil {
					progress(i+1, len(refs))
				}
				continue
			}
			if !errors.Is(err, blob.ErrNotSealed) {
				return fmt.Errorf("evidence file %s: %w", ref.SHA256, err)
			}
			// Kept in clear by an older store: copied as such below.
		}
		obj, err := store.Open(ctx, ref.SHA256)
		if err != nil {
			return fmt.Errorf("evidence file %s: %w", ref.SHA256, err)
		}
		err = func() error {
			defer obj.Close()
			if err := tw.WriteHeader(&tar.Header{Name: blobPrefix + ref.SHA256, Mode: 0o444, Size: obj.Size(), ModTime: m.CreatedAt}); err != nil {
				return err
			}
			h := sha256.New()
			if _, err := io.CopyBuffer(io.MultiWriter(tw, h), struct{ io.Reader }{obj}, buf); err != nil {
				return err
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != ref.SHA256 {
				return fmt.Errorf("evidence file %s no longer hashes to its name (it hashes to %s): run dossier verify", ref.SHA256, got)
			}
			return nil
		}()
		if err != nil {
			return err
		}
		m.Blobs.Files++
		m.Blobs.Bytes += obj.Size()
		if progress != nil {
			progress(i+1, len(refs))
		}
	}
	return nil
}

// toLeaveOut runs the evidence store's pending deletions, and returns the
// copies still queued (their deletion failed): they are not backed up.
func toLeaveOut(ctx context.Context, a *app.App) (map[evidence.Disposal]bool, error) {
	if a.Evidence == nil {
		return nil, nil
	}
	// A failure here leaves the copy queued, and out of the backup.
	a.Evidence.Dispose(ctx)
	pending, err := evidence.PendingDisposals(ctx, a.DB)
	if err != nil {
		return nil, err
	}
	out := make(map[evidence.Disposal]bool, len(pending))
	for _, d := range pending {
		out[d] = true
	}
	return out, nil
}

// addSealed copies a sealed blob's stored object; reading it to its end
// decrypts and re-hashes the content, and fails if it does not match.
func addSealed(ctx context.Context, tw *tar.Writer, store *blob.SealedStore, ref blob.Ref, at time.Time, buf []byte) (File, error) {
	obj, err := store.OpenStored(ctx, ref.SHA256)
	if err != nil {
		return File{}, err
	}
	defer obj.Close()
	f := File{Name: storedPrefix + obj.Name(), Size: obj.Size()}
	if err := tw.WriteHeader(&tar.Header{Name: f.Name, Mode: 0o444, Size: f.Size, ModTime: at}); err != nil {
		return File{}, err
	}
	h := sha256.New()
	if _, err := io.CopyBuffer(io.MultiWriter(tw, h), obj, buf); err != nil {
		if errors.Is(err, blob.ErrDamaged) || errors.Is(err, blob.ErrHashMismatch) {
			return File{}, fmt.Errorf("%w: run dossier verify", err)
		}
		return File{}, err
	}
	f.SHA256 = hex.EncodeToString(h.Sum(nil))
	return f, nil
}

func pgDump(ctx context.Context, url, out string) error {
	if url == "" {
		return errors.New("backup of PostgreSQL needs its URL")
	}
	cmd := exec.CommandContext(ctx, "pg_dump", "--format=custom", "--compress=0", "--no-owner", "--no-privileges", "--file", out, "--dbname", url)
	if msg, err := cmd.CombinedOutput(); err != nil {
		// pg_dump's message may repeat the URL; keep only its first line
		// without it.
		return fmt.Errorf("pg_dump: %v: %s", err, redactURL(firstLine(string(msg)), url))
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

func redactURL(s, url string) string {
	if url == "" {
		return s
	}
	return strings.ReplaceAll(s, url, "[database URL]")
}
