package account

import (
	"errors"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

// A user ends their own sessions and revokes their own tokens; another's
// are "not found", and stay.
func TestRevokeOwn(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, Options{})
		kofi := f.addUser(t, "kofi", Investigator)
		ama := f.addUser(t, "ama", Analyst)
		login := func(name string) *LoginResult {
			t.Helper()
			res, err := f.Login(f.ctx, name, testPassword, "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		k1, k2, a1 := login("kofi"), login("kofi"), login("ama")

		if err := f.RevokeSessionOf(f.ctx, kofi.ID, a1.Session.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("revoking another's session: %v", err)
		}
		if err := f.RevokeSessionOf(f.ctx, kofi.ID, "no-such-session"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("revoking an unknown session: %v", err)
		}
		if err := f.RevokeSessionOf(f.ctx, kofi.ID, k1.Session.ID); err != nil {
			t.Fatal(err)
		}
		live, err := f.Sessions(f.ctx, kofi.ID)
		if err != nil || len(live) != 1 || live[0].ID != k2.Session.ID {
			t.Errorf("kofi's sessions after revoking one: %+v, %v", live, err)
		}
		if live, _ := f.Sessions(f.ctx, ama.ID); len(live) != 1 {
			t.Errorf("ama's session went with kofi's: %+v", live)
		}
		if f.countActions(t, SessionRevoked) != 1 {
			t.Errorf("%d session.revoke entries, want 1", f.countActions(t, SessionRevoked))
		}

		_, mine, err := f.CreateToken(f.ctx, kofi.ID, "", "script", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		_, theirs, err := f.CreateToken(f.ctx, ama.ID, "", "script", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.RevokeTokenOf(f.ctx, kofi.ID, theirs.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("revoking another's token: %v", err)
		}
		if got, _ := f.Token(f.ctx, theirs.ID); !got.RevokedAt.IsZero() {
			t.Error("another's token was revoked")
		}
		got, err := f.RevokeTokenOf(f.ctx, kofi.ID, mine.ID)
		if err != nil || got.RevokedAt.IsZero() || got.RevokedBy != "cli:test" {
			t.Errorf("revoking one's own token: %+v, %v", got, err)
		}
		if f.countActions(t, TokenRevoked) != 1 {
			t.Errorf("%d token.revoke entries, want 1", f.countActions(t, TokenRevoked))
		}
	})
}
