package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/demo"
	"github.com/dossier-org/dossier/internal/record"
)

// secretOnPage finds what the page shows once, in the secret's box.
var secretOnPage = regexp.MustCompile(`<code class="secret__value[^"]*" id="secret-value" dir="ltr">([^<]+)</code>`)

func shownSecret(t *testing.T, r response) string {
	t.Helper()
	m := secretOnPage.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no secret on the page:\n%s", excerpt(r.body))
	}
	return m[1]
}

func TestAdminUsers(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	ctx := record.WithActor(context.Background(), "cli:test")
	admin, err := e.a.Accounts.AddUser(ctx, account.NewUser{Name: "amira", Role: account.Administrator, Password: "a long password for amira"})
	if err != nil {
		t.Fatal(err)
	}

	// A user added without a password is shown one, once, with the warning.
	r := e.post("/admin/users/new", "en", url.Values{"name": {"Bashir"}, "display_name": {"Bashir A."}, "role": {"analyst"}, "password": {""}})
	r.wantStatus(t, http.StatusCreated)
	r.contains(t, "Shown only this once", "Hand it to bashir in person now", "Password for bashir")
	password := shownSecret(t, r)
	if len(password) != 26 {
		t.Errorf("generated password %q", password)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("the page with a password may be cached: %q", got)
	}
	if _, err := e.a.Accounts.Login(ctx, "bashir", password, "192.0.2.1"); err != nil {
		t.Errorf("the password shown does not log in: %v", err)
	}
	u, err := e.a.Accounts.UserByName(ctx, "bashir")
	if err != nil || u.Role != account.Analyst || u.DisplayName != "Bashir A." || u.CreatedBy != "web" || !u.MustChangePassword {
		t.Fatalf("stored %+v, %v", u, err)
	}
	userPath := "/admin/users/" + u.ID

	// Refused: every problem beside its field, in the reader's language.
	r = e.post("/admin/users/new", "en", url.Values{"name": {"Bad Name"}, "role": {"chief"}, "password": {"short"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, `id="f-name-error"`, "Use 1 to 64 lower-case letters", `id="f-role-error"`, "Choose one of the values offered.",
		`id="f-password-error"`, "A password needs at least 12 characters.", `value="Bad Name"`, `href="#f-name"`)
	r.lacks(t, `value="short"`)
	r = e.post("/admin/users/new", "ar", url.Values{"name": {"bashir"}, "role": {"analyst"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, "هذا الاسم مستخدم بالفعل.", `dir="rtl"`)

	r = e.get("/admin/users", "en")
	r.wantStatus(t, http.StatusOK)
	r.contains(t, `href="`+userPath+`"`, "amira", "Bashir A.", "Analyst", `href="/admin/users" aria-current="page"`, "Administration")
	e.get("/admin/users/"+record.NewID(), "en").wantStatus(t, http.StatusNotFound)

	// Role and display name; the grant to see identities needs TOTP first.
	r = e.post(userPath, "en", url.Values{"role": {"investigator"}, "display_name": {"Bashir Adam"}})
	r.wantStatus(t, http.StatusSeeOther)
	if u, _ = e.a.Accounts.User(ctx, u.ID); u.Role != account.Investigator || u.DisplayName != "Bashir Adam" {
		t.Errorf("after saving %+v", u)
	}
	r = e.post(userPath+"/identities", "en", url.Values{"grant": {"true"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, "Enrol an authenticator for this user first.")
	r = e.post(userPath+"/totp", "fr", nil)
	r.wantStatus(t, http.StatusOK)
	r.contains(t, "Affiché une seule fois", "otpauth://totp/", "Codes de secours")
	if n := strings.Count(r.body, "<li><code>"); n != account.RecoveryCodeCount {
		t.Errorf("%d recovery codes shown", n)
	}
	e.post(userPath+"/identities", "en", url.Values{"grant": {"true"}}).wantStatus(t, http.StatusSeeOther)
	if u, _ = e.a.Accounts.User(ctx, u.ID); !u.SeeIdentities || !u.TOTP {
		t.Errorf("after the grant %+v", u)
	}
	r = e.get(userPath, "en")
	r.contains(t, "On: 10 recovery codes left.", "Granted: in a session that passed two-step verification.", "Replace the authenticator")

	// Passwords: generated and shown once, or typed in.
	r = e.post(userPath+"/password", "en", url.Values{"password": {""}, "confirm": {"yes"}})
	r.wantStatus(t, http.StatusOK)
	r.contains(t, "At their next login they must choose their own")
	if _, err := e.a.Accounts.Login(ctx, "bashir", shownSecret(t, r), "192.0.2.1"); err != nil {
		t.Errorf("the reset password does not log in: %v", err)
	}
	if u, _ = e.a.Accounts.User(ctx, u.ID); !u.MustChangePassword {
		t.Error("a generated password need not be changed")
	}
	e.get(userPath, "en").contains(t, `id="password-due"`, "To be replaced at the next login")
	r = e.post(userPath+"/password", "en", url.Values{"password": {"too short"}, "confirm": {"yes"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, `id="confirm"`, `id="f-password-error"`, "A password needs at least 12 characters.")
	e.post(userPath+"/password", "en", url.Values{"password": {"a password typed by hand"}, "confirm": {"yes"}}).wantStatus(t, http.StatusSeeOther)
	if u, _ = e.a.Accounts.User(ctx, u.ID); u.MustChangePassword {
		t.Error("a typed password must be changed")
	}

	// Tokens: shown once, listed without their secret, revoked.
	r = e.post(userPath+"/tokens", "en", url.Values{"token_name": {"nightly export"}, "token_role": {"analyst"}, "expires_in_days": {"30"}})
	r.wantStatus(t, http.StatusCreated)
	secret := shownSecret(t, r)
	if !strings.HasPrefix(secret, account.TokenPrefix) {
		t.Fatalf("token %q", secret)
	}
	r.contains(t, "Copy it into the script that will use it now", "nightly export", "Analyst")
	p, err := e.a.Accounts.AuthenticateToken(ctx, secret)
	if err != nil || p.Role != account.Analyst {
		t.Fatalf("the token shown: %+v, %v", p, err)
	}
	r = e.post(userPath+"/tokens", "en", url.Values{"expires_in_days": {"400"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, `id="f-expires_in_days-error"`, "Give a number of days from 1 to 366.", `value="400"`)
	r = e.post(userPath+"/tokens", "en", url.Values{"token_role": {"administrator"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, `id="f-token_role-error"`, "A token cannot have a wider role than its user.")
	r = e.get(userPath, "en")
	r.contains(t, `id="token-table"`, "nightly export", "Active")
	r.lacks(t, secret[len(account.TokenPrefix):])
	tokens, err := e.a.Accounts.Tokens(ctx, u.ID)
	if err != nil || len(tokens) != 1 {
		t.Fatalf("tokens %+v, %v", tokens, err)
	}
	_, theirs, err := e.a.Accounts.CreateToken(ctx, admin.ID, "", "amira's", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.post(userPath+"/tokens/"+theirs.ID+"/revoke", "en", nil).wantStatus(t, http.StatusNotFound)
	e.post(userPath+"/tokens/"+tokens[0].ID+"/revoke", "en", url.Values{"confirm": {"yes"}}).wantStatus(t, http.StatusSeeOther)
	if _, err := e.a.Accounts.AuthenticateToken(ctx, secret); err == nil {
		t.Error("the revoked token still works")
	}

	// Disabling; the last administrator cannot be.
	e.post(userPath+"/status", "en", url.Values{"disabled": {"true"}, "confirm": {"yes"}}).wantStatus(t, http.StatusSeeOther)
	if u, _ = e.a.Accounts.User(ctx, u.ID); !u.Disabled {
		t.Error("not disabled")
	}
	e.get(userPath, "en").contains(t, "Enable the account", `badge--disabled`)
	e.post(userPath+"/status", "en", url.Values{"disabled": {"false"}}).wantStatus(t, http.StatusSeeOther)
	r = e.post("/admin/users/"+admin.ID+"/status", "en", url.Values{"disabled": {"true"}, "confirm": {"yes"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, `id="f-status-error"`, "This is the last enabled administrator: add another one first.")
	r = e.post("/admin/users/"+admin.ID, "en", url.Values{"role": {"analyst"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, `id="f-role-error"`, "This is the last enabled administrator")
	e.post(userPath+"/status", "en", url.Values{"disabled": {"maybe"}}).wantStatus(t, http.StatusBadRequest)

	// Removing TOTP takes the grant with it.
	e.post(userPath+"/totp/remove", "en", url.Values{"confirm": {"yes"}}).wantStatus(t, http.StatusSeeOther)
	if u, _ = e.a.Accounts.User(ctx, u.ID); u.TOTP || u.SeeIdentities {
		t.Errorf("after removing TOTP %+v", u)
	}
	if n := countAudit(t, e, "user.role"); n != 1 {
		t.Errorf("%d role changes in the audit log, want 1", n)
	}
}

// countAudit counts account events of one action in the audit log.
func countAudit(t *testing.T, e *env, action string) int {
	t.Helper()
	var n int
	if err := e.a.DB.QueryRow(e.ctx, `SELECT COUNT(*) FROM audit_log WHERE kind = 'account' AND entry LIKE $1`,
		`%"action":"`+action+`"%`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAdminCases(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	ctx := record.WithActor(context.Background(), "cli:test")
	u, err := e.a.Accounts.AddUser(ctx, account.NewUser{Name: "layla", DisplayName: "Layla", Role: account.Investigator, Password: "a long password for layla"})
	if err != nil {
		t.Fatal(err)
	}

	r := e.post("/admin/cases", "en", url.Values{"case_name": {"Darfur 2023"}, "description": {"West Darfur"}})
	r.wantStatus(t, http.StatusSeeOther)
	c, err := e.a.Accounts.Case(ctx, "Darfur 2023")
	if err != nil {
		t.Fatal(err)
	}
	casePath := "/admin/cases/" + c.ID
	if loc := r.header.Get("Location"); loc != casePath {
		t.Errorf("created, then sent to %s", loc)
	}
	r = e.post("/admin/cases", "en", url.Values{"case_name": {"Darfur 2023"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, `id="f-case_name-error"`, "This name is taken already.", `href="/admin/cases/`+c.ID+`"`)
	r = e.post("/admin/cases", "ar", url.Values{"case_name": {""}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, `id="f-case_name-error"`)

	r = e.get(casePath, "en")
	r.wantStatus(t, http.StatusOK)
	r.contains(t, "No member yet", `<option value="`+u.ID+`">Layla (layla) · Investigator</option>`)
	r = e.post(casePath+"/members", "en", url.Values{"user_id": {""}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, `id="f-user_id-error"`, "This is required.")
	r = e.post(casePath+"/members", "en", url.Values{"user_id": {record.NewID()}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, "Choose a user from the list.")
	e.post(casePath+"/members", "en", url.Values{"user_id": {u.ID}}).wantStatus(t, http.StatusSeeOther)
	r = e.get(casePath, "en")
	r.contains(t, `id="member-table"`, `href="/admin/users/`+u.ID+`"`, "Investigator")
	r.lacks(t, `<option value="`+u.ID+`"`)
	e.get("/admin/users/"+u.ID, "en").contains(t, `href="`+casePath+`"`, "Darfur 2023")
	e.get("/admin/cases", "en").contains(t, "Darfur 2023", "West Darfur", `<td class="numeric">1</td>`)

	e.post(casePath+"/members/"+u.ID+"/remove", "en", url.Values{"confirm": {"yes"}}).wantStatus(t, http.StatusSeeOther)
	e.post(casePath+"/members/"+u.ID+"/remove", "en", url.Values{"confirm": {"yes"}}).wantStatus(t, http.StatusNotFound)
	if cases, _ := e.a.Accounts.CasesOf(ctx, u.ID); len(cases) != 0 {
		t.Errorf("still a member of %+v", cases)
	}
	e.get("/admin/cases/"+record.NewID(), "en").wantStatus(t, http.StatusNotFound)
}

// Behind the guard, the administration is in the menu of those who may
// use it only, and refused to everyone else.
func TestAdminBehindLogin(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	h, users := behindLogin(t, e.a)
	for _, c := range []struct {
		role    account.Role
		allowed bool
	}{{account.Administrator, true}, {account.Analyst, false}, {account.Auditor, false}} {
		cookies := loginCookies(t, h, users[c.role])
		get := func(path string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			for _, ck := range cookies {
				req.AddCookie(ck)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		home := get("/account").Body.String()
		if got := strings.Contains(home, `href="/admin/users"`); got != c.allowed {
			t.Errorf("%s: the menu offers the administration: %v", c.role, got)
		}
		want := http.StatusForbidden
		if c.allowed {
			want = http.StatusOK
		}
		if rec := get("/admin/users"); rec.Code != want {
			t.Errorf("%s: /admin/users answered %d, want %d", c.role, rec.Code, want)
		}
	}
}

// loginCookies logs in through the login form and returns the session
// cookies.
func loginCookies(t *testing.T, h http.Handler, c demo.Credential) []*http.Cookie {
	t.Helper()
	name, password := c.Name, c.Password
	if c.TOTPSecret != "" {
		t.Fatalf("%s logs in with a second factor: choose a user without", name)
	}
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"name": {name}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("log in as %s: %d", name, rec.Code)
	}
	return rec.Result().Cookies()
}
