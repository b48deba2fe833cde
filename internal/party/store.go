package party

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/textsearch"
)

// Store reads and writes parties.
type Store struct{ db *db.DB }

func NewStore(d *db.DB) *Store { return &Store{db: d} }

// Create validates and stores a new party.
func (s *Store) Create(ctx context.Context, p *Party) error {
	return s.db.Write(ctx, func(tx *db.Tx) error { return Insert(ctx, tx, p) })
}

// Insert stores a new party inside tx.
func Insert(ctx context.Context, tx *db.Tx, p *Party) error {
	p.Normalize()
	if err := p.Validate(); err != nil {
		return err
	}
	if err := checkParent(ctx, tx, p); err != nil {
		return err
	}
	record.Stamp(ctx, &p.Meta, record.Created)
	// The number stands for the party in the incident list's per-act rows.
	_, err := tx.Exec(ctx, `INSERT INTO parties (id, name, abbreviation, type, parent_id, country_code, description,
		version, created_at, created_by, updated_at, updated_by, number)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, `+tx.NextNumber("parties", "party_numbers")+`)`,
		p.ID, p.Name, p.Abbreviation, string(p.Type), db.NullIfEmpty(p.ParentID), p.CountryCode, p.Description,
		p.Version, db.FormatTime(p.CreatedAt), p.CreatedBy, db.FormatTime(p.UpdatedAt), p.UpdatedBy)
	if err != nil {
		if errors.Is(db.Explain(err), db.ErrDuplicate) {
			return record.Errors{{Field: "id", Code: "duplicate", Message: "a party with this ID already exists"}}
		}
		return fmt.Errorf("store party %q: %w", p.Name, db.Explain(err))
	}
	if err := writeNames(ctx, tx, p, false); err != nil {
		return err
	}
	return record.Append(ctx, tx, record.KindParty, p.Meta, record.Created, p, nil)
}

// Update stores a changed party; p.Version must be the version read.
func (s *Store) Update(ctx context.Context, p *Party) error {
	p.Normalize()
	if err := p.Validate(); err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *db.Tx) error {
		if err := checkParent(ctx, tx, p); err != nil {
			return err
		}
		previous, err := getWithNames(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		read := p.Version
		record.Stamp(ctx, &p.Meta, record.Updated)
		err = record.UpdateRow(ctx, tx, "parties", &p.Meta, `UPDATE parties SET name = $1, abbreviation = $2, type = $3,
			parent_id = $4, country_code = $5, description = $6, version = $7, updated_at = $8, updated_by = $9
			WHERE id = $10 AND version = $11 RETURNING created_at, created_by`,
			p.Name, p.Abbreviation, string(p.Type), db.NullIfEmpty(p.ParentID), p.CountryCode, p.Description,
			p.Version, db.FormatTime(p.UpdatedAt), p.UpdatedBy, p.ID, read)
		if err != nil {
			p.Version = read
			return err
		}
		if err := writeNames(ctx, tx, p, true); err != nil {
			return err
		}
		if previous.ParentID != p.ParentID {
			for _, fn := range onMove {
				if err := fn(ctx, tx, p.ID); err != nil {
					return err
				}
			}
		}
		return record.Append(ctx, tx, record.KindParty, p.Meta, record.Updated, p, previous)
	})
}

var onMove []func(ctx context.Context, tx *db.Tx, partyID string) error

// OnMove registers fn to run, in the same transaction, whenever a party is
// given another parent: whatever is kept per party and its ancestors (the
// incident list's per-act index) must follow the party and its units.
func OnMove(fn func(ctx context.Context, tx *db.Tx, partyID string) error) {
	onMove = append(onMove, fn)
}

// checkParent makes sure the parent exists and that making it the parent
// would not put the party under one of its own units.
func checkParent(ctx context.Context, tx *db.Tx, p *Party) error {
	seen := map[string]bool{p.ID: true}
	for id := p.ParentID; id != ""; {
		if seen[id] {
			return record.Errors{{Field: "parent_id", Code: "cycle", Message: "the parent is one of this party's own units"}}
		}
		seen[id] = true
		var parent sql.NullString
		err := tx.QueryRow(ctx, `SELECT parent_id FROM parties WHERE id = $1`, id).Scan(&parent)
		if errors.Is(err, sql.ErrNoRows) {
			return record.Errors{{Field: "parent_id", Code: "not_found", Message: fmt.Sprintf("no party has ID %s", id)}}
		}
		if err != nil {
			return fmt.Errorf("check parent of party: %w", err)
		}
		id = parent.String
	}
	return nil
}

func writeNames(ctx context.Context, tx *db.Tx, p *Party, replace bool) error {
	if replace {
		if _, err := tx.Exec(ctx, `DELETE FROM party_names WHERE party_id = $1`, p.ID); err != nil {
			return fmt.Errorf("replace names of party %s: %w", p.ID, err)
		}
	}
	texts := []string{p.Name, p.Abbreviation}
	for i, n := range p.Names {
		if _, err := tx.Exec(ctx, `INSERT INTO party_names (party_id, seq, lang, name, alias) VALUES ($1, $2, $3, $4, $5)`,
			p.ID, i, n.Lang, n.Text, n.Alias); err != nil {
			return fmt.Errorf("store names of party %s: %w", p.ID, err)
		}
		texts = append(texts, n.Text)
	}
	doc := textsearch.Document(texts...)
	if tx.Dialect() == db.Postgres {
		_, err := tx.Exec(ctx, `UPDATE parties SET search = to_tsvector('simple', $1) WHERE id = $2`, doc, p.ID)
		return err
	}
	if replace {
		if _, err := tx.Exec(ctx, `DELETE FROM party_search WHERE rowid = (SELECT rowid FROM parties WHERE id = $1)`, p.ID); err != nil {
			return fmt.Errorf("reindex party %s: %w", p.ID, err)
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO party_search (rowid, names) SELECT rowid, $1 FROM parties WHERE id = $2`, doc, p.ID)
	return err
}

const columns = `id, name, abbreviation, type, parent_id, country_code, description,
	version, created_at, created_by, updated_at, updated_by`

type rowScanner interface{ Scan(...any) error }

func scan(r rowScanner) (*Party, error) {
	var p Party
	var parent sql.NullString
	var created, updated string
	if err := r.Scan(&p.ID, &p.Name, &p.Abbreviation, &p.Type, &parent, &p.CountryCode, &p.Description,
		&p.Version, &created, &p.CreatedBy, &updated, &p.UpdatedBy); err != nil {
		return nil, err
	}
	p.ParentID = parent.String
	if err := p.SetTimes(created, updated); err != nil {
		return nil, err
	}
	return &p, nil
}

func get(ctx context.Context, q db.Querier, id string) (*Party, error) {
	p, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM parties WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read party %s: %w", id, err)
	}
	return p, nil
}

func init() {
	record.RegisterCurrent(record.KindParty, func(ctx context.Context, q db.Querier, id string) (any, error) {
		return getWithNames(ctx, q, id)
	})
	record.RegisterEach(record.KindParty, record.EachByID(record.KindParty, "parties"))
}

// Get returns one party with its names.
func (s *Store) Get(ctx context.Context, id string) (*Party, error) {
	return getWithNames(ctx, s.db, id)
}

func getWithNames(ctx context.Context, q db.Querier, id string) (*Party, error) {
	p, err := get(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if err := loadNames(ctx, q, []*Party{p}); err != nil {
		return nil, err
	}
	return p, nil
}

func loadNames(ctx context.Context, q db.Querier, ps []*Party) error {
	if len(ps) == 0 {
		return nil
	}
	byID := make(map[string]*Party, len(ps))
	args := make([]any, len(ps))
	for i, p := range ps {
		byID[p.ID] = p
		p.Names = nil
		args[i] = p.ID
	}
	rows, err := q.Query(ctx, `SELECT party_id, lang, name, alias FROM party_names
		WHERE party_id IN (`+db.Placeholders(1, len(args))+`) ORDER BY party_id, seq`, args...)
	if err != nil {
		return fmt.Errorf("read party names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n Name
		if err := rows.Scan(&id, &n.Lang, &n.Text, &n.Alias); err != nil {
			return fmt.Errorf("read party names: %w", err)
		}
		byID[id].Names = append(byID[id].Names, n)
	}
	return rows.Err()
}

// Filter selects parties to list.
type Filter struct {
	Text     string // words in any of the party's names
	Type     Type
	ParentID string // direct units of this party
	TopLevel bool   // only parties that are not a unit of another
	Limit    int
	Offset   int
}

// List returns the parties matching f, by name.
func (s *Store) List(ctx context.Context, f Filter) ([]Party, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if terms := textsearch.Terms(f.Text); len(terms) > 0 {
		if s.db.Dialect == db.Postgres {
			where = append(where, `search @@ to_tsquery('simple', `+arg(textsearch.TSQuery(terms))+`)`)
		} else {
			where = append(where, `rowid IN (SELECT rowid FROM party_search WHERE party_search MATCH `+arg(textsearch.FTS5(terms))+`)`)
		}
	}
	if f.Type != "" {
		where = append(where, `type = `+arg(string(f.Type)))
	}
	if f.ParentID != "" {
		where = append(where, `parent_id = `+arg(f.ParentID))
	}
	if f.TopLevel {
		where = append(where, `parent_id IS NULL`)
	}
	q := `SELECT ` + columns + ` FROM parties`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY name, id`
	if f.Limit > 0 {
		q += ` LIMIT ` + arg(f.Limit) + ` OFFSET ` + arg(f.Offset)
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list parties: %w", err)
	}
	defer rows.Close()
	var out []Party
	for rows.Next() {
		p, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("list parties: %w", err)
		}
		out = append(out, *p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list parties: %w", err)
	}
	ptrs := make([]*Party, len(out))
	for i := range out {
		ptrs[i] = &out[i]
	}
	return out, loadNames(ctx, s.db, ptrs)
}

// Subtree returns the IDs of the party and all its units, at any depth.
func (s *Store) Subtree(ctx context.Context, id string) ([]string, error) {
	ids, err := db.Column[string](s.db.Query(ctx, SubtreeSQL("$1"), id))
	if err != nil {
		return nil, fmt.Errorf("read units of party %s: %w", id, err)
	}
	return ids, nil
}

// SubtreeSQL is a query for the IDs of the party named by param and all its
// units, for use inside other queries ("attributed to Hamas or its units").
func SubtreeSQL(param string) string {
	return `WITH RECURSIVE subtree(id) AS (
		SELECT id FROM parties WHERE id = ` + param + `
		UNION SELECT p.id FROM parties p JOIN subtree s ON p.parent_id = s.id)
	SELECT id FROM subtree`
}

// LineageSQL is a query for the IDs of the party named by param and all
// its parents up to its top-level organisation: the parties an act of the
// party is also attributed to.
func LineageSQL(param string) string {
	return `WITH RECURSIVE lineage(id) AS (
		SELECT id FROM parties WHERE id = ` + param + `
		UNION SELECT p.parent_id FROM parties p JOIN lineage l ON p.id = l.id WHERE p.parent_id IS NOT NULL)
	SELECT id FROM lineage`
}

// Ancestors returns the chain of parents from the party's immediate parent up
// to its top-level organisation.
func (s *Store) Ancestors(ctx context.Context, p *Party) ([]Party, error) {
	var out []Party
	seen := map[string]bool{p.ID: true}
	for id := p.ParentID; id != "" && !seen[id]; {
		seen[id] = true
		parent, err := get(ctx, s.db, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *parent)
		id = parent.ParentID
	}
	return out, nil
}

// FindByName returns the party whose main name, abbreviation or any other
// name is exactly name, for imports that refer to parties by name.
func (s *Store) FindByName(ctx context.Context, name string) (*Party, error) {
	var id string
	err := s.db.QueryRow(ctx, `SELECT id FROM parties WHERE name = $1 OR abbreviation = $1
		UNION SELECT party_id FROM party_names WHERE name = $1 LIMIT 1`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find party %q: %w", name, err)
	}
	return s.Get(ctx, id)
}
