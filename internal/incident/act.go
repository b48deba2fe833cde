package incident

import (
	"slices"
	"strconv"
	"strings"

	"github.com/dossier-org/dossier/internal/record"
)

// ViolationType is the kind of act, from the UN's CRSV definition and the
// Rome Statute, with the sub-types the 2024–2025 findings use. A sub-type
// names its family, so a search for rape finds gang rape too.
type ViolationType string

const (
	Rape                    ViolationType = "rape"
	GangRape                ViolationType = "gang_rape"
	SexualSlavery           ViolationType = "sexual_slavery"
	ForcedProstitution      ViolationType = "forced_prostitution"
	ForcedPregnancy         ViolationType = "forced_pregnancy"
	ForcedAbortion          ViolationType = "forced_abortion"
	EnforcedSterilization   ViolationType = "enforced_sterilization"
	ForcedMarriage          ViolationType = "forced_marriage"
	Trafficking             ViolationType = "trafficking_for_sexual_purposes"
	SexualTorture           ViolationType = "sexual_torture"
	GenitalViolence         ViolationType = "genital_violence"
	ForcedNudity            ViolationType = "forced_nudity"
	SexualMutilation        ViolationType = "sexual_mutilation"
	SexualAssault           ViolationType = "sexual_assault"
	OtherComparableGravity  ViolationType = "other_sexual_violence"
	AttemptedRape           ViolationType = "attempted_rape"
	SexualViolenceOnCorpses ViolationType = "sexual_violence_against_corpse"
)

// ViolationTypes lists every type, families first.
var ViolationTypes = []ViolationType{Rape, GangRape, AttemptedRape, SexualSlavery, ForcedProstitution, ForcedPregnancy,
	ForcedAbortion, EnforcedSterilization, ForcedMarriage, Trafficking, SexualAssault, SexualTorture,
	GenitalViolence, ForcedNudity, SexualMutilation, SexualViolenceOnCorpses, OtherComparableGravity}

// families maps each sub-type to the type it is a form of.
var families = map[ViolationType]ViolationType{
	GangRape:                Rape,
	AttemptedRape:           Rape,
	SexualAssault:           OtherComparableGravity,
	SexualTorture:           OtherComparableGravity,
	GenitalViolence:         OtherComparableGravity,
	ForcedNudity:            OtherComparableGravity,
	SexualMutilation:        OtherComparableGravity,
	SexualViolenceOnCorpses: OtherComparableGravity,
}

// Family is the UN-definition type this type is a form of (itself for the
// types the definition names).
func (v ViolationType) Family() ViolationType {
	if f, ok := families[v]; ok {
		return f
	}
	return v
}

// WithForms returns v and every sub-type that is a form of it.
func (v ViolationType) WithForms() []ViolationType {
	out := []ViolationType{v}
	for sub, fam := range families {
		if fam == v {
			out = append(out, sub)
		}
	}
	slices.Sort(out[1:])
	return out
}

// Sex of the victim.
type Sex string

const (
	Female     Sex = "female"
	Male       Sex = "male"
	OtherSex   Sex = "other"
	UnknownSex Sex = "unknown"
)

var Sexes = []Sex{Female, Male, OtherSex, UnknownSex}

// AgeGroup is the victim's age at the time of the act. Child means under 18.
type AgeGroup string

const (
	Child      AgeGroup = "child"
	Adult      AgeGroup = "adult"
	UnknownAge AgeGroup = "unknown"
)

var AgeGroups = []AgeGroup{Child, Adult, UnknownAge}

// VictimStatus is the victim's situation at the time of the act or at its end
// (HURIDOCS 2123).
type VictimStatus string

const (
	AtLiberty       VictimStatus = "at_liberty"
	Hostage         VictimStatus = "hostage"
	ReleasedHostage VictimStatus = "released_hostage"
	Detainee        VictimStatus = "detainee"
	Deceased        VictimStatus = "deceased"
	Missing         VictimStatus = "missing"
	Displaced       VictimStatus = "displaced"
	UnknownStatus   VictimStatus = "unknown"
)

var VictimStatuses = []VictimStatus{AtLiberty, Hostage, ReleasedHostage, Detainee, Deceased, Missing, Displaced, UnknownStatus}

// Victim describes who suffered the act without identifying them: Code is a
// pseudonym. A survivor's identity, when recorded at all, is sealed apart
// from the record and reached only through the code.
type Victim struct {
	Code     string       `json:"code,omitempty"`
	Sex      Sex          `json:"sex"`
	AgeGroup AgeGroup     `json:"age_group"`
	Status   VictimStatus `json:"status"`
	Count    int          `json:"count"` // 1 for one person; more for a counted group
}

// Perpetrator is who committed the act: a party or one of its units, or
// unidentified (no party), with what is known of them.
type Perpetrator struct {
	PartyID     string `json:"party_id,omitempty"`
	Description string `json:"description,omitempty"`
}

// Unidentified reports whether no party is named.
func (p Perpetrator) Unidentified() bool { return p.PartyID == "" }

// Act is one violation against one victim or a counted group of victims.
type Act struct {
	ID            string        `json:"id,omitempty"`
	ViolationType ViolationType `json:"violation_type"`
	// Tags carry other vocabularies' terms for the same act (for example
	// "svac:rape" or a report's own wording), so sources can be mapped.
	Tags         []string      `json:"tags,omitempty"`
	Victim       Victim        `json:"victim"`
	Perpetrators []Perpetrator `json:"perpetrators"`
	Description  string        `json:"description,omitempty"`
}

func (a *Act) normalize() {
	a.Description = strings.TrimSpace(a.Description)
	a.Victim.Code = strings.TrimSpace(a.Victim.Code)
	if a.Victim.Sex == "" {
		a.Victim.Sex = UnknownSex
	}
	if a.Victim.AgeGroup == "" {
		a.Victim.AgeGroup = UnknownAge
	}
	if a.Victim.Status == "" {
		a.Victim.Status = UnknownStatus
	}
	if a.Victim.Count == 0 {
		a.Victim.Count = 1
	}
	tags := a.Tags[:0]
	for _, t := range a.Tags {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	a.Tags = tags
	if len(a.Tags) == 0 {
		a.Tags = nil
	}
	if a.Perpetrators == nil {
		a.Perpetrators = []Perpetrator{}
	}
	for i := range a.Perpetrators {
		a.Perpetrators[i].PartyID = strings.TrimSpace(a.Perpetrators[i].PartyID)
		a.Perpetrators[i].Description = strings.TrimSpace(a.Perpetrators[i].Description)
	}
}

func (a *Act) validate() record.Errors {
	var errs record.Errors
	if a.ID != "" && !record.ValidID(a.ID) {
		errs.Add("id", "invalid_id", "%q is not a record ID", a.ID)
	}
	record.OneOf(&errs, "violation_type", a.ViolationType, ViolationTypes)
	for i, t := range a.Tags {
		if len(t) > 100 || strings.ContainsAny(t, ",\n") {
			errs.Add("tags["+strconv.Itoa(i)+"]", "invalid_tag", "tags are at most 100 characters, without commas or line breaks")
		}
	}
	errs.MaxLength("victim.code", a.Victim.Code, 64)
	record.OneOf(&errs, "victim.sex", a.Victim.Sex, Sexes)
	record.OneOf(&errs, "victim.age_group", a.Victim.AgeGroup, AgeGroups)
	record.OneOf(&errs, "victim.status", a.Victim.Status, VictimStatuses)
	if a.Victim.Count < 1 || a.Victim.Count > 1_000_000 {
		errs.Add("victim.count", "out_of_range", "must be between 1 and 1000000")
	}
	if a.Victim.Count > 1 && a.Victim.Code != "" {
		errs.Add("victim.code", "code_for_group", "a pseudonymous code names one person; leave it empty for a counted group")
	}
	for i, p := range a.Perpetrators {
		f := "perpetrators[" + strconv.Itoa(i) + "]."
		if p.PartyID != "" && !record.ValidID(p.PartyID) {
			errs.Add(f+"party_id", "invalid_id", "%q is not a record ID", p.PartyID)
		}
		if p.PartyID == "" && p.Description == "" {
			errs.Add(f+"description", "required", "describe an unidentified perpetrator, or name a party")
		}
		errs.MaxLength(f+"description", p.Description, 2000)
	}
	errs.MaxLength("description", a.Description, 20000)
	return errs
}
