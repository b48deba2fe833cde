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

// Token is an API token for scripts, without its secret. It acts for its
// user with at most the permissions of its role scope.
type Token struct {
	ID         string    `json:"id"`
	UserID     string    `json:"user_id"`
	UserName   string    `json:"user_name"`
	Name       string    `json:"name"` // what it is for, e.g. "nightly export"
	Role       Role      `json:"role"` // the scope
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
	ExpiresAt  time.Time `json:"expires_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	RevokedBy  string    `json:"revoked_by,omitempty"`
}

// Active reports whether the token can be used at now.
func (t *Token) Active(now time.Time) bool { return t.RevokedAt.IsZero() && now.Before(t.ExpiresAt) }

// TokenPrefix starts every API token, so that one pasted somewhere it
// should not be is easy to recognise (and for secret scanners to find).
const TokenPrefix = "dsr_"

// MaxTokenLifetime bounds how long a token may live: a forgotten token
// should not stay a way in for ever.
const MaxTokenLifetime = 366 * 24 * time.Hour

// ErrTokenInvalid means a bearer token is malformed, unknown, revoked or
// expired, or its user is disabled.
var ErrTokenInvalid = errors.New("the API token is not valid (unknown, revoked or expired)")

// validTokenText reports whether s has the form of an API token.
func validTokenText(s string) bool {
	rest, ok := strings.CutPrefix(s, TokenPrefix)
	return ok && validSessionToken(rest)
}

// CreateToken issues an API token for the user, scoped to role (which the
// user's role must include; "" means the user's role), named for what it
// is for, valid for lifetime. It returns the token's secret, shown once.
func (s *Store) CreateToken(ctx context.Context, userID string, role Role, name string, lifetime time.Duration) (string, *Token, error) {
	name = strings.TrimSpace(name)
	var errs record.Errors
	errs.MaxLength("name", name, 200)
	if lifetime <= 0 || lifetime > MaxTokenLifetime {
		errs.Add("expires", "out_of_range", "must be more than zero and at most %d days", int(MaxTokenLifetime.Hours()/24))
	}
	if role != "" {
		validateRole(&errs, role)
	}
	if err := errs.Err(); err != nil {
		return "", nil, err
	}
	text, hash := newSecret(TokenPrefix)
	var tok *Token
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		u, err := getUser(ctx, tx, `id = $1`, userID)
		if err != nil {
			return err
		}
		scope := role
		if scope == "" {
			scope = u.Role
		}
		if !u.Role.Includes(scope) {
			var errs record.Errors
			errs.Add("role", "too_wide", "%s is a %s and cannot hand a token the wider role %s", u.Name, u.Role, scope)
			return errs
		}
		if u.Disabled {
			var errs record.Errors
			errs.Add("user", "disabled", "%s is disabled", u.Name)
			return errs
		}
		now := s.now()
		tok = &Token{ID: record.NewID(), UserID: u.ID, UserName: u.Name, Name: name, Role: scope,
			CreatedAt: now, CreatedBy: record.Actor(ctx), ExpiresAt: now.Add(lifetime)}
		if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (id, token_hash, user_id, name, role, created_at, created_by, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tok.ID, hash, tok.UserID, tok.Name, string(tok.Role),
			db.FormatTime(now), tok.CreatedBy, db.FormatTime(tok.ExpiresAt)); err != nil {
			return fmt.Errorf("store token: %w", err)
		}
		return s.event(ctx, tx, TokenCreated, tok.ID, tok)
	})
	if err != nil {
		return "", nil, err
	}
	return text, tok, nil
}

const tokenColumns = `t.id, t.user_id, u.name, t.name, t.role, t.created_at, t.created_by, t.expires_at,
	t.last_used_at, t.revoked_at, t.revoked_by`

func scanToken(r rowScanner) (*Token, error) {
	var t Token
	var created, expires, used, revoked string
	if err := r.Scan(&t.ID, &t.UserID, &t.UserName, &t.Name, &t.Role, &created, &t.CreatedBy, &expires,
		&used, &revoked, &t.RevokedBy); err != nil {
		return nil, err
	}
	var err error
	if t.CreatedAt, err = db.ParseTime(created); err != nil {
		return nil, err
	}
	if t.ExpiresAt, err = db.ParseTime(expires); err != nil {
		return nil, err
	}
	if used != "" {
		if t.LastUsedAt, err = db.ParseTime(used); err != nil {
			return nil, err
		}
	}
	if revoked != "" {
		if t.RevokedAt, err = db.ParseTime(revoked); err != nil {
			return nil, err
		}
	}
	return &t, nil
}

// Tokens lists the tokens of a user ("" for everyone's), newest first,
// revoked and expired ones included.
func (s *Store) Tokens(ctx context.Context, userID string) ([]Token, error) {
	query := `SELECT ` + tokenColumns + ` FROM api_tokens t JOIN users u ON u.id = t.user_id`
	var args []any
	if userID != "" {
		query += ` WHERE t.user_id = $1`
		args = append(args, userID)
	}
	rows, err := s.db.Query(ctx, query+` ORDER BY t.created_at DESC, t.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// Token returns one token by ID (db.ErrNotFound if none).
func (s *Store) Token(ctx context.Context, id string) (*Token, error) {
	return getToken(ctx, s.db, `t.id = $1`, id)
}

func getToken(ctx context.Context, q db.Querier, where string, arg any) (*Token, error) {
	t, err := scanToken(q.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read token: %w", err)
	}
	return t, nil
}

// RevokeToken ends a token for good. Revoking a revoked token changes
// nothing.
func (s *Store) RevokeToken(ctx context.Context, id string) (*Token, error) {
	var tok *Token
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		t, err := getToken(ctx, tx, `t.id = $1`, id)
		if err != nil {
			return err
		}
		tok = t
		if !t.RevokedAt.IsZero() {
			return nil
		}
		t.RevokedAt, t.RevokedBy = s.now(), record.Actor(ctx)
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $2, revoked_by = $3 WHERE id = $1`,
			t.ID, db.FormatTime(t.RevokedAt), t.RevokedBy); err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		return s.event(ctx, tx, TokenRevoked, t.ID, t)
	})
	return tok, err
}

// AuthenticateToken resolves a bearer token to the principal it acts as:
// its user, with the permissions both the token's scope and the user's
// current role grant. A token never sees identities: that needs a second
// factor, which a script does not have.
func (s *Store) AuthenticateToken(ctx context.Context, text string) (*Principal, error) {
	if !validTokenText(text) {
		return nil, ErrTokenInvalid
	}
	t, err := getToken(ctx, s.db, `t.token_hash = $1`, hashSecret(text))
	if errors.Is(err, db.ErrNotFound) {
		return nil, ErrTokenInvalid
	}
	if err != nil {
		return nil, err
	}
	if !t.Active(s.now()) {
		return nil, ErrTokenInvalid
	}
	u, err := s.User(ctx, t.UserID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, ErrTokenInvalid
	}
	if err := s.touch(ctx, "api_tokens", "last_used_at", t.ID, &t.LastUsedAt); err != nil {
		return nil, err
	}
	p, err := s.principal(ctx, u, t.Role, false)
	if err != nil {
		return nil, err
	}
	p.TokenID = t.ID
	return p, nil
}
