package account

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/account/oidctest"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/record"
)

// principalOf is who a request carrying the login's cookies, or the
// bearer token, acts as.
func principalOf(t *testing.T, s *Store, res *LoginResult, bearer string) *Principal {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if res != nil {
		for _, c := range s.LoginCookies(res) {
			r.AddCookie(c)
		}
	}
	if bearer != "" {
		r.Header.Set("Authorization", "Bearer "+bearer)
	}
	var p *Principal
	s.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ = PrincipalFrom(r.Context())
	})).ServeHTTP(httptest.NewRecorder(), r)
	if p == nil {
		t.Fatal("the request authenticated nobody")
	}
	return p
}

func fieldCodes(err error) []string {
	errs, _ := record.AsErrors(err)
	var out []string
	for _, e := range errs {
		out = append(out, e.Field+":"+e.Code)
	}
	return out
}

// A generated password must be replaced: the flag is set by a new account
// or a reset with one, reaches every session and token of the user, and
// goes with the user's own change of password — each step in the audit log.
func TestPasswordChangeDue(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, Options{})
		generated := GeneratePassword()
		u, err := f.AddUser(f.ctx, NewUser{Name: "kofi", Role: Investigator, Password: generated, MustChangePassword: true})
		if err != nil {
			t.Fatal(err)
		}
		if !u.MustChangePassword {
			t.Fatal("the new user need not change the password")
		}
		if got, _ := f.User(f.ctx, u.ID); !got.MustChangePassword {
			t.Fatal("the flag was not stored")
		}
		if n := f.countActions(t, PasswordChangeRequired); n != 1 {
			t.Errorf("%d password.must_change entries after adding the user, want 1", n)
		}

		first, err := f.Login(f.ctx, "kofi", generated, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		other, err := f.Login(f.ctx, "kofi", generated, "192.0.2.2")
		if err != nil {
			t.Fatal(err)
		}
		token, _, err := f.CreateToken(f.ctx, u.ID, "", "script", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		p := principalOf(t, f.Store, first, "")
		if !p.PasswordChangeDue || p.LoginMethod != LoginPassword || first.Session.Method != LoginPassword {
			t.Errorf("a password login of a user who must change it: due %v, method %q", p.PasswordChangeDue, p.LoginMethod)
		}
		if tp := principalOf(t, f.Store, nil, token); !tp.PasswordChangeDue || tp.LoginMethod != "" {
			t.Errorf("the user's token: due %v, method %q", tp.PasswordChangeDue, tp.LoginMethod)
		}

		// Refused changes leave the flag and the password.
		for _, c := range []struct {
			current, password string
			want              []string
		}{
			{"", "a password of my own", []string{"current_password:required"}},
			{"not the password", "a password of my own", []string{"current_password:wrong"}},
			{generated, generated, []string{"password:unchanged"}},
			{generated, "short", []string{"password:too_short"}},
		} {
			if got := fieldCodes(f.ChangeOwnPassword(f.ctx, p, c.current, c.password)); !slices.Equal(got, c.want) {
				t.Errorf("change from %q to %q: %v, want %v", c.current, c.password, got, c.want)
			}
		}
		if got, _ := f.User(f.ctx, u.ID); !got.MustChangePassword {
			t.Fatal("a refused change cleared the flag")
		}

		if err := f.ChangeOwnPassword(f.ctx, p, generated, "a password of my own"); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.User(f.ctx, u.ID); got.MustChangePassword {
			t.Error("the flag stays after the change")
		}
		if p := principalOf(t, f.Store, first, ""); p.PasswordChangeDue {
			t.Error("the session that made the change is still held back")
		}
		if _, _, err := f.Session(f.ctx, other.Token); !errors.Is(err, ErrSessionExpired) {
			t.Errorf("the user's other session survived the change: %v", err)
		}
		if _, err := f.Login(f.ctx, "kofi", generated, "192.0.2.1"); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("the generated password still logs in: %v", err)
		}

		// An administrator's reset with a generated password sets it again;
		// one with a password they were given clears it.
		if err := f.SetTemporaryPassword(f.ctx, u.ID, GeneratePassword()); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.User(f.ctx, u.ID); !got.MustChangePassword {
			t.Error("a reset with a generated password does not ask for a change")
		}
		if _, _, err := f.Session(f.ctx, first.Token); !errors.Is(err, ErrSessionExpired) {
			t.Errorf("the reset left a session: %v", err)
		}
		if err := f.SetPassword(f.ctx, u.ID, "a password agreed in person"); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.User(f.ctx, u.ID); got.MustChangePassword {
			t.Error("a reset with a given password asks for a change")
		}
		for action, want := range map[Action]int{PasswordChangeRequired: 2, PasswordReset: 2, PasswordChanged: 1} {
			if n := f.countActions(t, action); n != want {
				t.Errorf("%d %s entries, want %d", n, action, want)
			}
		}
		// A user added with a password of their own is asked nothing.
		if v := f.addUser(t, "ama", Analyst); v.MustChangePassword {
			t.Error("a user with a given password must change it")
		}
	})
}

// A user signed in through single sign-on may never have been given the
// generated password: that session sets a new one without it. A session
// opened with the password must give it.
func TestPasswordChangeAfterSingleSignOn(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newOIDCFixture(t, d, Options{ClientBurst: 1000}, false)
		generated := GeneratePassword()
		u, err := f.AddUser(f.ctx, NewUser{Name: "ines", Role: Investigator, Password: generated, MustChangePassword: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.LinkOIDC(f.ctx, u.ID, f.idp.Issuer, "ines-at-idp"); err != nil {
			t.Fatal(err)
		}
		sso, _, err := f.signIn(t, oidctest.Login{Subject: "ines-at-idp"})
		if err != nil {
			t.Fatal(err)
		}
		if sso.Session.Method != LoginOIDC {
			t.Errorf("a single sign-on session says it was opened by %q", sso.Session.Method)
		}
		byPassword, err := f.Login(f.ctx, "ines", generated, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		pw := principalOf(t, f.Store, byPassword, "")
		if got := fieldCodes(f.ChangeOwnPassword(f.ctx, pw, "", "a password of my own")); !slices.Equal(got, []string{"current_password:required"}) {
			t.Errorf("a password session changing without the password: %v", got)
		}
		p := principalOf(t, f.Store, sso, "")
		if !p.PasswordChangeDue || p.LoginMethod != LoginOIDC {
			t.Fatalf("the single sign-on session: due %v, method %q", p.PasswordChangeDue, p.LoginMethod)
		}
		if err := f.ChangeOwnPassword(f.ctx, p, "", "a password of my own"); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.User(f.ctx, u.ID); got.MustChangePassword {
			t.Error("the flag stays after the change")
		}
		if _, err := f.Login(f.ctx, "ines", "a password of my own", "192.0.2.1"); err != nil {
			t.Errorf("the new password does not log in: %v", err)
		}
		// Once nothing is due, even a single sign-on session gives the
		// current password to change it.
		p = principalOf(t, f.Store, sso, "")
		if got := fieldCodes(f.ChangeOwnPassword(f.ctx, p, "", "yet another password")); !slices.Equal(got, []string{"current_password:required"}) {
			t.Errorf("a change without the password when none is due: %v", got)
		}
	})
}
