package incident

import (
	"context"
	"fmt"

	"github.com/dossier-org/dossier/internal/db"
)

// LimitWordPlans lowers how many words a query's last word may be
// expanded to on PostgreSQL, and how many acts SQLite reads once for a
// search with act filters, so that tests reach every plan for words.
func LimitWordPlans(prefixWords, acts int) (restore func()) {
	oldWords, oldActs := maxPrefixWords, fewActs
	maxPrefixWords, fewActs = prefixWords, acts
	return func() { maxPrefixWords, fewActs = oldWords, oldActs }
}

// ForceLeadingFilter makes lists take the named facet walk ("party",
// "party+violation", "party+age", "violation", "age", "violation+age",
// "situation+violation") where it applies, so that tests cover every plan.
func ForceLeadingFilter(name string) (restore func()) {
	old := forcedLead
	forcedLead = name
	return func() { forcedLead = old }
}

// RemigrateListKeys puts the schema back as it was before list keys (no
// per-act rows, the full-text index under each incident's row ID and
// without facets; on PostgreSQL, no table of words) and runs their migrations again, so that
// tests check the migrations on data the stores wrote.
func RemigrateListKeys(ctx context.Context, d *db.DB) error {
	pools := d.Pools()
	pool := pools["write"]
	if pool == nil {
		pool = pools["shared"]
	}
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	undo := []string{`DROP TABLE act_facets`, `DROP TABLE party_facets`, `DROP INDEX incidents_list_key`,
		`DROP INDEX incidents_situation_list`, `DROP INDEX incidents_status_list`, `DROP INDEX incidents_situation_title`,
		`DROP INDEX incidents_case_list`, `DROP INDEX incidents_span`,
		`CREATE INDEX incidents_case_date ON incidents (case_id, date_start, id)`,
		`CREATE INDEX incidents_date ON incidents (date_start, id)`,
		`CREATE INDEX incidents_situation_date ON incidents (situation_id, date_start, id)`,
		`CREATE INDEX incidents_status_date ON incidents (status, date_start, id)`}
	if d.Dialect == db.Postgres {
		undo = append(undo, `DROP SEQUENCE incident_list_seq`)
	} else {
		undo = append(undo, `DROP TABLE sequences`, `DROP TABLE incident_search`,
			`CREATE VIRTUAL TABLE incident_search USING fts5 (title, summary, place, content = '', contentless_delete = 1)`,
			`INSERT INTO incident_search (rowid, title, summary, place)
				SELECT rowid, lower(title), lower(summary), lower(place_name || ' ' || place_admin_area) FROM incidents`)
	}
	undo = append(undo, `ALTER TABLE incidents DROP COLUMN list_key`, `ALTER TABLE incidents DROP COLUMN span_days`)
	for _, q := range undo {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	if err := migrateListKeys(ctx, tx, d.Dialect); err != nil {
		return err
	}
	if err := rebuildFacets(ctx, tx, d.Dialect); err != nil {
		return err
	}
	if err := migrateSearch(ctx, tx, d.Dialect); err != nil {
		return err
	}
	if d.Dialect == db.Postgres {
		// The table of words, and the tsvectors as they were before it.
		for _, q := range []string{`DROP TABLE incident_words`,
			`UPDATE incidents SET search = to_tsvector('simple', title || ' ' || summary)`,
			`CREATE INDEX incidents_search ON incidents USING GIN (search)`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		if err := migrateWords(ctx, tx, d.Dialect); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// RebuildSearchInStore builds SQLite's full-text index anew inside tx, as
// a migration does, for tests to compare with one a bulk load built.
func RebuildSearchInStore(ctx context.Context, tx *db.Tx) error {
	if err := recreateSearch(ctx, tx.Exec); err != nil {
		return err
	}
	return indexSearch(ctx, tx.Exec)
}

// FailSearchStaging makes the full-text index's builder beside the store
// fail with err on the first documents it is handed.
func FailSearchStaging(err error) (restore func()) {
	stagingFault = err
	return func() { stagingFault = nil }
}
