package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/account/oidctest"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/record"
)

// site serves a handler to clients that keep their cookies and stop at
// every redirect.
type site struct {
	t   *testing.T
	srv *httptest.Server
}

func newSite(t *testing.T, h http.Handler) *site {
	s := &site{t: t, srv: httptest.NewServer(h)}
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (s *site) do(c *http.Client, method, path string, form url.Values, header ...string) response {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.srv.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept-Language", "en")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (s *site) get(c *http.Client, path string) response { return s.do(c, http.MethodGet, path, nil) }
func (s *site) post(c *http.Client, path string, form url.Values) response {
	return s.do(c, http.MethodPost, path, form)
}

// login logs a new client in with a password.
func (s *site) login(name, password string) *http.Client {
	s.t.Helper()
	c := s.client()
	if r := s.post(c, "/login", url.Values{"name": {name}, "password": {password}}); r.status != http.StatusSeeOther {
		s.t.Fatalf("log in as %s: %d", name, r.status)
	}
	return c
}

func (r response) wantRedirect(t *testing.T, to string) {
	t.Helper()
	if r.status != http.StatusSeeOther || r.header.Get("Location") != to {
		t.Fatalf("%d to %q, want 303 to %q\n%s", r.status, r.header.Get("Location"), to, excerpt(r.body))
	}
}

var otherSession = regexp.MustCompile(`action="/account/sessions/([0-9a-f-]{36})/revoke"`)

// Every user sees their own API tokens and sessions on their account page,
// creates a token no wider than their role (shown once), revokes a token
// once asked, and ends a session left open elsewhere — never another's.
func TestAccountTokensAndSessions(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	h, users := behindLogin(t, e.a)
	s := newSite(t, h)
	analyst := users[account.Analyst]
	here, elsewhere := s.login(analyst.Name, analyst.Password), s.login(analyst.Name, analyst.Password)

	r := s.get(here, "/account")
	r.wantStatus(t, http.StatusOK)
	r.contains(t, `id="session-table"`, "This browser", "You have no token.", `id="create-token"`,
		`<option value="analyst">`, `<option value="advocate">`, `<option value="public">`)
	r.lacks(t, `<option value="investigator">`, `<option value="administrator">`, `<option value="auditor">`)
	if n := strings.Count(r.body, "This browser"); n != 1 {
		t.Errorf("%d sessions marked as this browser", n)
	}
	m := otherSession.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no other session to end:\n%s", excerpt(r.body))
	}
	other := m[1]

	// A token: no wider than the user's role, shown once.
	r = s.post(here, "/account/tokens", url.Values{"token_name": {"my script"}, "token_role": {"investigator"}, "expires_in_days": {"30"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, `id="f-token_role-error"`, "A token cannot have a wider role than its user.", `value="my script"`)
	r = s.post(here, "/account/tokens", url.Values{"token_name": {"my script"}, "token_role": {"advocate"}, "expires_in_days": {"30"}})
	r.wantStatus(t, http.StatusCreated)
	r.contains(t, "Shown only this once", "Anyone holding it acts as you", "my script", "Advocate")
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("the page with the token may be cached: %q", got)
	}
	secret := shownSecret(t, r)
	p, err := e.a.Accounts.AuthenticateToken(e.ctx, secret)
	if err != nil || p.User.Name != analyst.Name || p.Role != account.Advocate || p.Can(account.ReadRecords) {
		t.Fatalf("the token shown: %+v, %v", p, err)
	}
	r = s.get(here, "/account")
	r.contains(t, `id="token-table"`, "my script", "Active")
	r.lacks(t, secret[len(account.TokenPrefix):])

	// A request made with a token may not mint another.
	r = s.do(s.client(), http.MethodPost, "/account/tokens", url.Values{"token_name": {"successor"}}, "Authorization", "Bearer "+secret)
	r.wantStatus(t, http.StatusForbidden)

	// Revoking asks first; another's token is not found.
	tokens, err := e.a.Accounts.Tokens(e.ctx, p.User.ID)
	if err != nil || len(tokens) != 1 {
		t.Fatalf("tokens %+v, %v", tokens, err)
	}
	revoke := "/account/tokens/" + tokens[0].ID + "/revoke"
	r = s.post(here, revoke, url.Values{})
	r.wantStatus(t, http.StatusOK)
	r.contains(t, "Revoke the token “my script”?", `<a class="button" href="/account#tokens" id="confirm-cancel">`)
	if _, err := e.a.Accounts.AuthenticateToken(e.ctx, secret); err != nil {
		t.Fatal("the question revoked the token")
	}
	s.post(here, revoke, url.Values{"confirm": {"yes"}}).wantRedirect(t, "/account#tokens")
	if _, err := e.a.Accounts.AuthenticateToken(e.ctx, secret); err == nil {
		t.Error("the revoked token still works")
	}
	auditor, err := e.a.Accounts.UserByName(e.ctx, users[account.Auditor].Name)
	e.must(err)
	_, theirs, err := e.a.Accounts.CreateToken(e.ctx, auditor.ID, "", "theirs", time.Hour)
	e.must(err)
	s.post(here, "/account/tokens/"+theirs.ID+"/revoke", url.Values{"confirm": {"yes"}}).wantStatus(t, http.StatusNotFound)

	// Ending the session left open elsewhere logs that browser out.
	theirLogin, err := e.a.Accounts.Login(e.ctx, auditor.Name, users[account.Auditor].Password, "192.0.2.3")
	e.must(err)
	s.post(here, "/account/sessions/"+theirLogin.Session.ID+"/revoke", url.Values{}).wantStatus(t, http.StatusNotFound)
	s.post(here, "/account/sessions/"+other+"/revoke", url.Values{}).wantRedirect(t, "/account#sessions")
	s.get(elsewhere, "/account").wantRedirect(t, "/login?next=%2Faccount")
	r = s.get(here, "/account")
	r.contains(t, "The session has ended.")
	r.lacks(t, `action="/account/sessions/`)
	if n := countAudit(t, e, "token.create"); n != 2 {
		t.Errorf("%d token.create entries, want 2", n)
	}
}

// A user whose password was generated for them may do nothing but choose
// their own: every page sends them to the form, which then returns them
// where they were going.
func TestPasswordChangeDue(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	h, _ := behindLogin(t, e.a)
	s := newSite(t, h)
	ctx := record.WithActor(context.Background(), "cli:test")
	generated := account.GeneratePassword()
	u, err := e.a.Accounts.AddUser(ctx, account.NewUser{Name: "kofi", Role: account.Analyst, Password: generated, MustChangePassword: true})
	e.must(err)
	c := s.login("kofi", generated)

	s.get(c, "/").wantRedirect(t, "/account/password")
	s.get(c, "/incidents?status=draft").wantRedirect(t, "/account/password?next=%2Fincidents%3Fstatus%3Ddraft")
	s.get(c, "/account").wantRedirect(t, "/account/password?next=%2Faccount")
	r := s.post(c, "/account/tokens", url.Values{"token_name": {"a way around"}})
	r.wantStatus(t, http.StatusForbidden)
	r.contains(t, `id="password-form"`)
	if tokens, _ := e.a.Accounts.Tokens(ctx, u.ID); len(tokens) != 0 {
		t.Error("a token was made before the password change")
	}

	r = s.get(c, "/account/password?next=%2Fincidents")
	r.wantStatus(t, http.StatusOK)
	r.contains(t, "Choose your own password", "Your password was generated by an administrator", `id="f-current_password"`,
		`name="next" value="/incidents"`)
	r.lacks(t, `href="/incidents"`, `href="/statistics"`)

	for _, c2 := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"current_password": {generated}, "password": {"my own long password"}, "password_repeat": {"my own long passwort"}},
			"The two new passwords are not the same."},
		{url.Values{"current_password": {"not it at all"}, "password": {"my own long password"}, "password_repeat": {"my own long password"}},
			"This is not your current password."},
		{url.Values{"current_password": {generated}, "password": {"short"}, "password_repeat": {"short"}},
			"A password needs at least 12 characters."},
		{url.Values{"current_password": {generated}, "password": {generated}, "password_repeat": {generated}},
			"Choose a password other than the current one."},
	} {
		r = s.post(c, "/account/password", c2.form)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.contains(t, `id="error-summary"`, c2.want)
		r.lacks(t, generated)
	}
	s.post(c, "/account/password", url.Values{"current_password": {generated}, "password": {"my own long password"},
		"password_repeat": {"my own long password"}, "next": {"/incidents"}}).wantRedirect(t, "/incidents")
	r = s.get(c, "/incidents")
	r.wantStatus(t, http.StatusOK)
	r.contains(t, "Your password was changed")
	if got, _ := e.a.Accounts.User(ctx, u.ID); got.MustChangePassword {
		t.Error("the change is still due")
	}
	if n := countAudit(t, e, "password.change"); n != 1 {
		t.Errorf("%d password.change entries, want 1", n)
	}

	// Later changes are the user's choice, from the account page.
	r = s.get(c, "/account")
	r.contains(t, `href="/account/password"`)
	r = s.get(c, "/account/password")
	r.contains(t, "Change your password", `href="/account"`)
	r.lacks(t, "Your password was generated")
	s.post(c, "/account/password", url.Values{"password": {"yet another password"}, "password_repeat": {"yet another password"}}).
		wantStatus(t, http.StatusUnprocessableEntity)
}

// Signed in through single sign-on, a user who must replace a generated
// password is not asked for it: they may never have been given it.
func TestPasswordChangeDueAfterSingleSignOn(t *testing.T) {
	s := newSSOSite(t, false)
	u, err := s.accounts.AddUser(s.ctx, account.NewUser{Name: "ines", Role: account.Analyst, Password: account.GeneratePassword(),
		MustChangePassword: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.accounts.LinkOIDC(s.ctx, u.ID, s.idp.Issuer, "ines-at-idp"); err != nil {
		t.Fatal(err)
	}
	c := s.client()
	back := s.signIn(c, "/statistics", oidctest.Login{Subject: "ines-at-idp"})
	page := s.get(c, refresh(back))
	if page.status != http.StatusSeeOther || page.header.Get("Location") != "/account/password?next=%2Fstatistics" {
		t.Fatalf("after signing in: %d %s", page.status, page.header.Get("Location"))
	}
	page = s.get(c, page.header.Get("Location"))
	if !strings.Contains(page.body, "You signed in through single sign-on") || strings.Contains(page.body, `id="f-current_password"`) {
		t.Errorf("the form asks for the generated password:\n%s", page.body)
	}
	res, err := c.PostForm(s.base+"/account/password", url.Values{"password": {"my own long password"},
		"password_repeat": {"my own long password"}, "next": {"/statistics"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/statistics" {
		t.Fatalf("the change: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if page := s.get(c, "/statistics"); page.status != http.StatusOK {
		t.Errorf("after the change, /statistics: %d", page.status)
	}
	if _, err := s.accounts.Login(s.ctx, "ines", "my own long password", "192.0.2.1"); err != nil {
		t.Errorf("the new password does not log in: %v", err)
	}
}
