package survivor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// Need-to-know reaches survivors through their acts: a person working on a
// case reaches the survivors whose code an act of that case's incidents
// bears, and no other. A survivor no act of one's cases names is out of
// reach and answers as if it did not exist, like an incident of another
// case. A context without a case scope (the operator's, on the data
// directory) reaches every survivor.

// reachable reports whether ctx reaches the survivor with this code.
func reachable(ctx context.Context, q db.Querier, code string) (bool, error) {
	cases, restricted := record.CaseScope(ctx)
	if !restricted {
		return true, nil
	}
	if len(cases) == 0 || code == "" {
		return false, nil
	}
	args := []any{code}
	for _, c := range cases {
		args = append(args, c)
	}
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM acts a JOIN incidents i ON i.id = a.incident_id
		WHERE a.victim_code = $1 AND i.case_id IN (`+db.Placeholders(2, len(cases))+`) LIMIT 1`, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check the survivor's cases: %w", err)
	}
	return true, nil
}

// reachableCodes lists the victim codes ctx reaches; all is true for an
// unrestricted context.
func reachableCodes(ctx context.Context, q db.Querier) (codes map[string]bool, all bool, err error) {
	cases, restricted := record.CaseScope(ctx)
	if !restricted {
		return nil, true, nil
	}
	codes = map[string]bool{}
	if len(cases) == 0 {
		return codes, false, nil
	}
	args := make([]any, len(cases))
	for i, c := range cases {
		args[i] = c
	}
	rows, err := q.Query(ctx, `SELECT DISTINCT a.victim_code FROM acts a JOIN incidents i ON i.id = a.incident_id
		WHERE a.victim_code <> '' AND i.case_id IN (`+db.Placeholders(1, len(cases))+`)`, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list the survivors of the cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, false, err
		}
		codes[c] = true
	}
	return codes, false, rows.Err()
}
