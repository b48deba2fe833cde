package incident

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// An incident's list key is its place in date order: the day it began, then
// a number drawn once from a sequence, so that keys never repeat and an
// incident keeps its number when its date changes. Lists by date walk this
// one integer, and on SQLite it is also the incident's row in the full-text
// index, whose matches come out in row order: "newest first" then reads a
// common word's matches from the front and stops after a page, instead of
// collecting hundreds of thousands of them to sort.
//
// The day takes the high bits and the number the low 40 (a trillion
// incidents); a day is counted from 1 January of year 1, so an incident
// without a date (day 0) sorts before every dated one.
const seqBits = 40

var firstDay = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)

// dayNumber is the day a date string names, counted from 1 January of
// year 1 (which is day 1); 0 for no date.
func dayNumber(day string) int64 {
	t, err := record.ParseDay(day)
	if err != nil {
		return 0
	}
	// In seconds: a time.Duration spans only 292 years.
	return (t.Unix()-firstDay.Unix())/(24*60*60) + 1
}

func listKey(start string, seq int64) int64 { return dayNumber(start)<<seqBits | seq }

func seqOf(key int64) int64 { return key & (1<<seqBits - 1) }

// keysBefore is the first list key after every incident that began on or
// before day: the bound of a "to" filter.
func keysBefore(day string) int64 { return (dayNumber(day) + 1) << seqBits }

// spanDays is how many days an incident's dates span: 0 for a day or no
// date. A list from a date walks back from it by the longest span, so that
// incidents that began earlier and were still going on are found too.
func spanDays(d record.Date) int64 {
	if d.Start == "" || d.End == "" {
		return 0
	}
	return max(0, dayNumber(d.End)-dayNumber(d.Start))
}

// nextSeq draws the next number for a new incident's list key.
func nextSeq(ctx context.Context, tx *db.Tx) (int64, error) {
	// A bulk load draws the first number and counts on from it in memory;
	// FinishBulkLoad stores the last.
	b := bulkLoadOf(ctx)
	if b != nil && b.lastSeq != 0 {
		b.lastSeq++
		return b.lastSeq, nil
	}
	n, err := drawSeq(ctx, tx)
	if b != nil && err == nil {
		b.lastSeq = n
	}
	return n, err
}

func drawSeq(ctx context.Context, tx *db.Tx) (int64, error) {
	var n int64
	var err error
	if tx.Dialect() == db.Postgres {
		err = tx.QueryRow(ctx, `SELECT nextval('incident_list_seq')`).Scan(&n)
	} else {
		err = tx.QueryRow(ctx, `UPDATE sequences SET value = value + 1 WHERE name = 'incident_list' RETURNING value`).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("draw a list key: %w", err)
	}
	return n, nil
}

// storeSeq makes n the last number drawn.
func storeSeq(ctx context.Context, tx *db.Tx, n int64) error {
	var err error
	if tx.Dialect() == db.Postgres {
		_, err = tx.Exec(ctx, `SELECT setval('incident_list_seq', $1)`, n)
	} else {
		_, err = tx.Exec(ctx, `UPDATE sequences SET value = $1 WHERE name = 'incident_list'`, n)
	}
	if err != nil {
		return fmt.Errorf("store the last list key: %w", err)
	}
	return nil
}

func init() { db.RegisterMigration(8, migrateListKeys) }

// migrateListKeys gives every incident its list key (numbered in the order
// the list used before, date then ID) and rebuilds the SQLite full-text
// index under those keys. The per-act rows of act filters, which it built
// too at first, are built by migration 13 (rebuildFacets).
func migrateListKeys(ctx context.Context, tx *sql.Tx, d db.Dialect) error {
	exec := func(query string, args ...any) error {
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("%.60s…: %w", query, err)
		}
		return nil
	}
	for _, column := range []string{"list_key", "span_days"} {
		if err := exec(`ALTER TABLE incidents ADD COLUMN ` + column + ` BIGINT NOT NULL DEFAULT 0`); err != nil {
			return err
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, date_start, date_end FROM incidents ORDER BY date_start, id`)
	if err != nil {
		return err
	}
	type keyed struct {
		id        string
		key, span int64
	}
	var keys []keyed
	for rows.Next() {
		var id, start, end string
		if err := rows.Scan(&id, &start, &end); err != nil {
			rows.Close()
			return err
		}
		keys = append(keys, keyed{id, listKey(start, int64(len(keys)+1)), spanDays(record.Date{Start: start, End: end})})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	set, err := tx.PrepareContext(ctx, `UPDATE incidents SET list_key = $1, span_days = $2 WHERE id = $3`)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if _, err := set.ExecContext(ctx, k.key, k.span, k.id); err != nil {
			set.Close()
			return fmt.Errorf("set the list key of incident %s: %w", k.id, err)
		}
	}
	set.Close()

	ddl := []string{
		`CREATE UNIQUE INDEX incidents_list_key ON incidents (list_key)`,
		`DROP INDEX incidents_date`,
		`DROP INDEX incidents_situation_date`,
		`DROP INDEX incidents_status_date`,
		`DROP INDEX incidents_case_date`,
		// The case and the end date ride along, so that a walk checks a
		// reader's cases and a "from" date without reading the incident.
		`CREATE INDEX incidents_situation_list ON incidents (situation_id, list_key, case_id, date_end)`,
		`CREATE INDEX incidents_status_list ON incidents (status, list_key, case_id, date_end)`,
		`CREATE INDEX incidents_case_list ON incidents (case_id, list_key, date_end)`,
		`CREATE INDEX incidents_span ON incidents (span_days)`,
		`CREATE INDEX incidents_situation_title ON incidents (situation_id, title, id)`,
	}
	if d == db.Postgres {
		ddl = append(ddl, fmt.Sprintf(`CREATE SEQUENCE incident_list_seq START WITH %d`, len(keys)+1))
	} else {
		ddl = append(ddl, `CREATE TABLE sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT`,
			fmt.Sprintf(`INSERT INTO sequences (name, value) VALUES ('incident_list', %d)`, len(keys)))
	}
	for _, q := range ddl {
		if err := exec(q); err != nil {
			return err
		}
	}
	// SQLite's full-text index, under each incident's row ID until now, is
	// written anew under list keys by migration 15 (migrateSearch).
	return nil
}
