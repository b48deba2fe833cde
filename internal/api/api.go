// Package api is Dossier's HTTP JSON API under /api/v1/: incidents, parties,
// situations and sources with their revision history, the vocabularies forms
// are built from, and import and export of the whole record. Handlers are a
// thin edge over the domain stores; every error leaves as
// application/problem+json naming the field at fault, and never carries a
// record's contents. The OpenAPI document at /api/v1/openapi.json describes
// every route, and the tests hold the server to it.
package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/authz"
	"github.com/dossier-org/dossier/internal/record"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// Actor names writes made through the API by nobody in particular: the
// handlers without access control (New), in tests. Behind the server's
// access control, writes are the logged-in user's.
const Actor = "api"

// handlerFunc is an API handler: it writes a response, or returns an error
// that serve turns into a problem.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one method and path the API answers.
type route struct {
	method, path string
	handle       handlerFunc
}

type handler struct {
	mux *http.ServeMux
}

// New returns the API's handler without access control, for tests of the
// handlers themselves. It answers paths under /api/v1/ as they arrive,
// without any prefix stripped.
func New(a *app.App) http.Handler { return NewGuarded(a, nil) }

// NewGuarded returns the API's handler with every route behind guard, which
// enforces the route's entry in the access table (internal/authz) and
// answers refusals as problems. The server mounts it inside
// account.Store.Authenticate, which names the caller.
func NewGuarded(a *app.App, guard *authz.Guard) http.Handler {
	h := &handler{mux: http.NewServeMux()}
	for _, rt := range routes(a) {
		pattern := rt.method + " " + rt.path
		var route http.Handler = serve(rt.handle)
		if guard != nil {
			route = guard.Wrap(refusals{}, pattern, route)
		}
		h.mux.Handle(pattern, route)
	}
	return h
}

func routes(a *app.App) []route {
	var rs []route
	add := func(method, path string, fn handlerFunc) {
		rs = append(rs, route{method: method, path: Prefix + path, handle: fn})
	}
	in := incidentResource(a)
	add("GET", "/incidents", listIncidents(a))
	add("POST", "/incidents", in.add)
	add("GET", "/incidents/{id}", in.read)
	add("PUT", "/incidents/{id}", in.edit)
	add("GET", "/incidents/{id}/history", history(a, record.KindIncident))
	add("GET", "/incidents/{id}/history/{version}", revision(a, record.KindIncident))
	add("GET", "/incidents/{id}/bundle", incidentBundle(a))

	pa := partyResource(a)
	add("GET", "/parties", listParties(a))
	add("POST", "/parties", pa.add)
	add("GET", "/parties/{id}", pa.read)
	add("PUT", "/parties/{id}", pa.edit)
	add("GET", "/parties/{id}/units", partyUnits(a))
	add("GET", "/parties/{id}/history", history(a, record.KindParty))
	add("GET", "/parties/{id}/history/{version}", revision(a, record.KindParty))

	si := situationResource(a)
	add("GET", "/situations", listSituations(a))
	add("POST", "/situations", si.add)
	add("GET", "/situations/{id}", si.read)
	add("PUT", "/situations/{id}", si.edit)
	add("GET", "/situations/{id}/history", history(a, record.KindSituation))
	add("GET", "/situations/{id}/history/{version}", revision(a, record.KindSituation))

	so := sourceResource(a)
	add("GET", "/sources", listSources(a))
	add("POST", "/sources", so.add)
	add("GET", "/sources/{id}", so.read)
	add("PUT", "/sources/{id}", so.edit)
	add("GET", "/sources/{id}/history", history(a, record.KindSource))
	add("GET", "/sources/{id}/history/{version}", revision(a, record.KindSource))

	add("GET", "/vocabularies", vocabularies)
	add("POST", "/import", importRecords(a))
	add("GET", "/export", exportRecords(a))
	logRoutes(a, add)
	evidenceRoutes(a, add)
	survivorRoutes(a, add)
	statisticsRoutes(a, add)
	accountRoutes(a, add)
	add("GET", "/openapi.json", openAPI)
	return rs
}

// ServeHTTP routes the request, answering unknown paths and methods with
// problems rather than the mux's plain-text replies.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The request is passed on as it is, so that the mux sets its Pattern
	// where outer middleware (metrics) can read it.
	if _, pattern := h.mux.Handler(r); pattern != "" {
		h.mux.ServeHTTP(w, r)
		return
	}
	if allowed := h.allowed(r); len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeProblem(w, r, &problem{Type: typeMethodNotAllowed, Title: "Method not allowed", Status: http.StatusMethodNotAllowed,
			Detail: r.Method + " is not supported here; use " + strings.Join(allowed, ", ") + "."})
		return
	}
	writeProblem(w, r, &problem{Type: typeNotFound, Title: "Not found", Status: http.StatusNotFound,
		Detail: "No API resource lives at this path."})
}

// allowed lists the methods the path answers to.
func (h *handler) allowed(r *http.Request) []string {
	var out []string
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := h.mux.Handler(probe); pattern != "" {
			out = append(out, m)
		}
	}
	return out
}

// serve adapts a handler: it names the actor for writes and turns a returned
// error into a problem response.
func serve(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(withActor(r.Context()))
		if err := fn(w, r); err != nil {
			writeError(w, r, err)
		}
	})
}

// withActor names the API as the actor unless an outer layer (accounts,
// later) already named someone.
func withActor(ctx context.Context) context.Context {
	if record.HasActor(ctx) {
		return ctx
	}
	return record.WithActor(ctx, Actor)
}
