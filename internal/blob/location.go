package blob

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/dossier-org/dossier/internal/seal"
)

// Open opens the content-addressed store at location, keeping blobs in
// clear under their hash:
//
//	""                                   DATADIR/blobs
//	file:///abs/dir                      a local directory
//	s3://bucket/prefix?endpoint=host:port&region=r&insecure=1
//
// S3 credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and
// AWS_SESSION_TOKEN, if set), never from the location.
//
// Dossier keeps its evidence with OpenSealed; Open is for stores made
// before encryption at rest, and for tools that must not need the keys.
func Open(ctx context.Context, location, dataDir string) (Store, error) {
	b, err := OpenBackend(ctx, location, dataDir)
	if err != nil {
		return nil, err
	}
	return NewStore(b), nil
}

// OpenSealed opens the store at location (see Open) encrypting blobs at
// rest with the deployment's keys, under names that do not reveal their
// hash. Blobs an older store kept in clear there stay readable.
func OpenSealed(ctx context.Context, location, dataDir string, sealer *seal.Sealer) (*SealedStore, error) {
	if sealer == nil {
		return nil, errors.New("blob store: encryption at rest needs the deployment's keys")
	}
	b, err := OpenBackend(ctx, location, dataDir)
	if err != nil {
		return nil, err
	}
	return NewSealedStore(b, sealer), nil
}

// OpenBackend opens the raw named-object backend at location (see Open).
func OpenBackend(ctx context.Context, location, dataDir string) (Backend, error) {
	dir, s3cfg, err := ParseLocation(location, dataDir)
	if err != nil {
		return nil, err
	}
	if dir != "" {
		return NewDir(dir)
	}
	s3cfg.AccessKeyID = os.Getenv("AWS_ACCESS_KEY_ID")
	s3cfg.SecretAccessKey = os.Getenv("AWS_SECRET_ACCESS_KEY")
	s3cfg.SessionToken = os.Getenv("AWS_SESSION_TOKEN")
	switch {
	case s3cfg.AccessKeyID == "" && s3cfg.SecretAccessKey == "":
		return nil, fmt.Errorf("blob location %s: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the bucket's credentials", s3cfg)
	case s3cfg.AccessKeyID == "":
		return nil, fmt.Errorf("blob location %s: AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not", s3cfg)
	case s3cfg.SecretAccessKey == "":
		return nil, fmt.Errorf("blob location %s: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not", s3cfg)
	}
	return NewS3(ctx, s3cfg)
}

// ParseLocation reads a location (see Open) without opening anything. It
// returns either the absolute directory of a local store or the S3 bucket
// (without credentials). Errors name what is wrong and never repeat
// credentials written into the location.
func ParseLocation(location, dataDir string) (dir string, s3 S3Config, err error) {
	if location == "" {
		if dataDir == "" {
			return "", S3Config{}, errors.New("blob location: none given, and no data directory to keep blobs in")
		}
		abs, err := filepath.Abs(filepath.Join(dataDir, "blobs"))
		if err != nil {
			return "", S3Config{}, fmt.Errorf("blob location: data directory %q: %w", dataDir, err)
		}
		return abs, S3Config{}, nil
	}
	u, err := url.Parse(location)
	if err != nil {
		// url.Error repeats the whole location, credentials and all.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return "", S3Config{}, fmt.Errorf("blob location is not a valid URL: %v", err)
	}
	shown := display(u)
	if u.User != nil {
		return "", S3Config{}, fmt.Errorf("blob location %q: remove the user name and password; S3 credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", shown)
	}
	switch u.Scheme {
	case "file":
		dir, err := parseFileLocation(u)
		if err != nil {
			return "", S3Config{}, fmt.Errorf("blob location %q: %w", shown, err)
		}
		return dir, S3Config{}, nil
	case "s3":
		cfg, err := parseS3Location(u)
		if err != nil {
			return "", S3Config{}, fmt.Errorf("blob location %q: %w", shown, err)
		}
		return "", cfg, nil
	case "":
		if filepath.IsAbs(location) {
			return "", S3Config{}, fmt.Errorf("blob location %q: write a directory as a URL, file://%s", shown, filepath.ToSlash(location))
		}
		return "", S3Config{}, fmt.Errorf("blob location %q: want file:///absolute/dir or s3://bucket/prefix?endpoint=host:port", shown)
	default:
		return "", S3Config{}, fmt.Errorf("blob location %q: unsupported scheme %q (want file or s3)", shown, u.Scheme)
	}
}

func parseFileLocation(u *url.URL) (string, error) {
	if u.Opaque != "" {
		return "", errors.New("the path must be absolute: file:///absolute/dir")
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", fmt.Errorf("host %q: only local directories are supported (file:///absolute/dir)", u.Host)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("a directory location takes no query or fragment")
	}
	if u.Path == "" || !filepath.IsAbs(filepath.FromSlash(u.Path)) {
		return "", errors.New("the path must be absolute: file:///absolute/dir")
	}
	return filepath.Clean(filepath.FromSlash(u.Path)), nil
}

func parseS3Location(u *url.URL) (S3Config, error) {
	cfg := S3Config{Bucket: u.Host}
	if cfg.Bucket == "" {
		return S3Config{}, errors.New("no bucket: want s3://bucket/prefix")
	}
	if err := s3utils.CheckValidBucketNameStrict(cfg.Bucket); err != nil {
		return S3Config{}, fmt.Errorf("bucket %q: %w", cfg.Bucket, err)
	}
	if u.Fragment != "" {
		return S3Config{}, errors.New("an S3 location takes no fragment")
	}
	if prefix := strings.Trim(u.Path, "/"); prefix != "" {
		for _, seg := range strings.Split(prefix, "/") {
			if seg == "" || seg == "." || seg == ".." {
				return S3Config{}, fmt.Errorf("prefix %q: empty, . and .. segments are not allowed", prefix)
			}
		}
		cfg.Prefix = prefix + "/"
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return S3Config{}, errors.New("the query is not valid URL encoding")
	}
	for name, values := range query {
		if len(values) > 1 {
			return S3Config{}, fmt.Errorf("parameter %q is given %d times", name, len(values))
		}
		value := values[0]
		switch name {
		case "endpoint":
			if value == "" || strings.ContainsAny(value, "/@?#") {
				return S3Config{}, fmt.Errorf("endpoint %q: want host or host:port, without scheme or path", value)
			}
			cfg.Endpoint = value
		case "region":
			cfg.Region = value
		case "insecure":
			switch value {
			case "1", "true":
				cfg.Insecure = true
			case "0", "false":
			default:
				return S3Config{}, fmt.Errorf("insecure=%q: want 1 or 0", value)
			}
		default:
			// The value is not repeated: it might be a secret put in the wrong place.
			return S3Config{}, fmt.Errorf("unknown parameter %q (known: endpoint, region, insecure; credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)", name)
		}
	}
	return cfg, nil
}

// display shows a location in an error: without user information, fragment
// or the values of unknown query parameters, any of which could be a
// misplaced secret.
func display(u *url.URL) string {
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	if c.RawQuery != "" {
		query, err := url.ParseQuery(c.RawQuery)
		if err != nil {
			c.RawQuery = "…"
		} else {
			names := slices.Sorted(maps.Keys(query))
			for i, name := range names {
				switch name {
				case "endpoint", "region", "insecure":
					names[i] = url.QueryEscape(name) + "=" + url.QueryEscape(query.Get(name))
				default:
					names[i] = url.QueryEscape(name) + "=…"
				}
			}
			c.RawQuery = strings.Join(names, "&")
		}
	}
	return c.String()
}
