package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/record"
)

// Every destructive form of the administration asks first: its first POST
// changes nothing and answers a page that says what will happen, carries
// the form's inputs, and offers the confirming button and a way back. Only
// the confirmed form makes the change.
func TestAdminConfirmations(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	ctx := record.WithActor(context.Background(), "cli:test")
	u, err := e.a.Accounts.AddUser(ctx, account.NewUser{Name: "bashir", Role: account.Investigator, Password: "a long password for bashir"})
	e.must(err)
	if _, err := e.a.Accounts.EnrolTOTP(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, tok, err := e.a.Accounts.CreateToken(ctx, u.ID, "", "nightly export", time.Hour)
	e.must(err)
	c, err := e.a.Accounts.CreateCase(ctx, "Darfur 2023", "")
	e.must(err)
	e.must(e.a.Accounts.AddToCase(ctx, u.ID, c.ID))
	const issuer, subject = "https://id.example.org/realms/ngo", "2f6c1d0e-8a4b"
	_, err = e.a.Accounts.LinkOIDC(ctx, u.ID, issuer, subject)
	e.must(err)
	userPath := "/admin/users/" + u.ID

	user := func() *account.User {
		t.Helper()
		got, err := e.a.Accounts.User(ctx, u.ID)
		e.must(err)
		return got
	}
	for _, q := range []struct {
		what, path string
		form       url.Values
		back       string
		wants      []string // on the question's page
		unchanged  func() bool
	}{
		{"disable", userPath + "/status", url.Values{"disabled": {"true"}}, userPath,
			[]string{"Disable bashir’s account?", "bashir’s sessions end at once and their API tokens stop working", "Disable the account",
				`<input type="hidden" name="disabled" value="true">`},
			func() bool { return !user().Disabled }},
		{"reset the password", userPath + "/password", url.Values{}, userPath,
			[]string{"Reset bashir’s password?", `id="f-password"`, "Reset the password", "they must then choose their own at their next login"},
			func() bool { return user().PasswordChangedAt.Equal(u.PasswordChangedAt) }},
		{"replace the authenticator", userPath + "/totp", url.Values{}, userPath,
			[]string{"Replace bashir’s authenticator?", "Replace the authenticator"},
			func() bool { return countAudit(t, e, "totp.enrol") == 1 }},
		{"remove the authenticator", userPath + "/totp/remove", url.Values{}, userPath,
			[]string{"Remove two-step verification for bashir?", "loses the sight of survivors’ identities"},
			func() bool { return user().TOTP }},
		{"revoke a token", userPath + "/tokens/" + tok.ID + "/revoke", url.Values{}, userPath,
			[]string{"Revoke the token “nightly export”?", "Scripts using this token to act as bashir stop working at once", "Revoke the token"},
			func() bool { got, _ := e.a.Accounts.Token(ctx, tok.ID); return got.RevokedAt.IsZero() }},
		{"remove a member", "/admin/cases/" + c.ID + "/members/" + u.ID + "/remove", url.Values{}, "/admin/cases/" + c.ID,
			[]string{"Remove bashir from “Darfur 2023”?", "Remove from the case", `href="/admin/cases"`},
			func() bool { cs, _ := e.a.Accounts.CasesOf(ctx, u.ID); return len(cs) == 1 }},
		{"unlink an identity", userPath + "/oidc/unlink", url.Values{"oidc_issuer": {issuer}, "oidc_subject": {subject}}, userPath,
			[]string{"Unlink this identity from bashir?", "Signing in with " + subject + " at " + issuer + " no longer logs in as bashir",
				`<input type="hidden" name="oidc_issuer" value="` + issuer + `">`, `<input type="hidden" name="oidc_subject" value="` + subject + `">`},
			func() bool { ids, _ := e.a.Accounts.OIDCIdentities(ctx, u.ID); return len(ids) == 1 }},
	} {
		t.Run(q.what, func(t *testing.T) {
			r := e.post(q.path, "en", q.form)
			r.wantStatus(t, http.StatusOK)
			r.contains(t, append(q.wants, `<form class="panel confirm" method="post" action="`+q.path+`"`,
				`<input type="hidden" name="confirm" value="yes">`, `<button type="submit" class="button button--danger" id="confirm-button">`,
				`<a class="button" href="`+q.back+`" id="confirm-cancel">Cancel</a>`)...)
			r.lacks(t, "<script", "style=")
			if !q.unchanged() {
				t.Fatal("the question already made the change")
			}
			// The confirmed form, as the question's page sends it.
			confirmed := url.Values{"confirm": {"yes"}}
			for k, v := range q.form {
				confirmed[k] = v
			}
			r = e.post(q.path, "en", confirmed)
			if r.status != http.StatusSeeOther && r.status != http.StatusOK {
				t.Fatalf("confirmed: %d\n%s", r.status, excerpt(r.body))
			}
			if q.unchanged() {
				t.Error("the confirmed form changed nothing")
			}
		})
	}

	// Enabling an account and a first authenticator take nothing away:
	// they are not asked about.
	e.post(userPath+"/status", "en", url.Values{"disabled": {"false"}}).wantStatus(t, http.StatusSeeOther)
	if user().Disabled {
		t.Error("enabling asked first")
	}
	r := e.post(userPath+"/totp", "en", nil)
	r.wantStatus(t, http.StatusOK)
	r.contains(t, `id="secret-value"`)

	// In Arabic, right to left.
	r = e.post(userPath+"/status", "ar", url.Values{"disabled": {"true"}})
	r.wantStatus(t, http.StatusOK)
	r.contains(t, `dir="rtl"`, "تعطيل حساب bashir؟", ">إلغاء</a>")
	r = e.post(userPath+"/status", "fr", url.Values{"disabled": {"true"}})
	r.contains(t, "Désactiver le compte de bashir ?", ">Annuler</a>")

	// A token or member that is not the user's is not found, asked or not.
	e.post(userPath+"/tokens/"+record.NewID()+"/revoke", "en", nil).wantStatus(t, http.StatusNotFound)
	e.post("/admin/cases/"+c.ID+"/members/"+u.ID+"/remove", "en", nil).wantStatus(t, http.StatusNotFound)
	e.post(userPath+"/oidc/unlink", "en", url.Values{"oidc_issuer": {issuer}}).wantStatus(t, http.StatusBadRequest)
}

// Administrators link identities at the single sign-on provider on the
// user's page and unlink them, which ends the user's sessions.
func TestAdminIdentities(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	ctx := record.WithActor(context.Background(), "cli:test")
	u, err := e.a.Accounts.AddUser(ctx, account.NewUser{Name: "amal", Role: account.Investigator, Password: "a long password for amal"})
	e.must(err)
	other, err := e.a.Accounts.AddUser(ctx, account.NewUser{Name: "bashir", Role: account.Analyst, Password: "a long password for bashir"})
	e.must(err)
	userPath := "/admin/users/" + u.ID
	const issuer = "https://id.example.org/realms/ngo"

	r := e.get(userPath, "en")
	r.contains(t, `id="sso"`, "No linked identity: this user logs in with their password only.", `id="f-oidc_issuer"`, `id="f-oidc_subject"`)

	// No provider configured and nothing linked: the issuer must be given.
	r = e.post(userPath+"/oidc", "en", url.Values{"oidc_issuer": {""}, "oidc_subject": {"2f6c1d0e-8a4b"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, `id="f-oidc_issuer-error"`, "the server has no provider configured and no identity is linked yet", `value="2f6c1d0e-8a4b"`)
	r = e.post(userPath+"/oidc", "en", url.Values{"oidc_issuer": {"http://id.example.org"}, "oidc_subject": {"x"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, `id="f-oidc_issuer-error"`, "starting with https://")

	r = e.post(userPath+"/oidc", "en", url.Values{"oidc_issuer": {issuer}, "oidc_subject": {"2f6c1d0e-8a4b"}})
	r.wantStatus(t, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != userPath+"#sso" {
		t.Errorf("linked, then sent to %s", loc)
	}
	r = e.get(userPath, "en")
	r.contains(t, `id="identity-table"`, "2f6c1d0e-8a4b", issuer, "Never", `value="`+issuer+`"`)

	// One issuer linked: it is the default, and an identity links to one user.
	r = e.post("/admin/users/"+other.ID+"/oidc", "en", url.Values{"oidc_subject": {"2f6c1d0e-8a4b"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, `id="f-oidc_subject-error"`, "This identity is already linked to another user")
	e.post("/admin/users/"+other.ID+"/oidc", "ar", url.Values{"oidc_subject": {"00u1a2b3"}}).wantStatus(t, http.StatusSeeOther)
	ids, err := e.a.Accounts.OIDCIdentities(ctx, other.ID)
	if err != nil || len(ids) != 1 || ids[0].Issuer != issuer || ids[0].LinkedBy != "web" {
		t.Errorf("bashir's identities %+v, %v", ids, err)
	}
	e.get("/admin/users/"+other.ID, "ar").contains(t, "الدخول الموحّد", "00u1a2b3", "فكّ الربط")

	// Unlinking, once confirmed, ends the user's sessions.
	login, err := e.a.Accounts.Login(ctx, "amal", "a long password for amal", "192.0.2.1")
	e.must(err)
	r = e.post(userPath+"/oidc/unlink", "en", url.Values{"oidc_issuer": {issuer}, "oidc_subject": {"2f6c1d0e-8a4b"}, "confirm": {"yes"}})
	r.wantStatus(t, http.StatusSeeOther)
	if _, _, err := e.a.Accounts.Session(ctx, login.Token); err == nil {
		t.Error("amal's session survived the unlink")
	}
	e.get(userPath, "en").contains(t, "No linked identity")
	e.post(userPath+"/oidc/unlink", "en", url.Values{"oidc_issuer": {issuer}, "oidc_subject": {"2f6c1d0e-8a4b"}, "confirm": {"yes"}}).
		wantStatus(t, http.StatusNotFound)
	if n, m := countAudit(t, e, "oidc.link"), countAudit(t, e, "oidc.unlink"); n != 2 || m != 1 {
		t.Errorf("%d oidc.link and %d oidc.unlink entries, want 2 and 1", n, m)
	}
}

// With a provider configured on the server, a new link is of its issuer
// unless the form says otherwise.
func TestAdminIdentitiesDefaultToTheProvider(t *testing.T) {
	s := newSSOSite(t, false)
	admin, err := s.accounts.AddUser(s.ctx, account.NewUser{Name: "amira", Role: account.Administrator, Password: "a long password for amira"})
	if err != nil {
		t.Fatal(err)
	}
	amal := s.user("amal", account.Investigator, "")
	c := s.client()
	res, err := c.PostForm(s.base+"/login", url.Values{"name": {"amira"}, "password": {"a long password for amira"}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("log in: %v %v", res, err)
	}
	res.Body.Close()
	page := s.get(c, "/admin/users/"+amal.ID)
	if page.status != http.StatusOK || !strings.Contains(page.body, `value="`+s.idp.Issuer+`"`) ||
		!strings.Contains(page.body, "Identities at Test IdP") {
		t.Errorf("the link form does not offer the provider's issuer (%d):\n%s", page.status, page.body)
	}
	res, err = c.PostForm(s.base+"/admin/users/"+amal.ID+"/oidc", url.Values{"oidc_issuer": {""}, "oidc_subject": {"amal-at-idp"}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("link: %v %v", res, err)
	}
	res.Body.Close()
	ids, err := s.accounts.OIDCIdentities(s.ctx, amal.ID)
	if err != nil || len(ids) != 1 || ids[0].Issuer != s.idp.Issuer || ids[0].LinkedBy != "user:"+admin.Name {
		t.Errorf("amal's identities %+v, %v", ids, err)
	}
}
