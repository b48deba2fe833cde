package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dossier-org/dossier/internal/record"
)

// Single sign-on with OpenID Connect (the authorization code flow with
// PKCE, state and nonce; the ID token verified by go-oidc: signature by the
// provider's JWKS, issuer, audience, expiry). It is an optional second way
// in, never a way around the rules of the first:
//
//   - An identity at the provider (issuer and subject) logs in only as the
//     user an administrator linked it to (LinkOIDC). Nobody is created on
//     first sign-in, and nobody is matched by e-mail address: addresses are
//     reassigned, and whoever administers the provider can set any address
//     on any account, verified or not. The subject is the provider's
//     stable, unique name for the person.
//   - A disabled or locked user is refused, as with a password.
//   - A user with TOTP still gives a code afterwards (the pending session of
//     a password login), unless the operator trusts the provider's own
//     second factor (OIDCConfig.TrustMFA) and the ID token says one was
//     used (its amr claim).

// OIDCCallbackPath is where the provider sends the browser back: the path
// of the redirect URL registered with it.
const OIDCCallbackPath = "/login/oidc/callback"

// OIDCConfig is how this installation is registered with an OpenID
// provider.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL, exactly as its discovery
	// document (ISSUER/.well-known/openid-configuration) states it.
	Issuer string
	// ClientID and ClientSecret are the client registered for Dossier. The
	// secret comes from the environment, never from a command line.
	ClientID     string
	ClientSecret string
	// RedirectURL is the callback registered with the provider:
	// https://HOST/login/oidc/callback.
	RedirectURL string
	// DisplayName names the provider on the login page's button ("Sign in
	// with …"); the issuer's host name by default.
	DisplayName string
	// TrustMFA lets a login through without Dossier's own TOTP code when
	// the ID token's amr claim shows that the provider asked for a second
	// factor (AMRShowsSecondFactor). Off by default: the provider's
	// administrators could then stand in for the user's second factor.
	TrustMFA bool

	// HTTPClient talks to the provider; nil gives one with timeouts.
	HTTPClient *http.Client
	// Now is the clock ID tokens' expiry is checked against (time.Now).
	Now func() time.Time
}

// OIDC is a provider found by discovery, ready for logins (Store.BeginOIDC,
// Store.CompleteOIDC).
type OIDC struct {
	cfg      OIDCConfig
	issuer   string
	verifier *oidc.IDTokenVerifier
	oauth    *oauth2.Config
	client   *http.Client
}

// Issuer is the provider's issuer URL.
func (o *OIDC) Issuer() string { return o.issuer }

// DisplayName is how the login page names the provider.
func (o *OIDC) DisplayName() string { return o.cfg.DisplayName }

// TrustsMFA reports whether the provider's second factor stands in for
// Dossier's.
func (o *OIDC) TrustsMFA() bool { return o.cfg.TrustMFA }

// discoveryTimeout bounds each request made to the provider.
const discoveryTimeout = 15 * time.Second

// validate checks the configuration before anything is asked of the
// provider, naming each field at fault.
func (c *OIDCConfig) validate() error {
	c.Issuer = strings.TrimSpace(c.Issuer)
	c.ClientID = strings.TrimSpace(c.ClientID)
	c.RedirectURL = strings.TrimSpace(c.RedirectURL)
	c.DisplayName = strings.TrimSpace(c.DisplayName)
	var errs record.Errors
	if c.Issuer == "" {
		errs.Add("issuer", "required", "is required")
	} else if err := checkProviderURL(c.Issuer); err != nil {
		errs.Add("issuer", "invalid", "%q %v", c.Issuer, err)
	}
	if c.ClientID == "" {
		errs.Add("client_id", "required", "is required")
	}
	if c.ClientSecret == "" {
		errs.Add("client_secret", "required", "is required: register Dossier with the provider as a confidential client")
	}
	if c.RedirectURL == "" {
		errs.Add("redirect_url", "required", "is required: https://HOST%s, as registered with the provider", OIDCCallbackPath)
	} else if u, err := url.Parse(c.RedirectURL); err != nil || checkProviderURL(c.RedirectURL) != nil || u.Path != OIDCCallbackPath ||
		u.RawQuery != "" {
		errs.Add("redirect_url", "invalid", "%q must be https://HOST%s (http only on this computer), as registered with the provider",
			c.RedirectURL, OIDCCallbackPath)
	}
	errs.MaxLength("display_name", c.DisplayName, 60)
	if err := errs.Err(); err != nil {
		return err
	}
	if c.DisplayName == "" {
		u, _ := url.Parse(c.Issuer)
		c.DisplayName = u.Hostname()
	}
	return nil
}

// checkProviderURL accepts an absolute https URL, or http to this computer
// (a provider run for tests or on the same host): client secrets, codes and
// tokens must not cross a network in clear.
func checkProviderURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil || u.Fragment != "" {
		return errors.New("is not an absolute URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopbackHost(u.Hostname()) {
			return nil
		}
	}
	return errors.New("must use https (plain http only to this computer)")
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// providerMetadata is what Dossier reads of the discovery document beyond
// what go-oidc does.
type providerMetadata struct {
	AuthURL       string   `json:"authorization_endpoint"`
	TokenURL      string   `json:"token_endpoint"`
	JWKSURL       string   `json:"jwks_uri"`
	ResponseTypes []string `json:"response_types_supported"`
	PKCEMethods   []string `json:"code_challenge_methods_supported"`
}

// DiscoverOIDC checks the configuration, reads the provider's discovery
// document and its keys, and returns the provider ready for logins. It
// fails with the reason in words when the provider cannot be reached, calls
// itself by another issuer URL, publishes no keys, or cannot do the
// authorization code flow with PKCE.
func DiscoverOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: discoveryTimeout}
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, client), discoveryTimeout)
	defer cancel()
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	var mismatch *oidc.IssuerMismatchError
	if errors.As(err, &mismatch) {
		return nil, fmt.Errorf("the OpenID provider at %s calls itself %q: give the issuer URL exactly as its discovery document does",
			cfg.Issuer, mismatch.Discovered)
	}
	if err != nil {
		return nil, fmt.Errorf("read the discovery document of the OpenID provider %s: %w", cfg.Issuer, err)
	}
	var meta providerMetadata
	if err := provider.Claims(&meta); err != nil {
		return nil, fmt.Errorf("read the discovery document of the OpenID provider %s: %w", cfg.Issuer, err)
	}
	for _, e := range []struct{ name, url string }{{"authorization_endpoint", meta.AuthURL},
		{"token_endpoint", meta.TokenURL}, {"jwks_uri", meta.JWKSURL}} {
		if e.url == "" {
			return nil, fmt.Errorf("the OpenID provider %s names no %s in its discovery document", cfg.Issuer, e.name)
		}
		if err := checkProviderURL(e.url); err != nil {
			return nil, fmt.Errorf("the OpenID provider %s gives %s %q, which %v", cfg.Issuer, e.name, e.url, err)
		}
	}
	if len(meta.ResponseTypes) > 0 && !slices.Contains(meta.ResponseTypes, "code") {
		return nil, fmt.Errorf("the OpenID provider %s does not offer the authorization code flow (response_types_supported: %s)",
			cfg.Issuer, strings.Join(meta.ResponseTypes, ", "))
	}
	// Providers that do not list their PKCE methods mostly support S256;
	// one that lists others and not S256 would let the flow run without it.
	if len(meta.PKCEMethods) > 0 && !slices.Contains(meta.PKCEMethods, "S256") {
		return nil, fmt.Errorf("the OpenID provider %s does not offer PKCE with S256 (code_challenge_methods_supported: %s)",
			cfg.Issuer, strings.Join(meta.PKCEMethods, ", "))
	}
	if err := checkJWKS(ctx, client, meta.JWKSURL); err != nil {
		return nil, fmt.Errorf("the OpenID provider %s: %w", cfg.Issuer, err)
	}
	return &OIDC{
		cfg:      cfg,
		issuer:   cfg.Issuer,
		verifier: provider.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: cfg.Now}),
		oauth: &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: provider.Endpoint(),
			RedirectURL: cfg.RedirectURL, Scopes: []string{oidc.ScopeOpenID}},
		client: client,
	}, nil
}

// checkJWKS fetches the provider's keys once at start, so that a wrong
// jwks_uri shows now rather than at the first login. go-oidc fetches them
// again itself, and again when a token names a key it has not seen.
func checkJWKS(ctx context.Context, client *http.Client, jwksURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return fmt.Errorf("jwks_uri %q: %w", jwksURL, err)
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("fetch its keys (jwks_uri): %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch its keys from %s: %s", jwksURL, res.Status)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("read its keys from %s: %w", jwksURL, err)
	}
	if len(set.Keys) == 0 {
		return fmt.Errorf("its key set at %s holds no keys", jwksURL)
	}
	return nil
}

// AMRShowsSecondFactor reports whether an ID token's amr claim (RFC 8176)
// says the provider asked for more than a password: "mfa" itself, or a
// one-time password, hardware key or smart card together with another
// method. SMS and telephone codes alone do not count; nor does an empty
// claim, which most providers send when nothing was asked.
func AMRShowsSecondFactor(amr []string) bool {
	if slices.Contains(amr, "mfa") {
		return true
	}
	strong := false
	distinct := map[string]bool{}
	for _, m := range amr {
		distinct[m] = true
		switch m {
		case "otp", "hwk", "sc":
			strong = true
		}
	}
	return strong && len(distinct) >= 2
}
