package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func entry(i int) Entry {
	return Entry{At: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), Actor: "test", Kind: "incident",
		Subject: fmt.Sprintf("rec-%d", i%37), Version: i/37 + 1, Action: "update", ContentHash: fmt.Sprintf("%064x", i)}
}

// appendN appends entries [from, to) in transactions of batch entries.
func appendN(t *testing.T, d *db.DB, from, to, batch int) {
	t.Helper()
	ctx := context.Background()
	for start := from; start < to; start += batch {
		err := d.Write(ctx, func(tx *db.Tx) error {
			for i := start; i < min(start+batch, to); i++ {
				idx, err := Append(ctx, tx, entry(i))
				if err != nil {
					return err
				}
				if idx != uint64(i) {
					return fmt.Errorf("entry %d got index %d", i, idx)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// reference computes the root of the first n entries in memory, without
// the store.
func reference(n int) []byte {
	r := rangeFactory.NewEmptyRange(0)
	for i := 0; i < n; i++ {
		e := entry(i)
		e.Index = uint64(i)
		if err := r.Append(hasher.HashLeaf(e.Leaf()), nil); err != nil {
			panic(err)
		}
	}
	return rootOf(r)
}

func TestTreeMatchesReferenceAndProofsVerify(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const n = 700 // crosses two stored subtrees of 256
		appendN(t, d, 0, n, 97)
		head, err := CurrentHead(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if head.Size != n || !bytes.Equal(head.Root, reference(n)) {
			t.Fatalf("head = %d %x, want %d %x", head.Size, head.Root, n, reference(n))
		}
		var nodes int
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM audit_nodes`).Scan(&nodes); err != nil || nodes != 3 {
			t.Fatalf("stored nodes = %d (%v), want two subtrees of 256 and their parent", nodes, err)
		}
		for _, size := range []uint64{1, 2, 255, 256, 257, 512, 513, 699, 700} {
			root, err := RootAt(ctx, d, size)
			if err != nil {
				t.Fatal(err)
			}
			if want := reference(int(size)); !bytes.Equal(root, want) {
				t.Fatalf("RootAt(%d) = %x, want %x", size, root, want)
			}
			for _, index := range []uint64{0, size / 2, size - 1} {
				p, err := InclusionProof(ctx, d, index, size)
				if err != nil {
					t.Fatal(err)
				}
				e := entry(int(index))
				e.Index = index
				if err := VerifyInclusion(index, size, e.Leaf(), p, root); err != nil {
					t.Errorf("inclusion of %d in %d: %v", index, size, err)
				}
				other := entry(int(index) + 1)
				other.Index = index
				if VerifyInclusion(index, size, other.Leaf(), p, root) == nil {
					t.Errorf("inclusion of %d in %d verified for another entry", index, size)
				}
			}
			for _, size2 := range []uint64{size, (size + n) / 2, n} {
				p, err := ConsistencyProof(ctx, d, size, size2)
				if err != nil {
					t.Fatal(err)
				}
				if err := VerifyConsistency(size, size2, p, root, reference(int(size2))); err != nil {
					t.Errorf("consistency %d→%d: %v", size, size2, err)
				}
				if size < size2 && VerifyConsistency(size, size2, p, reference(int(size)-1), reference(int(size2))) == nil {
					t.Errorf("consistency %d→%d verified against another old root", size, size2)
				}
			}
		}
		if _, err := InclusionProof(ctx, d, 5, n+1); !errors.Is(err, ErrSize) {
			t.Errorf("proof beyond the log: %v, want ErrSize", err)
		}
	})
}

func TestRolledBackSavepointLeavesNoTrace(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		appendN(t, d, 0, 3, 3)
		err := d.Write(ctx, func(tx *db.Tx) error {
			refused := tx.Savepoint(ctx, func() error {
				if _, err := Append(ctx, tx, entry(99)); err != nil {
					return err
				}
				return errors.New("row refused")
			})
			if refused == nil {
				t.Fatal("the savepoint did not fail")
			}
			for i := 3; i < 5; i++ {
				if _, err := Append(ctx, tx, entry(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		head, err := CurrentHead(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if head.Size != 5 || !bytes.Equal(head.Root, reference(5)) {
			t.Fatalf("head after a rolled-back savepoint = %d %x, want 5 %x", head.Size, head.Root, reference(5))
		}
		// A failed transaction leaves nothing either.
		_ = d.Write(ctx, func(tx *db.Tx) error {
			if _, err := Append(ctx, tx, entry(5)); err != nil {
				return err
			}
			return errors.New("refused")
		})
		if head, _ := CurrentHead(ctx, d); head.Size != 5 {
			t.Fatalf("a rolled-back transaction grew the log to %d", head.Size)
		}
	})
}

func TestCheckpointsAreSignedAndVerified(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		k, err := LoadKey(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, d, 0, 10, 10)
		cp, err := Issue(ctx, d, k)
		if err != nil {
			t.Fatal(err)
		}
		opened, _, err := OpenCheckpoint([]byte(cp.Note), k.Verifier())
		if err != nil {
			t.Fatal(err)
		}
		if opened.Size != 10 || !bytes.Equal(opened.Root, reference(10)) || opened.Origin != k.Origin() {
			t.Fatalf("checkpoint says %+v", opened)
		}
		again, err := Issue(ctx, d, k)
		if err != nil || again.Note != cp.Note {
			t.Fatalf("a second checkpoint of the same size differs: %v\n%s\n%s", err, again.Note, cp.Note)
		}
		other, err := LoadKey(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := OpenCheckpoint([]byte(cp.Note), other.Verifier()); err == nil {
			t.Fatal("a checkpoint verified with another log's key")
		}
		forged := strings.Replace(cp.Note, "\n10\n", "\n11\n", 1)
		if _, _, err := OpenCheckpoint([]byte(forged), k.Verifier()); err == nil {
			t.Fatal("an altered checkpoint verified")
		}
	})
}

func TestKeyPersists(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k1.Public != k2.Public || !strings.HasPrefix(k1.Origin(), "dossier.log/") {
		t.Fatalf("keys %q and %q", k1.Public, k2.Public)
	}
	info, err := os.Stat(KeyFile(dir))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v)", info.Mode(), err)
	}
	t.Setenv(EnvSigningKey, "not a key")
	if _, err := LoadKey(dir); err == nil || !strings.Contains(err.Error(), EnvSigningKey) {
		t.Fatalf("a malformed key in the environment: %v", err)
	}
}

func TestVerifyLogFindsTampering(t *testing.T) {
	type tamper struct {
		name string
		sql  []string
		want string // in the problems
	}
	tampers := []tamper{
		{"intact", nil, ""},
		{"entry text edited", []string{`UPDATE audit_log SET entry = REPLACE(entry, '"actor":"test"', '"actor":"else"') WHERE idx = 300`},
			"audit log entry 300: its text no longer matches its leaf hash"},
		{"entry text and leaf hash rewritten", nil, "audit log entries 256–511"},
		{"entry filed under another subject", []string{`UPDATE audit_log SET subject = 'rec-x' WHERE idx = 7`},
			"audit log entry 7: the row files it as incident rec-x"},
		{"log truncated", []string{`DELETE FROM audit_log WHERE idx >= 650`},
			"checkpoint 700: it signed a log of 700 entries, but only 650 are left"},
		{"entry deleted in the middle", []string{`DELETE FROM audit_log WHERE idx = 10`},
			"audit log entries 10–10: missing"},
		{"checkpoint rewritten", []string{`UPDATE audit_checkpoints SET size = 699 WHERE size = 700`},
			"checkpoint 699: its signature does not verify"},
	}
	for _, tc := range tampers {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
				ctx := context.Background()
				k, err := LoadKey(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				appendN(t, d, 0, 400, 400)
				if _, err := Issue(ctx, d, k); err != nil {
					t.Fatal(err)
				}
				appendN(t, d, 400, 700, 300)
				if _, err := Issue(ctx, d, k); err != nil {
					t.Fatal(err)
				}
				sqls := tc.sql
				if tc.name == "entry text and leaf hash rewritten" {
					// A careful forger recomputes the leaf hash too.
					e := entry(300)
					e.Index, e.Actor = 300, "else"
					err := d.Write(ctx, func(tx *db.Tx) error {
						_, err := tx.Exec(ctx, `UPDATE audit_log SET entry = $1, leaf_hash = $2 WHERE idx = 300`, string(e.Leaf()), hasher.HashLeaf(e.Leaf()))
						return err
					})
					if err != nil {
						t.Fatal(err)
					}
				}
				for _, q := range sqls {
					if err := d.Write(ctx, func(tx *db.Tx) error { _, err := tx.Exec(ctx, q); return err }); err != nil {
						t.Fatal(err)
					}
				}
				var visited int
				report, err := VerifyLog(ctx, d, k, func(Entry) error { visited++; return nil })
				if err != nil {
					t.Fatal(err)
				}
				var all []string
				for _, p := range report.Problems {
					all = append(all, p.String())
				}
				joined := strings.Join(all, "\n")
				if tc.want == "" {
					if len(all) != 0 || visited != 700 || report.Checkpoints != 2 {
						t.Fatalf("intact log: %d visited, %d checkpoints, problems:\n%s", visited, report.Checkpoints, joined)
					}
					return
				}
				if !strings.Contains(joined, tc.want) {
					t.Fatalf("problems do not name %q:\n%s", tc.want, joined)
				}
			})
		})
	}
}

func TestLeafIsCanonical(t *testing.T) {
	e := entry(3)
	e.Index = 3
	got, err := ParseLeaf(e.Leaf())
	if err != nil || got != e {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for _, bad := range []string{
		`{"index":3}`,
		strings.Replace(string(e.Leaf()), `"index":3`, `"index":3,"extra":1`, 1),
		strings.Replace(string(e.Leaf()), `{"index":3,`, `{ "index":3,`, 1),
	} {
		if _, err := ParseLeaf([]byte(bad)); err == nil {
			t.Errorf("ParseLeaf accepted %s", bad)
		}
	}
}
