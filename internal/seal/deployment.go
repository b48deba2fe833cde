package seal

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/prf"
	"github.com/tink-crypto/tink-go/v2/streamingaead"
	"github.com/tink-crypto/tink-go/v2/streamingaead/aesgcmhkdf"

	"github.com/dossier-org/dossier/internal/db"
)

// The deployment's own keys, one per purpose, each wrapped by the KEK like a
// data key. They are not per subject: a search token or a blob name must be
// the same whoever's record it comes from.
const (
	purposeBlindIndex = "blind-index" // HMAC-SHA256 PRF over normalised words
	purposeBlobName   = "blob-name"   // HMAC-SHA256 PRF over content hashes
	purposeBlob       = "blob"        // AES-256-GCM-HKDF streaming AEAD for files
)

// blobSegmentSize is Tink's ciphertext segment: the unit it authenticates,
// and what a reader holds in memory.
const blobSegmentSize = 64 << 10

type deployment struct {
	index    prf.PRF
	blobName prf.PRF
	blobKey  *BlobKey
}

func newDeploymentKey(purpose string) (*keyset.Handle, error) {
	switch purpose {
	case purposeBlindIndex, purposeBlobName:
		return keyset.NewHandle(prf.HMACSHA256PRFKeyTemplate())
	case purposeBlob:
		params, err := aesgcmhkdf.NewParameters(aesgcmhkdf.ParametersOpts{
			KeySizeInBytes:        32,
			DerivedKeySizeInBytes: 32,
			HKDFHashType:          aesgcmhkdf.SHA256,
			SegmentSizeInBytes:    blobSegmentSize,
		})
		if err != nil {
			return nil, err
		}
		m := keyset.NewManager()
		id, err := m.AddNewKeyFromParameters(params)
		if err != nil {
			return nil, err
		}
		if err := m.SetPrimary(id); err != nil {
			return nil, err
		}
		return m.Handle()
	}
	return nil, fmt.Errorf("unknown deployment key purpose %q", purpose)
}

func deploymentKeyAD(purpose, keyID string) []byte {
	return associatedData("dossier/deployment-key/v1", purpose, keyID)
}

// loadDeployment unwraps the deployment keys, creating those missing.
func (s *Sealer) loadDeployment(ctx context.Context) error {
	handles := map[string]*keyset.Handle{}
	err := s.d.Write(ctx, func(tx *db.Tx) error {
		for _, purpose := range []string{purposeBlindIndex, purposeBlobName, purposeBlob} {
			h, err := s.deploymentKey(ctx, tx, purpose)
			if err != nil {
				return fmt.Errorf("%s key: %w", purpose, err)
			}
			handles[purpose] = h
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.index, err = primaryPRF(handles[purposeBlindIndex]); err != nil {
		return fmt.Errorf("blind index key: %w", err)
	}
	if s.blobName, err = primaryPRF(handles[purposeBlobName]); err != nil {
		return fmt.Errorf("blob name key: %w", err)
	}
	sa, err := streamingaead.New(handles[purposeBlob])
	if err != nil {
		return fmt.Errorf("blob key: %w", err)
	}
	if s.blobKey, err = newBlobKey(sa); err != nil {
		return fmt.Errorf("blob key: %w", err)
	}
	return nil
}

func primaryPRF(h *keyset.Handle) (prf.PRF, error) {
	set, err := prf.NewPRFSet(h)
	if err != nil {
		return nil, err
	}
	p, ok := set.PRFs[set.PrimaryID]
	if !ok {
		return nil, errors.New("the keyset has no primary PRF")
	}
	return p, nil
}

func (s *Sealer) deploymentKey(ctx context.Context, tx *db.Tx, purpose string) (*keyset.Handle, error) {
	var keyID, kekID string
	var wrapped []byte
	err := tx.QueryRow(ctx, `SELECT key_id, wrapped, kek_id FROM deployment_keys WHERE purpose = $1`, purpose).
		Scan(&keyID, &wrapped, &kekID)
	if err == nil {
		kek, err := s.kekFor(ctx, kekID, "")
		if err != nil {
			return nil, err
		}
		h, err := keyset.ReadWithAssociatedData(keyset.NewBinaryReader(bytes.NewReader(wrapped)), kek, deploymentKeyAD(purpose, keyID))
		if err != nil {
			return nil, fmt.Errorf("unwrap with key-encryption key %s: %w", kekID, err)
		}
		return h, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("look up: %w", err)
	}
	kek, err := s.wrappingKEK(ctx, tx)
	if err != nil {
		return nil, err
	}
	h, err := newDeploymentKey(purpose)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	keyID = newKeyID()
	var buf bytes.Buffer
	if err := h.WriteWithAssociatedData(keyset.NewBinaryWriter(&buf), kek, deploymentKeyAD(purpose, keyID)); err != nil {
		return nil, fmt.Errorf("wrap: %w", err)
	}
	// The write transaction is exclusive on SQLite; on PostgreSQL a racing
	// process may insert first, and its key is the one to use.
	res, err := tx.Exec(ctx, `INSERT INTO deployment_keys (purpose, key_id, wrapped, kek_id, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (purpose) DO NOTHING`,
		purpose, keyID, buf.Bytes(), kek.ID(), db.FormatTime(db.Now()))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n == 0 {
		return s.deploymentKey(ctx, tx, purpose)
	}
	return h, nil
}
