package web

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// env is a web interface over a seeded record.
type env struct {
	t       *testing.T
	a       *app.App
	h       http.Handler
	ctx     context.Context
	sudan   *situation.Situation
	israel  *situation.Situation
	hamas   *party.Party
	qassam  *party.Party
	nukhba  *party.Party
	rsf     *party.Party
	report  *source.Source
	nova    *incident.Incident
	kibbutz *incident.Incident
	darfur  *incident.Incident
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	a := app.New(d)
	h, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, a: a, h: h, ctx: record.WithActor(context.Background(), "test:seed")}
	e.seed()
	return e
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) seed() {
	e.sudan = &situation.Situation{Name: "Sudan", CountryCode: "SD", OnAgenda: true, ConflictClass: situation.NonInternational}
	e.israel = &situation.Situation{Name: "Israel and the State of Palestine", OnAgenda: true, ConflictClass: situation.International}
	e.must(e.a.Situations.Create(e.ctx, e.sudan))
	e.must(e.a.Situations.Create(e.ctx, e.israel))
	e.hamas = &party.Party{Name: "Hamas", Type: party.NonStateArmedGroup, Names: []party.Name{{Lang: "ar", Text: "حركة المقاومة الإسلامية"}, {Lang: "he", Text: "חמאס"}}}
	e.must(e.a.Parties.Create(e.ctx, e.hamas))
	e.qassam = &party.Party{Name: "Izz ad-Din al-Qassam Brigades", Type: party.NonStateArmedGroup, ParentID: e.hamas.ID}
	e.must(e.a.Parties.Create(e.ctx, e.qassam))
	e.nukhba = &party.Party{Name: "Nukhba force", Type: party.NonStateArmedGroup, ParentID: e.qassam.ID}
	e.must(e.a.Parties.Create(e.ctx, e.nukhba))
	e.rsf = &party.Party{Name: "Rapid Support Forces", Abbreviation: "RSF", Type: party.StateAffiliatedMilitia, CountryCode: "SD"}
	e.must(e.a.Parties.Create(e.ctx, e.rsf))
	e.report = &source.Source{Kind: source.UNReport, Title: "Mission report", DocumentSymbol: "S/2024/292", PublishedOn: "2024-03-04", Reliability: source.High}
	e.must(e.a.Sources.Create(e.ctx, e.report))

	e.nova = &incident.Incident{Title: "Nova festival site", SituationID: e.israel.ID, Status: incident.UnderReview,
		Place: incident.Place{Name: "Re'im", Country: "IL"}, Context: incident.DuringAttack,
		Date: record.Date{Start: "2023-10-07", Precision: record.DateDay},
		Acts: []incident.Act{{ViolationType: incident.GangRape, Victim: incident.Victim{Code: "V-001", Sex: incident.Female, AgeGroup: incident.Adult},
			Perpetrators: []incident.Perpetrator{{PartyID: e.nukhba.ID}, {Description: "men in civilian clothing"}}}},
		Information: []incident.InformationLink{{SourceID: e.report.ID, Connection: source.InvestigationBody, Reliability: source.High, Reference: "para 12"}}}
	e.must(e.a.Incidents.Create(e.ctx, e.nova))
	e.kibbutz = &incident.Incident{Title: "Kibbutz attack", SituationID: e.israel.ID, Status: incident.Draft,
		Date: record.Date{Start: "2023-10", Precision: record.DateMonth},
		Acts: []incident.Act{{ViolationType: incident.SexualTorture, Victim: incident.Victim{Sex: incident.Female, AgeGroup: incident.Child},
			Perpetrators: []incident.Perpetrator{{Description: "unidentified attackers"}}}}}
	e.must(e.a.Incidents.Create(e.ctx, e.kibbutz))
	e.darfur = &incident.Incident{Title: "El Geneina market", SituationID: e.sudan.ID, Status: incident.Verified,
		Place: incident.Place{Name: "El Geneina", Country: "SD"},
		Date:  record.Date{Start: "2023-06-10", End: "2023-06-14", Precision: record.DateRange},
		Acts: []incident.Act{{ViolationType: incident.Rape, Victim: incident.Victim{Sex: incident.Female, AgeGroup: incident.Child, Count: 3},
			Perpetrators: []incident.Perpetrator{{PartyID: e.rsf.ID}}}}}
	e.must(e.a.Incidents.Create(e.ctx, e.darfur))
}

// response is a served page.
type response struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(req *http.Request) response {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return response{status: rec.Code, header: rec.Result().Header, body: string(b)}
}

// get fetches a page in a language (by Accept-Language).
func (e *env) get(path, lang string) response {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	return e.do(req)
}

func (e *env) post(path, lang string, form url.Values) response {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	return e.do(req)
}

func (r response) wantStatus(t *testing.T, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body:\n%s", r.status, want, excerpt(r.body))
	}
}

// asRead is text as a reader sees it: no-break spaces (which keep a date on
// one line) count as spaces, and the invisible marks that isolate a name's
// direction inside a sentence are not there.
var asRead = strings.NewReplacer("\u00a0", " ", "\u2068", "", "\u2069", "")

// contains checks the page for texts, as read.
func (r response) contains(t *testing.T, wants ...string) {
	t.Helper()
	body := asRead.Replace(r.body)
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q; body:\n%s", w, excerpt(r.body))
		}
	}
}

func (r response) lacks(t *testing.T, unwanted ...string) {
	t.Helper()
	body := asRead.Replace(r.body)
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("page shows %q but should not", w)
		}
	}
}

// excerpt keeps failure output readable: the main element only.
func excerpt(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if len(body) > 6000 {
		body = body[:6000] + "…"
	}
	return body
}

// incidentForm is the form a person fills in for a new incident with one act.
func newIncidentValues(title string, e *env) url.Values {
	return url.Values{
		"version": {"0"}, "op": {"save"},
		"title": {title}, "summary": {"Three women described the attack."}, "situation_id": {e.sudan.ID},
		"context": {"camp"}, "status": {"under_review"},
		"date.precision": {"month"}, "date.start": {"2024-02"}, "date.end": {""},
		"place.name": {"Zamzam camp"}, "place.admin_area": {"North Darfur"}, "place.country": {"sd"},
		"place.latitude": {"13.5"}, "place.longitude": {"25.3"}, "place.precision": {"locality"},
		"acts[0].id": {record.NewID()}, "acts[0].violation_type": {"rape"}, "acts[0].tags": {"svac:rape, report wording"},
		"acts[0].victim.code": {"Z-7"}, "acts[0].victim.sex": {"female"}, "acts[0].victim.age_group": {"child"},
		"acts[0].victim.status": {"displaced"}, "acts[0].victim.count": {"1"}, "acts[0].description": {""},
		"acts[0].perpetrators[0].party_id": {e.rsf.ID}, "acts[0].perpetrators[0].description": {"in RSF uniform"},
		"acts[0].perpetrators[1].party_id": {""}, "acts[0].perpetrators[1].description": {"two men on a motorbike"},
		"information[0].id": {record.NewID()}, "information[0].source_id": {e.report.ID}, "information[0].act_id": {""},
		"information[0].connection": {"direct_victim"}, "information[0].reliability": {"medium"},
		"information[0].reference": {"p. 4"}, "information[0].notes": {""},
	}
}

var locationID = regexp.MustCompile(`^/incidents/([0-9a-f-]{36})$`)

func TestIncidentCreateShowEditHistory(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		r := e.post("/incidents/new", "en", newIncidentValues("Zamzam camp attack", e))
		r.wantStatus(t, http.StatusSeeOther)
		m := locationID.FindStringSubmatch(r.header.Get("Location"))
		if m == nil {
			t.Fatalf("redirected to %q, not to the new incident", r.header.Get("Location"))
		}
		id := m[1]
		in, err := e.a.Incidents.Get(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if in.CreatedBy != "web" || in.Place.Country != "SD" || in.Date.End != "2024-02-29" || len(in.Acts) != 1 ||
			len(in.Acts[0].Perpetrators) != 2 || in.Acts[0].Tags[1] != "report wording" || *in.Place.Latitude != 13.5 ||
			len(in.Information) != 1 || in.Information[0].Reference != "p. 4" {
			t.Fatalf("stored %+v", in)
		}

		page := e.get("/incidents/"+id, "en")
		page.wantStatus(t, http.StatusOK)
		page.contains(t, "Zamzam camp attack", "February 2024", "between 1 February 2024 and 29 February 2024",
			"North Darfur", "In a camp", "Under review", "Rape", "<code>Z-7</code>", "Child (under 18)", "Displaced",
			`href="/parties/`+e.rsf.ID+`"`, "Rapid Support Forces", "Unidentified", "two men on a motorbike",
			`href="/sources/`+e.report.ID+`"`, "Victim’s own account", "p. 4", "svac:rape", "Sudan")

		edit := e.get("/incidents/"+id+"/edit", "en")
		edit.wantStatus(t, http.StatusOK)
		edit.contains(t, `name="version" value="1"`, `value="Zamzam camp attack"`, `name="acts[0].perpetrators[1].description"`, `>two men on a motorbike</textarea>`)

		v := newIncidentValues("Zamzam camp attack, February 2024", e)
		v.Set("version", "1")
		v.Set("acts[0].id", in.Acts[0].ID)
		v.Set("information[0].id", in.Information[0].ID)
		v.Set("acts[0].victim.age_group", "adult")
		r = e.post("/incidents/"+id+"/edit", "en", v)
		r.wantStatus(t, http.StatusSeeOther)
		if r.header.Get("Location") != "/incidents/"+id {
			t.Fatalf("redirected to %s", r.header.Get("Location"))
		}
		if !strings.Contains(r.header.Get("Set-Cookie"), flashCookie+"=saved") {
			t.Errorf("no saved notice set: %q", r.header.Get("Set-Cookie"))
		}

		hist := e.get("/incidents/"+id+"/history", "en")
		hist.wantStatus(t, http.StatusOK)
		hist.contains(t, "2 versions", "Version 2 · changed", "Version 1 · created", "by web",
			"<th scope=\"row\">Title</th>", "<del><bdi>Zamzam camp attack</bdi></del>", "<ins><bdi>Zamzam camp attack, February 2024</bdi></ins>",
			"Act 1 › Age group", "Child (under 18)", "Adult", `href="/incidents/`+id+`/history/1"`)
		// Editing keeps the creation stamps the form does not carry.
		hist.lacks(t, "Created by", "0001")

		old := e.get("/incidents/"+id+"/history/1", "en")
		old.wantStatus(t, http.StatusOK)
		old.contains(t, "You are viewing version 1; the current version is 2.", "<bdi>Zamzam camp attack</bdi>")
		old.lacks(t, "/incidents/"+id+"/edit")
		e.get("/incidents/"+id+"/history/9", "en").wantStatus(t, http.StatusNotFound)
	})
}

func TestIncidentValidationMessages(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		v := newIncidentValues("", e)
		v.Set("acts[0].victim.age_group", "teenager")
		v.Set("acts[0].victim.count", "many")
		v.Set("place.latitude", "91")
		v.Set("acts[0].perpetrators[1].description", "")
		v.Set("status", "verified")
		r := e.post("/incidents/new", "en", v)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.contains(t,
			`id="error-summary"`, `aria-live="assertive"`, "There are 5 problems to fix before saving",
			`<li><a href="#f-title">Title: This is required.</a></li>
    <li><a href="#f-place-latitude">Latitude: Must be between -90 and 90.</a></li>
    <li><a href="#f-acts-0-victim-count">Act 1 › Number of victims: Write a number.</a></li>
    <li><a href="#f-acts-0-victim-age_group">Act 1 › Age group: Choose one of the values offered.</a></li>
    <li><a href="#f-acts-0-perpetrators-1-description">Act 1 › Perpetrator 2 › Description: This is required.</a></li>`,
			`id="f-title-error"`, `aria-describedby="f-title-error" aria-invalid="true"`,
			`id="f-acts-0-victim-age_group-error"`, "Act 1 › Age group: Choose one of the values offered.",
			`id="f-acts-0-victim-count-error"`, "Write a number.",
			`id="f-place-latitude-error"`, "Must be between -90 and 90.",
			`id="f-acts-0-perpetrators-1-description-error"`,
			// What was typed is kept.
			`value="many"`, `value="Zamzam camp"`, `value="91"`)
		if n, _ := e.a.Incidents.List(e.ctx, incident.Filter{Text: "Zamzam"}); n.Total != 0 {
			t.Errorf("an invalid incident was stored")
		}

		fr := e.post("/incidents/new", "fr", v)
		fr.wantStatus(t, http.StatusUnprocessableEntity)
		fr.contains(t, "5 problèmes à corriger avant d’enregistrer", "Titre : Ce champ est obligatoire.",
			"Acte 1 › Tranche d’âge : Choisissez l’une des valeurs proposées.", "La valeur doit être comprise entre -90 et 90.")
		ar := e.post("/incidents/new", "ar", v)
		ar.contains(t, "توجد ٥ مشكلات يجب إصلاحها قبل الحفظ", "هذا الحقل مطلوب.", "الفعل ١ › الفئة العمرية")
	})
}

func TestIncidentDateMessages(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	v := newIncidentValues("No date yet", e)
	v.Set("date.precision", "day")
	v.Set("date.start", "")
	r := e.post("/incidents/new", "en", v)
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, "There is 1 problem to fix before saving", "Start date: Give the date as far as it is known")
	r.lacks(t, "End date: ")
	v.Set("date.precision", "range")
	v.Set("date.start", "2024-03-05")
	v.Set("date.end", "2024-03-01")
	e.post("/incidents/new", "en", v).contains(t, "End date: The end date is before the start date.")
	v.Set("date.precision", "unknown")
	e.post("/incidents/new", "en", v).contains(t, "How well the date is known: The date is marked unknown, yet dates are given")
	v.Set("date.start", "")
	v.Set("date.end", "")
	e.post("/incidents/new", "en", v).wantStatus(t, http.StatusSeeOther)
}

func TestIncidentFormButtons(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	v := newIncidentValues("Draft", e)
	v.Set("op", "add-act")
	r := e.post("/incidents/new", "en", v)
	r.wantStatus(t, http.StatusOK)
	r.contains(t, `name="acts[1].violation_type"`, `name="acts[1].id"`, "Act 2", `formaction="/incidents/new#act-2"`,
		`>two men on a motorbike</textarea>`, "Remove act 2")
	r.lacks(t, `id="error-summary" `+"role") // no errors shown for a form being built

	v.Set("op", "remove-perpetrator:0:0")
	r = e.post("/incidents/new", "en", v)
	r.contains(t, `id="f-acts-0-perpetrators-0-description" name="acts[0].perpetrators[0].description" rows="2" dir="auto" aria-describedby="f-acts-0-perpetrators-0-description-hint">two men on a motorbike</textarea>`)
	r.lacks(t, `name="acts[0].perpetrators[1].party_id"`, "in RSF uniform")

	v.Set("op", "add-perpetrator:0")
	r = e.post("/incidents/new", "en", v)
	r.contains(t, `name="acts[0].perpetrators[2].party_id"`)

	v.Set("op", "remove-act:0")
	r = e.post("/incidents/new", "en", v)
	r.lacks(t, `name="acts[0].violation_type"`)
	r.contains(t, "No acts are recorded for this incident yet.")

	v.Set("op", "remove-information:0")
	r = e.post("/incidents/new", "en", v)
	r.lacks(t, `name="information[0].source_id"`)

	v.Set("op", "remove-act:7")
	e.post("/incidents/new", "en", v).wantStatus(t, http.StatusBadRequest)
	if p, _ := e.a.Incidents.List(e.ctx, incident.Filter{}); p.Total != 3 {
		t.Errorf("a form button stored an incident: %d incidents", p.Total)
	}
}

func TestIncidentEditConflict(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		in, err := e.a.Incidents.Get(e.ctx, e.darfur.ID)
		if err != nil {
			t.Fatal(err)
		}
		form := formValues(formFromIncident(in))
		// Someone else saves first.
		other := *in
		other.Title = "El Geneina market, June 2023"
		e.must(e.a.Incidents.Update(record.WithActor(context.Background(), "analyst-b"), &other))

		form.Set("summary", "My addition")
		r := e.post("/incidents/"+in.ID+"/edit", "en", form)
		r.wantStatus(t, http.StatusConflict)
		r.contains(t, "Someone else changed this record while you were editing it",
			"Version 2 was saved by analyst-b", "<th scope=\"row\">Title</th>", "El Geneina market, June 2023",
			`name="version" value="2"`, "My addition")
		got, _ := e.a.Incidents.Get(e.ctx, in.ID)
		if got.Summary == "My addition" || got.Version != 2 {
			t.Fatalf("the stale save went through: %+v", got.Meta)
		}
		form.Set("version", "2")
		e.post("/incidents/"+in.ID+"/edit", "en", form).wantStatus(t, http.StatusSeeOther)
		got, _ = e.a.Incidents.Get(e.ctx, in.ID)
		if got.Summary != "My addition" || got.Version != 3 {
			t.Fatalf("the deliberate save did not go through: %q v%d", got.Summary, got.Version)
		}
	})
}

// formValues renders an incident form as the browser would submit it.
func formValues(f incidentForm) url.Values {
	v := url.Values{"op": {"save"}, "version": {itoa(f.Version)}, "title": {f.Title}, "summary": {f.Summary},
		"situation_id": {f.SituationID}, "place.name": {f.PlaceName}, "place.admin_area": {f.PlaceAdminArea},
		"place.country": {f.PlaceCountry}, "place.latitude": {f.Latitude}, "place.longitude": {f.Longitude},
		"place.precision": {f.LocationPrecision}, "date.precision": {f.DatePrecision}, "date.start": {f.DateStart},
		"date.end": {f.DateEnd}, "context": {f.Context}, "status": {f.Status}}
	for i, a := range f.Acts {
		p := "acts[" + itoa(i) + "]."
		v.Set(p+"id", a.ID)
		v.Set(p+"violation_type", a.ViolationType)
		v.Set(p+"tags", a.Tags)
		v.Set(p+"victim.code", a.VictimCode)
		v.Set(p+"victim.sex", a.VictimSex)
		v.Set(p+"victim.age_group", a.VictimAgeGroup)
		v.Set(p+"victim.status", a.VictimStatus)
		v.Set(p+"victim.count", a.VictimCount)
		v.Set(p+"description", a.Description)
		for j, pp := range a.Perpetrators {
			q := p + "perpetrators[" + itoa(j) + "]."
			v.Set(q+"party_id", pp.PartyID)
			v.Set(q+"description", pp.Description)
		}
	}
	for k, l := range f.Information {
		p := "information[" + itoa(k) + "]."
		v.Set(p+"id", l.ID)
		v.Set(p+"source_id", l.SourceID)
		v.Set(p+"act_id", l.ActID)
		v.Set(p+"connection", l.Connection)
		v.Set(p+"reliability", l.Reliability)
		v.Set(p+"reference", l.Reference)
		v.Set(p+"notes", l.Notes)
	}
	return v
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestIncidentListFilters(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		all := []string{"Nova festival site", "Kibbutz attack", "El Geneina market"}
		tests := []struct {
			name  string
			query string
			want  []string
			count string
		}{
			{"everything", "", all, "3 incidents"},
			{"text", "q=festival", []string{"Nova festival site"}, "1 incident"},
			{"situation", "situation=" + e.sudan.ID, []string{"El Geneina market"}, "1 incident"},
			{"party includes its units", "party=" + e.hamas.ID, []string{"Nova festival site"}, "1 incident"},
			{"violation type includes its forms", "violation=rape", []string{"Nova festival site", "El Geneina market"}, "2 incidents"},
			{"sub-type of other", "violation=other_sexual_violence", []string{"Kibbutz attack"}, "1 incident"},
			{"age group", "age=child", []string{"Kibbutz attack", "El Geneina market"}, "2 incidents"},
			{"status", "status=verified", []string{"El Geneina market"}, "1 incident"},
			{"from", "from=2023-10-01", []string{"Nova festival site", "Kibbutz attack"}, "2 incidents"},
			{"period overlapping a month", "from=2023-10-20&to=2023-10-25", []string{"Kibbutz attack"}, "1 incident"},
			{"combined", "age=child&party=" + e.rsf.ID, []string{"El Geneina market"}, "1 incident"},
			{"nothing", "q=nowhere", nil, "0 incidents"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := e.get("/incidents?"+tt.query, "en")
				r.wantStatus(t, http.StatusOK)
				r.contains(t, `<p class="page-header__sub" id="result-count">`+tt.count+`</p>`)
				for _, title := range all {
					shown := strings.Contains(r.body, "<bdi>"+title+"</bdi></a>")
					if shown != contains(tt.want, title) {
						t.Errorf("%q shown: %v, want %v", title, shown, !shown)
					}
				}
			})
		}
		// The form keeps the filters, so the URL can be shared.
		r := e.get("/incidents?violation=rape&age=child&from=2023-01-01", "en")
		r.contains(t, `<option value="rape" selected>`, `<option value="child" selected>`, `value="2023-01-01"`, "Clear filters")

		bad := e.get("/incidents?from=yesterday", "en")
		bad.wantStatus(t, http.StatusBadRequest)
		bad.contains(t, `<a href="#f-from">From: Write the date as YYYY-MM-DD.</a>`, `id="f-from-error"`)

		// An Arabic search finds a party's incidents only through the
		// party; incident text search handles Arabic too.
		ar := &incident.Incident{Title: "هجوم على مخيم", SituationID: e.sudan.ID, Date: record.Date{Precision: record.DateUnknown}}
		e.must(e.a.Incidents.Create(e.ctx, ar))
		r = e.get("/incidents?q="+url.QueryEscape("مخيم"), "ar")
		r.contains(t, "<bdi>هجوم على مخيم</bdi>", "حادثة واحدة")
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestIncidentListPaging(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	first := e.get("/incidents?limit=1&sort=title", "en")
	first.contains(t, "El Geneina market", "1–1 of 3", `<span class="button button--disabled" aria-disabled="true">Previous</span>`)
	next := hrefOf(t, first.body, "next")
	second := e.get(next, "en")
	second.contains(t, "Kibbutz attack", "2–2 of 3")
	second.lacks(t, "<bdi>El Geneina market</bdi>")
	third := e.get(hrefOf(t, second.body, "next"), "en")
	third.contains(t, "Nova festival site", "3–3 of 3", `<span class="button button--disabled" aria-disabled="true">Next</span>`)
	back := e.get(hrefOf(t, third.body, "prev"), "en")
	back.contains(t, "Kibbutz attack", "2–2 of 3")
	start := e.get(hrefOf(t, back.body, "prev"), "en")
	start.contains(t, "El Geneina market", "1–1 of 3")
	if !strings.Contains(next, "sort=title") || !strings.Contains(next, "limit=1") {
		t.Errorf("the next link drops the filters: %s", next)
	}
	bad := e.get("/incidents?cursor=garbage&sort=title", "en")
	bad.wantStatus(t, http.StatusBadRequest)
	bad.contains(t, "This page link is no longer valid", `<a class="button" href="/incidents?sort=title">Go to the first page</a>`)
}

var relLink = regexp.MustCompile(`<a class="button" href="([^"]+)" rel="(next|prev)">`)

func hrefOf(t *testing.T, body, rel string) string {
	t.Helper()
	for _, m := range relLink.FindAllStringSubmatch(body, -1) {
		if m[2] == rel {
			return html.UnescapeString(m[1])
		}
	}
	t.Fatalf("no %s link in:\n%s", rel, excerpt(body))
	return ""
}

func TestCappedTotal(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	// A list of more than incident.CountLimit matches shows "1,000+".
	web := &handler{app: e.a}
	cats, _ := loadCatalogs(translationFiles)
	web.catalogs = cats
	web.views, _ = loadViews(cats, "x")
	for lang, want := range map[string]string{"en": "1,000+ incidents", "fr": "plus de 1\u202f000 incidents", "ar": "أكثر من ١٬٠٠٠ حادثة"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/incidents", nil)
		req.Header.Set("Accept-Language", lang)
		web.render(rec, req, http.StatusOK, "incident_list", "incidents", &incidentListPage{
			Page: incident.Page{Incidents: e.mustList(), Total: incident.CountLimit, TotalCapped: true}, First: 1, Last: 3,
			Query: listQuery{Limit: 50}})
		body := strings.ReplaceAll(html.UnescapeString(rec.Body.String()), "\u00a0", " ")
		if !strings.Contains(body, want) {
			t.Errorf("%s: capped total not shown as %q:\n%s", lang, want, excerpt(body))
		}
	}
}

func (e *env) mustList() []incident.Incident {
	p, err := e.a.Incidents.List(e.ctx, incident.Filter{})
	e.must(err)
	return p.Incidents
}

func TestLanguageSwitch(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	en := e.get("/incidents", "")
	en.contains(t, `<html lang="en" dir="ltr">`, ">Incidents</a>", `aria-pressed="true">English</button>`)

	ar := e.get("/incidents", "ar-EG,ar;q=0.9,en;q=0.5")
	ar.contains(t, `<html lang="ar" dir="rtl">`, ">الحوادث</a>", ">الأطراف</a>", "تطبيق عوامل التصفية", "٣ حوادث")
	if ar.header.Get("Content-Language") != "ar" {
		t.Errorf("Content-Language %q", ar.header.Get("Content-Language"))
	}

	r := e.post("/language", "en", url.Values{"lang": {"fr"}, "next": {"/parties?q=Hamas"}})
	r.wantStatus(t, http.StatusSeeOther)
	if r.header.Get("Location") != "/parties?q=Hamas" {
		t.Errorf("returned to %q", r.header.Get("Location"))
	}
	cookie := r.header.Get("Set-Cookie")
	if !strings.Contains(cookie, languageCookie+"=fr") || !strings.Contains(cookie, "SameSite=Lax") {
		t.Fatalf("language not remembered: %q", cookie)
	}
	req := httptest.NewRequest(http.MethodGet, "/parties?q=Hamas", nil)
	req.Header.Set("Accept-Language", "ar") // the remembered choice wins
	req.AddCookie(&http.Cookie{Name: languageCookie, Value: "fr"})
	fr := e.do(req)
	fr.contains(t, `<html lang="fr" dir="ltr">`, "Rechercher par nom", "Groupe armé non étatique")

	away := e.post("/language", "en", url.Values{"lang": {"ar"}, "next": {"//evil.example/"}})
	if away.header.Get("Location") != "/" {
		t.Errorf("an off-site return address was followed: %q", away.header.Get("Location"))
	}
	e.post("/language", "en", url.Values{"lang": {"xx"}}).wantStatus(t, http.StatusBadRequest)
}

func TestCrossOriginPostsRefused(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	req := httptest.NewRequest(http.MethodPost, "/situations/new", strings.NewReader("name=Evil"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := e.do(req); r.status != http.StatusForbidden {
		t.Fatalf("a cross-site POST got %d", r.status)
	}
	if _, err := e.a.Situations.FindByName(e.ctx, "Evil"); err == nil {
		t.Fatal("a cross-site POST wrote a record")
	}
}

func TestNotFound(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	for _, p := range []string{"/incidents/nope", "/incidents/" + record.NewID(), "/parties/" + record.NewID() + "/history",
		"/nowhere", "/sources/" + record.NewID() + "/edit", "/transfer/export?format=xml"} {
		r := e.get(p, "fr")
		if r.status != http.StatusNotFound {
			t.Errorf("%s: status %d", p, r.status)
		}
		r.contains(t, "Page introuvable")
	}
	r := e.get("/", "")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/incidents" {
		t.Errorf("/ answers %d %s", r.status, r.header.Get("Location"))
	}
}

// TestNoInlineStyleOrScript renders every page and checks for what the
// Content-Security-Policy forbids.
func TestNoInlineStyleOrScript(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	pages := []string{"/incidents", "/incidents/new", "/incidents/" + e.nova.ID, "/incidents/" + e.nova.ID + "/edit",
		"/incidents/" + e.nova.ID + "/history", "/incidents/" + e.nova.ID + "/history/1", "/parties", "/parties/new",
		"/parties/" + e.nukhba.ID, "/parties/" + e.hamas.ID + "/edit", "/parties/" + e.hamas.ID + "/history",
		"/situations", "/situations/new", "/situations/" + e.sudan.ID, "/situations/" + e.sudan.ID + "/edit",
		"/sources", "/sources/new", "/sources/" + e.report.ID, "/sources/" + e.report.ID + "/history/1", "/transfer", "/missing"}
	inline := regexp.MustCompile(`(?i)<script|<style|\sstyle=|\son[a-z]+=`)
	for _, lang := range []string{"en", "fr", "ar"} {
		for _, p := range pages {
			r := e.get(p, lang)
			if r.status >= 500 {
				t.Errorf("%s %s: %d", lang, p, r.status)
			}
			if m := inline.FindString(r.body); m != "" {
				t.Errorf("%s %s: inline %q", lang, p, m)
			}
			if !strings.Contains(r.body, `<a class="skip-link" href="#main">`) || !strings.Contains(r.body, `<main id="main"`) {
				t.Errorf("%s %s: no skip link to main", lang, p)
			}
			if strings.Contains(r.body, "enum.") || strings.Contains(r.body, "field.each") {
				t.Errorf("%s %s: an untranslated key shows", lang, p)
			}
		}
	}
	css := e.get("/static/dossier.css", "")
	if css.status != http.StatusOK || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %s", css.status, css.header.Get("Content-Type"))
	}
}

// TestEveryInputHasALabel checks the forms: each visible input, select and
// textarea is named by a <label for>.
func TestEveryInputHasALabel(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	input := regexp.MustCompile(`<(input|select|textarea)\b([^>]*)>`)
	idAttr := regexp.MustCompile(`\sid="([^"]+)"`)
	for _, p := range []string{"/incidents", "/incidents/new", "/incidents/" + e.nova.ID + "/edit", "/parties", "/parties/" + e.hamas.ID + "/edit",
		"/situations/new", "/sources/new", "/transfer"} {
		body := e.get(p, "en").body
		for _, m := range input.FindAllStringSubmatch(body, -1) {
			if strings.Contains(m[2], `type="hidden"`) {
				continue
			}
			id := idAttr.FindStringSubmatch(m[2])
			if id == nil {
				t.Errorf("%s: %s without an id", p, m[0])
				continue
			}
			if !strings.Contains(body, `<label for="`+id[1]+`"`) {
				t.Errorf("%s: no label for #%s", p, id[1])
			}
		}
	}
}
