// Package audit keeps Dossier's tamper-evident log: every write in the
// system, appended in the same transaction as the write itself, as a leaf of
// an RFC 6962 Merkle tree. Signed checkpoints commit to the whole tree;
// inclusion and consistency proofs let anyone holding an old checkpoint check
// that the log was only ever appended to, without trusting the server.
//
// An entry does not hold the record it speaks of, only the SHA-256 of its
// content: the log can be handed to a court or a witness without disclosing
// anything sealed, and verification re-derives each hash from the record.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/dossier-org/dossier/internal/db"
)

// Entry is one write as the log records it.
type Entry struct {
	Index       uint64    `json:"index"`
	At          time.Time `json:"at"`
	Actor       string    `json:"actor"`
	Kind        string    `json:"kind"`
	Subject     string    `json:"subject"`
	Version     int       `json:"version"`
	Action      string    `json:"action"`
	ContentHash string    `json:"content_hash"`
}

// Leaf is the entry's canonical form, the bytes its leaf hash is taken of.
// encoding/json writes struct fields in declaration order, and times in UTC
// with microseconds are written the same way on every machine.
func (e Entry) Leaf() []byte {
	e.At = e.At.UTC().Truncate(time.Microsecond)
	b, err := json.Marshal(e)
	if err != nil {
		// Only strings, integers and a time: marshalling cannot fail.
		panic(err)
	}
	return b
}

// ParseLeaf reads an entry from its canonical form, refusing anything that
// does not marshal back to the same bytes.
func ParseLeaf(b []byte) (Entry, error) {
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Entry{}, fmt.Errorf("audit entry: %w", err)
	}
	if !bytes.Equal(e.Leaf(), b) {
		return Entry{}, errors.New("audit entry: not in canonical form")
	}
	return e, nil
}

// HashJSON is the content hash of a record: hex SHA-256 of its JSON.
func HashJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("hash content: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// hasher is RFC 6962's: leaves and interior nodes are hashed with distinct
// prefixes, so a leaf can never pass for a node.
var hasher = rfc6962.DefaultHasher

var rangeFactory = compact.RangeFactory{Hash: hasher.HashChildren}

// storedLevel is the lowest level of interior nodes kept in audit_nodes.
// Below it a node covers at most 128 leaves and is rehashed from them.
const storedLevel = 8

// head is a transaction's view of the tree: read (and, on PostgreSQL, locked)
// at its first append, written back once before the commit.
type head struct {
	loaded bool
	dirty  bool
	tree   *compact.Range
}

func (h *head) Discard() { h.loaded, h.dirty, h.tree = false, false, nil }

func (h *head) Flush(ctx context.Context, tx *db.Tx) error {
	if !h.dirty {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_head SET size = $1, range_hashes = $2 WHERE id = 1`,
		int64(h.tree.End()), bytes.Join(h.tree.Hashes(), nil)); err != nil {
		return fmt.Errorf("audit log: write head: %w", err)
	}
	h.dirty = false
	return nil
}

func (h *head) load(ctx context.Context, tx *db.Tx) error {
	if h.loaded {
		return nil
	}
	query := `SELECT size, range_hashes FROM audit_head WHERE id = 1`
	if tx.Dialect() == db.Postgres {
		// Appends are serialised: each leaf's index is the next one.
		query += ` FOR UPDATE`
	}
	var size int64
	var packed []byte
	if err := tx.QueryRow(ctx, query).Scan(&size, &packed); err != nil {
		return fmt.Errorf("audit log: read head: %w", err)
	}
	tree, err := unpackRange(uint64(size), packed)
	if err != nil {
		return err
	}
	h.tree, h.loaded = tree, true
	return nil
}

func unpackRange(size uint64, packed []byte) (*compact.Range, error) {
	if len(packed)%sha256.Size != 0 {
		return nil, fmt.Errorf("audit log: head holds %d bytes of hashes, not a multiple of %d", len(packed), sha256.Size)
	}
	hashes := make([][]byte, 0, len(packed)/sha256.Size)
	for i := 0; i < len(packed); i += sha256.Size {
		hashes = append(hashes, packed[i:i+sha256.Size])
	}
	tree, err := rangeFactory.NewRange(0, size, hashes)
	if err != nil {
		return nil, fmt.Errorf("audit log: head of size %d: %w", size, err)
	}
	return tree, nil
}

// Append adds e to the log inside tx and returns its index. At defaults to
// now; Actor to the one the caller's context names.
func Append(ctx context.Context, tx *db.Tx, e Entry) (uint64, error) {
	if e.Kind == "" || e.Action == "" {
		return 0, errors.New("audit log: an entry needs a kind and an action")
	}
	if e.At.IsZero() {
		e.At = db.Now()
	}
	h := tx.Deferred("audit", func() db.Deferred { return &head{} }).(*head)
	if err := h.load(ctx, tx); err != nil {
		return 0, err
	}
	e.Index = h.tree.End()
	leaf := e.Leaf()
	leafHash := hasher.HashLeaf(leaf)
	if err := tx.ExecLater(ctx, "audit log: append an entry", `INSERT INTO audit_log (idx, entry, leaf_hash, kind, subject, version)
		VALUES ($1, $2, $3, $4, $5, $6)`, int64(e.Index), string(leaf), leafHash, e.Kind, e.Subject, e.Version); err != nil {
		return 0, fmt.Errorf("audit log: append entry %d: %w", e.Index, err)
	}
	var storeErr error
	err := h.tree.Append(leafHash, func(id compact.NodeID, hash []byte) {
		if id.Level < storedLevel || storeErr != nil {
			return
		}
		if err := tx.ExecLater(ctx, "audit log: store a node", `INSERT INTO audit_nodes (level, idx, hash) VALUES ($1, $2, $3)`,
			int64(id.Level), int64(id.Index), hash); err != nil {
			storeErr = fmt.Errorf("audit log: store node %d/%d: %w", id.Level, id.Index, err)
		}
	})
	if err != nil {
		return 0, fmt.Errorf("audit log: append entry %d: %w", e.Index, err)
	}
	if storeErr != nil {
		return 0, storeErr
	}
	h.dirty = true
	return e.Index, nil
}
