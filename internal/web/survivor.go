package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
)

// Survivors' pages. Sealed values appear only on a page answering a POST
// that stated a purpose (a reveal), never in a URL, and every page is
// no-store (render). Whether sealed values may be shown, changed or
// searched is the survivor store's decision (survivor.AccessFrom), the
// same as for the API.

func (h *handler) survivorRoutes(mux routeTable) {
	mux.HandleFunc("GET /survivors", h.survivorList)
	mux.HandleFunc("POST /survivors/search", h.survivorSearch)
	mux.HandleFunc("GET /survivors/new", h.survivorNew)
	mux.HandleFunc("POST /survivors/new", h.survivorSave)
	mux.HandleFunc("GET /survivors/{id}", h.survivorShow)
	mux.HandleFunc("GET /survivors/{id}/edit", h.survivorEdit)
	mux.HandleFunc("POST /survivors/{id}/edit", h.survivorSave)
	mux.HandleFunc("POST /survivors/{id}/reveal", h.survivorReveal)
	mux.HandleFunc("POST /survivors/{id}/consent", h.survivorConsent)
	mux.HandleFunc("POST /survivors/{id}/erase", h.survivorErase)
	mux.HandleFunc("GET /survivors/{id}/reads", h.survivorReads)
	mux.HandleFunc("GET /survivors/{id}/interviews/new", h.interviewNew)
	mux.HandleFunc("POST /survivors/{id}/interviews/new", h.interviewSave)
	mux.HandleFunc("GET /survivors/{id}/interviews/{interview}", h.interviewShow)
	mux.HandleFunc("GET /survivors/{id}/interviews/{interview}/edit", h.interviewEdit)
	mux.HandleFunc("POST /survivors/{id}/interviews/{interview}/edit", h.interviewSave)
	mux.HandleFunc("POST /survivors/{id}/interviews/{interview}/complete", h.interviewComplete)
	mux.HandleFunc("POST /survivors/{id}/interviews/{interview}/reveal", h.interviewReveal)
}

// survivorKeys are the catalog keys the survivors' pages compute from
// values (the templates' own keys are literal); a test checks every one.
func survivorKeys() []string {
	var keys []string
	for _, u := range survivor.Uses {
		keys = append(keys, "survivor.use."+string(u))
	}
	for _, d := range survivor.Decisions {
		keys = append(keys, "survivor.decision."+string(d), "survivor.consent_reason."+string(d))
	}
	for _, f := range append(slices.Clone(survivor.IdentityFields), survivor.Testimony) {
		keys = append(keys, "survivor.field."+string(f))
	}
	for _, s := range survivor.InterviewerSexes {
		keys = append(keys, "survivor.interviewer_sex."+string(s))
	}
	for _, c := range survivor.ContactRoles {
		keys = append(keys, "survivor.contact_by."+string(c))
	}
	for _, c := range survivor.Channels {
		keys = append(keys, "survivor.contact_how."+string(c))
	}
	for _, r := range survivor.ErasureReasons {
		keys = append(keys, "survivor.erasure."+string(r))
	}
	for _, s := range survivor.Safeguards {
		keys = append(keys, "survivor.safeguard."+string(s))
	}
	for _, s := range survivor.Statuses {
		keys = append(keys, "survivor.status."+string(s))
	}
	for _, o := range []survivor.Outcome{survivor.Opened, survivor.Gone, survivor.Matched} {
		keys = append(keys, "survivor.outcome."+string(o))
	}
	for _, p := range []string{survivor.NotConfirmed, survivor.NoConsent, survivor.ConsentRefused, survivor.ConsentWithdrawn,
		survivor.ConsentAfter, survivor.WrongInterviewerSex, survivor.UnpreferredLanguage, survivor.AskedNoContact,
		survivor.FurtherReasonRequired} {
		keys = append(keys, "survivor.problem."+p)
	}
	for _, k := range []string{"not_logged_in", "not_permitted", "unavailable", "erased"} {
		keys = append(keys, "survivor.access."+k)
	}
	return keys
}

func keyedOptions[T ~string](l *localizer, prefix string, values []T) []option {
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{Value: string(v), Label: l.T(prefix + string(v))}
	}
	return out
}

// choice is one checkbox of a set.
type choice struct {
	Value   string
	Label   string
	Checked bool
}

func keyedChoices[T ~string](l *localizer, prefix string, values, checked []T) []choice {
	out := make([]choice, len(values))
	for i, v := range values {
		out[i] = choice{Value: string(v), Label: l.T(prefix + string(v)), Checked: slices.Contains(checked, v)}
	}
	return out
}

func keyedList[T ~string](l *localizer, prefix string, values []T) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = l.T(prefix + string(v))
	}
	return strings.Join(parts, l.T("common.list_separator"))
}

// accessNote is the catalog key saying why sealed values are out of reach
// ("" when they are not).
func (h *handler) accessNote(r *http.Request) string {
	a := survivor.AccessFrom(r.Context())
	switch {
	case !a.LoggedIn:
		return "survivor.access.not_logged_in"
	case !a.SeeIdentities:
		return "survivor.access.not_permitted"
	case h.app.Survivors.Sealing() != nil:
		return "survivor.access.unavailable"
	}
	return ""
}

// sealedRefusal answers what the survivor store refused about sealed
// values: the status, and the catalog key of the message, or ok=false when
// err is something else.
func sealedRefusal(err error) (int, string, bool) {
	switch {
	case errors.Is(err, survivor.ErrNotLoggedIn):
		return http.StatusUnauthorized, "survivor.access.not_logged_in", true
	case errors.Is(err, survivor.ErrNotPermitted):
		return http.StatusForbidden, "survivor.access.not_permitted", true
	case errors.Is(err, survivor.ErrSealingUnavailable):
		return http.StatusServiceUnavailable, "survivor.access.unavailable", true
	case errors.Is(err, survivor.ErrErased):
		return http.StatusConflict, "survivor.access.erased", true
	}
	return 0, "", false
}

// refused shows err on the page it came from and reports whether there was
// one: a refusal of the sealed store as a notice, invalid fields as their
// messages, anything else as a failure. render draws the page with a
// status, once notice or errs hold what the page shows.
func (h *handler) refused(w http.ResponseWriter, r *http.Request, err error, notice *string, errs *formErrors,
	render func(status int)) bool {
	if status, key, ok := sealedRefusal(err); ok {
		*notice = key
		render(status)
		return true
	}
	if fieldErrs, ok := record.AsErrors(err); ok {
		*errs = translateErrors(h.localizer(r), fieldErrs)
		render(http.StatusUnprocessableEntity)
		return true
	}
	if err != nil {
		h.fail(w, r, err)
		return true
	}
	return false
}

// survivorRow is a survivor in the list.
type survivorRow struct {
	survivor.Summary
	Sealed    string
	Consented string
}

type survivorListPage struct {
	base
	Survivors  []survivorRow
	AccessNote string
	Query      string
	Purpose    string
	Errors     formErrors
	Searched   bool
	Matches    []survivor.Match
	Notice     string // catalog key of a refusal
}

func (h *handler) survivorList(w http.ResponseWriter, r *http.Request) {
	h.renderSurvivorList(w, r, http.StatusOK, &survivorListPage{})
}

func (h *handler) renderSurvivorList(w http.ResponseWriter, r *http.Request, status int, page *survivorListPage) {
	all, err := h.app.Survivors.List(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l := h.localizer(r)
	for _, s := range all {
		row := survivorRow{Summary: s, Sealed: keyedList(l, "survivor.field.", s.Sealed)}
		if s.Erased() {
			row.Sealed = l.T("survivor.erased")
		}
		var uses []survivor.Use
		for _, c := range s.Consent {
			if c.Allows() {
				uses = append(uses, c.Use)
			}
		}
		row.Consented = keyedList(l, "survivor.use.", uses)
		page.Survivors = append(page.Survivors, row)
	}
	page.AccessNote = h.accessNote(r)
	view := "survivor_list"
	if page.Searched {
		view = "survivor_search"
	}
	h.render(w, r, status, view, "survivors", page)
}

// survivorSearch answers the testimony search: the words come in the body
// of a POST, never in a URL.
func (h *handler) survivorSearch(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	page := &survivorListPage{Query: r.PostFormValue("query"), Purpose: r.PostFormValue("purpose"), Searched: true}
	matches, err := h.app.Survivors.Search(writer(r), survivor.AccessFrom(r.Context()), page.Query, page.Purpose)
	if h.refused(w, r, err, &page.Notice, &page.Errors, func(status int) { h.renderSurvivorList(w, r, status, page) }) {
		return
	}
	page.Matches = matches
	h.renderSurvivorList(w, r, http.StatusOK, page)
}

// pathSurvivor finds the survivor of the page's {id}.
func (h *handler) pathSurvivor(w http.ResponseWriter, r *http.Request) (*survivor.Survivor, bool) {
	id, ok := recordID(r)
	if !ok {
		h.notFound(w, r)
		return nil, false
	}
	sv, err := h.app.Survivors.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return sv, true
}

// sealedField is one identity field on the survivor's page.
type sealedField struct {
	Name, Label, Value string
	Recorded, Shown    bool
}

type consentRow struct {
	Use, Decision, Reason, On, Language, TakenBy string
	Allowed                                      bool
}

type historyRow struct {
	survivor.Consent
	UseLabel, DecisionLabel string
}

type interviewRow struct {
	survivor.Interview
	StatusLabel string
	Testimony   string
}

// consentForm is the form recording a decision.
type consentForm struct {
	Use, Decision, On, Language, TakenBy string
}

// eraseForm is the form asking for erasure.
type eraseForm struct {
	Reason, On, Language, TakenBy, Confirm string
}

type survivorPage struct {
	base
	D             *survivor.Detail
	AccessNote    string
	Notice        string // catalog key of a refusal
	Sealed        []sealedField
	Revealed      *survivor.Revealed
	RevealPurpose string
	RevealErrors  formErrors
	Prefs         prefView
	Consent       []consentRow
	History       []historyRow
	ConsentForm   consentForm
	ConsentErrors formErrors
	UseOps        []option
	DecisionOps   []option
	Interviews    []interviewRow
	EraseForm     eraseForm
	EraseErrors   formErrors
	ReasonOps     []option
	ErasedAt      string
	ErasureLabel  string
}

// prefView is a survivor's preferences in words.
type prefView struct {
	InterviewerSex, Languages, ContactBy, ContactHow string
	NoContact                                        bool
}

func preferencesView(l *localizer, p survivor.Preferences) prefView {
	v := prefView{InterviewerSex: l.T("survivor.interviewer_sex." + string(p.InterviewerSex)), NoContact: p.NoContact,
		ContactBy: keyedList(l, "survivor.contact_by.", p.ContactBy), ContactHow: keyedList(l, "survivor.contact_how.", p.ContactHow)}
	names := make([]string, len(p.Languages))
	for i, code := range p.Languages {
		names[i] = languageName(l, code)
	}
	v.Languages = strings.Join(names, l.T("common.list_separator"))
	return v
}

func (h *handler) survivorShow(w http.ResponseWriter, r *http.Request) {
	sv, ok := h.pathSurvivor(w, r)
	if !ok {
		return
	}
	h.renderSurvivor(w, r, http.StatusOK, sv.ID, &survivorPage{})
}

func today() string { return time.Now().UTC().Format("2006-01-02") }

// renderSurvivor fills the survivor's page around what a form left in page.
func (h *handler) renderSurvivor(w http.ResponseWriter, r *http.Request, status int, id string, page *survivorPage) {
	d, err := h.app.Survivors.Detail(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l := h.localizer(r)
	page.D = d
	page.AccessNote = h.accessNote(r)
	if d.Erased() {
		page.ErasedAt, page.ErasureLabel = l.Time(*d.ErasedAt), l.T("survivor.erasure."+string(d.Erasure))
	}
	for _, f := range survivor.IdentityFields {
		sf := sealedField{Name: string(f), Label: l.T("survivor.field." + string(f)), Recorded: d.Has(f)}
		if page.Revealed != nil && slices.Contains(page.Revealed.Fields, f) {
			sf.Shown, sf.Value = true, page.Revealed.Identity.Get(f)
		}
		page.Sealed = append(page.Sealed, sf)
	}
	page.Prefs = preferencesView(l, d.Preferences)
	for _, c := range d.Consent {
		row := consentRow{Use: l.T("survivor.use." + string(c.Use)), Allowed: c.Allows(), On: c.On, Language: c.Language, TakenBy: c.TakenBy}
		if c.Decision == "" {
			row.Decision, row.Reason = l.T("survivor.decision.none"), l.T("survivor.consent_reason.none")
		} else {
			row.Decision = l.T("survivor.decision." + string(c.Decision))
			row.Reason = l.T("survivor.consent_reason."+string(c.Decision), "on", l.Day(c.On))
		}
		page.Consent = append(page.Consent, row)
	}
	for i := len(d.ConsentHistory) - 1; i >= 0; i-- {
		c := d.ConsentHistory[i]
		page.History = append(page.History, historyRow{Consent: c, UseLabel: l.T("survivor.use." + string(c.Use)),
			DecisionLabel: l.T("survivor.decision." + string(c.Decision))})
	}
	for _, iv := range d.Interviews {
		row := interviewRow{Interview: iv, StatusLabel: l.T("survivor.status." + string(iv.Status)), Testimony: l.T("survivor.testimony.none")}
		switch {
		case iv.HasTestimony && d.Erased():
			row.Testimony = l.T("survivor.erased")
		case iv.HasTestimony:
			row.Testimony = l.T("survivor.testimony.sealed")
		}
		page.Interviews = append(page.Interviews, row)
	}
	if page.ConsentForm == (consentForm{}) {
		page.ConsentForm = consentForm{Use: string(survivor.Documentation), Decision: string(survivor.Given), On: today()}
	}
	if page.EraseForm == (eraseForm{}) {
		page.EraseForm = eraseForm{On: today()}
	}
	page.UseOps = keyedOptions(l, "survivor.use.", survivor.Uses)
	page.DecisionOps = keyedOptions(l, "survivor.decision.", survivor.Decisions)
	page.ReasonOps = keyedOptions(l, "survivor.erasure.", survivor.ErasureReasons)
	h.render(w, r, status, "survivor_show", "survivors", page)
}

// survivorReveal opens sealed identity fields for the stated purpose and
// shows them on the survivor's page, which is never cached.
func (h *handler) survivorReveal(w http.ResponseWriter, r *http.Request) {
	sv, ok := h.pathSurvivor(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	page := &survivorPage{RevealPurpose: r.PostFormValue("purpose")}
	fields := make([]survivor.Field, 0, len(r.PostForm["field"]))
	for _, f := range r.PostForm["field"] {
		fields = append(fields, survivor.Field(f))
	}
	rev, err := h.app.Survivors.Reveal(writer(r), survivor.AccessFrom(r.Context()), sv.ID, page.RevealPurpose, fields...)
	if h.refused(w, r, err, &page.Notice, &page.RevealErrors, func(status int) { h.renderSurvivor(w, r, status, sv.ID, page) }) {
		return
	}
	page.Revealed = rev
	h.renderSurvivor(w, r, http.StatusOK, sv.ID, page)
}

func (h *handler) survivorConsent(w http.ResponseWriter, r *http.Request) {
	sv, ok := h.pathSurvivor(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	form := consentForm{Use: r.PostFormValue("consent.use"), Decision: r.PostFormValue("consent.decision"),
		On: r.PostFormValue("consent.on"), Language: r.PostFormValue("consent.language"), TakenBy: r.PostFormValue("consent.taken_by")}
	c := survivor.Consent{SurvivorID: sv.ID, Use: survivor.Use(form.Use), Decision: survivor.Decision(form.Decision), On: form.On,
		Language: form.Language, TakenBy: form.TakenBy}
	err := h.app.Survivors.RecordConsent(writer(r), &c)
	if errs, ok := record.AsErrors(err); ok {
		h.renderSurvivor(w, r, http.StatusUnprocessableEntity, sv.ID, &survivorPage{ConsentForm: form,
			ConsentErrors: translateErrors(h.localizer(r), errs.Prefixed("consent."))})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	setFlash(w, r, "saved")
	http.Redirect(w, r, "/survivors/"+sv.ID+"#consent", http.StatusSeeOther)
}

func (h *handler) survivorErase(w http.ResponseWriter, r *http.Request) {
	sv, ok := h.pathSurvivor(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	form := eraseForm{Reason: r.PostFormValue("erase.reason"), On: r.PostFormValue("erase.on"), Language: r.PostFormValue("erase.language"),
		TakenBy: r.PostFormValue("erase.taken_by"), Confirm: r.PostFormValue("erase.confirm")}
	var err error
	if strings.TrimSpace(form.Confirm) != sv.Code {
		err = record.Errors{{Field: "confirm", Code: "mismatch", Message: "must repeat the survivor's code"}}
	} else {
		_, err = h.app.Survivors.Erase(writer(r), sv.ID, survivor.Erasure{Reason: survivor.ErasureReason(form.Reason),
			On: form.On, Language: form.Language, TakenBy: form.TakenBy})
	}
	if status, key, ok := sealedRefusal(err); ok {
		h.renderSurvivor(w, r, status, sv.ID, &survivorPage{Notice: key, EraseForm: form})
		return
	}
	if errs, ok := record.AsErrors(err); ok {
		h.renderSurvivor(w, r, http.StatusUnprocessableEntity, sv.ID, &survivorPage{EraseForm: form,
			EraseErrors: translateErrors(h.localizer(r), errs.Prefixed("erase."))})
		return
	}
	if err != nil && !erasedAnyway(r, h, sv.ID) {
		h.fail(w, r, err)
		return
	}
	setFlash(w, r, "saved")
	http.Redirect(w, r, "/survivors/"+sv.ID, http.StatusSeeOther)
}

// erasedAnyway reports whether an erasure that returned an error committed
// (only flushing the old key bytes failed).
func erasedAnyway(r *http.Request, h *handler, id string) bool {
	sv, err := h.app.Survivors.Get(r.Context(), id)
	return err == nil && sv.Erased()
}

type readsPage struct {
	base
	S     *survivor.Survivor
	Reads []readRow
}

type readRow struct {
	survivor.Read
	FieldLabels, OutcomeLabel string
}

func (h *handler) survivorReads(w http.ResponseWriter, r *http.Request) {
	// Auditors review reads across cases (the route needs the audit
	// permission); the page shows no sealed value.
	id, ok := recordID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	sv, err := h.app.Survivors.GetForAudit(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	reads, err := h.app.Survivors.Reads(r.Context(), sv.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l := h.localizer(r)
	page := &readsPage{S: sv}
	for _, rd := range reads {
		page.Reads = append(page.Reads, readRow{Read: rd, FieldLabels: keyedList(l, "survivor.field.", rd.Fields),
			OutcomeLabel: l.T("survivor.outcome." + string(rd.Outcome))})
	}
	h.render(w, r, http.StatusOK, "survivor_reads", "survivors", page)
}

// survivorFormPage is the form adding or editing a survivor.
type survivorFormPage struct {
	base
	Form          survivor.Survivor
	Identity      survivor.Identity
	Clear         []string
	New           bool
	Action        string
	Errors        formErrors
	Conflict      *conflictView
	Notice        string
	AccessNote    string
	LangsText     string
	SexOps        []option
	AgeOps        []option
	InterviewerOp []option
	ContactBy     []choice
	ContactHow    []choice
	IdentityRows  []identityInput
}

// identityInput is one sealed field's input on the form.
type identityInput struct {
	Name, Field, Label, Value string
	Recorded, Clear           bool
}

func (h *handler) survivorNew(w http.ResponseWriter, r *http.Request) {
	h.renderSurvivorForm(w, r, http.StatusOK, &survivorFormPage{Form: survivor.Survivor{Sex: incident.UnknownSex,
		AgeGroup: incident.UnknownAge, Preferences: survivor.Preferences{InterviewerSex: survivor.NoPreference}}, New: true})
}

func (h *handler) survivorEdit(w http.ResponseWriter, r *http.Request) {
	sv, ok := h.pathSurvivor(w, r)
	if !ok {
		return
	}
	h.renderSurvivorForm(w, r, http.StatusOK, &survivorFormPage{Form: *sv})
}

func (h *handler) renderSurvivorForm(w http.ResponseWriter, r *http.Request, status int, page *survivorFormPage) {
	l := h.localizer(r)
	f := page.Form
	page.AccessNote = h.accessNote(r)
	page.Action = "/survivors/new"
	if !page.New {
		page.Action = "/survivors/" + f.ID + "/edit"
	}
	page.LangsText = strings.Join(f.Preferences.Languages, ", ")
	page.SexOps = enumOptions(l, "sex", incident.Sexes)
	page.AgeOps = enumOptions(l, "age_group", incident.AgeGroups)
	page.InterviewerOp = keyedOptions(l, "survivor.interviewer_sex.", survivor.InterviewerSexes)
	page.ContactBy = keyedChoices(l, "survivor.contact_by.", survivor.ContactRoles, f.Preferences.ContactBy)
	page.ContactHow = keyedChoices(l, "survivor.contact_how.", survivor.Channels, f.Preferences.ContactHow)
	page.IdentityRows = nil
	for _, field := range survivor.IdentityFields {
		page.IdentityRows = append(page.IdentityRows, identityInput{Name: "identity." + string(field), Field: string(field),
			Label: l.T("survivor.field." + string(field)), Value: page.Identity.Get(field), Recorded: f.Has(field),
			Clear: slices.Contains(page.Clear, string(field))})
	}
	h.render(w, r, status, "survivor_form", "survivors", page)
}

func parseSurvivorForm(v url.Values) (survivor.Survivor, survivor.Identity, []string) {
	sv := survivor.Survivor{Code: v.Get("code"), Sex: incident.Sex(v.Get("sex")), AgeGroup: incident.AgeGroup(v.Get("age_group")),
		ChildAtInterview: v.Get("child_at_interview") == "true", Synthetic: v.Get("synthetic") == "true"}
	sv.Version, _ = strconv.Atoi(v.Get("version"))
	p := &sv.Preferences
	p.InterviewerSex = survivor.InterviewerSex(v.Get("interviewer_sex"))
	p.Languages = strings.FieldsFunc(v.Get("languages"), func(r rune) bool { return r == ',' || r == ' ' })
	for _, c := range v["contact_by"] {
		p.ContactBy = append(p.ContactBy, survivor.ContactRole(c))
	}
	for _, c := range v["contact_how"] {
		p.ContactHow = append(p.ContactHow, survivor.Channel(c))
	}
	p.NoContact = v.Get("no_contact") == "true"
	var id survivor.Identity
	id.Name, id.Contact = v.Get("identity.name"), v.Get("identity.contact")
	id.Residence, id.IdentifyingDetails = v.Get("identity.residence"), v.Get("identity.identifying_details")
	return sv, id, v["clear"]
}

func (h *handler) survivorSave(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	sv, id, clear := parseSurvivorForm(r.PostForm)
	editing := r.PathValue("id") != ""
	page := &survivorFormPage{Form: sv, Identity: id, Clear: clear, New: !editing}
	access := survivor.AccessFrom(r.Context())
	var err error
	if editing {
		current, ok := h.pathSurvivor(w, r)
		if !ok {
			return
		}
		sv.ID, sv.Sealed = current.ID, current.Sealed
		page.Form = sv
		change := survivor.IdentityChange{}
		for _, f := range survivor.IdentityFields {
			if v := strings.TrimSpace(id.Get(f)); v != "" {
				change.Set(f, v)
			}
		}
		for _, c := range clear {
			if _, given := change[survivor.Field(c)]; !given {
				change.Set(survivor.Field(c), "")
			}
		}
		read := sv.Version
		err = h.app.Survivors.Update(writer(r), access, &sv, change)
		if errors.Is(err, db.ErrConflict) {
			l := h.localizer(r)
			conflict, current, cerr := h.conflict(r.Context(), l, survivor.Kind, "survivors", sv.ID, read)
			if cerr != nil {
				h.fail(w, r, cerr)
				return
			}
			page.Form.Version = current
			page.Conflict = conflict
			h.renderSurvivorForm(w, r, http.StatusConflict, page)
			return
		}
	} else {
		err = h.app.Survivors.Create(writer(r), access, &sv, id)
	}
	if h.refused(w, r, err, &page.Notice, &page.Errors, func(status int) { h.renderSurvivorForm(w, r, status, page) }) {
		return
	}
	if editing {
		setFlash(w, r, "saved")
	} else {
		setFlash(w, r, "created")
	}
	http.Redirect(w, r, "/survivors/"+sv.ID, http.StatusSeeOther)
}
