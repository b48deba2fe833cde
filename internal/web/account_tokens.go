package web

import (
	"net/http"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/authz"
	"github.com/dossier-org/dossier/internal/record"
)

// The account page's own API tokens and sessions: every user sees theirs,
// creates a token for their scripts (scoped to their own role or a
// narrower one, never wider: the store refuses it), revokes a token and
// ends a session left open elsewhere. The store's RevokeTokenOf and
// RevokeSessionOf check ownership, so another's token or session is "not
// found", as in the API.

func init() {
	for _, name := range []string{"token_revoked", "session_ended", "password_changed"} {
		flashes["account."+name] = "account.flash." + name
	}
}

func (h *handler) accountRoutes(mux routeTable) {
	mux.HandleFunc("POST /account/tokens", h.ownTokenCreate)
	mux.HandleFunc("POST /account/tokens/{id}/revoke", h.ownTokenRevoke)
	mux.HandleFunc("POST /account/sessions/{id}/revoke", h.ownSessionEnd)
	mux.HandleFunc("GET /account/password", h.passwordForm)
	mux.HandleFunc("POST /account/password", h.passwordChange)
}

// ownSessionRow is a live session of the viewer's, marked when it is the
// one asking.
type ownSessionRow struct {
	Session account.Session
	Current bool
}

// ownTokensAndSessions fills the account page's tokens, sessions and the
// roles a new token may be scoped to.
func (h *handler) ownTokensAndSessions(r *http.Request, p *account.Principal, data *accountPage) error {
	ctx := r.Context()
	l := h.localizer(r)
	tokens, err := h.access.Accounts.Tokens(ctx, p.User.ID)
	if err != nil {
		return err
	}
	data.Tokens, data.ScopeOps = tokenRows(l, tokens), scopeOptions(l, p.User.Role)
	sessions, err := h.access.Accounts.Sessions(ctx, p.User.ID)
	if err != nil {
		return err
	}
	for _, s := range sessions {
		if !s.Pending { // a login still awaiting its code is not yet a session
			data.Sessions = append(data.Sessions, ownSessionRow{Session: s, Current: s.ID == p.SessionID})
		}
	}
	return nil
}

// viewer is who is logged in; without anyone, the request is refused.
func (h *handler) viewer(w http.ResponseWriter, r *http.Request) (*account.Principal, bool) {
	p, ok := account.PrincipalFrom(r.Context())
	if !ok {
		h.Refuse(w, r, authz.Unauthenticated, nil)
	}
	return p, ok
}

type ownTokenPage struct {
	base
	Token      string
	TokenInfo  *account.Token
	ScopeLabel string
}

// ownTokenCreate issues a token acting as the viewer and shows it once.
// The access table refuses a request made with a token: a stolen token
// must not be able to mint itself a successor.
func (h *handler) ownTokenCreate(w http.ResponseWriter, r *http.Request) {
	p, ok := h.viewer(w, r)
	if !ok {
		return
	}
	l := h.localizer(r)
	form := readTokenForm(r)
	// The store checks the scope against the user's role as stored now.
	secret, tok, err := h.createToken(r, p.User.ID, form)
	if errs, invalid := record.AsErrors(err); invalid {
		h.accountRender(w, r, http.StatusUnprocessableEntity, &accountPage{TokenForm: form, Errors: adminErrors(l, errs, tokenInputs)})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, http.StatusCreated, "account_token", "account",
		&ownTokenPage{Token: secret, TokenInfo: tok, ScopeLabel: l.T("role." + string(tok.Role))})
}

// ownTokenRevoke revokes one of the viewer's tokens, once confirmed.
func (h *handler) ownTokenRevoke(w http.ResponseWriter, r *http.Request) {
	p, ok := h.viewer(w, r)
	if !ok {
		return
	}
	tok, ok := h.pathToken(w, r, "id", p.User.ID)
	if !ok {
		return
	}
	l := h.localizer(r)
	if !h.confirmed(w, r, tokenQuestion(l, tok, confirmation{
		Button:  l.T("confirm.token_revoke.button"),
		Action:  r.URL.Path,
		Back:    "/account#tokens",
		Crumbs:  []crumb{{l.T("account.title"), "/account"}},
		Section: "account",
	})) {
		return
	}
	if _, err := h.access.Accounts.RevokeTokenOf(writer(r), p.User.ID, tok.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	setFlash(w, r, "account.token_revoked")
	http.Redirect(w, r, "/account#tokens", http.StatusSeeOther)
}

// ownSessionEnd ends one of the viewer's sessions: a browser left logged
// in elsewhere. Ending the one asking is logging out.
func (h *handler) ownSessionEnd(w http.ResponseWriter, r *http.Request) {
	p, ok := h.viewer(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if err := h.access.Accounts.RevokeSessionOf(writer(r), p.User.ID, id); err != nil {
		h.fail(w, r, err) // none of the viewer's: not found
		return
	}
	if id == p.SessionID {
		for _, c := range h.access.Accounts.LogoutCookies() {
			http.SetCookie(w, c)
		}
		setFlash(w, r, "logged_out")
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	setFlash(w, r, "account.session_ended")
	http.Redirect(w, r, "/account#sessions", http.StatusSeeOther)
}
