// Package situation holds the contexts Dossier's record is organised by: a
// country or conflict such as "Sudan" or "Israel and the State of Palestine",
// with what decides whether its parties can be listed in the annex of the
// Secretary-General's report — whether it is on the Security Council's agenda
// and how the conflict is classified.
package situation

import (
	"strings"

	"github.com/dossier-org/dossier/internal/record"
)

// ConflictClass is the legal classification of the armed conflict.
type ConflictClass string

const (
	International    ConflictClass = "IAC"
	NonInternational ConflictClass = "NIAC"
	Occupation       ConflictClass = "occupation" // treated as international
	NoArmedConflict  ConflictClass = "none"
	Unclassified     ConflictClass = "unknown"
)

var ConflictClasses = []ConflictClass{International, NonInternational, Occupation, NoArmedConflict, Unclassified}

// Setting is how the annual report groups the situation.
type Setting string

const (
	ConflictSetting     Setting = "conflict"
	PostConflictSetting Setting = "post_conflict"
	OtherConcern        Setting = "other_concern"
)

var Settings = []Setting{ConflictSetting, PostConflictSetting, OtherConcern}

// Situation is one country or context.
type Situation struct {
	record.Meta
	Name          string        `json:"name"`
	CountryCode   string        `json:"country_code,omitempty"` // ISO 3166-1 alpha-2, empty for a region
	OnAgenda      bool          `json:"on_security_council_agenda"`
	ConflictClass ConflictClass `json:"conflict_class"`
	Setting       Setting       `json:"setting"`
	Description   string        `json:"description,omitempty"`
}

// Normalize trims text and fills defaults before validation.
func (s *Situation) Normalize() {
	s.Name = strings.TrimSpace(s.Name)
	s.CountryCode = strings.ToUpper(strings.TrimSpace(s.CountryCode))
	s.Description = strings.TrimSpace(s.Description)
	if s.ConflictClass == "" {
		s.ConflictClass = Unclassified
	}
	if s.Setting == "" {
		s.Setting = ConflictSetting
	}
}

// Validate reports every problem with the situation.
func (s *Situation) Validate() error {
	var errs record.Errors
	errs.Required("name", s.Name)
	errs.MaxLength("name", s.Name, 200)
	if s.CountryCode != "" && (len(s.CountryCode) != 2 || strings.ToUpper(s.CountryCode) != s.CountryCode) {
		errs.Add("country_code", "invalid_country", "%q is not a two-letter ISO 3166 code", s.CountryCode)
	}
	record.OneOf(&errs, "conflict_class", s.ConflictClass, ConflictClasses)
	record.OneOf(&errs, "setting", s.Setting, Settings)
	errs.MaxLength("description", s.Description, 20000)
	return errs.Err()
}

// Listable reports whether parties in the situation can be listed in the
// annex: SCR 1960 limits the annex to situations on the Council's agenda.
func (s *Situation) Listable() bool { return s.OnAgenda }
