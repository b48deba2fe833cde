package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/server"
)

// Logging in through the pages: the same answer for a wrong password and
// an unknown name, the second factor, going back where one was headed but
// never off the site, and logging out for good.
func TestLoginFlow(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t), server.Options{})
	s.user("admin", account.Administrator)
	darfur := s.newCase("Darfur 2023")
	_, password := s.user("ines", account.Investigator, darfur)

	t.Run("wrong password and unknown name look alike", func(t *testing.T) {
		c := s.browser()
		wrong := s.do(c, "POST", "/login", strings.NewReader(url.Values{"name": {"ines"}, "password": {"not her password at all"}}.Encode()),
			"Content-Type", "application/x-www-form-urlencoded")
		unknown := s.do(c, "POST", "/login", strings.NewReader(url.Values{"name": {"nobody-here"}, "password": {"not her password at all"}}.Encode()),
			"Content-Type", "application/x-www-form-urlencoded")
		if wrong.status != http.StatusUnauthorized || unknown.status != http.StatusUnauthorized {
			t.Fatalf("statuses %d and %d, want 401", wrong.status, unknown.status)
		}
		message := func(b []byte) string {
			_, after, _ := strings.Cut(string(b), `id="login-error">`)
			msg, _, _ := strings.Cut(after, "<")
			return msg
		}
		if message(wrong.body) == "" || message(wrong.body) != message(unknown.body) {
			t.Errorf("the answers differ: %q and %q", message(wrong.body), message(unknown.body))
		}
		for _, cookie := range []string{"dossier_session", "__Host-dossier_session"} {
			if strings.Contains(strings.Join(wrong.header.Values("Set-Cookie"), ";"), cookie) {
				t.Errorf("a failed login set %s", cookie)
			}
		}
	})

	t.Run("back to the page asked for, never off the site", func(t *testing.T) {
		c := s.browser()
		r := s.do(c, "GET", "/incidents?status=draft", nil)
		next, _ := url.Parse(r.header.Get("Location"))
		if next.Path != "/login" || next.Query().Get("next") != "/incidents?status=draft" {
			t.Fatalf("not sent to log in: %d %s", r.status, r.header.Get("Location"))
		}
		res := s.postForm(c, "/login", url.Values{"name": {"INES "}, "password": {password}, "next": {next.Query().Get("next")}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/incidents?status=draft" {
			t.Errorf("after login: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		cookie := strings.Join(res.Header.Values("Set-Cookie"), "; ")
		for _, attr := range []string{"dossier_session=", "HttpOnly", "SameSite=Strict", "Path=/"} {
			if !strings.Contains(cookie, attr) {
				t.Errorf("session cookie lacks %s: %s", attr, cookie)
			}
		}
		if r := s.do(c, "GET", "/incidents", nil); r.status != http.StatusOK || !strings.Contains(string(r.body), `action="/logout"`) {
			t.Errorf("logged in, /incidents: %d, account menu shown: %v", r.status, strings.Contains(string(r.body), `action="/logout"`))
		}
		other := s.browser()
		res = s.postForm(other, "/login", url.Values{"name": {"ines"}, "password": {password}, "next": {"//evil.example/steal"}})
		if res.Header.Get("Location") != "/" {
			t.Errorf("an off-site next was followed: %s", res.Header.Get("Location"))
		}
	})

	t.Run("a role's page offers only its sections", func(t *testing.T) {
		c := s.browser()
		s.login(c, "admin", "correct horse battery admin")
		r := s.do(c, "GET", "/account", nil)
		body := string(r.body)
		if r.status != http.StatusOK || strings.Contains(body, `href="/incidents"`) || !strings.Contains(body, `href="/log"`) {
			t.Errorf("the administrator's page: %d, incidents offered: %v", r.status, strings.Contains(body, `href="/incidents"`))
		}
		if r := s.do(c, "GET", "/incidents", nil); r.status != http.StatusForbidden || !strings.Contains(string(r.body), "Read the records of your cases") {
			t.Errorf("the administrator on /incidents: %d", r.status)
		}
		if r := s.do(c, "GET", "/", nil); r.header.Get("Location") != "/log" {
			t.Errorf("the administrator's home: %s", r.header.Get("Location"))
		}
	})

	t.Run("two factors", func(t *testing.T) {
		// Another user: logins are rate limited per name.
		tess, password := s.user("tess", account.Investigator, darfur)
		enrol, err := s.a.Accounts.EnrolTOTP(s.ctx, tess.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.a.Accounts.SetSeeIdentities(s.ctx, tess.ID, true); err != nil {
			t.Fatal(err)
		}
		c := s.browser()
		res := s.postForm(c, "/login", url.Values{"name": {"tess"}, "password": {password}, "next": {"/survivors"}})
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login/code") {
			t.Fatalf("no code asked: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		// The password alone opens nothing.
		if r := s.do(c, "GET", "/incidents", nil); r.status != http.StatusSeeOther {
			t.Errorf("a pending login reached /incidents: %d", r.status)
		}
		if r := s.do(c, "POST", "/login/code", strings.NewReader("code=000000&next=/survivors"), "Content-Type", "application/x-www-form-urlencoded"); r.status != http.StatusUnauthorized {
			t.Errorf("a wrong code: %d", r.status)
		}
		code, err := totp.GenerateCode(enrol.Secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		res = s.postForm(c, "/login/code", url.Values{"code": {code}, "next": {"/survivors"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/survivors" {
			t.Fatalf("the right code: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if r := s.do(c, "GET", "/account", nil); !strings.Contains(string(r.body), "You may see them in this session") {
			t.Errorf("the account page does not say identities may be seen:\n%.2000s", r.body)
		}
		// The same code again, in another browser, is refused.
		other := s.browser()
		s.postForm(other, "/login", url.Values{"name": {"tess"}, "password": {password}})
		if r := s.do(other, "POST", "/login/code", strings.NewReader("code="+code), "Content-Type", "application/x-www-form-urlencoded"); r.status != http.StatusUnauthorized {
			t.Errorf("a replayed code: %d", r.status)
		}

		// Logging out ends the session itself, not only the cookie.
		session := ""
		u, _ := url.Parse(s.srv.URL)
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "dossier_session" {
				session = ck.Value
			}
		}
		res = s.postForm(c, "/logout", nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
			t.Errorf("logout: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		stale := s.browser()
		if r := s.do(stale, "GET", "/account", nil, "Cookie", "dossier_session="+session); r.status != http.StatusSeeOther {
			t.Errorf("the session still works after logout: %d", r.status)
		}
	})

	t.Run("too many attempts", func(t *testing.T) {
		c := s.browser()
		var last reply
		for range 8 {
			last = s.do(c, "POST", "/login", strings.NewReader("name=guessed&password=guess+guess+guess"),
				"Content-Type", "application/x-www-form-urlencoded")
		}
		if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" ||
			!strings.Contains(string(last.body), "Too many attempts") {
			t.Errorf("after 8 attempts at one name: %d, Retry-After %q", last.status, last.header.Get("Retry-After"))
		}
	})
}

// A browser's request from another site, carrying the session cookie, may
// not change anything through the API; a script's token request may.
func TestAPICrossOrigin(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t), server.Options{})
	s.user("admin", account.Administrator)
	darfur := s.newCase("Darfur 2023")
	ines, password := s.user("ines", account.Investigator, darfur)
	c := s.browser()
	s.login(c, "ines", password)
	body := `{"name": "Sudan"}`
	r := s.do(c, "POST", "/api/v1/situations", strings.NewReader(body), "Content-Type", "application/json",
		"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if r.status != http.StatusForbidden || !strings.Contains(string(r.body), "urn:dossier:problem:forbidden") {
		t.Errorf("cross-site POST with the cookie: %d %s", r.status, r.body)
	}
	r = s.do(nil, "POST", "/api/v1/situations", strings.NewReader(body), "Content-Type", "application/json",
		"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example", "Authorization", "Bearer "+s.token(ines))
	if r.status != http.StatusCreated || !strings.Contains(string(r.body), `"created_by":"user:ines"`) {
		t.Errorf("cross-site POST with a token: %d %s", r.status, r.body)
	}
	r = s.do(c, "POST", "/api/v1/situations", strings.NewReader(`{"name": "Mali"}`), "Content-Type", "application/json",
		"Sec-Fetch-Site", "same-origin")
	if r.status != http.StatusCreated {
		t.Errorf("same-origin POST with the cookie: %d %s", r.status, r.body)
	}
	r = s.do(c, "POST", "/situations/new", strings.NewReader("name=Chad"), "Content-Type", "application/x-www-form-urlencoded",
		"Sec-Fetch-Site", "cross-site")
	if r.status != http.StatusForbidden {
		t.Errorf("cross-site form POST: %d", r.status)
	}
}
