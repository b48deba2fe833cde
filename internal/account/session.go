package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// Session is a logged-in browser. Its token is known only to the browser;
// the database holds the token's SHA-256, so a copy of the database cannot
// be used to take over a session.
type Session struct {
	ID     string `json:"id"` // not secret: names the session in lists and the audit log
	UserID string `json:"user_id"`
	// Pending means the password was accepted and the second factor is
	// still awaited: the session grants nothing yet.
	Pending bool `json:"pending"`
	// SecondFactor means the login passed TOTP (or a recovery code).
	SecondFactor bool `json:"second_factor"`
	// Method says how the login was made: LoginPassword or LoginOIDC.
	Method     string    `json:"method"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"` // absolute: the session ends then, used or not
}

// ErrSessionExpired means the session token is unknown, revoked or expired.
var ErrSessionExpired = errors.New("the session has ended; log in again")

// tokenBytes is the entropy of session and API tokens: 256 bits.
const tokenBytes = 32

var b64url = base64.RawURLEncoding

// newSecret returns a random token, its text and the hash stored for it.
func newSecret(prefix string) (text, hash string) {
	b := make([]byte, tokenBytes)
	rand.Read(b)
	text = prefix + b64url.EncodeToString(b)
	return text, hashSecret(text)
}

// hashSecret is the stored form of a random secret. A single SHA-256 is
// enough: the secret has 256 bits of entropy, so there is nothing to guess.
func hashSecret(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// sessionTokenLen is the length of a session token's text.
var sessionTokenLen = b64url.EncodedLen(tokenBytes)

// validSessionToken reports whether s has the form of a session token:
// exactly 43 base64url characters decoding to 32 bytes.
func validSessionToken(s string) bool {
	if len(s) != sessionTokenLen {
		return false
	}
	b, err := b64url.Strict().DecodeString(s)
	return err == nil && len(b) == tokenBytes
}

// createSession stores a new session for userID inside tx and returns its
// token, which is shown nowhere but in the cookie.
func (s *Store) createSession(ctx context.Context, tx *db.Tx, userID, method string, pending, secondFactor bool) (string, *Session, error) {
	text, hash := newSecret("")
	now := s.now()
	expires := now.Add(s.opts.SessionLifetime)
	action := SessionCreated
	if pending {
		expires = now.Add(s.opts.SecondFactorTimeout)
		action = SessionPending
	}
	sess := &Session{ID: record.NewID(), UserID: userID, Pending: pending, SecondFactor: secondFactor, Method: method,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: expires}
	if _, err := tx.Exec(ctx, `INSERT INTO sessions (id, token_hash, user_id, pending, second_factor, login_method, created_at,
		last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		sess.ID, hash, userID, pending, secondFactor, method, db.FormatTime(now), db.FormatTime(now), db.FormatTime(expires)); err != nil {
		return "", nil, fmt.Errorf("store session: %w", err)
	}
	if err := s.event(ctx, tx, action, userID, sess); err != nil {
		return "", nil, err
	}
	return text, sess, nil
}

const sessionColumns = `id, user_id, pending, second_factor, login_method, created_at, last_seen_at, expires_at`

func scanSession(r rowScanner) (*Session, error) {
	var sess Session
	var created, seen, expires string
	if err := r.Scan(&sess.ID, &sess.UserID, &sess.Pending, &sess.SecondFactor, &sess.Method, &created, &seen, &expires); err != nil {
		return nil, err
	}
	var err error
	if sess.CreatedAt, err = db.ParseTime(created); err != nil {
		return nil, err
	}
	if sess.LastSeenAt, err = db.ParseTime(seen); err != nil {
		return nil, err
	}
	if sess.ExpiresAt, err = db.ParseTime(expires); err != nil {
		return nil, err
	}
	return &sess, nil
}

// live reports whether the session may still be used at now.
func (s *Store) live(sess *Session, now time.Time) bool {
	if !now.Before(sess.ExpiresAt) {
		return false
	}
	return sess.Pending || now.Before(sess.LastSeenAt.Add(s.opts.IdleTimeout))
}

// findSession returns the live session whose token is text, pending or not.
func (s *Store) findSession(ctx context.Context, q db.Querier, text string) (*Session, error) {
	if !validSessionToken(text) {
		return nil, ErrSessionExpired
	}
	sess, err := scanSession(q.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE token_hash = $1`, hashSecret(text)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrSessionExpired
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	if !s.live(sess, s.now()) {
		return nil, ErrSessionExpired
	}
	return sess, nil
}

// Session returns the live, complete session whose token is text and its
// user, marking it used. A pending login, an idle or expired session, and
// a disabled user's session give ErrSessionExpired.
func (s *Store) Session(ctx context.Context, text string) (*Session, *User, error) {
	sess, err := s.findSession(ctx, s.db, text)
	if err != nil {
		return nil, nil, err
	}
	if sess.Pending {
		return nil, nil, ErrSessionExpired
	}
	u, err := s.User(ctx, sess.UserID)
	if errors.Is(err, db.ErrNotFound) || (err == nil && u.Disabled) {
		return nil, nil, ErrSessionExpired
	}
	if err != nil {
		return nil, nil, err
	}
	if err := s.touch(ctx, "sessions", "last_seen_at", sess.ID, &sess.LastSeenAt); err != nil {
		return nil, nil, err
	}
	return sess, u, nil
}

// touch records that a session or token was used. To spare the database a
// write per request it does so only when the last record is a minute old;
// the idle timeout is measured at that precision. Being used is not a
// change to the account, so it is not in the audit log.
func (s *Store) touch(ctx context.Context, table, column, id string, last *time.Time) error {
	now := s.now()
	if now.Sub(*last) < time.Minute {
		return nil
	}
	*last = now
	return s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE `+table+` SET `+column+` = $1 WHERE id = $2`, db.FormatTime(now), id)
		return err
	})
}

// Sessions lists a user's live sessions, newest first.
func (s *Store) Sessions(ctx context.Context, userID string) ([]Session, error) {
	rows, err := s.db.Query(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = $1 ORDER BY created_at DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	now := s.now()
	var out []Session
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		if s.live(sess, now) {
			out = append(out, *sess)
		}
	}
	return out, rows.Err()
}

// Logout ends the session whose token is text. An unknown token is not an
// error: the browser is logged out either way.
func (s *Store) Logout(ctx context.Context, text string) error {
	if !validSessionToken(text) {
		return nil
	}
	return s.db.Write(ctx, func(tx *db.Tx) error {
		return s.revokeSessionTx(ctx, tx, `token_hash = $1`, hashSecret(text))
	})
}

// RevokeSession ends one session by its ID.
func (s *Store) RevokeSession(ctx context.Context, id string) error {
	return s.db.Write(ctx, func(tx *db.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM sessions WHERE id = $1`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return db.ErrNotFound
		}
		return s.revokeSessionTx(ctx, tx, `id = $1`, id)
	})
}

// RevokeSessions ends every session of a user.
func (s *Store) RevokeSessions(ctx context.Context, userID string) error {
	return s.db.Write(ctx, func(tx *db.Tx) error { return s.revokeSessionsTx(ctx, tx, userID, "") })
}

func (s *Store) revokeSessionTx(ctx context.Context, tx *db.Tx, where string, arg any) error {
	rows, err := tx.Query(ctx, `DELETE FROM sessions WHERE `+where+` RETURNING id, user_id`, arg)
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	type ended struct{ id, user string }
	var gone []ended
	for rows.Next() {
		var e ended
		if err := rows.Scan(&e.id, &e.user); err != nil {
			rows.Close()
			return err
		}
		gone = append(gone, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	for _, e := range gone {
		if err := s.event(ctx, tx, SessionRevoked, e.user, map[string]string{"session": e.id}); err != nil {
			return err
		}
	}
	return nil
}

// revokeSessionsTx ends every session of userID except keep ("" for none).
func (s *Store) revokeSessionsTx(ctx context.Context, tx *db.Tx, userID, keep string) error {
	rows, err := tx.Query(ctx, `SELECT id FROM sessions WHERE user_id = $1 AND id <> $2`, userID, keep)
	if err != nil {
		return fmt.Errorf("list sessions: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.revokeSessionTx(ctx, tx, `id = $1`, id); err != nil {
			return err
		}
	}
	return nil
}

// PurgeExpiredSessions deletes sessions past their absolute or idle expiry
// and returns how many. Expired sessions are already refused; purging only
// keeps the table small. It is not logged: nothing was revoked.
func (s *Store) PurgeExpiredSessions(ctx context.Context) (int64, error) {
	now := s.now()
	idleBefore := now.Add(-s.opts.IdleTimeout)
	var n int64
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR (NOT pending AND last_seen_at <= $2)`,
			db.FormatTime(now), db.FormatTime(idleBefore))
		if err != nil {
			return fmt.Errorf("purge sessions: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
