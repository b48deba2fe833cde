package survivor

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/record"
)

// Use is one use of a survivor's information, consented to or refused on
// its own: consent to documentation is not consent to the media.
type Use string

const (
	Documentation    Use = "documentation"     // recording their account at all
	LegalProceedings Use = "legal_proceedings" // use in investigations and trials
	UNSharing        Use = "un_sharing"        // sharing with the UN for monitoring and reporting (MARA)
	Statistics       Use = "statistics"        // counting them in anonymised statistics
	Advocacy         Use = "advocacy"          // use in advocacy, without identifying them
	Media            Use = "media"             // use with journalists
)

// Uses lists every use, in the order consent forms ask about them.
var Uses = []Use{Documentation, LegalProceedings, UNSharing, Statistics, Advocacy, Media}

// Decision is what a consent entry records.
type Decision string

const (
	Given     Decision = "given"
	Refused   Decision = "refused"
	Withdrawn Decision = "withdrawn" // consent given earlier, taken back
)

var Decisions = []Decision{Given, Refused, Withdrawn}

// AuditConsentKind is the kind of consent entries in the audit log.
const AuditConsentKind = "consent"

// Consent is one entry in a survivor's consent history. Entries are only
// ever added: withdrawing consent adds a Withdrawn entry, and the history
// keeps what was agreed before.
type Consent struct {
	ID         string   `json:"id"`
	SurvivorID string   `json:"survivor_id"`
	Use        Use      `json:"use"`
	Decision   Decision `json:"decision"`
	// On is the day the survivor decided (YYYY-MM-DD).
	On string `json:"on"`
	// Language is the language consent was explained in (a BCP 47 tag).
	Language string `json:"language"`
	// TakenBy is who explained the use and took the survivor's decision.
	TakenBy    string    `json:"taken_by"`
	RecordedAt time.Time `json:"recorded_at"`
	RecordedBy string    `json:"recorded_by"`
	AuditIndex uint64    `json:"audit_index"`
}

func (c *Consent) normalize() {
	c.Language = strings.TrimSpace(c.Language)
	c.TakenBy = strings.TrimSpace(c.TakenBy)
	c.On = strings.TrimSpace(c.On)
}

func (c *Consent) validate(today string) record.Errors {
	var errs record.Errors
	record.OneOf(&errs, "use", c.Use, Uses)
	record.OneOf(&errs, "decision", c.Decision, Decisions)
	errs.Required("on", c.On)
	if c.On != "" {
		if _, err := record.ParseDay(c.On); err != nil {
			errs.Add("on", "invalid_date", "must be a date (YYYY-MM-DD)")
		} else if c.On > today {
			errs.Add("on", "in_future", "is in the future")
		}
	}
	errs.Required("language", c.Language)
	if c.Language != "" && !langPattern.MatchString(c.Language) {
		errs.Add("language", "invalid_language", "must be a language tag such as ar, fr or en-GB")
	}
	errs.Required("taken_by", c.TakenBy)
	errs.MaxLength("taken_by", c.TakenBy, 200)
	return errs
}

// ConsentState is where consent to one use stands: the latest entry, by
// the day decided, then the order recorded.
type ConsentState struct {
	Use Use `json:"use"`
	// Decision is empty when nothing was ever recorded for the use.
	Decision Decision `json:"decision,omitempty"`
	On       string   `json:"on,omitempty"`
	Language string   `json:"language,omitempty"`
	TakenBy  string   `json:"taken_by,omitempty"`
}

// Allows reports whether the use is consented to now.
func (c ConsentState) Allows() bool { return c.Decision == Given }

// Reason says, in a sentence, why the use is or is not allowed.
func (c ConsentState) Reason() string {
	use := strings.ReplaceAll(string(c.Use), "_", " ")
	switch c.Decision {
	case Given:
		return fmt.Sprintf("consent to %s given on %s", use, c.On)
	case Refused:
		return fmt.Sprintf("consent to %s refused on %s", use, c.On)
	case Withdrawn:
		return fmt.Sprintf("consent to %s withdrawn on %s", use, c.On)
	}
	return fmt.Sprintf("no consent to %s recorded", use)
}

// currentConsent reduces a history (in recording order) to the standing
// decision for every use, in the order of Uses.
func currentConsent(history []Consent) []ConsentState {
	ordered := slices.Clone(history)
	// Stable: entries of the same day keep the order they were recorded in.
	slices.SortStableFunc(ordered, func(a, b Consent) int { return strings.Compare(a.On, b.On) })
	latest := map[Use]Consent{}
	for _, c := range ordered {
		latest[c.Use] = c
	}
	out := make([]ConsentState, len(Uses))
	for i, u := range Uses {
		out[i] = ConsentState{Use: u}
		if c, ok := latest[u]; ok {
			out[i] = ConsentState{Use: u, Decision: c.Decision, On: c.On, Language: c.Language, TakenBy: c.TakenBy}
		}
	}
	return out
}

func stateOf(states []ConsentState, u Use) ConsentState {
	for _, s := range states {
		if s.Use == u {
			return s
		}
	}
	return ConsentState{Use: u}
}

// Verdict answers whether a victim code may be used for a purpose, and why.
type Verdict struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
	// Known: a survivor record has the code. Without one no consent can
	// have been recorded, and the code is not allowed for any use.
	Known      bool   `json:"known"`
	SurvivorID string `json:"survivor_id,omitempty"`
	// Consent is where consent to the use stands (Known only).
	Consent ConsentState `json:"consent"`
}
