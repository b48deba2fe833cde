// Package oidctest runs an OpenID provider inside a test's process: the
// discovery document, a JWKS with a key made for the test, an authorization
// endpoint that signs in whoever the test says (at once, or after a click
// on a page of its own, for a browser), and a token endpoint that checks
// the client's secret, the redirect URI and the PKCE verifier, accepts each
// code once and returns a signed ID token. Tests of single sign-on use it
// to log in for real and to make the provider misbehave in chosen ways.
package oidctest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Login is who the provider signs in at the next authorization, and how.
type Login struct {
	// Subject is the person's identifier at the provider (the "sub" claim).
	Subject string
	// AMR lists the authentication methods the ID token claims ("pwd",
	// "otp", "mfa"…); none leaves the claim out.
	AMR []string
	// Deny answers the authorization with error=access_denied instead, as
	// when the person cancels.
	Deny bool
	// Claims, if set, changes the ID token's claims before it is signed: a
	// wrong audience, issuer or nonce, an expiry in the past.
	Claims func(claims map[string]any)
	// ForeignKey signs the ID token with a key the JWKS does not publish.
	ForeignKey bool
}

// Provider is a running OpenID provider.
type Provider struct {
	// Issuer is the provider's URL, as its discovery document states it.
	Issuer       string
	ClientID     string
	ClientSecret string
	// Interactive makes the authorization endpoint show a page with a
	// link to follow, as a real provider's login page, instead of
	// redirecting back at once: a browser then arrives at the callback
	// from the provider's site, not from Dossier's.
	Interactive bool

	srv     *httptest.Server
	key     *ecdsa.PrivateKey
	foreign *ecdsa.PrivateKey

	mu        sync.Mutex
	next      Login
	requests  map[string]*authorization // awaiting a click, by ID
	codes     map[string]*authorization // issued codes, by code
	exchanges int
}

// authorization is one authorization request and what was decided.
type authorization struct {
	login       Login
	redirectURI string
	state       string
	nonce       string
	challenge   string
	used        bool
}

const keyID = "test-key-1"

// Start runs a provider for the client clientID with clientSecret until
// the test ends. It signs in nobody until SignIn says who.
func Start(t testing.TB, clientID, clientSecret string) *Provider {
	t.Helper()
	p := &Provider{ClientID: clientID, ClientSecret: clientSecret,
		requests: map[string]*authorization{}, codes: map[string]*authorization{}}
	var err error
	if p.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if p.foreign, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("GET /approve", p.approve)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	p.Issuer = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// SignIn decides who the next authorizations sign in, and how.
func (p *Provider) SignIn(l Login) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next = l
}

// Exchanges counts the requests that reached the token endpoint.
func (p *Provider) Exchanges() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exchanges
}

// Close stops the provider before the test ends (to test an unreachable one).
func (p *Provider) Close() { p.srv.Close() }

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.Issuer,
		"authorization_endpoint":                p.srv.URL + "/authorize",
		"token_endpoint":                        p.srv.URL + "/token",
		"jwks_uri":                              p.srv.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      []string{"openid"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &p.key.PublicKey, KeyID: keyID, Algorithm: string(jose.ES256), Use: "sig"}}})
}

// authorize checks the request as a provider must before it redirects
// anywhere: a known client, its registered redirect URI (here: any URI on
// a path ending in /login/oidc/callback), the openid scope, a code flow
// with an S256 PKCE challenge, a state and a nonce.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != p.ClientID:
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	case err != nil || !redirect.IsAbs() || !strings.HasSuffix(redirect.Path, "/login/oidc/callback"):
		http.Error(w, "redirect_uri not registered", http.StatusBadRequest)
		return
	}
	fail := func(code string) {
		v := url.Values{"error": {code}, "state": {q.Get("state")}}
		redirect.RawQuery = v.Encode()
		http.Redirect(w, r, redirect.String(), http.StatusFound)
	}
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type")
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		fail("invalid_scope")
		return
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "":
		fail("invalid_request")
		return
	}
	p.mu.Lock()
	a := &authorization{login: p.next, redirectURI: redirect.String(), state: q.Get("state"), nonce: q.Get("nonce"),
		challenge: q.Get("code_challenge")}
	interactive := p.Interactive
	id := randomText()
	if interactive {
		p.requests[id] = a
	}
	p.mu.Unlock()
	if a.login.Deny {
		fail("access_denied")
		return
	}
	if !interactive {
		p.redirectWithCode(w, r, a)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	approvePage.Execute(w, map[string]string{"ID": id, "Subject": a.login.Subject})
}

var approvePage = template.Must(template.New("approve").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><h1>Test identity provider</h1>
<p><a id="approve" href="/approve?request={{.ID}}">Sign in as {{.Subject}}</a></p></body></html>`))

// approve is the click on the provider's own page.
func (p *Provider) approve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	a, ok := p.requests[r.URL.Query().Get("request")]
	delete(p.requests, r.URL.Query().Get("request"))
	p.mu.Unlock()
	if !ok {
		http.Error(w, "no such authorization request", http.StatusBadRequest)
		return
	}
	p.redirectWithCode(w, r, a)
}

func (p *Provider) redirectWithCode(w http.ResponseWriter, r *http.Request, a *authorization) {
	code := randomText()
	p.mu.Lock()
	p.codes[code] = a
	p.mu.Unlock()
	u, _ := url.Parse(a.redirectURI)
	q := u.Query()
	q.Set("code", code)
	q.Set("state", a.state)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// token exchanges a code for an ID token, once, for the client that
// proves its secret and the verifier of the code's PKCE challenge.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.exchanges++
	p.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) != 1 {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	p.mu.Lock()
	a, ok := p.codes[r.PostForm.Get("code")]
	replayed := ok && a.used
	if ok {
		a.used = true
	}
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case !ok || replayed:
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	case r.PostForm.Get("redirect_uri") != a.redirectURI:
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != a.challenge:
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	now := time.Now()
	claims := map[string]any{
		"iss":       p.Issuer,
		"sub":       a.login.Subject,
		"aud":       p.ClientID,
		"exp":       now.Add(5 * time.Minute).Unix(),
		"iat":       now.Unix(),
		"auth_time": now.Unix(),
		"nonce":     a.nonce,
	}
	if len(a.login.AMR) > 0 {
		claims["amr"] = a.login.AMR
	}
	if a.login.Claims != nil {
		a.login.Claims(claims)
	}
	key := p.key
	if a.login.ForeignKey {
		key = p.foreign
	}
	idToken, err := sign(key, claims)
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"access_token": randomText(), "token_type": "Bearer",
		"expires_in": 300, "id_token": idToken})
}

func sign(key *ecdsa.PrivateKey, claims map[string]any) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: keyID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

func tokenError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // a client gone away is no concern of a test provider
}

func randomText() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
