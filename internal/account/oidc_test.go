package account

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/account/oidctest"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/record"
)

const (
	testClientID     = "dossier-test"
	testClientSecret = "a client secret for the test"
	testRedirect     = "https://dossier.example.org/login/oidc/callback"
	testClientIP     = "192.0.2.10"
)

// oidcFixture is a store and a provider that signs its users in.
type oidcFixture struct {
	*fixture
	idp  *oidctest.Provider
	oidc *OIDC
}

func newOIDCFixture(t *testing.T, d *db.DB, opts Options, trustMFA bool) *oidcFixture {
	t.Helper()
	f := &oidcFixture{fixture: newFixture(t, d, opts), idp: oidctest.Start(t, testClientID, testClientSecret)}
	var err error
	f.oidc, err = DiscoverOIDC(context.Background(), OIDCConfig{Issuer: f.idp.Issuer, ClientID: testClientID,
		ClientSecret: testClientSecret, RedirectURL: testRedirect, DisplayName: "Test IdP", TrustMFA: trustMFA})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// flow is one sign-in: the provider's redirect back and the cookie the
// browser holds.
type flow struct {
	callback string
	cookie   *http.Cookie
}

// begin starts a sign-in and lets the provider answer it as l says.
func (f *oidcFixture) begin(t *testing.T, l oidctest.Login) flow {
	t.Helper()
	f.idp.SignIn(l)
	authURL, cookie, err := f.BeginOIDC(f.ctx, f.oidc, "/incidents", testClientIP)
	if err != nil {
		t.Fatal(err)
	}
	if cookie.SameSite != http.SameSiteLaxMode || !cookie.HttpOnly || !cookie.Secure || !strings.HasPrefix(cookie.Name, "__Host-") {
		t.Errorf("sign-in cookie %+v: want __Host-, Secure, HttpOnly, SameSite=Lax", cookie)
	}
	u, _ := url.Parse(authURL)
	q := u.Query()
	for _, p := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(p) == "" {
			t.Errorf("the authorization request has no %s: %s", p, authURL)
		}
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("scope") != "openid" || q.Get("redirect_uri") != testRedirect {
		t.Errorf("authorization request %s", authURL)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(loc, testRedirect+"?") {
		t.Fatalf("the provider answered %s, %q", res.Status, loc)
	}
	return flow{callback: loc, cookie: cookie}
}

// complete brings the browser back with the callback URL.
func (f *oidcFixture) complete(fl flow) (*LoginResult, string, error) {
	r := httptest.NewRequest(http.MethodGet, fl.callback, nil)
	if fl.cookie != nil {
		r.AddCookie(fl.cookie)
	}
	return f.CompleteOIDC(f.ctx, f.oidc, r, testClientIP)
}

func (f *oidcFixture) signIn(t *testing.T, l oidctest.Login) (*LoginResult, string, error) {
	t.Helper()
	return f.complete(f.begin(t, l))
}

func withState(callback, state string) string {
	u, _ := url.Parse(callback)
	q := u.Query()
	q.Set("state", state)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestOIDCLogin(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		// The test's clock stands still: the client's rate limit must not
		// refill to let its many sign-ins through.
		f := newOIDCFixture(t, d, Options{ClientBurst: 1000}, false)
		ines := f.addUser(t, "ines", Investigator)
		if _, err := f.LinkOIDC(f.ctx, ines.ID, f.idp.Issuer, "ines-at-idp"); err != nil {
			t.Fatal(err)
		}

		t.Run("a linked identity logs in as its user", func(t *testing.T) {
			res, next, err := f.signIn(t, oidctest.Login{Subject: "ines-at-idp", AMR: []string{"pwd"}})
			if err != nil {
				t.Fatal(err)
			}
			if res.User.ID != ines.ID || res.NeedsSecondFactor() || res.Session.SecondFactor || next != "/incidents" {
				t.Errorf("logged in as %s, pending %v, second factor %v, next %q", res.User.Name, res.NeedsSecondFactor(),
					res.Session.SecondFactor, next)
			}
			sess, u, err := f.Session(f.ctx, res.Token)
			if err != nil || u.ID != ines.ID || sess.ID != res.Session.ID {
				t.Fatalf("the session does not work: %v", err)
			}
			ids, err := f.OIDCIdentities(f.ctx, ines.ID)
			if err != nil || len(ids) != 1 || ids[0].LastLoginAt.IsZero() {
				t.Errorf("identities after login: %+v, %v", ids, err)
			}
			if f.countActions(t, OIDCLogin) != 1 || f.countActions(t, SessionCreated) != 1 {
				t.Errorf("audit log: %v", f.auditEntries(t))
			}
		})

		t.Run("an identity linked to nobody is refused, naming its subject", func(t *testing.T) {
			_, _, err := f.signIn(t, oidctest.Login{Subject: "stranger-42"})
			var notLinked *OIDCNotLinkedError
			if !errors.As(err, &notLinked) || notLinked.Subject != "stranger-42" || notLinked.Issuer != f.idp.Issuer {
				t.Fatalf("err = %v, want an OIDCNotLinkedError for stranger-42", err)
			}
			if f.countActions(t, OIDCRefused) != 1 {
				t.Errorf("the refusal is not in the audit log")
			}
		})

		t.Run("the same identity at another issuer is another identity", func(t *testing.T) {
			other := oidctest.Start(t, testClientID, testClientSecret)
			o, err := DiscoverOIDC(context.Background(), OIDCConfig{Issuer: other.Issuer, ClientID: testClientID,
				ClientSecret: testClientSecret, RedirectURL: testRedirect})
			if err != nil {
				t.Fatal(err)
			}
			g := &oidcFixture{fixture: f.fixture, idp: other, oidc: o}
			var notLinked *OIDCNotLinkedError
			if _, _, err := g.signIn(t, oidctest.Login{Subject: "ines-at-idp"}); !errors.As(err, &notLinked) {
				t.Errorf("ines-at-idp of another issuer: %v, want not linked", err)
			}
		})

		exchanges := f.idp.Exchanges()
		stale := []struct {
			name string
			fl   func(fl flow) flow
		}{
			{"without the sign-in cookie", func(fl flow) flow { fl.cookie = nil; return fl }},
			{"with another state", func(fl flow) flow { fl.callback = withState(fl.callback, "AAAA"); return fl }},
			{"with another browser's state", func(fl flow) flow {
				other := f.begin(t, oidctest.Login{Subject: "ines-at-idp"})
				fl.cookie = other.cookie
				return fl
			}},
		}
		for _, c := range stale {
			t.Run("a callback "+c.name+" is refused", func(t *testing.T) {
				_, _, err := f.complete(c.fl(f.begin(t, oidctest.Login{Subject: "ines-at-idp"})))
				if !errors.Is(err, ErrOIDCStale) {
					t.Errorf("err = %v, want ErrOIDCStale", err)
				}
			})
		}
		if n := f.idp.Exchanges(); n != exchanges {
			t.Errorf("refused callbacks reached the token endpoint %d times", n-exchanges)
		}

		t.Run("a callback is accepted once", func(t *testing.T) {
			fl := f.begin(t, oidctest.Login{Subject: "ines-at-idp"})
			if _, _, err := f.complete(fl); err != nil {
				t.Fatal(err)
			}
			if _, _, err := f.complete(fl); !errors.Is(err, ErrOIDCStale) {
				t.Errorf("the same callback again: %v, want ErrOIDCStale", err)
			}
		})

		t.Run("a code replayed into another sign-in is refused", func(t *testing.T) {
			stolen := f.begin(t, oidctest.Login{Subject: "ines-at-idp"})
			if _, _, err := f.complete(stolen); err != nil {
				t.Fatal(err)
			}
			// The attacker starts a sign-in of their own and brings the
			// used code to it: the provider refuses the code.
			mine := f.begin(t, oidctest.Login{Subject: "ines-at-idp"})
			u, _ := url.Parse(mine.callback)
			code := mustQuery(t, stolen.callback, "code")
			q := u.Query()
			q.Set("code", code)
			u.RawQuery = q.Encode()
			mine.callback = u.String()
			if _, _, err := f.complete(mine); !errors.Is(err, ErrOIDCFailed) {
				t.Errorf("replayed code: %v, want ErrOIDCFailed", err)
			}
		})

		t.Run("a code taken to another sign-in without its verifier is refused", func(t *testing.T) {
			// A code intercepted before use, brought to the attacker's own
			// sign-in: PKCE makes it worthless without the victim's verifier.
			victim := f.begin(t, oidctest.Login{Subject: "ines-at-idp"})
			mine := f.begin(t, oidctest.Login{Subject: "someone"})
			u, _ := url.Parse(mine.callback)
			q := u.Query()
			q.Set("code", mustQuery(t, victim.callback, "code"))
			u.RawQuery = q.Encode()
			mine.callback = u.String()
			if _, _, err := f.complete(mine); !errors.Is(err, ErrOIDCFailed) {
				t.Errorf("intercepted code: %v, want ErrOIDCFailed", err)
			}
		})

		failed := f.countActions(t, OIDCFailed)
		for _, c := range []struct {
			name  string
			login oidctest.Login
		}{
			{"wrong nonce", oidctest.Login{Subject: "ines-at-idp", Claims: func(c map[string]any) { c["nonce"] = "not-this-one" }}},
			{"no nonce", oidctest.Login{Subject: "ines-at-idp", Claims: func(c map[string]any) { delete(c, "nonce") }}},
			{"wrong audience", oidctest.Login{Subject: "ines-at-idp", Claims: func(c map[string]any) { c["aud"] = "another-client" }}},
			{"several audiences, another authorized party", oidctest.Login{Subject: "ines-at-idp", Claims: func(c map[string]any) {
				c["aud"] = []string{testClientID, "another-client"}
				c["azp"] = "another-client"
			}}},
			{"expired", oidctest.Login{Subject: "ines-at-idp", Claims: func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }}},
			{"wrong issuer", oidctest.Login{Subject: "ines-at-idp", Claims: func(c map[string]any) { c["iss"] = "https://idp.evil.example" }}},
			{"signed with another key", oidctest.Login{Subject: "ines-at-idp", ForeignKey: true}},
			{"no subject", oidctest.Login{Subject: ""}},
		} {
			t.Run("an ID token with "+c.name+" is refused", func(t *testing.T) {
				res, _, err := f.signIn(t, c.login)
				if !errors.Is(err, ErrOIDCFailed) || res != nil {
					t.Errorf("err = %v, want ErrOIDCFailed", err)
				}
			})
		}
		if got := f.countActions(t, OIDCFailed) - failed; got != 8 {
			t.Errorf("%d failed sign-ins in the audit log, want 8", got)
		}

		t.Run("several audiences with this client as authorized party pass", func(t *testing.T) {
			_, _, err := f.signIn(t, oidctest.Login{Subject: "ines-at-idp", Claims: func(c map[string]any) {
				c["aud"] = []string{testClientID, "another-client"}
				c["azp"] = testClientID
			}})
			if err != nil {
				t.Error(err)
			}
		})

		t.Run("the provider's refusal is passed on", func(t *testing.T) {
			_, _, err := f.signIn(t, oidctest.Login{Subject: "ines-at-idp", Deny: true})
			var denied *OIDCDeniedError
			if !errors.As(err, &denied) || denied.Code != "access_denied" {
				t.Errorf("err = %v, want access_denied", err)
			}
		})

		t.Run("a sign-in left at the provider too long expires", func(t *testing.T) {
			fl := f.begin(t, oidctest.Login{Subject: "ines-at-idp"})
			f.clock.Advance(oidcLoginTimeout + time.Second)
			if _, _, err := f.complete(fl); !errors.Is(err, ErrOIDCStale) {
				t.Errorf("err = %v, want ErrOIDCStale", err)
			}
		})

		t.Run("a disabled or locked user is refused", func(t *testing.T) {
			if _, err := f.SetDisabled(f.ctx, ines.ID, true); err != nil {
				t.Fatal(err)
			}
			refused := f.countActions(t, OIDCRefused)
			if _, _, err := f.signIn(t, oidctest.Login{Subject: "ines-at-idp"}); !errors.Is(err, ErrInvalidCredentials) {
				t.Errorf("disabled: %v, want ErrInvalidCredentials", err)
			}
			if _, err := f.SetDisabled(f.ctx, ines.ID, false); err != nil {
				t.Fatal(err)
			}
			for range 10 {
				if _, err := f.Login(f.ctx, "ines", "not the password", "198.51.100.7"); !errors.Is(err, ErrInvalidCredentials) {
					t.Fatal(err)
				}
				f.clock.Advance(10 * time.Second) // within the per-account rate
			}
			if u, _ := f.User(f.ctx, ines.ID); !u.Locked(f.clock.Now()) {
				t.Fatal("ten wrong passwords did not lock the account")
			}
			if _, _, err := f.signIn(t, oidctest.Login{Subject: "ines-at-idp"}); !errors.Is(err, ErrInvalidCredentials) {
				t.Errorf("locked: %v, want ErrInvalidCredentials", err)
			}
			if got := f.countActions(t, OIDCRefused) - refused; got != 2 {
				t.Errorf("%d refusals in the audit log, want 2", got)
			}
		})
	})
}

func mustQuery(t *testing.T, rawURL, name string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Query().Get(name) == "" {
		t.Fatalf("%s has no %s", rawURL, name)
	}
	return u.Query().Get(name)
}

// TOTP after single sign-on: asked as after a password, unless the
// operator trusts the provider's second factor and the token shows one.
func TestOIDCSecondFactor(t *testing.T) {
	for _, c := range []struct {
		name        string
		trust       bool
		amr         []string
		wantPending bool
	}{
		{"not trusting the provider, with its mfa", false, []string{"pwd", "mfa"}, true},
		{"trusting the provider, without a second factor", true, []string{"pwd"}, true},
		{"trusting the provider, without amr", true, nil, true},
		{"trusting the provider, with mfa", true, []string{"pwd", "mfa"}, false},
		{"trusting the provider, with a password and an OTP", true, []string{"pwd", "otp"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newOIDCFixture(t, dbtest.SQLite(t), Options{}, c.trust)
			u := f.addUser(t, "sami", SEAFocalPoint)
			enrol, err := f.EnrolTOTP(f.ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.SetSeeIdentities(f.ctx, u.ID, true); err != nil {
				t.Fatal(err)
			}
			if _, err := f.LinkOIDC(f.ctx, u.ID, f.idp.Issuer, "sami"); err != nil {
				t.Fatal(err)
			}
			res, _, err := f.signIn(t, oidctest.Login{Subject: "sami", AMR: c.amr})
			if err != nil {
				t.Fatal(err)
			}
			if res.NeedsSecondFactor() != c.wantPending {
				t.Fatalf("pending = %v, want %v", res.NeedsSecondFactor(), c.wantPending)
			}
			if c.wantPending {
				// Nothing until the code; then a session that may see identities.
				if _, _, err := f.Session(f.ctx, res.Token); !errors.Is(err, ErrSessionExpired) {
					t.Errorf("the pending session works: %v", err)
				}
				if res, err = f.LoginSecondFactor(f.ctx, res.Token, code(t, enrol.Secret, f.clock.Now()), testClientIP); err != nil {
					t.Fatal(err)
				}
			}
			sess, user, err := f.Session(f.ctx, res.Token)
			if err != nil {
				t.Fatal(err)
			}
			p, err := f.principal(f.ctx, user, user.Role, sess.SecondFactor)
			if err != nil {
				t.Fatal(err)
			}
			if !p.SeeIdentities {
				t.Error("after the second factor the session may not see identities")
			}
		})
	}
}

func TestOIDCRateLimit(t *testing.T) {
	f := newOIDCFixture(t, dbtest.SQLite(t), Options{ClientBurst: 3}, false)
	for i := range 3 {
		if _, _, err := f.BeginOIDC(f.ctx, f.oidc, "", testClientIP); err != nil {
			t.Fatalf("sign-in %d: %v", i+1, err)
		}
	}
	var throttled *ThrottledError
	if _, _, err := f.BeginOIDC(f.ctx, f.oidc, "", testClientIP); !errors.As(err, &throttled) || throttled.RetryAfter <= 0 {
		t.Errorf("a fourth sign-in at once: %v, want throttled", err)
	}
	r := httptest.NewRequest(http.MethodGet, testRedirect+"?state=x&code=y", nil)
	if _, _, err := f.CompleteOIDC(f.ctx, f.oidc, r, testClientIP); !errors.As(err, &throttled) {
		t.Errorf("a callback from the same client: %v, want throttled", err)
	}
	if _, _, err := f.BeginOIDC(f.ctx, f.oidc, "", "203.0.113.5"); err != nil {
		t.Errorf("another client: %v", err)
	}
}

func TestOIDCLinks(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, Options{})
		ines, omar := f.addUser(t, "ines", Investigator), f.addUser(t, "omar", Analyst)
		const issuer, other = "https://login.example.org/realms/ngo", "https://accounts.example.com"

		id, err := f.LinkOIDC(f.ctx, ines.ID, " "+issuer+" ", " 248289761001 ")
		if err != nil {
			t.Fatal(err)
		}
		if id.Issuer != issuer || id.Subject != "248289761001" || id.LinkedBy != "cli:test" || id.LinkedAt.IsZero() {
			t.Errorf("linked %+v", id)
		}
		if _, err := f.LinkOIDC(f.ctx, ines.ID, other, "248289761001"); err != nil {
			t.Fatalf("the same subject at another issuer: %v", err)
		}
		// One identity, one user.
		_, err = f.LinkOIDC(f.ctx, omar.ID, issuer, "248289761001")
		if errs, ok := record.AsErrors(err); !ok || errs.For("oidc_subject") == nil || errs.For("oidc_subject").Code != "taken" ||
			!strings.Contains(err.Error(), "already linked to ines") {
			t.Errorf("linking a linked identity again: %v", err)
		}
		for _, c := range []struct{ issuer, subject, field string }{
			{"", "x", "oidc_issuer"},
			{"login.example.org", "x", "oidc_issuer"},
			{"http://login.example.org", "x", "oidc_issuer"},
			{issuer, "", "oidc_subject"},
			{issuer, strings.Repeat("x", 256), "oidc_subject"},
			{issuer, "naïve", "oidc_subject"},
		} {
			_, err := f.LinkOIDC(f.ctx, omar.ID, c.issuer, c.subject)
			if errs, ok := record.AsErrors(err); !ok || errs.For(c.field) == nil {
				t.Errorf("LinkOIDC(%q, %q) = %v, want an error on %s", c.issuer, c.subject, err, c.field)
			}
		}
		if _, err := f.LinkOIDC(f.ctx, "no-such-user", issuer, "y"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("linking to no user: %v", err)
		}
		if _, err := f.LinkOIDC(f.ctx, omar.ID, "http://127.0.0.1:5556/dex", "CiQwOGE4Njg0Yi1kYjg4"); err != nil {
			t.Errorf("a provider on this computer over http: %v", err)
		}

		all, err := f.OIDCIdentities(f.ctx, "")
		if err != nil || len(all) != 3 {
			t.Fatalf("all identities: %+v, %v", all, err)
		}
		mine, _ := f.OIDCIdentities(f.ctx, ines.ID)
		if len(mine) != 2 || mine[0].Issuer != other || mine[1].Issuer != issuer {
			t.Errorf("ines's identities: %+v", mine)
		}

		// Unlinking ends the user's sessions.
		login, err := f.Login(f.ctx, "ines", testPassword, testClientIP)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := f.UnlinkOIDC(f.ctx, ines.ID, other, ""); err != nil || n != 1 {
			t.Errorf("unlink at one issuer: %d, %v", n, err)
		}
		if _, _, err := f.Session(f.ctx, login.Token); !errors.Is(err, ErrSessionExpired) {
			t.Errorf("a session outlived the unlinking: %v", err)
		}
		if _, err := f.UnlinkOIDC(f.ctx, ines.ID, other, ""); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("unlinking nothing: %v", err)
		}
		if _, err := f.UnlinkOIDC(f.ctx, ines.ID, "", "not-hers"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("unlinking another subject: %v", err)
		}
		if n, err := f.UnlinkOIDC(f.ctx, ines.ID, "", ""); err != nil || n != 1 {
			t.Errorf("unlink all: %d, %v", n, err)
		}
		// Now the identity is free for another user.
		if _, err := f.LinkOIDC(f.ctx, omar.ID, issuer, "248289761001"); err != nil {
			t.Errorf("relinking a freed identity: %v", err)
		}
		if f.countActions(t, OIDCLinked) != 4 || f.countActions(t, OIDCUnlinked) != 2 {
			t.Errorf("audit log: %d links, %d unlinks", f.countActions(t, OIDCLinked), f.countActions(t, OIDCUnlinked))
		}
		for _, e := range f.auditEntries(t) {
			if strings.Contains(e, "248289761001") {
				t.Errorf("the audit log holds a subject in clear: %s", e)
			}
		}
	})
}

func TestAMRShowsSecondFactor(t *testing.T) {
	for _, c := range []struct {
		amr  []string
		want bool
	}{
		{nil, false},
		{[]string{"pwd"}, false},
		{[]string{"mfa"}, true},
		{[]string{"pwd", "mfa"}, true},
		{[]string{"pwd", "otp"}, true},
		{[]string{"hwk", "pin"}, true},
		{[]string{"otp"}, false},
		{[]string{"otp", "otp"}, false},
		{[]string{"pwd", "sms"}, false},
		{[]string{"pwd", "kba"}, false},
	} {
		if got := AMRShowsSecondFactor(c.amr); got != c.want {
			t.Errorf("AMRShowsSecondFactor(%q) = %v, want %v", c.amr, got, c.want)
		}
	}
}

func TestDiscoverOIDC(t *testing.T) {
	idp := oidctest.Start(t, testClientID, testClientSecret)
	good := OIDCConfig{Issuer: idp.Issuer, ClientID: testClientID, ClientSecret: testClientSecret, RedirectURL: testRedirect}
	o, err := DiscoverOIDC(context.Background(), good)
	if err != nil {
		t.Fatal(err)
	}
	if o.Issuer() != idp.Issuer || o.DisplayName() != "127.0.0.1" || o.TrustsMFA() {
		t.Errorf("discovered %q, named %q, trusting MFA %v", o.Issuer(), o.DisplayName(), o.TrustsMFA())
	}

	for _, c := range []struct {
		name   string
		change func(*OIDCConfig)
		fields []string
	}{
		{"nothing", func(c *OIDCConfig) { *c = OIDCConfig{} }, []string{"issuer", "client_id", "client_secret", "redirect_url"}},
		{"plain http to the network", func(c *OIDCConfig) { c.Issuer = "http://login.example.org" }, []string{"issuer"}},
		{"a redirect URL elsewhere", func(c *OIDCConfig) { c.RedirectURL = "https://dossier.example.org/callback" }, []string{"redirect_url"}},
		{"a redirect URL over http", func(c *OIDCConfig) { c.RedirectURL = "http://dossier.example.org/login/oidc/callback" }, []string{"redirect_url"}},
		{"a long name", func(c *OIDCConfig) { c.DisplayName = strings.Repeat("n", 61) }, []string{"display_name"}},
	} {
		cfg := good
		c.change(&cfg)
		_, err := DiscoverOIDC(context.Background(), cfg)
		errs, ok := record.AsErrors(err)
		if !ok {
			t.Errorf("%s: %v, want field errors", c.name, err)
			continue
		}
		for _, field := range c.fields {
			if errs.For(field) == nil {
				t.Errorf("%s: no error on %s in %v", c.name, field, err)
			}
		}
	}

	mismatch := good
	mismatch.Issuer += "/"
	if _, err := DiscoverOIDC(context.Background(), mismatch); err == nil || !strings.Contains(err.Error(), "calls itself") {
		t.Errorf("an issuer written otherwise: %v", err)
	}

	// A provider that lists PKCE methods without S256, one without keys.
	for _, c := range []struct {
		name, discovery, jwks, want string
	}{
		{"no S256", `"code_challenge_methods_supported": ["plain"]`, `{"keys": [{}]}`, "does not offer PKCE with S256"},
		{"no keys", `"code_challenge_methods_supported": ["S256"]`, `{"keys": []}`, "holds no keys"},
		{"implicit flow only", `"response_types_supported": ["id_token"]`, `{"keys": [{}]}`, "authorization code flow"},
	} {
		var srv *httptest.Server
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if r.URL.Path == "/jwks" {
				w.Write([]byte(c.jwks))
				return
			}
			w.Write([]byte(`{"issuer": "` + srv.URL + `", "authorization_endpoint": "` + srv.URL + `/authorize",
				"token_endpoint": "` + srv.URL + `/token", "jwks_uri": "` + srv.URL + `/jwks", ` + c.discovery + `}`))
		}))
		cfg := good
		cfg.Issuer = srv.URL
		if _, err := DiscoverOIDC(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		srv.Close()
	}

	idp.Close()
	if _, err := DiscoverOIDC(context.Background(), good); err == nil || !strings.Contains(err.Error(), "read the discovery document of the OpenID provider") {
		t.Errorf("an unreachable provider: %v", err)
	}
}
