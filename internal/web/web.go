// Package web is Dossier's server-rendered interface: lists, record pages,
// forms and revision history for incidents, parties, situations and
// sources, and the import/export page. It works without JavaScript, speaks
// English, French and Arabic (right to left), and serves its own embedded
// templates, styles and translations.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/authz"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/record"
)

// actor names the web interface in the revision history of writes made
// without a logged-in user: the pages without access control (New), in
// tests. Behind the server's access control, writes are the user's.
const actor = "web"

// handler serves every page.
type handler struct {
	app       *app.App
	views     *views
	catalogs  map[string]catalog
	staticTag string          // cache-busting version of the static files
	evidence  *evidence.Store // nil when the Dossier keeps no evidence files
	uploads   http.Handler    // resumable uploads of evidence (evidence.go)
	access    Access
}

// Access is how the interface knows who is using it.
type Access struct {
	// Guard enforces the access table (internal/authz) on every page; nil
	// serves every page to anyone (tests of the pages themselves).
	Guard *authz.Guard
	// Accounts logs people in and out; the App's when nil.
	Accounts *account.Store
	// ClientIP is the address a request came from, for login rate limits;
	// the connection's peer when nil.
	ClientIP func(*http.Request) string
	// NeedsAdmin, when set, reports that the installation has no
	// administrator yet: every page then says how to create one instead.
	NeedsAdmin func(context.Context) (bool, error)
	// OIDC, when set, offers single sign-on with this OpenID provider on
	// the login page (login_oidc.go).
	OIDC *account.OIDC
}

// New builds the web interface for a without access control, for tests of
// the pages; it fails if a template or a translation catalog does not load.
func New(a *app.App) (http.Handler, error) { return NewGuarded(a, Access{}) }

// NewGuarded builds the web interface with every page behind the access
// guard. The server mounts it inside account.Store.Authenticate, which
// names the caller.
func NewGuarded(a *app.App, access Access) (http.Handler, error) {
	if access.Accounts == nil {
		access.Accounts = a.Accounts
	}
	if access.ClientIP == nil {
		access.ClientIP = peerIP
	}
	cats, err := loadCatalogs(translationFiles)
	if err != nil {
		return nil, err
	}
	tag, err := staticVersion()
	if err != nil {
		return nil, err
	}
	v, err := loadViews(cats, tag)
	if err != nil {
		return nil, err
	}
	h := &handler{app: a, views: v, catalogs: cats, staticTag: tag, access: access}
	if err := h.openEvidence(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	h.routes(&router{mux: mux, guard: access.Guard, refusals: h})
	var pages http.Handler = mux
	if access.NeedsAdmin != nil {
		pages = h.setupGate(access.NeedsAdmin, mux)
	}
	// Browsers say where a request comes from: refuse state-changing
	// requests sent by other sites (CSRF) without tokens in every form.
	return http.NewCrossOriginProtection().Handler(pages), nil
}

// router registers the interface's routes, each behind the access guard
// when there is one; the guard remembers them for the access-matrix test.
type router struct {
	mux      *http.ServeMux
	guard    *authz.Guard
	refusals authz.Face
}

func (rt *router) Handle(pattern string, h http.Handler) {
	if rt.guard != nil {
		h = rt.guard.Wrap(rt.refusals, pattern, h)
	}
	rt.mux.Handle(pattern, h)
}

func (rt *router) HandleFunc(pattern string, fn func(http.ResponseWriter, *http.Request)) {
	rt.Handle(pattern, http.HandlerFunc(fn))
}

func (h *handler) routes(mux *router) {
	mux.Handle("GET /static/", staticHandler())
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("POST /language", h.setLanguage)
	h.loginRoutes(mux)

	mux.HandleFunc("GET /incidents", h.incidentList)
	mux.HandleFunc("GET /incidents/new", h.incidentNew)
	mux.HandleFunc("POST /incidents/new", h.incidentSave)
	mux.HandleFunc("GET /incidents/{id}", h.incidentShow)
	mux.HandleFunc("GET /incidents/{id}/edit", h.incidentEdit)
	mux.HandleFunc("POST /incidents/{id}/edit", h.incidentSave)
	mux.HandleFunc("GET /incidents/{id}/history", h.history(incidentKind))
	mux.HandleFunc("GET /incidents/{id}/history/{version}", h.incidentVersion)

	mux.HandleFunc("GET /parties", h.partyList)
	mux.HandleFunc("GET /parties/new", h.partyNew)
	mux.HandleFunc("POST /parties/new", h.partySave)
	mux.HandleFunc("GET /parties/{id}", h.partyShow)
	mux.HandleFunc("GET /parties/{id}/edit", h.partyEdit)
	mux.HandleFunc("POST /parties/{id}/edit", h.partySave)
	mux.HandleFunc("GET /parties/{id}/history", h.history(partyKind))
	mux.HandleFunc("GET /parties/{id}/history/{version}", h.partyVersion)

	mux.HandleFunc("GET /situations", h.situationList)
	mux.HandleFunc("GET /situations/new", h.situationNew)
	mux.HandleFunc("POST /situations/new", h.situationSave)
	mux.HandleFunc("GET /situations/{id}", h.situationShow)
	mux.HandleFunc("GET /situations/{id}/edit", h.situationEdit)
	mux.HandleFunc("POST /situations/{id}/edit", h.situationSave)
	mux.HandleFunc("GET /situations/{id}/history", h.history(situationKind))
	mux.HandleFunc("GET /situations/{id}/history/{version}", h.situationVersion)

	mux.HandleFunc("GET /sources", h.sourceList)
	mux.HandleFunc("GET /sources/new", h.sourceNew)
	mux.HandleFunc("POST /sources/new", h.sourceSave)
	mux.HandleFunc("GET /sources/{id}", h.sourceShow)
	mux.HandleFunc("GET /sources/{id}/edit", h.sourceEdit)
	mux.HandleFunc("POST /sources/{id}/edit", h.sourceSave)
	mux.HandleFunc("GET /sources/{id}/history", h.history(sourceKind))
	mux.HandleFunc("GET /sources/{id}/history/{version}", h.sourceVersion)

	mux.HandleFunc("GET /transfer", h.transferPage)
	mux.HandleFunc("POST /transfer", h.transferImport)
	mux.HandleFunc("GET /transfer/export", h.transferExport)

	h.logRoutes(mux)

	h.evidenceRoutes(mux)

	h.survivorRoutes(mux)

	h.statisticsRoutes(mux)

	h.adminRoutes(mux)

	mux.HandleFunc("/", h.notFound)
}

// writer is the context of every write made through the interface: the
// logged-in user's (account.Store.Authenticate names them), or "web".
func writer(r *http.Request) context.Context {
	if record.HasActor(r.Context()) {
		return r.Context()
	}
	return record.WithActor(r.Context(), actor)
}

// recordID reads the {id} of a record's path, rejecting what cannot be an ID
// before it reaches the database.
func recordID(r *http.Request) (string, bool) {
	id := r.PathValue("id")
	return id, record.ValidID(id)
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.renderError(w, r, http.StatusNotFound)
}

// fail answers a request that could not be served: a missing record is a
// 404; anything else is logged (by its innermost cause, which carries no
// record contents) and shown as a plain 500.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, db.ErrNotFound) {
		h.renderError(w, r, http.StatusNotFound)
		return
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	cause := err
	for u := errors.Unwrap(cause); u != nil; u = errors.Unwrap(cause) {
		cause = u
	}
	slog.Error("web: request failed", "method", r.Method, "path", r.URL.Path, "cause", cause.Error())
	h.renderError(w, r, http.StatusInternalServerError)
}

// localPath keeps a redirect target on this site: a path of this server,
// never another host (//host, /\host, or such a path hidden behind
// characters browsers strip), else the home page.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00\t\n\r") || strings.HasPrefix(p, "//") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return p
}

// setLanguage remembers the chosen interface language and returns to the
// page it was chosen on.
func (h *handler) setLanguage(w http.ResponseWriter, r *http.Request) {
	l, ok := findLanguage(r.PostFormValue("lang"))
	if !ok {
		http.Error(w, "unknown language", http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: languageCookie, Value: l.Code, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	http.Redirect(w, r, localPath(r.PostFormValue("next")), http.StatusSeeOther)
}

// Flash messages survive one redirect in a short-lived cookie, so a saved
// record's page can say it was saved without the URL saying so.
const flashCookie = "dossier_flash"

var flashes = map[string]string{"saved": "flash.saved", "created": "flash.created",
	"checkpoint_signed": "log.flash.signed", "checkpoint_current": "log.flash.current"}

func setFlash(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: name, Path: "/", MaxAge: 60, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
}

func takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	return flashes[c.Value]
}
