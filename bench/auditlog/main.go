// Command auditlog measures the audit log at scale: appends per second while
// building a log of N entries, the time to produce and to verify inclusion
// and consistency proofs at that size, and a full re-derivation of the tree
// (what `dossier verify` does for the log).
//
//	go run ./bench/auditlog -n 1000000                 # SQLite in a temporary directory
//	go run ./bench/auditlog -n 1000000 -db postgres://…  # an empty PostgreSQL database
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
)

func main() {
	n := flag.Int("n", 1_000_000, "entries to append")
	batch := flag.Int("batch", 1000, "entries per transaction")
	dbURL := flag.String("db", "", "PostgreSQL URL of an empty database; SQLite in a temporary directory if empty")
	dir := flag.String("dir", "", "data directory (default: a temporary one, removed afterwards)")
	proofs := flag.Int("proofs", 1000, "proofs to produce and verify")
	flag.Parse()
	ctx := context.Background()

	dataDir := *dir
	if dataDir == "" {
		tmp, err := os.MkdirTemp("", "auditlog-bench-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		dataDir = tmp
	}
	d, err := db.Open(ctx, *dbURL, dataDir)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	key, err := audit.LoadKey(dataDir)
	if err != nil {
		log.Fatal(err)
	}
	engine := "sqlite"
	if *dbURL != "" {
		engine = "postgres"
	}
	fmt.Printf("engine %s, %d entries in transactions of %d, GOMAXPROCS %d\n", engine, *n, *batch, runtime.GOMAXPROCS(0))

	start := time.Now()
	for i := 0; i < *n; i += *batch {
		err := d.Write(ctx, func(tx *db.Tx) error {
			for j := i; j < min(i+*batch, *n); j++ {
				_, err := audit.Append(ctx, tx, audit.Entry{Actor: "bench", Kind: "incident",
					Subject: fmt.Sprintf("0190%028x", j), Version: 1, Action: "create", ContentHash: fmt.Sprintf("%064x", j)})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	took := time.Since(start)
	fmt.Printf("append: %d entries in %s = %.0f entries/s\n", *n, took.Round(time.Millisecond), float64(*n)/took.Seconds())

	cp, err := audit.Issue(ctx, d, key)
	if err != nil {
		log.Fatal(err)
	}
	size := cp.Size
	rng := rand.New(rand.NewPCG(1, 2))

	var produce, verify []time.Duration
	for range *proofs {
		index := rng.Uint64N(size)
		t0 := time.Now()
		p, err := audit.InclusionProof(ctx, d, index, size)
		if err != nil {
			log.Fatal(err)
		}
		entries, err := audit.Entries(ctx, d, index, index+1)
		if err != nil {
			log.Fatal(err)
		}
		t1 := time.Now()
		if err := audit.VerifyInclusion(index, size, entries[0].Leaf(), p, cp.Root); err != nil {
			log.Fatal(err)
		}
		produce, verify = append(produce, t1.Sub(t0)), append(verify, time.Since(t1))
	}
	report("inclusion proof, produce (with the entry)", produce)
	report("inclusion proof, verify", verify)

	produce, verify = produce[:0], verify[:0]
	for range *proofs {
		old := 1 + rng.Uint64N(size-1)
		t0 := time.Now()
		p, err := audit.ConsistencyProof(ctx, d, old, size)
		if err != nil {
			log.Fatal(err)
		}
		oldRoot, err := audit.RootAt(ctx, d, old)
		if err != nil {
			log.Fatal(err)
		}
		t1 := time.Now()
		if err := audit.VerifyConsistency(old, size, p, oldRoot, cp.Root); err != nil {
			log.Fatal(err)
		}
		produce, verify = append(produce, t1.Sub(t0)), append(verify, time.Since(t1))
	}
	report("consistency proof, produce (with the old root)", produce)
	report("consistency proof, verify", verify)

	t0 := time.Now()
	rep, err := audit.VerifyLog(ctx, d, key, nil)
	if err != nil {
		log.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		log.Fatalf("verification found problems: %v", rep.Problems[:min(3, len(rep.Problems))])
	}
	fmt.Printf("re-derive the whole log (%d entries, %d checkpoints): %s\n", rep.Entries, rep.Checkpoints, time.Since(t0).Round(time.Millisecond))
}

func report(what string, ds []time.Duration) {
	slices.Sort(ds)
	pct := func(p float64) time.Duration { return ds[int(p*float64(len(ds)-1))] }
	fmt.Printf("%s: p50 %s, p99 %s, max %s over %d\n", what, pct(0.5).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), ds[len(ds)-1].Round(time.Microsecond), len(ds))
}
