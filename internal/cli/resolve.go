package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
)

// People name situations, parties and sources as they know them; the
// command line accepts an ID or an exact name wherever it needs a record.
// A lookup that finds nothing returns db.ErrNotFound.

func findSituation(ctx context.Context, a *app.App, ref string) (*situation.Situation, error) {
	if record.ValidID(ref) {
		if s, err := a.Situations.Get(ctx, ref); !errors.Is(err, db.ErrNotFound) {
			return s, err
		}
	}
	return a.Situations.FindByName(ctx, ref)
}

// findParty matches an ID, or a party's name, abbreviation or any of its
// other names and aliases.
func findParty(ctx context.Context, a *app.App, ref string) (*party.Party, error) {
	if record.ValidID(ref) {
		if p, err := a.Parties.Get(ctx, ref); !errors.Is(err, db.ErrNotFound) {
			return p, err
		}
	}
	return a.Parties.FindByName(ctx, ref)
}

// findSource matches an ID, a document symbol (S/2024/292) or an exact title.
func findSource(ctx context.Context, a *app.App, ref string) (*source.Source, error) {
	if record.ValidID(ref) {
		if s, err := a.Sources.Get(ctx, ref); !errors.Is(err, db.ErrNotFound) {
			return s, err
		}
	}
	all, err := a.Sources.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range all {
		if s.DocumentSymbol != "" && s.DocumentSymbol == ref {
			return &s, nil
		}
	}
	for _, s := range all {
		if s.Title == ref {
			return &s, nil
		}
	}
	return nil, db.ErrNotFound
}

// missing says that no record answers to ref.
func missing(noun, ref string) string {
	if noun == "source" {
		return fmt.Sprintf("no source has the ID, document symbol or title %q", ref)
	}
	return fmt.Sprintf("no %s has the name or ID %q", noun, ref)
}

// Lookups for reading: a missing record is "not found" (exit 4).

func situationArg(ctx context.Context, a *app.App, ref string) (*situation.Situation, error) {
	s, err := findSituation(ctx, a, ref)
	if errors.Is(err, db.ErrNotFound) {
		return nil, notFoundf("%s (see 'dossier situation list')", missing("situation", ref))
	}
	return s, err
}

func partyArg(ctx context.Context, a *app.App, ref string) (*party.Party, error) {
	p, err := findParty(ctx, a, ref)
	if errors.Is(err, db.ErrNotFound) {
		return nil, notFoundf("%s (see 'dossier party list')", missing("party", ref))
	}
	return p, err
}

func sourceArg(ctx context.Context, a *app.App, ref string) (*source.Source, error) {
	s, err := findSource(ctx, a, ref)
	if errors.Is(err, db.ErrNotFound) {
		return nil, notFoundf("%s (see 'dossier source list')", missing("source", ref))
	}
	return s, err
}

// references resolves the references a record being written makes, and
// collects those that name nothing as field errors (exit 3), so that every
// problem is reported at once.
type references struct {
	ctx  context.Context
	app  *app.App
	errs record.Errors
	err  error // a failure to look up at all
}

func (r *references) situation(field, ref string) string {
	if ref == "" || r.err != nil {
		return ref
	}
	s, err := findSituation(r.ctx, r.app, ref)
	return r.resolved(field, ref, "situation", err, func() string { return s.ID })
}

// caseOf resolves a case by ID or exact name.
func (r *references) caseOf(field, ref string) string {
	if ref == "" || r.err != nil {
		return ref
	}
	c, err := r.app.Accounts.Case(r.ctx, ref)
	return r.resolved(field, ref, "case", err, func() string { return c.ID })
}

func (r *references) party(field, ref string) string {
	if ref == "" || r.err != nil {
		return ref
	}
	p, err := findParty(r.ctx, r.app, ref)
	return r.resolved(field, ref, "party", err, func() string { return p.ID })
}

func (r *references) source(field, ref string) string {
	if ref == "" || r.err != nil {
		return ref
	}
	s, err := findSource(r.ctx, r.app, ref)
	return r.resolved(field, ref, "source", err, func() string { return s.ID })
}

func (r *references) resolved(field, ref, noun string, err error, id func() string) string {
	switch {
	case errors.Is(err, db.ErrNotFound):
		r.errs.Add(field, "not_found", "%s", missing(noun, ref))
		return ref
	case err != nil:
		r.err = fmt.Errorf("look up %s %q: %w", noun, ref, err)
		return ref
	}
	return id()
}

// done returns the lookup failure, or the references that named nothing.
func (r *references) done() error {
	if r.err != nil {
		return r.err
	}
	return r.errs.Err()
}
