package audit

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

func TestWitnessServerCosignsOnlyConsistentCheckpoints(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, logDB *db.DB) {
		ctx := context.Background()
		witnessDB := dbtest.SQLite(t)
		wkey, err := LoadWitnessKey(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(WitnessHandler(witnessDB, wkey))
		defer srv.Close()

		key, err := LoadKey(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := TrustLog(ctx, witnessDB, key.Public); err != nil {
			t.Fatal(err)
		}
		if err := AddWitness(ctx, logDB, Witness{Name: "partner", URL: srv.URL, VerifierKey: wkey.Public}); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := AddWitness(ctx, logDB, Witness{Name: "court", URL: "file://" + dir}); err != nil {
			t.Fatal(err)
		}

		publish := func(want string) {
			t.Helper()
			cp, err := Issue(ctx, logDB, key)
			if err != nil {
				t.Fatal(err)
			}
			ws, err := Publish(ctx, logDB, cp, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range ws {
				if w.Name == "partner" && !strings.Contains(w.LastError, want) || want == "" && w.LastError != "" {
					t.Fatalf("witness %s after publishing size %d: error %q, want %q", w.Name, cp.Size, w.LastError, want)
				}
			}
		}
		appendN(t, logDB, 0, 300, 300)
		publish("")
		appendN(t, logDB, 300, 600, 300)
		publish("")

		cp, err := LatestCheckpoint(ctx, logDB)
		if err != nil {
			t.Fatal(err)
		}
		cosigs, err := Cosignatures(ctx, logDB, cp.Size)
		if err != nil || len(cosigs) != 1 {
			t.Fatalf("cosignatures of %d: %v (%v)", cp.Size, cosigs, err)
		}
		wverifier, err := CosignatureVerifier(wkey.Public)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := OpenCheckpoint([]byte(WithCosignatures(cp, cosigs)), key.Verifier(), wverifier); err != nil {
			t.Fatalf("the cosigned checkpoint does not verify: %v", err)
		}
		kept, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
		if err != nil || string(kept) != cp.Note {
			t.Fatalf("the directory witness holds %q (%v)", kept, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "checkpoints", "300")); err != nil {
			t.Fatalf("the directory witness lost the older checkpoint: %v", err)
		}

		// The same key signing a rewritten history: the witness refuses it.
		forked := dbtest.SQLite(t)
		for i := 0; i < 700; i++ {
			err := forked.Write(ctx, func(tx *db.Tx) error {
				e := entry(i)
				if i == 10 {
					e.Actor = "rewriter"
				}
				_, err := Append(ctx, tx, e)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		forkCP, err := Issue(ctx, forked, key)
		if err != nil {
			t.Fatal(err)
		}
		if err := AddWitness(ctx, forked, Witness{Name: "partner", URL: srv.URL, VerifierKey: wkey.Public}); err != nil {
			t.Fatal(err)
		}
		ws, err := Publish(ctx, forked, forkCP, srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) != 1 || !strings.Contains(ws[0].LastError, "proof does not show the checkpoint extends") {
			t.Fatalf("the witness cosigned a rewritten log: %+v", ws)
		}
		logs, err := WitnessedLogs(ctx, witnessDB)
		if err != nil || len(logs) != 1 || logs[0].Size != 600 {
			t.Fatalf("the witness remembers %+v (%v), want size 600", logs, err)
		}
	})
}

func TestVerifyAgainstAnOutsideCheckpoint(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		key, err := LoadKey(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, d, 0, 500, 500)
		cp, err := Issue(ctx, d, key)
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, d, 500, 900, 400)
		if _, proof, err := VerifyAgainst(ctx, d, key, []byte(cp.Note)); err != nil || len(proof) == 0 {
			t.Fatalf("an intact log: %v (proof of %d hashes)", err, len(proof))
		}
		// The roots one pass of VerifyLog kept are those the log rehashes to.
		report, err := VerifyLog(ctx, d, key, nil, 500)
		if err != nil {
			t.Fatal(err)
		}
		recomputed, err := recomputedRoots(ctx, d, 500, 900)
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []uint64{500, 900} {
			if !bytes.Equal(report.Roots[size], recomputed[size]) || report.Roots[size] == nil {
				t.Errorf("root at %d kept by VerifyLog %x, rehashed %x", size, report.Roots[size], recomputed[size])
			}
		}
		if _, _, err := VerifyAgainstRoots(ctx, d, key, []byte(cp.Note), report.Roots); err != nil {
			t.Fatalf("an intact log, with the roots kept: %v", err)
		}
		// Rewrite an early entry, leaf hash and all, and the head with it.
		e := entry(100)
		e.Index, e.Actor = 100, "rewriter"
		err = d.Write(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE audit_log SET entry = $1, leaf_hash = $2 WHERE idx = 100`, string(e.Leaf()), hasher.HashLeaf(e.Leaf()))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := VerifyAgainst(ctx, d, key, []byte(cp.Note)); err == nil || !strings.Contains(err.Error(), "no longer hash to its head") {
			t.Fatalf("a rewritten log verified against an old checkpoint: %v", err)
		}
		// The roots a pass over the rewritten log keeps fail it as well.
		if report, err = VerifyLog(ctx, d, key, nil, 500); err != nil {
			t.Fatal(err)
		}
		if _, _, err := VerifyAgainstRoots(ctx, d, key, []byte(cp.Note), report.Roots); err == nil {
			t.Fatal("a rewritten log verified against an old checkpoint with the roots of one pass")
		}
		// A log cut back to fewer entries than the checkpoint signed.
		shorter := dbtest.SQLite(t)
		appendN(t, shorter, 0, 400, 400)
		d = shorter
		if _, _, err := VerifyAgainst(ctx, d, key, []byte(cp.Note)); err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("a truncated log verified against an old checkpoint: %v", err)
		}
	})
}
