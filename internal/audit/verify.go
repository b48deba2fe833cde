package audit

import (
	"bytes"
	"context"
	"fmt"

	"github.com/transparency-dev/merkle/compact"

	"github.com/dossier-org/dossier/internal/db"
)

// Problem is one thing verification found altered, named so that someone
// can go and look at it.
type Problem struct {
	What   string `json:"what"`   // e.g. "audit log entry 1234", "checkpoint 5000", "incident 0190…"
	Detail string `json:"detail"` // what is wrong with it
}

func (p Problem) String() string { return p.What + ": " + p.Detail }

// LogReport is what VerifyLog found.
type LogReport struct {
	Entries     uint64    `json:"entries"`
	Checkpoints int       `json:"checkpoints"`
	Problems    []Problem `json:"problems"`
	// Roots holds the roots rehashed on the way at the sizes asked for and
	// at the whole log's size, for VerifyAgainstRoots.
	Roots Roots `json:"-"`
}

// Roots are tree roots rehashed from the entries' text, by log size.
type Roots map[uint64][]byte

// VerifyLog re-derives the whole tree from the entries' text: every leaf
// hash, every stored node, the head, and the root of every kept checkpoint,
// whose signatures it checks with k. It calls visit with every entry whose
// text is intact, so the caller can check the records against it.
func VerifyLog(ctx context.Context, q db.Querier, k *Key, visit func(Entry) error, rootsAt ...uint64) (LogReport, error) {
	report := LogReport{Roots: Roots{}}
	wantRoot := map[uint64]bool{}
	for _, size := range rootsAt {
		wantRoot[size] = true
	}
	problem := func(what, format string, args ...any) {
		report.Problems = append(report.Problems, Problem{What: what, Detail: fmt.Sprintf(format, args...)})
	}

	stored, err := storedNodes(ctx, q)
	if err != nil {
		return report, err
	}
	checkpoints, err := Checkpoints(ctx, q, 1<<31-1)
	if err != nil {
		return report, err
	}
	report.Checkpoints = len(checkpoints)
	bySize := make(map[uint64]Checkpoint, len(checkpoints))
	for _, cp := range checkpoints {
		if err := cp.matches(k); err != nil {
			problem(fmt.Sprintf("checkpoint %d", cp.Size), "its signature does not verify with the log's key: %v", err)
			continue
		}
		bySize[cp.Size] = cp
	}

	tree := rangeFactory.NewEmptyRange(0)
	badNodes := map[compact.NodeID]bool{}
	compare := func(id compact.NodeID, hash []byte) {
		if id.Level < storedLevel {
			return
		}
		if want, ok := stored[id]; ok && !bytes.Equal(want, hash) {
			badNodes[id] = true
		}
		delete(stored, id)
	}
	checkRoot := func() {
		if wantRoot[tree.End()] {
			report.Roots[tree.End()] = rootOf(tree)
		}
		cp, ok := bySize[tree.End()]
		if !ok {
			return
		}
		delete(bySize, tree.End())
		if root := rootOf(tree); !bytes.Equal(root, cp.Root) {
			problem(fmt.Sprintf("checkpoint %d", cp.Size),
				"the log's first %d entries no longer hash to the root it signed on %s: an entry before %d was altered",
				cp.Size, cp.IssuedAt.Format("2006-01-02 15:04:05Z"), cp.Size)
		}
	}
	checkRoot() // a checkpoint of the empty log

	rows, err := q.Query(ctx, `SELECT idx, entry, leaf_hash, kind, subject, version FROM audit_log ORDER BY idx`)
	if err != nil {
		return report, fmt.Errorf("audit log: read entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx, version int64
		var text, kind, subject string
		var leafHash []byte
		if err := rows.Scan(&idx, &text, &leafHash, &kind, &subject, &version); err != nil {
			return report, fmt.Errorf("audit log: read entries: %w", err)
		}
		next := tree.End()
		if uint64(idx) != next {
			problem(fmt.Sprintf("audit log entries %d–%d", next, idx-1), "missing: the log has a gap")
			// The tree cannot be rebuilt past a gap; the checkpoints after it
			// are reported below as unmatched.
			break
		}
		what := fmt.Sprintf("audit log entry %d", idx)
		recomputed := hasher.HashLeaf([]byte(text))
		if !bytes.Equal(recomputed, leafHash) {
			problem(what, "its text no longer matches its leaf hash: the entry was altered")
		}
		e, err := ParseLeaf([]byte(text))
		switch {
		case err != nil:
			problem(what, "unreadable: %v", err)
		case e.Index != uint64(idx):
			problem(what, "its text says it is entry %d", e.Index)
		case e.Kind != kind || e.Subject != subject || int64(e.Version) != version:
			problem(what, "the row files it as %s %s version %d, its text says %s %s version %d",
				kind, subject, version, e.Kind, e.Subject, e.Version)
		default:
			if visit != nil {
				if err := visit(e); err != nil {
					return report, err
				}
			}
		}
		if err := tree.Append(recomputed, compare); err != nil {
			return report, err
		}
		report.Entries++
		checkRoot()
	}
	if err := rows.Err(); err != nil {
		return report, fmt.Errorf("audit log: read entries: %w", err)
	}
	rows.Close()

	for id := range badNodes {
		begin, end := id.Coverage()
		problem(fmt.Sprintf("audit log entries %d–%d", begin, end-1),
			"they no longer hash to the subtree stored when they were appended: one of them was altered")
	}
	for _, cp := range bySize {
		problem(fmt.Sprintf("checkpoint %d", cp.Size),
			"it signed a log of %d entries, but only %d are left: the log was truncated", cp.Size, report.Entries)
	}

	report.Roots[tree.End()] = rootOf(tree)
	head, err := CurrentHead(ctx, q)
	if err != nil {
		return report, err
	}
	switch {
	case head.Size > report.Entries:
		problem("audit log head", "it counts %d entries, but only %d are present: the log was truncated", head.Size, report.Entries)
	case head.Size < report.Entries:
		problem("audit log head", "it counts %d entries, but %d are present", head.Size, report.Entries)
	case !bytes.Equal(head.Root, rootOf(tree)):
		problem("audit log head", "its root no longer matches the entries")
	}
	return report, nil
}

func storedNodes(ctx context.Context, q db.Querier) (map[compact.NodeID][]byte, error) {
	rows, err := q.Query(ctx, `SELECT level, idx, hash FROM audit_nodes`)
	if err != nil {
		return nil, fmt.Errorf("audit log: read nodes: %w", err)
	}
	defer rows.Close()
	out := map[compact.NodeID][]byte{}
	for rows.Next() {
		var level, idx int64
		var h []byte
		if err := rows.Scan(&level, &idx, &h); err != nil {
			return nil, err
		}
		out[compact.NewNodeID(uint(level), uint64(idx))] = h
	}
	return out, rows.Err()
}
