package incident

import (
	"context"
	"fmt"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// VictimAct is an act against one victim, named by code, with the incident
// it belongs to: what a survivor's page lists.
type VictimAct struct {
	IncidentID    string        `json:"incident_id"`
	IncidentTitle string        `json:"incident_title"`
	Date          record.Date   `json:"date"`
	Status        Status        `json:"status"`
	ActID         string        `json:"act_id"`
	ViolationType ViolationType `json:"violation_type"`
}

// ActsOfVictim lists the acts whose victim has this pseudonymous code,
// oldest incident first.
func ActsOfVictim(ctx context.Context, q db.Querier, code string) ([]VictimAct, error) {
	out := []VictimAct{}
	if code == "" {
		return out, nil
	}
	// Only the acts of incidents in the asker's cases (record.RestrictToCases).
	args := []any{code}
	inCases := ""
	if c, ok := CaseCondition(ctx, "i.case_id", func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }); ok {
		inCases = " AND " + c
	}
	rows, err := q.Query(ctx, `SELECT i.id, i.title, i.date_start, i.date_end, i.date_precision, i.status, a.id, a.violation_type
		FROM acts a JOIN incidents i ON i.id = a.incident_id
		WHERE a.victim_code = $1`+inCases+` ORDER BY i.date_start, i.id, a.seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("read the acts of a victim: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v VictimAct
		if err := rows.Scan(&v.IncidentID, &v.IncidentTitle, &v.Date.Start, &v.Date.End, &v.Date.Precision, &v.Status,
			&v.ActID, &v.ViolationType); err != nil {
			return nil, fmt.Errorf("read the acts of a victim: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
