package seal

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/core/registry"
	"github.com/tink-crypto/tink-go/v2/insecurecleartextkeyset"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// KEK is a key-encryption key: it wraps the data keys stored in the database
// and lives somewhere else — a key file, an environment variable, or a KMS.
// Tink's AEAD interface is the contract, so any Tink KMS client fits.
type KEK interface {
	tink.AEAD
	// ID names the key that Encrypt uses. It is stored beside every key it
	// wraps, so it must be the same in every process and reveal nothing of the
	// key itself.
	ID() string
	// URI tells another process where to find this KEK, without any secret:
	// "file:keys/kek.json" (relative to the data directory),
	// "file:///etc/dossier/kek.json", "env://DOSSIER_KEK", or a KMS key URI.
	URI() string
}

// DefaultKEKFile is where a data directory keeps its key-encryption key
// unless told otherwise: outside the database, and never in its backups.
const DefaultKEKFile = "keys/kek.json"

// KEKEnv is the environment variable read by the URI "env://DOSSIER_KEK".
const KEKEnv = "DOSSIER_KEK"

type keysetKEK struct {
	tink.AEAD
	id, uri string
}

func (k *keysetKEK) ID() string  { return k.id }
func (k *keysetKEK) URI() string { return k.uri }

type kmsKEK struct {
	tink.AEAD
	uri string
}

func (k *kmsKEK) ID() string  { return k.uri }
func (k *kmsKEK) URI() string { return k.uri }

// GenerateKEK returns a new key-encryption keyset (AES-256-GCM) as Tink's
// cleartext JSON: what a key file or DOSSIER_KEK holds.
func GenerateKEK() ([]byte, error) {
	h, err := keyset.NewHandle(aead.AES256GCMKeyTemplate())
	if err != nil {
		return nil, fmt.Errorf("generate key-encryption key: %w", err)
	}
	var buf bytes.Buffer
	if err := insecurecleartextkeyset.Write(h, keyset.NewJSONWriter(&buf)); err != nil {
		return nil, fmt.Errorf("encode key-encryption key: %w", err)
	}
	return buf.Bytes(), nil
}

// KEKFromKeyset reads a Tink keyset (JSON, or base64 of JSON or of the
// binary form) as a KEK that says it can be found at uri.
func KEKFromKeyset(data []byte, uri string) (KEK, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("the keyset is empty")
	}
	var r keyset.Reader
	if data[0] == '{' {
		r = keyset.NewJSONReader(bytes.NewReader(data))
	} else {
		raw, err := base64.StdEncoding.DecodeString(string(data))
		if err != nil {
			if raw, err = base64.RawURLEncoding.DecodeString(string(data)); err != nil {
				return nil, errors.New("the keyset is neither Tink JSON nor base64")
			}
		}
		if raw = bytes.TrimSpace(raw); len(raw) > 0 && raw[0] == '{' {
			r = keyset.NewJSONReader(bytes.NewReader(raw))
		} else {
			r = keyset.NewBinaryReader(bytes.NewReader(raw))
		}
	}
	h, err := insecurecleartextkeyset.Read(r)
	if err != nil {
		return nil, fmt.Errorf("read the keyset: %w", err)
	}
	primary, err := h.Primary()
	if err != nil {
		return nil, fmt.Errorf("read the keyset: %w", err)
	}
	a, err := aead.New(h)
	if err != nil {
		return nil, fmt.Errorf("the keyset is not an AEAD keyset: %w", err)
	}
	return &keysetKEK{AEAD: a, id: fmt.Sprintf("tink-aead:%d", primary.KeyID()), uri: uri}, nil
}

// OpenKEK finds the key-encryption key named by uri:
//
//	file:keys/kek.json          a keyset file, relative to dataDir
//	file:///abs/path/kek.json   a keyset file anywhere
//	env://DOSSIER_KEK           a keyset in an environment variable
//	anything else               a KMS key URI served by a Tink KMS client
//	                            registered with registry.RegisterKMSClient
//
// A key file must not be readable by group or others.
func OpenKEK(ctx context.Context, uri, dataDir string) (KEK, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch {
	case strings.HasPrefix(uri, "file:"):
		path, err := KEKPath(uri, dataDir)
		if err != nil {
			return nil, err
		}
		info, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("key-encryption key %s: %w", uri, err)
		}
		if info.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("key-encryption key file %s can be read by others (mode %04o): run chmod 600 on it", path, info.Mode().Perm())
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("key-encryption key %s: %w", uri, err)
		}
		k, err := KEKFromKeyset(data, uri)
		if err != nil {
			return nil, fmt.Errorf("key-encryption key file %s: %w", path, err)
		}
		return k, nil
	case strings.HasPrefix(uri, "env://"):
		name := strings.TrimPrefix(uri, "env://")
		value, ok := os.LookupEnv(name)
		if name == "" || !ok {
			return nil, fmt.Errorf("key-encryption key %s: the environment variable %s is not set", uri, name)
		}
		k, err := KEKFromKeyset([]byte(value), uri)
		if err != nil {
			return nil, fmt.Errorf("key-encryption key in %s: %w", name, err)
		}
		return k, nil
	case uri == "":
		return nil, errors.New("no key-encryption key named")
	}
	client, err := registry.GetKMSClient(uri)
	if err != nil {
		return nil, fmt.Errorf("key-encryption key %s: not a file: or env:// URI, and no KMS client for it is registered", uri)
	}
	a, err := client.GetAEAD(uri)
	if err != nil {
		return nil, fmt.Errorf("key-encryption key %s: %w", uri, err)
	}
	return &kmsKEK{AEAD: a, uri: uri}, nil
}

// KEKPath is the file a file: URI names: "file:rel" is relative to dataDir,
// "file:///abs" is absolute.
func KEKPath(uri, dataDir string) (string, error) {
	rest, ok := strings.CutPrefix(uri, "file:")
	if !ok {
		return "", fmt.Errorf("key-encryption key %s is not a file: URI", uri)
	}
	if abs, ok := strings.CutPrefix(rest, "//"); ok {
		if !strings.HasPrefix(abs, "/") {
			return "", fmt.Errorf("key-encryption key %s: write file:///absolute/path or file:relative/path", uri)
		}
		return filepath.Clean(abs), nil
	}
	if rest == "" || filepath.IsAbs(rest) {
		return filepath.Clean(rest), nil
	}
	if dataDir == "" {
		return "", fmt.Errorf("key-encryption key %s is relative to the data directory, and there is none", uri)
	}
	return filepath.Join(dataDir, rest), nil
}

// CreateKEKFile writes a new key-encryption keyset to path, readable by its
// owner only. It never replaces an existing file.
func CreateKEKFile(path string) error {
	data, err := GenerateKEK()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create key directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".kek-*.tmp")
	if err != nil {
		return fmt.Errorf("create key-encryption key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("create key-encryption key file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write key-encryption key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write key-encryption key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write key-encryption key file: %w", err)
	}
	// A hard link appears complete or not at all, and fails if the name is
	// taken: two processes starting at once cannot each make a key.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("key-encryption key file %s already exists", path)
		}
		return fmt.Errorf("create key-encryption key file: %w", err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
