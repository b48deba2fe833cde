package incident

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/party"
)

// The list filters on what an act is (its violation, its victim's age
// group, the party behind it) and orders by the incident's date. Checking
// each incident's acts while walking incidents in date order is slow when
// few incidents match; collecting the matches first is slow when many do.
// So every act also has narrow rows keyed by its incident's list key,
// carrying what the list filters on:
//
//   - act_facets: one row per act and violation it counts as (its own type,
//     and its family when that differs: gang rape is also rape), so that a
//     violation filter is one value;
//   - party_facets: the same, once more for each party behind the act and
//     each of that party's parents ("Hamas or its units" is one value),
//     stored in party then list-key order.
//
// Each has indexes by the filters (alone and in the pairs lists combine)
// then list key, so a filtered list walks one range in date order, checks
// the rest on the same rows, and stops after a page. The incident's own
// filter columns (situation, status, case, end date) are copied in, so the
// walk never leaves the narrow rows.

func facetTables(d db.Dialect) []string {
	columns := `violation TEXT NOT NULL,
		age_group TEXT NOT NULL,
		situation_id TEXT,
		status TEXT NOT NULL,
		case_id TEXT,
		date_end TEXT NOT NULL`
	clustered := ` WITHOUT ROWID`
	if d == db.Postgres {
		clustered = ``
	}
	return []string{
		`CREATE TABLE act_facets (list_key BIGINT NOT NULL, act_seq INTEGER NOT NULL, ` + columns +
			`, PRIMARY KEY (list_key, act_seq, violation))` + clustered,
		`CREATE TABLE party_facets (party_id TEXT NOT NULL, list_key BIGINT NOT NULL, act_seq INTEGER NOT NULL, ` +
			columns + `, PRIMARY KEY (party_id, list_key, act_seq, violation))` + clustered,
	}
}

// facetIndexes are built after the rows, once. Their names are the walks
// of list_plan.go.
func facetIndexes(d db.Dialect) []string {
	out := []string{
		`CREATE INDEX act_facets_violation ON act_facets (violation, list_key)`,
		`CREATE INDEX act_facets_age ON act_facets (age_group, list_key)`,
		`CREATE INDEX act_facets_violation_age ON act_facets (violation, age_group, list_key)`,
		`CREATE INDEX act_facets_situation_violation ON act_facets (situation_id, violation, list_key)`,
		`CREATE INDEX party_facets_violation ON party_facets (party_id, violation, list_key)`,
		`CREATE INDEX party_facets_list ON party_facets (list_key)`,
	}
	if d == db.Postgres {
		// PostgreSQL does not keep a table in key order; the covering index
		// lets a walk by party read only the index.
		out = append(out, `CREATE INDEX party_facets_walk ON party_facets (party_id, list_key)
			INCLUDE (act_seq, violation, age_group, situation_id, status, case_id, date_end)`)
	}
	return out
}

// violationsSQL lists, as SQL rows (type, counts as), each violation type
// with itself and each form with its family.
func violationsSQL() string {
	var rows []string
	for _, v := range ViolationTypes {
		rows = append(rows, fmt.Sprintf(`('%s', '%s')`, v, v))
		if f := v.Family(); f != v {
			rows = append(rows, fmt.Sprintf(`('%s', '%s')`, v, f))
		}
	}
	return `(VALUES ` + strings.Join(rows, `, `) + `) AS counts_as`
}

type execFunc func(ctx context.Context, query string, args ...any) (sql.Result, error)

// buildFacets writes the facet rows of the acts that where selects (a
// condition on acts a; "" for every act).
func buildFacets(ctx context.Context, exec execFunc, where string, args ...any) error {
	if where == "" {
		where = `1 = 1`
	}
	facts := `counts_as.column2, a.victim_age_group, i.situation_id, i.status, i.case_id, i.date_end`
	violations := ` JOIN ` + violationsSQL() + ` ON counts_as.column1 = a.violation_type`
	if _, err := exec(ctx, `INSERT INTO act_facets (list_key, act_seq, violation, age_group,
		situation_id, status, case_id, date_end)
		SELECT i.list_key, a.seq, `+facts+` FROM acts a JOIN incidents i ON i.id = a.incident_id`+violations+
		` WHERE `+where+` ORDER BY 1, 2, 3`, args...); err != nil {
		return fmt.Errorf("index acts for lists: %w", err)
	}
	if _, err := exec(ctx, `INSERT INTO party_facets (party_id, list_key, act_seq, violation,
		age_group, situation_id, status, case_id, date_end)
		WITH RECURSIVE up (act_id, party_id) AS (
			SELECT p.act_id, p.party_id FROM act_perpetrators p JOIN acts a ON a.id = p.act_id
			WHERE p.party_id IS NOT NULL AND `+where+`
			UNION SELECT up.act_id, parent.parent_id FROM up JOIN parties parent ON parent.id = up.party_id
			WHERE parent.parent_id IS NOT NULL)
		SELECT up.party_id, i.list_key, a.seq, `+facts+`
		FROM up JOIN acts a ON a.id = up.act_id JOIN incidents i ON i.id = a.incident_id`+violations+
		` ORDER BY 1, 2, 3, 4`, args...); err != nil {
		return fmt.Errorf("index acts by party for lists: %w", err)
	}
	return nil
}

// writeFacets replaces the facet rows of one incident.
func writeFacets(ctx context.Context, tx *db.Tx, id string, oldKey int64) error {
	if oldKey != 0 {
		if err := deleteFacets(ctx, tx, `list_key = $1`, oldKey); err != nil {
			return err
		}
	}
	if bulkLoad(ctx) {
		return nil
	}
	return buildFacets(ctx, tx.Exec, `a.incident_id = $1`, id)
}

func deleteFacets(ctx context.Context, tx *db.Tx, where string, args ...any) error {
	for _, table := range []string{"act_facets", "party_facets"} {
		if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE `+where, args...); err != nil {
			return fmt.Errorf("clear %s: %w", table, err)
		}
	}
	return nil
}

type bulkLoadKey struct{}

// BulkLoad marks a load into an empty store: incidents inserted under the
// returned context skip their per-act rows and their full-text index rows,
// and the loader calls FinishBulkLoad once at the end, which writes both in
// list-key order, far cheaper than a few statements per incident.
func BulkLoad(ctx context.Context) context.Context { return context.WithValue(ctx, bulkLoadKey{}, true) }

func bulkLoad(ctx context.Context) bool { v, _ := ctx.Value(bulkLoadKey{}).(bool); return v }

// FinishBulkLoad writes the per-act rows and the full-text index of every
// incident after a load made under BulkLoad.
func FinishBulkLoad(ctx context.Context, tx *db.Tx) error {
	if err := buildFacets(ctx, tx.Exec, ""); err != nil {
		return err
	}
	if tx.Dialect() == db.SQLite {
		return indexSearch(ctx, tx.Query, tx.Exec)
	}
	return nil
}

// A party moved under another parent changes which ranges its acts, and
// its units' acts, belong to: their rows are written again.
func init() {
	party.OnMove(func(ctx context.Context, tx *db.Tx, partyID string) error {
		acts := `a.id IN (SELECT p.act_id FROM act_perpetrators p WHERE p.party_id IN (` + party.SubtreeSQL("$1") + `))`
		if _, err := tx.Exec(ctx, `DELETE FROM party_facets WHERE (list_key, act_seq) IN (
			SELECT i.list_key, a.seq FROM acts a JOIN incidents i ON i.id = a.incident_id WHERE `+acts+`)`, partyID); err != nil {
			return fmt.Errorf("re-index the acts of party %s: %w", partyID, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM act_facets WHERE (list_key, act_seq) IN (
			SELECT i.list_key, a.seq FROM acts a JOIN incidents i ON i.id = a.incident_id WHERE `+acts+`)`, partyID); err != nil {
			return fmt.Errorf("re-index the acts of party %s: %w", partyID, err)
		}
		return buildFacets(ctx, tx.Exec, acts, partyID)
	})
}
