package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
)

// The demo's cases: the investigations its incidents belong to, one per
// situation, with 7 October 2023 apart from the rest of its situation, as
// an organisation documenting it would keep it. Need-to-know follows them:
// a demo user sees the incidents of their cases only (users.go).
const (
	CaseOctober7   = "7 October 2023"
	CaseDetention  = "Detention in Israel 2024"
	CaseSudan      = "Sudan 2022"
	CaseDRC        = "DRC 2024"
	CaseUkraine    = "Ukraine 2024"
	CaseSEA        = "SEA allegations 2024"
	caseDescriptor = "Demo case: the investigation the demo's incidents of this name belong to."
)

// Cases lists the demo's cases.
var Cases = []string{CaseOctober7, CaseDetention, CaseSudan, CaseDRC, CaseUkraine, CaseSEA}

// assignCases files every incident in a case: those of 7 October apart,
// the others by situation (the SEA allegations have none).
func (s *set) assignCases(sits situations, october7 []*incident.Incident) {
	bySituation := map[string]string{
		sits.israelPalestine.ID: CaseDetention,
		sits.sudan.ID:           CaseSudan,
		sits.drc.ID:             CaseDRC,
		sits.ukraine.ID:         CaseUkraine,
		"":                      CaseSEA,
	}
	s.caseOf = map[*incident.Incident]string{}
	for _, in := range october7 {
		s.caseOf[in] = CaseOctober7
	}
	for _, in := range s.incidents {
		if _, ok := s.caseOf[in]; ok {
			continue
		}
		name, ok := bySituation[in.SituationID]
		if !ok {
			panic(fmt.Sprintf("demo incident %q has a situation no demo case covers", in.Title))
		}
		s.caseOf[in] = name
	}
}

// createCases makes the demo's cases (keeping any that exist by name) and
// returns their IDs by name.
func (s *set) createCases(ctx context.Context, a *app.App) (map[string]string, error) {
	ids := map[string]string{}
	for _, name := range Cases {
		c, err := a.Accounts.Case(ctx, name)
		if errors.Is(err, db.ErrNotFound) {
			c, err = a.Accounts.CreateCase(ctx, name, caseDescriptor)
		}
		if err != nil {
			return nil, fmt.Errorf("demo case %q: %w", name, err)
		}
		ids[name] = c.ID
	}
	return ids, nil
}
