// Package server puts Dossier's faces on one HTTP server: the JSON API under
// /api/v1/, the web UI everywhere else, a health check and Prometheus
// metrics, behind the headers, limits and timeouts every route needs.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/dossier-org/dossier/internal/api"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/web"
)

// Options configure the server.
type Options struct {
	Addr   string       // host:port to listen on; 127.0.0.1:8080 by default
	Logger *slog.Logger // access and error log; stderr text by default
	// Ready, if set, receives the address actually listened on (useful
	// with port 0), once the server accepts connections.
	Ready func(addr string)
	// CheckpointEvery is how often the audit log is checkpointed and the
	// checkpoint published to the witnesses, when it has grown; 1 minute
	// by default, negative for never.
	CheckpointEvery time.Duration
}

// Limits on request bodies: records are small, imports can be large.
const (
	maxRecordBody = 10 << 20
	maxImportBody = 2 << 30
	// Evidence: video files of many gigabytes, streamed and hashed on the way.
	maxEvidenceBody = 64 << 30
)

// New builds the handler for every route.
func New(a *app.App, opts Options) (http.Handler, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	ui, err := web.New(a)
	if err != nil {
		return nil, fmt.Errorf("load the web UI: %w", err)
	}
	m := newMetrics(a)
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", api.New(a))
	mux.Handle("/", ui)
	mux.HandleFunc("GET /healthz", health(a))
	mux.Handle("GET /metrics", m.handler())
	if a.WitnessKey != nil {
		// C2SP tlog-witness: partners' logs this Dossier was told to trust.
		mux.Handle("POST /witness/add-checkpoint", audit.WitnessHandler(a.DB, a.WitnessKey))
	}
	var h http.Handler = mux
	h = limitBodies(h)
	h = m.instrument(h)
	h = securityHeaders(h)
	h = recoverPanics(h, logger)
	h = accessLog(h, logger)
	return h, nil
}

// health answers whether the database is reachable and which schema it has.
func health(a *app.App) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		body := map[string]any{"status": "ok", "database": a.DB.Dialect}
		status := http.StatusOK
		if err := a.DB.Ping(ctx); err != nil {
			body["status"], status = "unavailable", http.StatusServiceUnavailable
		} else if v, err := a.DB.SchemaVersion(ctx); err == nil {
			body["schema_version"] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body)
	}
}

// Run serves until ctx is cancelled, then shuts down gracefully, letting
// requests in flight finish.
func Run(ctx context.Context, a *app.App, opts Options) error {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:8080"
	}
	h, err := New(a, opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Minute, // large imports over slow links
		WriteTimeout:      30 * time.Minute, // large exports
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	if opts.Ready != nil {
		opts.Ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	checkpointsDone := make(chan struct{})
	go func() {
		defer close(checkpointsDone)
		checkpointPeriodically(ctx, a, opts.CheckpointEvery, logger)
	}()
	defer func() { <-checkpointsDone }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// checkpointPeriodically signs a checkpoint of the audit log whenever it has
// grown, and publishes it to the witnesses: the longer a write goes without
// a checkpoint held outside, the longer it could be rewritten unnoticed.
func checkpointPeriodically(ctx context.Context, a *app.App, every time.Duration, logger *slog.Logger) {
	if a.LogKey == nil || every < 0 {
		return
	}
	if every == 0 {
		every = time.Minute
	}
	checkpoint := func(ctx context.Context) {
		head, err := audit.CurrentHead(ctx, a.DB)
		if err != nil {
			logger.Error("audit log checkpoint", "error", err)
			return
		}
		if latest, err := audit.LatestCheckpoint(ctx, a.DB); err == nil && latest.Size == head.Size {
			return
		}
		cp, err := audit.Issue(ctx, a.DB, a.LogKey)
		if err != nil {
			logger.Error("audit log checkpoint", "error", err)
			return
		}
		witnesses, err := audit.Publish(ctx, a.DB, cp, nil)
		if err != nil {
			logger.Error("publish audit log checkpoint", "error", err)
		}
		for _, w := range witnesses {
			if w.LastError != "" {
				logger.Warn("witness did not take the checkpoint", "witness", w.Name, "size", cp.Size, "error", w.LastError)
			}
		}
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			checkpoint(ctx)
		case <-ctx.Done():
			// A last checkpoint covers the writes of the final minutes.
			final, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			checkpoint(final)
			cancel()
			return
		}
	}
}
