package evidence

import (
	"context"
	"errors"
	"fmt"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
)

// Need-to-know (record.RestrictToCases): an item is reached through the
// incidents it bears on. A context restricted to cases reaches an item
// linked to an incident of one of them, directly or through one of its
// acts; an item linked to no incident is reached only by an unrestricted
// context (the command line), as an incident of no case is.

// scopeCondition is the SQL condition on evidence_items.id keeping the
// items ctx reaches; ok is false for an unrestricted context.
func scopeCondition(ctx context.Context, arg func(any) string) (string, bool) {
	cases, ok := incident.CaseCondition(ctx, "i.case_id", arg)
	if !ok {
		return "", false
	}
	return `id IN (SELECT l.evidence_id FROM evidence_links l JOIN incidents i ON i.id = l.target_id
		WHERE l.target_kind = 'incident' AND ` + cases + `
		UNION SELECT l.evidence_id FROM evidence_links l JOIN acts a ON a.id = l.target_id
		JOIN incidents i ON i.id = a.incident_id WHERE l.target_kind = 'act' AND ` + cases + `)`, true
}

// reachable reports whether ctx reaches the item with this ID.
func reachable(ctx context.Context, q db.Querier, id string) (bool, error) {
	args := []any{id}
	cond, ok := scopeCondition(ctx, func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) })
	if !ok {
		return true, nil
	}
	var n int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM evidence_items WHERE id = $1 AND `+cond, args...).Scan(&n); err != nil {
		return false, fmt.Errorf("check the cases of evidence item %s: %w", id, err)
	}
	return n > 0, nil
}

// checkLinksInScope refuses, for a context restricted to cases, links to
// incidents or acts outside them — as if they did not exist, so that the
// answer does not tell — and an item linked to none of them, which its
// author could not reach once stored.
func checkLinksInScope(ctx context.Context, q db.Querier, it *Item) (record.Errors, error) {
	if _, restricted := record.CaseScope(ctx); !restricted {
		return nil, nil
	}
	var errs record.Errors
	for i, l := range it.Links {
		if !record.ValidID(l.ID) {
			continue // Validate reports it
		}
		var caseID string
		var err error
		switch l.Kind {
		case LinkIncident:
			caseID, err = incident.CaseOf(ctx, q, l.ID)
		case LinkAct:
			_, caseID, err = incident.CaseOfAct(ctx, q, l.ID)
		default:
			continue // Validate reports it
		}
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			return nil, err
		}
		if err == nil && !record.CaseAllowed(ctx, caseID) {
			errs.Add(fmt.Sprintf("links[%d].id", i), "not_found", "no %s has ID %s", l.Kind, l.ID)
		}
	}
	if len(it.Links) == 0 {
		errs.Add("links", "required", "link the item to an incident (or an act) of one of the cases you work on")
	}
	return errs, nil
}
