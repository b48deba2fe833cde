package seal

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/streamingaead"
	"github.com/tink-crypto/tink-go/v2/tink"

	"github.com/dossier-org/dossier/internal/db"
)

// A subject's files — an evidence file that identifies a survivor — are
// sealed with a streaming key of the subject's own (AES-256-GCM-HKDF, as the
// deployment's blob key), made on first use and kept in subject_blob_keys
// wrapped by the subject's data key. So:
//
//   - shredding the subject destroys the data key, and with it every way to
//     unwrap the file key (the row is deleted too): the files can never be
//     opened again, wherever their ciphertext is;
//   - a backup made before the shredding holds both wrapped keys, and opens
//     the files with the key-encryption key of its time, exactly as it opens
//     the subject's sealed fields: rotating the KEK and destroying the old
//     one ends that (docs/sealing.md);
//   - rotating the KEK re-wraps the data key and leaves the file key as it
//     is: what the data key wraps does not change.

// maxSubject bounds a subject's name where it is written into blobs.
const maxSubject = 64

func subjectBlobKeyAD(subject, keyID string) []byte {
	return associatedData("dossier/subject-blob-key/v1", subject, keyID)
}

func checkSubject(subject string) error {
	switch {
	case subject == "":
		return errors.New("seal: the subject is empty")
	case len(subject) > maxSubject:
		return fmt.Errorf("seal: a subject's name is at most %d bytes", maxSubject)
	}
	return nil
}

// DeploymentBlobKey is the key that seals blobs belonging to no subject.
func (s *Sealer) DeploymentBlobKey() *BlobKey { return s.blobKey }

// SubjectBlobKey returns the key that seals subject's files, making it (and
// the subject's data key) on first use, in its own write transaction. It
// fails with ErrShredded once the subject is shredded: nothing is sealed
// for it again.
func (s *Sealer) SubjectBlobKey(ctx context.Context, subject string) (*BlobKey, error) {
	k, err := s.OpenSubjectBlobKey(ctx, subject)
	if !errors.Is(err, ErrNoKey) {
		return k, err
	}
	err = s.d.Write(ctx, func(tx *db.Tx) error {
		a, err := s.dataKeyOrCreate(ctx, tx, subject)
		if err != nil {
			return err
		}
		k, err = s.subjectBlobKey(ctx, tx, subject, a, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// OpenSubjectBlobKey returns the key that seals subject's files, without
// making one: ErrNoKey when none was made, ErrShredded once the subject is
// shredded. The database is asked each time, as for sealed fields, so a
// shredding in another process is seen at once.
func (s *Sealer) OpenSubjectBlobKey(ctx context.Context, subject string) (*BlobKey, error) {
	if err := checkSubject(subject); err != nil {
		return nil, err
	}
	a, err := s.dataKey(ctx, s.d, subject)
	if err != nil {
		return nil, err
	}
	return s.subjectBlobKey(ctx, s.d, subject, a, false)
}

// subjectBlobKey reads (or, with create, makes) subject's file key, wrapped
// by the data key a.
func (s *Sealer) subjectBlobKey(ctx context.Context, q db.Querier, subject string, a tink.AEAD, create bool) (*BlobKey, error) {
	var keyID string
	var wrapped []byte
	err := q.QueryRow(ctx, `SELECT key_id, wrapped FROM subject_blob_keys WHERE subject = $1`, subject).Scan(&keyID, &wrapped)
	if err == nil {
		if k, ok := s.blobCache.get(subject, keyID); ok {
			return k, nil
		}
		h, err := keyset.ReadWithAssociatedData(keyset.NewBinaryReader(bytes.NewReader(wrapped)), a, subjectBlobKeyAD(subject, keyID))
		if err != nil {
			return nil, fmt.Errorf("unwrap the subject's file key: %w", err)
		}
		sa, err := streamingaead.New(h)
		if err != nil {
			return nil, fmt.Errorf("unwrap the subject's file key: %w", err)
		}
		k, err := newBlobKey(sa)
		if err != nil {
			return nil, err
		}
		s.blobCache.put(subject, keyID, k)
		return k, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("look up the subject's file key: %w", err)
	}
	tx, ok := q.(*db.Tx)
	if !create || !ok {
		return nil, ErrNoKey
	}
	h, err := newDeploymentKey(purposeBlob)
	if err != nil {
		return nil, fmt.Errorf("generate a file key: %w", err)
	}
	keyID = newKeyID()
	var buf bytes.Buffer
	if err := h.WriteWithAssociatedData(keyset.NewBinaryWriter(&buf), a, subjectBlobKeyAD(subject, keyID)); err != nil {
		return nil, fmt.Errorf("wrap the file key: %w", err)
	}
	var inserted int64
	err = withSecureDelete(ctx, tx, func() error {
		res, err := tx.Exec(ctx, `INSERT INTO subject_blob_keys (subject, key_id, wrapped, created_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (subject) DO NOTHING`, subject, keyID, buf.Bytes(), db.FormatTime(db.Now()))
		if err != nil {
			return fmt.Errorf("store the file key: %w", err)
		}
		inserted, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return nil, err
	}
	if inserted == 0 {
		// Another transaction made it first (PostgreSQL).
		return s.subjectBlobKey(ctx, tx, subject, a, false)
	}
	sa, err := streamingaead.New(h)
	if err != nil {
		return nil, err
	}
	k, err := newBlobKey(sa)
	if err != nil {
		return nil, err
	}
	s.blobCache.put(subject, keyID, k)
	return k, nil
}

// SubjectBlobName is the name to store subject's blob under, given the
// lowercase hex SHA-256 of its content: a keyed HMAC (the blob-name key) of
// both, so that a listing of the bucket tells neither the content's hash nor
// whose file it is, and identical content of two subjects, or of a subject
// and the deployment, is kept as different objects under different keys.
func (s *Sealer) SubjectBlobName(subject, sha256 string) string {
	in := associatedData("dossier/subject-blob-name/v1", subject, strings.ToLower(sha256))
	out, err := s.blobName.ComputePRF(in, 32)
	if err != nil {
		panic(fmt.Sprintf("seal: blob name: %v", err))
	}
	return hex.EncodeToString(out)
}

// IsShredded reports whether subject's data key was destroyed.
func (s *Sealer) IsShredded(ctx context.Context, subject string) (bool, error) {
	r, err := readKeyRow(ctx, s.d, subject)
	if errors.Is(err, ErrNoKey) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return r.shredded, nil
}

// OnShredded registers fn to be told, by Shredded, of each subject shredded
// once the shredding is committed: what is kept elsewhere under the subject's
// keys (its evidence files) can then be deleted as well. fn's errors are
// returned by Shredded; the shredding itself stands.
func (s *Sealer) OnShredded(fn func(ctx context.Context, subject string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, fn)
}

// Shredded is what a caller of ShredTx does once its transaction is
// committed: it pushes the key's old bytes out of SQLite's files
// (FlushShredded) and tells the listeners (OnShredded).
func (s *Sealer) Shredded(ctx context.Context, subject string) error {
	errs := []error{s.FlushShredded(ctx)}
	s.mu.Lock()
	listeners := append([]func(context.Context, string) error(nil), s.listeners...)
	s.mu.Unlock()
	for _, fn := range listeners {
		errs = append(errs, fn(ctx, subject))
	}
	return errors.Join(errs...)
}
