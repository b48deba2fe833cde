// Package authz decides who may use each route of the server. Every route
// of the JSON API, the web interface and the server itself is declared in
// one table (routes.go) with what it asks of the caller: nothing (public),
// being logged in, or permissions — and, for a route about one record, that
// the record lies within the caller's cases. The Guard enforces the table on
// every route as the route is registered, and puts the caller's cases in the
// request's context, where the stores of case-bound records apply them
// (record.RestrictToCases).
//
// A route registered without an entry in the table refuses everyone (and
// says so in the log): forgetting to declare a route closes it rather than
// opening it. The access-matrix test fails until the entry is written.
package authz

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// Rule is what a route asks of whoever calls it.
type Rule struct {
	// Public routes serve anyone, logged in or not.
	Public bool
	// Machine routes are public to the guard because they check their own
	// credentials, which are not a person's: a witness's signature, the
	// metrics token.
	Machine bool
	// Permissions the caller must all hold. None, on a route that is not
	// public, means any logged-in caller.
	Permissions []account.Permission
	// Record names the kind of case-bound record the route's {id} path value
	// is; the record must lie within the caller's cases, else the route
	// answers 404, as for a record that does not exist.
	Record RecordKind
	// DuringPasswordChange lets the route serve a caller whose password
	// was generated for them and must be replaced first
	// (account.Principal.PasswordChangeDue): the routes that replace it.
	// Every other route refuses such a caller until then.
	DuringPasswordChange bool
	// SessionOnly refuses API tokens: the route is for a person logged in
	// with a browser (creating a token: a stolen token must not be able
	// to mint itself a successor).
	SessionOnly bool
}

// RecordKind is a kind of record that belongs to cases.
type RecordKind string

const (
	NoRecord RecordKind = ""
	// Incident: its case is the case_id of the incident.
	Incident RecordKind = "incident"
	// Evidence: an item lies in the cases of the incidents it is linked to.
	Evidence RecordKind = "evidence"
)

// Describe says in words what the rule asks, for documents and messages.
func (r Rule) Describe() string {
	switch {
	case r.Machine:
		return "machine credentials of its own"
	case r.Public:
		return "public"
	case len(r.Permissions) == 0 && r.DuringPasswordChange:
		return "logged in, even before replacing a generated password"
	case len(r.Permissions) == 0 && r.SessionOnly:
		return "logged in with a browser's session (not an API token)"
	case len(r.Permissions) == 0:
		return "logged in"
	}
	perms := make([]string, len(r.Permissions))
	for i, p := range r.Permissions {
		perms[i] = string(p)
	}
	s := strings.Join(perms, " + ")
	if r.Record != NoRecord {
		s += " (" + string(r.Record) + " in one of the caller's cases)"
	}
	return s
}

// Refusal is why the guard turned a request away.
type Refusal int

const (
	// Unauthenticated: nobody is logged in and the route needs someone.
	Unauthenticated Refusal = iota
	// Forbidden: the caller lacks a permission the route needs.
	Forbidden
	// NotFound: the record is outside the caller's cases (or does not
	// exist): the answer must not tell which.
	NotFound
	// Undeclared: the route has no rule; nobody may use it.
	Undeclared
	// PasswordChangeRequired: the caller must choose a new password
	// before anything else.
	PasswordChangeRequired
	// SessionRequired: an API token asked for what needs a browser's
	// session.
	SessionRequired
)

// Face answers a refused request the way its interface does: the API with
// problem documents, the web interface with pages and redirects.
type Face interface {
	Refuse(w http.ResponseWriter, r *http.Request, why Refusal, missing []account.Permission)
}

// Route is a registered route and the rule it was given.
type Route struct {
	Pattern string
	Rule    Rule
	// Declared is false for a route registered without a rule in the table.
	Declared bool
}

// Guard enforces the table on the routes it wraps and remembers them.
type Guard struct {
	app    *app.App
	rules  map[string]Rule
	logger *slog.Logger

	// Observe, if set, is told the pattern of the route serving each
	// request, before anything else (metrics count requests by route).
	Observe func(r *http.Request, pattern string)

	mu     sync.Mutex
	routes []Route
}

// NewGuard returns a guard enforcing the table in routes.go.
func NewGuard(a *app.App, logger *slog.Logger) *Guard {
	if logger == nil {
		logger = slog.Default()
	}
	return &Guard{app: a, rules: Table(), logger: logger}
}

// Routes lists every route wrapped so far, in the order of registration.
func (g *Guard) Routes() []Route {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.routes)
}

// Wrap returns h guarded by the rule the table gives pattern, the route's
// pattern exactly as registered on its mux ("GET /incidents/{id}").
func (g *Guard) Wrap(face Face, pattern string, h http.Handler) http.Handler {
	rule, declared := g.rules[pattern]
	g.mu.Lock()
	g.routes = append(g.routes, Route{Pattern: pattern, Rule: rule, Declared: declared})
	g.mu.Unlock()
	if !declared {
		g.logger.Error("route without an access rule: nobody may use it until internal/authz/routes.go declares it",
			"pattern", pattern)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			g.observe(r, pattern)
			face.Refuse(w, r, Undeclared, nil)
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.observe(r, pattern)
		p, loggedIn := account.PrincipalFrom(r.Context())
		// Every request reaches only its caller's cases; nobody's, none.
		var cases []string
		if loggedIn {
			cases = p.Cases
		}
		r = r.WithContext(record.RestrictToCases(r.Context(), cases))
		if rule.Public || rule.Machine {
			h.ServeHTTP(w, r)
			return
		}
		if !loggedIn {
			face.Refuse(w, r, Unauthenticated, nil)
			return
		}
		if p.PasswordChangeDue && !rule.DuringPasswordChange {
			face.Refuse(w, r, PasswordChangeRequired, nil)
			return
		}
		if rule.SessionOnly && p.TokenID != "" {
			face.Refuse(w, r, SessionRequired, nil)
			return
		}
		var missing []account.Permission
		for _, perm := range rule.Permissions {
			if !p.Can(perm) {
				missing = append(missing, perm)
			}
		}
		if len(missing) > 0 {
			face.Refuse(w, r, Forbidden, missing)
			return
		}
		if rule.Record != NoRecord {
			ok, err := g.reachable(r.Context(), rule.Record, r.PathValue("id"))
			if err != nil {
				g.logger.ErrorContext(r.Context(), "access check failed", "pattern", pattern, "error", err)
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
			if !ok {
				face.Refuse(w, r, NotFound, nil)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (g *Guard) observe(r *http.Request, pattern string) {
	if g.Observe != nil {
		g.Observe(r, pattern)
	}
}

// reachable reports whether the record is within the cases ctx is
// restricted to. A record that does not exist is not reachable.
func (g *Guard) reachable(ctx context.Context, kind RecordKind, id string) (bool, error) {
	if !record.ValidID(id) {
		return false, nil
	}
	var err error
	switch kind {
	case Incident:
		var caseID string
		if caseID, err = g.app.Incidents.CaseOf(ctx, id); err == nil {
			return record.CaseAllowed(ctx, caseID), nil
		}
	case Evidence:
		if g.app.Evidence == nil {
			return false, nil
		}
		// The store applies the cases of ctx itself.
		_, err = g.app.Evidence.Get(ctx, id)
	default:
		return false, errors.New("no access check for records of kind " + string(kind))
	}
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
