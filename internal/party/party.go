// Package party holds the State and non-State parties that acts are
// attributed to, and their units: the Nukhba force sits under the Qassam
// Brigades, which sit under Hamas, so that an act attributed to a unit also
// counts for the organisation it belongs to.
package party

import (
	"strconv"
	"strings"

	"github.com/dossier-org/dossier/internal/record"
)

// Type is what kind of party it is. The annex groups parties as State or
// non-State actors; Category derives that from the type.
type Type string

const (
	StateArmedForces       Type = "state_armed_forces"
	StatePolice            Type = "state_police"
	StateSecurity          Type = "state_security_or_intelligence"
	StateAffiliatedMilitia Type = "state_affiliated_militia"
	NonStateArmedGroup     Type = "non_state_armed_group"
	TerroristDesignated    Type = "terrorist_designated_group"
	CriminalGang           Type = "criminal_gang"
	PrivateMilitary        Type = "private_military_security_company"
	UNContingent           Type = "un_peacekeeping_contingent"
	NonUNForce             Type = "non_un_force_sc_mandated"
	// CivilianIndividuals groups unaffiliated people acting on their own, as
	// in "hundreds of Palestinians in civilian clothing". It is not a party
	// in the annex's sense but acts must be attributable to it.
	CivilianIndividuals Type = "civilian_individuals"
)

var Types = []Type{StateArmedForces, StatePolice, StateSecurity, StateAffiliatedMilitia, NonStateArmedGroup,
	TerroristDesignated, CriminalGang, PrivateMilitary, UNContingent, NonUNForce, CivilianIndividuals}

// Category is the annex's heading for a party.
type Category string

const (
	State    Category = "state"
	NonState Category = "non_state"
	Other    Category = "other"
)

// Category tells whether the party is a State or a non-State actor.
func (t Type) Category() Category {
	switch t {
	case StateArmedForces, StatePolice, StateSecurity, StateAffiliatedMilitia:
		return State
	case NonStateArmedGroup, TerroristDesignated, CriminalGang, PrivateMilitary:
		return NonState
	}
	return Other
}

// Name is the party's name in one language, or one of its aliases.
type Name struct {
	Lang  string `json:"lang"` // BCP 47 tag: en, ar, he, fr …
	Text  string `json:"name"`
	Alias bool   `json:"alias,omitempty"`
}

// Party is one State or non-State party, or a unit of one.
type Party struct {
	record.Meta
	Name         string `json:"name"` // the name Dossier displays; English by convention
	Abbreviation string `json:"abbreviation,omitempty"`
	Type         Type   `json:"type"`
	ParentID     string `json:"parent_id,omitempty"`
	CountryCode  string `json:"country_code,omitempty"`
	Description  string `json:"description,omitempty"`
	Names        []Name `json:"names,omitempty"` // names in other languages, and aliases
}

// Normalize trims text before validation.
func (p *Party) Normalize() {
	p.Name = strings.TrimSpace(p.Name)
	p.Abbreviation = strings.TrimSpace(p.Abbreviation)
	p.CountryCode = strings.ToUpper(strings.TrimSpace(p.CountryCode))
	p.Description = strings.TrimSpace(p.Description)
	p.ParentID = strings.TrimSpace(p.ParentID)
	names := p.Names[:0]
	for _, n := range p.Names {
		n.Lang = strings.TrimSpace(n.Lang)
		n.Text = strings.TrimSpace(n.Text)
		if n.Text != "" || n.Lang != "" {
			names = append(names, n)
		}
	}
	p.Names = names
}

// Validate reports every problem with the party itself; whether its parent
// exists and forms no cycle is checked by the store.
func (p *Party) Validate() error {
	var errs record.Errors
	errs.Required("name", p.Name)
	errs.MaxLength("name", p.Name, 300)
	errs.MaxLength("abbreviation", p.Abbreviation, 40)
	record.OneOf(&errs, "type", p.Type, Types)
	if p.ParentID != "" && !record.ValidID(p.ParentID) {
		errs.Add("parent_id", "invalid_id", "%q is not a record ID", p.ParentID)
	}
	if p.ParentID != "" && p.ParentID == p.ID {
		errs.Add("parent_id", "cycle", "a party cannot be its own unit")
	}
	if p.CountryCode != "" && len(p.CountryCode) != 2 {
		errs.Add("country_code", "invalid_country", "%q is not a two-letter ISO 3166 code", p.CountryCode)
	}
	errs.MaxLength("description", p.Description, 20000)
	for i, n := range p.Names {
		f := namesField(i)
		errs.Required(f+".name", n.Text)
		errs.MaxLength(f+".name", n.Text, 300)
		if !validLang(n.Lang) {
			errs.Add(f+".lang", "invalid_lang", "%q is not a language tag such as en, ar or he", n.Lang)
		}
	}
	return errs.Err()
}

func namesField(i int) string { return "names[" + strconv.Itoa(i) + "]" }

// validLang accepts simple BCP 47 tags: a 2–3 letter language and optional
// subtags (ar, he, fr, en-GB, zh-Hant).
func validLang(tag string) bool {
	parts := strings.Split(tag, "-")
	if len(parts[0]) < 2 || len(parts[0]) > 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 8 {
			return false
		}
		for _, r := range p {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}

// NameIn returns the party's name in lang if it has one, else its main name.
func (p *Party) NameIn(lang string) string {
	for _, n := range p.Names {
		if !n.Alias && n.Lang == lang {
			return n.Text
		}
	}
	return p.Name
}

// Aliases lists the names the party is also known by.
func (p *Party) Aliases() []Name {
	var out []Name
	for _, n := range p.Names {
		if n.Alias {
			out = append(out, n)
		}
	}
	return out
}
