package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"

	"github.com/dossier-org/dossier/internal/db"
)

// ErrSize is returned for a tree size or index the log does not have.
var ErrSize = errors.New("beyond the log")

// Head is the log's committed size and root hash.
type Head struct {
	Size uint64 `json:"size"`
	Root []byte `json:"root"`
}

// CurrentHead reads the committed tree head.
func CurrentHead(ctx context.Context, q db.Querier) (Head, error) {
	var size int64
	var packed []byte
	if err := q.QueryRow(ctx, `SELECT size, range_hashes FROM audit_head WHERE id = 1`).Scan(&size, &packed); err != nil {
		return Head{}, fmt.Errorf("audit log: read head: %w", err)
	}
	tree, err := unpackRange(uint64(size), packed)
	if err != nil {
		return Head{}, err
	}
	return Head{Size: uint64(size), Root: rootOf(tree)}, nil
}

// rootOf is a range's root hash; the empty tree's is SHA-256 of nothing.
func rootOf(tree *compact.Range) []byte {
	if tree.End() == 0 {
		return hasher.EmptyRoot()
	}
	root, err := tree.GetRootHash(nil)
	if err != nil {
		// Only a range not starting at 0 fails, and every tree here does.
		panic(err)
	}
	return root
}

// nodeHash reads or rehashes one perfect subtree's root.
func nodeHash(ctx context.Context, q db.Querier, id compact.NodeID) ([]byte, error) {
	if id.Level >= storedLevel {
		var h []byte
		err := q.QueryRow(ctx, `SELECT hash FROM audit_nodes WHERE level = $1 AND idx = $2`, int64(id.Level), int64(id.Index)).Scan(&h)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("audit log: node %d/%d is missing", id.Level, id.Index)
		}
		if err != nil {
			return nil, fmt.Errorf("audit log: read node %d/%d: %w", id.Level, id.Index, err)
		}
		return h, nil
	}
	begin, end := id.Coverage()
	leaves, err := leafHashes(ctx, q, begin, end)
	if err != nil {
		return nil, err
	}
	for len(leaves) > 1 {
		next := leaves[:0:0]
		for i := 0; i < len(leaves); i += 2 {
			next = append(next, hasher.HashChildren(leaves[i], leaves[i+1]))
		}
		leaves = next
	}
	return leaves[0], nil
}

// leafHashes reads the stored leaf hashes of [begin, end).
func leafHashes(ctx context.Context, q db.Querier, begin, end uint64) ([][]byte, error) {
	rows, err := q.Query(ctx, `SELECT idx, leaf_hash FROM audit_log WHERE idx >= $1 AND idx < $2 ORDER BY idx`, int64(begin), int64(end))
	if err != nil {
		return nil, fmt.Errorf("audit log: read leaves %d–%d: %w", begin, end, err)
	}
	defer rows.Close()
	out := make([][]byte, 0, end-begin)
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return nil, fmt.Errorf("audit log: read leaves: %w", err)
		}
		if uint64(idx) != begin+uint64(len(out)) {
			return nil, fmt.Errorf("audit log: entry %d is missing", begin+uint64(len(out)))
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit log: read leaves: %w", err)
	}
	if uint64(len(out)) != end-begin {
		return nil, fmt.Errorf("audit log: entry %d is missing", begin+uint64(len(out)))
	}
	return out, nil
}

func proofHashes(ctx context.Context, q db.Querier, nodes proof.Nodes) ([][]byte, error) {
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		h, err := nodeHash(ctx, q, id)
		if err != nil {
			return nil, err
		}
		hashes[i] = h
	}
	return nodes.Rehash(hashes, hasher.HashChildren)
}

// RootAt computes the root hash of the tree's first size leaves.
func RootAt(ctx context.Context, q db.Querier, size uint64) ([]byte, error) {
	current, err := CurrentHead(ctx, q)
	if err != nil {
		return nil, err
	}
	if size > current.Size {
		return nil, fmt.Errorf("audit log: size %d: %w of size %d", size, ErrSize, current.Size)
	}
	if size == current.Size {
		return current.Root, nil
	}
	ids := compact.RangeNodes(0, size, nil)
	hashes := make([][]byte, len(ids))
	for i, id := range ids {
		if hashes[i], err = nodeHash(ctx, q, id); err != nil {
			return nil, err
		}
	}
	tree, err := rangeFactory.NewRange(0, size, hashes)
	if err != nil {
		return nil, err
	}
	return rootOf(tree), nil
}

// InclusionProof proves that entry index is in the tree of the given size.
func InclusionProof(ctx context.Context, q db.Querier, index, size uint64) ([][]byte, error) {
	if index >= size {
		return nil, fmt.Errorf("audit log: entry %d in a tree of size %d: %w", index, size, ErrSize)
	}
	if err := checkSize(ctx, q, size); err != nil {
		return nil, err
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return proofHashes(ctx, q, nodes)
}

// ConsistencyProof proves that the tree of size1 is a prefix of that of size2.
func ConsistencyProof(ctx context.Context, q db.Querier, size1, size2 uint64) ([][]byte, error) {
	if size1 > size2 {
		return nil, fmt.Errorf("audit log: consistency from size %d to the smaller %d: %w", size1, size2, ErrSize)
	}
	if err := checkSize(ctx, q, size2); err != nil {
		return nil, err
	}
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return proofHashes(ctx, q, nodes)
}

func checkSize(ctx context.Context, q db.Querier, size uint64) error {
	current, err := CurrentHead(ctx, q)
	if err != nil {
		return err
	}
	if size > current.Size {
		return fmt.Errorf("audit log: size %d: %w of size %d", size, ErrSize, current.Size)
	}
	return nil
}

// VerifyInclusion checks an inclusion proof of a leaf against a root.
func VerifyInclusion(index, size uint64, leaf []byte, proofHashes [][]byte, root []byte) error {
	return proof.VerifyInclusion(hasher, index, size, hasher.HashLeaf(leaf), proofHashes, root)
}

// VerifyConsistency checks a consistency proof between two roots.
func VerifyConsistency(size1, size2 uint64, proofHashes [][]byte, root1, root2 []byte) error {
	if size1 == 0 {
		// Every tree extends the empty one.
		return nil
	}
	return proof.VerifyConsistency(hasher, size1, size2, proofHashes, root1, root2)
}

// Entries reads the entries [begin, end), checking each against its row.
func Entries(ctx context.Context, q db.Querier, begin, end uint64) ([]Entry, error) {
	rows, err := q.Query(ctx, `SELECT idx, entry FROM audit_log WHERE idx >= $1 AND idx < $2 ORDER BY idx`, int64(begin), int64(end))
	if err != nil {
		return nil, fmt.Errorf("audit log: read entries: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var idx int64
		var leaf string
		if err := rows.Scan(&idx, &leaf); err != nil {
			return nil, fmt.Errorf("audit log: read entries: %w", err)
		}
		e, err := ParseLeaf([]byte(leaf))
		if err != nil {
			return nil, fmt.Errorf("audit log: entry %d: %w", idx, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EntriesFor reads every entry about subject, oldest first.
func EntriesFor(ctx context.Context, q db.Querier, subject string) ([]Entry, error) {
	rows, err := q.Query(ctx, `SELECT idx, entry FROM audit_log WHERE subject = $1 ORDER BY idx`, subject)
	if err != nil {
		return nil, fmt.Errorf("audit log: read entries of %s: %w", subject, err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var idx int64
		var leaf string
		if err := rows.Scan(&idx, &leaf); err != nil {
			return nil, err
		}
		e, err := ParseLeaf([]byte(leaf))
		if err != nil {
			return nil, fmt.Errorf("audit log: entry %d: %w", idx, err)
		}
		if e.Subject != subject {
			return nil, fmt.Errorf("audit log: entry %d is filed under %s but speaks of %s", idx, subject, e.Subject)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
