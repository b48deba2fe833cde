package api

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

// everything reads the whole record through the API, for comparing two
// Dossiers.
func (c *client) everything(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	out := map[string]json.RawMessage{}
	for _, path := range []string{"/api/v1/situations", "/api/v1/sources", "/api/v1/parties?limit=500",
		"/api/v1/incidents?sort=-created&limit=500"} {
		var body map[string]json.RawMessage
		c.get(path).expect(t, http.StatusOK).decode(t, &body)
		for k, v := range body {
			if k == "incidents" || k == "parties" || k == "situations" || k == "sources" {
				out[k] = v
			}
		}
	}
	return out
}

func (c *client) upload(path, contentType string, body []byte) *response {
	return c.do(request{method: "POST", path: path, body: body, headers: []string{"Content-Type", contentType}})
}

func TestImportExportRoundTrip(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c := newClient(t, d)
		w := c.world(t)
		c.filterWorld(t, w)
		want := c.everything(t)

		res := c.get("/api/v1/export?format=json").expect(t, http.StatusOK)
		if ct := res.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("JSON export Content-Type %q", ct)
		}
		if cd := res.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="dossier-export-`) || !strings.HasSuffix(cd, `.json"`) {
			t.Errorf("Content-Disposition %q", cd)
		}
		jsonExport := res.body
		if def := c.get("/api/v1/export").expect(t, http.StatusOK); !bytes.Equal(def.body, jsonExport) {
			t.Error("the default export differs from format=json")
		}
		res = c.get("/api/v1/export?format=csv").expect(t, http.StatusOK)
		if ct := res.header.Get("Content-Type"); ct != "application/zip" {
			t.Errorf("CSV export Content-Type %q", ct)
		}
		zipExport := res.body
		zr, err := zip.NewReader(bytes.NewReader(zipExport), int64(len(zipExport)))
		if err != nil {
			t.Fatalf("the CSV export is not a zip: %v", err)
		}
		var files []string
		for _, f := range zr.File {
			files = append(files, f.Name)
		}
		for _, f := range []string{"situations.csv", "parties.csv", "incidents.csv", "acts.csv"} {
			if !slices.Contains(files, f) {
				t.Errorf("the zip lacks %s: %v", f, files)
			}
		}

		for _, tc := range []struct {
			name, path, contentType string
			body                    []byte
		}{
			{"json", "/api/v1/import?format=json", "application/json", jsonExport},
			{"csv zip", "/api/v1/import?format=csv", "application/zip", zipExport},
			{"format from Content-Type", "/api/v1/import", "application/json", jsonExport},
		} {
			t.Run(tc.name, func(t *testing.T) {
				into := newClient(t, dbtest.SQLite(t))
				var report importReport
				into.upload(tc.path, tc.contentType, tc.body).expect(t, http.StatusOK).decode(t, &report)
				wantCounts := counts{Situations: 2, Parties: 4, Sources: 1, Incidents: 8, Acts: 9}
				if !report.Committed || report.Imported != wantCounts || len(report.Rejected) != 0 {
					t.Errorf("report %+v, want %+v", report, wantCounts)
				}
				got := into.everything(t)
				for kind, list := range want {
					if !jsonEqual(t, got[kind], list) {
						t.Errorf("%s differ after the round trip:\n got %s\nwant %s", kind, clip(got[kind]), clip(list))
					}
				}
			})
		}
	})
}

func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

func TestImportRejections(t *testing.T) {
	c := newClient(t, dbtest.SQLite(t))
	w := c.world(t)
	c.filterWorld(t, w)
	export := c.get("/api/v1/export?format=json").expect(t, http.StatusOK).body

	// Spoil one act of one incident.
	var doc map[string]any
	if err := json.Unmarshal(export, &doc); err != nil {
		t.Fatal(err)
	}
	incidents := doc["incidents"].([]any)
	spoilt := incidents[2].(map[string]any)
	spoilt["acts"].([]any)[0].(map[string]any)["violation_type"] = "Amira Haddad"
	bad, _ := json.Marshal(doc)

	into := newClient(t, dbtest.SQLite(t))
	res := into.upload("/api/v1/import?format=json", "application/json", bad).expect(t, http.StatusUnprocessableEntity)
	p := res.problem(t)
	if p.Type != typeImportRejected || len(p.Rejections) == 0 {
		t.Fatalf("problem %+v", p)
	}
	found := false
	for _, r := range p.Rejections {
		if r.Row == 3 && strings.HasSuffix(r.Field, "acts[0].violation_type") {
			found = true
		}
	}
	if !found {
		t.Errorf("no rejection names incident 3's act: %+v", p.Rejections)
	}
	if bytes.Contains(res.body, []byte("Amira")) {
		t.Errorf("the rejection repeats the value: %s", res.body)
	}
	var page incidentPage
	into.get("/api/v1/incidents").expect(t, http.StatusOK).decode(t, &page)
	if page.Total != 0 {
		t.Errorf("%d incidents stored by a rejected import", page.Total)
	}

	// With partial=true the rest is stored and the bad incident reported.
	var report importReport
	into.upload("/api/v1/import?format=json&partial=true", "application/json", bad).expect(t, http.StatusOK).decode(t, &report)
	if !report.Committed || report.Imported.Incidents != 7 || len(report.Rejected) == 0 {
		t.Errorf("partial import %+v", report)
	}
	into.get("/api/v1/incidents").expect(t, http.StatusOK).decode(t, &page)
	if page.Total != 7 {
		t.Errorf("%d incidents after a partial import, want 7", page.Total)
	}

	// Importing the same record again: every record is a duplicate, and
	// the rejections name rows, not titles or names.
	res = c.upload("/api/v1/import", "application/json", export).expect(t, http.StatusUnprocessableEntity)
	for _, title := range []string{"Nova festival", "El Geneina", "Hamas", "Rapid Support Forces", "Mission report"} {
		if bytes.Contains(res.body, []byte(title)) {
			t.Errorf("the rejections quote %q: %s", title, clip(res.body))
		}
	}
}

func TestImportSingleCSV(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c := newClient(t, d)
		csv := "name,country_code,on_security_council_agenda,conflict_class\nSudan,SD,true,NIAC\nHaiti,HT,true,NIAC\n"
		var report importReport
		c.upload("/api/v1/import?format=csv", "text/csv", []byte(csv)).expect(t, http.StatusOK).decode(t, &report)
		if report.Imported.Situations != 2 {
			t.Errorf("report %+v", report)
		}
		bad := "name,conflict_class\nSouth Sudan,civil war\n"
		p := c.upload("/api/v1/import?format=csv", "text/csv; charset=utf-8", []byte(bad)).expect(t, http.StatusUnprocessableEntity).problem(t)
		if len(p.Rejections) != 1 || p.Rejections[0].Row != 2 || p.Rejections[0].Field != "conflict_class" {
			t.Errorf("rejections %+v", p.Rejections)
		}
	})
}

func TestImportRequestErrors(t *testing.T) {
	c := newClient(t, dbtest.SQLite(t))
	tests := []struct {
		name, path, contentType, body string
		status                        int
		want                          []string
	}{
		{"unknown format", "/api/v1/import?format=xml", "application/json", "{}", 400, []string{"format:not_allowed"}},
		{"bad partial", "/api/v1/import?partial=maybe", "application/json", "{}", 400, []string{"partial:invalid_boolean"}},
		{"format and type disagree", "/api/v1/import?format=json", "text/csv", "a,b\n", 415, nil},
		{"csv as json", "/api/v1/import?format=csv", "application/json", "{}", 415, nil},
		{"no type", "/api/v1/import", "", "{}", 415, nil},
		{"not a zip", "/api/v1/import?format=csv", "application/zip", "this is not a zip", 400, nil},
		{"export format", "/api/v1/export?format=pdf", "", "", 400, []string{"format:not_allowed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "POST"
			var body any = []byte(tt.body)
			if strings.HasPrefix(tt.path, "/api/v1/export") {
				method, body = "GET", nil
			}
			res := c.do(request{method: method, path: tt.path, body: body, headers: []string{"Content-Type", tt.contentType}})
			p := res.expect(t, tt.status).problem(t)
			if got := fieldCodes(p); !slices.Equal(got, tt.want) && len(tt.want) > 0 {
				t.Errorf("errors %v, want %v", got, tt.want)
			}
		})
	}
}

// TestExportFailure: an export that fails before sending anything is
// answered with a problem, not with an empty attachment.
func TestExportFailure(t *testing.T) {
	c := newClient(t, dbtest.SQLite(t))
	c.world(t)
	c.a.DB.Close()
	res := c.get("/api/v1/export?format=json").expect(t, http.StatusInternalServerError)
	if p := res.problem(t); p.Type != typeInternal {
		t.Errorf("type %q", p.Type)
	}
	if cd := res.header.Get("Content-Disposition"); cd != "" {
		t.Errorf("a failed export still offers an attachment: %q", cd)
	}
}

func TestExportForAUseWithholdsCodes(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c := newClient(t, d)
		c.post("/api/v1/incidents", map[string]any{"title": "Attack on a camp",
			"acts": []any{map[string]any{"violation_type": "rape", "victim": map[string]any{"code": "SYN-0009"}}}}).expect(t, 201)
		res := c.get("/api/v1/export?for=un_sharing").expect(t, http.StatusOK)
		if bytes.Contains(res.body, []byte("SYN-0009")) {
			t.Fatal("a code without consent went into an export for UN sharing")
		}
		if got := res.header.Get("Dossier-Withheld"); got != "1 of 1 victim codes" {
			t.Fatalf("Dossier-Withheld %q", got)
		}
		if all := c.get("/api/v1/export").expect(t, http.StatusOK); !bytes.Contains(all.body, []byte("SYN-0009")) {
			t.Fatal("the organisation's own export lost the code")
		}
		c.get("/api/v1/export?for=gossip").expect(t, http.StatusBadRequest)
	})
}
