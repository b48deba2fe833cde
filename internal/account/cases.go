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

// Case is an investigation ("7 October 2023", "Darfur 2023"). Records
// belong to cases, and membership of a case is what lets a user read them.
type Case struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
}

// CreateCase adds a case.
func (s *Store) CreateCase(ctx context.Context, name, description string) (*Case, error) {
	c := &Case{ID: record.NewID(), Name: strings.TrimSpace(name), Description: strings.TrimSpace(description),
		CreatedAt: s.now(), CreatedBy: record.Actor(ctx)}
	var errs record.Errors
	errs.Required("name", c.Name)
	errs.MaxLength("name", c.Name, 200)
	errs.MaxLength("description", c.Description, 2000)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		// A case's number stands for it in the incident list's per-act
		// rows, where a narrow integer keeps the indexes small.
		if _, err := tx.Exec(ctx, `INSERT INTO cases (id, name, description, created_at, created_by, number)
			VALUES ($1, $2, $3, $4, $5, `+tx.NextNumber("cases", "case_numbers")+`)`,
			c.ID, c.Name, c.Description, db.FormatTime(c.CreatedAt), c.CreatedBy); err != nil {
			if err := db.Explain(err); errors.Is(err, db.ErrDuplicate) {
				var errs record.Errors
				errs.Add("name", "taken", "another case is called %q", c.Name)
				return errs
			}
			return fmt.Errorf("store case %q: %w", c.Name, err)
		}
		return s.event(ctx, tx, CaseCreated, c.ID, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

const caseColumns = `c.id, c.name, c.description, c.created_at, c.created_by`

func scanCase(r rowScanner) (*Case, error) {
	var c Case
	var created string
	if err := r.Scan(&c.ID, &c.Name, &c.Description, &created, &c.CreatedBy); err != nil {
		return nil, err
	}
	var err error
	c.CreatedAt, err = db.ParseTime(created)
	return &c, err
}

func (s *Store) listCases(ctx context.Context, q db.Querier, query string, args ...any) ([]Case, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("list cases: %w", err)
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// Cases lists every case by name.
func (s *Store) Cases(ctx context.Context) ([]Case, error) {
	return s.listCases(ctx, s.db, `SELECT `+caseColumns+` FROM cases c ORDER BY c.name`)
}

// Case returns a case by ID or, failing that, by exact name.
func (s *Store) Case(ctx context.Context, idOrName string) (*Case, error) {
	c, err := scanCase(s.db.QueryRow(ctx, `SELECT `+caseColumns+` FROM cases c WHERE c.id = $1 OR c.name = $1
		ORDER BY CASE WHEN c.id = $1 THEN 0 ELSE 1 END LIMIT 1`, strings.TrimSpace(idOrName)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read case: %w", err)
	}
	return c, nil
}

// CasesOf lists the cases the user is a member of, by name.
func (s *Store) CasesOf(ctx context.Context, userID string) ([]Case, error) {
	return s.listCases(ctx, s.db, `SELECT `+caseColumns+` FROM cases c JOIN case_members m ON m.case_id = c.id
		WHERE m.user_id = $1 ORDER BY c.name`, userID)
}

// CaseMembers lists the users of a case, by name.
func (s *Store) CaseMembers(ctx context.Context, caseID string) ([]User, error) {
	rows, err := s.db.Query(ctx, `SELECT `+userColumns+` FROM users WHERE id IN
		(SELECT user_id FROM case_members WHERE case_id = $1) ORDER BY name`, caseID)
	if err != nil {
		return nil, fmt.Errorf("list case members: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list case members: %w", err)
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// AddToCase makes the user a member of the case. Being a member already is
// not an error.
func (s *Store) AddToCase(ctx context.Context, userID, caseID string) error {
	return s.db.Write(ctx, func(tx *db.Tx) error {
		for _, ref := range [][2]string{{"users", userID}, {"cases", caseID}} {
			if ok, err := tx.Exists(ctx, ref[0], ref[1]); err != nil {
				return err
			} else if !ok {
				return fmt.Errorf("%s %s: %w", strings.TrimSuffix(ref[0], "s"), ref[1], db.ErrNotFound)
			}
		}
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM case_members WHERE user_id = $1 AND case_id = $2`, userID, caseID).Scan(&one)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read case membership: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO case_members (user_id, case_id, added_at, added_by) VALUES ($1, $2, $3, $4)`,
			userID, caseID, db.FormatTime(s.now()), record.Actor(ctx)); err != nil {
			return fmt.Errorf("add to case: %w", db.Explain(err))
		}
		return s.event(ctx, tx, CaseMemberAdded, userID, map[string]string{"user": userID, "case": caseID})
	})
}

// RemoveFromCase ends the user's membership of the case; db.ErrNotFound if
// they were not a member.
func (s *Store) RemoveFromCase(ctx context.Context, userID, caseID string) error {
	return s.db.Write(ctx, func(tx *db.Tx) error {
		r, err := tx.Exec(ctx, `DELETE FROM case_members WHERE user_id = $1 AND case_id = $2`, userID, caseID)
		if err != nil {
			return fmt.Errorf("remove from case: %w", err)
		}
		if n, err := r.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("membership of case %s: %w", caseID, db.ErrNotFound)
		}
		return s.event(ctx, tx, CaseMemberRemoved, userID, map[string]string{"user": userID, "case": caseID})
	})
}
