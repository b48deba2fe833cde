package account

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/seal"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// clock is a test's time, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	*Store
	db    *db.DB
	clock *clock
	ctx   context.Context
}

func newFixture(t testing.TB, d *db.DB, opts Options) *fixture {
	t.Helper()
	c := &clock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	if opts.Password == (PasswordParams{}) {
		opts.Password = fastParams
	}
	opts.Now = c.Now
	return &fixture{Store: NewStore(d, opts), db: d, clock: c, ctx: record.WithActor(context.Background(), "cli:test")}
}

const testPassword = "a long test password"

func (f *fixture) addUser(t *testing.T, name string, role Role) *User {
	t.Helper()
	u, err := f.AddUser(f.ctx, NewUser{Name: name, Role: role, Password: testPassword})
	if err != nil {
		t.Fatalf("add user %s: %v", name, err)
	}
	return u
}

// auditActions returns the account events in the audit log, in order, as
// "action subject" lines.
func (f *fixture) auditEntries(t *testing.T) []string {
	t.Helper()
	rows, err := f.db.Query(f.ctx, `SELECT entry FROM audit_log WHERE kind = 'account' ORDER BY idx`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func (f *fixture) countActions(t *testing.T, action Action) int {
	n := 0
	for _, e := range f.auditEntries(t) {
		if strings.Contains(e, `"action":"`+string(action)+`"`) {
			n++
		}
	}
	return n
}

func TestUsers(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, Options{})
		if needs, err := f.NeedsAdmin(f.ctx); err != nil || !needs {
			t.Fatalf("NeedsAdmin on an empty store = %v, %v; want true", needs, err)
		}
		admin, err := f.AddUser(f.ctx, NewUser{Name: " Amira ", DisplayName: "Amira H.", Role: Administrator, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		if admin.Name != "amira" || admin.CreatedBy != "cli:test" || admin.Role != Administrator {
			t.Errorf("added %+v", admin)
		}
		if needs, _ := f.NeedsAdmin(f.ctx); needs {
			t.Error("NeedsAdmin with an administrator = true")
		}

		// Invalid input names each field.
		_, err = f.AddUser(f.ctx, NewUser{Name: "-bad name", Role: "chief", Password: "short"})
		errs, ok := record.AsErrors(err)
		if !ok || errs.For("name") == nil || errs.For("role") == nil || errs.For("password") == nil {
			t.Errorf("invalid user: %v", err)
		}
		_, err = f.AddUser(f.ctx, NewUser{Name: "AMIRA", Role: Analyst, Password: testPassword})
		if errs, ok := record.AsErrors(err); !ok || errs.For("name") == nil || errs.For("name").Code != "taken" {
			t.Errorf("duplicate name: %v", err)
		}

		f.addUser(t, "bashir", Investigator)
		users, err := f.Users(f.ctx)
		if err != nil || len(users) != 2 || users[0].Name != "amira" || users[1].Name != "bashir" {
			t.Fatalf("Users = %+v, %v", users, err)
		}
		got, err := f.UserByName(f.ctx, "Bashir")
		if err != nil || got.ID != users[1].ID {
			t.Errorf("UserByName = %+v, %v", got, err)
		}
		if _, err := f.UserByName(f.ctx, "nobody"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("UserByName(nobody) = %v", err)
		}

		// The last administrator can be neither disabled nor demoted.
		if _, err := f.SetDisabled(f.ctx, admin.ID, true); !errors.Is(err, ErrLastAdministrator) {
			t.Errorf("disable the last administrator: %v", err)
		}
		if _, err := f.SetRole(f.ctx, admin.ID, Analyst); !errors.Is(err, ErrLastAdministrator) {
			t.Errorf("demote the last administrator: %v", err)
		}
		u, err := f.SetRole(f.ctx, users[1].ID, Administrator)
		if err != nil || u.Role != Administrator {
			t.Fatalf("SetRole: %+v, %v", u, err)
		}
		if u, err := f.SetDisabled(f.ctx, admin.ID, true); err != nil || !u.Disabled {
			t.Errorf("disable an administrator with another left: %+v, %v", u, err)
		}
		if u, err := f.SetDisplayName(f.ctx, admin.ID, "  Amira Haddad "); err != nil || u.DisplayName != "Amira Haddad" {
			t.Errorf("SetDisplayName: %+v, %v", u, err)
		}

		// Every change is in the audit log, attributed, with no secret in it.
		want := []Action{UserCreated, UserCreated, RoleChanged, UserDisabled, UserUpdated}
		entries := f.auditEntries(t)
		if len(entries) != len(want) {
			t.Fatalf("audit log has %d account entries, want %d:\n%s", len(entries), len(want), strings.Join(entries, "\n"))
		}
		for i, e := range entries {
			if !strings.Contains(e, `"action":"`+string(want[i])+`"`) || !strings.Contains(e, `"actor":"cli:test"`) ||
				!strings.Contains(e, `"kind":"account"`) {
				t.Errorf("audit entry %d = %s, want action %s by cli:test", i, e, want[i])
			}
			if strings.Contains(e, testPassword) || strings.Contains(e, "argon2") {
				t.Errorf("audit entry %d holds a secret: %s", i, e)
			}
		}
	})
}

func TestLogin(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, Options{LockoutThreshold: 3, LockoutDuration: 10 * time.Minute, AccountBurst: 100, ClientBurst: 100})
		u := f.addUser(t, "chidi", Analyst)

		res, err := f.Login(f.ctx, "Chidi", testPassword, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if res.NeedsSecondFactor() || res.User.ID != u.ID || len(res.Token) != 43 || res.Session.SecondFactor {
			t.Errorf("login result %+v", res)
		}
		sess, su, err := f.Session(f.ctx, res.Token)
		if err != nil || sess.ID != res.Session.ID || su.ID != u.ID {
			t.Fatalf("Session = %+v, %+v, %v", sess, su, err)
		}
		// The database holds the token's hash, never the token.
		var n int
		if err := d.QueryRow(f.ctx, `SELECT COUNT(*) FROM sessions WHERE token_hash = $1`, hashSecret(res.Token)).Scan(&n); err != nil || n != 1 {
			t.Errorf("sessions with the token's hash: %d, %v", n, err)
		}
		if err := d.QueryRow(f.ctx, `SELECT COUNT(*) FROM sessions WHERE token_hash = $1 OR id = $1`, res.Token).Scan(&n); err != nil || n != 0 {
			t.Errorf("sessions holding the token itself: %d, %v", n, err)
		}

		// Wrong password, unknown user, disabled user: one error alike.
		for _, tc := range []struct{ name, password string }{
			{"chidi", "not the password"},
			{"nobody", testPassword},
			{"chidi", strings.Repeat("x", MaxPasswordLength+1)},
		} {
			if _, err := f.Login(f.ctx, tc.name, tc.password, "192.0.2.1"); !errors.Is(err, ErrInvalidCredentials) {
				t.Errorf("Login(%s, %q) = %v, want ErrInvalidCredentials", tc.name, tc.password, err)
			}
		}

		// A third failure in a row locks the account, even against the right password.
		if _, err := f.Login(f.ctx, "chidi", "wrong again", "192.0.2.1"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatal(err)
		}
		if got, _ := f.User(f.ctx, u.ID); !got.Locked(f.clock.Now()) {
			t.Fatalf("after 3 failures the account is not locked: %+v", got)
		}
		if _, err := f.Login(f.ctx, "chidi", testPassword, "192.0.2.1"); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("login while locked = %v, want ErrInvalidCredentials", err)
		}
		for _, e := range f.auditEntries(t) {
			failure := strings.Contains(e, string(LoginFailed)) || strings.Contains(e, string(LockedOut))
			if failure != strings.Contains(e, `"actor":"login-attempt:chidi"`) {
				t.Errorf("audit entry with the wrong actor: %s", e)
			}
		}
		if f.countActions(t, LockedOut) != 1 || f.countActions(t, LoginFailed) != 3 {
			t.Errorf("audit log: %d lock-outs, %d failed logins; want 1, 3", f.countActions(t, LockedOut), f.countActions(t, LoginFailed))
		}
		f.clock.Advance(11 * time.Minute)
		res2, err := f.Login(f.ctx, "chidi", testPassword, "192.0.2.1")
		if err != nil {
			t.Fatalf("login after the lock-out: %v", err)
		}

		// Disabling ends sessions and refuses logins.
		f.addUser(t, "admin", Administrator)
		if _, err := f.SetDisabled(f.ctx, u.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.Session(f.ctx, res2.Token); !errors.Is(err, ErrSessionExpired) {
			t.Errorf("session of a disabled user: %v", err)
		}
		if _, err := f.Login(f.ctx, "chidi", testPassword, "192.0.2.1"); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("login of a disabled user = %v", err)
		}
		if _, err := f.SetDisabled(f.ctx, u.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Login(f.ctx, "chidi", testPassword, "192.0.2.1"); err != nil {
			t.Errorf("login after enabling: %v", err)
		}
	})
}

func TestLoginRateLimits(t *testing.T) {
	d := dbtest.SQLite(t)
	f := newFixture(t, d, Options{AccountBurst: 3, ClientBurst: 5, LockoutThreshold: 100})
	f.addUser(t, "dina", Investigator)
	for i := range 3 {
		if _, err := f.Login(f.ctx, "dina", "wrong password", "198.51.100.7"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, err := f.Login(f.ctx, "dina", testPassword, "198.51.100.8")
	var te *ThrottledError
	if !errors.As(err, &te) || !errors.Is(err, ErrThrottled) || te.RetryAfter <= 0 {
		t.Fatalf("fourth attempt on the account = %v, want throttled", err)
	}
	// An unknown name is limited just the same: no telling names apart.
	for range 2 {
		f.Login(f.ctx, "ghost", "wrong password", "198.51.100.9")
	}
	// The client's budget: 5 attempts from one address whatever the names,
	// and an IPv6 /64 counts as one client.
	for i := range 5 {
		_, err := f.Login(f.ctx, "name"+string(rune('a'+i)), "x", "2001:db8::"+string(rune('1'+i)))
		if errors.Is(err, ErrThrottled) {
			t.Fatalf("attempt %d from the /64 throttled too early", i)
		}
	}
	if _, err := f.Login(f.ctx, "namez", "x", "2001:db8::ffff"); !errors.Is(err, ErrThrottled) {
		t.Errorf("sixth attempt from one /64 = %v, want throttled", err)
	}
	f.clock.Advance(time.Minute)
	if _, err := f.Login(f.ctx, "dina", testPassword, "198.51.100.8"); err != nil {
		t.Errorf("login after waiting: %v", err)
	}
}

func TestPasswordUpgradeOnLogin(t *testing.T) {
	d := dbtest.SQLite(t)
	f := newFixture(t, d, Options{})
	u := f.addUser(t, "esi", Analyst)
	stronger := newFixture(t, d, Options{Password: PasswordParams{Memory: 128, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}})
	if _, err := stronger.Login(f.ctx, "esi", testPassword, ""); err != nil {
		t.Fatal(err)
	}
	var hash string
	d.QueryRow(f.ctx, `SELECT password_hash FROM users WHERE id = $1`, u.ID).Scan(&hash)
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=128,t=2,p=1$") {
		t.Errorf("after a login under stronger parameters the hash is %s", hash)
	}
	if stronger.countActions(t, PasswordRehashed) != 1 {
		t.Error("the upgrade is not in the audit log")
	}
	if _, err := stronger.Login(f.ctx, "esi", testPassword, ""); err != nil {
		t.Errorf("login with the upgraded hash: %v", err)
	}
}

func TestPasswordChange(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, Options{})
		u := f.addUser(t, "farah", Investigator)
		a, _ := f.Login(f.ctx, "farah", testPassword, "")
		b, _ := f.Login(f.ctx, "farah", testPassword, "")
		err := f.ChangePassword(f.ctx, u.ID, "not the current", "a new long password", a.Session.ID)
		if errs, ok := record.AsErrors(err); !ok || errs.For("current_password") == nil {
			t.Errorf("change with a wrong current password: %v", err)
		}
		if err := f.ChangePassword(f.ctx, u.ID, testPassword, "a new long password", a.Session.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.Session(f.ctx, a.Token); err != nil {
			t.Errorf("the session that changed the password ended: %v", err)
		}
		if _, _, err := f.Session(f.ctx, b.Token); !errors.Is(err, ErrSessionExpired) {
			t.Errorf("another session survived the change: %v", err)
		}
		if _, err := f.Login(f.ctx, "farah", testPassword, ""); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("old password still works: %v", err)
		}
		if err := f.SetPassword(f.ctx, u.ID, "an administrator's reset"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.Session(f.ctx, a.Token); !errors.Is(err, ErrSessionExpired) {
			t.Errorf("a session survived a reset: %v", err)
		}
		if _, err := f.Login(f.ctx, "farah", "an administrator's reset", ""); err != nil {
			t.Errorf("login with the reset password: %v", err)
		}
		if f.countActions(t, PasswordChanged) != 1 || f.countActions(t, PasswordReset) != 1 || f.countActions(t, SessionRevoked) != 2 {
			t.Errorf("audit log:\n%s", strings.Join(f.auditEntries(t), "\n"))
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, Options{IdleTimeout: 30 * time.Minute, SessionLifetime: 2 * time.Hour})
		f.addUser(t, "gaspard", Analyst)
		res, err := f.Login(f.ctx, "gaspard", testPassword, "")
		if err != nil {
			t.Fatal(err)
		}
		// Used every 20 minutes, the session lives until its absolute expiry.
		for range 5 {
			f.clock.Advance(20 * time.Minute)
			if _, _, err := f.Session(f.ctx, res.Token); err != nil {
				t.Fatalf("at %s: %v", f.clock.Now(), err)
			}
		}
		f.clock.Advance(20 * time.Minute) // 2 h after login
		if _, _, err := f.Session(f.ctx, res.Token); !errors.Is(err, ErrSessionExpired) {
			t.Errorf("past its absolute expiry: %v", err)
		}
		// Unused for longer than the idle timeout, a session ends.
		res, _ = f.Login(f.ctx, "gaspard", testPassword, "")
		f.clock.Advance(31 * time.Minute)
		if _, _, err := f.Session(f.ctx, res.Token); !errors.Is(err, ErrSessionExpired) {
			t.Errorf("idle for 31 minutes: %v", err)
		}
		if n, err := f.PurgeExpiredSessions(f.ctx); err != nil || n != 2 {
			t.Errorf("purged %d, %v; want 2", n, err)
		}
		// Logout ends it; a token that is no token is refused.
		res, _ = f.Login(f.ctx, "gaspard", testPassword, "")
		if err := f.Logout(f.ctx, res.Token); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.Session(f.ctx, res.Token); !errors.Is(err, ErrSessionExpired) {
			t.Errorf("after logout: %v", err)
		}
		for _, bad := range []string{"", "x", strings.Repeat("A", 43), res.Token + "A", "dsr_" + res.Token} {
			if _, _, err := f.Session(f.ctx, bad); !errors.Is(err, ErrSessionExpired) {
				t.Errorf("Session(%q) = %v", bad, err)
			}
		}
	})
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTOTP(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, Options{AccountBurst: 100, LockoutThreshold: 100})
		u := f.addUser(t, "hana", Investigator)

		// The identities grant needs TOTP first.
		_, err := f.SetSeeIdentities(f.ctx, u.ID, true)
		if errs, ok := record.AsErrors(err); !ok || errs.For("see_identities").Code != "totp_required" {
			t.Fatalf("grant without TOTP: %v", err)
		}
		enrol, err := f.EnrolTOTP(f.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(enrol.URI, "otpauth://totp/Dossier:hana?") || len(enrol.RecoveryCodes) != RecoveryCodeCount {
			t.Fatalf("enrolment %+v", enrol)
		}
		// The secret is in its column as it is (no sealer configured), and
		// the recovery codes only as hashes.
		var stored []byte
		d.QueryRow(f.ctx, `SELECT totp_secret FROM users WHERE id = $1`, u.ID).Scan(&stored)
		if string(stored) != enrol.Secret {
			t.Errorf("stored secret %q, want %q", stored, enrol.Secret)
		}
		var n int
		d.QueryRow(f.ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND code_hash = $2`, u.ID, enrol.RecoveryCodes[0]).Scan(&n)
		if n != 0 {
			t.Error("a recovery code is stored as it is")
		}
		if u, err = f.SetSeeIdentities(f.ctx, u.ID, true); err != nil || !u.SeeIdentities {
			t.Fatalf("grant with TOTP: %+v, %v", u, err)
		}

		// The password alone gives a pending login that grants nothing.
		res, err := f.Login(f.ctx, "hana", testPassword, "")
		if err != nil || !res.NeedsSecondFactor() {
			t.Fatalf("login with TOTP enrolled: %+v, %v", res, err)
		}
		if _, _, err := f.Session(f.ctx, res.Token); !errors.Is(err, ErrSessionExpired) {
			t.Errorf("a pending login works as a session: %v", err)
		}
		if _, err := f.LoginSecondFactor(f.ctx, res.Token, "000000", ""); !errors.Is(err, ErrInvalidCredentials) {
			// (one chance in a million that 000000 is the code: the clock is fixed, so it is not)
			t.Errorf("wrong code: %v", err)
		}
		now := f.clock.Now()
		full, err := f.LoginSecondFactor(f.ctx, res.Token, code(t, enrol.Secret, now), "")
		if err != nil {
			t.Fatal(err)
		}
		if full.NeedsSecondFactor() || !full.Session.SecondFactor || full.Token == res.Token {
			t.Errorf("completed login %+v", full)
		}
		if _, _, err := f.Session(f.ctx, full.Token); err != nil {
			t.Errorf("the completed session: %v", err)
		}
		if _, err := f.LoginSecondFactor(f.ctx, res.Token, code(t, enrol.Secret, now), ""); !errors.Is(err, ErrSessionExpired) {
			t.Errorf("the pending token still works after completion: %v", err)
		}
		p, err := f.principal(f.ctx, full.User, full.User.Role, true)
		if err != nil || !p.SeeIdentities || !p.Can(SeeIdentities) {
			t.Errorf("principal after TOTP: %+v, %v", p, err)
		}

		// The same code is refused the second time, even within its step;
		// so is the previous step's code.
		res2, _ := f.Login(f.ctx, "hana", testPassword, "")
		if _, err := f.LoginSecondFactor(f.ctx, res2.Token, code(t, enrol.Secret, now), ""); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("replayed code: %v", err)
		}
		if _, err := f.LoginSecondFactor(f.ctx, res2.Token, code(t, enrol.Secret, now.Add(-30*time.Second)), ""); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("older code after a newer was used: %v", err)
		}
		// The next step's code (a clock slightly ahead) is accepted.
		if _, err := f.LoginSecondFactor(f.ctx, res2.Token, code(t, enrol.Secret, now.Add(30*time.Second)), ""); err != nil {
			t.Errorf("next step's code: %v", err)
		}

		// A recovery code works once, typed in any case and grouping.
		res3, _ := f.Login(f.ctx, "hana", testPassword, "")
		typed := strings.ToUpper(strings.ReplaceAll(enrol.RecoveryCodes[3], "-", " "))
		if _, err := f.LoginSecondFactor(f.ctx, res3.Token, typed, ""); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		res4, _ := f.Login(f.ctx, "hana", testPassword, "")
		if _, err := f.LoginSecondFactor(f.ctx, res4.Token, enrol.RecoveryCodes[3], ""); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("recovery code used twice: %v", err)
		}
		if left, _ := f.RecoveryCodesLeft(f.ctx, u.ID); left != RecoveryCodeCount-1 {
			t.Errorf("%d recovery codes left, want %d", left, RecoveryCodeCount-1)
		}

		// A pending login expires.
		f.clock.Advance(6 * time.Minute)
		if _, err := f.LoginSecondFactor(f.ctx, res4.Token, code(t, enrol.Secret, f.clock.Now()), ""); !errors.Is(err, ErrSessionExpired) {
			t.Errorf("pending login after 6 minutes: %v", err)
		}

		// Removing TOTP withdraws the identities grant and ends sessions.
		u, err = f.RemoveTOTP(f.ctx, u.ID)
		if err != nil || u.TOTP || u.SeeIdentities {
			t.Fatalf("RemoveTOTP: %+v, %v", u, err)
		}
		if _, _, err := f.Session(f.ctx, full.Token); !errors.Is(err, ErrSessionExpired) {
			t.Errorf("session after TOTP removal: %v", err)
		}
		if res, err := f.Login(f.ctx, "hana", testPassword, ""); err != nil || res.NeedsSecondFactor() {
			t.Errorf("login after removal: %+v, %v", res, err)
		}
		for _, e := range f.auditEntries(t) {
			if strings.Contains(e, enrol.Secret) || strings.Contains(e, enrol.RecoveryCodes[0]) {
				t.Errorf("audit entry holds a secret: %s", e)
			}
		}
	})
}

func TestTOTPSelfEnrolment(t *testing.T) {
	d := dbtest.SQLite(t)
	f := newFixture(t, d, Options{})
	u := f.addUser(t, "ines", LegalAdvisor)
	enrol, err := f.BeginTOTP(f.ctx, u.ID)
	if err != nil || enrol.RecoveryCodes != nil {
		t.Fatalf("BeginTOTP: %+v, %v", enrol, err)
	}
	// Not yet active: logins do not ask for codes.
	if res, err := f.Login(f.ctx, "ines", testPassword, ""); err != nil || res.NeedsSecondFactor() {
		t.Errorf("login during enrolment: %+v, %v", res, err)
	}
	if _, err := f.ConfirmTOTP(f.ctx, u.ID, "123456x", ""); err == nil {
		t.Error("confirmed with a malformed code")
	}
	codes, err := f.ConfirmTOTP(f.ctx, u.ID, code(t, enrol.Secret, f.clock.Now()), "")
	if err != nil || len(codes) != RecoveryCodeCount {
		t.Fatalf("ConfirmTOTP: %v, %v", codes, err)
	}
	if _, err := f.BeginTOTP(f.ctx, u.ID); err == nil {
		t.Error("began a second enrolment over an active one")
	}
	res, err := f.Login(f.ctx, "ines", testPassword, "")
	if err != nil || !res.NeedsSecondFactor() {
		t.Fatalf("login after confirming: %+v, %v", res, err)
	}
	// The code used to confirm cannot log in.
	if _, err := f.LoginSecondFactor(f.ctx, res.Token, code(t, enrol.Secret, f.clock.Now()), ""); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("the confirming code logged in: %v", err)
	}
}

// sealer is a test SecretSealer that prefixes the subject and field, to
// show that the store seals and opens through it.
type sealer struct{}

func (sealer) SealTx(_ context.Context, tx *db.Tx, subject, field string, p []byte) ([]byte, error) {
	if tx == nil {
		return nil, errors.New("sealed outside the write transaction")
	}
	return append([]byte(subject+"|"+field+"|"), p...), nil
}
func (sealer) Open(_ context.Context, subject, field string, c []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(string(c), subject+"|"+field+"|")
	if !ok {
		return nil, errors.New("sealed for another subject or field")
	}
	return []byte(rest), nil
}

func TestTOTPSealed(t *testing.T) {
	d := dbtest.SQLite(t)
	f := newFixture(t, d, Options{Sealer: sealer{}})
	u := f.addUser(t, "jamal", SEAFocalPoint)
	enrol, err := f.EnrolTOTP(f.ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var stored []byte
	var name string
	d.QueryRow(f.ctx, `SELECT totp_secret, totp_sealer FROM users WHERE id = $1`, u.ID).Scan(&stored, &name)
	if name != "seal" || string(stored) != "account/"+u.ID+"|totp_secret|"+enrol.Secret {
		t.Errorf("stored %q sealed by %q", stored, name)
	}
	res, _ := f.Login(f.ctx, "jamal", testPassword, "")
	if _, err := f.LoginSecondFactor(f.ctx, res.Token, code(t, enrol.Secret, f.clock.Now()), ""); err != nil {
		t.Errorf("second factor through the sealer: %v", err)
	}
	// Without the sealer that sealed it, the secret cannot be used.
	plain := newFixture(t, d, Options{})
	plain.clock.now = f.clock.Now()
	res, _ = plain.Login(f.ctx, "jamal", testPassword, "")
	if _, err := plain.LoginSecondFactor(f.ctx, res.Token, code(t, enrol.Secret, f.clock.Now().Add(30*time.Second)), ""); err == nil ||
		!strings.Contains(err.Error(), "no sealer is configured") {
		t.Errorf("second factor without the sealer: %v", err)
	}
}

func TestTokens(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, Options{})
		u := f.addUser(t, "kofi", Investigator)
		f.addUser(t, "admin", Administrator)

		secret, tok, err := f.CreateToken(f.ctx, u.ID, Analyst, "nightly export", 30*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, TokenPrefix) || len(secret) != len(TokenPrefix)+43 || tok.Role != Analyst || tok.UserName != "kofi" {
			t.Errorf("token %q, %+v", secret, tok)
		}
		p, err := f.AuthenticateToken(f.ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if p.User.ID != u.ID || p.Role != Analyst || p.Can(WriteRecords) || !p.Can(ReadRecords) || p.SeeIdentities || p.TokenID != tok.ID {
			t.Errorf("principal %+v", p)
		}
		// Scoped wider than the user's role: refused. Unscoped: the user's role.
		if _, _, err := f.CreateToken(f.ctx, u.ID, Administrator, "", time.Hour); err == nil {
			t.Error("created a token wider than its user's role")
		}
		if _, _, err := f.CreateToken(f.ctx, u.ID, "", "", 0); err == nil {
			t.Error("created a token without a lifetime")
		}
		if _, _, err := f.CreateToken(f.ctx, u.ID, "", "", 400*24*time.Hour); err == nil {
			t.Error("created a token for 400 days")
		}
		secret2, tok2, err := f.CreateToken(f.ctx, u.ID, "", "", time.Hour)
		if err != nil || tok2.Role != Investigator {
			t.Fatalf("unscoped token: %+v, %v", tok2, err)
		}
		// The database holds hashes only.
		var n int
		d.QueryRow(f.ctx, `SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1 OR token_hash = $2`, secret, secret2).Scan(&n)
		if n != 0 {
			t.Error("a token is stored as it is")
		}
		list, err := f.Tokens(f.ctx, u.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("Tokens = %+v, %v", list, err)
		}

		// The user's role narrows a token: demoted to advocate, the analyst
		// token keeps only what both grant.
		if _, err := f.SetRole(f.ctx, u.ID, Advocate); err != nil {
			t.Fatal(err)
		}
		p, _ = f.AuthenticateToken(f.ctx, secret)
		if p.Can(ReadRecords) || !p.Can(ReadAggregates) {
			t.Errorf("after demotion the token grants %v", p.Permissions)
		}

		// Expiry, revocation and a disabled user end a token.
		f.clock.Advance(2 * time.Hour)
		if _, err := f.AuthenticateToken(f.ctx, secret2); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("expired token: %v", err)
		}
		if _, err := f.RevokeToken(f.ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.AuthenticateToken(f.ctx, secret); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("revoked token: %v", err)
		}
		got, _ := f.Token(f.ctx, tok.ID)
		if got.RevokedAt.IsZero() || got.RevokedBy != "cli:test" || got.LastUsedAt.IsZero() {
			t.Errorf("revoked token reads %+v", got)
		}
		secret3, _, _ := f.CreateToken(f.ctx, u.ID, "", "", time.Hour)
		f.SetDisabled(f.ctx, u.ID, true)
		if _, err := f.AuthenticateToken(f.ctx, secret3); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("token of a disabled user: %v", err)
		}
		for _, bad := range []string{"", "dsr_", "dsr_short", secret[4:], "xyz_" + secret[4:]} {
			if _, err := f.AuthenticateToken(f.ctx, bad); !errors.Is(err, ErrTokenInvalid) {
				t.Errorf("AuthenticateToken(%q) = %v", bad, err)
			}
		}
		if f.countActions(t, TokenCreated) != 3 || f.countActions(t, TokenRevoked) != 1 {
			t.Errorf("audit log:\n%s", strings.Join(f.auditEntries(t), "\n"))
		}
		for _, e := range f.auditEntries(t) {
			if strings.Contains(e, secret[4:]) || strings.Contains(e, hashSecret(secret)) {
				t.Errorf("audit entry holds a token or its hash: %s", e)
			}
		}
	})
}

func TestCases(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, Options{})
		u := f.addUser(t, "layla", Investigator)
		oct, err := f.CreateCase(f.ctx, "7 October 2023", "Attacks of 7 October 2023")
		if err != nil {
			t.Fatal(err)
		}
		darfur, _ := f.CreateCase(f.ctx, "Darfur 2023", "")
		if _, err := f.CreateCase(f.ctx, "Darfur 2023", ""); err == nil {
			t.Error("two cases with one name")
		}
		if got, err := f.Case(f.ctx, "Darfur 2023"); err != nil || got.ID != darfur.ID {
			t.Errorf("Case by name: %+v, %v", got, err)
		}
		if got, err := f.Case(f.ctx, oct.ID); err != nil || got.Name != "7 October 2023" {
			t.Errorf("Case by ID: %+v, %v", got, err)
		}
		for _, c := range []*Case{darfur, oct, oct} {
			if err := f.AddToCase(f.ctx, u.ID, c.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.AddToCase(f.ctx, u.ID, "no-such-case"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("AddToCase(unknown case) = %v", err)
		}
		cases, err := f.CasesOf(f.ctx, u.ID)
		if err != nil || len(cases) != 2 || cases[0].Name != "7 October 2023" || cases[1].Name != "Darfur 2023" {
			t.Errorf("CasesOf = %+v, %v", cases, err)
		}
		p, _ := f.principal(f.ctx, u, u.Role, false)
		if !p.InCase(oct.ID) || !p.InCase(darfur.ID) || p.InCase("other") {
			t.Errorf("principal cases %v", p.Cases)
		}
		if err := f.RemoveFromCase(f.ctx, u.ID, darfur.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.RemoveFromCase(f.ctx, u.ID, darfur.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("removing twice: %v", err)
		}
		members, _ := f.CaseMembers(f.ctx, oct.ID)
		if len(members) != 1 || members[0].Name != "layla" {
			t.Errorf("CaseMembers = %+v", members)
		}
		if f.countActions(t, CaseMemberAdded) != 2 || f.countActions(t, CaseMemberRemoved) != 1 || f.countActions(t, CaseCreated) != 2 {
			t.Errorf("audit log:\n%s", strings.Join(f.auditEntries(t), "\n"))
		}
	})
}

// The sealer the server wires in, internal/seal, fits SecretSealer: the
// secret reaches the database only encrypted, and logins still work.
func TestTOTPSealedBySeal(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		keyset, err := seal.GenerateKEK()
		if err != nil {
			t.Fatal(err)
		}
		kek, err := seal.KEKFromKeyset(keyset, "env://TEST_KEK")
		if err != nil {
			t.Fatal(err)
		}
		sealer, err := seal.New(ctx, d, kek, seal.Options{})
		if err != nil {
			t.Fatal(err)
		}
		f := newFixture(t, d, Options{Sealer: sealer})
		u := f.addUser(t, "karim", LegalAdvisor)
		enrol, err := f.EnrolTOTP(f.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		var stored []byte
		var by string
		d.QueryRow(ctx, `SELECT totp_secret, totp_sealer FROM users WHERE id = $1`, u.ID).Scan(&stored, &by)
		if by != "seal" || len(stored) == 0 || strings.Contains(string(stored), enrol.Secret) {
			t.Errorf("stored %q sealed by %q", stored, by)
		}
		res, err := f.Login(f.ctx, "karim", testPassword, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.LoginSecondFactor(f.ctx, res.Token, code(t, enrol.Secret, f.clock.Now()), ""); err != nil {
			t.Errorf("second factor with a sealed secret: %v", err)
		}
	})
}

// One code, submitted at once to two pending logins (a phished code
// relayed while the user types it): exactly one login gets it.
func TestSecondFactorRace(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, Options{AccountBurst: 100})
		u := f.addUser(t, "lina", Investigator)
		enrol, err := f.EnrolTOTP(f.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		const n = 4
		pending := make([]string, n)
		for i := range pending {
			res, err := f.Login(f.ctx, "lina", testPassword, "")
			if err != nil {
				t.Fatal(err)
			}
			pending[i] = res.Token
		}
		c := code(t, enrol.Secret, f.clock.Now())
		errs := make(chan error, n)
		for _, tok := range pending {
			go func() {
				_, err := f.LoginSecondFactor(f.ctx, tok, c, "")
				errs <- err
			}()
		}
		ok := 0
		for range n {
			err := <-errs
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, ErrInvalidCredentials):
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d logins accepted one code, want 1", ok)
		}
	})
}
