package web

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/dossier-org/dossier/internal/account"
)

// Single sign-on with the OpenID provider the server was started with: a
// button on the login page sends the browser to the provider, and the
// provider sends it back to the callback, which logs in the user the
// identity is linked to (internal/account/oidc*.go does the work). Without
// a provider configured both routes answer 404.

func (h *handler) oidcRoutes(mux *router) {
	mux.HandleFunc("GET /login/oidc", h.oidcBegin)
	mux.HandleFunc("GET "+account.OIDCCallbackPath, h.oidcCallback)
}

// withSSO offers the provider on a login page, when there is one.
func (h *handler) withSSO(p *loginPage) *loginPage {
	if o := h.access.OIDC; o != nil {
		p.SSO = o.DisplayName()
	}
	return p
}

func (h *handler) oidcBegin(w http.ResponseWriter, r *http.Request) {
	o := h.access.OIDC
	if o == nil {
		h.notFound(w, r)
		return
	}
	next := r.URL.Query().Get("next")
	if _, ok := account.PrincipalFrom(r.Context()); ok {
		http.Redirect(w, r, returnTo(next), http.StatusSeeOther)
		return
	}
	target, cookie, err := h.access.Accounts.BeginOIDC(r.Context(), o, returnTo(next), h.access.ClientIP(r))
	if err != nil {
		h.oidcRefused(w, r, err, next)
		return
	}
	http.SetCookie(w, cookie)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

type oidcContinuePage struct {
	base
	Provider string
	Target   string
}

// oidcCallback logs in whoever the provider vouched for. The session
// cookie is SameSite=Strict, and this request came from the provider's
// site: a redirect from here would still count as coming from there, and
// the browser would hold the new cookie back. So the answer is a page that
// moves on by itself (a Refresh header, no script), a navigation from this
// site, with a link for browsers that do not.
func (h *handler) oidcCallback(w http.ResponseWriter, r *http.Request) {
	o := h.access.OIDC
	if o == nil {
		h.notFound(w, r)
		return
	}
	accounts := h.access.Accounts
	res, next, err := accounts.CompleteOIDC(r.Context(), o, r, h.access.ClientIP(r))
	http.SetCookie(w, accounts.OIDCClearCookie())
	// Pages drawn here are the login's: switching language goes back to
	// the login page, not to a callback whose code is spent.
	shown := r.Clone(r.Context())
	shown.URL = &url.URL{Path: "/login"}
	if err != nil {
		h.oidcRefused(w, shown, err, next)
		return
	}
	for _, c := range accounts.LoginCookies(res) {
		http.SetCookie(w, c)
	}
	target := returnTo(next)
	if res.NeedsSecondFactor() {
		target = "/login/code"
		if next != "" {
			target += "?next=" + url.QueryEscape(next)
		}
	}
	w.Header().Set("Refresh", "0; url="+target)
	h.render(w, shown, http.StatusOK, "login_oidc", "login", &oidcContinuePage{Provider: o.DisplayName(), Target: target})
}

// oidcRefused shows the login page with why single sign-on failed, in
// words that give nothing away: the details are in the server's log and
// the audit log. An identity linked to nobody is shown its subject, for
// the administrator who would link it.
func (h *handler) oidcRefused(w http.ResponseWriter, r *http.Request, err error, next string) {
	l := h.localizer(r)
	data := h.withSSO(&loginPage{Next: next})
	provider := data.SSO
	var throttled *account.ThrottledError
	var notLinked *account.OIDCNotLinkedError
	var denied *account.OIDCDeniedError
	status := http.StatusUnauthorized
	switch {
	case errors.As(err, &throttled):
		wait := int(math.Ceil(throttled.RetryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		status, data.Error = http.StatusTooManyRequests, l.N("login.throttled", wait)
	case errors.As(err, &notLinked):
		status, data.Error, data.Subject = http.StatusForbidden, l.T("login.oidc_not_linked", "provider", provider), notLinked.Subject
	case errors.As(err, &denied):
		data.Error = l.T("login.oidc_denied", "provider", provider, "code", denied.Code)
	case errors.Is(err, account.ErrOIDCStale):
		status, data.Error = http.StatusBadRequest, l.T("login.oidc_stale")
	case errors.Is(err, account.ErrOIDCFailed):
		data.Error = l.T("login.oidc_failed", "provider", provider)
	case errors.Is(err, account.ErrInvalidCredentials):
		status, data.Error = http.StatusForbidden, l.T("login.oidc_unavailable")
	default:
		h.fail(w, r, err)
		return
	}
	h.render(w, r, status, "login", "login", data)
}
