// Package server puts Dossier's faces on one HTTP server: the JSON API under
// /api/v1/, the web UI everywhere else, a health check and Prometheus
// metrics, behind the headers, limits and timeouts every route needs.
package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/api"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/authz"
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

	// TLSCert and TLSKey are PEM files: the server then speaks https only
	// (TLS 1.2 or later), and reads them again when they change on disk.
	TLSCert, TLSKey string
	// BehindProxy says an HTTPS reverse proxy on this machine or network
	// terminates TLS in front of the server: cookies are marked Secure, and
	// a client's address (for login rate limits) is the last one the proxy
	// appended to X-Forwarded-For.
	BehindProxy bool
	// InsecureCookies drops Secure (and the __Host- prefix) from the
	// session cookies, for a server reached over plain http on this
	// computer only. Run sets it itself: only for a loopback address
	// without TLS and without a proxy.
	InsecureCookies bool
	// MetricsToken, if set, is the bearer token /metrics asks for; without
	// one /metrics is not served.
	MetricsToken string
	// SessionPurgeEvery is how often ended sessions are deleted; 15 minutes
	// by default, negative for never.
	SessionPurgeEvery time.Duration
	// OIDC, when set, offers single sign-on with this OpenID provider
	// (account.DiscoverOIDC) besides passwords.
	OIDC *account.OIDC
}

// Limits on request bodies: records are small, imports can be large.
const (
	maxRecordBody = 10 << 20
	maxImportBody = 2 << 30
	// Evidence: video files of many gigabytes, streamed and hashed on the way.
	maxEvidenceBody = 64 << 30
)

// Handler serves every route, and knows which it registered.
type Handler struct {
	http.Handler
	guard    *authz.Guard
	accounts *account.Store
}

// Routes lists every route registered, each with its access rule: the
// server's own, the API's and the web interface's.
func (h *Handler) Routes() []authz.Route { return h.guard.Routes() }

// New builds the handler for every route. Every route is declared in the
// access table (internal/authz) and guarded by it; the JSON API and the
// web interface learn who calls from the session cookie or API token
// (account.Store.Authenticate).
func New(a *app.App, opts Options) (*Handler, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	accountOpts := account.Options{InsecureCookies: opts.InsecureCookies}
	if a.Sealer != nil {
		accountOpts.Sealer = a.Sealer
	}
	accounts := account.NewStore(a.DB, accountOpts)
	m := newMetrics(a)
	guard := authz.NewGuard(a, logger)
	guard.Observe = m.route
	setup := &firstRun{accounts: accounts}
	clientIP := peerIP
	if opts.BehindProxy {
		clientIP = forwardedIP
	}
	ui, err := web.NewGuarded(a, web.Access{Guard: guard, Accounts: accounts, ClientIP: clientIP, NeedsAdmin: setup.needed,
		OIDC: opts.OIDC})
	if err != nil {
		return nil, fmt.Errorf("load the web UI: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", setup.api(apiCrossOrigin(accounts.Authenticate(api.NewGuarded(a, guard)))))
	mux.Handle("/", accounts.Authenticate(ui))
	own := func(pattern string, h http.Handler) { mux.Handle(pattern, guard.Wrap(plainRefusals{}, pattern, h)) }
	own("GET /healthz", health(a))
	own("GET /metrics", metricsToken(opts.MetricsToken, m.handler()))
	if a.WitnessKey != nil {
		// C2SP tlog-witness: partners' logs this Dossier was told to trust.
		own("POST /witness/add-checkpoint", audit.WitnessHandler(a.DB, a.WitnessKey))
	}
	var h http.Handler = mux
	h = limitBodies(h)
	h = deadlines(h)
	h = m.instrument(h)
	h = securityHeaders(h, opts.TLSCert != "" || opts.BehindProxy)
	h = recoverPanics(h, logger)
	h = accessLog(h, logger)
	return &Handler{Handler: h, guard: guard, accounts: accounts}, nil
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

// ErrPlainHTTP refuses to serve plain http to the network.
var ErrPlainHTTP = errors.New("plain http would carry passwords and sessions in clear")

// Run serves until ctx is cancelled, then shuts down gracefully, letting
// requests in flight finish. It refuses to serve plain http to the network:
// sessions would cross it in clear.
func Run(ctx context.Context, a *app.App, opts Options) error {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:8080"
	}
	if (opts.TLSCert == "") != (opts.TLSKey == "") {
		return errors.New("give both a TLS certificate and its key, or neither")
	}
	tlsOn := opts.TLSCert != ""
	if !tlsOn && !opts.BehindProxy {
		if !loopback(opts.Addr) {
			return fmt.Errorf("%s is reachable from other computers, and %w: give a TLS certificate and key, "+
				"or put an HTTPS proxy in front and say so (docs/security.md), or listen on 127.0.0.1", opts.Addr, ErrPlainHTTP)
		}
		// Over plain http on this computer only: browsers would refuse a
		// Secure cookie from http://127.0.0.1 in some cases.
		opts.InsecureCookies = true
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	h, err := New(a, opts)
	if err != nil {
		return err
	}
	var certs *certificates
	if tlsOn {
		if certs, err = loadCertificates(opts.TLSCert, opts.TLSKey); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	srv := &http.Server{
		Handler: h,
		// A client gets 10 seconds to send its headers (slow-loris
		// attacks); reading a body and writing an answer have deadlines
		// per route (deadlines in middleware.go).
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if certs != nil {
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.get}
	}
	if opts.Ready != nil {
		opts.Ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() {
		if certs != nil {
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	// Background work stops with the server, whichever way it stops.
	background, stopBackground := context.WithCancel(ctx)
	var work sync.WaitGroup
	work.Go(func() { checkpointPeriodically(background, a, opts.CheckpointEvery, logger) })
	work.Go(func() { purgeSessionsPeriodically(background, h.accounts, opts.SessionPurgeEvery, logger) })
	defer func() { stopBackground(); work.Wait() }()
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

// loopback reports whether addr listens on this computer only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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
