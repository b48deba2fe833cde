package incident

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/dossier-org/dossier/internal/db"
)

// On PostgreSQL a search for words with a party walks the word's rows in
// key order and keeps those whose incident the party (or one of its units)
// is behind. The planner merges the word's rows with the party's, both in
// key order; when the two share fewer incidents than a page's count, both
// are walked whole. party_facets has a row per act, violation and family,
// so at a million incidents a party behind 54,093 incidents had 207,094
// rows to walk; party_incidents holds one row per party and incident, and
// that search took 11–18 ms against 28 ms. SQLite finds the same incidents
// through the facets of its full-text index (search.go).
//
// The rows are written from party_facets wherever those are: an
// incident's write, a bulk load's end, a party's move, and migrations 19
// and 21.

const partyIncidentsTable = `CREATE TABLE party_incidents (party BIGINT NOT NULL, list_key BIGINT NOT NULL,
	case_number BIGINT, PRIMARY KEY (party, list_key))`

const partyIncidentsIndex = `CREATE INDEX party_incidents_list ON party_incidents (list_key)`

// Migration 21 writes the rows of existing PostgreSQL stores. A store that
// has just come through migration 19 (rebuildFacets) has them.
func init() {
	db.RegisterMigration(21, func(ctx context.Context, tx *sql.Tx, d db.Dialect) error {
		if d != db.Postgres {
			return nil
		}
		if written, err := tableExists(ctx, tx, d, "party_incidents"); err != nil || written {
			return err
		}
		if _, err := tx.ExecContext(ctx, partyIncidentsTable); err != nil {
			return err
		}
		if err := writePartyIncidents(ctx, tx.ExecContext, ""); err != nil {
			return err
		}
		for _, q := range []string{partyIncidentsIndex, `ANALYZE party_incidents`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%.60s…: %w", q, err)
			}
		}
		return nil
	})
}

// writePartyIncidents writes the rows of the incidents whose list keys
// keys selects ("" for all) from their per-act rows, once those are
// written and the incidents' old rows deleted.
func writePartyIncidents(ctx context.Context, exec execFunc, keys string, args ...any) error {
	where := ``
	if keys != "" {
		where = ` WHERE list_key IN (` + keys + `)`
	}
	if _, err := exec(ctx, `INSERT INTO party_incidents (party, list_key, case_number)
		SELECT DISTINCT party, list_key, case_number FROM party_facets`+where+` ORDER BY 1, 2`, args...); err != nil {
		return fmt.Errorf("index incidents by party for lists: %w", err)
	}
	return nil
}

// partyOrActsExist is actsExist, but for a party alone on PostgreSQL, the
// condition on party_incidents.
func partyOrActsExist(q *listQuery, acts []actFilter, key string) string {
	if len(acts) == 1 && acts[0].column == "party" {
		return `EXISTS (SELECT 1 FROM party_incidents p WHERE p.list_key = ` + key + ` AND p.party = ` + q.arg(acts[0].value) + `)`
	}
	return actsExist(q, acts, key)
}
