package web

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/record"
)

func TestPartyPages(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		tests := []struct {
			name, query string
			want, not   []string
		}{
			{"Arabic name", "q=" + url.QueryEscape("المقاومة"), []string{"Hamas"}, []string{"Rapid Support Forces"}},
			{"Hebrew name", "q=" + url.QueryEscape("חמאס"), []string{"Hamas"}, []string{"Nukhba force"}},
			{"abbreviation", "q=RSF", []string{"Rapid Support Forces"}, []string{"Hamas"}},
			{"type", "type=state_affiliated_militia", []string{"Rapid Support Forces"}, []string{"Hamas"}},
			{"top level", "scope=top", []string{"Hamas", "Rapid Support Forces"}, []string{"Nukhba force", "Izz ad-Din"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := e.get("/parties?"+tt.query, "en")
				r.wantStatus(t, http.StatusOK)
				for _, w := range tt.want {
					r.contains(t, "<bdi>"+w)
				}
				for _, n := range tt.not {
					r.lacks(t, "<bdi>"+n)
				}
			})
		}
		list := e.get("/parties", "en")
		// Hamas counts the incident attributed to the Nukhba force, its unit's unit.
		list.contains(t, `<a href="/incidents?party=`+e.hamas.ID+`">1</a>`, "Top level")

		unit := e.get("/parties/"+e.nukhba.ID, "en")
		unit.wantStatus(t, http.StatusOK)
		unit.contains(t, `<li><a href="/parties/`+e.hamas.ID+`"><bdi>Hamas</bdi></a></li>`,
			`<li><a href="/parties/`+e.qassam.ID+`"><bdi>Izz ad-Din al-Qassam Brigades</bdi></a></li>`,
			`<li aria-current="page"><bdi>Nukhba force</bdi></li>`, "Nova festival site", "Unit")

		top := e.get("/parties/"+e.hamas.ID, "en")
		top.contains(t, `<ul class="tree">`, "Izz ad-Din al-Qassam Brigades", "Nukhba force", "1 incident",
			`<td><bdi lang="ar">حركة المقاومة الإسلامية</bdi></td><td>Arabic</td>`, `<td><bdi lang="he">חמאס</bdi></td><td>Hebrew</td>`)
		// In Arabic, the party is called by its Arabic name.
		e.get("/parties/"+e.hamas.ID, "ar").contains(t, `<h1><bdi>حركة المقاومة الإسلامية</bdi>`)

		// Create a unit with names in two languages.
		form := url.Values{"op": {"save"}, "version": {"0"}, "name": {"Military Intelligence"}, "abbreviation": {""},
			"type": {"state_security_or_intelligence"}, "parent_id": {""}, "country_code": {"sd"}, "description": {""},
			"names[0].lang": {"ar"}, "names[0].name": {"الاستخبارات العسكرية"},
			"names[1].lang": {"fr"}, "names[1].name": {"Renseignement militaire"}, "names[1].alias": {"true"}}
		r := e.post("/parties/new", "en", form)
		r.wantStatus(t, http.StatusSeeOther)
		id := strings.TrimPrefix(r.header.Get("Location"), "/parties/")
		p, err := e.a.Parties.Get(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.CreatedBy != "web" || p.CountryCode != "SD" || len(p.Names) != 2 || !p.Names[1].Alias || p.Names[0].Text != "الاستخبارات العسكرية" {
			t.Fatalf("stored %+v", p)
		}
		// The add-name button keeps the form and adds a row; an invalid
		// language tag is reported beside its input.
		form.Set("op", "add-name")
		e.post("/parties/"+id+"/edit", "en", form).contains(t, `name="names[2].lang"`)
		form.Set("op", "save")
		form.Set("version", "1")
		form.Set("names[1].lang", "not a tag")
		bad := e.post("/parties/"+id+"/edit", "en", form)
		bad.wantStatus(t, http.StatusUnprocessableEntity)
		bad.contains(t, `id="f-names-1-lang-error"`, "Name 2 › Language: Use a language tag such as en, ar or he.")
		// A party cannot be put under its own unit.
		cyc := url.Values{"op": {"save"}, "version": {"1"}, "name": {"Hamas"}, "type": {"non_state_armed_group"},
			"parent_id": {e.nukhba.ID}}
		r = e.post("/parties/"+e.hamas.ID+"/edit", "en", cyc)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.contains(t, "A party cannot sit under itself or one of its own units.")
		// Nor can the form offer it.
		e.get("/parties/"+e.hamas.ID+"/edit", "en").lacks(t, `<option value="`+e.nukhba.ID+`"`)

		form.Set("names[1].lang", "fr")
		form.Set("abbreviation", "MI")
		e.post("/parties/"+id+"/edit", "en", form).wantStatus(t, http.StatusSeeOther)
		hist := e.get("/parties/"+id+"/history", "en")
		hist.contains(t, "2 versions", "<th scope=\"row\">Abbreviation</th>", "<ins><bdi>MI</bdi></ins>")
		e.get("/parties/"+id+"/history/1", "en").contains(t, "You are viewing version 1")
	})
}

func TestSituationAndSourceForms(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		// A duplicate name is reported beside the name.
		dup := url.Values{"name": {"Sudan"}, "conflict_class": {"NIAC"}, "setting": {"conflict"}}
		r := e.post("/situations/new", "fr", dup)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.contains(t, `id="f-name-error"`, "Une autre fiche utilise déjà cette valeur.", `action="/situations/new"`)

		r = e.post("/situations/new", "en", url.Values{"name": {"Haiti"}, "country_code": {"ht"}, "on_security_council_agenda": {"true"},
			"conflict_class": {"none"}, "setting": {"other_concern"}, "description": {"Gangs"}})
		r.wantStatus(t, http.StatusSeeOther)
		haiti, err := e.a.Situations.FindByName(e.ctx, "Haiti")
		if err != nil || !haiti.OnAgenda || haiti.CountryCode != "HT" || haiti.CreatedBy != "web" {
			t.Fatalf("stored %+v, %v", haiti, err)
		}
		e.get("/situations", "en").contains(t, "<bdi>Haiti</bdi>", "Other situation of concern", "No armed conflict")
		e.get("/situations/"+e.sudan.ID, "en").contains(t, "El Geneina market", "Non-international armed conflict",
			"Parties can be listed in the annex.")
		// A stale edit is refused with what changed.
		stale := url.Values{"version": {"1"}, "name": {"Haiti (renamed)"}, "conflict_class": {"none"}, "setting": {"other_concern"}}
		newer := *haiti
		newer.Description = "Armed gangs"
		e.must(e.a.Situations.Update(record.WithActor(context.Background(), "someone"), &newer))
		r = e.post("/situations/"+haiti.ID+"/edit", "en", stale)
		r.wantStatus(t, http.StatusConflict)
		r.contains(t, "Someone else changed this record", "Armed gangs", `name="version" value="2"`, `value="Haiti (renamed)"`)

		src := url.Values{"kind": {"ngo_report"}, "title": {"Field report"}, "url": {"ftp://x"}, "published_on": {"2024-13-01"}, "reliability": {"medium"}}
		r = e.post("/sources/new", "en", src)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.contains(t, `id="f-url-error"`, "The address must start with https:// or http://.", `id="f-published_on-error"`, "Write the date as YYYY-MM-DD.")
		src.Set("url", "https://example.org/report")
		src.Set("published_on", "2024-05-01")
		r = e.post("/sources/new", "en", src)
		r.wantStatus(t, http.StatusSeeOther)
		show := e.get(r.header.Get("Location"), "fr")
		show.contains(t, "Rapport d’ONG", "1 mai 2024", `href="https://example.org/report"`)
		e.get("/sources", "ar").contains(t, "تقرير منظمة غير حكومية", "٤ مارس ٢٠٢٤")
	})
}

// upload posts a file to the import form.
func (e *env) upload(name string, content []byte, partial bool) response {
	e.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if partial {
		w.WriteField("partial", "true")
	}
	fw, err := w.CreateFormFile("file", name)
	e.must(err)
	fw.Write(content)
	e.must(w.Close())
	req := httptest.NewRequest(http.MethodPost, "/transfer", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Accept-Language", "en")
	return e.do(req)
}

func TestTransferPage(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		page := e.get("/transfer", "en")
		page.contains(t, `enctype="multipart/form-data"`, `name="partial"`, `action="/transfer/export"`, `name="format" value="json"`, `name="format" value="csv"`, `<option value="un_sharing">`)

		exp := e.get("/transfer/export?format=json", "")
		exp.wantStatus(t, http.StatusOK)
		if cd := exp.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="dossier-`) || !strings.HasSuffix(cd, `.json"`) {
			t.Errorf("Content-Disposition %q", cd)
		}
		var doc struct {
			Format    string            `json:"format"`
			Incidents []json.RawMessage `json:"incidents"`
		}
		if err := json.Unmarshal([]byte(exp.body), &doc); err != nil || doc.Format != "dossier" || len(doc.Incidents) != 3 {
			t.Fatalf("export: %v, format %q, %d incidents", err, doc.Format, len(doc.Incidents))
		}
		csv := e.get("/transfer/export?format=csv", "")
		if _, err := zip.NewReader(bytes.NewReader([]byte(csv.body)), int64(len(csv.body))); err != nil || csv.header.Get("Content-Type") != "application/zip" {
			t.Fatalf("CSV export is not a zip: %v (%s)", err, csv.header.Get("Content-Type"))
		}
		// Made for UN sharing, no victim code goes out without a survivor's
		// consent (the seeded acts have codes and no survivor records).
		forUN := e.get("/transfer/export?format=json&for=un_sharing", "")
		forUN.wantStatus(t, http.StatusOK)
		if !strings.Contains(exp.body, `"code":"`) || strings.Contains(forUN.body, `"code":"`) {
			t.Errorf("the export for UN sharing carries victim codes, or the seed has none to withhold")
		}
		e.get("/transfer/export?format=json&for=gossip", "").wantStatus(t, http.StatusNotFound)

		// The export imports into an empty record through the page.
		fresh := &env{t: t, a: app.New(freshDB(t, d)), ctx: e.ctx}
		h, err := New(fresh.a)
		e.must(err)
		fresh.h = h
		r := fresh.upload("record.json", []byte(exp.body), false)
		r.wantStatus(t, http.StatusOK)
		r.contains(t, "Every record in the file was imported.", `<th scope="row">Incidents</th><td class="numeric">3</td>`,
			`<th scope="row">Parties</th><td class="numeric">4</td>`)
		if p, _ := fresh.a.Parties.FindByName(fresh.ctx, "Hamas"); p == nil || p.CreatedBy != "test:seed" {
			t.Fatalf("imported party %+v", p)
		}

		// A file with bad rows: nothing is imported, every row is shown.
		bad := "id,name,conflict_class,setting\n,Yemen,civil war,conflict\n,,NIAC,conflict\n,Libya,NIAC,conflict\n"
		r = e.upload("situations.csv", []byte(bad), false)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.contains(t, "Nothing was imported: 2 rows were rejected.", "situations.csv", "2 rejected rows")
		if _, err := e.a.Situations.FindByName(e.ctx, "Libya"); err == nil {
			t.Error("an all-or-nothing import committed a valid row")
		}
		r = e.upload("situations.csv", []byte(bad), true)
		r.wantStatus(t, http.StatusOK)
		r.contains(t, "The valid records were imported; 2 rows were rejected.", `<th scope="row">Situations</th><td class="numeric">1</td>`,
			`<td class="numeric">2</td>`, `<td class="numeric">3</td>`)
		if _, err := e.a.Situations.FindByName(e.ctx, "Libya"); err != nil {
			t.Error("a partial import did not commit the valid row")
		}

		e.upload("notes.txt", []byte("hello"), false).contains(t, "Dossier imports .json, .zip and .csv files only.")
		r = e.upload("broken.json", []byte("{not json"), false)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.contains(t, "Nothing was imported: 1 row was rejected.", `<td dir="ltr">broken.json</td>`)
		r = e.upload("broken.zip", []byte("not a zip"), false)
		r.wantStatus(t, http.StatusUnprocessableEntity)
		r.contains(t, "The file could not be read.", "zip")
	})
}

// freshDB opens an empty database on the same engine as d.
func freshDB(t *testing.T, d *db.DB) *db.DB {
	if d.Dialect == db.Postgres {
		return dbtest.Postgres(t)
	}
	return dbtest.SQLite(t)
}

// TestPartyTreeOptions checks how units are shown in the party pickers.
func TestPartyTreeOptions(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	web := &handler{app: e.a}
	tree, err := web.partyTree(e.ctx)
	e.must(err)
	cats := mustCatalogs(t)
	l := &localizer{lang: languages[0], cat: cats["en"]}
	var got []string
	for _, o := range tree.options(l, "") {
		got = append(got, o.Label)
	}
	want := []string{"Hamas", "\u2003– Izz ad-Din al-Qassam Brigades", "\u2003\u2003– Nukhba force", "Rapid Support Forces (RSF)"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("options %q, want %q", got, want)
	}
	var skipped []string
	for _, o := range tree.options(l, e.qassam.ID) {
		skipped = append(skipped, o.Value)
	}
	if len(skipped) != 2 {
		t.Errorf("skipping a subtree left %d options, want Hamas and the RSF", len(skipped))
	}
}
