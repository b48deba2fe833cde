package db

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

var (
	// ErrDuplicate means a unique value (such as a situation's name) is taken.
	ErrDuplicate = errors.New("already exists")
	// ErrMissingReference means a record points at one that does not exist.
	ErrMissingReference = errors.New("refers to a record that does not exist")
)

// Explain wraps engine-specific constraint failures in Dossier's sentinel
// errors so callers can tell the user what to fix, whichever engine is used.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return fmt.Errorf("%w (%s)", ErrDuplicate, pg.ConstraintName)
		case "23503":
			return fmt.Errorf("%w (%s)", ErrMissingReference, pg.ConstraintName)
		}
		return err
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "UNIQUE constraint failed"):
		return fmt.Errorf("%w (%s)", ErrDuplicate, strings.TrimSpace(msg[strings.Index(msg, "UNIQUE constraint failed")+len("UNIQUE constraint failed:"):]))
	case strings.Contains(msg, "FOREIGN KEY constraint failed"):
		return fmt.Errorf("%w", ErrMissingReference)
	}
	return err
}
