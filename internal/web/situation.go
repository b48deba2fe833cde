package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
)

type situationRow struct {
	Situation   situation.Situation
	Incidents   int
	CountCapped bool
}

type situationListPage struct {
	base
	Rows []situationRow
}

func (h *handler) situationList(w http.ResponseWriter, r *http.Request) {
	sits, err := h.app.Situations.List(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := &situationListPage{}
	for _, s := range sits {
		page, err := h.app.Incidents.List(r.Context(), incident.Filter{SituationID: s.ID, Limit: 1})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		data.Rows = append(data.Rows, situationRow{Situation: s, Incidents: page.Total, CountCapped: page.TotalCapped})
	}
	h.render(w, r, http.StatusOK, "situation_list", "situations", data)
}

type situationPage struct {
	base
	S          *situation.Situation
	Situations map[string]*situation.Situation // for the incident table
	Incidents  incident.Page
	AllURL     string
	Revision   *record.Revision
	Current    int
}

func (h *handler) situationShow(w http.ResponseWriter, r *http.Request) {
	id, ok := recordID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	s, err := h.app.Situations.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := &situationPage{S: s, AllURL: "/incidents?situation=" + s.ID, Situations: map[string]*situation.Situation{s.ID: s}}
	if data.Incidents, err = h.app.Incidents.List(r.Context(), incident.Filter{SituationID: s.ID, Limit: recentIncidents}); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "situation_show", "situations", data)
}

func (h *handler) situationVersion(w http.ResponseWriter, r *http.Request) {
	rev, err := revisionFor(r, record.KindSituation, h)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	current, err := h.app.Situations.Get(r.Context(), rev.RecordID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var s situation.Situation
	if err := json.Unmarshal(rev.Snapshot, &s); err != nil {
		h.fail(w, r, fmt.Errorf("read version %d of situation %s: %w", rev.Version, rev.RecordID, err))
		return
	}
	data := &situationPage{S: &s, AllURL: "/incidents?situation=" + s.ID, Revision: &rev, Current: current.Version,
		Situations: map[string]*situation.Situation{s.ID: &s}}
	if data.Incidents, err = h.app.Incidents.List(r.Context(), incident.Filter{SituationID: s.ID, Limit: recentIncidents}); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "situation_show", "situations", data)
}

type situationFormPage struct {
	base
	Form     situation.Situation
	New      bool
	Action   string
	Errors   formErrors
	Conflict *conflictView
	ClassOps []option
	SetOps   []option
}

func (h *handler) situationNew(w http.ResponseWriter, r *http.Request) {
	h.situationFormRender(w, r, http.StatusOK, &situation.Situation{ConflictClass: situation.Unclassified,
		Setting: situation.ConflictSetting}, formErrors{}, nil)
}

func (h *handler) situationEdit(w http.ResponseWriter, r *http.Request) {
	id, ok := recordID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	s, err := h.app.Situations.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.situationFormRender(w, r, http.StatusOK, s, formErrors{}, nil)
}

func parseSituationForm(v url.Values) *situation.Situation {
	s := &situation.Situation{Name: v.Get("name"), CountryCode: v.Get("country_code"),
		OnAgenda: v.Get("on_security_council_agenda") == "true", ConflictClass: situation.ConflictClass(v.Get("conflict_class")),
		Setting: situation.Setting(v.Get("setting")), Description: v.Get("description")}
	s.Version, _ = strconv.Atoi(v.Get("version"))
	return s
}

func (h *handler) situationSave(w http.ResponseWriter, r *http.Request) {
	saveRecord(h, w, r, recordForm[situation.Situation]{
		kind: record.KindSituation, path: "situations", parse: parseSituationForm,
		meta:   func(s *situation.Situation) *record.Meta { return &s.Meta },
		create: h.app.Situations.Create, update: h.app.Situations.Update, render: h.situationFormRender,
	})
}

func (h *handler) situationFormRender(w http.ResponseWriter, r *http.Request, status int, s *situation.Situation, errs formErrors, conflict *conflictView) {
	l := h.localizer(r)
	data := &situationFormPage{Form: *s, New: s.ID == "", Errors: errs, Conflict: conflict,
		ClassOps: enumOptions(l, "conflict_class", situation.ConflictClasses),
		SetOps:   enumOptions(l, "setting", situation.Settings)}
	data.Action = "/situations/new"
	if !data.New {
		data.Action = "/situations/" + s.ID + "/edit"
	}
	h.render(w, r, status, "situation_form", "situations", data)
}
