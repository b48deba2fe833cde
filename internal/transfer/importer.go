package transfer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
)

// problem is something wrong with a record: field is the path of the field
// in the record's JSON form (acts[2].victim.age_group), or "" for the whole
// record. Where it is reported depends on where the record was read from.
type problem struct{ field, reason string }

// origin says where a record was read from, so that each of its problems is
// reported where the user will find it.
type origin interface {
	// place returns the file, row and column (or JSON path) of a field.
	place(field string) (file string, row int, column string)
	// rows lists every row the record was read from, its own row first:
	// each is reported when the record is rejected.
	rows() []rowRef
	// what names the record in messages about the rows that depend on it.
	what() string
}

// rowRef is one row of a record. link is the column that ties a dependent
// row to the record (an act's incident_id).
type rowRef struct {
	file string
	row  int
	link string
}

// importer carries one import's transaction and what it has learnt.
type importer struct {
	ctx  context.Context
	a    *app.App
	tx   *db.Tx
	opts Options

	imported Counts
	rejected []Rejection
	// fatal stops the import from being committed even when partial: the
	// file itself is unreadable past some point, or a header is wrong.
	fatal bool

	situations, parties, sources *refIndex
	rows                         int // records processed, to check for cancellation now and then
	pending                      []pendingIncident
}

// bulkTables are the tables a large import fills.
var bulkTables = []string{"incidents", "acts", "act_perpetrators", "information_links", "revisions", "audit_log"}

// errRollback makes db.Write roll back an import that must not be committed.
var errRollback = errors.New("import rejected")

// run imports inside one transaction: body reads the input and writes each
// record; the transaction commits unless a row was rejected (and the import
// is not partial) or the input was unreadable.
func run(ctx context.Context, a *app.App, opts Options, body func(im *importer) error) (Report, error) {
	im := &importer{ctx: ctx, a: a, opts: opts}
	im.situations = newRefIndex("situation", im.storeSituations)
	im.parties = newRefIndex("party", im.storeParties)
	im.sources = newRefIndex("source", im.storeSources)
	empty, err := a.Empty(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("import: %w", err)
	}
	write := a.DB.Write
	if empty && opts.Alone {
		// Holding the database alone, the import cannot read the stored
		// records it refers to by name through another connection.
		for _, ix := range []*refIndex{im.situations, im.parties, im.sources} {
			if err := ix.prefetch(); err != nil {
				return Report{}, fmt.Errorf("import: %w", err)
			}
		}
		write = a.DB.WriteAlone
	}
	endBulkLoad := func() error { return nil }
	err = write(ctx, func(tx *db.Tx) error {
		im.tx = tx
		load := func() error {
			if err := body(im); err != nil {
				return err
			}
			return im.flushIncidents()
		}
		// Into an empty store, the indexes (and the incident list's
		// per-act rows and full-text index) are built once at the end
		// rather than kept up to date row by row.
		if empty {
			var err error
			if im.ctx, endBulkLoad, err = incident.BeginBulkLoad(ctx, tx); err != nil {
				return err
			}
			load = func(load func() error) func() error {
				return func() error {
					return tx.WithoutIndexes(ctx, bulkTables, func() error {
						if err := load(); err != nil {
							return err
						}
						return incident.FinishBulkLoad(im.ctx, tx)
					})
				}
			}(load)
		}
		if err := load(); err != nil {
			return err
		}
		if im.fatal || (len(im.rejected) > 0 && !opts.Partial) {
			return errRollback
		}
		return nil
	})
	// What the bulk load ran beside the transaction stops with it.
	err = errors.Join(err, endBulkLoad())
	report := Report{Rejected: im.rejected}
	sortRejections(report.Rejected)
	switch {
	case errors.Is(err, errRollback):
	case err != nil:
		return report, fmt.Errorf("import: %w", err)
	default:
		report.Committed = true
		report.Imported = im.imported
		if empty {
			if err := a.DB.Vacuum(ctx, slices.Concat(bulkTables, incident.ListTables)...); err != nil {
				return report, fmt.Errorf("import (committed): %w", err)
			}
		}
	}
	if report.Rejected == nil {
		report.Rejected = []Rejection{}
	}
	return report, nil
}

// tick checks for cancellation every so many records.
func (im *importer) tick() error {
	im.rows++
	if im.rows%256 == 0 {
		return im.ctx.Err()
	}
	return nil
}

// fileProblem reports a problem with a whole file (or its header row).
func (im *importer) fileProblem(file string, row int, p problem) {
	im.rejected = append(im.rejected, Rejection{File: file, Row: row, Field: p.field, Reason: p.reason})
}

// reject reports a record's problems, each where it was found, and then
// every other row of the record, so that nothing is dropped unnoticed.
func (im *importer) reject(o origin, problems []problem) {
	type at struct {
		file string
		row  int
	}
	reported := map[at]bool{}
	first := ""
	for _, p := range problems {
		file, row, column := o.place(p.field)
		im.rejected = append(im.rejected, Rejection{File: file, Row: row, Field: column, Reason: p.reason})
		reported[at{file, row}] = true
		if first == "" {
			first = fmt.Sprintf("%s row %d", file, row)
		}
	}
	rows := o.rows()
	for _, r := range rows {
		if reported[at{r.file, r.row}] {
			first = fmt.Sprintf("%s row %d", r.file, r.row)
			break
		}
	}
	for i, r := range rows {
		if reported[at{r.file, r.row}] {
			continue
		}
		reported[at{r.file, r.row}] = true
		if i == 0 {
			im.rejected = append(im.rejected, Rejection{File: r.file, Row: r.row,
				Reason: "not imported, because of the errors reported on " + first})
			continue
		}
		im.rejected = append(im.rejected, Rejection{File: r.file, Row: r.row, Field: r.link,
			Reason: fmt.Sprintf("not imported: %s (%s row %d) was rejected", o.what(), rows[0].file, rows[0].row)})
	}
}

// write runs a domain Insert inside a savepoint, so that a row the
// database refuses is undone alone and the transaction goes on (PostgreSQL
// would otherwise refuse every later statement). It returns the problems
// that reject the record, or an error when the import cannot go on.
func (im *importer) write(insert func() error) ([]problem, error) {
	err := im.tx.Savepoint(im.ctx, insert)
	if _, ok := record.AsErrors(err); ok || (err != nil && rowError(err)) {
		if err := im.releaseSavepoint(); err != nil {
			return nil, err
		}
	}
	if err == nil {
		return nil, nil
	}
	if errs, ok := record.AsErrors(err); ok {
		out := make([]problem, len(errs))
		for i, fe := range errs {
			out[i] = problem{fe.Field, fe.Message}
		}
		return out, nil
	}
	if rowError(err) {
		return []problem{{"", err.Error()}}, nil
	}
	return nil, err
}

// releaseSavepoint pops the savepoint a failed write was rolled back to:
// both engines keep it after ROLLBACK TO, and a partial import with many
// rejected rows would otherwise nest a savepoint for each of them.
func (im *importer) releaseSavepoint() error {
	if _, err := im.tx.Exec(im.ctx, "RELEASE SAVEPOINT row_savepoint"); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// rowError tells a database refusing one row's values (a duplicate, a
// missing reference, a value the engine will not store) from a failure that
// stops the whole import (the connection, the disk, cancellation).
func rowError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, db.ErrDuplicate) || errors.Is(err, db.ErrMissingReference) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		// Class 22 is data exceptions, 23 integrity constraint violations.
		return strings.HasPrefix(pg.Code, "22") || strings.HasPrefix(pg.Code, "23")
	}
	return false
}

// validation turns a record's Validate result into problems.
func validation(err error) []problem {
	errs, ok := record.AsErrors(err)
	if !ok {
		if err != nil {
			return []problem{{"", err.Error()}}
		}
		return nil
	}
	out := make([]problem, len(errs))
	for i, fe := range errs {
		out[i] = problem{fe.Field, fe.Message}
	}
	return out
}

// merge adds a rejected record's validation errors (from its Validate) to
// the problems found while reading it, so that the user sees every problem
// at once; but not for fields already reported, nor when a row is so
// malformed that its values are not where the header says.
func merge(problems []problem, validate error) []problem {
	for _, p := range problems {
		if p.field == "" || strings.HasSuffix(p.field, "]") {
			return problems
		}
	}
	for _, m := range validation(validate) {
		if !hasField(problems, m.field) {
			problems = append(problems, m)
		}
	}
	return problems
}

func hasField(problems []problem, field string) bool {
	for _, p := range problems {
		if p.field == field {
			return true
		}
	}
	return false
}

// prepareMeta checks and tidies the bookkeeping an imported record carries:
// a well-formed ID (given one if it has none, so that other rows can refer
// to it), and stamps at the precision stored. The version is not imported:
// the record starts a new history here, keeping its stamps.
func prepareMeta(m *record.Meta, problems *[]problem) {
	m.ID = strings.TrimSpace(m.ID)
	switch {
	case m.ID == "":
		m.ID = record.NewID()
	case !record.ValidID(m.ID):
		*problems = append(*problems, problem{"id", fmt.Sprintf("%q is not a record ID (a UUID such as 0190a3c4-…)", m.ID)})
	default:
		m.ID = strings.ToLower(m.ID)
	}
	m.Version = 0
	for _, t := range []struct {
		at    *time.Time
		field string
	}{{&m.CreatedAt, "created_at"}, {&m.UpdatedAt, "updated_at"}} {
		*t.at = t.at.UTC().Truncate(time.Microsecond)
		// Stored as text whose order is time order: four-digit years only.
		if !t.at.IsZero() && (t.at.Year() < 1 || t.at.Year() > 9999) {
			*problems = append(*problems, problem{t.field, "is not a time between the years 1 and 9999"})
			*t.at = time.Time{}
		}
	}
	if !m.CreatedAt.IsZero() && !m.UpdatedAt.IsZero() && m.UpdatedAt.Before(m.CreatedAt) {
		*problems = append(*problems, problem{"updated_at", "is before created_at"})
	}
	m.CreatedBy = strings.TrimSpace(m.CreatedBy)
	m.UpdatedBy = strings.TrimSpace(m.UpdatedBy)
}

// checkID tidies an optional ID that is not the record's own (an act's).
func checkID(id *string, field string, problems *[]problem) {
	*id = strings.TrimSpace(*id)
	if *id == "" {
		return
	}
	if !record.ValidID(*id) {
		*problems = append(*problems, problem{field, fmt.Sprintf("%q is not a record ID", *id)})
		return
	}
	*id = strings.ToLower(*id)
}

// sortRejections orders the report by file (in import order), then row.
func sortRejections(rs []Rejection) {
	rank := func(r Rejection) int {
		if t := tableByFile(r.File); t != nil {
			for i, tt := range tables {
				if tt == t {
					return i
				}
			}
		}
		for i, s := range sections {
			if strings.HasPrefix(r.Field, s) {
				return i
			}
		}
		return -1
	}
	sort.SliceStable(rs, func(i, j int) bool {
		if ri, rj := rank(rs[i]), rank(rs[j]); ri != rj {
			return ri < rj
		}
		if rs[i].File != rs[j].File {
			return rs[i].File < rs[j].File
		}
		return rs[i].Row < rs[j].Row
	})
}

// index renders a path index: acts[2].
func index(name string, i int) string { return name + "[" + strconv.Itoa(i) + "]" }
