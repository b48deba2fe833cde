// Package seal encrypts what must never reach the database, a backup or a
// bucket in the clear: survivors' identities and testimony (sealed fields),
// and evidence files (sealed blobs).
//
// It is envelope encryption with Google Tink. Each subject — a survivor — has
// its own data key; data keys are stored in the database wrapped by a
// key-encryption key (KEK) that lives elsewhere (a key file, an environment
// variable, a KMS). Destroying a subject's data key makes everything sealed
// for it unreadable (crypto-shredding); re-wrapping the data keys under a new
// KEK (Rotate) needs no re-encryption of the data. A keyed blind index allows
// keyword search over sealed text. docs/sealing.md gives the design and what
// each part leaks.
package seal

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/tink"

	"github.com/dossier-org/dossier/internal/db"
)

var (
	// ErrShredded means the subject's data key was destroyed: what was sealed
	// for it can never be opened again, and nothing new is sealed for it.
	ErrShredded = errors.New("the data key was destroyed (crypto-shredded)")
	// ErrNoKey means nothing was ever sealed for the subject here.
	ErrNoKey = errors.New("no data key for this subject")
	// ErrCiphertext means a sealed value or blob does not open: it was
	// altered, or sealed for another subject, field or blob.
	ErrCiphertext = errors.New("sealed data does not open: altered, or sealed for another subject or field")
	// ErrKEKRetired means the key-encryption key was rotated away; the data
	// keys are wrapped by its successor.
	ErrKEKRetired = errors.New("this key-encryption key was retired by a rotation")
	// ErrUnknownKEK means the database's keys are wrapped by another
	// key-encryption key than the one given.
	ErrUnknownKEK = errors.New("the database's keys are wrapped by another key-encryption key")
	// ErrKEKUnavailable means a key is wrapped by a key-encryption key this
	// process cannot reach.
	ErrKEKUnavailable = errors.New("the key-encryption key that wrapped this key is not available here")
)

// Options tunes a Sealer.
type Options struct {
	// DataDir resolves relative key file URIs such as "file:keys/kek.json".
	DataDir string
	// CacheSize bounds how many unwrapped data keys are kept in memory
	// (default 4096). Each costs a few hundred bytes.
	CacheSize int
}

// Sealer seals and opens fields and blobs. It is safe for concurrent use.
type Sealer struct {
	d    *db.DB
	opts Options

	mu      sync.Mutex
	current KEK            // wraps new keys unless the database names a newer one
	keks    map[string]KEK // every KEK this process has, by ID

	cache     *keyCache[tink.AEAD]
	blobCache *keyCache[*BlobKey] // subjects' file keys, by their key ID

	listeners []func(ctx context.Context, subject string) error // told of shreddings

	deployment
}

// Open returns a Sealer on d with the key-encryption key named by kekURI.
// With kekURI empty it uses the KEK the database records as current; on a
// database that has none yet, DOSSIER_KEK when set, else the key file
// DATADIR/keys/kek.json, created on first use. A key file is never created
// for a database whose keys are wrapped already: a missing KEK is an error to
// resolve, not something to paper over with a fresh key.
func Open(ctx context.Context, d *db.DB, kekURI string, opts Options) (*Sealer, error) {
	if kekURI == "" {
		current, err := currentKEKRow(ctx, d)
		switch {
		case err == nil:
			kekURI = current.uri
		case errors.Is(err, sql.ErrNoRows):
			if _, ok := os.LookupEnv(KEKEnv); ok {
				kekURI = "env://" + KEKEnv
				break
			}
			kekURI = "file:" + DefaultKEKFile
			path, err := KEKPath(kekURI, opts.DataDir)
			if err != nil {
				return nil, err
			}
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				if err := CreateKEKFile(path); err != nil {
					return nil, err
				}
			}
		default:
			return nil, err
		}
	}
	kek, err := OpenKEK(ctx, kekURI, opts.DataDir)
	if err != nil {
		return nil, err
	}
	return New(ctx, d, kek, opts)
}

// New returns a Sealer on d that wraps keys with kek. A database used for the
// first time adopts kek as its KEK. Otherwise kek must be one the database
// knows and has not retired (ErrKEKRetired, ErrUnknownKEK): Rotate is the
// only way to move to another.
func New(ctx context.Context, d *db.DB, kek KEK, opts Options) (*Sealer, error) {
	if opts.CacheSize <= 0 {
		opts.CacheSize = 4096
	}
	s := &Sealer{
		d:       d,
		opts:    opts,
		current: kek,
		keks:    map[string]KEK{kek.ID(): kek},
		cache:   newKeyCache[tink.AEAD](opts.CacheSize),
		// A file key is unwrapped for each object of the subject opened
		// (each Range request of a video); few subjects' files are open at
		// once.
		blobCache: newKeyCache[*BlobKey](256),
	}
	err := d.Write(ctx, func(tx *db.Tx) error {
		if tx.Dialect() == db.Postgres {
			// Two processes starting on a new database with different KEKs
			// must not both adopt theirs. (SQLite's writer is exclusive.)
			if _, err := tx.Exec(ctx, `LOCK TABLE seal_keks IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return fmt.Errorf("lock the key-encryption keys: %w", err)
			}
		}
		var retired sql.NullString
		err := tx.QueryRow(ctx, `SELECT retired_at FROM seal_keks WHERE id = $1`, kek.ID()).Scan(&retired)
		switch {
		case err == nil && retired.Valid:
			return fmt.Errorf("key-encryption key %s (%s), retired %s: %w", kek.ID(), kek.URI(), retired.String, ErrKEKRetired)
		case err == nil:
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("look up the key-encryption key: %w", err)
		}
		current, err := currentKEKRow(ctx, tx)
		if err == nil {
			return fmt.Errorf("%w: they are wrapped by %s (%s), and the one given is %s (%s)",
				ErrUnknownKEK, current.id, current.uri, kek.ID(), kek.URI())
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return addKEK(ctx, tx, kek)
	})
	if err != nil {
		return nil, err
	}
	if err := s.loadDeployment(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// KEK is the key-encryption key this Sealer wraps new keys with.
func (s *Sealer) KEK() KEK {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

type kekRow struct {
	id, uri string
}

// currentKEKRow is the newest KEK not retired: during a rotation, the one
// being rotated to.
func currentKEKRow(ctx context.Context, q db.Querier) (kekRow, error) {
	var k kekRow
	err := q.QueryRow(ctx, `SELECT id, uri FROM seal_keks WHERE retired_at IS NULL
		ORDER BY added_at DESC, id DESC LIMIT 1`).Scan(&k.id, &k.uri)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return k, fmt.Errorf("look up the current key-encryption key: %w", err)
	}
	return k, err
}

func addKEK(ctx context.Context, tx *db.Tx, kek KEK) error {
	_, err := tx.Exec(ctx, `INSERT INTO seal_keks (id, uri, added_at) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO NOTHING`, kek.ID(), kek.URI(), db.FormatTime(db.Now()))
	if err != nil {
		return fmt.Errorf("record the key-encryption key: %w", err)
	}
	return nil
}

// wrappingKEK is the KEK new keys are wrapped with: the database's current
// one. On PostgreSQL its row is share-locked until the transaction ends, so
// a rotation cannot retire it while a key wrapped by it is being written.
func (s *Sealer) wrappingKEK(ctx context.Context, tx *db.Tx) (KEK, error) {
	query := `SELECT id, uri FROM seal_keks WHERE retired_at IS NULL ORDER BY added_at DESC, id DESC LIMIT 1`
	if tx.Dialect() == db.Postgres {
		query += ` FOR SHARE`
	}
	var k kekRow
	if err := tx.QueryRow(ctx, query).Scan(&k.id, &k.uri); err != nil {
		return nil, fmt.Errorf("look up the current key-encryption key: %w", err)
	}
	kek, err := s.kekFor(ctx, k.id, k.uri)
	if !errors.Is(err, ErrKEKUnavailable) {
		return kek, err
	}
	// Another process is rotating to a KEK out of this one's reach (say, an
	// environment variable set only there). Wrapping with our own KEK is
	// right while it is not retired: the rotation re-wraps the key later.
	own := s.KEK()
	query = `SELECT 1 FROM seal_keks WHERE id = $1 AND retired_at IS NULL`
	if tx.Dialect() == db.Postgres {
		query += ` FOR SHARE`
	}
	var one int
	if qerr := tx.QueryRow(ctx, query, own.ID()).Scan(&one); qerr != nil {
		return nil, err
	}
	return own, nil
}

// kekFor returns the KEK with this ID, opening it from its URI when this
// process does not hold it yet: a server keeps working while another process
// rotates to a KEK it can reach (a key file, a KMS).
func (s *Sealer) kekFor(ctx context.Context, id, uri string) (KEK, error) {
	s.mu.Lock()
	k, ok := s.keks[id]
	s.mu.Unlock()
	if ok {
		return k, nil
	}
	if uri == "" {
		if err := s.d.QueryRow(ctx, `SELECT uri FROM seal_keks WHERE id = $1`, id).Scan(&uri); err != nil {
			return nil, fmt.Errorf("key-encryption key %s: %w", id, ErrKEKUnavailable)
		}
	}
	k, err := OpenKEK(ctx, uri, s.opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("%w: %s (%s): %v", ErrKEKUnavailable, id, uri, err)
	}
	if k.ID() != id {
		return nil, fmt.Errorf("%w: %s holds key-encryption key %s, not %s", ErrKEKUnavailable, uri, k.ID(), id)
	}
	s.mu.Lock()
	s.keks[id] = k
	s.mu.Unlock()
	return k, nil
}

// associatedData encodes parts unambiguously (each length-prefixed) after a
// label naming what is bound.
func associatedData(label string, parts ...string) []byte {
	b := make([]byte, 0, 64)
	b = append(b, label...)
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return b
}

func fieldAD(subject, field string) []byte {
	return associatedData("dossier/sealed-field/v1", subject, field)
}

func dataKeyAD(subject, keyID string) []byte {
	return associatedData("dossier/data-key/v1", subject, keyID)
}

func newKeyID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func checkNames(subject, field string) error {
	if subject == "" {
		return errors.New("seal: the subject is empty")
	}
	if field == "" {
		return errors.New("seal: the field is empty")
	}
	return nil
}

// Seal encrypts plaintext for subject's field, creating the subject's data
// key on first use. The ciphertext opens only for the same subject and field:
// name the field after where the value is kept ("name", "testimony/T-7/text")
// so that a ciphertext copied to another row or column does not open there.
//
// Seal writes in its own transaction when it must create a key; inside a
// write transaction use SealTx, or SQLite's single writer waits on itself.
func (s *Sealer) Seal(ctx context.Context, subject, field string, plaintext []byte) ([]byte, error) {
	if err := checkNames(subject, field); err != nil {
		return nil, err
	}
	a, err := s.dataKey(ctx, s.d, subject)
	if errors.Is(err, ErrNoKey) {
		err = s.d.Write(ctx, func(tx *db.Tx) error {
			var err error
			a, err = s.dataKeyOrCreate(ctx, tx, subject)
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	return s.encrypt(a, subject, field, plaintext)
}

// SealTx is Seal inside the caller's write transaction, so a record and its
// sealed fields (and a new data key) are written together or not at all.
func (s *Sealer) SealTx(ctx context.Context, tx *db.Tx, subject, field string, plaintext []byte) ([]byte, error) {
	if err := checkNames(subject, field); err != nil {
		return nil, err
	}
	a, err := s.dataKeyOrCreate(ctx, tx, subject)
	if err != nil {
		return nil, err
	}
	return s.encrypt(a, subject, field, plaintext)
}

func (s *Sealer) encrypt(a tink.AEAD, subject, field string, plaintext []byte) ([]byte, error) {
	ct, err := a.Encrypt(pad(plaintext), fieldAD(subject, field))
	if err != nil {
		return nil, fmt.Errorf("seal %s: %w", field, err)
	}
	return ct, nil
}

// Open decrypts what Seal returned for the same subject and field. It fails
// with ErrShredded once the subject's key is destroyed, ErrNoKey when nothing
// was ever sealed for the subject, and ErrCiphertext when the ciphertext was
// altered or belongs to another subject or field.
func (s *Sealer) Open(ctx context.Context, subject, field string, ciphertext []byte) ([]byte, error) {
	return s.open(ctx, s.d, subject, field, ciphertext)
}

// OpenTx is Open inside a transaction, seeing its uncommitted keys.
func (s *Sealer) OpenTx(ctx context.Context, tx *db.Tx, subject, field string, ciphertext []byte) ([]byte, error) {
	return s.open(ctx, tx, subject, field, ciphertext)
}

func (s *Sealer) open(ctx context.Context, q db.Querier, subject, field string, ciphertext []byte) ([]byte, error) {
	if err := checkNames(subject, field); err != nil {
		return nil, err
	}
	a, err := s.dataKey(ctx, q, subject)
	if err != nil {
		return nil, err
	}
	padded, err := a.Decrypt(ciphertext, fieldAD(subject, field))
	if err != nil {
		// Tink's message says only that no key matched; nothing to add.
		return nil, fmt.Errorf("open %s: %w", field, ErrCiphertext)
	}
	pt, ok := unpad(padded)
	if !ok {
		return nil, fmt.Errorf("open %s: %w", field, ErrCiphertext)
	}
	return pt, nil
}

// pad hides the exact length of a sealed value, which would otherwise tell
// a short name from a long one: the value, a 0x80 byte, and zeros up to a
// multiple of 32 bytes, or for long texts up to the Padmé length (as blobs).
func pad(plaintext []byte) []byte {
	n := padme(int64(len(plaintext) + 1))
	n = (n + 31) &^ 31
	out := make([]byte, n)
	copy(out, plaintext)
	out[len(plaintext)] = 0x80
	return out
}

func unpad(padded []byte) ([]byte, bool) {
	i := len(padded) - 1
	for i >= 0 && padded[i] == 0 {
		i--
	}
	if i < 0 || padded[i] != 0x80 {
		return nil, false
	}
	return padded[:i], true
}

type keyRow struct {
	keyID    string
	wrapped  []byte
	kekID    sql.NullString
	shredded bool
}

func readKeyRow(ctx context.Context, q db.Querier, subject string) (keyRow, error) {
	var r keyRow
	var shredded sql.NullString
	err := q.QueryRow(ctx, `SELECT key_id, wrapped, kek_id, shredded_at FROM data_keys WHERE subject = $1`, subject).
		Scan(&r.keyID, &r.wrapped, &r.kekID, &shredded)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNoKey
	}
	if err != nil {
		return r, fmt.Errorf("look up the data key: %w", err)
	}
	r.shredded = shredded.Valid
	return r, nil
}

// dataKey returns the subject's data key. The database is asked every time,
// even when the key is cached, so that a key shredded by another process is
// refused here at once; the cache saves the unwrapping (a KMS round trip).
func (s *Sealer) dataKey(ctx context.Context, q db.Querier, subject string) (tink.AEAD, error) {
	r, err := readKeyRow(ctx, q, subject)
	if err != nil {
		return nil, err
	}
	if r.shredded {
		s.cache.remove(subject)
		return nil, ErrShredded
	}
	if a, ok := s.cache.get(subject, r.keyID); ok {
		return a, nil
	}
	kek, err := s.kekFor(ctx, r.kekID.String, "")
	if err != nil {
		return nil, err
	}
	h, err := keyset.ReadWithAssociatedData(keyset.NewBinaryReader(bytes.NewReader(r.wrapped)), kek, dataKeyAD(subject, r.keyID))
	if err != nil {
		return nil, fmt.Errorf("unwrap the data key with key-encryption key %s: %w", r.kekID.String, err)
	}
	a, err := aead.New(h)
	if err != nil {
		return nil, fmt.Errorf("unwrap the data key: %w", err)
	}
	s.cache.put(subject, r.keyID, a)
	return a, nil
}

func (s *Sealer) dataKeyOrCreate(ctx context.Context, tx *db.Tx, subject string) (tink.AEAD, error) {
	a, err := s.dataKey(ctx, tx, subject)
	if !errors.Is(err, ErrNoKey) {
		return a, err
	}
	kek, err := s.wrappingKEK(ctx, tx)
	if err != nil {
		return nil, err
	}
	h, err := keyset.NewHandle(aead.AES256GCMKeyTemplate())
	if err != nil {
		return nil, fmt.Errorf("generate a data key: %w", err)
	}
	keyID := newKeyID()
	var wrapped bytes.Buffer
	if err := h.WriteWithAssociatedData(keyset.NewBinaryWriter(&wrapped), kek, dataKeyAD(subject, keyID)); err != nil {
		return nil, fmt.Errorf("wrap the data key: %w", err)
	}
	var inserted int64
	err = withSecureDelete(ctx, tx, func() error {
		res, err := tx.Exec(ctx, `INSERT INTO data_keys (subject, key_id, wrapped, kek_id, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (subject) DO NOTHING`,
			subject, keyID, wrapped.Bytes(), kek.ID(), db.FormatTime(db.Now()))
		if err != nil {
			return fmt.Errorf("store the data key: %w", err)
		}
		inserted, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return nil, err
	}
	if inserted == 0 {
		// Another transaction made (or shredded) the key first.
		return s.dataKey(ctx, tx, subject)
	}
	a, err = aead.New(h)
	if err != nil {
		return nil, err
	}
	s.cache.put(subject, keyID, a)
	return a, nil
}

// Shred destroys subject's data key: everything sealed for it becomes
// unreadable, and nothing more can be sealed for it. The row stays, marked
// shredded and without key material, so Open answers ErrShredded. It is
// idempotent, and works for a subject that never had a key.
//
// On SQLite the key's bytes are also overwritten in the database file and
// the write-ahead log is emptied; PostgreSQL keeps dead row versions and WAL
// until vacuumed and recycled. Either way old backups still hold the wrapped
// key: see BackupExposure and docs/sealing.md.
func (s *Sealer) Shred(ctx context.Context, subject string) error {
	if err := s.d.Write(ctx, func(tx *db.Tx) error { return s.ShredTx(ctx, tx, subject) }); err != nil {
		return err
	}
	return s.Shredded(ctx, subject)
}

// ShredTx is Shred inside the caller's transaction (which records the event
// in the audit log). The subject's file key (SubjectBlobKey), wrapped by the
// data key, is deleted with it. Call Shredded after the transaction commits.
func (s *Sealer) ShredTx(ctx context.Context, tx *db.Tx, subject string) error {
	if subject == "" {
		return errors.New("seal: the subject is empty")
	}
	s.cache.remove(subject)
	s.blobCache.remove(subject)
	now := db.FormatTime(db.Now())
	return withSecureDelete(ctx, tx, func() error {
		if _, err := tx.Exec(ctx, `DELETE FROM subject_blob_keys WHERE subject = $1`, subject); err != nil {
			return fmt.Errorf("shred the file key: %w", err)
		}
		res, err := tx.Exec(ctx, `UPDATE data_keys SET wrapped = NULL, shredded_at = $2
			WHERE subject = $1 AND shredded_at IS NULL`, subject, now)
		if err != nil {
			return fmt.Errorf("shred the data key: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO data_keys (subject, key_id, created_at, shredded_at)
			VALUES ($1, '', $2, $2) ON CONFLICT (subject) DO NOTHING`, subject, now)
		if err != nil {
			return fmt.Errorf("mark the subject shredded: %w", err)
		}
		return nil
	})
}

// FlushShredded pushes shredded keys' old bytes out of the SQLite files: a
// checkpoint that also truncates the write-ahead log, where earlier versions
// of a page survive. It retries briefly while readers hold the log.
func (s *Sealer) FlushShredded(ctx context.Context) error {
	if s.d.Dialect != db.SQLite {
		return nil
	}
	for attempt := 0; ; attempt++ {
		var busy, frames, done int
		if err := s.d.QueryRow(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done); err != nil {
			return fmt.Errorf("checkpoint the database after shredding: %w", err)
		}
		if busy == 0 {
			return nil
		}
		if attempt == 20 {
			return errors.New("checkpoint the database after shredding: readers kept the write-ahead log busy; the shredded key's old bytes stay in it until the next checkpoint")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// withSecureDelete runs fn with SQLite's secure_delete on, so that the bytes
// of a key row that is replaced, moved or deleted are overwritten rather than
// left in free space inside the file.
func withSecureDelete(ctx context.Context, tx *db.Tx, fn func() error) error {
	if tx.Dialect() != db.SQLite {
		return fn()
	}
	var was int
	if err := tx.QueryRow(ctx, `PRAGMA secure_delete`).Scan(&was); err != nil {
		return fmt.Errorf("read secure_delete: %w", err)
	}
	if was == 1 {
		return fn()
	}
	if _, err := tx.Exec(ctx, `PRAGMA secure_delete = 1`); err != nil {
		return fmt.Errorf("set secure_delete: %w", err)
	}
	err := fn()
	if _, rerr := tx.Exec(ctx, fmt.Sprintf(`PRAGMA secure_delete = %d`, was)); rerr != nil {
		err = errors.Join(err, fmt.Errorf("restore secure_delete: %w", rerr))
	}
	return err
}
