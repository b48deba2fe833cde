// Package source holds who provided information: a report, a witness, a
// media item, an open-source post. Incidents link to sources through
// information links that say how the source is connected to what it told.
// Dossier stores claims by sources, never bare facts.
package source

import (
	"strings"

	"github.com/dossier-org/dossier/internal/record"
)

// Kind is what the source is.
type Kind string

const (
	UNReport          Kind = "un_report"
	NGOReport         Kind = "ngo_report"
	SanctionsDecision Kind = "sanctions_decision"
	Indictment        Kind = "indictment"
	CourtJudgment     Kind = "court_judgment"
	GovernmentReport  Kind = "government_report"
	OfficialStatement Kind = "official_statement"
	MediaReport       Kind = "media_report"
	OpenSourcePost    Kind = "open_source_post"
	PerpetratorMedia  Kind = "perpetrator_media"
	Survivor          Kind = "survivor"
	Witness           Kind = "witness"
	MedicalProvider   Kind = "medical_provider"
	OtherSource       Kind = "other"
)

var Kinds = []Kind{UNReport, NGOReport, SanctionsDecision, Indictment, CourtJudgment, GovernmentReport,
	OfficialStatement, MediaReport, OpenSourcePost, PerpetratorMedia, Survivor, Witness, MedicalProvider, OtherSource}

// Reliability is how far the source or the piece of information can be
// relied on (after HURIDOCS micro-thesaurus 42).
type Reliability string

const (
	High               Reliability = "high"
	Medium             Reliability = "medium"
	Low                Reliability = "low"
	UnknownReliability Reliability = "unknown"
)

var Reliabilities = []Reliability{High, Medium, Low, UnknownReliability}

// Connection is how the source came to know what it reports (after HURIDOCS
// micro-thesaurus 19).
type Connection string

const (
	DirectVictim      Connection = "direct_victim"
	Eyewitness        Connection = "eyewitness"
	Hearsay           Connection = "hearsay"
	PerpetratorOwn    Connection = "perpetrator_own_media"
	Documentary       Connection = "documentary"
	ForensicAnalysis  Connection = "forensic_or_expert_analysis"
	InvestigationBody Connection = "investigation_finding"
	UnknownConnection Connection = "unknown"
)

var Connections = []Connection{DirectVictim, Eyewitness, Hearsay, PerpetratorOwn, Documentary, ForensicAnalysis,
	InvestigationBody, UnknownConnection}

// Source is one provider of information.
type Source struct {
	record.Meta
	Kind           Kind        `json:"kind"`
	Title          string      `json:"title"`
	Organisation   string      `json:"organisation,omitempty"`
	URL            string      `json:"url,omitempty"`
	DocumentSymbol string      `json:"document_symbol,omitempty"` // e.g. S/2025/389: reports are named by symbol, never a loose year
	PublishedOn    string      `json:"published_on,omitempty"`    // YYYY-MM-DD
	Language       string      `json:"language,omitempty"`
	Reliability    Reliability `json:"reliability"`
	Description    string      `json:"description,omitempty"`
}

// Normalize trims text and fills defaults.
func (s *Source) Normalize() {
	s.Title = strings.TrimSpace(s.Title)
	s.Organisation = strings.TrimSpace(s.Organisation)
	s.URL = strings.TrimSpace(s.URL)
	s.DocumentSymbol = strings.TrimSpace(s.DocumentSymbol)
	s.PublishedOn = strings.TrimSpace(s.PublishedOn)
	s.Language = strings.TrimSpace(s.Language)
	s.Description = strings.TrimSpace(s.Description)
	if s.Reliability == "" {
		s.Reliability = UnknownReliability
	}
}

// Validate reports every problem with the source.
func (s *Source) Validate() error {
	var errs record.Errors
	record.OneOf(&errs, "kind", s.Kind, Kinds)
	errs.Required("title", s.Title)
	errs.MaxLength("title", s.Title, 500)
	errs.MaxLength("organisation", s.Organisation, 300)
	if s.URL != "" && !strings.HasPrefix(s.URL, "https://") && !strings.HasPrefix(s.URL, "http://") {
		errs.Add("url", "invalid_url", "must start with https:// or http://")
	}
	if s.PublishedOn != "" {
		if _, err := record.ParseDay(s.PublishedOn); err != nil {
			errs.Add("published_on", "invalid_date", "%q is not a date (YYYY-MM-DD)", s.PublishedOn)
		}
	}
	record.OneOf(&errs, "reliability", s.Reliability, Reliabilities)
	errs.MaxLength("description", s.Description, 20000)
	return errs.Err()
}
