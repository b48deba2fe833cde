package incident

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

// An edit writes its incident's facet rows with two INSERT … SELECTs. With
// the statistics of a store of 20,000 incidents, SQLite once planned the
// party rows' query to start from the violation types and index every act
// by type, at each write: 96 ms an incident, growing with the store. The
// plans must start from the incident's acts.
func TestFacetWritesStartFromTheIncidentsActs(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	err := d.Write(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `ANALYZE`); err != nil { // creates sqlite_stat1
			return err
		}
		for _, stat := range [][3]string{
			{"acts", "acts_incident", "60936 4 1"},
			{"acts", "sqlite_autoindex_acts_1", "60936 1"},
			{"act_perpetrators", "act_perpetrators", "75009 2 1"},
			{"act_perpetrators", "act_perpetrators_party", "75009 1531 1"},
			{"incidents", "sqlite_autoindex_incidents_1", "20000 1"},
		} {
			if _, err := tx.Exec(ctx, `INSERT OR REPLACE INTO sqlite_stat1 (tbl, idx, stat) VALUES ($1, $2, $3)`, stat[0], stat[1], stat[2]); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `ANALYZE sqlite_schema`) // reloads the statistics
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var plans []string
	explain := func(ctx context.Context, query string, args ...any) (sql.Result, error) {
		rows, err := d.Query(ctx, `EXPLAIN QUERY PLAN `+query, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				return nil, err
			}
			plan = append(plan, detail)
		}
		plans = append(plans, strings.Join(plan, "; "))
		return nil, rows.Err()
	}
	if err := buildFacets(ctx, explain, `a.incident_id = $1`, "01900000-0000-7000-8000-000000000001"); err != nil {
		t.Fatal(err)
	}
	if len(plans) != 2 {
		t.Fatalf("%d statements, want 2", len(plans))
	}
	for _, plan := range plans {
		if strings.Contains(plan, "AUTOMATIC") && strings.Contains(plan, "violation_type") || strings.Contains(plan, "SCAN a") {
			t.Errorf("a facet write reads every act: %s", plan)
		}
	}
}

// TestFacetCodes checks that every value of each enumeration the per-act
// rows hold as a code has one, and no code stands for two values.
func TestFacetCodes(t *testing.T) {
	checkCodes(t, "violation", ViolationTypes, violationCodes)
	checkCodes(t, "age group", AgeGroups, ageCodes)
	checkCodes(t, "status", Statuses, statusCodes)
}

func checkCodes[V ~string](t *testing.T, kind string, values []V, codes map[V]int64) {
	t.Helper()
	if len(codes) != len(values) {
		t.Errorf("%d %s codes for %d values", len(codes), kind, len(values))
	}
	seen := map[int64]V{}
	for _, v := range values {
		c, ok := codes[v]
		switch {
		case !ok:
			t.Errorf("%s %q has no code", kind, v)
		case c <= 0:
			t.Errorf("%s %q has code %d; codes start at 1", kind, v, c)
		case seen[c] != "":
			t.Errorf("%s code %d stands for both %q and %q", kind, c, seen[c], v)
		}
		seen[c] = v
	}
}
