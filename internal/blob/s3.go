package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config names an S3-compatible bucket. Its String method, like every
// error from this package, leaves the credentials out.
type S3Config struct {
	Endpoint string // host[:port]; "" means s3.amazonaws.com
	Region   string // "" lets the client discover it
	Bucket   string
	Prefix   string // key prefix, "" or ending in "/"
	Insecure bool   // plain HTTP, for servers on loopback or a private network

	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// String is the location URL that Open accepts for this bucket.
func (c S3Config) String() string {
	q := url.Values{}
	if c.Endpoint != "" {
		q.Set("endpoint", c.Endpoint)
	}
	if c.Region != "" {
		q.Set("region", c.Region)
	}
	if c.Insecure {
		q.Set("insecure", "1")
	}
	u := url.URL{Scheme: "s3", Host: c.Bucket, Path: "/" + c.Prefix, RawQuery: q.Encode()}
	if c.Prefix == "" {
		u.Path = ""
	}
	return u.String()
}

// s3PartSize bounds the memory an upload takes: the client buffers one part
// at a time when the size is not known in advance. With at most 10,000 parts
// it allows objects up to 312 GiB.
const s3PartSize = 32 << 20

// S3 is a Backend in an S3-compatible bucket. Staged objects are uploaded
// under PREFIX/tmp/ and published by a server-side copy to their name, so
// no partial or unverified object ever appears there.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
	loc    string
}

// NewS3 connects to the bucket, checks that it exists and that the
// credentials work, and removes staged objects and multipart uploads left
// over from uploads interrupted more than a day ago.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Prefix != "" && !strings.HasSuffix(cfg.Prefix, "/") {
		cfg.Prefix += "/"
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = "s3.amazonaws.com"
	}
	var creds *credentials.Credentials
	if cfg.AccessKeyID != "" || cfg.SecretAccessKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)
	} else {
		creds = credentials.NewStatic("", "", "", credentials.SignatureAnonymous)
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:  creds,
		Secure: !cfg.Insecure,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 location %s: %w", cfg, err)
	}
	s := &S3{client: client, bucket: cfg.Bucket, prefix: cfg.Prefix, loc: cfg.String()}
	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("S3 location %s: %w", s.loc, err)
	}
	if !exists {
		return nil, fmt.Errorf("S3 location %s: bucket %q does not exist", s.loc, cfg.Bucket)
	}
	s.removeStale(ctx, time.Now().Add(-staleAfter))
	return s, nil
}

// Location is the s3:// URL naming the bucket and prefix.
func (s *S3) Location() string { return s.loc }

func (s *S3) key(name string) (string, error) {
	if name == "" || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.Contains(name, "//") {
		return "", fmt.Errorf("invalid object name %q", clip(name))
	}
	return s.prefix + name, nil
}

// removeStale deletes staged objects and multipart uploads older than
// cutoff. It is best effort: a credential allowed to write objects may not
// be allowed to list uploads, and that must not stop the store from opening.
func (s *S3) removeStale(ctx context.Context, cutoff time.Time) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	staging := s.prefix + stagingPrefix
	for obj := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: staging, Recursive: true}) {
		if obj.Err != nil {
			break
		}
		if obj.LastModified.Before(cutoff) {
			s.client.RemoveObject(ctx, s.bucket, obj.Key, minio.RemoveObjectOptions{})
		}
	}
	for upload := range s.client.ListIncompleteUploads(ctx, s.bucket, staging, true) {
		if upload.Err != nil {
			continue // drain the channel so its goroutine ends
		}
		if upload.Initiated.Before(cutoff) {
			s.client.RemoveIncompleteUpload(ctx, s.bucket, upload.Key)
		}
	}
}

func (s *S3) Stage(ctx context.Context, r io.Reader) (Staged, error) {
	var random [16]byte
	rand.Read(random[:])
	key := s.prefix + stagingPrefix + "put-" + hex.EncodeToString(random[:])
	// Size -1: the length is often unknown (an HTTP body, a pipe). The client
	// then uploads in parts of s3PartSize, holding one part in memory.
	info, err := s.client.PutObject(ctx, s.bucket, key, r, -1, minio.PutObjectOptions{
		PartSize:    s3PartSize,
		ContentType: "application/octet-stream",
	})
	if err != nil {
		// The client aborts a failed multipart upload itself. If the upload
		// completed and only the reply was lost, the object is there:
		// remove it, even when the caller's context is what failed.
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		s.client.RemoveObject(cleanup, s.bucket, key, minio.RemoveObjectOptions{})
		return nil, fmt.Errorf("upload to staging: %w", err)
	}
	return &s3Staged{s3: s, key: key, size: info.Size}, nil
}

type s3Staged struct {
	s3   *S3
	key  string
	size int64
}

func (st *s3Staged) Size() int64 { return st.size }

func (st *s3Staged) Discard() error {
	// Without the caller's context: a Put cancelled mid-way must still
	// clean up after itself.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := st.s3.client.RemoveObject(ctx, st.s3.bucket, st.key, minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
		return fmt.Errorf("remove staged object: %w", err)
	}
	return nil
}

func (st *s3Staged) Commit(ctx context.Context, name string) (bool, error) {
	if strings.HasPrefix(name, stagingPrefix) {
		return false, fmt.Errorf("invalid object name %q: %s is reserved for staged objects", name, stagingPrefix)
	}
	final, err := st.s3.key(name)
	if err != nil {
		return false, err
	}
	// S3 has no portable "create if absent", so two concurrent Puts of the
	// same content may both copy; the result is the same object either way.
	_, err = st.s3.client.StatObject(ctx, st.s3.bucket, final, minio.StatObjectOptions{})
	existed := err == nil
	if err != nil && !isNotFound(err) {
		return false, fmt.Errorf("check %s: %w", name, err)
	}
	if !existed {
		// ComposeObject copies server-side, in parts when the object is
		// larger than a single copy allows (5 GiB).
		_, err := st.s3.client.ComposeObject(ctx,
			minio.CopyDestOptions{Bucket: st.s3.bucket, Object: final},
			minio.CopySrcOptions{Bucket: st.s3.bucket, Object: st.key})
		if err != nil {
			return false, fmt.Errorf("publish %s: %w", name, err)
		}
	}
	if err := st.Discard(); err != nil {
		return existed, err
	}
	return existed, nil
}

func (s *S3) Open(ctx context.Context, name string) (Object, error) {
	key, err := s.key(name)
	if err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.wrap(err)
	}
	info, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, s.wrap(err)
	}
	return &s3Object{Object: obj, size: info.Size}, nil
}

// s3Object reads with ranged GETs; minio's Object already seeks and reads at
// offsets.
type s3Object struct {
	*minio.Object
	size int64
}

func (o *s3Object) Size() int64 { return o.size }

func (s *S3) Size(ctx context.Context, name string) (int64, error) {
	key, err := s.key(name)
	if err != nil {
		return 0, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return 0, s.wrap(err)
	}
	return info.Size, nil
}

func (s *S3) Delete(ctx context.Context, name string) error {
	key, err := s.key(name)
	if err != nil {
		return err
	}
	// Deleting a missing key succeeds in S3; look first so that both
	// backends report ErrNotFound alike.
	if _, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{}); err != nil {
		return s.wrap(err)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return s.wrap(err)
	}
	return nil
}

func (s *S3) List(ctx context.Context, prefix string, fn func(name string, size int64) error) error {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		return fmt.Errorf("list prefix %q must end in /", prefix)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing if fn returns early
	for obj := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		if obj.Err != nil {
			return s.wrap(obj.Err)
		}
		if strings.HasSuffix(obj.Key, "/") {
			continue // a directory marker, not an object
		}
		if err := fn(strings.TrimPrefix(obj.Key, s.prefix), obj.Size); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func isNotFound(err error) bool {
	var resp minio.ErrorResponse
	if !errors.As(err, &resp) {
		return false
	}
	return resp.Code == minio.NoSuchKey || (resp.StatusCode == http.StatusNotFound && resp.Code != minio.NoSuchBucket)
}

func (s *S3) wrap(err error) error {
	if isNotFound(err) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && resp.Code == minio.NoSuchBucket {
		return fmt.Errorf("bucket %q does not exist: %w", s.bucket, err)
	}
	return err
}
