package situation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// Store reads and writes situations.
type Store struct{ db *db.DB }

func NewStore(d *db.DB) *Store { return &Store{db: d} }

// Create validates and stores a new situation.
func (s *Store) Create(ctx context.Context, sit *Situation) error {
	return s.db.Write(ctx, func(tx *db.Tx) error { return Insert(ctx, tx, sit) })
}

// Insert stores a new situation inside tx.
func Insert(ctx context.Context, tx *db.Tx, sit *Situation) error {
	sit.Normalize()
	if err := sit.Validate(); err != nil {
		return err
	}
	record.Stamp(ctx, &sit.Meta, record.Created)
	// The number stands for the situation in the incident list's per-act rows.
	_, err := tx.Exec(ctx, `INSERT INTO situations (id, name, country_code, on_sc_agenda, conflict_class, setting,
		description, version, created_at, created_by, updated_at, updated_by, number)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, `+tx.NextNumber("situations", "situation_numbers")+`)`,
		sit.ID, sit.Name, sit.CountryCode, sit.OnAgenda, string(sit.ConflictClass), string(sit.Setting),
		sit.Description, sit.Version, db.FormatTime(sit.CreatedAt), sit.CreatedBy, db.FormatTime(sit.UpdatedAt), sit.UpdatedBy)
	if err != nil {
		return duplicateAsFieldError(fmt.Errorf("store situation %q: %w", sit.Name, db.Explain(err)))
	}
	return record.Append(ctx, tx, record.KindSituation, sit.Meta, record.Created, sit, nil)
}

// Update stores a changed situation; sit.Version must be the version read.
func (s *Store) Update(ctx context.Context, sit *Situation) error {
	sit.Normalize()
	if err := sit.Validate(); err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *db.Tx) error {
		previous, err := get(ctx, tx, sit.ID)
		if err != nil {
			return err
		}
		read := sit.Version
		record.Stamp(ctx, &sit.Meta, record.Updated)
		err = record.UpdateRow(ctx, tx, "situations", &sit.Meta, `UPDATE situations SET name = $1, country_code = $2,
			on_sc_agenda = $3, conflict_class = $4, setting = $5, description = $6, version = $7, updated_at = $8,
			updated_by = $9 WHERE id = $10 AND version = $11 RETURNING created_at, created_by`,
			sit.Name, sit.CountryCode, sit.OnAgenda, string(sit.ConflictClass), string(sit.Setting), sit.Description,
			sit.Version, db.FormatTime(sit.UpdatedAt), sit.UpdatedBy, sit.ID, read)
		if err != nil {
			sit.Version = read
			return duplicateAsFieldError(err)
		}
		return record.Append(ctx, tx, record.KindSituation, sit.Meta, record.Updated, sit, previous)
	})
}

const columns = `id, name, country_code, on_sc_agenda, conflict_class, setting, description,
	version, created_at, created_by, updated_at, updated_by`

type rowScanner interface{ Scan(...any) error }

func scan(r rowScanner) (*Situation, error) {
	var sit Situation
	var created, updated string
	if err := r.Scan(&sit.ID, &sit.Name, &sit.CountryCode, &sit.OnAgenda, &sit.ConflictClass, &sit.Setting,
		&sit.Description, &sit.Version, &created, &sit.CreatedBy, &updated, &sit.UpdatedBy); err != nil {
		return nil, err
	}
	if err := sit.SetTimes(created, updated); err != nil {
		return nil, err
	}
	return &sit, nil
}

func init() {
	record.RegisterCurrent(record.KindSituation, func(ctx context.Context, q db.Querier, id string) (any, error) {
		return get(ctx, q, id)
	})
	record.RegisterEach(record.KindSituation, record.EachByID(record.KindSituation, "situations"))
}

// Get returns one situation.
func (s *Store) Get(ctx context.Context, id string) (*Situation, error) { return get(ctx, s.db, id) }

func get(ctx context.Context, q db.Querier, id string) (*Situation, error) {
	sit, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM situations WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read situation %s: %w", id, err)
	}
	return sit, nil
}

// FindByName returns the situation with exactly this name.
func (s *Store) FindByName(ctx context.Context, name string) (*Situation, error) {
	sit, err := scan(s.db.QueryRow(ctx, `SELECT `+columns+` FROM situations WHERE name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read situation %q: %w", name, err)
	}
	return sit, nil
}

// List returns every situation by name.
func (s *Store) List(ctx context.Context) ([]Situation, error) {
	rows, err := s.db.Query(ctx, `SELECT `+columns+` FROM situations ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list situations: %w", err)
	}
	defer rows.Close()
	var out []Situation
	for rows.Next() {
		sit, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("list situations: %w", err)
		}
		out = append(out, *sit)
	}
	return out, rows.Err()
}

// duplicateAsFieldError names the field a uniqueness failure is about.
func duplicateAsFieldError(err error) error {
	if !errors.Is(err, db.ErrDuplicate) {
		return err
	}
	if strings.Contains(err.Error(), "name") {
		return record.Errors{{Field: "name", Code: "duplicate", Message: "another situation already has this name"}}
	}
	return record.Errors{{Field: "id", Code: "duplicate", Message: "a situation with this ID already exists"}}
}
