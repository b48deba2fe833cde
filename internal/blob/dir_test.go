package blob_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/blob/blobtest"
)

func TestDirLayoutAndPermissions(t *testing.T) {
	d := blobtest.LocalBackend(t)
	s := blob.NewStore(d)
	content := []byte("forensic report")
	ref, _, err := s.Put(context.Background(), bytes.NewReader(content), "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(d.Root(), "sha256", ref.SHA256[:2], ref.SHA256)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("blob not at %s: %v", path, err)
	}
	if info.Mode().Perm() != 0o444 {
		t.Errorf("blob file mode %v, want read-only 0444", info.Mode().Perm())
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, content) {
		t.Errorf("file holds %q, want %q", got, content)
	}
	for _, dir := range []string{filepath.Dir(path), filepath.Dir(filepath.Dir(path)), filepath.Join(d.Root(), "tmp")} {
		info, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o700 {
			t.Errorf("directory %s mode %v, want 0700", dir, info.Mode().Perm())
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(d.Root(), "tmp")); len(entries) != 0 {
		t.Errorf("staging directory holds %d files after Put, want none", len(entries))
	}
	if err := s.Delete(context.Background(), ref.SHA256); err != nil {
		t.Fatalf("Delete of a read-only blob: %v", err)
	}
}

func TestPutReportsADamagedStoredCopy(t *testing.T) {
	d := blobtest.LocalBackend(t)
	s := blob.NewStore(d)
	ctx := context.Background()
	content := []byte("video of the checkpoint, 3 minutes")
	ref, _, err := s.Put(ctx, bytes.NewReader(content), "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(d.Root(), "sha256", ref.SHA256[:2], ref.SHA256)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 5); err != nil {
		t.Fatal(err)
	}
	_, existed, err := s.Put(ctx, bytes.NewReader(content), "")
	if err == nil || !strings.Contains(err.Error(), "holds 5 bytes, not 34: it has been damaged") {
		t.Fatalf("Put over a truncated copy: existed %v, err %v; want an error naming the damage", existed, err)
	}
}

func TestDirWalkSkipsStrayFiles(t *testing.T) {
	d := blobtest.LocalBackend(t)
	s := blob.NewStore(d)
	ref, _, err := s.Put(context.Background(), strings.NewReader("photo"), "")
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Repeat("ab", 32)
	stray := []string{
		"sha256/ab/notahash",
		"sha256/cd/" + other, // in the wrong shard
		"sha256/" + other,    // no shard
		"sha256/ab/" + strings.ToUpper(other),
		"README",
	}
	for _, name := range stray {
		p := filepath.Join(d.Root(), filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got := walk(t, s)
	if len(got) != 1 || got[0] != ref {
		t.Fatalf("Walk = %v, want only %v", got, ref)
	}
}

func TestNewDirRemovesStaleStagingFiles(t *testing.T) {
	root := t.TempDir()
	if _, err := blob.NewDir(root); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(root, "tmp", "put-stale")
	fresh := filepath.Join(root, "tmp", "put-fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial upload"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-25 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := blob.NewDir(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("staging file from a day ago still there (err %v)", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("recent staging file removed: it may belong to an upload in progress (%v)", err)
	}
}

func TestDirRejectsBadNames(t *testing.T) {
	d := blobtest.LocalBackend(t)
	ctx := context.Background()
	for _, name := range []string{"", "/etc/passwd", "../outside", "a/../../b", "a//b", "."} {
		if _, err := d.Open(ctx, name); err == nil || !strings.Contains(err.Error(), "invalid object name") {
			t.Errorf("Open(%q): err = %v, want an invalid name error", name, err)
		}
		if err := d.Delete(ctx, name); err == nil || !strings.Contains(err.Error(), "invalid object name") {
			t.Errorf("Delete(%q): err = %v, want an invalid name error", name, err)
		}
	}
	staged, err := d.Stage(ctx, strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	defer staged.Discard()
	for _, name := range []string{"tmp/x", "../x", ""} {
		if _, err := staged.Commit(ctx, name); err == nil {
			t.Errorf("Commit(%q) succeeded", name)
		}
	}
}

func TestInstallScriptPinsTheTestedVersitygw(t *testing.T) {
	script, err := os.ReadFile("../../scripts/install-s3-server.sh")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), "\nversion="+blobtest.VersitygwVersion+"\n") {
		t.Errorf("scripts/install-s3-server.sh does not install versitygw %s, the version blobtest pins", blobtest.VersitygwVersion)
	}
}
