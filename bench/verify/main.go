// Command verify measures a full `dossier verify` on a store with N audit
// log entries and B evidence files: the demo record set, B evidence items
// ingested through the evidence store (each with its custody events), and
// the log filled up to N entries with custody events.
//
//	go run ./bench/verify -entries 1000000 -blobs 10000 -size 65536
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"time"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/demo"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/integrity"
	"github.com/dossier-org/dossier/internal/record"
)

func main() {
	entries := flag.Int("entries", 1_000_000, "audit log entries in all")
	blobs := flag.Int("blobs", 10_000, "evidence files")
	size := flag.Int("size", 64<<10, "bytes per evidence file")
	dbURL := flag.String("db", "", "PostgreSQL URL of an empty database; SQLite if empty")
	dir := flag.String("dir", "", "data directory (default: a temporary one, removed afterwards)")
	flag.Parse()
	ctx := record.WithActor(context.Background(), "bench")

	dataDir := *dir
	if dataDir == "" {
		tmp, err := os.MkdirTemp("", "verify-bench-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		dataDir = tmp
	}
	a, err := app.Open(ctx, app.Config{DataDir: dataDir, DatabaseURL: *dbURL})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	if _, err := demo.Load(ctx, a); err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	content := make([]byte, *size)
	var ids []string
	for i := range *blobs {
		// Distinct content per file: a counter in every 4 KiB block.
		for off := 0; off+8 <= len(content); off += 4096 {
			binary.LittleEndian.PutUint64(content[off:], uint64(i)<<20|uint64(off))
		}
		it := &evidence.Item{Filename: fmt.Sprintf("file-%06d.bin", i)}
		if _, err := a.Evidence.Ingest(ctx, bytes.NewReader(content), "", it); err != nil {
			log.Fatal(err)
		}
		ids = append(ids, it.ID)
	}
	fmt.Printf("ingested %d evidence files of %d bytes in %s\n", *blobs, *size, time.Since(start).Round(time.Millisecond))

	head, err := audit.CurrentHead(ctx, a.DB)
	if err != nil {
		log.Fatal(err)
	}
	start = time.Now()
	for n := int(head.Size); n < *entries; {
		err := a.DB.Write(ctx, func(tx *db.Tx) error {
			for j := 0; j < 1000 && n < *entries; j++ {
				_, err := audit.Append(ctx, tx, audit.Entry{Actor: "bench", Kind: evidence.AuditKind, Subject: ids[n%len(ids)],
					Action: string(evidence.Accessed), ContentHash: fmt.Sprintf("%064x", n)})
				if err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("filled the log to %d entries in %s\n", *entries, time.Since(start).Round(time.Millisecond))
	if _, err := audit.Issue(ctx, a.DB, a.LogKey); err != nil {
		log.Fatal(err)
	}

	runtime.GC()
	start = time.Now()
	report, err := integrity.Verify(ctx, a)
	if err != nil {
		log.Fatal(err)
	}
	took := time.Since(start)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if !report.OK() {
		log.Fatalf("verification found problems: %v", report.Problems[:min(3, len(report.Problems))])
	}
	fmt.Printf("verify: %d log entries, %d checkpoints, %d records, %d versions, %d evidence files in %s (heap in use %d MiB)\n",
		report.LogEntries, report.Checkpoints, report.Records, report.Revisions, report.Blobs, took.Round(time.Millisecond), ms.HeapInuse>>20)
}
