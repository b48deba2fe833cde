package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Scratch is a SQLite database of its own, in a file beside the store's,
// for work that need not wait for the store's one writer: a bulk load
// builds its full-text index in one on a second core while the writer goes
// on (incident.BeginBulkLoad). Nothing in it is durable; Close removes it.
type Scratch struct {
	*sql.DB
	path  string
	files []*os.File
}

// scratchPattern names scratch files; a process killed mid-load leaves
// one behind, which can be deleted.
const scratchPattern = "scratch-*.db"

// OpenScratch creates an empty scratch database beside the transaction's
// SQLite file. It returns nil when there is no such file to put it beside
// (PostgreSQL).
func (t *Tx) OpenScratch(ctx context.Context) (*Scratch, error) {
	if t.db.Dialect != SQLite || t.db.path == "" {
		return nil, nil
	}
	f, err := os.CreateTemp(filepath.Dir(t.db.path), scratchPattern)
	if err != nil {
		return nil, fmt.Errorf("create a scratch database: %w", err)
	}
	path := f.Name()
	f.Close()
	// No journal and no syncs: a scratch database is rebuilt, not
	// recovered. A small cache: it works beside the store's writer.
	d, err := sql.Open("sqlite", fileURI(path)+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-16384)")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open a scratch database: %w", err), os.Remove(path))
	}
	d.SetMaxOpenConns(1)
	if err := d.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("open a scratch database: %w", err), d.Close(), os.Remove(path))
	}
	return &Scratch{DB: d, path: path}, nil
}

// File creates an empty file beside the scratch database, for data that
// needs no SQL; Close removes it too.
func (s *Scratch) File(name string) (*os.File, error) {
	f, err := os.OpenFile(s.path+"-"+name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create a scratch file: %w", err)
	}
	s.files = append(s.files, f)
	return f, nil
}

// Close closes the scratch database and removes its files.
func (s *Scratch) Close() error {
	err := s.DB.Close()
	for _, f := range s.files {
		err = errors.Join(err, f.Close(), os.Remove(f.Name()))
	}
	if rmErr := os.Remove(s.path); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
		err = errors.Join(err, rmErr)
	}
	return err
}

// fileURI is the file: URI of a path, in which %, ? and # would otherwise
// be read as syntax and open some other file.
func fileURI(path string) string {
	return "file:" + uriEscaper.Replace(path)
}

var uriEscaper = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// copyBatch is how many rows CopyFrom inserts with one statement.
const copyBatch = 64

// CopyFrom copies every row of table in the scratch database into the
// table of the same name and columns in the transaction's database.
func (t *Tx) CopyFrom(ctx context.Context, s *Scratch, table string) error {
	cols, err := columnsOf(ctx, s.DB, table)
	if err != nil {
		return err
	}
	// The driver reads an empty blob as nil, which it would write back as
	// NULL: each value's type comes with it.
	selected := make([]string, 0, 2*len(cols))
	for _, c := range cols {
		selected = append(selected, c, "typeof("+c+")")
	}
	rows, err := s.QueryContext(ctx, `SELECT `+strings.Join(selected, ", ")+` FROM `+table)
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	defer rows.Close()
	insert := func(values []any) error {
		n := len(values) / len(cols)
		_, err := t.Exec(ctx, `INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) VALUES `+ValuesList(n, len(cols)), values...)
		if err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		return nil
	}
	scanned := make([]any, 2*len(cols))
	dest := make([]any, len(scanned))
	for i := range scanned {
		dest[i] = &scanned[i]
	}
	batch := make([]any, 0, copyBatch*len(cols))
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		for i := 0; i < len(scanned); i += 2 {
			v := scanned[i]
			if b, ok := v.([]byte); ok && b == nil && scanned[i+1] == "blob" {
				v = []byte{}
			}
			batch = append(batch, v)
		}
		if len(batch) == cap(batch) {
			if err := insert(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	if len(batch) > 0 {
		return insert(batch)
	}
	return nil
}

func columnsOf(ctx context.Context, d *sql.DB, table string) ([]string, error) {
	cols, err := Column[string](d.QueryContext(ctx, `SELECT '"' || name || '"' FROM pragma_table_info(?)`, table))
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("copy %s: no such table in the scratch database", table)
	}
	return cols, nil
}
