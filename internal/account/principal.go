package account

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/dossier-org/dossier/internal/record"
)

// Principal is who a request acts for, and what they may do.
type Principal struct {
	User User
	// Role is the user's role, or an API token's scope.
	Role Role
	// Permissions are the role's (for a token, those both its scope and
	// its user's current role grant), plus SeeIdentities when it applies.
	Permissions []Permission
	// Cases are the IDs of the cases the user is a member of.
	Cases []string
	// SeeIdentities: the user holds the grant, has TOTP active, and this
	// session passed the second factor. Never true for an API token.
	SeeIdentities bool
	SessionID     string // set when a session cookie authenticated the request
	TokenID       string // set when an API token did
	// LoginMethod says how the session was opened (LoginPassword or
	// LoginOIDC); empty for a token.
	LoginMethod string
	// PasswordChangeDue: the user's password was generated for them and
	// shown to an administrator. Until they choose their own, the access
	// guard lets this principal do nothing but that.
	PasswordChangeDue bool
}

// Can reports whether the principal has the permission. A nil principal
// (nobody logged in) can do nothing.
func (p *Principal) Can(perm Permission) bool {
	return p != nil && slices.Contains(p.Permissions, perm)
}

// InCase reports whether the principal is a member of the case.
func (p *Principal) InCase(caseID string) bool {
	return p != nil && slices.Contains(p.Cases, caseID)
}

// Actor names the principal as the author of writes.
func (p *Principal) Actor() string { return UserActor(p.User.Name) }

// principal builds what u may do through scope, with the second factor
// passed or not.
func (s *Store) principal(ctx context.Context, u *User, scope Role, secondFactor bool) (*Principal, error) {
	p := &Principal{User: *u, Role: scope, PasswordChangeDue: u.MustChangePassword}
	for _, perm := range rolePermissions[scope] {
		if u.Role.Has(perm) {
			p.Permissions = append(p.Permissions, perm)
		}
	}
	if secondFactor && u.SeeIdentities && u.TOTP && u.Role.MaySeeIdentities() && scope == u.Role {
		p.SeeIdentities = true
		p.Permissions = append(p.Permissions, SeeIdentities)
	}
	cases, err := s.CasesOf(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, c := range cases {
		p.Cases = append(p.Cases, c.ID)
	}
	return p, nil
}

type principalKey struct{}

// WithPrincipal returns ctx acting for p: PrincipalFrom finds it, and
// writes made with it are attributed to p's user.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	ctx = context.WithValue(ctx, principalKey{}, p)
	return record.WithActor(ctx, p.Actor())
}

// PrincipalFrom returns the principal the request acts for, if anyone is
// logged in.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// Cookie names. With secure cookies they carry the __Host- prefix, which
// browsers accept only from https, for the whole site, with no Domain: no
// other host or path can set or shadow them.
const (
	sessionCookieName = "dossier_session"
	loginCookieName   = "dossier_login" // a login awaiting its second factor
)

func (s *Store) cookieName(base string) string {
	if s.opts.InsecureCookies {
		return base
	}
	return "__Host-" + base
}

func (s *Store) cookie(base, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: s.cookieName(base), Value: value, Path: "/", MaxAge: maxAge,
		Secure: !s.opts.InsecureCookies, HttpOnly: true, SameSite: http.SameSiteStrictMode}
}

// LoginCookies are the cookies to set after Login or LoginSecondFactor: the
// session cookie when the login is complete (clearing the pending one), or
// the pending-login cookie when a second factor is awaited. Both are
// Secure (unless Options.InsecureCookies), HttpOnly, SameSite=Strict and
// Path=/, and last as long as the session may.
func (s *Store) LoginCookies(res *LoginResult) []*http.Cookie {
	maxAge := int(res.Session.ExpiresAt.Sub(s.now()).Seconds())
	if res.NeedsSecondFactor() {
		return []*http.Cookie{s.cookie(loginCookieName, res.Token, maxAge)}
	}
	return []*http.Cookie{s.cookie(sessionCookieName, res.Token, maxAge), s.cookie(loginCookieName, "", -1)}
}

// LogoutCookies clear both cookies.
func (s *Store) LogoutCookies() []*http.Cookie {
	return []*http.Cookie{s.cookie(sessionCookieName, "", -1), s.cookie(loginCookieName, "", -1)}
}

// SessionToken returns the session token the request carries, if any.
func (s *Store) SessionToken(r *http.Request) (string, bool) {
	return cookieToken(r, s.cookieName(sessionCookieName))
}

// PendingLoginToken returns the token of the login awaiting its second
// factor, for LoginSecondFactor.
func (s *Store) PendingLoginToken(r *http.Request) (string, bool) {
	return cookieToken(r, s.cookieName(loginCookieName))
}

// cookieToken reads a token cookie, refusing anything not shaped like a
// token (and a request carrying the cookie twice, which a planted cookie
// would cause).
func cookieToken(r *http.Request, name string) (string, bool) {
	var found []string
	for _, c := range r.Cookies() {
		if c.Name == name {
			found = append(found, c.Value)
		}
	}
	if len(found) != 1 || !validSessionToken(found[0]) {
		return "", false
	}
	return found[0], true
}

// parseBearer reads an Authorization header of the form "Bearer dsr_…".
func parseBearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	if !validTokenText(token) {
		return "", false
	}
	return token, true
}

// Authenticate resolves the request's credentials into a Principal in its
// context (PrincipalFrom): an "Authorization: Bearer dsr_…" API token, or
// else the session cookie. A request with no credentials goes on without a
// principal; routes decide whether they need one (Require). A bearer token
// that is malformed, unknown, revoked or expired is refused with 401, never
// downgraded to an anonymous request; a session cookie that has ended is
// cleared and the request goes on without a principal.
func (s *Store) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if headers := r.Header.Values("Authorization"); len(headers) > 0 {
			text, ok := "", len(headers) == 1
			if ok {
				text, ok = parseBearer(headers[0])
			}
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_request"`)
				writeProblem(w, http.StatusUnauthorized, "urn:dossier:problem:unauthenticated", "Unauthenticated",
					"The Authorization header must be \"Bearer\" followed by a Dossier API token (dsr_…).")
				return
			}
			p, err := s.AuthenticateToken(ctx, text)
			if errors.Is(err, ErrTokenInvalid) {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				writeProblem(w, http.StatusUnauthorized, "urn:dossier:problem:unauthenticated", "Unauthenticated",
					ErrTokenInvalid.Error()+".")
				return
			}
			if err != nil {
				internalError(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(ctx, p)))
			return
		}
		if text, ok := s.SessionToken(r); ok {
			sess, u, err := s.Session(ctx, text)
			if err == nil {
				p, err := s.principal(ctx, u, u.Role, sess.SecondFactor)
				if err != nil {
					internalError(w, r, err)
					return
				}
				p.SessionID, p.LoginMethod = sess.ID, sess.Method
				next.ServeHTTP(w, r.WithContext(WithPrincipal(ctx, p)))
				return
			}
			if !errors.Is(err, ErrSessionExpired) {
				internalError(w, r, err)
				return
			}
			http.SetCookie(w, s.cookie(sessionCookieName, "", -1))
		}
		next.ServeHTTP(w, r)
	})
}

// Require lets a request through only if its principal has perm: 401 when
// nobody is logged in, 403 when the principal lacks the permission. Mount
// it inside Authenticate.
func Require(perm Permission) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := PrincipalFrom(r.Context())
			switch {
			case !ok:
				writeProblem(w, http.StatusUnauthorized, "urn:dossier:problem:unauthenticated", "Unauthenticated",
					"Log in, or send an API token as \"Authorization: Bearer dsr_…\".")
			case !p.Can(perm):
				writeProblem(w, http.StatusForbidden, "urn:dossier:problem:forbidden", "Forbidden",
					"Your role ("+string(p.Role)+") does not include the permission "+string(perm)+".")
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

// writeProblem answers with an RFC 9457 problem document, as the JSON API
// does.
func writeProblem(w http.ResponseWriter, status int, typ, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": typ, "title": title, "status": status, "detail": detail})
}

func internalError(w http.ResponseWriter, r *http.Request, err error) {
	slog.ErrorContext(r.Context(), "authenticate request", "path", r.URL.Path, "error", err)
	writeProblem(w, http.StatusInternalServerError, "urn:dossier:problem:internal", "Internal error",
		"The server could not check the credentials.")
}
