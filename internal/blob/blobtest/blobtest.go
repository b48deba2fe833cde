// Package blobtest runs blob storage tests against every backend Dossier
// supports: a local directory in a temporary directory, and a real
// S3-compatible server — either the bucket named by DOSSIER_TEST_S3_URL (with
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) or a versitygw gateway this
// package starts on loopback, with its POSIX backend in a temporary directory
// and random credentials. scripts/install-s3-server.sh installs the pinned
// versitygw. Without a server the S3 tests skip loudly, except in CI
// (CI=true) or with DOSSIER_REQUIRE_S3=1, where they fail.
//
// A package using it stops the server from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(blobtest.Main(m)) }
//
// or, beside another package's Main:
//
//	func TestMain(m *testing.M) {
//		code := dbtest.Main(m)
//		blobtest.Stop()
//		os.Exit(code)
//	}
//
// A server left running by a test process that ends without stopping it is
// killed with that process (on Linux), and its files are removed by the next
// test process that starts one.
package blobtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/seal"
)

// Main runs a package's tests and then stops the S3 server, if one was
// started. Use it from TestMain: os.Exit(blobtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	server.stop()
	return code
}

// Required reports whether tests must not skip S3.
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("DOSSIER_REQUIRE_S3") == "1"
}

// ForEachStore runs fn as a subtest against a fresh, empty store on each
// backend, sealed as Dossier keeps its evidence (each with its own keys).
func ForEachStore(t *testing.T, fn func(t *testing.T, s blob.Store)) {
	t.Helper()
	t.Run("local", func(t *testing.T) { fn(t, Local(t)) })
	t.Run("s3", func(t *testing.T) { fn(t, S3(t)) })
}

// ForEachPlainStore is ForEachStore for stores that keep content in clear
// under its hash, as stores made before encryption at rest do.
func ForEachPlainStore(t *testing.T, fn func(t *testing.T, s blob.Store)) {
	t.Helper()
	t.Run("local", func(t *testing.T) { fn(t, PlainLocal(t)) })
	t.Run("s3", func(t *testing.T) { fn(t, PlainS3(t)) })
}

// Sealer returns a Sealer with new keys, on a database of its own in a
// temporary directory, its key-encryption key generated in memory.
func Sealer(t testing.TB) *seal.Sealer {
	t.Helper()
	dir := t.TempDir()
	d, err := db.Open(context.Background(), "", dir)
	if err != nil {
		t.Fatalf("open the keys' database: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	keyset, err := seal.GenerateKEK()
	if err != nil {
		t.Fatal(err)
	}
	kek, err := seal.KEKFromKeyset(keyset, "env://DOSSIER_TEST_KEK")
	if err != nil {
		t.Fatal(err)
	}
	s, err := seal.New(context.Background(), d, kek, seal.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("open the sealer: %v", err)
	}
	return s
}

// ForEachBackend runs fn as a subtest against a fresh, empty raw backend of
// each kind.
func ForEachBackend(t *testing.T, fn func(t *testing.T, b blob.Backend)) {
	t.Helper()
	t.Run("local", func(t *testing.T) { fn(t, LocalBackend(t)) })
	t.Run("s3", func(t *testing.T) { fn(t, S3Backend(t)) })
}

// Local opens a sealed store, with new keys, in a new temporary directory.
func Local(t testing.TB) blob.Store {
	t.Helper()
	return blob.NewSealedStore(LocalBackend(t), Sealer(t))
}

// PlainLocal opens a store keeping content in clear in a new temporary
// directory.
func PlainLocal(t testing.TB) blob.Store {
	t.Helper()
	return blob.NewStore(LocalBackend(t))
}

// LocalBackend opens a directory backend in a new temporary directory.
func LocalBackend(t testing.TB) *blob.Dir {
	t.Helper()
	d, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatalf("open local blob directory: %v", err)
	}
	return d
}

// S3 opens a sealed store, with new keys, in a new, empty bucket (or
// prefix) on the test S3 server, or skips the test — loudly, and never in
// CI — when none can be had.
func S3(t testing.TB) blob.Store {
	t.Helper()
	b := S3Backend(t)
	return blob.NewSealedStore(b, Sealer(t))
}

// PlainS3 is S3 for a store keeping content in clear.
func PlainS3(t testing.TB) blob.Store {
	t.Helper()
	return blob.NewStore(S3Backend(t))
}

var (
	counter  atomic.Int64
	warnOnce sync.Once
)

// S3Backend opens an S3 backend in a new, empty bucket (or prefix) on the
// test S3 server, or skips the test as S3 does.
func S3Backend(t testing.TB) *blob.S3 {
	t.Helper()
	cfg := S3Bucket(t)
	b, err := blob.NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open S3 backend: %v", err)
	}
	buckets.Store(b, cfg)
	t.Cleanup(func() { buckets.Delete(b) })
	return b
}

// buckets maps each backend S3Backend opened to its bucket.
var buckets sync.Map

// IncompleteUploads lists the keys of multipart uploads begun and never
// completed or aborted in an S3 backend opened by S3Backend: what a failed
// Put must not leave behind, and what Backend.List does not show. It returns
// nil for other backends.
func IncompleteUploads(t testing.TB, b blob.Backend) []string {
	t.Helper()
	v, ok := buckets.Load(b)
	if !ok {
		return nil
	}
	cfg := v.(blob.S3Config)
	admin, err := adminClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for upload := range admin.ListIncompleteUploads(context.Background(), cfg.Bucket, cfg.Prefix, true) {
		if upload.Err != nil {
			t.Fatalf("list incomplete uploads: %v", upload.Err)
		}
		keys = append(keys, upload.Key)
	}
	return keys
}

// S3Bucket creates a new, empty bucket (or prefix, on a server named by
// DOSSIER_TEST_S3_URL) and returns where it is and the credentials for it,
// or skips the test as S3 does. Whatever the test leaves there is removed
// when it ends.
func S3Bucket(t testing.TB) blob.S3Config {
	t.Helper()
	cfg, err := server.start()
	if err != nil {
		if Required() {
			t.Fatalf("an S3 server is required here (CI=true or DOSSIER_REQUIRE_S3=1) but unavailable: %v", err)
		}
		msg := fmt.Sprintf("SKIPPING S3 blob tests: %v (run scripts/install-s3-server.sh, or set DOSSIER_TEST_S3_URL)", err)
		warnOnce.Do(func() { fmt.Fprintln(os.Stderr, msg) })
		t.Skip(msg)
	}
	admin, err := adminClient(cfg)
	if err != nil {
		t.Fatalf("S3 test client: %v", err)
	}
	n := counter.Add(1)
	if server.external {
		var random [4]byte
		rand.Read(random[:])
		cfg.Prefix += fmt.Sprintf("dossier-test-%d-%d-%s/", os.Getpid(), n, hex.EncodeToString(random[:]))
	} else {
		cfg.Bucket = fmt.Sprintf("dossier-test-%d", n)
		if err := admin.MakeBucket(context.Background(), cfg.Bucket, minio.MakeBucketOptions{}); err != nil {
			t.Fatalf("create test bucket: %v", err)
		}
	}
	t.Cleanup(func() {
		if err := empty(admin, cfg); err != nil {
			t.Errorf("remove what the test left in %s: %v", cfg, err)
		}
	})
	return cfg
}

// empty removes every object under cfg's bucket and prefix, and the bucket
// itself when the test created it.
func empty(admin *minio.Client, cfg blob.S3Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for upload := range admin.ListIncompleteUploads(ctx, cfg.Bucket, cfg.Prefix, true) {
		if upload.Err == nil {
			admin.RemoveIncompleteUpload(ctx, cfg.Bucket, upload.Key)
		}
	}
	objects := admin.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Prefix: cfg.Prefix, Recursive: true})
	for res := range admin.RemoveObjects(ctx, cfg.Bucket, objects, minio.RemoveObjectsOptions{}) {
		if res.Err != nil {
			return res.Err
		}
	}
	if server.external {
		return nil
	}
	return admin.RemoveBucket(ctx, cfg.Bucket)
}
