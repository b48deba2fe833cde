package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// Store reads and writes sources.
type Store struct{ db *db.DB }

func NewStore(d *db.DB) *Store { return &Store{db: d} }

// Create validates and stores a new source.
func (s *Store) Create(ctx context.Context, src *Source) error {
	return s.db.Write(ctx, func(tx *db.Tx) error { return Insert(ctx, tx, src) })
}

// Insert stores a new source inside tx.
func Insert(ctx context.Context, tx *db.Tx, src *Source) error {
	src.Normalize()
	if err := src.Validate(); err != nil {
		return err
	}
	record.Stamp(ctx, &src.Meta, record.Created)
	_, err := tx.Exec(ctx, `INSERT INTO sources (id, kind, title, organisation, url, document_symbol, published_on,
		language, reliability, description, version, created_at, created_by, updated_at, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		src.ID, string(src.Kind), src.Title, src.Organisation, src.URL, src.DocumentSymbol, src.PublishedOn,
		src.Language, string(src.Reliability), src.Description, src.Version,
		db.FormatTime(src.CreatedAt), src.CreatedBy, db.FormatTime(src.UpdatedAt), src.UpdatedBy)
	if err != nil {
		if errors.Is(db.Explain(err), db.ErrDuplicate) {
			return record.Errors{{Field: "id", Code: "duplicate", Message: "a source with this ID already exists"}}
		}
		return fmt.Errorf("store source %q: %w", src.Title, err)
	}
	return record.Append(ctx, tx, record.KindSource, src.Meta, record.Created, src, nil)
}

// Update stores a changed source; src.Version must be the version read.
func (s *Store) Update(ctx context.Context, src *Source) error {
	src.Normalize()
	if err := src.Validate(); err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *db.Tx) error {
		previous, err := get(ctx, tx, src.ID)
		if err != nil {
			return err
		}
		read := src.Version
		record.Stamp(ctx, &src.Meta, record.Updated)
		err = record.UpdateRow(ctx, tx, "sources", &src.Meta, `UPDATE sources SET kind = $1, title = $2, organisation = $3,
			url = $4, document_symbol = $5, published_on = $6, language = $7, reliability = $8, description = $9,
			version = $10, updated_at = $11, updated_by = $12 WHERE id = $13 AND version = $14 RETURNING created_at, created_by`,
			string(src.Kind), src.Title, src.Organisation, src.URL, src.DocumentSymbol, src.PublishedOn, src.Language,
			string(src.Reliability), src.Description, src.Version, db.FormatTime(src.UpdatedAt), src.UpdatedBy, src.ID, read)
		if err != nil {
			src.Version = read
			return err
		}
		return record.Append(ctx, tx, record.KindSource, src.Meta, record.Updated, src, previous)
	})
}

const columns = `id, kind, title, organisation, url, document_symbol, published_on, language, reliability,
	description, version, created_at, created_by, updated_at, updated_by`

type rowScanner interface{ Scan(...any) error }

func scan(r rowScanner) (*Source, error) {
	var src Source
	var created, updated string
	if err := r.Scan(&src.ID, &src.Kind, &src.Title, &src.Organisation, &src.URL, &src.DocumentSymbol,
		&src.PublishedOn, &src.Language, &src.Reliability, &src.Description, &src.Version,
		&created, &src.CreatedBy, &updated, &src.UpdatedBy); err != nil {
		return nil, err
	}
	if err := src.SetTimes(created, updated); err != nil {
		return nil, err
	}
	return &src, nil
}

func init() {
	record.RegisterCurrent(record.KindSource, func(ctx context.Context, q db.Querier, id string) (any, error) {
		return get(ctx, q, id)
	})
	record.RegisterEach(record.KindSource, record.EachByID(record.KindSource, "sources"))
}

func get(ctx context.Context, q db.Querier, id string) (*Source, error) {
	src, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM sources WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read source %s: %w", id, err)
	}
	return src, nil
}

// Get returns one source.
func (s *Store) Get(ctx context.Context, id string) (*Source, error) {
	return get(ctx, s.db, id)
}

// List returns every source, newest publication first.
func (s *Store) List(ctx context.Context) ([]Source, error) {
	rows, err := s.db.Query(ctx, `SELECT `+columns+` FROM sources ORDER BY published_on DESC, title`)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		src, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("list sources: %w", err)
		}
		out = append(out, *src)
	}
	return out, rows.Err()
}
