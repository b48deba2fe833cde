package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/record"
)

// countAccountEvents counts the audit log's account entries of one action.
func countAccountEvents(t *testing.T, a *app.App, action account.Action) int {
	t.Helper()
	var n int
	if err := a.DB.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE kind = 'account' AND entry LIKE $1`,
		`%"action":"`+string(action)+`"%`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Administrators link and unlink a user's identities at the single sign-on
// provider, as "dossier user link" and "unlink" do; every exchange is held
// to the OpenAPI document.
func TestUserIdentitiesAPI(t *testing.T) {
	a, ctx, home := appWithCase(t, "Headquarters")
	admin := guardedClient(t, a, account.Administrator, home)
	analyst := guardedClient(t, a, account.Analyst, home)
	amal, err := a.Accounts.AddUser(ctx, account.NewUser{Name: "amal", Role: account.Investigator, Password: "a long password for amal"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/users/" + amal.ID + "/oidc"
	const issuer = "https://id.example.org/realms/ngo"

	analyst.get(path).expect(t, http.StatusForbidden)
	analyst.post(path, map[string]any{"issuer": issuer, "subject": "x"}).expect(t, http.StatusForbidden)

	var list oidcIdentityList
	admin.get(path).expect(t, http.StatusOK).decode(t, &list)
	if len(list.Identities) != 0 {
		t.Errorf("identities before any link: %+v", list)
	}

	// The first link names its issuer; later ones may leave it out while
	// only one issuer is linked.
	p := admin.post(path, map[string]any{"subject": "2f6c1d0e-8a4b"}).expect(t, http.StatusUnprocessableEntity).problem(t)
	if got := fieldCodes(p); !slices.Equal(got, []string{"issuer:required"}) {
		t.Errorf("a first link without its issuer: %v", got)
	}
	var id account.OIDCIdentity
	admin.post(path, map[string]any{"issuer": issuer, "subject": "2f6c1d0e-8a4b"}).expect(t, http.StatusCreated).decode(t, &id)
	if id.Issuer != issuer || id.Subject != "2f6c1d0e-8a4b" || id.UserID != amal.ID || id.LinkedBy != "user:administrator" {
		t.Errorf("linked %+v", id)
	}
	admin.post(path, map[string]any{"subject": "second-account"}).expect(t, http.StatusCreated).decode(t, &id)
	if id.Issuer != issuer {
		t.Errorf("a link without its issuer took %q", id.Issuer)
	}

	// Mistakes name the body's fields.
	for _, c := range []struct {
		body map[string]any
		want []string
	}{
		{map[string]any{"issuer": issuer, "subject": "2f6c1d0e-8a4b"}, []string{"subject:taken"}},
		{map[string]any{"issuer": "http://id.example.org", "subject": "other"}, []string{"issuer:invalid"}},
		{map[string]any{"issuer": issuer, "subject": "é"}, []string{"subject:invalid"}},
	} {
		p := admin.post(path, c.body).expect(t, http.StatusUnprocessableEntity).problem(t)
		if got := fieldCodes(p); !slices.Equal(got, c.want) {
			t.Errorf("link %v: %v, want %v", c.body, got, c.want)
		}
	}
	p = admin.post(path, map[string]any{"subject": "x", "user_id": amal.ID}).expect(t, http.StatusBadRequest).problem(t)
	if got := fieldCodes(p); !slices.Equal(got, []string{"user_id:read_only"}) {
		t.Errorf("a link naming its user: %v", got)
	}
	admin.get("/api/v1/users/"+record.NewID()+"/oidc").expect(t, http.StatusNotFound)
	admin.post("/api/v1/users/"+record.NewID()+"/oidc", map[string]any{"issuer": issuer, "subject": "y"}).expect(t, http.StatusNotFound)

	admin.get(path).expect(t, http.StatusOK).decode(t, &list)
	if len(list.Identities) != 2 || list.Identities[0].Subject != "2f6c1d0e-8a4b" || list.Identities[1].Subject != "second-account" {
		t.Errorf("identities %+v", list)
	}

	// Unlinking one ends the user's sessions, as the command line does.
	login, err := a.Accounts.Login(ctx, "amal", "a long password for amal", "192.0.2.4")
	if err != nil {
		t.Fatal(err)
	}
	var unlinked oidcUnlinked
	admin.post(path+"/unlink", map[string]any{"issuer": issuer, "subject": "second-account"}).expect(t, http.StatusOK).decode(t, &unlinked)
	if unlinked.Removed != 1 || len(unlinked.Identities) != 1 || unlinked.Identities[0].Subject != "2f6c1d0e-8a4b" {
		t.Errorf("unlinked %+v", unlinked)
	}
	if _, _, err := a.Accounts.Session(ctx, login.Token); !errors.Is(err, account.ErrSessionExpired) {
		t.Errorf("the user's session survived the unlink: %v", err)
	}
	p = admin.post(path+"/unlink", map[string]any{"subject": "second-account"}).expect(t, http.StatusNotFound).problem(t)
	if p.Type != typeNotFound {
		t.Errorf("unlinking what is not linked: %+v", p)
	}
	analyst.post(path+"/unlink", map[string]any{}).expect(t, http.StatusForbidden)
	admin.post(path+"/unlink", map[string]any{}).expect(t, http.StatusOK).decode(t, &unlinked)
	if unlinked.Removed != 1 || len(unlinked.Identities) != 0 {
		t.Errorf("unlinking the rest %+v", unlinked)
	}
	if n, m := countAccountEvents(t, a, account.OIDCLinked), countAccountEvents(t, a, account.OIDCUnlinked); n != 2 || m != 2 {
		t.Errorf("%d oidc.link and %d oidc.unlink entries, want 2 and 2", n, m)
	}
}

// A password an administrator generated must be replaced before anything
// else: the user's token and sessions get a problem saying so, and the
// change itself goes through.
func TestPasswordChangeDueAPI(t *testing.T) {
	a, ctx, home := appWithCase(t, "Headquarters")
	admin := guardedClient(t, a, account.Administrator, home)

	var created userCreatedBody
	admin.post("/api/v1/users", map[string]any{"name": "kofi", "role": "analyst"}).expect(t, http.StatusCreated).decode(t, &created)
	if !created.MustChangePassword {
		t.Errorf("a user with a generated password need not change it: %+v", created.User)
	}
	if err := a.Accounts.AddToCase(ctx, created.ID, home.ID); err != nil {
		t.Fatal(err)
	}
	var tok tokenCreatedBody
	admin.post("/api/v1/users/"+created.ID+"/tokens", map[string]any{"name": "script"}).expect(t, http.StatusCreated).decode(t, &tok)
	kofi := &client{t: t, a: a, h: admin.h, authenticate: credentials, headers: []string{"Authorization", "Bearer " + tok.Secret}}

	for _, path := range []string{"/api/v1/incidents", "/api/v1/account/tokens", "/api/v1/statistics?rows=violation&cols=sex"} {
		p := kofi.get(path).expect(t, http.StatusForbidden).problem(t)
		if p.Type != typePasswordChangeRequired || p.Detail == "" {
			t.Errorf("%s before the change: %+v", path, p)
		}
	}
	var me ownAccountView
	kofi.get("/api/v1/account").expect(t, http.StatusOK).decode(t, &me)
	if !me.User.MustChangePassword {
		t.Errorf("the account does not say a change is due: %+v", me.User)
	}

	p := kofi.post("/api/v1/account/password", map[string]any{"current_password": "not it", "password": "a password of my own"}).
		expect(t, http.StatusUnprocessableEntity).problem(t)
	if got := fieldCodes(p); !slices.Equal(got, []string{"current_password:wrong"}) {
		t.Errorf("a wrong current password: %v", got)
	}
	p = kofi.post("/api/v1/account/password", map[string]any{"password": "a password of my own"}).
		expect(t, http.StatusUnprocessableEntity).problem(t)
	if got := fieldCodes(p); !slices.Equal(got, []string{"current_password:required"}) {
		t.Errorf("no current password from a token: %v", got)
	}
	kofi.post("/api/v1/account/password", map[string]any{"current_password": created.Password, "password": "a password of my own"}).
		expect(t, http.StatusNoContent)
	kofi.get("/api/v1/incidents").expect(t, http.StatusOK)
	if _, err := a.Accounts.Login(ctx, "kofi", "a password of my own", "192.0.2.8"); err != nil {
		t.Errorf("the new password does not log in: %v", err)
	}

	// A reset with a generated password asks again; one given does not.
	var set passwordSet
	admin.post("/api/v1/users/"+created.ID+"/password", map[string]any{}).expect(t, http.StatusOK).decode(t, &set)
	var detail userDetail
	admin.get("/api/v1/users/"+created.ID).expect(t, http.StatusOK).decode(t, &detail)
	if !detail.MustChangePassword {
		t.Error("a generated reset asks for no change")
	}
	kofi.get("/api/v1/incidents").expect(t, http.StatusForbidden)
	admin.post("/api/v1/users/"+created.ID+"/password", map[string]any{"password": "agreed with kofi in person"}).expect(t, http.StatusOK)
	admin.get("/api/v1/users/"+created.ID).expect(t, http.StatusOK).decode(t, &detail)
	if detail.MustChangePassword {
		t.Error("a given password asks for a change")
	}
	kofi.get("/api/v1/incidents").expect(t, http.StatusOK)
	if n := countAccountEvents(t, a, account.PasswordChangeRequired); n != 2 {
		t.Errorf("%d password.must_change entries, want 2", n)
	}
}

// A user creates tokens for their own scripts from a browser's session,
// never wider than their role; a token may not mint another.
func TestCreateOwnTokenAPI(t *testing.T) {
	a, ctx, home := appWithCase(t, "Headquarters")
	byToken := guardedClient(t, a, account.Analyst, home)
	p := byToken.post("/api/v1/account/tokens", map[string]any{"name": "successor"}).expect(t, http.StatusForbidden).problem(t)
	if p.Type != typeForbidden || !strings.Contains(p.Detail, "An API token may not") {
		t.Errorf("a token minting a token: %+v", p)
	}
	login, err := a.Accounts.Login(ctx, "analyst", "a long password analyst", "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	bySession := &client{t: t, a: a, h: byToken.h, authenticate: credentials,
		headers: []string{"Cookie", "__Host-dossier_session=" + login.Token}}

	p = bySession.post("/api/v1/account/tokens", map[string]any{"role": "investigator"}).expect(t, http.StatusUnprocessableEntity).problem(t)
	if got := fieldCodes(p); !slices.Equal(got, []string{"role:too_wide"}) {
		t.Errorf("a token wider than its user: %v", got)
	}
	var tok tokenCreatedBody
	res := bySession.post("/api/v1/account/tokens", map[string]any{"name": "my export", "role": "advocate", "expires_in_days": 7}).
		expect(t, http.StatusCreated)
	res.decode(t, &tok)
	if tok.UserName != "analyst" || tok.Role != account.Advocate || tok.CreatedBy != "user:analyst" || res.header.Get("Cache-Control") != "no-store" {
		t.Errorf("own token %+v", tok)
	}
	pr, err := a.Accounts.AuthenticateToken(ctx, tok.Secret)
	if err != nil || pr.User.Name != "analyst" || pr.Can(account.ReadRecords) || !pr.Can(account.ReadAggregates) {
		t.Errorf("the token acts as %+v, %v", pr, err)
	}
	var list tokenList
	bySession.get("/api/v1/account/tokens").expect(t, http.StatusOK).decode(t, &list)
	if len(list.Tokens) != 2 {
		t.Errorf("own tokens %+v", list)
	}
}
