package seal

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/tink-crypto/tink-go/v2/keyset"

	"github.com/dossier-org/dossier/internal/db"
)

// rotateBatch is how many keys one rotation transaction re-wraps: small
// enough that the single SQLite writer is never held for long.
const rotateBatch = 200

var errKeysLeft = errors.New("keys left to re-wrap")

// Rotate re-wraps every data key and deployment key under newKEK, then
// retires every other KEK. Sealed data is not touched: the keys inside the
// wraps stay the same. It works in batches, each its own transaction, so the
// server goes on sealing and opening meanwhile (keys it makes are wrapped by
// newKEK from the first batch on, if it can reach it); and it is resumable:
// after an interruption, call it again with the same newKEK. The old KEK is
// needed until it returns; then destroy it (DestroyKEK), which also makes
// backups older than the rotation unreadable — among them the keys of every
// subject shredded before it (see BackupExposure). Run one rotation at a
// time: of two racing, the later-started one wins and the other stops.
func (s *Sealer) Rotate(ctx context.Context, newKEK KEK) error {
	newID := newKEK.ID()
	err := s.d.Write(ctx, func(tx *db.Tx) error {
		var retired sql.NullString
		err := tx.QueryRow(ctx, `SELECT retired_at FROM seal_keks WHERE id = $1`, newID).Scan(&retired)
		switch {
		case err == nil && retired.Valid:
			return fmt.Errorf("rotate to %s: %w", newID, ErrKEKRetired)
		case errors.Is(err, sql.ErrNoRows):
			return addKEK(ctx, tx, newKEK)
		case err != nil:
			return fmt.Errorf("look up the key-encryption key: %w", err)
		}
		// Resuming, or rotating back to a KEK added earlier: make it the
		// newest, so it is the one keys are wrapped with.
		_, err = tx.Exec(ctx, `UPDATE seal_keks SET added_at = $2, uri = $3 WHERE id = $1`,
			newID, db.FormatTime(db.Now()), newKEK.URI())
		return err
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.keks[newID] = newKEK
	s.current = newKEK
	s.mu.Unlock()

	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := s.rewrapBatch(ctx, newKEK)
		if err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		err = s.d.Write(ctx, func(tx *db.Tx) error {
			current, err := currentKEKRow(ctx, tx)
			if err != nil {
				return err
			}
			if current.id != newID {
				return fmt.Errorf("another rotation, to key-encryption key %s, began meanwhile; let it finish", current.id)
			}
			// Retire first: on PostgreSQL this waits for transactions still
			// writing a key under an old KEK (they share-lock its row), and
			// the count below then sees their keys.
			if _, err := tx.Exec(ctx, `UPDATE seal_keks SET retired_at = $1 WHERE id <> $2 AND retired_at IS NULL`,
				db.FormatTime(db.Now()), newID); err != nil {
				return fmt.Errorf("retire the old key-encryption keys: %w", err)
			}
			var left int
			if err := tx.QueryRow(ctx, `SELECT
				(SELECT COUNT(*) FROM data_keys WHERE wrapped IS NOT NULL AND kek_id <> $1) +
				(SELECT COUNT(*) FROM deployment_keys WHERE kek_id <> $1)`, newID).Scan(&left); err != nil {
				return fmt.Errorf("count keys left to re-wrap: %w", err)
			}
			if left > 0 {
				return errKeysLeft
			}
			return nil
		})
		if errors.Is(err, errKeysLeft) {
			continue
		}
		if err != nil {
			return err
		}
		break
	}
	s.mu.Lock()
	for id := range s.keks {
		if id != newID {
			delete(s.keks, id)
		}
	}
	s.mu.Unlock()
	return nil
}

type wrappedKey struct {
	table, name, keyID, kekID string
	wrapped                   []byte
}

// rewrapBatch re-wraps up to rotateBatch keys not yet wrapped by newKEK and
// says how many it found. The unwrapping and wrapping (with a KMS, network
// calls) happen outside any transaction; the write transaction only stores
// the results, each on condition that the row is as it was read — a key
// shredded meanwhile stays shredded.
func (s *Sealer) rewrapBatch(ctx context.Context, newKEK KEK) (int, error) {
	newID := newKEK.ID()
	current, err := currentKEKRow(ctx, s.d)
	if err != nil {
		return 0, err
	}
	if current.id != newID {
		return 0, fmt.Errorf("another rotation, to key-encryption key %s, began meanwhile; let it finish", current.id)
	}
	var keys []wrappedKey
	collect := func(table, query string) error {
		rows, err := s.d.Query(ctx, query, newID, rotateBatch)
		if err != nil {
			return fmt.Errorf("list keys to re-wrap: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			k := wrappedKey{table: table}
			if err := rows.Scan(&k.name, &k.keyID, &k.wrapped, &k.kekID); err != nil {
				return err
			}
			keys = append(keys, k)
		}
		return rows.Err()
	}
	if err := collect("deployment_keys", `SELECT purpose, key_id, wrapped, kek_id FROM deployment_keys
		WHERE kek_id <> $1 ORDER BY purpose LIMIT $2`); err != nil {
		return 0, err
	}
	if err := collect("data_keys", `SELECT subject, key_id, wrapped, kek_id FROM data_keys
		WHERE wrapped IS NOT NULL AND kek_id <> $1 ORDER BY subject LIMIT $2`); err != nil {
		return 0, err
	}
	if len(keys) == 0 {
		return 0, nil
	}
	rewrapped := make([][]byte, len(keys))
	for i, k := range keys {
		ad := dataKeyAD(k.name, k.keyID)
		if k.table == "deployment_keys" {
			ad = deploymentKeyAD(k.name, k.keyID)
		}
		old, err := s.kekFor(ctx, k.kekID, "")
		if err != nil {
			return 0, err
		}
		h, err := keyset.ReadWithAssociatedData(keyset.NewBinaryReader(bytes.NewReader(k.wrapped)), old, ad)
		if err != nil {
			return 0, fmt.Errorf("unwrap a key with key-encryption key %s: %w", k.kekID, err)
		}
		var buf bytes.Buffer
		if err := h.WriteWithAssociatedData(keyset.NewBinaryWriter(&buf), newKEK, ad); err != nil {
			return 0, fmt.Errorf("wrap a key with key-encryption key %s: %w", newID, err)
		}
		rewrapped[i] = buf.Bytes()
	}
	err = s.d.Write(ctx, func(tx *db.Tx) error {
		return withSecureDelete(ctx, tx, func() error {
			for i, k := range keys {
				update := `UPDATE data_keys SET wrapped = $1, kek_id = $2
					WHERE subject = $3 AND key_id = $4 AND kek_id = $5 AND wrapped IS NOT NULL`
				if k.table == "deployment_keys" {
					update = `UPDATE deployment_keys SET wrapped = $1, kek_id = $2
						WHERE purpose = $3 AND key_id = $4 AND kek_id = $5`
				}
				if _, err := tx.Exec(ctx, update, rewrapped[i], newID, k.name, k.keyID, k.kekID); err != nil {
					return fmt.Errorf("store a re-wrapped key: %w", err)
				}
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	return len(keys), nil
}

// KEKState describes one key-encryption key the database has known.
type KEKState struct {
	ID, URI   string
	AddedAt   time.Time
	RetiredAt time.Time // zero while in use
	Keys      int       // data and deployment keys it wraps now
}

// Status is the state of the keys, for `dossier keys status`.
type Status struct {
	Current  string     // the KEK new keys are wrapped with
	KEKs     []KEKState // oldest first
	DataKeys int        // subjects with a live data key
	Shredded int        // subjects whose key was destroyed
	Rotating bool       // some keys are still wrapped by another KEK than Current
	Exposure Exposure
}

// Status reports the key-encryption keys and the keys they wrap.
func (s *Sealer) Status(ctx context.Context) (Status, error) {
	var st Status
	rows, err := s.d.Query(ctx, `SELECT k.id, k.uri, k.added_at, k.retired_at,
		(SELECT COUNT(*) FROM data_keys d WHERE d.kek_id = k.id AND d.wrapped IS NOT NULL) +
		(SELECT COUNT(*) FROM deployment_keys p WHERE p.kek_id = k.id)
		FROM seal_keks k ORDER BY k.added_at, k.id`)
	if err != nil {
		return st, fmt.Errorf("list key-encryption keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k KEKState
		var added string
		var retired sql.NullString
		if err := rows.Scan(&k.ID, &k.URI, &added, &retired, &k.Keys); err != nil {
			return st, err
		}
		if k.AddedAt, err = db.ParseTime(added); err != nil {
			return st, err
		}
		if retired.Valid {
			if k.RetiredAt, err = db.ParseTime(retired.String); err != nil {
				return st, err
			}
		}
		st.KEKs = append(st.KEKs, k)
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	rows.Close()
	current, err := currentKEKRow(ctx, s.d)
	if err != nil {
		return st, err
	}
	st.Current = current.id
	for _, k := range st.KEKs {
		if k.ID != st.Current && k.Keys > 0 {
			st.Rotating = true
		}
	}
	if err := s.d.QueryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM data_keys WHERE wrapped IS NOT NULL),
		(SELECT COUNT(*) FROM data_keys WHERE shredded_at IS NOT NULL)`).Scan(&st.DataKeys, &st.Shredded); err != nil {
		return st, fmt.Errorf("count data keys: %w", err)
	}
	st.Exposure, err = s.BackupExposure(ctx)
	return st, err
}

// Exposure counts shredded subjects whose data key a backup may still give
// back: their key was wrapped by a KEK that has not been rotated away, so a
// backup made before the shredding holds the wrapped key and that KEK opens
// it. Rotating the KEK and destroying the old one ends the exposure.
type Exposure struct {
	Subjects int
	Since    time.Time // the earliest such shredding
	KEKs     []string  // the KEKs to rotate away from and destroy
}

// Warning is the message for operators, or "" when nothing is exposed.
func (e Exposure) Warning() string {
	if e.Subjects == 0 {
		return ""
	}
	return fmt.Sprintf("%d shredded subject(s) can still be recovered from backups made before %s, because their keys were wrapped by key-encryption key %s, which is still in use: rotate the key-encryption key (dossier keys rotate) and destroy the old one",
		e.Subjects, e.Since.Format(time.RFC3339), strings.Join(e.KEKs, ", "))
}

// BackupExposure reports shredded subjects still recoverable from old
// backups with a KEK in use.
func (s *Sealer) BackupExposure(ctx context.Context) (Exposure, error) {
	var e Exposure
	rows, err := s.d.Query(ctx, `SELECT d.kek_id, COUNT(*), MIN(d.shredded_at)
		FROM data_keys d JOIN seal_keks k ON k.id = d.kek_id
		WHERE d.shredded_at IS NOT NULL AND k.retired_at IS NULL
		GROUP BY d.kek_id ORDER BY d.kek_id`)
	if err != nil {
		return e, fmt.Errorf("check shredded keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, since string
		var n int
		if err := rows.Scan(&id, &n, &since); err != nil {
			return e, err
		}
		t, err := db.ParseTime(since)
		if err != nil {
			return e, err
		}
		if e.Since.IsZero() || t.Before(e.Since) {
			e.Since = t
		}
		e.Subjects += n
		e.KEKs = append(e.KEKs, id)
	}
	return e, rows.Err()
}

// DestroyKEK destroys a retired key-encryption key that is a key file:
// overwritten, synced and removed. It refuses a KEK still wrapping keys. A
// KEK in an environment variable or a KMS is destroyed where it lives; this
// says so. Overwriting does not reach copies a copy-on-write file system,
// an SSD's remapping or a backup of the key directory made: keep key files
// out of backups, on storage you can destroy.
func (s *Sealer) DestroyKEK(ctx context.Context, id string) error {
	var uri string
	var retired sql.NullString
	err := s.d.QueryRow(ctx, `SELECT uri, retired_at FROM seal_keks WHERE id = $1`, id).Scan(&uri, &retired)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("no key-encryption key %s is recorded here", id)
	}
	if err != nil {
		return fmt.Errorf("look up key-encryption key %s: %w", id, err)
	}
	if !retired.Valid {
		return fmt.Errorf("key-encryption key %s is in use: rotate away from it first", id)
	}
	var left int
	if err := s.d.QueryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM data_keys WHERE wrapped IS NOT NULL AND kek_id = $1) +
		(SELECT COUNT(*) FROM deployment_keys WHERE kek_id = $1)`, id).Scan(&left); err != nil {
		return err
	}
	if left > 0 {
		return fmt.Errorf("key-encryption key %s still wraps %d keys: finish the rotation first", id, left)
	}
	s.mu.Lock()
	delete(s.keks, id)
	s.mu.Unlock()
	if !strings.HasPrefix(uri, "file:") {
		return fmt.Errorf("key-encryption key %s lives at %s: destroy it there", id, uri)
	}
	path, err := KEKPath(uri, s.opts.DataDir)
	if err != nil {
		return err
	}
	k, err := OpenKEK(ctx, uri, s.opts.DataDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if k.ID() != id {
		return fmt.Errorf("%s now holds key-encryption key %s, not %s: not destroying it", path, k.ID(), id)
	}
	return shredFile(path)
}

func shredFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("destroy %s: %w", path, err)
	}
	info, err := f.Stat()
	if err == nil {
		_, err = f.Write(make([]byte, info.Size()))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("destroy %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("destroy %s: %w", path, err)
	}
	return nil
}
