// Package survivor keeps the survivor behind a pseudonymous victim code: what
// identifies them, sealed; what they consented to, use by use; how they wish
// to be approached; their interviews and testimony, sealed and searchable
// through a blind index; who read any sealed field, when and why; and the
// crypto-shredding that erases them.
//
// The record itself (incidents and their acts) names victims only by code
// (incident.Victim.Code, "SYN-0042" in the demo data). A survivor record with
// the same code is where that code meets a person, so it is built to leak
// nothing: sealed values are encrypted with the survivor's own data key
// (internal/seal) before they reach the database, never appear in an error,
// a log line or an export, and are read only through Store.Reveal and
// Store.RevealTestimony, which check who is asking (Access) and record the
// read, with its stated purpose, in the audit log in the same transaction.
//
// Consent is recorded per use (documentation, legal proceedings, sharing
// with the UN, anonymised statistics, advocacy, media); Allowed answers for
// downstream code whether a victim code may be used for a purpose. The
// documentation safeguards of the WHO's eight recommendations, the Murad Code
// and the International Protocol are checked before an interview can be
// completed (Checklist). docs/survivors.md is the user's guide.
package survivor

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
)

// Kind is the survivor record in the revision history and the audit log.
const Kind record.Kind = "survivor"

// Field is a sealed field: what identifies a survivor, or their testimony.
type Field string

const (
	Name      Field = "name"
	Contact   Field = "contact"
	Residence Field = "residence"
	Details   Field = "identifying_details"
	Testimony Field = "testimony"
)

// IdentityFields are the survivor's sealed identity fields, in the order
// forms show them.
var IdentityFields = []Field{Name, Contact, Residence, Details}

// maxSealed bounds a sealed identity value, in characters; testimony is
// bounded by maxTestimony.
const (
	maxSealed    = 5000
	maxTestimony = 500_000
)

// Identity holds a survivor's sealed identity in plaintext, on its way to
// being sealed or just opened. It never reaches the database, a log or an
// error message in this form.
type Identity struct {
	Name               string `json:"name,omitempty"`
	Contact            string `json:"contact,omitempty"`
	Residence          string `json:"residence,omitempty"`
	IdentifyingDetails string `json:"identifying_details,omitempty"`
}

// Get returns one field's value.
func (id Identity) Get(f Field) string {
	switch f {
	case Name:
		return id.Name
	case Contact:
		return id.Contact
	case Residence:
		return id.Residence
	case Details:
		return id.IdentifyingDetails
	}
	return ""
}

func (id *Identity) set(f Field, v string) {
	switch f {
	case Name:
		id.Name = v
	case Contact:
		id.Contact = v
	case Residence:
		id.Residence = v
	case Details:
		id.IdentifyingDetails = v
	}
}

// Empty reports whether no field holds a value.
func (id Identity) Empty() bool {
	for _, f := range IdentityFields {
		if strings.TrimSpace(id.Get(f)) != "" {
			return false
		}
	}
	return true
}

// IdentityChange says which sealed fields an edit replaces: a nil field is
// kept as it is, an empty one is removed.
type IdentityChange map[Field]*string

// Set replaces a field's value in the change.
func (c IdentityChange) Set(f Field, v string) { c[f] = &v }

// Survivor is the non-identifying part of a survivor's record, with which of
// their sealed fields hold a value — never the values.
type Survivor struct {
	record.Meta
	// Code is the pseudonym acts use for the survivor (incident.Victim.Code).
	Code string `json:"code"`
	// Sex and AgeGroup are as at the time of the acts.
	Sex      incident.Sex      `json:"sex"`
	AgeGroup incident.AgeGroup `json:"age_group"`
	// ChildAtInterview: under 18 when interviewed, which calls for the
	// safeguards for children (WHO recommendation 8).
	ChildAtInterview bool `json:"child_at_interview"`
	// Synthetic marks a made-up survivor (demo and training data).
	Synthetic   bool        `json:"synthetic"`
	Preferences Preferences `json:"preferences"`
	// Sealed lists the identity fields that hold a sealed value.
	Sealed []Field `json:"sealed"`
	// ErasedAt is set once the survivor's data key was destroyed: every
	// sealed value is gone for good.
	ErasedAt *time.Time    `json:"erased_at,omitempty"`
	Erasure  ErasureReason `json:"erasure_reason,omitempty"`
}

// Erased reports whether the survivor's sealed data was crypto-shredded.
func (s *Survivor) Erased() bool { return s.ErasedAt != nil }

// Has reports whether a sealed identity field holds a value.
func (s *Survivor) Has(f Field) bool { return slices.Contains(s.Sealed, f) }

// InterviewerSex is the sex of interviewer a survivor asks for.
type InterviewerSex string

const (
	NoPreference      InterviewerSex = "no_preference"
	FemaleInterviewer InterviewerSex = "female"
	MaleInterviewer   InterviewerSex = "male"
)

var InterviewerSexes = []InterviewerSex{NoPreference, FemaleInterviewer, MaleInterviewer}

// Contact is who a survivor agrees may contact them: roles, never names.
type ContactRole string

const (
	ByDocumenter          ContactRole = "documenting_organisation"
	ByProtectionAdviser   ContactRole = "protection_adviser"
	ByLegalRepresentative ContactRole = "legal_representative"
	ByCareProvider        ContactRole = "care_provider"
	ByUNMonitor           ContactRole = "un_monitor"
)

var ContactRoles = []ContactRole{ByDocumenter, ByProtectionAdviser, ByLegalRepresentative, ByCareProvider, ByUNMonitor}

// Channel is how a survivor agrees to be contacted.
type Channel string

const (
	InPerson     Channel = "in_person"
	Phone        Channel = "phone"
	TextMessage  Channel = "text_message"
	Intermediary Channel = "through_intermediary"
)

var Channels = []Channel{InPerson, Phone, TextMessage, Intermediary}

// Preferences are how a survivor wishes to be approached. They are shown
// before any interview, and the interviewer's sex and the language are
// checked against them (Checklist).
type Preferences struct {
	InterviewerSex InterviewerSex `json:"interviewer_sex"`
	// Languages they wish to speak, as BCP 47 tags, preferred first.
	Languages  []string      `json:"languages"`
	ContactBy  []ContactRole `json:"contact_by"`
	ContactHow []Channel     `json:"contact_how"`
	// NoContact: they do not wish to be contacted again at all.
	NoContact bool `json:"no_contact"`
}

// ErasureReason is why a survivor's sealed data was destroyed.
type ErasureReason string

const (
	// FullWithdrawal: the survivor withdrew consent entirely; every use
	// they had consented to is withdrawn too.
	FullWithdrawal ErasureReason = "withdrawal"
	// ErasureRequest: the survivor asked for their identity and testimony
	// to be erased; consents to other uses stand as recorded.
	ErasureRequest ErasureReason = "erasure_request"
)

var ErasureReasons = []ErasureReason{FullWithdrawal, ErasureRequest}

// codePattern admits pseudonymous codes such as SYN-0042 or DRC/2024-117:
// letters, digits and - _ . /, with at least one digit, so that a name typed
// into the code field is refused.
var (
	codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$`)
	hasDigit    = regexp.MustCompile(`[0-9]`)
	langPattern = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
)

// ValidCode reports whether s has the form of a pseudonymous code.
func ValidCode(s string) bool { return codePattern.MatchString(s) && hasDigit.MatchString(s) }

// Normalize fills defaults and tidies what was typed.
func (s *Survivor) Normalize() {
	s.Code = strings.TrimSpace(s.Code)
	if s.Sex == "" {
		s.Sex = incident.UnknownSex
	}
	if s.AgeGroup == "" {
		s.AgeGroup = incident.UnknownAge
	}
	s.Preferences.normalize()
	if s.Sealed == nil {
		s.Sealed = []Field{}
	}
}

func (p *Preferences) normalize() {
	if p.InterviewerSex == "" {
		p.InterviewerSex = NoPreference
	}
	langs := make([]string, 0, len(p.Languages))
	for _, l := range p.Languages {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(langs, l) {
			langs = append(langs, l)
		}
	}
	p.Languages = langs
	p.ContactBy = compact(p.ContactBy)
	p.ContactHow = compact(p.ContactHow)
}

// compact drops blanks and repeats, keeping the order given.
func compact[T ~string](in []T) []T {
	out := make([]T, 0, len(in))
	for _, v := range in {
		v = T(strings.TrimSpace(string(v)))
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Validate reports every problem, naming each field.
func (s *Survivor) Validate() error {
	var errs record.Errors
	switch {
	case s.Code == "":
		errs.Add("code", "required", "is required")
	case !ValidCode(s.Code):
		errs.Add("code", "invalid_code", "must be a pseudonymous code of letters, digits and - _ . / with at least one digit (such as SYN-0042), never a name")
	}
	record.OneOf(&errs, "sex", s.Sex, incident.Sexes)
	record.OneOf(&errs, "age_group", s.AgeGroup, incident.AgeGroups)
	if s.ChildAtInterview && s.AgeGroup == incident.Adult {
		errs.Add("child_at_interview", "child_but_adult", "a survivor who was an adult at the time of the acts cannot be a child at the interview")
	}
	errs = append(errs, s.Preferences.validate()...)
	return errs.Err()
}

func (p Preferences) validate() record.Errors {
	var errs record.Errors
	record.OneOf(&errs, "preferences.interviewer_sex", p.InterviewerSex, InterviewerSexes)
	if len(p.Languages) > 10 {
		errs.Add("preferences.languages", "too_many", "at most 10 languages")
	}
	for i, l := range p.Languages {
		if !langPattern.MatchString(l) {
			errs.Add("preferences.languages["+strconv.Itoa(i)+"]", "invalid_language", "must be a language tag such as ar, fr or en-GB")
		}
	}
	for i, c := range p.ContactBy {
		record.OneOf(&errs, "preferences.contact_by["+strconv.Itoa(i)+"]", c, ContactRoles)
	}
	for i, c := range p.ContactHow {
		record.OneOf(&errs, "preferences.contact_how["+strconv.Itoa(i)+"]", c, Channels)
	}
	if p.NoContact && (len(p.ContactBy) > 0 || len(p.ContactHow) > 0) {
		errs.Add("preferences.no_contact", "contradiction", "a survivor who wishes no contact has no one who may contact them and no way to")
	}
	return errs
}

// validateIdentity checks plaintext values without ever quoting them.
func validateIdentity(id Identity) record.Errors {
	var errs record.Errors
	for _, f := range IdentityFields {
		errs.MaxLength("identity."+string(f), id.Get(f), maxSealed)
	}
	return errs
}
