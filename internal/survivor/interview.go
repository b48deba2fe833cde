package survivor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
)

// InterviewKind is an interview in the revision history and the audit log.
const InterviewKind record.Kind = "interview"

// Status is how far an interview has gone.
type Status string

const (
	Draft    Status = "draft"    // planned or being written up
	Complete Status = "complete" // held, every mandatory safeguard met
)

var Statuses = []Status{Draft, Complete}

// Interview is one interview of a survivor: its logistics in clear, its
// testimony sealed (HasTestimony says whether there is one).
type Interview struct {
	record.Meta
	SurvivorID string `json:"survivor_id"`
	// HeldOn is the day of the interview (YYYY-MM-DD).
	HeldOn         string       `json:"held_on"`
	Interviewer    string       `json:"interviewer"`
	InterviewerSex incident.Sex `json:"interviewer_sex"`
	Interpreter    string       `json:"interpreter"`
	// Language is the language the survivor spoke (a BCP 47 tag).
	Language string `json:"language"`
	// Place says what kind of place, never an address: "partner clinic,
	// Adré", "mobile team".
	Place string `json:"place"`
	// Child: the survivor was under 18 at the interview.
	Child bool `json:"child"`
	// Safeguards are the safeguards the interviewer confirms are in place.
	Safeguards []Safeguard `json:"safeguards"`
	// FurtherReason is why a further interview of the same survivor is
	// needed; required for every interview after the first.
	FurtherReason string `json:"further_reason"`
	Status        Status `json:"status"`
	HasTestimony  bool   `json:"has_testimony"`
}

func (iv *Interview) normalize() {
	iv.HeldOn = strings.TrimSpace(iv.HeldOn)
	iv.Interviewer = strings.TrimSpace(iv.Interviewer)
	iv.Interpreter = strings.TrimSpace(iv.Interpreter)
	iv.Language = strings.TrimSpace(iv.Language)
	iv.Place = strings.TrimSpace(iv.Place)
	iv.FurtherReason = strings.TrimSpace(iv.FurtherReason)
	if iv.InterviewerSex == "" {
		iv.InterviewerSex = incident.UnknownSex
	}
	if iv.Status == "" {
		iv.Status = Draft
	}
	iv.Safeguards = compact(iv.Safeguards)
	slices.SortFunc(iv.Safeguards, func(a, b Safeguard) int { return safeguardOrder(a) - safeguardOrder(b) })
}

func (iv *Interview) validate(today string) record.Errors {
	var errs record.Errors
	errs.Required("held_on", iv.HeldOn)
	if iv.HeldOn != "" {
		if _, err := record.ParseDay(iv.HeldOn); err != nil {
			errs.Add("held_on", "invalid_date", "must be a date (YYYY-MM-DD)")
		} else if iv.HeldOn > today {
			// A planned interview is a draft dated the day it is planned for.
			if iv.Status == Complete {
				errs.Add("held_on", "in_future", "is in the future: an interview not yet held cannot be complete")
			}
		}
	}
	errs.Required("interviewer", iv.Interviewer)
	errs.MaxLength("interviewer", iv.Interviewer, 200)
	record.OneOf(&errs, "interviewer_sex", iv.InterviewerSex, incident.Sexes)
	errs.MaxLength("interpreter", iv.Interpreter, 200)
	errs.Required("language", iv.Language)
	if iv.Language != "" && !langPattern.MatchString(iv.Language) {
		errs.Add("language", "invalid_language", "must be a language tag such as ar, fr or en-GB")
	}
	errs.MaxLength("place", iv.Place, 300)
	errs.MaxLength("further_reason", iv.FurtherReason, 2000)
	record.OneOf(&errs, "status", iv.Status, Statuses)
	for i, s := range iv.Safeguards {
		if safeguardOrder(s) < 0 || ruleOf(s).automatic {
			errs.Add(fmt.Sprintf("safeguards[%d]", i), "not_allowed", "is not a safeguard an interviewer confirms")
		}
	}
	return errs
}

// Safeguard is one documentation safeguard of the checklist.
type Safeguard string

const (
	BenefitsOutweighRisks   Safeguard = "benefits_outweigh_risks"
	LeastRiskMethod         Safeguard = "least_risk_method"
	CareAvailable           Safeguard = "care_available"
	ReferralOffered         Safeguard = "referral_offered"
	SafePrivatePlace        Safeguard = "safe_private_place"
	Confidentiality         Safeguard = "confidentiality"
	InformedConsent         Safeguard = "informed_consent"
	InterviewerTrained      Safeguard = "interviewer_trained"
	PreferencesHonoured     Safeguard = "preferences_honoured"
	FurtherInterview        Safeguard = "further_interview_justified"
	GuardianOrBestInterest  Safeguard = "guardian_or_best_interest"
	ChildAssent             Safeguard = "child_assent"
	ChildTrainedInterviewer Safeguard = "child_trained_interviewer"
)

// rule is one line of the checklist: where it comes from, what it asks,
// and when it binds.
type rule struct {
	safeguard Safeguard
	source    string // the standard and item it comes from
	text      string // what must be true, in English
	mandatory bool   // an interview cannot be completed without it
	children  bool   // applies only when the survivor is a child
	automatic bool   // derived from the record rather than confirmed
}

// rules is the checklist: REFERENCE.md §5 — the WHO's eight
// recommendations (2007), the Murad Code (2022) and the International
// Protocol (2017). Change a safeguard here and its table test.
var rules = []rule{
	{safeguard: BenefitsOutweighRisks, source: "WHO 1; Murad Code: add value or don't do it", mandatory: true,
		text: "The benefits of this interview to the survivor or to accountability outweigh its risks to them"},
	{safeguard: LeastRiskMethod, source: "WHO 2",
		text: "The information is gathered in the way that carries the least risk to the survivor"},
	{safeguard: CareAvailable, source: "WHO 3", mandatory: true,
		text: "Basic care and support for survivors is available locally before the interview"},
	{safeguard: ReferralOffered, source: "International Protocol: referrals", mandatory: true,
		text: "The survivor was offered referral to medical, psychosocial and legal services"},
	{safeguard: SafePrivatePlace, source: "WHO 4", mandatory: true,
		text: "The interview takes place in a safe and private place, and the safety of everyone involved is monitored"},
	{safeguard: Confidentiality, source: "WHO 5; International Protocol: confidentiality", mandatory: true,
		text: "The survivor was told how what they say is kept confidential and who may see it"},
	{safeguard: InformedConsent, source: "WHO 6; International Protocol: informed consent", mandatory: true, automatic: true,
		text: "Informed consent to documentation is recorded"},
	{safeguard: InterviewerTrained, source: "WHO 7", mandatory: true,
		text: "The interviewer was selected with care and trained to interview survivors of sexual violence"},
	{safeguard: PreferencesHonoured, source: "Murad Code: survivors as individuals", mandatory: true, automatic: true,
		text: "The survivor's preferences for the interviewer's sex and the language are honoured"},
	{safeguard: FurtherInterview, source: "Murad Code: no re-interviewing without need", mandatory: true, automatic: true,
		text: "A further interview of the same survivor states why it is needed"},
	{safeguard: GuardianOrBestInterest, source: "WHO 8", mandatory: true, children: true,
		text: "A parent or guardian consented, or a best-interest assessment was made"},
	{safeguard: ChildAssent, source: "WHO 8", mandatory: true, children: true,
		text: "The child assented in words suited to their age"},
	{safeguard: ChildTrainedInterviewer, source: "WHO 8", mandatory: true, children: true,
		text: "The interviewer is trained to interview children"},
}

// Safeguards lists every safeguard, in checklist order.
var Safeguards = func() []Safeguard {
	out := make([]Safeguard, len(rules))
	for i, r := range rules {
		out[i] = r.safeguard
	}
	return out
}()

// Confirmable lists the safeguards an interviewer confirms (the others
// are derived from the record).
var Confirmable = func() []Safeguard {
	var out []Safeguard
	for _, r := range rules {
		if !r.automatic {
			out = append(out, r.safeguard)
		}
	}
	return out
}()

func safeguardOrder(s Safeguard) int {
	for i, r := range rules {
		if r.safeguard == s {
			return i
		}
	}
	return -1
}

func ruleOf(s Safeguard) rule {
	if i := safeguardOrder(s); i >= 0 {
		return rules[i]
	}
	return rule{}
}

// Check is one safeguard as it stands for an interview.
type Check struct {
	Safeguard Safeguard `json:"safeguard"`
	Source    string    `json:"source"`
	Text      string    `json:"text"`
	Mandatory bool      `json:"mandatory"`
	// Automatic: derived from the record (consent, preferences, earlier
	// interviews) rather than confirmed by the interviewer.
	Automatic bool `json:"automatic"`
	Met       bool `json:"met"`
	// Reason says why the safeguard is not met, in English; Problems say
	// the same for interfaces that speak other languages.
	Reason   string    `json:"reason,omitempty"`
	Problems []Problem `json:"problems,omitempty"`
}

// Problem is one reason a safeguard is not met: a stable code and the
// values its sentence names.
type Problem struct {
	Code string            `json:"code"`
	Args map[string]string `json:"args,omitempty"`
}

// Problem codes.
const (
	NotConfirmed          = "not_confirmed"           // the interviewer has not confirmed it
	NoConsent             = "no_consent"              // nothing recorded for documentation
	ConsentRefused        = "consent_refused"         // args: on
	ConsentWithdrawn      = "consent_withdrawn"       // args: on
	ConsentAfter          = "consent_after_interview" // args: on, held_on
	WrongInterviewerSex   = "interviewer_sex"         // args: asked, recorded
	UnpreferredLanguage   = "language"                // args: asked, language
	AskedNoContact        = "no_contact"              // the survivor asked not to be contacted
	FurtherReasonRequired = "further_reason"          // args: count, earlier
)

// Blocks reports whether the check keeps the interview from completion.
func (c Check) Blocks() bool { return c.Mandatory && !c.Met }

func (c *Check) fail(code, english string, args map[string]string) {
	c.Met = false
	c.Problems = append(c.Problems, Problem{Code: code, Args: args})
	if c.Reason != "" {
		c.Reason += "; "
	}
	c.Reason += english
}

// situation is what the checklist is worked out from.
type situation struct {
	interview Interview
	survivor  Survivor
	consent   ConsentState // documentation
	earlier   []Interview  // the survivor's other interviews
}

// checklist works out every safeguard for an interview. Those for children
// are left out unless the survivor was a child at the interview.
func checklist(s situation) []Check {
	iv := s.interview
	var out []Check
	for _, r := range rules {
		if r.children && !iv.Child {
			continue
		}
		c := Check{Safeguard: r.safeguard, Source: r.source, Text: r.text, Mandatory: r.mandatory, Automatic: r.automatic, Met: true}
		switch r.safeguard {
		case InformedConsent:
			consentChecks(&c, s.consent, iv)
		case PreferencesHonoured:
			preferenceChecks(&c, s.survivor.Preferences, iv)
		case FurtherInterview:
			if len(s.earlier) > 0 && iv.FurtherReason == "" {
				c.fail(FurtherReasonRequired, fmt.Sprintf("the survivor was already interviewed %s (%s): state why a further interview is needed",
					times(len(s.earlier)), describeEarlier(s.earlier)),
					map[string]string{"count": fmt.Sprint(len(s.earlier)), "earlier": describeEarlier(s.earlier)})
			}
		default:
			if !slices.Contains(iv.Safeguards, r.safeguard) {
				c.fail(NotConfirmed, "not confirmed: "+lowerFirst(r.text), nil)
			}
		}
		out = append(out, c)
	}
	return out
}

func consentChecks(c *Check, consent ConsentState, iv Interview) {
	const next = ": record the survivor's informed consent to documentation first"
	switch consent.Decision {
	case Given:
		if iv.HeldOn != "" && consent.On > iv.HeldOn {
			c.fail(ConsentAfter, fmt.Sprintf("consent to documentation was given on %s, after the interview on %s: consent must come before",
				consent.On, iv.HeldOn), map[string]string{"on": consent.On, "held_on": iv.HeldOn})
		}
	case Refused:
		c.fail(ConsentRefused, consent.Reason()+next, map[string]string{"on": consent.On})
	case Withdrawn:
		c.fail(ConsentWithdrawn, consent.Reason()+next, map[string]string{"on": consent.On})
	default:
		c.fail(NoConsent, consent.Reason()+next, nil)
	}
}

func preferenceChecks(c *Check, p Preferences, iv Interview) {
	switch p.InterviewerSex {
	case FemaleInterviewer, MaleInterviewer:
		if string(iv.InterviewerSex) != string(p.InterviewerSex) {
			c.fail(WrongInterviewerSex, fmt.Sprintf("the survivor asked for a %s interviewer; this interviewer is recorded as %s",
				p.InterviewerSex, iv.InterviewerSex), map[string]string{"asked": string(p.InterviewerSex), "recorded": string(iv.InterviewerSex)})
		}
	}
	if len(p.Languages) > 0 && iv.Language != "" && !slices.ContainsFunc(p.Languages, func(l string) bool { return strings.EqualFold(l, iv.Language) }) {
		c.fail(UnpreferredLanguage, fmt.Sprintf("the survivor asked to speak %s; the interview is in %s",
			strings.Join(p.Languages, " or "), iv.Language), map[string]string{"asked": strings.Join(p.Languages, ", "), "language": iv.Language})
	}
	if p.NoContact {
		c.fail(AskedNoContact, "the survivor asked not to be contacted again", nil)
	}
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

func describeEarlier(earlier []Interview) string {
	parts := make([]string, 0, len(earlier))
	for _, e := range earlier {
		parts = append(parts, fmt.Sprintf("on %s by %s, %s", e.HeldOn, e.Interviewer, e.Status))
	}
	return strings.Join(parts, "; ")
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// unmet turns the checks that block completion into validation errors, one
// per safeguard, naming it.
func unmet(checks []Check) record.Errors {
	var errs record.Errors
	for _, c := range checks {
		if c.Blocks() {
			errs.Add("safeguards."+string(c.Safeguard), "safeguard_unmet", "%s", c.Reason)
		}
	}
	return errs
}
