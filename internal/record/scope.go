package record

import (
	"context"
	"slices"
)

// Need-to-know: records belong to cases, and a request made for a person
// reaches only the records of the cases that person works on. The server
// puts the scope in every authenticated request's context; the stores of
// case-bound records (incidents, and what hangs off them) read it. A
// context without a scope is the operator's, working directly on the data
// directory, who can read the database anyway: it reaches everything.

type scopeKey struct{}

// caseScope is the set of cases a context may reach.
type caseScope struct{ cases []string }

// RestrictToCases returns ctx reaching only the records of the given cases
// (none at all when ids is empty). Records that belong to no case are then
// out of reach too.
func RestrictToCases(ctx context.Context, ids []string) context.Context {
	return context.WithValue(ctx, scopeKey{}, caseScope{cases: slices.Clone(ids)})
}

// CaseScope returns the cases ctx is restricted to; restricted is false for
// an unrestricted context, which reaches every record.
func CaseScope(ctx context.Context) (ids []string, restricted bool) {
	s, ok := ctx.Value(scopeKey{}).(caseScope)
	if !ok {
		return nil, false
	}
	return slices.Clone(s.cases), true
}

type defaultCaseKey struct{}

// WithDefaultCase returns ctx filing the new records it writes that name no
// case in the case given: an import says once which case its rows are for.
func WithDefaultCase(ctx context.Context, caseID string) context.Context {
	return context.WithValue(ctx, defaultCaseKey{}, caseID)
}

// DefaultCase is the case WithDefaultCase gave ctx, if any.
func DefaultCase(ctx context.Context) string {
	id, _ := ctx.Value(defaultCaseKey{}).(string)
	return id
}

// CaseAllowed reports whether ctx reaches a record of the case ("" for a
// record that belongs to no case, which only an unrestricted context reaches).
func CaseAllowed(ctx context.Context, caseID string) bool {
	s, ok := ctx.Value(scopeKey{}).(caseScope)
	if !ok {
		return true
	}
	return caseID != "" && slices.Contains(s.cases, caseID)
}

// unrestricted marks a context whose case scope was lifted on purpose.
type unrestricted struct{}

// WithoutCaseScope returns ctx reaching every record whatever its cases. It
// is for the few reads that span cases by their nature — an auditor's review
// of who read sealed fields — never for reading records' contents.
func WithoutCaseScope(ctx context.Context) context.Context {
	return context.WithValue(ctx, scopeKey{}, unrestricted{})
}
