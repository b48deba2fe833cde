package transfer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// An incident's acts, perpetrators and information links are in files of
// their own. An export writes them in step with incidents.csv (an
// incident's acts follow the previous incident's, and so on), so the import
// reads the files side by side and holds one incident at a time. A file
// written in another order is first copied into a temporary SQLite
// database on disk, indexed by the incident (or act) each row belongs to:
// slower, but memory stays bounded whatever the order.

// childRows hands out, parent by parent, the rows that belong to it.
type childRows interface {
	// next returns the next row whose link column holds key, in file
	// order, or nil when there is none left. Read side by side, the rows of
	// an act's perpetrators must be taken before the next act is asked for.
	next(key string) (*csvRow, error)
	// rest calls fn for every row never taken: rows of no parent.
	rest(fn func(*csvRow) error) error
	Close() error
}

// inStep reports whether the rows of child come grouped by their parent,
// in the order of parent's rows, so that both can be read side by side.
// Rows with an empty link are ignored: they belong to no parent anyway.
func inStep(parent, child entry, pt, ct *table, parentKey, link string) (bool, error) {
	open := func(e entry, t *table) (*csvReader, error) {
		rc, err := e.open()
		if err != nil {
			return nil, err
		}
		r, bad, err := openCSV(t, e.name, rc)
		if err != nil || bad != nil {
			return nil, err
		}
		return r, nil
	}
	pr, err := open(parent, pt)
	if err != nil || pr == nil {
		return false, err
	}
	defer pr.Close()
	cr, err := open(child, ct)
	if err != nil || cr == nil {
		return false, err
	}
	defer cr.Close()
	current, started := "", false
	for {
		row, err := cr.next()
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		k := row.key(link)
		if k == "" || (started && k == current) {
			continue
		}
		for {
			prow, err := pr.next()
			if errors.Is(err, io.EOF) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			if prow.key(parentKey) == k {
				break
			}
		}
		current, started = k, true
	}
}

// stepRows reads a child file side by side with its parent file.
type stepRows struct {
	r      *csvReader
	link   string
	head   *csvRow
	eof    bool
	orphan func(*csvRow) error // a row with no link at all
}

func (s *stepRows) peek() (*csvRow, error) {
	for s.head == nil && !s.eof {
		row, err := s.r.next()
		if errors.Is(err, io.EOF) {
			s.eof = true
			break
		}
		if err != nil {
			return nil, err
		}
		if row.key(s.link) == "" {
			if err := s.orphan(row); err != nil {
				return nil, err
			}
			continue
		}
		s.head = row
	}
	return s.head, nil
}

func (s *stepRows) next(key string) (*csvRow, error) {
	h, err := s.peek()
	if err != nil || h == nil || h.key(s.link) != key {
		return nil, err
	}
	s.head = nil
	return h, nil
}

func (s *stepRows) rest(fn func(*csvRow) error) error {
	for {
		h, err := s.peek()
		if err != nil || h == nil {
			return err
		}
		s.head = nil
		if err := fn(h); err != nil {
			return err
		}
	}
}

func (s *stepRows) Close() error { return s.r.Close() }

// spooledRows holds a child file's rows in a temporary SQLite database,
// for files not in step with their parent file.
type spooledRows struct {
	ctx  context.Context
	h    *header
	dir  string
	db   *sql.DB
	pick *sql.Stmt
	drop *sql.Stmt
	// The rows of key not yet handed out.
	key   string
	taken []*csvRow
}

type spooledRow struct {
	Rec     []string  `json:"r"`
	Defects []problem `json:"d,omitempty"`
}

func (p problem) MarshalJSON() ([]byte, error) { return json.Marshal([2]string{p.field, p.reason}) }

func (p *problem) UnmarshalJSON(b []byte) error {
	var v [2]string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	p.field, p.reason = v[0], v[1]
	return nil
}

// spool copies every row of r into a temporary database keyed by link.
func spool(ctx context.Context, r *csvReader, link string, orphan func(*csvRow) error) (_ *spooledRows, err error) {
	defer r.Close()
	dir, err := os.MkdirTemp("", "dossier-import-")
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", r.name, err)
	}
	s := &spooledRows{ctx: ctx, h: r.h, dir: dir}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	// Nothing here needs to survive a crash: the file is deleted after use.
	s.db, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "rows.db")+
		"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-16384)")
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", r.name, err)
	}
	s.db.SetMaxOpenConns(1)
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE rows (key TEXT NOT NULL, line INTEGER NOT NULL, body TEXT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("spool %s: %w", r.name, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", r.name, err)
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO rows (key, line, body) VALUES (?1, ?2, ?3)`)
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", r.name, err)
	}
	err = r.each(func(row *csvRow) error {
		k := row.key(link)
		if k == "" {
			return orphan(row)
		}
		body, err := json.Marshal(spooledRow{Rec: row.rec, Defects: row.defects})
		if err != nil {
			return err
		}
		if _, err := ins.ExecContext(ctx, k, row.line, body); err != nil {
			return fmt.Errorf("spool %s: %w", r.name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `CREATE INDEX rows_key ON rows (key, line)`); err != nil {
		return nil, fmt.Errorf("spool %s: %w", r.name, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("spool %s: %w", r.name, err)
	}
	if s.pick, err = s.db.PrepareContext(ctx, `SELECT line, body FROM rows WHERE key = ?1 ORDER BY line`); err != nil {
		return nil, err
	}
	if s.drop, err = s.db.PrepareContext(ctx, `DELETE FROM rows WHERE key = ?1`); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *spooledRows) scan(rows *sql.Rows, fn func(*csvRow) error) error {
	defer rows.Close()
	for rows.Next() {
		var line int
		var body []byte
		if err := rows.Scan(&line, &body); err != nil {
			return err
		}
		var sr spooledRow
		if err := json.Unmarshal(body, &sr); err != nil {
			return err
		}
		if err := fn(&csvRow{h: s.h, line: line, rec: sr.Rec, defects: sr.Defects}); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *spooledRows) next(key string) (*csvRow, error) {
	if key != s.key {
		s.key, s.taken = key, s.taken[:0]
		rows, err := s.pick.QueryContext(s.ctx, key)
		if err != nil {
			return nil, err
		}
		if err := s.scan(rows, func(r *csvRow) error { s.taken = append(s.taken, r); return nil }); err != nil {
			return nil, err
		}
		// Taken rows are deleted: what is left at the end belongs to no parent.
		if len(s.taken) > 0 {
			if _, err := s.drop.ExecContext(s.ctx, key); err != nil {
				return nil, err
			}
		}
	}
	if len(s.taken) == 0 {
		return nil, nil
	}
	r := s.taken[0]
	s.taken = s.taken[1:]
	return r, nil
}

func (s *spooledRows) rest(fn func(*csvRow) error) error {
	// Read the rest whole first: fn may take rows of another file, and the
	// database has one connection.
	var out []*csvRow
	rows, err := s.db.QueryContext(s.ctx, `SELECT line, body FROM rows ORDER BY line`)
	if err != nil {
		return err
	}
	if err := s.scan(rows, func(r *csvRow) error { out = append(out, r); return nil }); err != nil {
		return err
	}
	for _, r := range out {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (s *spooledRows) Close() error {
	var err error
	if s.db != nil {
		err = s.db.Close()
	}
	return errors.Join(err, os.RemoveAll(s.dir))
}

// noRows is a child file that is absent.
type noRows struct{}

func (noRows) next(string) (*csvRow, error)   { return nil, nil }
func (noRows) rest(func(*csvRow) error) error { return nil }
func (noRows) Close() error                   { return nil }
