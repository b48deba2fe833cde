package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/account/oidctest"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/authz"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/record"
)

// ssoSite is the interface behind access control with single sign-on at
// an OpenID provider running in the test.
type ssoSite struct {
	t        *testing.T
	a        *app.App
	accounts *account.Store
	idp      *oidctest.Provider
	srv      *httptest.Server
	base     string // the site's URL: http://localhost:PORT, another site than the provider's 127.0.0.1
	ctx      context.Context
}

const ssoClientSecret = "the test client's secret"

func newSSOSite(t *testing.T, trustMFA bool) *ssoSite {
	t.Helper()
	s := &ssoSite{t: t, a: app.New(dbtest.SQLite(t)), ctx: record.WithActor(context.Background(), "test:seed")}
	var h http.Handler
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(s.srv.Close)
	s.base = strings.Replace(s.srv.URL, "127.0.0.1", "localhost", 1)
	s.idp = oidctest.Start(t, "dossier", ssoClientSecret)
	o, err := account.DiscoverOIDC(context.Background(), account.OIDCConfig{Issuer: s.idp.Issuer, ClientID: "dossier",
		ClientSecret: ssoClientSecret, RedirectURL: s.base + account.OIDCCallbackPath, DisplayName: "Test IdP", TrustMFA: trustMFA})
	if err != nil {
		t.Fatal(err)
	}
	s.accounts = account.NewStore(s.a.DB, account.Options{InsecureCookies: true, ClientBurst: 1000})
	ui, err := NewGuarded(s.a, Access{Guard: authz.NewGuard(s.a, nil), Accounts: s.accounts, OIDC: o})
	if err != nil {
		t.Fatal(err)
	}
	h = withCSP(s.accounts.Authenticate(ui))
	return s
}

// user adds a user linked to the identity subject.
func (s *ssoSite) user(name string, role account.Role, subject string) *account.User {
	s.t.Helper()
	u, err := s.accounts.AddUser(s.ctx, account.NewUser{Name: name, Role: role, Password: "a long password for " + name})
	if err != nil {
		s.t.Fatal(err)
	}
	if subject != "" {
		if _, err := s.accounts.LinkOIDC(s.ctx, u.ID, s.idp.Issuer, subject); err != nil {
			s.t.Fatal(err)
		}
	}
	return u
}

// client keeps cookies and stops at every redirect.
func (s *ssoSite) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type ssoAnswer struct {
	status int
	header http.Header
	body   string
}

func (s *ssoSite) get(c *http.Client, rawURL string) ssoAnswer {
	s.t.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = s.base + rawURL
	}
	res, err := c.Get(rawURL)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return ssoAnswer{res.StatusCode, res.Header, string(b)}
}

// signIn follows the button to the provider and back, and returns the
// callback's answer.
func (s *ssoSite) signIn(c *http.Client, next string, l oidctest.Login) ssoAnswer {
	s.t.Helper()
	s.idp.SignIn(l)
	begin := s.get(c, "/login/oidc?next="+url.QueryEscape(next))
	if begin.status != http.StatusSeeOther || !strings.HasPrefix(begin.header.Get("Location"), s.idp.Issuer+"/authorize?") {
		s.t.Fatalf("GET /login/oidc: %d %s", begin.status, begin.header.Get("Location"))
	}
	cookie := strings.Join(begin.header.Values("Set-Cookie"), "; ")
	for _, attr := range []string{"dossier_oidc=", "HttpOnly", "SameSite=Lax", "Max-Age=600"} {
		if !strings.Contains(cookie, attr) {
			s.t.Errorf("the sign-in cookie lacks %s: %s", attr, cookie)
		}
	}
	back := s.get(c, begin.header.Get("Location"))
	if back.status != http.StatusFound || !strings.HasPrefix(back.header.Get("Location"), s.base+account.OIDCCallbackPath+"?") {
		s.t.Fatalf("the provider answered %d %s", back.status, back.header.Get("Location"))
	}
	return s.get(c, back.header.Get("Location"))
}

// refresh is where the answer's Refresh header moves on to.
func refresh(a ssoAnswer) string {
	_, target, _ := strings.Cut(a.header.Get("Refresh"), "url=")
	return target
}

// loginError is the error notice of a login page.
func loginError(body string) string {
	_, after, _ := strings.Cut(body, `id="login-error">`)
	msg, _, _ := strings.Cut(after, "<")
	return strings.TrimSpace(msg)
}

func TestLoginOIDC(t *testing.T) {
	s := newSSOSite(t, false)
	ines := s.user("ines", account.Analyst, "ines-at-idp")

	t.Run("the login page offers the provider", func(t *testing.T) {
		page := s.get(s.client(), "/login?next=%2Fincidents")
		if !strings.Contains(page.body, `href="/login/oidc?next=%2fincidents"`) || !strings.Contains(page.body, "Sign in with Test IdP") {
			t.Errorf("no single sign-on button on the login page:\n%s", page.body)
		}
		fr := s.get(s.client(), "/login")
		if fr.status != http.StatusOK {
			t.Fatal(fr.status)
		}
	})

	t.Run("a linked identity logs in and goes where it was headed", func(t *testing.T) {
		c := s.client()
		back := s.signIn(c, "/incidents?status=draft", oidctest.Login{Subject: "ines-at-idp"})
		if back.status != http.StatusOK || refresh(back) != "/incidents?status=draft" {
			t.Fatalf("callback: %d, Refresh %q", back.status, back.header.Get("Refresh"))
		}
		if !strings.Contains(back.body, `id="oidc-continue" href="/incidents?status=draft"`) {
			t.Errorf("the page has no link to go on:\n%s", back.body)
		}
		cookies := strings.Join(back.header.Values("Set-Cookie"), "\n")
		for _, want := range []string{"dossier_session=", "SameSite=Strict", "dossier_oidc=; Path=/; Max-Age=0"} {
			if !strings.Contains(cookies, want) {
				t.Errorf("the callback's cookies lack %q:\n%s", want, cookies)
			}
		}
		if strings.Contains(back.body, "code=") {
			t.Error("the page repeats the callback's code (in its language switch?)")
		}
		page := s.get(c, refresh(back))
		if page.status != http.StatusOK || !strings.Contains(page.body, `action="/logout"`) {
			t.Errorf("after signing in, /incidents: %d, logged in: %v", page.status, strings.Contains(page.body, `action="/logout"`))
		}
		var n int
		if err := s.a.DB.QueryRow(s.ctx, `SELECT COUNT(*) FROM audit_log WHERE kind = 'account' AND subject = $1
			AND entry LIKE '%"action":"login.oidc"%'`, ines.ID).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d single sign-on logins of ines in the audit log (%v), want 1", n, err)
		}
	})

	t.Run("an identity linked to nobody is told to ask an administrator, with its subject", func(t *testing.T) {
		back := s.signIn(s.client(), "", oidctest.Login{Subject: "f3b1c2d4-unlinked"})
		if back.status != http.StatusForbidden {
			t.Errorf("status %d, want 403", back.status)
		}
		if msg := loginError(back.body); !strings.Contains(msg, "This Test IdP identity is not linked to a Dossier account. Ask an administrator") {
			t.Errorf("message %q", msg)
		}
		if !strings.Contains(back.body, `<code dir="ltr" id="login-subject">f3b1c2d4-unlinked</code>`) {
			t.Errorf("the subject is not shown:\n%s", back.body)
		}
		if strings.Contains(back.body, `name="lang" value="ar"`) && strings.Contains(back.body, "/login/oidc/callback") {
			t.Error("the language switch would return to the spent callback")
		}
	})

	t.Run("a callback that does not match the sign-in is refused without going to the provider", func(t *testing.T) {
		c := s.client()
		s.idp.SignIn(oidctest.Login{Subject: "ines-at-idp"})
		begin := s.get(c, "/login/oidc")
		back := s.get(c, begin.header.Get("Location"))
		callback, _ := url.Parse(back.header.Get("Location"))
		q := callback.Query()
		q.Set("state", "forged")
		callback.RawQuery = q.Encode()
		exchanges := s.idp.Exchanges()
		answer := s.get(c, callback.String())
		if answer.status != http.StatusBadRequest || !strings.Contains(loginError(answer.body), "This sign-in has expired, was already used") {
			t.Errorf("forged state: %d %q", answer.status, loginError(answer.body))
		}
		if s.idp.Exchanges() != exchanges {
			t.Error("a forged state reached the token endpoint")
		}
		if answer := s.get(s.client(), back.header.Get("Location")); answer.status != http.StatusBadRequest {
			t.Errorf("the callback in another browser: %d, want 400", answer.status)
		}
	})

	t.Run("a token that fails verification says so without details", func(t *testing.T) {
		back := s.signIn(s.client(), "", oidctest.Login{Subject: "ines-at-idp", Claims: func(c map[string]any) { c["aud"] = "someone-else" }})
		msg := loginError(back.body)
		if back.status != http.StatusUnauthorized || msg != "Signing in with Test IdP failed. Try again; if it keeps failing, tell an administrator." {
			t.Errorf("wrong audience: %d %q", back.status, msg)
		}
		if strings.Contains(back.body, "someone-else") || strings.Contains(back.body, "audience") {
			t.Error("the page tells why the token failed")
		}
	})

	t.Run("the provider's refusal", func(t *testing.T) {
		back := s.signIn(s.client(), "", oidctest.Login{Subject: "ines-at-idp", Deny: true})
		if msg := loginError(back.body); !strings.Contains(msg, "Test IdP did not sign you in (access_denied)") {
			t.Errorf("denied: %d %q", back.status, msg)
		}
	})

	t.Run("a disabled user is refused", func(t *testing.T) {
		if _, err := s.accounts.SetDisabled(s.ctx, ines.ID, true); err != nil {
			t.Fatal(err)
		}
		defer s.accounts.SetDisabled(s.ctx, ines.ID, false)
		back := s.signIn(s.client(), "", oidctest.Login{Subject: "ines-at-idp"})
		if back.status != http.StatusForbidden || !strings.Contains(loginError(back.body), "Your Dossier account is disabled") {
			t.Errorf("disabled: %d %q", back.status, loginError(back.body))
		}
		if strings.Contains(strings.Join(back.header.Values("Set-Cookie"), ";"), "dossier_session=") {
			t.Error("a refused sign-in set a session cookie")
		}
	})

	t.Run("a user who may see identities still gives a TOTP code", func(t *testing.T) {
		u := s.user("amal", account.Investigator, "amal-at-idp")
		enrol, err := s.accounts.EnrolTOTP(s.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.accounts.SetSeeIdentities(s.ctx, u.ID, true); err != nil {
			t.Fatal(err)
		}
		c := s.client()
		back := s.signIn(c, "/survivors", oidctest.Login{Subject: "amal-at-idp", AMR: []string{"pwd", "mfa"}})
		if back.status != http.StatusOK || refresh(back) != "/login/code?next=%2Fsurvivors" {
			t.Fatalf("callback: %d, Refresh %q", back.status, back.header.Get("Refresh"))
		}
		if page := s.get(c, "/survivors"); page.status != http.StatusSeeOther {
			t.Errorf("before the code /survivors answers %d", page.status)
		}
		if page := s.get(c, refresh(back)); page.status != http.StatusOK || !strings.Contains(page.body, `id="login-code"`) {
			t.Fatalf("the code page: %d", page.status)
		}
		code, err := totp.GenerateCode(enrol.Secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.PostForm(s.base+"/login/code", url.Values{"code": {code}, "next": {"/survivors"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/survivors" {
			t.Fatalf("the code: %s %s", res.Status, res.Header.Get("Location"))
		}
		account := s.get(c, "/account")
		if !strings.Contains(account.body, "You may see them in this session") {
			t.Errorf("after the code the session may not see identities:\n%s", account.body)
		}
	})
}

// With the provider's second factor trusted, a token that shows one
// completes the login; one that does not still asks for the code.
func TestLoginOIDCTrustedMFA(t *testing.T) {
	s := newSSOSite(t, true)
	u := s.user("amal", account.Investigator, "amal-at-idp")
	if _, err := s.accounts.EnrolTOTP(s.ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.accounts.SetSeeIdentities(s.ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if back := s.signIn(s.client(), "", oidctest.Login{Subject: "amal-at-idp", AMR: []string{"pwd"}}); !strings.HasPrefix(refresh(back), "/login/code") {
		t.Errorf("a password alone at the provider: on to %q, want the code", refresh(back))
	}
	c := s.client()
	back := s.signIn(c, "", oidctest.Login{Subject: "amal-at-idp", AMR: []string{"pwd", "mfa"}})
	if refresh(back) != "/" {
		t.Fatalf("with the provider's mfa: on to %q", refresh(back))
	}
	if page := s.get(c, "/account"); !strings.Contains(page.body, "You may see them in this session") {
		t.Errorf("the provider's second factor did not count:\n%s", page.body)
	}
}

// Without a provider there is no button, and the routes are not found.
func TestLoginWithoutOIDC(t *testing.T) {
	a := app.New(dbtest.SQLite(t))
	accounts := account.NewStore(a.DB, account.Options{InsecureCookies: true})
	ui, err := NewGuarded(a, Access{Guard: authz.NewGuard(a, nil), Accounts: accounts})
	if err != nil {
		t.Fatal(err)
	}
	h := accounts.Authenticate(ui)
	for _, path := range []string{"/login/oidc", "/login/oidc/callback?state=x&code=y"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, w.Code)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/login", nil))
	if strings.Contains(w.Body.String(), "/login/oidc") {
		t.Error("the login page offers single sign-on without a provider")
	}
}
