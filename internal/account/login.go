package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// LoginResult is an accepted login: a session and the token for its cookie.
type LoginResult struct {
	// Token is the session token, the cookie's value. It is known only to
	// the browser; the database keeps its hash.
	Token   string
	Session *Session
	User    *User
}

// NeedsSecondFactor reports whether the login still awaits a TOTP or
// recovery code (LoginSecondFactor): until then the session grants nothing.
func (r *LoginResult) NeedsSecondFactor() bool { return r.Session.Pending }

// UserActor is how a user is named as the author of writes.
func UserActor(name string) string { return "user:" + name }

// loginState is what a login reads about the account it names.
type loginState struct {
	id, name, hash string
	disabled       bool
	locked         time.Time
	totp           bool
}

func (s *Store) loginState(ctx context.Context, q db.Querier, where string, arg any) (*loginState, error) {
	var st loginState
	var locked, totp string
	err := q.QueryRow(ctx, `SELECT id, name, password_hash, disabled, locked_until, totp_state FROM users WHERE `+where, arg).
		Scan(&st.id, &st.name, &st.hash, &st.disabled, &locked, &totp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read user: %w", err)
	}
	if locked != "" {
		if st.locked, err = db.ParseTime(locked); err != nil {
			return nil, err
		}
	}
	st.totp = totp == totpActive
	return &st, nil
}

// throttle takes one login attempt from the account's and the client's
// budgets, or says how long to wait.
func (s *Store) throttle(name, clientIP string) error {
	now := s.opts.Now()
	okIP, waitIP := s.byIP.allow(clientKey(clientIP), now)
	okName, waitName := s.byName.allow(name, now)
	if okIP && okName {
		return nil
	}
	return &ThrottledError{RetryAfter: max(waitIP, waitName)}
}

// Login checks a name and password from clientIP (the address the request
// came from, used for rate limiting only). If the user has TOTP, the result
// is a pending session that LoginSecondFactor completes.
//
// Every failure is ErrInvalidCredentials, or a ThrottledError when the
// attempts come too fast, and takes as long as a wrong password would,
// so neither the answer nor its timing tells which names exist.
func (s *Store) Login(ctx context.Context, name, password, clientIP string) (*LoginResult, error) {
	name = NormalizeName(name)
	if err := s.throttle(name, clientIP); err != nil {
		return nil, err
	}
	st, err := s.loginState(ctx, s.db, `name = $1`, name)
	if errors.Is(err, db.ErrNotFound) {
		s.verifyDummy(ctx, password)
		return nil, ErrInvalidCredentials
	}
	if err != nil {
		return nil, err
	}
	var ok, stale bool
	if len(password) > MaxPasswordLength {
		// Cannot be the password; costs the same time, counts as a failure.
		s.verifyDummy(ctx, password[:MaxPasswordLength])
	} else if ok, stale, err = s.hasher.verify(ctx, password, st.hash); err != nil {
		return nil, fmt.Errorf("check the password of %s: %w", st.name, err)
	}
	if st.disabled || st.locked.After(s.now()) {
		return nil, ErrInvalidCredentials
	}
	if !ok {
		if err := s.loginFailed(ctx, st); err != nil {
			return nil, err
		}
		return nil, ErrInvalidCredentials
	}
	newHash := ""
	if stale {
		if newHash, err = s.hasher.hash(ctx, password); err != nil {
			return nil, err
		}
	}
	ctx = record.WithActor(ctx, UserActor(st.name))
	var res *LoginResult
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		// Only if nothing changed since the password was checked: a
		// concurrent reset or disabling wins.
		r, err := tx.Exec(ctx, `UPDATE users SET failed_logins = 0 WHERE id = $1 AND password_hash = $2 AND NOT disabled`,
			st.id, st.hash)
		if err != nil {
			return fmt.Errorf("record the login: %w", err)
		}
		if n, err := r.RowsAffected(); err != nil || n != 1 {
			return ErrInvalidCredentials
		}
		if newHash != "" {
			if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, st.id, newHash); err != nil {
				return fmt.Errorf("upgrade the password hash: %w", err)
			}
			if err := s.event(ctx, tx, PasswordRehashed, st.id, s.opts.Password); err != nil {
				return err
			}
		}
		token, sess, err := s.createSession(ctx, tx, st.id, LoginPassword, st.totp, false)
		if err != nil {
			return err
		}
		u, err := getUser(ctx, tx, `id = $1`, st.id)
		if err != nil {
			return err
		}
		res = &LoginResult{Token: token, Session: sess, User: u}
		return nil
	})
	return res, err
}

// verifyDummy spends the time a real verification would, so that a login
// for a name that does not exist cannot be told apart by its timing.
func (s *Store) verifyDummy(ctx context.Context, password string) {
	s.dummyMu.Lock()
	if s.dummy == "" {
		s.dummy, _ = s.hasher.hash(ctx, GeneratePassword())
	}
	dummy := s.dummy
	s.dummyMu.Unlock()
	if dummy != "" {
		s.hasher.verify(ctx, password, dummy)
	}
}

// AttemptActor names, in the audit log, whoever failed to log in as a user:
// not the user, who may have had nothing to do with it.
func AttemptActor(name string) string { return "login-attempt:" + name }

// loginFailed counts a failed attempt and locks the account when there
// have been too many in a row.
func (s *Store) loginFailed(ctx context.Context, st *loginState) error {
	ctx, userID := record.WithActor(ctx, AttemptActor(st.name)), st.id
	return s.db.Write(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins`,
			userID).Scan(&n); err != nil {
			return fmt.Errorf("count a failed login: %w", err)
		}
		if err := s.event(ctx, tx, LoginFailed, userID, map[string]int{"failed_logins": n}); err != nil {
			return err
		}
		if n < s.opts.LockoutThreshold {
			return nil
		}
		until := s.now().Add(s.opts.LockoutDuration)
		if _, err := tx.Exec(ctx, `UPDATE users SET failed_logins = 0, locked_until = $2 WHERE id = $1`,
			userID, db.FormatTime(until)); err != nil {
			return fmt.Errorf("lock the account: %w", err)
		}
		// A half-finished login does not survive a lock-out.
		if err := s.revokeSessionTx(ctx, tx, `user_id = $1 AND pending`, userID); err != nil {
			return err
		}
		return s.event(ctx, tx, LockedOut, userID, map[string]string{"locked_until": db.FormatTime(until)})
	})
}

// LoginSecondFactor completes a pending login with a TOTP code or a
// recovery code. The pending session is replaced by a new one with a new
// token, so the token seen before the second factor is worth nothing after.
// A code is accepted once: a TOTP code cannot be replayed, even within its
// time step, and a recovery code is used up.
func (s *Store) LoginSecondFactor(ctx context.Context, pendingToken, code, clientIP string) (*LoginResult, error) {
	sess, err := s.findSession(ctx, s.db, pendingToken)
	if err != nil {
		return nil, err
	}
	if !sess.Pending {
		return nil, ErrSessionExpired
	}
	st, err := s.loginState(ctx, s.db, `id = $1`, sess.UserID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, ErrSessionExpired
	}
	if err != nil {
		return nil, err
	}
	if err := s.throttle(st.name, clientIP); err != nil {
		return nil, err
	}
	if st.disabled || st.locked.After(s.now()) || !st.totp {
		return nil, ErrInvalidCredentials
	}
	check, err := s.checkSecondFactor(ctx, st.id, code)
	if err != nil {
		return nil, err
	}
	if check == nil {
		if err := s.loginFailed(ctx, st); err != nil {
			return nil, err
		}
		return nil, ErrInvalidCredentials
	}
	ctx = record.WithActor(ctx, UserActor(st.name))
	var res *LoginResult
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		if err := check(tx); err != nil {
			return err
		}
		r, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = $1 AND pending`, sess.ID)
		if err != nil {
			return fmt.Errorf("end the pending login: %w", err)
		}
		if n, err := r.RowsAffected(); err != nil || n != 1 {
			// Completed twice at once: only the first counts.
			return ErrSessionExpired
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET failed_logins = 0 WHERE id = $1`, st.id); err != nil {
			return fmt.Errorf("record the login: %w", err)
		}
		token, full, err := s.createSession(ctx, tx, st.id, sess.Method, false, true)
		if err != nil {
			return err
		}
		u, err := getUser(ctx, tx, `id = $1`, st.id)
		if err != nil {
			return err
		}
		res = &LoginResult{Token: token, Session: full, User: u}
		return nil
	})
	return res, err
}

// checkSecondFactor verifies code for the user and returns the write that
// consumes it (nil if the code is wrong). The write refuses a code that was
// consumed in the meantime.
func (s *Store) checkSecondFactor(ctx context.Context, userID, code string) (func(tx *db.Tx) error, error) {
	code = strings.TrimSpace(code)
	if isTOTPCode(code) {
		secret, lastStep, err := s.totpSecret(ctx, s.db, userID, totpActive)
		if err != nil {
			return nil, err
		}
		step, ok := matchTOTP(secret, code, lastStep, s.now())
		if !ok {
			return nil, nil
		}
		return func(tx *db.Tx) error {
			r, err := tx.Exec(ctx, `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, userID, step)
			if err != nil {
				return fmt.Errorf("record the TOTP step: %w", err)
			}
			if n, err := r.RowsAffected(); err != nil || n != 1 {
				return ErrInvalidCredentials // replayed concurrently
			}
			return nil
		}, nil
	}
	hash, ok := recoveryCodeHash(code)
	if !ok {
		return nil, nil
	}
	var one int
	err := s.db.QueryRow(ctx, `SELECT 1 FROM recovery_codes WHERE user_id = $1 AND code_hash = $2 AND used_at = ''`,
		userID, hash).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("check the recovery code: %w", err)
	}
	return func(tx *db.Tx) error {
		r, err := tx.Exec(ctx, `UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at = ''`,
			userID, hash, db.FormatTime(s.now()))
		if err != nil {
			return fmt.Errorf("use the recovery code: %w", err)
		}
		if n, err := r.RowsAffected(); err != nil || n != 1 {
			return ErrInvalidCredentials
		}
		var left int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at = ''`, userID).Scan(&left); err != nil {
			return err
		}
		return s.event(ctx, tx, RecoveryCodeUsed, userID, map[string]int{"recovery_codes_left": left})
	}, nil
}
