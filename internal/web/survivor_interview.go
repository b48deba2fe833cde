package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
)

// checkRow is one safeguard of an interview's checklist, in words.
type checkRow struct {
	survivor.Check
	Label    string
	Problems []string
}

// problemText says why a safeguard is not met, in the interface language.
func problemText(l *localizer, p survivor.Problem) string {
	var args []any
	for k, v := range p.Args {
		switch k {
		case "on", "held_on":
			v = l.Day(v)
		case "asked":
			if p.Code == survivor.WrongInterviewerSex {
				v = l.T("survivor.interviewer_sex." + v)
			}
		case "recorded":
			v = l.Enum("sex", v)
		}
		args = append(args, k, v)
	}
	return l.T("survivor.problem."+p.Code, args...)
}

func checkRows(l *localizer, checks []survivor.Check) []checkRow {
	out := make([]checkRow, len(checks))
	for i, c := range checks {
		row := checkRow{Check: c, Label: l.T("survivor.safeguard." + string(c.Safeguard))}
		for _, p := range c.Problems {
			row.Problems = append(row.Problems, problemText(l, p))
		}
		out[i] = row
	}
	return out
}

// safeguardErrors turns the unmet safeguards of a refused completion into
// the form's messages, each saying why in the interface language.
func safeguardErrors(l *localizer, errs record.Errors, checks []survivor.Check) formErrors {
	var rest record.Errors
	var unmet []survivor.Check
	for _, fe := range errs {
		if name, ok := strings.CutPrefix(fe.Field, "safeguards."); ok && fe.Code == "safeguard_unmet" {
			for _, c := range checks {
				if string(c.Safeguard) == name {
					unmet = append(unmet, c)
				}
			}
			continue
		}
		rest = append(rest, fe)
	}
	out := translateErrors(l, rest)
	for _, c := range unmet {
		var texts []string
		for _, p := range c.Problems {
			texts = append(texts, problemText(l, p))
		}
		id := "sg-" + string(c.Safeguard)
		msg := strings.Join(texts, " ")
		out.List = append(out.List, fieldMessage{Field: "safeguards." + string(c.Safeguard), ID: id,
			Label: l.T("survivor.safeguard." + string(c.Safeguard)), Message: msg})
		out.ByField["safeguards."+string(c.Safeguard)] = msg
	}
	return out
}

type interviewPage struct {
	base
	S          *survivor.Survivor
	I          *survivor.Interview
	Status     string
	SexLabel   string
	Checks     []checkRow
	Blocking   int
	AccessNote string
	Notice     string
	Purpose    string
	Errors     formErrors
	Testimony  *survivor.RevealedTestimony
}

// pathInterview finds the {interview} of the survivor of the page's {id}.
func (h *handler) pathInterview(w http.ResponseWriter, r *http.Request) (*survivor.Survivor, *survivor.Interview, bool) {
	sv, ok := h.pathSurvivor(w, r)
	if !ok {
		return nil, nil, false
	}
	iv, err := h.app.Survivors.Interview(r.Context(), r.PathValue("interview"))
	if err == nil && iv.SurvivorID != sv.ID {
		err = db.ErrNotFound
	}
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	return sv, iv, true
}

func (h *handler) interviewShow(w http.ResponseWriter, r *http.Request) {
	sv, iv, ok := h.pathInterview(w, r)
	if !ok {
		return
	}
	h.renderInterview(w, r, http.StatusOK, sv, iv, &interviewPage{})
}

func (h *handler) renderInterview(w http.ResponseWriter, r *http.Request, status int, sv *survivor.Survivor, iv *survivor.Interview, page *interviewPage) {
	l := h.localizer(r)
	checks, err := h.app.Survivors.Checklist(r.Context(), *iv)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page.S, page.I = sv, iv
	page.Status = l.T("survivor.status." + string(iv.Status))
	page.SexLabel = l.Enum("sex", iv.InterviewerSex)
	page.Checks = checkRows(l, checks)
	page.Blocking = 0
	for _, c := range checks {
		if c.Blocks() {
			page.Blocking++
		}
	}
	page.AccessNote = h.accessNote(r)
	h.render(w, r, status, "survivor_interview", "survivors", page)
}

func (h *handler) interviewComplete(w http.ResponseWriter, r *http.Request) {
	sv, iv, ok := h.pathInterview(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	_, err := h.app.Survivors.CompleteInterview(writer(r), iv.ID, version)
	if errs, ok := record.AsErrors(err); ok {
		checks, cerr := h.app.Survivors.Checklist(r.Context(), *iv)
		if cerr != nil {
			h.fail(w, r, cerr)
			return
		}
		h.renderInterview(w, r, http.StatusUnprocessableEntity, sv, iv, &interviewPage{Errors: safeguardErrors(h.localizer(r), errs, checks)})
		return
	}
	if errors.Is(err, db.ErrConflict) {
		h.renderInterview(w, r, http.StatusConflict, sv, iv, &interviewPage{Notice: "survivor.interview.changed"})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	setFlash(w, r, "saved")
	http.Redirect(w, r, "/survivors/"+sv.ID+"/interviews/"+iv.ID, http.StatusSeeOther)
}

// interviewReveal opens the testimony for the stated purpose.
func (h *handler) interviewReveal(w http.ResponseWriter, r *http.Request) {
	sv, iv, ok := h.pathInterview(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	page := &interviewPage{Purpose: r.PostFormValue("purpose")}
	tm, err := h.app.Survivors.RevealTestimony(writer(r), survivor.AccessFrom(r.Context()), iv.ID, page.Purpose)
	if h.refused(w, r, err, &page.Notice, &page.Errors, func(status int) { h.renderInterview(w, r, status, sv, iv, page) }) {
		return
	}
	page.Testimony = tm
	h.renderInterview(w, r, http.StatusOK, sv, iv, page)
}

// interviewFormPage is the form recording or editing an interview. The
// survivor's preferences and earlier interviews are shown above it.
type interviewFormPage struct {
	base
	S             *survivor.Survivor
	Form          survivor.Interview
	Testimony     string
	ClearTestimo  bool
	New           bool
	Action        string
	Errors        formErrors
	Notice        string
	AccessNote    string
	Prefs         prefView
	Earlier       []interviewRow
	SexOps        []option
	Safeguards    []safeguardChoice
	Checks        []checkRow
	Blocking      int
	FurtherNeeded bool
}

type safeguardChoice struct {
	Value, Label, Source string
	Mandatory, Children  bool
	Checked              bool
	Error                string
}

func (h *handler) interviewNew(w http.ResponseWriter, r *http.Request) {
	sv, ok := h.pathSurvivor(w, r)
	if !ok {
		return
	}
	iv := survivor.Interview{SurvivorID: sv.ID, HeldOn: today(), Child: sv.ChildAtInterview, InterviewerSex: incident.UnknownSex}
	if len(sv.Preferences.Languages) > 0 {
		iv.Language = sv.Preferences.Languages[0]
	}
	h.renderInterviewForm(w, r, http.StatusOK, sv, &interviewFormPage{Form: iv, New: true})
}

func (h *handler) interviewEdit(w http.ResponseWriter, r *http.Request) {
	sv, iv, ok := h.pathInterview(w, r)
	if !ok {
		return
	}
	h.renderInterviewForm(w, r, http.StatusOK, sv, &interviewFormPage{Form: *iv})
}

func (h *handler) renderInterviewForm(w http.ResponseWriter, r *http.Request, status int, sv *survivor.Survivor, page *interviewFormPage) {
	l := h.localizer(r)
	page.S = sv
	page.AccessNote = h.accessNote(r)
	page.Prefs = preferencesView(l, sv.Preferences)
	page.Action = "/survivors/" + sv.ID + "/interviews/new"
	if !page.New {
		page.Action = "/survivors/" + sv.ID + "/interviews/" + page.Form.ID + "/edit"
	}
	all, err := h.app.Survivors.Interviews(r.Context(), sv.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page.Earlier = nil
	for _, iv := range all {
		if iv.ID == page.Form.ID {
			break
		}
		page.Earlier = append(page.Earlier, interviewRow{Interview: iv, StatusLabel: l.T("survivor.status." + string(iv.Status))})
	}
	page.FurtherNeeded = len(page.Earlier) > 0
	page.SexOps = enumOptions(l, "sex", incident.Sexes)
	checks, err := h.app.Survivors.Checklist(r.Context(), page.Form)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page.Checks = checkRows(l, checks)
	page.Blocking = 0
	for _, c := range checks {
		if c.Blocks() {
			page.Blocking++
		}
	}
	page.Safeguards = nil
	for _, s := range survivor.Confirmable {
		c := safeguardChoice{Value: string(s), Label: l.T("survivor.safeguard." + string(s)),
			Checked: containsSafeguard(page.Form.Safeguards, s), Error: page.Errors.For("safeguards." + string(s))}
		for _, ch := range checks {
			if ch.Safeguard == s {
				c.Source, c.Mandatory = ch.Source, ch.Mandatory
			}
		}
		if c.Source == "" {
			// A safeguard for children, on an adult's interview.
			c.Children = true
		}
		page.Safeguards = append(page.Safeguards, c)
	}
	h.render(w, r, status, "survivor_interview_form", "survivors", page)
}

func containsSafeguard(list []survivor.Safeguard, s survivor.Safeguard) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func parseInterviewForm(v url.Values) survivor.Interview {
	iv := survivor.Interview{HeldOn: v.Get("held_on"), Interviewer: v.Get("interviewer"),
		InterviewerSex: incident.Sex(v.Get("interviewer_sex")), Interpreter: v.Get("interpreter"), Language: v.Get("language"),
		Place: v.Get("place"), Child: v.Get("child") == "true", FurtherReason: v.Get("further_reason")}
	iv.Version, _ = strconv.Atoi(v.Get("version"))
	for _, s := range v["safeguard"] {
		iv.Safeguards = append(iv.Safeguards, survivor.Safeguard(s))
	}
	if v.Get("op") == "complete" {
		iv.Status = survivor.Complete
	}
	return iv
}

func (h *handler) interviewSave(w http.ResponseWriter, r *http.Request) {
	sv, ok := h.pathSurvivor(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	iv := parseInterviewForm(r.PostForm)
	iv.SurvivorID = sv.ID
	testimony := r.PostFormValue("testimony")
	clearTestimony := r.PostFormValue("clear_testimony") == "true"
	editing := r.PathValue("interview") != ""
	page := &interviewFormPage{Form: iv, Testimony: testimony, ClearTestimo: clearTestimony, New: !editing}
	access := survivor.AccessFrom(r.Context())
	var err error
	if editing {
		_, current, ok := h.pathInterview(w, r)
		if !ok {
			return
		}
		iv.ID = current.ID
		page.Form.ID, page.Form.Meta = current.ID, current.Meta
		page.Form.Version = iv.Version
		var change *string
		switch {
		case clearTestimony:
			empty := ""
			change = &empty
		case strings.TrimSpace(testimony) != "":
			change = &testimony
		}
		err = h.app.Survivors.UpdateInterview(writer(r), access, &iv, change)
	} else {
		err = h.app.Survivors.AddInterview(writer(r), access, &iv, testimony)
	}
	if status, key, ok := sealedRefusal(err); ok {
		page.Notice = key
		h.renderInterviewForm(w, r, status, sv, page)
		return
	}
	if errors.Is(err, db.ErrConflict) {
		page.Notice = "survivor.interview.changed"
		h.renderInterviewForm(w, r, http.StatusConflict, sv, page)
		return
	}
	if errs, ok := record.AsErrors(err); ok {
		checks, cerr := h.app.Survivors.Checklist(r.Context(), page.Form)
		if cerr != nil {
			h.fail(w, r, cerr)
			return
		}
		page.Errors = safeguardErrors(h.localizer(r), errs, checks)
		h.renderInterviewForm(w, r, http.StatusUnprocessableEntity, sv, page)
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
	http.Redirect(w, r, "/survivors/"+sv.ID+"/interviews/"+iv.ID, http.StatusSeeOther)
}
