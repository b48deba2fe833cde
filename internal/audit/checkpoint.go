package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/dossier-org/dossier/internal/db"
)

// Key signs the log's checkpoints. It lives in a file beside the data, never
// in the database: someone able to rewrite the database must not also be
// able to sign a rewritten log.
type Key struct {
	signer   note.Signer
	verifier note.Verifier
	public   ed25519.PublicKey
	// Public is the verifier key to publish (name+hash+key), what courts,
	// witnesses and partners check checkpoints with.
	Public string
}

// Ed25519 is the key's public half, for tools outside the note format
// (openssl checks a bundle's checkpoint with it).
func (k *Key) Ed25519() ed25519.PublicKey { return k.public }

// Origin is the log's name, the first line of every checkpoint.
func (k *Key) Origin() string { return k.signer.Name() }

// Verifier checks signatures by this key.
func (k *Key) Verifier() note.Verifier { return k.verifier }

// EnvSigningKey holds a signing key (note format) in place of the key file.
const EnvSigningKey = "DOSSIER_LOG_KEY"

// KeyFile is where a data directory keeps the log's signing key.
func KeyFile(dataDir string) string { return filepath.Join(dataDir, "keys", "log-signing.key") }

// LoadKey reads the signing key from the environment or the data directory,
// creating one (named after a fresh log origin) if there is none yet.
func LoadKey(dataDir string) (*Key, error) {
	if s := strings.TrimSpace(os.Getenv(EnvSigningKey)); s != "" {
		k, err := ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvSigningKey, err)
		}
		return k, nil
	}
	path := KeyFile(dataDir)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read the log signing key: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ParseKey reads a signing key in note format (PRIVATE+KEY+name+hash+key).
func ParseKey(skey string) (*Key, error) {
	skey = strings.TrimSpace(skey)
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, errors.New("not a signing key in note format (PRIVATE+KEY+name+hash+key)")
	}
	// The key data is the last field: base64 of the algorithm byte and the
	// Ed25519 seed, from which the public half and the verifier key follow.
	parts := strings.SplitN(skey, "+", 5)
	pub, err := ed25519Public(parts[len(parts)-1])
	if err != nil {
		return nil, err
	}
	vkey, err := note.NewEd25519VerifierKey(signer.Name(), pub)
	if err != nil {
		return nil, err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &Key{signer: signer, verifier: verifier, public: pub, Public: vkey}, nil
}

func createKey(path string) (*Key, error) {
	// The origin names this log for good: checkpoints, witnesses and bundles
	// all carry it.
	origin := "dossier.log/" + uuid.NewString()
	skey, _, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the key directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		// Another process made it first: use theirs.
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return ParseKey(string(b))
	}
	if err != nil {
		return nil, fmt.Errorf("create the log signing key: %w", err)
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return ParseKey(skey)
}

// Checkpoint is a signed statement of the log's size and root hash, in the
// C2SP tlog-checkpoint format.
type Checkpoint struct {
	Origin   string    `json:"origin"`
	Size     uint64    `json:"size"`
	Root     []byte    `json:"root"`
	Note     string    `json:"note"`
	IssuedAt time.Time `json:"issued_at"`
}

// Issue signs a checkpoint of the committed log and keeps it. A checkpoint
// of the same size as the newest is that one again.
func Issue(ctx context.Context, d *db.DB, k *Key) (Checkpoint, error) {
	h, err := CurrentHead(ctx, d)
	if err != nil {
		return Checkpoint{}, err
	}
	if existing, err := CheckpointAt(ctx, d, h.Size); err == nil {
		return existing, nil
	} else if !errors.Is(err, db.ErrNotFound) {
		return Checkpoint{}, err
	}
	body := log.Checkpoint{Origin: k.Origin(), Size: h.Size, Hash: h.Root}.Marshal()
	signed, err := note.Sign(&note.Note{Text: string(body)}, k.signer)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("sign checkpoint: %w", err)
	}
	cp := Checkpoint{Origin: k.Origin(), Size: h.Size, Root: h.Root, Note: string(signed), IssuedAt: db.Now()}
	err = d.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO audit_checkpoints (size, root_hash, note, issued_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (size) DO NOTHING`, int64(cp.Size), cp.Root, cp.Note, db.FormatTime(cp.IssuedAt))
		return err
	})
	if err != nil {
		return Checkpoint{}, fmt.Errorf("keep checkpoint: %w", err)
	}
	return CheckpointAt(ctx, d, h.Size)
}

// CheckpointAt reads the kept checkpoint of a size.
func CheckpointAt(ctx context.Context, q db.Querier, size uint64) (Checkpoint, error) {
	return scanCheckpoint(q.QueryRow(ctx, `SELECT size, root_hash, note, issued_at FROM audit_checkpoints WHERE size = $1`, int64(size)))
}

// LatestCheckpoint reads the newest kept checkpoint.
func LatestCheckpoint(ctx context.Context, q db.Querier) (Checkpoint, error) {
	return scanCheckpoint(q.QueryRow(ctx, `SELECT size, root_hash, note, issued_at FROM audit_checkpoints ORDER BY size DESC LIMIT 1`))
}

// Checkpoints lists the kept checkpoints, newest first.
func Checkpoints(ctx context.Context, q db.Querier, limit int) ([]Checkpoint, error) {
	rows, err := q.Query(ctx, `SELECT size, root_hash, note, issued_at FROM audit_checkpoints ORDER BY size DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	defer rows.Close()
	var out []Checkpoint
	for rows.Next() {
		cp, err := scanCheckpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, cp)
	}
	return out, rows.Err()
}

func scanCheckpoint(row interface{ Scan(...any) error }) (Checkpoint, error) {
	var cp Checkpoint
	var size int64
	var at string
	err := row.Scan(&size, &cp.Root, &cp.Note, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Checkpoint{}, db.ErrNotFound
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("read checkpoint: %w", err)
	}
	cp.Size = uint64(size)
	if cp.IssuedAt, err = db.ParseTime(at); err != nil {
		return Checkpoint{}, err
	}
	var body log.Checkpoint
	if _, err := body.Unmarshal([]byte(cp.Note)); err == nil {
		cp.Origin = body.Origin
	}
	return cp, nil
}

// OpenCheckpoint parses a signed checkpoint and checks its signature by the
// verifier; other signatures (a witness's cosignatures) may come with it.
func OpenCheckpoint(signed []byte, verifier note.Verifier, others ...note.Verifier) (Checkpoint, *note.Note, error) {
	body, _, n, err := log.ParseCheckpoint(signed, verifier.Name(), verifier, others...)
	if err != nil {
		return Checkpoint{}, nil, fmt.Errorf("checkpoint: %w", err)
	}
	return Checkpoint{Origin: body.Origin, Size: body.Size, Root: body.Hash, Note: string(signed)}, n, nil
}

// matches checks that a kept checkpoint is signed by k and still states, in
// its row, the size and root it signed.
func (cp Checkpoint) matches(k *Key) error {
	got, _, err := OpenCheckpoint([]byte(cp.Note), k.Verifier())
	if err != nil {
		return err
	}
	if got.Size != cp.Size || !bytes.Equal(got.Root, cp.Root) {
		return fmt.Errorf("its row says size %d, its signed text size %d", cp.Size, got.Size)
	}
	return nil
}

// ed25519Public derives the public key from a note private key's data:
// base64 of the algorithm byte and the Ed25519 seed.
func ed25519Public(keyData string) (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(keyData)
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return nil, errors.New("malformed signing key: not an Ed25519 seed")
	}
	return ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey), nil
}

// VerifyAgainst proves that the log today extends a checkpoint someone kept
// outside: signed by this log's key, no larger than the log, and consistent
// with it. It returns the consistency proof it checked.
func VerifyAgainst(ctx context.Context, q db.Querier, k *Key, signed []byte) (Checkpoint, [][]byte, error) {
	return VerifyAgainstRoots(ctx, q, k, signed, nil)
}

// VerifyAgainstRoots is VerifyAgainst with roots already rehashed from the
// entries (LogReport.Roots of a VerifyLog just run): when they hold both
// the checkpoint's size and the log's, the log is not read a second time.
func VerifyAgainstRoots(ctx context.Context, q db.Querier, k *Key, signed []byte, known Roots) (Checkpoint, [][]byte, error) {
	cp, _, err := OpenCheckpoint(signed, k.Verifier())
	if err != nil {
		return Checkpoint{}, nil, err
	}
	h, err := CurrentHead(ctx, q)
	if err != nil {
		return cp, nil, err
	}
	if cp.Size > h.Size {
		return cp, nil, fmt.Errorf("the checkpoint signed a log of %d entries, but the log now holds %d: it was truncated", cp.Size, h.Size)
	}
	// The root is rehashed from the entries' text, not read from stored
	// nodes, which a forger could leave untouched while editing entries.
	roots := map[uint64][]byte(known)
	if known[cp.Size] == nil || known[h.Size] == nil {
		if roots, err = recomputedRoots(ctx, q, cp.Size, h.Size); err != nil {
			return cp, nil, err
		}
	}
	if !bytes.Equal(roots[h.Size], h.Root) {
		return cp, nil, fmt.Errorf("the log's %d entries no longer hash to its head: an entry was altered", h.Size)
	}
	if !bytes.Equal(roots[cp.Size], cp.Root) {
		return cp, nil, fmt.Errorf("the log's first %d entries no longer hash to the checkpoint's root: the log was rewritten", cp.Size)
	}
	proof, err := ConsistencyProof(ctx, q, cp.Size, h.Size)
	if err != nil {
		return cp, nil, err
	}
	if err := VerifyConsistency(cp.Size, h.Size, proof, cp.Root, h.Root); err != nil {
		return cp, proof, fmt.Errorf("the log of %d entries is not consistent with the checkpoint of %d: %w", h.Size, cp.Size, err)
	}
	return cp, proof, nil
}

// recomputedRoots rehashes the log from its entries' text and returns the
// root at each of the sizes asked for.
func recomputedRoots(ctx context.Context, q db.Querier, sizes ...uint64) (map[uint64][]byte, error) {
	want := map[uint64]bool{}
	var last uint64
	for _, s := range sizes {
		want[s] = true
		last = max(last, s)
	}
	roots := map[uint64][]byte{}
	tree := rangeFactory.NewEmptyRange(0)
	if want[0] {
		roots[0] = rootOf(tree)
	}
	rows, err := q.Query(ctx, `SELECT idx, entry FROM audit_log WHERE idx < $1 ORDER BY idx`, int64(last))
	if err != nil {
		return nil, fmt.Errorf("audit log: read entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var text string
		if err := rows.Scan(&idx, &text); err != nil {
			return nil, err
		}
		if uint64(idx) != tree.End() {
			return nil, fmt.Errorf("audit log: entry %d is missing", tree.End())
		}
		if err := tree.Append(hasher.HashLeaf([]byte(text)), nil); err != nil {
			return nil, err
		}
		if want[tree.End()] {
			roots[tree.End()] = rootOf(tree)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if tree.End() < last {
		return nil, fmt.Errorf("audit log: entries %d–%d are missing", tree.End(), last-1)
	}
	return roots, nil
}
