package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dossier-org/dossier/internal/db"
)

// A user may end their own sessions and revoke their own API tokens, as an
// administrator may anyone's. These variants check ownership in the same
// transaction as the change, so that a user naming another's session or
// token learns nothing: it is "not found", exactly as one that does not
// exist.

// RevokeSessionOf ends the session id if it belongs to userID;
// db.ErrNotFound otherwise.
func (s *Store) RevokeSessionOf(ctx context.Context, userID, id string) error {
	return s.db.Write(ctx, func(tx *db.Tx) error {
		var owner string
		err := tx.QueryRow(ctx, `SELECT user_id FROM sessions WHERE id = $1`, id).Scan(&owner)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read session: %w", err)
		}
		if err != nil || owner != userID {
			return fmt.Errorf("session %s: %w", id, db.ErrNotFound)
		}
		return s.revokeSessionTx(ctx, tx, `id = $1`, id)
	})
}

// RevokeTokenOf revokes the token id if it belongs to userID;
// db.ErrNotFound otherwise. Revoking a revoked token changes nothing.
func (s *Store) RevokeTokenOf(ctx context.Context, userID, id string) (*Token, error) {
	t, err := s.Token(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.UserID != userID {
		return nil, fmt.Errorf("token %s: %w", id, db.ErrNotFound)
	}
	// A token never changes hands, so the owner read above still holds.
	return s.RevokeToken(ctx, id)
}
