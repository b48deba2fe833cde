package web

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/authz"
)

// Logging in and out, the account page, and what a visitor sees when the
// access guard turns them away. The account store (internal/account) does
// the work: passwords, rate limits and lock-outs, second factors, sessions
// and their cookies. These pages only never say more than it does — a
// failed login says the same whether or not the name exists.

func init() {
	flashes["logged_out"] = "flash.logged_out"
}

func (h *handler) loginRoutes(mux *router) {
	mux.HandleFunc("GET /login", h.loginForm)
	mux.HandleFunc("POST /login", h.login)
	mux.HandleFunc("GET /login/code", h.codeForm)
	mux.HandleFunc("POST /login/code", h.loginCode)
	mux.HandleFunc("POST /logout", h.logout)
	mux.HandleFunc("GET /account", h.accountPage)
	h.accountRoutes(mux)
	h.oidcRoutes(mux)
}

// peerIP is the address of the connection's other end.
func peerIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// returnTo is where to go after logging in: a path of this site, never the
// login pages themselves.
func returnTo(next string) string {
	p := localPath(next)
	if p == "/login" || strings.HasPrefix(p, "/login/") || strings.HasPrefix(p, "/login?") || p == "/logout" {
		return "/"
	}
	return p
}

// home sends the visitor to the first section they may use.
func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	target := "/incidents"
	if p, ok := account.PrincipalFrom(r.Context()); ok {
		switch {
		case p.Can(account.ReadRecords):
		case p.Can(account.ReadEvidence):
			target = "/evidence"
		case p.Can(account.ReadAuditLog):
			target = "/log"
		case p.Can(account.ReadAggregates):
			target = "/statistics"
		default:
			target = "/account"
		}
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

type loginPage struct {
	base
	Name   string
	Next   string
	Notice string // catalog key of a notice above the form
	Error  string // why the last attempt failed, in words
	// SSO names the OpenID provider to offer signing in with, if any;
	// Subject is the identity it vouched for that no user is linked to.
	SSO     string
	Subject string
}

type codePage struct {
	base
	Next  string
	Error string
}

func (h *handler) loginForm(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if _, ok := account.PrincipalFrom(r.Context()); ok {
		http.Redirect(w, r, returnTo(next), http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "login", "login", h.withSSO(&loginPage{Next: next}))
}

// loginRefused re-renders the form after a failed attempt: the same words
// for a wrong name, a wrong password and a disabled or locked account.
func (h *handler) loginRefused(w http.ResponseWriter, r *http.Request, err error, view string, data page) {
	l := h.localizer(r)
	var throttled *account.ThrottledError
	status, msg := http.StatusUnauthorized, ""
	switch {
	case errors.As(err, &throttled):
		wait := int(math.Ceil(throttled.RetryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		status, msg = http.StatusTooManyRequests, l.N("login.throttled", wait)
	case errors.Is(err, account.ErrInvalidCredentials) && view == "login_code":
		msg = l.T("login.code_invalid")
	case errors.Is(err, account.ErrInvalidCredentials):
		msg = l.T("login.invalid")
	default:
		h.fail(w, r, err)
		return
	}
	switch d := data.(type) {
	case *loginPage:
		d.Error = msg
	case *codePage:
		d.Error = msg
	}
	h.render(w, r, status, view, "login", data)
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	name, next := r.PostFormValue("name"), r.PostFormValue("next")
	res, err := h.access.Accounts.Login(r.Context(), name, r.PostFormValue("password"), h.access.ClientIP(r))
	if err != nil {
		h.loginRefused(w, r, err, "login", h.withSSO(&loginPage{Name: name, Next: next}))
		return
	}
	for _, c := range h.access.Accounts.LoginCookies(res) {
		http.SetCookie(w, c)
	}
	if res.NeedsSecondFactor() {
		target := "/login/code"
		if next != "" {
			target += "?next=" + url.QueryEscape(next)
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, returnTo(next), http.StatusSeeOther)
}

func (h *handler) codeForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.access.Accounts.PendingLoginToken(r); !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "login_code", "login", &codePage{Next: r.URL.Query().Get("next")})
}

func (h *handler) loginCode(w http.ResponseWriter, r *http.Request) {
	next := r.PostFormValue("next")
	pending, ok := h.access.Accounts.PendingLoginToken(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	res, err := h.access.Accounts.LoginSecondFactor(r.Context(), pending, r.PostFormValue("code"), h.access.ClientIP(r))
	if errors.Is(err, account.ErrSessionExpired) {
		h.render(w, r, http.StatusUnauthorized, "login", "login", h.withSSO(&loginPage{Next: next, Notice: "login.expired"}))
		return
	}
	if err != nil {
		h.loginRefused(w, r, err, "login_code", &codePage{Next: next})
		return
	}
	for _, c := range h.access.Accounts.LoginCookies(res) {
		http.SetCookie(w, c)
	}
	http.Redirect(w, r, returnTo(next), http.StatusSeeOther)
}

// logout ends the session the cookie names, if any, and clears the cookies
// whatever happens: the browser is logged out either way.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	if token, ok := h.access.Accounts.SessionToken(r); ok {
		if err := h.access.Accounts.Logout(r.Context(), token); err != nil {
			slog.ErrorContext(r.Context(), "web: log out", "cause", err)
		}
	}
	for _, c := range h.access.Accounts.LogoutCookies() {
		http.SetCookie(w, c)
	}
	setFlash(w, r, "logged_out")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type accountPage struct {
	base
	User account.User
	// Permissions are what the role (and the second factor) allow, in words.
	Permissions []string
	Cases       []account.Case
	// IdentitiesGranted: the user holds the see-identities grant;
	// IdentitiesNow: this session may use it (it passed the second factor).
	IdentitiesGranted bool
	IdentitiesNow     bool
	Token             bool // the request came with an API token
	// The user's own API tokens and live sessions (account_tokens.go), and
	// the form that creates a token, as sent when it was refused.
	Tokens    []adminTokenRow
	Sessions  []ownSessionRow
	TokenForm adminTokenForm
	ScopeOps  []option
	Errors    formErrors
}

func (h *handler) accountPage(w http.ResponseWriter, r *http.Request) {
	h.accountRender(w, r, http.StatusOK, &accountPage{TokenForm: adminTokenForm{Days: "90"}})
}

// accountRender shows the account page; data holds a refused form, if any.
func (h *handler) accountRender(w http.ResponseWriter, r *http.Request, status int, data *accountPage) {
	p, ok := account.PrincipalFrom(r.Context())
	if !ok {
		h.Refuse(w, r, authz.Unauthenticated, nil)
		return
	}
	l := h.localizer(r)
	data.User, data.IdentitiesGranted, data.IdentitiesNow, data.Token = p.User, p.User.SeeIdentities, p.SeeIdentities, p.TokenID != ""
	for _, perm := range account.Permissions {
		if p.Can(perm) {
			data.Permissions = append(data.Permissions, l.T(permissionKey(perm)))
		}
	}
	cases, err := h.access.Accounts.CasesOf(r.Context(), p.User.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data.Cases = cases
	if err := h.ownTokensAndSessions(r, p, data); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, status, "account", "account", data)
}

// permissionKey is the catalog key naming a permission ("records:read" is
// permission.records.read).
func permissionKey(p account.Permission) string {
	return "permission." + strings.ReplaceAll(string(p), ":", ".")
}

type deniedPage struct {
	base
	Missing []string // the permissions lacking, in words
}

// Refuse answers a request the access guard turned away: to the login page
// when nobody is logged in, a "not allowed" page when the role falls short,
// and "not found" for a record outside the viewer's cases — exactly as
// for one that does not exist.
func (h *handler) Refuse(w http.ResponseWriter, r *http.Request, why authz.Refusal, missing []account.Permission) {
	switch why {
	case authz.Unauthenticated:
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			target := "/login"
			if here := r.URL.RequestURI(); here != "/" {
				target += "?next=" + url.QueryEscape(here)
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		// A form sent after the session ended: log in again, then redo it.
		h.render(w, r, http.StatusUnauthorized, "login", "login", h.withSSO(&loginPage{Notice: "login.session_ended"}))
	case authz.PasswordChangeRequired:
		// Nothing else until the generated password is replaced.
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r, passwordChangeTarget(r), http.StatusSeeOther)
			return
		}
		p, _ := account.PrincipalFrom(r.Context())
		h.render(w, r, http.StatusForbidden, "account_password", "account", h.passwordPage(p, ""))
	case authz.NotFound:
		h.renderError(w, r, http.StatusNotFound)
	default:
		l := h.localizer(r)
		data := &deniedPage{}
		for _, p := range missing {
			data.Missing = append(data.Missing, l.T(permissionKey(p)))
		}
		h.render(w, r, http.StatusForbidden, "account_denied", "", data)
	}
}

type setupPage struct{ base }

// setupGate serves nothing but the page saying how to create the first
// administrator (and the static files it needs) while needsAdmin says the
// installation has none.
func (h *handler) setupGate(needsAdmin func(context.Context) (bool, error), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		needed, err := needsAdmin(r.Context())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !needed {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Retry-After", "60")
		h.render(w, r, http.StatusServiceUnavailable, "login_setup", "", &setupPage{})
	})
}

// roleKeys and permissionKeys are the catalog keys the account pages
// compute, for the catalog test.
func roleKeys() []string {
	var out []string
	for _, r := range account.Roles {
		out = append(out, "role."+string(r))
	}
	return out
}

func permissionKeys() []string {
	var out []string
	for _, p := range account.Permissions {
		out = append(out, permissionKey(p))
	}
	return slices.Clip(out)
}

// caseOptions are the cases an incident may be filed in: the viewer's own,
// and then one must be chosen; without access control, every case.
func (h *handler) caseOptions(ctx context.Context) ([]option, bool, error) {
	var cases []account.Case
	var err error
	p, restricted := account.PrincipalFrom(ctx)
	if restricted {
		cases, err = h.access.Accounts.CasesOf(ctx, p.User.ID)
	} else {
		cases, err = h.access.Accounts.Cases(ctx)
	}
	if err != nil {
		return nil, false, err
	}
	out := make([]option, len(cases))
	for i, c := range cases {
		out[i] = option{Value: c.ID, Label: c.Name}
	}
	return out, restricted, nil
}
