package backup_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/backup"
	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/demo"
	"github.com/dossier-org/dossier/internal/integrity"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

type engine struct {
	name string
	url  func(t *testing.T) string
}

func engines() []engine {
	return []engine{
		{"sqlite", func(t *testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string {
			url := dbtest.PostgresDatabase(t)
			return url
		}},
	}
}

// source opens a Dossier with the demo record, evidence files and a
// checkpoint.
func source(t *testing.T, url string) (*app.App, app.Config) {
	t.Helper()
	ctx := record.WithActor(context.Background(), "test")
	cfg := app.Config{DataDir: t.TempDir(), DatabaseURL: url}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := demo.Load(ctx, a); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		content := bytes.Repeat([]byte(fmt.Sprintf("synthetic evidence file %d\n", i)), 1000*(i+1))
		if _, _, err := a.Blobs.Put(ctx, bytes.NewReader(content), ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := audit.Issue(ctx, a.DB, a.LogKey); err != nil {
		t.Fatal(err)
	}
	return a, cfg
}

func TestBackupWhileWritingRestoresAVerifiableCopy(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			ctx := record.WithActor(context.Background(), "test")
			a, cfg := source(t, e.url(t))

			// Writers carry on while the backup runs.
			var wg sync.WaitGroup
			stop := make(chan struct{})
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					s := &situation.Situation{Name: fmt.Sprintf("Written during the backup %d", i), ConflictClass: "NIAC", Setting: "conflict"}
					if err := a.Situations.Create(ctx, s); err != nil {
						t.Error(err)
						return
					}
				}
			}()
			var buf bytes.Buffer
			m, err := backup.Write(ctx, a, &buf, backup.Options{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL, IncludeSigningKeys: true})
			close(stop)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			if m.Blobs.Files != 5 || m.Log.Size == 0 || len(m.Keys) != 2 || m.Log.VerifierKey != a.LogKey.Public {
				t.Fatalf("manifest %+v", m)
			}

			// Evidence files are in the backup as they are stored: sealed,
			// under names that are not their hashes.
			if n := len(m.Sealed); n != 5 {
				t.Fatalf("the manifest lists %d sealed evidence files, want 5", n)
			}
			if bytes.Contains(buf.Bytes(), []byte("synthetic evidence file")) {
				t.Fatal("the backup holds evidence in clear")
			}
			for _, ref := range evidenceRefs(t, a) {
				if bytes.Contains(buf.Bytes(), []byte(ref.SHA256)) {
					t.Fatalf("the backup names evidence file %s by its hash", ref.SHA256)
				}
			}

			// The key-encryption key, which no backup holds, comes from
			// where it is kept, as the signing keys can.
			target := app.Config{DataDir: t.TempDir(), DatabaseURL: e.url(t)}
			got, err := backup.Restore(ctx, bytes.NewReader(buf.Bytes()), backup.RestoreOptions{DataDir: target.DataDir, DatabaseURL: target.DatabaseURL,
				KeysFrom: filepath.Join(cfg.DataDir, "keys")})
			if err != nil {
				t.Fatal(err)
			}
			if got.Log.Size != m.Log.Size {
				t.Fatalf("restored manifest says %d entries, want %d", got.Log.Size, m.Log.Size)
			}
			restored, err := app.Open(ctx, target)
			if err != nil {
				t.Fatal(err)
			}
			defer restored.Close()
			report, err := integrity.Verify(ctx, restored)
			if err != nil {
				t.Fatal(err)
			}
			if !report.OK() || report.Blobs != 5 || report.LogEntries < m.Log.Size {
				t.Fatalf("the restored copy does not verify: %+v", report)
			}
			if restored.LogKey.Public != a.LogKey.Public {
				t.Fatal("the restored copy signs with another key")
			}
		})
	}
}

func TestRestoreRefusesWhatDoesNotMatch(t *testing.T) {
	ctx := context.Background()
	a, cfg := source(t, "")
	var withoutKeys bytes.Buffer
	if _, err := backup.Write(ctx, a, &withoutKeys, backup.Options{DataDir: cfg.DataDir}); err != nil {
		t.Fatal(err)
	}

	t.Run("the signing key is needed", func(t *testing.T) {
		dir := t.TempDir()
		_, err := backup.Restore(ctx, bytes.NewReader(withoutKeys.Bytes()), backup.RestoreOptions{DataDir: dir})
		if !errors.Is(err, backup.ErrNeedsKey) {
			t.Fatalf("restore without the key: %v", err)
		}
		if _, err := os.Stat(audit.KeyFile(dir)); err == nil {
			t.Fatal("restore made up a new signing key")
		}
	})
	t.Run("the key can come from elsewhere", func(t *testing.T) {
		dir := t.TempDir()
		_, err := backup.Restore(ctx, bytes.NewReader(withoutKeys.Bytes()), backup.RestoreOptions{DataDir: dir, KeysFrom: filepath.Join(cfg.DataDir, "keys")})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("another log's key is refused", func(t *testing.T) {
		dir := t.TempDir()
		other := t.TempDir()
		if _, err := audit.LoadKey(other); err != nil {
			t.Fatal(err)
		}
		_, err := backup.Restore(ctx, bytes.NewReader(withoutKeys.Bytes()), backup.RestoreOptions{DataDir: dir, KeysFrom: filepath.Join(other, "keys")})
		if err == nil || !strings.Contains(err.Error(), "is not this log's") {
			t.Fatalf("restore with another log's key: %v", err)
		}
	})
	t.Run("into a directory that holds a database", func(t *testing.T) {
		_, err := backup.Restore(ctx, bytes.NewReader(withoutKeys.Bytes()), backup.RestoreOptions{DataDir: cfg.DataDir})
		if err == nil || !strings.Contains(err.Error(), "already holds a database") {
			t.Fatalf("restore over a database: %v", err)
		}
	})
	for _, tc := range []struct {
		name, entry, want string
	}{
		{"a damaged database", "database/dossier.db", "does not match its hash in the manifest"},
		{"a damaged evidence file", "stored/", "does not match its hash in the manifest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			damaged := flipByteIn(t, withoutKeys.Bytes(), tc.entry)
			_, err := backup.Restore(ctx, bytes.NewReader(damaged), backup.RestoreOptions{DataDir: t.TempDir(), KeysFrom: filepath.Join(cfg.DataDir, "keys")})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("restore of %s: %v", tc.name, err)
			}
		})
	}
	t.Run("a truncated backup", func(t *testing.T) {
		cut := withoutKeys.Bytes()[:withoutKeys.Len()/2]
		if _, err := backup.Restore(ctx, bytes.NewReader(cut), backup.RestoreOptions{DataDir: t.TempDir()}); err == nil {
			t.Fatal("a truncated backup restored")
		}
	})
}

func TestBackupOfEvidenceKeptInClear(t *testing.T) {
	// A store made before encryption at rest holds files in clear; they
	// are backed up and restored as such, beside the sealed ones.
	ctx := context.Background()
	a, cfg := source(t, "")
	sealed := a.Blobs.(*blob.SealedStore)
	old, _, err := blob.NewStore(sealed.Backend()).Put(ctx, strings.NewReader("an older file, kept in clear"), "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	m, err := backup.Write(ctx, a, &buf, backup.Options{DataDir: cfg.DataDir})
	if err != nil {
		t.Fatal(err)
	}
	if m.Blobs.Files != 6 || len(m.Sealed) != 5 {
		t.Fatalf("manifest counts %d files, %d sealed; want 6 and 5", m.Blobs.Files, len(m.Sealed))
	}
	keys := filepath.Join(cfg.DataDir, "keys")
	target := app.Config{DataDir: t.TempDir()}
	if _, err := backup.Restore(ctx, bytes.NewReader(buf.Bytes()), backup.RestoreOptions{DataDir: target.DataDir, KeysFrom: keys}); err != nil {
		t.Fatal(err)
	}
	restored, err := app.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if got := evidenceRefs(t, restored); len(got) != 6 {
		t.Fatalf("restored %d evidence files, want 6", len(got))
	}
	if ref, err := restored.Blobs.Stat(ctx, old.SHA256); err != nil || ref != old {
		t.Fatalf("the file kept in clear: %+v, %v", ref, err)
	}
	damaged := flipByteIn(t, buf.Bytes(), "blobs/")
	_, err = backup.Restore(ctx, bytes.NewReader(damaged), backup.RestoreOptions{DataDir: t.TempDir(), KeysFrom: keys})
	if !errors.Is(err, blob.ErrHashMismatch) {
		t.Fatalf("restore of a damaged clear file: %v", err)
	}
}

// evidenceRefs lists the evidence files a holds.
func evidenceRefs(t *testing.T, a *app.App) []blob.Ref {
	t.Helper()
	var refs []blob.Ref
	if err := a.Blobs.Walk(context.Background(), func(r blob.Ref) error { refs = append(refs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return refs
}

// flipByteIn rewrites a tar with one byte changed in the middle of the
// first entry whose name starts with prefix.
func flipByteIn(t *testing.T, archive []byte, prefix string) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(archive))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	done := false
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if !done && strings.HasPrefix(hdr.Name, prefix) && len(body) > 0 {
			body[len(body)/2] ^= 0x01
			done = true
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if !done {
		t.Fatalf("no entry %s… in the backup", prefix)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
