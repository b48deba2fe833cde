package api

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/record"
)

type userCreatedBody struct {
	account.User
	Password string `json:"password"`
}

type tokenCreatedBody struct {
	account.Token
	Status string `json:"status"`
	Secret string `json:"token"`
}

// appWithCase is an app on a fresh SQLite database with one case, and a
// context to seed it in.
func appWithCase(t *testing.T, name string) (*app.App, context.Context, *account.Case) {
	t.Helper()
	a := app.New(dbtest.SQLite(t))
	ctx := record.WithActor(context.Background(), "cli:test")
	c, err := a.Accounts.CreateCase(ctx, name, "")
	if err != nil {
		t.Fatal(err)
	}
	return a, ctx, c
}

func TestAccountsAPI(t *testing.T) {
	a, ctx, home := appWithCase(t, "Headquarters")
	admin := guardedClient(t, a, account.Administrator, home)
	investigator := guardedClient(t, a, account.Investigator, home)

	// Only administrators manage accounts.
	p := investigator.get("/api/v1/users").expect(t, http.StatusForbidden).problem(t)
	if !strings.Contains(p.Detail, "users:manage") {
		t.Errorf("refusal: %+v", p)
	}

	// A user added without a password gets a generated one, once.
	var created userCreatedBody
	res := admin.post("/api/v1/users", map[string]any{"name": "Bashir", "display_name": "Bashir A.", "role": "analyst"}).
		expect(t, http.StatusCreated)
	res.decode(t, &created)
	if created.Name != "bashir" || created.Role != account.Analyst || len(created.Password) != 26 ||
		created.CreatedBy != "user:administrator" || res.header.Get("Location") != "/api/v1/users/"+created.ID {
		t.Fatalf("created %s", res.body)
	}
	if _, err := a.Accounts.Login(ctx, "bashir", created.Password, "192.0.2.7"); err != nil {
		t.Errorf("the generated password does not log in: %v", err)
	}
	p = admin.post("/api/v1/users", map[string]any{"name": "Bad Name", "role": "chief", "password": "short"}).
		expect(t, http.StatusUnprocessableEntity).problem(t)
	if got := fieldCodes(p); !slices.Equal(got, []string{"name:invalid", "role:not_allowed", "password:too_short"}) {
		t.Errorf("a bad user: %v", got)
	}
	p = admin.post("/api/v1/users", map[string]any{"name": "bashir", "role": "analyst", "password": "another long password"}).
		expect(t, http.StatusUnprocessableEntity).problem(t)
	if got := fieldCodes(p); !slices.Equal(got, []string{"name:taken"}) {
		t.Errorf("a taken name: %v", got)
	}
	p = admin.post("/api/v1/users", map[string]any{"name": "x", "role": "analyst", "admin": true}).expect(t, http.StatusBadRequest).problem(t)
	if got := fieldCodes(p); !slices.Equal(got, []string{"admin:unknown_field"}) {
		t.Errorf("an unknown field: %v", got)
	}

	var users userList
	admin.get("/api/v1/users").expect(t, http.StatusOK).decode(t, &users)
	if len(users.Users) != 3 || users.Users[0].Name != "administrator" || users.Users[1].Name != "bashir" {
		t.Errorf("users %+v", users)
	}
	path := "/api/v1/users/" + created.ID
	admin.get("/api/v1/users/"+record.NewID()).expect(t, http.StatusNotFound)

	// A change is checked whole before anything is written: granting
	// identities without TOTP refuses the role change that came with it.
	p = admin.do(request{method: "PATCH", path: path, body: map[string]any{"role": "investigator", "see_identities": true}}).
		expect(t, http.StatusUnprocessableEntity).problem(t)
	if got := fieldCodes(p); !slices.Equal(got, []string{"see_identities:totp_required"}) {
		t.Errorf("identities without TOTP: %v", got)
	}
	if u, _ := a.Accounts.User(ctx, created.ID); u.Role != account.Analyst {
		t.Errorf("a refused change changed the role to %s", u.Role)
	}
	var enrol account.Enrolment
	admin.post(path+"/totp", nil).expect(t, http.StatusOK).decode(t, &enrol)
	if !strings.HasPrefix(enrol.URI, "otpauth://totp/") || enrol.Secret == "" || len(enrol.RecoveryCodes) != account.RecoveryCodeCount {
		t.Errorf("enrolment %+v", enrol)
	}
	var detail userDetail
	admin.do(request{method: "PATCH", path: path, body: map[string]any{"role": "investigator", "see_identities": true, "display_name": "Bashir Adam"}}).
		expect(t, http.StatusOK).decode(t, &detail)
	if detail.Role != account.Investigator || !detail.SeeIdentities || !detail.TOTP || detail.DisplayName != "Bashir Adam" ||
		detail.RecoveryCodesLeft != account.RecoveryCodeCount || detail.UpdatedBy != "user:administrator" {
		t.Errorf("after the change %+v", detail)
	}
	p = admin.do(request{method: "PATCH", path: path, body: map[string]any{"name": "someone"}}).expect(t, http.StatusBadRequest).problem(t)
	if got := fieldCodes(p); !slices.Equal(got, []string{"name:read_only"}) {
		t.Errorf("renaming: %v", got)
	}
	admin.do(request{method: "DELETE", path: path + "/totp"}).expect(t, http.StatusOK).decode(t, &detail)
	if detail.TOTP || detail.SeeIdentities {
		t.Errorf("after removing TOTP %+v", detail)
	}

	// The last administrator stays one.
	var me ownAccountView
	admin.get("/api/v1/account").expect(t, http.StatusOK).decode(t, &me)
	p = admin.do(request{method: "PATCH", path: "/api/v1/users/" + me.User.ID, body: map[string]any{"disabled": true}}).
		expect(t, http.StatusUnprocessableEntity).problem(t)
	if got := fieldCodes(p); !slices.Equal(got, []string{"disabled:last_administrator"}) {
		t.Errorf("disabling the last administrator: %v", got)
	}

	// Passwords: generated and shown once, or given.
	var set passwordSet
	admin.post(path+"/password", map[string]any{}).expect(t, http.StatusOK).decode(t, &set)
	if !set.Generated || len(set.Password) != 26 {
		t.Errorf("reset %+v", set)
	}
	if _, err := a.Accounts.Login(ctx, "bashir", set.Password, "192.0.2.7"); err != nil {
		t.Errorf("the reset password does not log in: %v", err)
	}
	set = passwordSet{}
	admin.post(path+"/password", map[string]any{"password": "a password chosen by hand"}).expect(t, http.StatusOK).decode(t, &set)
	if set.Generated || set.Password != "" {
		t.Errorf("a given password was echoed: %+v", set)
	}
	p = admin.post(path+"/password", map[string]any{"password": "short"}).expect(t, http.StatusUnprocessableEntity).problem(t)
	if got := fieldCodes(p); !slices.Equal(got, []string{"password:too_short"}) {
		t.Errorf("a short password: %v", got)
	}

	// Tokens: the secret once, never in a list; scoped no wider than the user.
	var tok tokenCreatedBody
	admin.post(path+"/tokens", map[string]any{"name": "nightly export", "role": "analyst", "expires_in_days": 30}).
		expect(t, http.StatusCreated).decode(t, &tok)
	if !strings.HasPrefix(tok.Secret, account.TokenPrefix) || tok.Role != account.Analyst || tok.Status != "active" ||
		tok.ExpiresAt.Sub(tok.CreatedAt) != 30*24*time.Hour {
		t.Errorf("token %+v", tok)
	}
	if p, err := a.Accounts.AuthenticateToken(ctx, tok.Secret); err != nil || p.User.Name != "bashir" {
		t.Errorf("the token does not authenticate: %v", err)
	}
	p = admin.post(path+"/tokens", map[string]any{"expires_in_days": 400}).expect(t, http.StatusBadRequest).problem(t)
	if got := fieldCodes(p); !slices.Equal(got, []string{"expires_in_days:out_of_range"}) {
		t.Errorf("a token for 400 days: %v", got)
	}
	p = admin.post(path+"/tokens", map[string]any{"role": "administrator"}).expect(t, http.StatusUnprocessableEntity).problem(t)
	if got := fieldCodes(p); !slices.Equal(got, []string{"role:too_wide"}) {
		t.Errorf("a token wider than its user: %v", got)
	}
	for _, list := range []string{path + "/tokens", "/api/v1/tokens"} {
		res := admin.get(list).expect(t, http.StatusOK)
		if bytes.Contains(res.body, []byte(tok.Secret[len(account.TokenPrefix):])) || !bytes.Contains(res.body, []byte(tok.ID)) {
			t.Errorf("%s: %s", list, res.body)
		}
	}
	var revoked tokenView
	admin.post("/api/v1/tokens/"+tok.ID+"/revoke", nil).expect(t, http.StatusOK).decode(t, &revoked)
	if revoked.Status != "revoked" || revoked.RevokedBy != "user:administrator" {
		t.Errorf("revoked %+v", revoked)
	}
	if _, err := a.Accounts.AuthenticateToken(ctx, tok.Secret); err == nil {
		t.Error("a revoked token still works")
	}
	admin.post("/api/v1/tokens/"+record.NewID()+"/revoke", nil).expect(t, http.StatusNotFound)

	// Disabling ends the user's way in.
	admin.post(path+"/tokens", map[string]any{}).expect(t, http.StatusCreated).decode(t, &tok)
	admin.do(request{method: "PATCH", path: path, body: map[string]any{"disabled": true}}).expect(t, http.StatusOK).decode(t, &detail)
	if !detail.Disabled || detail.ActiveTokens != 1 {
		t.Errorf("disabled %+v", detail)
	}
	if _, err := a.Accounts.AuthenticateToken(ctx, tok.Secret); err == nil {
		t.Error("a disabled user's token still works")
	}

	// Cases and their members.
	var cs caseDetail
	res = admin.post("/api/v1/cases", map[string]any{"name": "Darfur 2023", "description": "West Darfur"}).expect(t, http.StatusCreated)
	res.decode(t, &cs)
	if cs.Name != "Darfur 2023" || len(cs.Members) != 0 || res.header.Get("Location") != "/api/v1/cases/"+cs.ID {
		t.Errorf("case %s", res.body)
	}
	p = admin.post("/api/v1/cases", map[string]any{"name": "Darfur 2023"}).expect(t, http.StatusUnprocessableEntity).problem(t)
	if got := fieldCodes(p); !slices.Equal(got, []string{"name:taken"}) {
		t.Errorf("a taken case name: %v", got)
	}
	casePath := "/api/v1/cases/" + cs.ID
	admin.post(casePath+"/members", map[string]any{"user_id": created.ID}).expect(t, http.StatusOK).decode(t, &cs)
	if len(cs.Members) != 1 || cs.Members[0].Name != "bashir" {
		t.Errorf("members %+v", cs.Members)
	}
	p = admin.post(casePath+"/members", map[string]any{"user_id": record.NewID()}).expect(t, http.StatusUnprocessableEntity).problem(t)
	if got := fieldCodes(p); !slices.Equal(got, []string{"user_id:not_found"}) {
		t.Errorf("an unknown member: %v", got)
	}
	var cases caseList
	admin.get("/api/v1/cases").expect(t, http.StatusOK).decode(t, &cases)
	if len(cases.Cases) != 2 || cases.Cases[0].Name != "Darfur 2023" || len(cases.Cases[0].Members) != 1 {
		t.Errorf("cases %+v", cases)
	}
	admin.get("/api/v1/users/"+created.ID).expect(t, http.StatusOK).decode(t, &detail)
	if len(detail.Cases) != 1 || detail.Cases[0].ID != cs.ID {
		t.Errorf("the user's cases %+v", detail.Cases)
	}
	admin.do(request{method: "DELETE", path: casePath + "/members/" + created.ID}).expect(t, http.StatusOK).decode(t, &cs)
	if len(cs.Members) != 0 {
		t.Errorf("after removal %+v", cs.Members)
	}
	admin.do(request{method: "DELETE", path: casePath + "/members/" + created.ID}).expect(t, http.StatusNotFound)
	admin.get("/api/v1/cases/"+record.NewID()).expect(t, http.StatusNotFound)
}

// Anyone logged in reads their own account and ends their own tokens and
// sessions, never another's.
func TestOwnAccountAPI(t *testing.T) {
	a, ctx, home := appWithCase(t, "Darfur 2023")
	c := guardedClient(t, a, account.Advocate, home)
	other := guardedClient(t, a, account.Analyst, home)

	var me ownAccountView
	c.get("/api/v1/account").expect(t, http.StatusOK).decode(t, &me)
	if me.User.Name != "advocate" || me.Via != "token" || len(me.Cases) != 1 ||
		!slices.Equal(me.Permissions, []account.Permission{account.ReadAggregates, account.ReadPublished}) {
		t.Errorf("own account %+v", me)
	}

	analyst, err := a.Accounts.UserByName(ctx, "analyst")
	if err != nil {
		t.Fatal(err)
	}
	_, theirs, err := a.Accounts.CreateToken(ctx, analyst.ID, "", "theirs", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, spare, err := a.Accounts.CreateToken(ctx, me.User.ID, "", "spare", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var tokens tokenList
	c.get("/api/v1/account/tokens").expect(t, http.StatusOK).decode(t, &tokens)
	if len(tokens.Tokens) != 2 {
		t.Fatalf("own tokens %+v", tokens)
	}
	for _, tk := range tokens.Tokens {
		if tk.UserID != me.User.ID {
			t.Errorf("another's token listed: %+v", tk)
		}
	}
	c.post("/api/v1/account/tokens/"+theirs.ID+"/revoke", nil).expect(t, http.StatusNotFound)
	var revoked tokenView
	c.post("/api/v1/account/tokens/"+spare.ID+"/revoke", nil).expect(t, http.StatusOK).decode(t, &revoked)
	if revoked.Status != "revoked" || revoked.RevokedBy != "user:advocate" {
		t.Errorf("revoked %+v", revoked)
	}

	// Sessions: two browsers logged in; one is ended from the API.
	var ids []string
	for range 2 {
		res, err := a.Accounts.Login(ctx, "advocate", "a long password advocate", "192.0.2.9")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Session.ID)
	}
	theirLogin, err := a.Accounts.Login(ctx, "analyst", "a long password analyst", "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	var sessions sessionList
	c.get("/api/v1/account/sessions").expect(t, http.StatusOK).decode(t, &sessions)
	if len(sessions.Sessions) != 2 || sessions.Sessions[0].Current {
		t.Errorf("sessions %+v", sessions)
	}
	c.post("/api/v1/account/sessions/"+theirLogin.Session.ID+"/revoke", nil).expect(t, http.StatusNotFound)
	c.post("/api/v1/account/sessions/"+ids[0]+"/revoke", nil).expect(t, http.StatusNoContent)
	c.post("/api/v1/account/sessions/"+ids[0]+"/revoke", nil).expect(t, http.StatusNotFound)
	c.get("/api/v1/account/sessions").expect(t, http.StatusOK).decode(t, &sessions)
	if len(sessions.Sessions) != 1 || sessions.Sessions[0].ID != ids[1] {
		t.Errorf("after ending one %+v", sessions)
	}
	other.get("/api/v1/account/sessions").expect(t, http.StatusOK).decode(t, &sessions)
	if len(sessions.Sessions) != 1 || sessions.Sessions[0].ID != theirLogin.Session.ID {
		t.Errorf("the analyst's sessions %+v", sessions)
	}

	// Nobody logged in: the handlers without the guard still refuse.
	anonymous := newClient(t, dbtest.SQLite(t))
	anonymous.get("/api/v1/account").expect(t, http.StatusUnauthorized)
}
