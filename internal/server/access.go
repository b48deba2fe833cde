package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/api"
	"github.com/dossier-org/dossier/internal/authz"
)

// peerIP is the address of the connection's other end: the client, when
// nothing stands between.
func peerIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// forwardedIP is the client's address as the proxy in front saw it: the
// last address of X-Forwarded-For, the one the proxy appended (those before
// it are whatever the client claimed). Without the header, the peer.
func forwardedIP(r *http.Request) string {
	values := r.Header.Values("X-Forwarded-For")
	if len(values) == 0 {
		return peerIP(r)
	}
	hops := strings.Split(values[len(values)-1], ",")
	if ip := net.ParseIP(strings.TrimSpace(hops[len(hops)-1])); ip != nil {
		return ip.String()
	}
	return peerIP(r)
}

// apiCrossOrigin refuses a state-changing API request a browser sent from
// another site: one carrying the session cookie could otherwise act for
// whoever is logged in (cross-site request forgery). A script's request
// with a bearer token and no cookie cannot be forged that way and is let
// through whatever its origin.
func apiCrossOrigin(next http.Handler) http.Handler {
	protection := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" && r.Header.Get("Cookie") == "" {
			next.ServeHTTP(w, r)
			return
		}
		if err := protection.Check(r); err != nil {
			api.CrossOriginRefused(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// firstRun knows whether the installation has an administrator yet. Once
// it has, it keeps one (the last administrator can be neither disabled nor
// demoted), so the answer is asked of the database only until then.
type firstRun struct {
	accounts *account.Store
	ready    atomic.Bool
}

func (f *firstRun) needed(ctx context.Context) (bool, error) {
	if f.ready.Load() {
		return false, nil
	}
	need, err := f.accounts.NeedsAdmin(ctx)
	if err == nil && !need {
		f.ready.Store(true)
	}
	return need, err
}

// api serves no data while there is no administrator: every request is
// told how to create one.
func (f *firstRun) api(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		need, err := f.needed(r.Context())
		switch {
		case err != nil:
			slog.ErrorContext(r.Context(), "check for an administrator", "error", err)
			writeProblem(w, http.StatusInternalServerError, "urn:dossier:problem:internal", "Internal error",
				"The server could not check its accounts; the cause is in its log.")
		case need:
			api.SetupRequired(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// metricsToken serves the metrics only to a request carrying the token, as
// "Authorization: Bearer TOKEN"; without a token configured, not at all.
// Metrics hold no record contents, but they tell how busy the installation
// is, and when: not for everyone.
func metricsToken(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token == "" {
			http.NotFound(w, r)
			return
		}
		scheme, given, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(given)), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dossier-metrics"`)
			http.Error(w, "the metrics need their bearer token", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// plainRefusals answers for the server's own routes, which are public or
// check their own credentials: only a route the access table does not
// declare is refused here.
type plainRefusals struct{}

func (plainRefusals) Refuse(w http.ResponseWriter, r *http.Request, why authz.Refusal, _ []account.Permission) {
	switch why {
	case authz.Unauthenticated:
		writeProblem(w, http.StatusUnauthorized, "urn:dossier:problem:unauthenticated", "Unauthenticated", "Log in first.")
	case authz.NotFound:
		http.NotFound(w, r)
	default:
		writeProblem(w, http.StatusForbidden, "urn:dossier:problem:forbidden", "Forbidden",
			"This route has no access rule yet, so nobody may use it.")
	}
}

func writeProblem(w http.ResponseWriter, status int, typ, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": typ, "title": title, "status": status, "detail": detail})
}

// purgeSessionsPeriodically deletes ended sessions. They are refused
// already; purging keeps the table small and leaves no stale rows for a
// stolen database to show.
func purgeSessionsPeriodically(ctx context.Context, accounts *account.Store, every time.Duration, logger *slog.Logger) {
	if every < 0 {
		return
	}
	if every == 0 {
		every = 15 * time.Minute
	}
	purge := func() {
		if n, err := accounts.PurgeExpiredSessions(ctx); err != nil && ctx.Err() == nil {
			logger.Error("purge ended sessions", "error", err)
		} else if n > 0 {
			logger.Info("purged ended sessions", "count", n)
		}
	}
	purge()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			purge()
		case <-ctx.Done():
			return
		}
	}
}
