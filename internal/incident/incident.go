// Package incident holds the core of the record: an incident (an event, in
// the HURIDOCS model) at a place and a date with their uncertainty, and its
// acts — one violation against one victim or a counted group of victims,
// attributed to perpetrators. Links to sources say who told what.
package incident

import (
	"math"
	"strconv"
	"strings"

	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/source"
)

// Context is the setting in which the incident took place.
type Context string

const (
	DuringAttack   Context = "during_attack"
	Captivity      Context = "captivity"
	Detention      Context = "detention"
	Checkpoint     Context = "checkpoint"
	Camp           Context = "camp"
	HouseSearch    Context = "house_search"
	Displacement   Context = "flight_or_displacement"
	PeaceOperation Context = "peace_operation" // involving personnel of a peace operation
	OtherContext   Context = "other"
	UnknownContext Context = "unknown"
)

var Contexts = []Context{DuringAttack, Captivity, Detention, Checkpoint, Camp, HouseSearch, Displacement,
	PeaceOperation, OtherContext, UnknownContext}

// Status is how far the incident has been monitored (HURIDOCS 172).
type Status string

const (
	Draft       Status = "draft"
	UnderReview Status = "under_review"
	Verified    Status = "verified"
)

var Statuses = []Status{Draft, UnderReview, Verified}

// LocationPrecision says how exactly the coordinates place the incident.
type LocationPrecision string

const (
	ExactLocation  LocationPrecision = "exact"
	NearLocation   LocationPrecision = "near"
	Locality       LocationPrecision = "locality"
	AdminArea      LocationPrecision = "admin_area"
	CountryOnly    LocationPrecision = "country"
	NoLocationInfo LocationPrecision = ""
)

var LocationPrecisions = []LocationPrecision{ExactLocation, NearLocation, Locality, AdminArea, CountryOnly, NoLocationInfo}

// Place is where the incident happened. Coordinates are optional; when
// given, Precision says how far to trust them.
type Place struct {
	Name      string            `json:"name,omitempty"`
	AdminArea string            `json:"admin_area,omitempty"`
	Country   string            `json:"country,omitempty"` // ISO 3166-1 alpha-2
	Latitude  *float64          `json:"latitude,omitempty"`
	Longitude *float64          `json:"longitude,omitempty"`
	Precision LocationPrecision `json:"precision,omitempty"`
}

// Incident is one event and its acts.
type Incident struct {
	record.Meta
	Title       string `json:"title"`
	Summary     string `json:"summary,omitempty"`
	SituationID string `json:"situation_id,omitempty"`
	// CaseID is the case (investigation) the incident belongs to: only its
	// members reach the incident and what hangs off it. Empty for an
	// incident of no case, which only the command line reaches.
	CaseID      string            `json:"case_id,omitempty"`
	Place       Place             `json:"place"`
	Date        record.Date       `json:"date"`
	Context     Context           `json:"context"`
	Status      Status            `json:"status"`
	Acts        []Act             `json:"acts"`
	Information []InformationLink `json:"information,omitempty"`
}

// InformationLink says that a source provided information on the incident
// (or one of its acts), how it is connected to it, and how reliable it is.
type InformationLink struct {
	ID          string             `json:"id,omitempty"`
	SourceID    string             `json:"source_id"`
	ActID       string             `json:"act_id,omitempty"`
	Connection  source.Connection  `json:"connection"`
	Reliability source.Reliability `json:"reliability"`
	Reference   string             `json:"reference,omitempty"` // page, paragraph or timestamp in the source
	Notes       string             `json:"notes,omitempty"`
}

// Normalize trims text and fills defaults throughout the incident.
func (in *Incident) Normalize() {
	in.Title = strings.TrimSpace(in.Title)
	in.Summary = strings.TrimSpace(in.Summary)
	in.SituationID = strings.TrimSpace(in.SituationID)
	in.CaseID = strings.TrimSpace(in.CaseID)
	in.Place.Name = strings.TrimSpace(in.Place.Name)
	in.Place.AdminArea = strings.TrimSpace(in.Place.AdminArea)
	in.Place.Country = strings.ToUpper(strings.TrimSpace(in.Place.Country))
	in.Date = in.Date.Normalize()
	if in.Context == "" {
		in.Context = UnknownContext
	}
	if in.Status == "" {
		in.Status = Draft
	}
	if in.Acts == nil {
		in.Acts = []Act{}
	}
	for i := range in.Acts {
		in.Acts[i].normalize()
	}
	for i := range in.Information {
		l := &in.Information[i]
		l.Reference = strings.TrimSpace(l.Reference)
		l.Notes = strings.TrimSpace(l.Notes)
		if l.Connection == "" {
			l.Connection = source.UnknownConnection
		}
		if l.Reliability == "" {
			l.Reliability = source.UnknownReliability
		}
	}
}

// Validate reports every problem with the incident, its acts and its links,
// naming each field by its path (acts[1].victim.age_group).
func (in *Incident) Validate() error {
	var errs record.Errors
	errs.Required("title", in.Title)
	errs.MaxLength("title", in.Title, 300)
	errs.MaxLength("summary", in.Summary, 50000)
	if in.SituationID != "" && !record.ValidID(in.SituationID) {
		errs.Add("situation_id", "invalid_id", "%q is not a record ID", in.SituationID)
	}
	if in.CaseID != "" && !record.ValidID(in.CaseID) {
		errs.Add("case_id", "invalid_id", "%q is not a case ID", in.CaseID)
	}
	errs = append(errs, in.Place.validate()...)
	errs = append(errs, in.Date.Validate("date.")...)
	record.OneOf(&errs, "context", in.Context, Contexts)
	record.OneOf(&errs, "status", in.Status, Statuses)
	if in.Status == Verified && len(in.Acts) == 0 {
		errs.Add("status", "verified_without_acts", "an incident cannot be verified before at least one act is recorded")
	}
	actIDs := map[string]bool{}
	for i := range in.Acts {
		errs = append(errs, in.Acts[i].validate().Prefixed("acts["+strconv.Itoa(i)+"].")...)
		if id := in.Acts[i].ID; id != "" {
			if actIDs[id] {
				errs.Add("acts["+strconv.Itoa(i)+"].id", "duplicate", "is used by another act")
			}
			actIDs[id] = true
		}
	}
	for i, l := range in.Information {
		p := "information[" + strconv.Itoa(i) + "]."
		if !record.ValidID(l.SourceID) {
			errs.Add(p+"source_id", "required", "must name a source")
		}
		if l.ActID != "" && !actIDs[l.ActID] {
			errs.Add(p+"act_id", "not_found", "names no act of this incident")
		}
		record.OneOf(&errs, p+"connection", l.Connection, source.Connections)
		record.OneOf(&errs, p+"reliability", l.Reliability, source.Reliabilities)
		errs.MaxLength(p+"reference", l.Reference, 500)
		errs.MaxLength(p+"notes", l.Notes, 5000)
	}
	return errs.Err()
}

func (p Place) validate() record.Errors {
	var errs record.Errors
	errs.MaxLength("place.name", p.Name, 300)
	errs.MaxLength("place.admin_area", p.AdminArea, 300)
	if p.Country != "" && len(p.Country) != 2 {
		errs.Add("place.country", "invalid_country", "%q is not a two-letter ISO 3166 code", p.Country)
	}
	if (p.Latitude == nil) != (p.Longitude == nil) {
		errs.Add("place.latitude", "coordinates_incomplete", "give both latitude and longitude, or neither")
	}
	if p.Latitude != nil && (math.IsNaN(*p.Latitude) || *p.Latitude < -90 || *p.Latitude > 90) {
		errs.Add("place.latitude", "out_of_range", "must be between -90 and 90")
	}
	if p.Longitude != nil && (math.IsNaN(*p.Longitude) || *p.Longitude < -180 || *p.Longitude > 180) {
		errs.Add("place.longitude", "out_of_range", "must be between -180 and 180")
	}
	record.OneOf(&errs, "place.precision", p.Precision, LocationPrecisions)
	if p.Latitude != nil && p.Precision == NoLocationInfo {
		errs.Add("place.precision", "required", "say how precise the coordinates are")
	}
	return errs
}

// ViolationTypes lists the distinct violation types among the acts.
func (in *Incident) ViolationTypes() []ViolationType {
	var out []ViolationType
	seen := map[ViolationType]bool{}
	for _, a := range in.Acts {
		if !seen[a.ViolationType] {
			seen[a.ViolationType] = true
			out = append(out, a.ViolationType)
		}
	}
	return out
}

// VictimCount adds up the victims of every act.
func (in *Incident) VictimCount() int {
	n := 0
	for _, a := range in.Acts {
		n += a.Victim.Count
	}
	return n
}
