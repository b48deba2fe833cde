// Package demo loads Dossier's demo record set: real situations, parties,
// sources and incidents drawn from published UN, EU, NGO and court documents
// on conflict-related sexual violence, so that a new installation has
// something true to explore. Every finding is stored as a claim by its
// source, with the source's own certainty wording, and attributed exactly as
// specifically as the source attributes it.
//
// Victims are the exception: no source in the set identifies a victim, and
// none may. Individual victims are synthetic stand-ins with codes SYN-0001,
// SYN-0002 … that carry only what the source says (sex, age group, status);
// counted groups carry the source's own figures. Every incident says so in
// its summary (VictimNotice).
//
// An incident's status reflects verification by the sources: "verified"
// where the UN counts the cases as UN-verified, or where a UN finding at
// "reasonable grounds to believe" or higher is corroborated by an
// independent source; "under_review" for a single finding, a sanctions
// determination, a notice for listing or allegations. docs/demo-data.md says
// which part of the domain reference each record comes from.
package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
)

// ErrNotEmpty is returned when the record already holds data: the demo set is
// for a fresh installation and never mixes with real work.
var ErrNotEmpty = errors.New("the record is not empty; the demo record set loads only into an empty Dossier")

// Actor is who the revision history names for every demo record.
const Actor = "demo"

// SyntheticPrefix starts every demo victim code.
const SyntheticPrefix = "SYN-"

// VictimNotice ends every demo incident's summary.
const VictimNotice = "Demo data: victim details in this record are synthetic. Victim codes (SYN-…) stand for no real person; " +
	"a victim's sex, age group and status are filled in only where the source states them, and counted groups carry the source's own figures."

// syntheticAct is the sentence every act with a synthetic victim carries.
const syntheticAct = "Synthetic demo victim standing in for people the source describes without identifying or counting them."

// Summary counts what Load stored.
type Summary struct {
	Cases            int `json:"cases"`
	Situations       int `json:"situations"`
	Parties          int `json:"parties"`
	Sources          int `json:"sources"`
	Incidents        int `json:"incidents"`
	Acts             int `json:"acts"`
	InformationLinks int `json:"information_links"`
}

// Load stores the demo record set in an empty Dossier, in one transaction:
// either all of it is stored or none.
func Load(ctx context.Context, a *app.App) (Summary, error) {
	empty, err := a.Empty(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("check that the record is empty: %w", err)
	}
	if !empty {
		return Summary{}, ErrNotEmpty
	}
	s := build()
	ctx = record.WithActor(ctx, Actor)
	// Cases are the account store's: they are made first, in its own
	// transactions, so that the incidents can name them.
	caseIDs, err := s.createCases(ctx, a)
	if err != nil {
		return Summary{}, err
	}
	for _, x := range s.incidents {
		x.CaseID = caseIDs[s.caseOf[x]]
	}
	err = a.DB.Write(ctx, func(tx *db.Tx) error {
		for _, x := range s.situations {
			if err := situation.Insert(ctx, tx, x); err != nil {
				return fmt.Errorf("demo situation %q: %w", x.Name, err)
			}
		}
		for _, x := range s.parties {
			if err := party.Insert(ctx, tx, x); err != nil {
				return fmt.Errorf("demo party %q: %w", x.Name, err)
			}
		}
		for _, x := range s.sources {
			if err := source.Insert(ctx, tx, x); err != nil {
				return fmt.Errorf("demo source %q: %w", x.Title, err)
			}
		}
		for _, x := range s.incidents {
			if err := incident.Insert(ctx, tx, x); err != nil {
				return fmt.Errorf("demo incident %q: %w", x.Title, err)
			}
		}
		return nil
	})
	if err != nil {
		return Summary{}, err
	}
	return s.summary(), nil
}

// set is the demo record set under construction. Records get their IDs when
// they are added, so later records can refer to earlier ones by ID.
type set struct {
	situations []*situation.Situation
	parties    []*party.Party
	sources    []*source.Source
	incidents  []*incident.Incident
	victims    int // the last synthetic victim number handed out
	// caseOf names the case each incident belongs to (cases.go).
	caseOf map[*incident.Incident]string
}

func (s *set) situation(x situation.Situation) *situation.Situation {
	x.ID = record.NewID()
	s.situations = append(s.situations, &x)
	return &x
}

func (s *set) party(x party.Party) *party.Party {
	x.ID = record.NewID()
	s.parties = append(s.parties, &x)
	return &x
}

func (s *set) source(x source.Source) *source.Source {
	x.ID = record.NewID()
	s.sources = append(s.sources, &x)
	return &x
}

// incident adds an incident, ending its summary with VictimNotice.
func (s *set) incident(x incident.Incident) *incident.Incident {
	x.ID = record.NewID()
	x.Summary = strings.TrimSpace(x.Summary) + "\n\n" + VictimNotice
	s.incidents = append(s.incidents, &x)
	return &x
}

// synthetic returns a new made-up victim. Pass only what the source states;
// the rest stays unknown.
func (s *set) synthetic(sex incident.Sex, age incident.AgeGroup, status incident.VictimStatus) incident.Victim {
	s.victims++
	return incident.Victim{Code: fmt.Sprintf("%s%04d", SyntheticPrefix, s.victims), Sex: sex, AgeGroup: age, Status: status, Count: 1}
}

// group is a counted group of victims with a figure the source gives.
func group(n int, sex incident.Sex, age incident.AgeGroup, status incident.VictimStatus) incident.Victim {
	return incident.Victim{Sex: sex, AgeGroup: age, Status: status, Count: n}
}

// act builds an act with an ID of its own, so information links can name it.
// An act against a synthetic victim says so in its description.
func act(v incident.ViolationType, victim incident.Victim, description string, tags []string, perpetrators ...incident.Perpetrator) incident.Act {
	if victim.Code != "" {
		description = strings.TrimSpace(description + " " + syntheticAct)
	}
	return incident.Act{ID: record.NewID(), ViolationType: v, Tags: tags, Victim: victim,
		Perpetrators: perpetrators, Description: description}
}

// by attributes an act to a party, saying on what ground.
func by(p *party.Party, description string) incident.Perpetrator {
	return incident.Perpetrator{PartyID: p.ID, Description: description}
}

// unidentified records a perpetrator the source does not attribute to a party.
func unidentified(description string) incident.Perpetrator {
	return incident.Perpetrator{Description: description}
}

// link says that src informs the incident (or, with act, one of its acts).
func link(src *source.Source, a *incident.Act, c source.Connection, r source.Reliability, reference, notes string) incident.InformationLink {
	l := incident.InformationLink{ID: record.NewID(), SourceID: src.ID, Connection: c, Reliability: r,
		Reference: reference, Notes: notes}
	if a != nil {
		l.ActID = a.ID
	}
	return l
}

func (s *set) summary() Summary {
	sum := Summary{Cases: len(Cases), Situations: len(s.situations), Parties: len(s.parties), Sources: len(s.sources),
		Incidents: len(s.incidents)}
	for _, in := range s.incidents {
		sum.Acts += len(in.Acts)
		sum.InformationLinks += len(in.Information)
	}
	return sum
}

// build assembles the whole demo record set.
func build() *set {
	s := &set{}
	sits := s.addSituations()
	ps := s.addParties()
	srcs := s.addSources()
	s.addOctober7(sits, ps, srcs)
	october7 := slices.Clone(s.incidents)
	s.addOtherSituations(sits, ps, srcs)
	s.assignCases(sits, october7)
	return s
}

func coord(v float64) *float64 { return &v }
