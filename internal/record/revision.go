package record

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
)

// Kind names a kind of record in the revision history.
type Kind string

const (
	KindSituation Kind = "situation"
	KindParty     Kind = "party"
	KindIncident  Kind = "incident"
	KindSource    Kind = "source"
)

// Action is what a write did to a record.
type Action string

const (
	Created Action = "create"
	Updated Action = "update"
)

// Revision is one version of a record: who wrote it, when, and the record as
// it stood afterwards.
type Revision struct {
	Seq      int64           `json:"seq"`
	Kind     Kind            `json:"kind"`
	RecordID string          `json:"record_id"`
	Version  int             `json:"version"`
	Action   Action          `json:"action"`
	Actor    string          `json:"actor"`
	At       time.Time       `json:"at"`
	Snapshot json.RawMessage `json:"snapshot"`
}

// A revision's snapshot is written only when a newer version supersedes it:
// until then the record's tables hold exactly that version, and storing it
// twice would double what a bulk import writes. Each kind registers how to
// read its current version, so History can show every version alike.
var currentLoaders = map[Kind]func(ctx context.Context, q db.Querier, id string) (any, error){}

// RegisterCurrent tells History how to read the current version of a kind.
func RegisterCurrent(kind Kind, load func(ctx context.Context, q db.Querier, id string) (any, error)) {
	currentLoaders[kind] = load
}

// Stamp fills m for a write by the actor in ctx: a new record gets an ID (if
// it has none), version 1 and creation stamps (unless it carries them, as an
// imported record does); an update moves to the next version.
func Stamp(ctx context.Context, m *Meta, action Action) {
	now := db.Now()
	actor := Actor(ctx)
	if action == Created {
		if m.ID == "" {
			m.ID = NewID()
		}
		m.Version = 1
		if m.CreatedAt.IsZero() {
			m.CreatedAt = now
		}
		if m.CreatedBy == "" {
			m.CreatedBy = actor
		}
		// An import keeps the stamps a record was exported with.
		if m.UpdatedAt.IsZero() {
			m.UpdatedAt = m.CreatedAt
		}
		if m.UpdatedBy == "" {
			m.UpdatedBy = m.CreatedBy
		}
		return
	}
	m.Version++
	m.UpdatedAt, m.UpdatedBy = now, actor
}

// Append writes a revision of the record in the same transaction as the
// write itself, and appends the write to the audit log with the hash of the
// record as written (current). Every write of a record passes through here.
// An update passes the record as it stood before (read inside the
// transaction), which becomes the superseded version's snapshot.
func Append(ctx context.Context, tx *db.Tx, kind Kind, m Meta, action Action, current, previous any) error {
	if action == Updated {
		body, err := json.Marshal(previous)
		if err != nil {
			return fmt.Errorf("snapshot %s %s: %w", kind, m.ID, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE revisions SET snapshot = $1 WHERE kind = $2 AND record_id = $3 AND version = $4`,
			string(body), string(kind), m.ID, m.Version-1); err != nil {
			return fmt.Errorf("keep version %d of %s %s: %w", m.Version-1, kind, m.ID, err)
		}
	}
	err := tx.ExecLater(ctx, "record a revision", `INSERT INTO revisions (kind, record_id, version, action, actor, at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		string(kind), m.ID, m.Version, string(action), m.UpdatedBy, db.FormatTime(m.UpdatedAt))
	if err != nil {
		return fmt.Errorf("record revision of %s %s: %w", kind, m.ID, err)
	}
	hash, err := audit.HashJSON(current)
	if err != nil {
		return err
	}
	_, err = audit.Append(ctx, tx, audit.Entry{At: m.UpdatedAt, Actor: m.UpdatedBy, Kind: string(kind),
		Subject: m.ID, Version: m.Version, Action: string(action), ContentHash: hash})
	return err
}

// History lists a record's revisions, oldest first.
func History(ctx context.Context, d *db.DB, kind Kind, id string) ([]Revision, error) {
	rows, err := d.Query(ctx, `SELECT seq, kind, record_id, version, action, actor, at, snapshot
		FROM revisions WHERE kind = $1 AND record_id = $2 ORDER BY version`, string(kind), id)
	if err != nil {
		return nil, fmt.Errorf("read history of %s %s: %w", kind, id, err)
	}
	defer rows.Close()
	var out []Revision
	for rows.Next() {
		var r Revision
		var at string
		var snap sql.NullString
		if err := rows.Scan(&r.Seq, &r.Kind, &r.RecordID, &r.Version, &r.Action, &r.Actor, &at, &snap); err != nil {
			return nil, fmt.Errorf("read history of %s %s: %w", kind, id, err)
		}
		if r.At, err = db.ParseTime(at); err != nil {
			return nil, err
		}
		if snap.Valid {
			r.Snapshot = json.RawMessage(snap.String)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read history of %s %s: %w", kind, id, err)
	}
	rows.Close()
	if n := len(out); n > 0 && out[n-1].Snapshot == nil {
		load, ok := currentLoaders[kind]
		if !ok {
			return nil, fmt.Errorf("read history of %s %s: no reader for the current version", kind, id)
		}
		current, err := load(ctx, d, id)
		if err != nil {
			return nil, fmt.Errorf("read current version of %s %s: %w", kind, id, err)
		}
		if out[n-1].Snapshot, err = json.Marshal(current); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RevisionAt returns one version of a record.
func RevisionAt(ctx context.Context, d *db.DB, kind Kind, id string, version int) (Revision, error) {
	revs, err := History(ctx, d, kind, id)
	if err != nil {
		return Revision{}, err
	}
	for _, r := range revs {
		if r.Version == version {
			return r, nil
		}
	}
	return Revision{}, db.ErrNotFound
}

// Change is one field that differs between two versions, by its JSON path.
type Change struct {
	Path string `json:"path"`
	Old  string `json:"old"`
	New  string `json:"new"`
}

// Diff lists the fields that differ between two snapshots, ignoring the
// bookkeeping that changes on every write.
func Diff(old, new json.RawMessage) ([]Change, error) {
	a, b := map[string]string{}, map[string]string{}
	for _, p := range []struct {
		raw json.RawMessage
		out map[string]string
	}{{old, a}, {new, b}} {
		if len(p.raw) == 0 {
			continue
		}
		var v any
		if err := json.Unmarshal(p.raw, &v); err != nil {
			return nil, fmt.Errorf("read snapshot: %w", err)
		}
		flatten("", v, p.out)
	}
	var out []Change
	for k, v := range b {
		if a[k] != v && !bookkeeping[k] {
			out = append(out, Change{Path: k, Old: a[k], New: v})
		}
	}
	for k, v := range a {
		if _, ok := b[k]; !ok && !bookkeeping[k] {
			out = append(out, Change{Path: k, Old: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

var bookkeeping = map[string]bool{"version": true, "updated_at": true, "updated_by": true}

func flatten(prefix string, v any, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, c, out)
		}
	case []any:
		for i, c := range t {
			flatten(fmt.Sprintf("%s[%d]", prefix, i), c, out)
		}
	case nil:
	default:
		b, _ := json.Marshal(t)
		s := string(b)
		if str, ok := t.(string); ok {
			s = str
		}
		if s != "" {
			out[prefix] = s
		}
	}
}

// UpdateRow runs update — an UPDATE of one row of table that ends with
// "WHERE id = … AND version = … RETURNING created_at, created_by" — and
// keeps the stored creation stamps in m, so the revision snapshot holds
// them whatever the caller sent. No row means the record is gone
// (db.ErrNotFound) or was changed since it was read (db.ErrConflict).
func UpdateRow(ctx context.Context, tx *db.Tx, table string, m *Meta, update string, args ...any) error {
	var created string
	err := tx.QueryRow(ctx, update, args...).Scan(&created, &m.CreatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		exists, err := tx.Exists(ctx, table, m.ID)
		if err != nil {
			return err
		}
		if !exists {
			return db.ErrNotFound
		}
		return db.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("update %s %s: %w", table, m.ID, db.Explain(err))
	}
	m.CreatedAt, err = db.ParseTime(created)
	return err
}
