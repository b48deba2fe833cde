package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/source"
)

// incidentForm is the incident form's fields as typed. Input names are the
// record's field paths (acts[1].victim.age_group), so a validation error
// lands beside the input it is about.
type incidentForm struct {
	ID                                      string
	Version                                 int
	Title, Summary, SituationID             string
	CaseID                                  string
	PlaceName, PlaceAdminArea, PlaceCountry string
	Latitude, Longitude, LocationPrecision  string
	DatePrecision, DateStart, DateEnd       string
	Context, Status                         string
	Acts                                    []actForm
	Information                             []linkForm
}

type actForm struct {
	ID, ViolationType, Tags                             string
	VictimCode, VictimSex, VictimAgeGroup, VictimStatus string
	VictimCount, Description                            string
	Perpetrators                                        []perpetratorForm
}

type perpetratorForm struct{ PartyID, Description string }

type linkForm struct {
	ID, SourceID, ActID, Connection, Reliability, Reference, Notes string
}

// maxRows bounds the rows a submitted form may carry.
const maxRows = 2000

func newActForm() actForm {
	return actForm{ID: record.NewID(), ViolationType: string(incident.Rape), VictimSex: string(incident.UnknownSex),
		VictimAgeGroup: string(incident.UnknownAge), VictimStatus: string(incident.UnknownStatus), VictimCount: "1"}
}

func newLinkForm() linkForm {
	return linkForm{ID: record.NewID(), Connection: string(source.UnknownConnection), Reliability: string(source.UnknownReliability)}
}

func formFromIncident(in *incident.Incident) incidentForm {
	f := incidentForm{ID: in.ID, Version: in.Version, Title: in.Title, Summary: in.Summary, SituationID: in.SituationID,
		CaseID:    in.CaseID,
		PlaceName: in.Place.Name, PlaceAdminArea: in.Place.AdminArea, PlaceCountry: in.Place.Country,
		LocationPrecision: string(in.Place.Precision), DatePrecision: string(in.Date.Precision),
		DateStart: in.Date.Start, DateEnd: in.Date.End, Context: string(in.Context), Status: string(in.Status)}
	if in.Place.Latitude != nil {
		f.Latitude = strconv.FormatFloat(*in.Place.Latitude, 'f', -1, 64)
	}
	if in.Place.Longitude != nil {
		f.Longitude = strconv.FormatFloat(*in.Place.Longitude, 'f', -1, 64)
	}
	for _, a := range in.Acts {
		af := actForm{ID: a.ID, ViolationType: string(a.ViolationType), Tags: strings.Join(a.Tags, ", "),
			VictimCode: a.Victim.Code, VictimSex: string(a.Victim.Sex), VictimAgeGroup: string(a.Victim.AgeGroup),
			VictimStatus: string(a.Victim.Status), VictimCount: strconv.Itoa(a.Victim.Count), Description: a.Description}
		if af.ID == "" {
			af.ID = record.NewID()
		}
		for _, p := range a.Perpetrators {
			af.Perpetrators = append(af.Perpetrators, perpetratorForm{PartyID: p.PartyID, Description: p.Description})
		}
		f.Acts = append(f.Acts, af)
	}
	for _, l := range in.Information {
		lf := linkForm{ID: l.ID, SourceID: l.SourceID, ActID: l.ActID, Connection: string(l.Connection),
			Reliability: string(l.Reliability), Reference: l.Reference, Notes: l.Notes}
		if lf.ID == "" {
			lf.ID = record.NewID()
		}
		f.Information = append(f.Information, lf)
	}
	return f
}

func parseIncidentForm(v url.Values) incidentForm {
	f := incidentForm{Title: v.Get("title"), Summary: v.Get("summary"), SituationID: v.Get("situation_id"),
		CaseID:    v.Get("case_id"),
		PlaceName: v.Get("place.name"), PlaceAdminArea: v.Get("place.admin_area"), PlaceCountry: v.Get("place.country"),
		Latitude: strings.TrimSpace(v.Get("place.latitude")), Longitude: strings.TrimSpace(v.Get("place.longitude")),
		LocationPrecision: v.Get("place.precision"), DatePrecision: v.Get("date.precision"),
		DateStart: strings.TrimSpace(v.Get("date.start")), DateEnd: strings.TrimSpace(v.Get("date.end")),
		Context: v.Get("context"), Status: v.Get("status")}
	f.Version, _ = strconv.Atoi(v.Get("version"))
	for i := 0; i < maxRows; i++ {
		p := fmt.Sprintf("acts[%d].", i)
		if !v.Has(p + "id") {
			break
		}
		a := actForm{ID: v.Get(p + "id"), ViolationType: v.Get(p + "violation_type"), Tags: v.Get(p + "tags"),
			VictimCode: v.Get(p + "victim.code"), VictimSex: v.Get(p + "victim.sex"),
			VictimAgeGroup: v.Get(p + "victim.age_group"), VictimStatus: v.Get(p + "victim.status"),
			VictimCount: strings.TrimSpace(v.Get(p + "victim.count")), Description: v.Get(p + "description")}
		for j := 0; j < maxRows; j++ {
			pp := fmt.Sprintf("%sperpetrators[%d].", p, j)
			if !v.Has(pp + "party_id") {
				break
			}
			a.Perpetrators = append(a.Perpetrators, perpetratorForm{PartyID: v.Get(pp + "party_id"), Description: v.Get(pp + "description")})
		}
		f.Acts = append(f.Acts, a)
	}
	for i := 0; i < maxRows; i++ {
		p := fmt.Sprintf("information[%d].", i)
		if !v.Has(p + "id") {
			break
		}
		f.Information = append(f.Information, linkForm{ID: v.Get(p + "id"), SourceID: v.Get(p + "source_id"),
			ActID: v.Get(p + "act_id"), Connection: v.Get(p + "connection"), Reliability: v.Get(p + "reliability"),
			Reference: v.Get(p + "reference"), Notes: v.Get(p + "notes")})
	}
	return f
}

// incident builds the record from the form; numbers that do not parse are
// reported by field.
func (f incidentForm) incident() (*incident.Incident, record.Errors) {
	var errs record.Errors
	in := &incident.Incident{Meta: record.Meta{ID: f.ID, Version: f.Version}, Title: f.Title, Summary: f.Summary,
		SituationID: f.SituationID, CaseID: f.CaseID,
		Place: incident.Place{Name: f.PlaceName, AdminArea: f.PlaceAdminArea, Country: f.PlaceCountry,
			Precision: incident.LocationPrecision(f.LocationPrecision)},
		Date:    record.Date{Start: f.DateStart, End: f.DateEnd, Precision: record.DatePrecision(f.DatePrecision)},
		Context: incident.Context(f.Context), Status: incident.Status(f.Status), Acts: []incident.Act{}}
	in.Place.Latitude = parseCoordinate(&errs, "place.latitude", f.Latitude)
	in.Place.Longitude = parseCoordinate(&errs, "place.longitude", f.Longitude)
	// A day, month or year is one date: its end follows from its start
	// (a month may be typed 2023-10, a year 2023).
	switch in.Date.Precision {
	case record.DateDay, record.DateMonth, record.DateYear:
		in.Date.End = ""
	}
	for i, af := range f.Acts {
		a := incident.Act{ID: af.ID, ViolationType: incident.ViolationType(af.ViolationType),
			Victim: incident.Victim{Code: af.VictimCode, Sex: incident.Sex(af.VictimSex),
				AgeGroup: incident.AgeGroup(af.VictimAgeGroup), Status: incident.VictimStatus(af.VictimStatus)},
			Description: af.Description, Perpetrators: []incident.Perpetrator{}}
		for _, t := range strings.Split(af.Tags, ",") {
			if t = strings.TrimSpace(t); t != "" {
				a.Tags = append(a.Tags, t)
			}
		}
		if af.VictimCount != "" {
			n, err := strconv.Atoi(af.VictimCount)
			if err != nil {
				errs.Add(fmt.Sprintf("acts[%d].victim.count", i), "invalid_number", "%q is not a whole number", af.VictimCount)
			}
			a.Victim.Count = n
		}
		for _, p := range af.Perpetrators {
			a.Perpetrators = append(a.Perpetrators, incident.Perpetrator{PartyID: p.PartyID, Description: p.Description})
		}
		in.Acts = append(in.Acts, a)
	}
	for _, lf := range f.Information {
		in.Information = append(in.Information, incident.InformationLink{ID: lf.ID, SourceID: lf.SourceID, ActID: lf.ActID,
			Connection: source.Connection(lf.Connection), Reliability: source.Reliability(lf.Reliability),
			Reference: lf.Reference, Notes: lf.Notes})
	}
	return in, errs
}

func parseCoordinate(errs *record.Errors, field, s string) *float64 {
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
	if err != nil {
		errs.Add(field, "invalid_number", "%q is not a number", s)
		return nil
	}
	return &f
}

// apply performs a form button other than Save: adding or removing an act,
// a perpetrator or a source link. It reports false for an unknown button.
func (f *incidentForm) apply(op string) bool {
	name, arg, _ := strings.Cut(op, ":")
	var idx []int
	for _, s := range strings.Split(arg, ":") {
		if n, err := strconv.Atoi(s); err == nil {
			idx = append(idx, n)
		}
	}
	act := func() (int, bool) { return idxAt(idx, 0, len(f.Acts)) }
	switch name {
	case "add-act":
		f.Acts = append(f.Acts, newActForm())
	case "remove-act":
		i, ok := act()
		if !ok {
			return false
		}
		gone := f.Acts[i].ID
		f.Acts = append(f.Acts[:i], f.Acts[i+1:]...)
		for k := range f.Information {
			if f.Information[k].ActID == gone {
				f.Information[k].ActID = ""
			}
		}
	case "add-perpetrator":
		i, ok := act()
		if !ok {
			return false
		}
		f.Acts[i].Perpetrators = append(f.Acts[i].Perpetrators, perpetratorForm{})
	case "remove-perpetrator":
		i, ok := act()
		if !ok {
			return false
		}
		j, ok := idxAt(idx, 1, len(f.Acts[i].Perpetrators))
		if !ok {
			return false
		}
		ps := f.Acts[i].Perpetrators
		f.Acts[i].Perpetrators = append(ps[:j], ps[j+1:]...)
	case "add-information":
		f.Information = append(f.Information, newLinkForm())
	case "remove-information":
		k, ok := idxAt(idx, 0, len(f.Information))
		if !ok {
			return false
		}
		f.Information = append(f.Information[:k], f.Information[k+1:]...)
	default:
		return false
	}
	return true
}

func idxAt(idx []int, pos, n int) (int, bool) {
	if pos >= len(idx) || idx[pos] < 0 || idx[pos] >= n {
		return 0, false
	}
	return idx[pos], true
}

// dateErrors says one thing once about a date: a day, month or year has no
// end of its own to fault, and a missing start is asked for, not called
// malformed.
func dateErrors(d record.Date, errs record.Errors) record.Errors {
	single := d.Precision == record.DateDay || d.Precision == record.DateMonth || d.Precision == record.DateYear
	startBad := errs.For("date.start") != nil
	out := errs[:0:0]
	for _, e := range errs {
		switch {
		case e.Field == "date.end" && single && startBad:
			continue
		case e.Field == "date.start" && e.Code == "invalid_date" && strings.TrimSpace(d.Start) == "":
			e.Code, e.Message = "date_required", "give the date as far as it is known, or say it is unknown"
		}
		out = append(out, e)
	}
	return out
}

// incidentFieldOrder is the order of the form's inputs, so that the error
// summary lists problems from the top of the form down.
var incidentFieldOrder = []string{"title", "summary", "case_id", "situation_id", "context", "status",
	"date.precision", "date.start", "date.end", "place.name", "place.admin_area", "place.country",
	"place.latitude", "place.longitude", "place.precision", "acts", "acts.id", "acts.violation_type",
	"acts.victim.code", "acts.victim.count", "acts.victim.sex", "acts.victim.age_group", "acts.victim.status",
	"acts.tags", "acts.description", "acts.perpetrators", "acts.perpetrators.party_id", "acts.perpetrators.description",
	"information", "information.id", "information.source_id", "information.act_id", "information.connection",
	"information.reliability", "information.reference", "information.notes"}

// sortErrors orders errors as their inputs appear in a form: by field,
// then by act, perpetrator or link number.
func sortErrors(errs record.Errors, order []string) {
	// A prefix ranks with the first field under it: "place" with place.name.
	rank := map[string]int{}
	for i, f := range order {
		segs := strings.Split(f, ".")
		for n := 1; n <= len(segs); n++ {
			p := strings.Join(segs[:n], ".")
			if _, ok := rank[p]; !ok {
				rank[p] = i + 1
			}
		}
	}
	key := func(field string) []int {
		var norm []string
		var out []int
		for _, seg := range strings.Split(field, ".") {
			name, idx, indexed := splitIndex(seg)
			norm = append(norm, name)
			r, ok := rank[strings.Join(norm, ".")]
			if !ok {
				r = len(order) + 1
			}
			out = append(out, r)
			if indexed {
				out = append(out, idx)
			}
		}
		return out
	}
	slices.SortStableFunc(errs, func(a, b record.FieldError) int { return slices.Compare(key(a.Field), key(b.Field)) })
}

type incidentFormPage struct {
	base
	Form     incidentForm
	New      bool
	Action   string
	Errors   formErrors
	Conflict *conflictView

	SituationOps, PartyOps, SourceOps, ActOps []option
	// CaseOps are the cases the incident may be filed in: the user's own.
	CaseOps                                                       []option
	CaseRequired                                                  bool
	ViolationOps, SexOps, AgeOps, VictimStatusOps                 []option
	ContextOps, StatusOps, LocationPrecisionOps, DatePrecisionOps []option
	ConnectionOps, ReliabilityOps                                 []option
}

// conflictView tells someone whose save lost a race what the other person
// changed meanwhile.
type conflictView struct {
	Version int
	By      string
	At      string
	Changes []changeView
	URL     string
}

func (h *handler) incidentNew(w http.ResponseWriter, r *http.Request) {
	f := incidentForm{DatePrecision: string(record.DateDay), Context: string(incident.UnknownContext),
		Status: string(incident.Draft), Acts: []actForm{newActForm()}}
	if p, ok := account.PrincipalFrom(r.Context()); ok && len(p.Cases) == 1 {
		f.CaseID = p.Cases[0] // the only case the user may file it in
	}
	if s := r.URL.Query().Get("situation"); record.ValidID(s) {
		f.SituationID = s
	}
	h.incidentFormRender(w, r, http.StatusOK, f, formErrors{}, nil)
}

func (h *handler) incidentEdit(w http.ResponseWriter, r *http.Request) {
	id, ok := recordID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	in, err := h.app.Incidents.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.incidentFormRender(w, r, http.StatusOK, formFromIncident(in), formErrors{}, nil)
}

// incidentSave handles every button of the form: Save stores the incident;
// the others change the form and show it again.
func (h *handler) incidentSave(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	f := parseIncidentForm(r.PostForm)
	editing := r.PathValue("id") != ""
	if editing {
		id, ok := recordID(r)
		if !ok {
			h.notFound(w, r)
			return
		}
		f.ID = id
	} else {
		f.ID, f.Version = "", 0
	}
	l := h.localizer(r)
	if op := r.PostForm.Get("op"); op != "" && op != "save" {
		if !f.apply(op) {
			http.Error(w, "unknown form action", http.StatusBadRequest)
			return
		}
		h.incidentFormRender(w, r, http.StatusOK, f, formErrors{}, nil)
		return
	}

	in, errs := f.incident()
	in.Normalize()
	if verr, ok := record.AsErrors(in.Validate()); ok {
		errs = append(errs, dateErrors(in.Date, verr)...)
	}
	if len(errs) > 0 {
		sortErrors(errs, incidentFieldOrder)
		h.incidentFormRender(w, r, http.StatusUnprocessableEntity, f, translateErrors(l, errs), nil)
		return
	}
	var err error
	if editing {
		err = h.app.Incidents.Update(writer(r), in)
	} else {
		err = h.app.Incidents.Create(writer(r), in)
	}
	if errs, ok := record.AsErrors(err); ok {
		h.incidentFormRender(w, r, http.StatusUnprocessableEntity, f, translateErrors(l, errs), nil)
		return
	}
	if errors.Is(err, db.ErrConflict) {
		conflict, current, err := h.conflict(r.Context(), l, record.KindIncident, "incidents", in.ID, f.Version)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		// The form now carries the version the user has been shown, so
		// saving again is a deliberate choice to replace it.
		f.Version = current
		h.incidentFormRender(w, r, http.StatusConflict, f, formErrors{}, conflict)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if editing {
		setFlash(w, r, "saved")
	} else {
		setFlash(w, r, "created")
	}
	http.Redirect(w, r, "/incidents/"+in.ID, http.StatusSeeOther)
}

// conflict describes what changed in a record between the version a form
// started from and the latest one, and returns the latest version number.
func (h *handler) conflict(ctx context.Context, l *localizer, kind record.Kind, section, id string, from int) (*conflictView, int, error) {
	revs, err := record.History(ctx, h.app.DB, kind, id)
	if err != nil {
		return nil, 0, err
	}
	if len(revs) == 0 {
		return nil, 0, db.ErrNotFound
	}
	latest := revs[len(revs)-1]
	c := &conflictView{Version: latest.Version, By: latest.Actor, At: l.Time(latest.At), URL: "/" + section + "/" + id}
	var base record.Revision
	for _, rv := range revs {
		if rv.Version == from {
			base = rv
		}
	}
	if base.Snapshot != nil {
		changes, err := record.Diff(base.Snapshot, latest.Snapshot)
		if err != nil {
			return nil, 0, err
		}
		names := h.referenceNames(ctx)
		for _, ch := range changes {
			c.Changes = append(c.Changes, changeView{Label: fieldLabel(l, ch.Path),
				Old: displayValue(ctx, l, names, ch.Path, ch.Old), New: displayValue(ctx, l, names, ch.Path, ch.New)})
		}
	}
	return c, latest.Version, nil
}

func (h *handler) incidentFormRender(w http.ResponseWriter, r *http.Request, status int, f incidentForm, errs formErrors, conflict *conflictView) {
	ctx := r.Context()
	l := h.localizer(r)
	data := &incidentFormPage{Form: f, New: f.ID == "", Errors: errs, Conflict: conflict,
		ViolationOps: violationOptions(l), SexOps: enumOptions(l, "sex", incident.Sexes),
		AgeOps: enumOptions(l, "age_group", incident.AgeGroups), VictimStatusOps: enumOptions(l, "victim_status", incident.VictimStatuses),
		ContextOps: enumOptions(l, "context", incident.Contexts), StatusOps: enumOptions(l, "status", incident.Statuses),
		LocationPrecisionOps: enumOptions(l, "location_precision", incident.LocationPrecisions),
		DatePrecisionOps:     enumOptions(l, "date_precision", record.DatePrecisions),
		ConnectionOps:        enumOptions(l, "connection", source.Connections),
		ReliabilityOps:       enumOptions(l, "reliability", source.Reliabilities)}
	data.Action = "/incidents/new"
	if !data.New {
		data.Action = "/incidents/" + f.ID + "/edit"
	}
	var err error
	if data.SituationOps, _, err = h.situationOptions(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	if data.CaseOps, data.CaseRequired, err = h.caseOptions(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	tree, err := h.partyTree(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data.PartyOps = tree.options(l, "")
	if data.SourceOps, err = h.sourceOptions(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	for i, a := range f.Acts {
		data.ActOps = append(data.ActOps, option{Value: a.ID,
			Label: l.T("field.each.acts", "n", i+1) + " — " + l.Enum("violation_type", a.ViolationType)})
	}
	h.render(w, r, status, "incident_form", "incidents", data)
}
