package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/server"
	"github.com/dossier-org/dossier/internal/situation"
)

// The running server checkpoints the log when it grows, publishes to the
// witnesses, and answers as a witness itself.
func TestServerCheckpointsAndWitnesses(t *testing.T) {
	ctx := context.Background()
	a := app.New(dbtest.SQLite(t))
	dir := t.TempDir()
	var err error
	if a.LogKey, err = audit.LoadKey(dir); err != nil {
		t.Fatal(err)
	}
	if a.WitnessKey, err = audit.LoadWitnessKey(dir); err != nil {
		t.Fatal(err)
	}
	witnessDir := t.TempDir()
	if err := audit.AddWitness(ctx, a.DB, audit.Witness{Name: "court", URL: "file://" + witnessDir}); err != nil {
		t.Fatal(err)
	}
	if err := a.Situations.Create(ctx, &situation.Situation{Name: "Sudan", ConflictClass: "NIAC", Setting: "conflict"}); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(runCtx, a, server.Options{Addr: "127.0.0.1:0", Ready: func(addr string) { ready <- addr },
			CheckpointEvery: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	addr := <-ready

	// Wait (bounded) for the first periodic checkpoint and its publication,
	// which follows it; no timing is asserted.
	var cp audit.Checkpoint
	var witnesses []audit.Witness
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cp, err = audit.LatestCheckpoint(ctx, a.DB); err != nil {
			continue
		}
		if witnesses, err = audit.Witnesses(ctx, a.DB); err == nil && len(witnesses) == 1 && witnesses[0].PublishedSize == 1 {
			break
		}
	}
	if cp.Size != 1 {
		t.Fatalf("no checkpoint of the one write: %+v (%v)", cp, err)
	}
	if err != nil || len(witnesses) != 1 || witnesses[0].PublishedSize != 1 {
		t.Fatalf("witness after the checkpoint: %+v (%v)", witnesses, err)
	}

	// A checkpoint of a log this Dossier does not witness is refused.
	res, err := http.Post("http://"+addr+"/witness/add-checkpoint", "text/plain", strings.NewReader("old 0\n\n"+cp.Note))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("witnessing an unknown log: %s", res.Status)
	}

	// A write just before shutdown is still covered by a checkpoint.
	if err := a.Situations.Create(ctx, &situation.Situation{Name: "Mali", ConflictClass: "NIAC", Setting: "conflict"}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if cp, err := audit.LatestCheckpoint(ctx, a.DB); err != nil || cp.Size != 2 {
		t.Fatalf("after shutdown the newest checkpoint is %+v (%v), want size 2", cp, err)
	}
}
