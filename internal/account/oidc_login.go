package account

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// A sign-in with the provider goes in two steps. BeginOIDC sends the browser
// to the provider with a fresh state, nonce and PKCE challenge, and keeps
// them in a cookie of its own; CompleteOIDC takes the browser back, checks
// that state against the cookie and against the sign-ins under way (each
// is accepted once), exchanges the code with the PKCE verifier, verifies
// the ID token and its nonce, and logs the linked user in.

// oidcLoginTimeout is how long a sign-in may stay at the provider.
const oidcLoginTimeout = 10 * time.Minute

// oidcCookieName holds the sign-in under way. Unlike the session cookies it
// is SameSite=Lax: it must come back with the provider's redirect, a
// navigation from another site.
const oidcCookieName = "dossier_oidc"

// maxNextLength bounds the page to return to kept in the cookie.
const maxNextLength = 1024

var (
	// ErrOIDCStale means the callback matches no sign-in under way in this
	// browser: it took too long, was already used, or began elsewhere.
	ErrOIDCStale = errors.New("this sign-in has expired, was already used, or began in another browser; start again")
	// ErrOIDCFailed means the provider's answer did not prove an identity:
	// the code did not exchange, or the ID token failed verification. The
	// reason is in the error's text for the log, never for the page.
	ErrOIDCFailed = errors.New("the sign-in with the identity provider failed")
)

// OIDCNotLinkedError is a sign-in by an identity the provider vouched for,
// but that no administrator linked to a user. The subject is shown to the
// person, who gives it to an administrator to link.
type OIDCNotLinkedError struct{ Issuer, Subject string }

func (e *OIDCNotLinkedError) Error() string {
	return fmt.Sprintf("the identity %q of %s is not linked to a Dossier account", e.Subject, e.Issuer)
}

// OIDCDeniedError is the provider's refusal, as its error code
// ("access_denied" when the person cancelled).
type OIDCDeniedError struct{ Code string }

func (e *OIDCDeniedError) Error() string {
	return "the identity provider did not sign you in (" + e.Code + ")"
}

// providerErrorCode keeps the provider's error code only when it looks like
// one: the page shows it, and the URL it came in is anybody's to write.
var providerErrorCode = regexp.MustCompile(`^[a-z_]{1,40}$`)

// oidcPending is the sign-in under way, in its cookie.
type oidcPending struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"r,omitempty"`
}

func (s *Store) oidcCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: s.cookieName(oidcCookieName), Value: value, Path: "/", MaxAge: maxAge,
		Secure: !s.opts.InsecureCookies, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// OIDCClearCookie ends the sign-in under way in the browser.
func (s *Store) OIDCClearCookie() *http.Cookie { return s.oidcCookie("", -1) }

// BeginOIDC starts a sign-in with the provider from clientIP (for rate
// limiting): it returns the provider's URL to send the browser to, and the
// cookie that binds the sign-in to this browser. next is the page to return
// to afterwards, kept as given; the caller checks it is a path of its own.
func (s *Store) BeginOIDC(ctx context.Context, o *OIDC, next, clientIP string) (string, *http.Cookie, error) {
	if ok, wait := s.byIP.allow(clientKey(clientIP), s.opts.Now()); !ok {
		return "", nil, &ThrottledError{RetryAfter: wait}
	}
	if len(next) > maxNextLength {
		next = ""
	}
	state, _ := newSecret("")
	nonce, _ := newSecret("")
	p := oidcPending{State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier(), Next: next}
	now := s.now()
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM oidc_logins WHERE expires_at <= $1`, db.FormatTime(now)); err != nil {
			return fmt.Errorf("forget expired sign-ins: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO oidc_logins (state_hash, expires_at) VALUES ($1, $2)`,
			hashSecret(state), db.FormatTime(now.Add(oidcLoginTimeout))); err != nil {
			return fmt.Errorf("store the sign-in: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	value, err := json.Marshal(p)
	if err != nil {
		return "", nil, err
	}
	authURL := o.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(p.Verifier))
	return authURL, s.oidcCookie(b64url.EncodeToString(value), int(oidcLoginTimeout.Seconds())), nil
}

// pendingOIDC reads the sign-in under way from the request's cookie.
func (s *Store) pendingOIDC(r *http.Request) (*oidcPending, bool) {
	var found []string
	for _, c := range r.Cookies() {
		if c.Name == s.cookieName(oidcCookieName) {
			found = append(found, c.Value)
		}
	}
	if len(found) != 1 || len(found[0]) > 4096 {
		return nil, false
	}
	raw, err := b64url.Strict().DecodeString(found[0])
	if err != nil {
		return nil, false
	}
	var p oidcPending
	if err := json.Unmarshal(raw, &p); err != nil || !validSessionToken(p.State) || !validSessionToken(p.Nonce) || p.Verifier == "" {
		return nil, false
	}
	return &p, true
}

// CompleteOIDC finishes the sign-in the provider sent the browser back
// from (r is the callback request; clientIP is for rate limiting). It
// returns the login, as Login does (a pending one when a TOTP code is still
// needed), and the page to return to, as given to BeginOIDC.
//
// It fails with a ThrottledError, ErrOIDCStale (state missing, wrong,
// expired or used), an OIDCDeniedError (the provider refused), ErrOIDCFailed
// (no valid ID token), an OIDCNotLinkedError, or ErrInvalidCredentials (the
// linked user is disabled or locked). Once the state is accepted, every
// outcome is in the audit log.
func (s *Store) CompleteOIDC(ctx context.Context, o *OIDC, r *http.Request, clientIP string) (*LoginResult, string, error) {
	if ok, wait := s.byIP.allow(clientKey(clientIP), s.opts.Now()); !ok {
		return nil, "", &ThrottledError{RetryAfter: wait}
	}
	p, ok := s.pendingOIDC(r)
	q := r.URL.Query()
	if !ok || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(p.State)) != 1 {
		return nil, "", ErrOIDCStale
	}
	// Accepted once: a replayed callback finds nothing to take.
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM oidc_logins WHERE state_hash = $1 AND expires_at > $2`,
			hashSecret(p.State), db.FormatTime(s.now()))
		if err != nil {
			return fmt.Errorf("take the sign-in: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return ErrOIDCStale
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if code := q.Get("error"); code != "" {
		if !providerErrorCode.MatchString(code) {
			code = "invalid_response"
		}
		return nil, "", s.oidcFailed(ctx, o, "provider:"+code, &OIDCDeniedError{Code: code})
	}
	token, err := o.exchange(ctx, q.Get("code"), p)
	if err != nil {
		return nil, "", s.oidcFailed(ctx, o, "token", fmt.Errorf("%w: %v", ErrOIDCFailed, err))
	}
	res, err := s.oidcLogin(ctx, o, token)
	return res, p.Next, err
}

// oidcToken is what Dossier takes of a verified ID token.
type oidcToken struct {
	issuer, subject string
	amr             []string
}

// exchange trades the code for tokens and verifies the ID token: go-oidc
// checks its signature against the provider's keys, the issuer, the
// audience and the expiry; the nonce, and the authorized party when there
// are several audiences, are checked here.
func (o *OIDC) exchange(ctx context.Context, code string, p *oidcPending) (*oidcToken, error) {
	if code == "" {
		return nil, errors.New("the callback carries no code")
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, o.client), discoveryTimeout)
	defer cancel()
	tok, err := o.oauth.Exchange(ctx, code, oauth2.VerifierOption(p.Verifier))
	if err != nil {
		return nil, fmt.Errorf("exchange the code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, errors.New("the token response holds no ID token")
	}
	idToken, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("verify the ID token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idToken.Nonce), []byte(p.Nonce)) != 1 {
		return nil, errors.New("the ID token's nonce is not this sign-in's")
	}
	var claims struct {
		AZP string   `json:"azp"`
		AMR []string `json:"amr"`
	}
	if err := idToken.Claims(&claims); err != nil {
		return nil, fmt.Errorf("read the ID token's claims: %w", err)
	}
	if len(idToken.Audience) > 1 && claims.AZP != o.cfg.ClientID {
		return nil, fmt.Errorf("the ID token was issued to %q, not this client", claims.AZP)
	}
	if idToken.Subject == "" || len(idToken.Subject) > maxSubjectLength {
		return nil, errors.New("the ID token's subject is empty or too long")
	}
	// The issuer as configured, which go-oidc has matched the token's to
	// (it lets Google's "accounts.google.com" stand for its https URL):
	// links are made to the configured one.
	return &oidcToken{issuer: o.issuer, subject: idToken.Subject, amr: claims.AMR}, nil
}

// oidcFailed records a sign-in that came back without a valid identity,
// and logs why on the server (never the token), then returns err.
func (s *Store) oidcFailed(ctx context.Context, o *OIDC, reason string, err error) error {
	slog.WarnContext(ctx, "single sign-on failed", "issuer", o.issuer, "reason", reason, "error", err)
	ctx = record.WithActor(ctx, AttemptActor("oidc"))
	if werr := s.db.Write(ctx, func(tx *db.Tx) error {
		return s.event(ctx, tx, OIDCFailed, "", map[string]string{"issuer": o.issuer, "reason": reason})
	}); werr != nil {
		return werr
	}
	return err
}

// oidcRefused records a verified identity that may not log in.
func (s *Store) oidcRefused(ctx context.Context, actor, userID string, t *oidcToken, reason string) error {
	ctx = record.WithActor(ctx, actor)
	return s.db.Write(ctx, func(tx *db.Tx) error {
		return s.event(ctx, tx, OIDCRefused, userID, map[string]string{"issuer": t.issuer, "subject": t.subject, "reason": reason})
	})
}

// oidcLogin logs in the user the verified identity is linked to.
func (s *Store) oidcLogin(ctx context.Context, o *OIDC, t *oidcToken) (*LoginResult, error) {
	var userID string
	err := s.db.QueryRow(ctx, `SELECT user_id FROM oidc_identities WHERE issuer = $1 AND subject = $2`, t.issuer, t.subject).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		// The subject is for the administrator who would link it; it names
		// an account at the provider, nothing of the record.
		slog.WarnContext(ctx, "single sign-on by an identity linked to no user", "issuer", t.issuer, "subject", t.subject)
		if err := s.oidcRefused(ctx, AttemptActor("oidc"), "", t, "not_linked"); err != nil {
			return nil, err
		}
		return nil, &OIDCNotLinkedError{Issuer: t.issuer, Subject: t.subject}
	}
	if err != nil {
		return nil, fmt.Errorf("read linked identities: %w", err)
	}
	st, err := s.loginState(ctx, s.db, `id = $1`, userID)
	if err != nil {
		return nil, err
	}
	if st.disabled || st.locked.After(s.now()) {
		reason := "locked"
		if st.disabled {
			reason = "disabled"
		}
		if err := s.oidcRefused(ctx, AttemptActor(st.name), st.id, t, reason); err != nil {
			return nil, err
		}
		return nil, ErrInvalidCredentials
	}
	// The provider's second factor stands in for Dossier's only when the
	// operator said so and the token says one was used.
	mfa := o.cfg.TrustMFA && AMRShowsSecondFactor(t.amr)
	pending := st.totp && !mfa
	ctx = record.WithActor(ctx, UserActor(st.name))
	var res *LoginResult
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		r, err := tx.Exec(ctx, `UPDATE users SET failed_logins = 0 WHERE id = $1 AND NOT disabled`, st.id)
		if err != nil {
			return fmt.Errorf("record the login: %w", err)
		}
		if n, err := r.RowsAffected(); err != nil || n != 1 {
			return ErrInvalidCredentials // disabled meanwhile
		}
		r, err = tx.Exec(ctx, `UPDATE oidc_identities SET last_login_at = $3 WHERE issuer = $1 AND subject = $2 AND user_id = $4`,
			t.issuer, t.subject, db.FormatTime(s.now()), st.id)
		if err != nil {
			return fmt.Errorf("record the login: %w", err)
		}
		if n, err := r.RowsAffected(); err != nil || n != 1 {
			return &OIDCNotLinkedError{Issuer: t.issuer, Subject: t.subject} // unlinked meanwhile
		}
		amr := t.amr
		if amr == nil {
			amr = []string{}
		}
		if err := s.event(ctx, tx, OIDCLogin, st.id, map[string]any{"issuer": t.issuer, "subject": t.subject,
			"amr": amr, "provider_second_factor": mfa}); err != nil {
			return err
		}
		token, sess, err := s.createSession(ctx, tx, st.id, LoginOIDC, pending, mfa)
		if err != nil {
			return err
		}
		u, err := getUser(ctx, tx, `id = $1`, st.id)
		if err != nil {
			return err
		}
		res = &LoginResult{Token: token, Session: sess, User: u}
		return nil
	})
	return res, err
}
