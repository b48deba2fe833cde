package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
)

func TestBodyErrors(t *testing.T) {
	c := newClient(t, dbtest.SQLite(t))
	tests := []struct {
		name     string
		body     string
		status   int
		typ      string
		want     []string // field:code
		inDetail string
	}{
		{"empty", "", 400, typeMalformedJSON, nil, "empty"},
		{"syntax", `{"title": "x",}`, 400, typeMalformedJSON, nil, "at byte"},
		{"truncated", `{"title": "x"`, 400, typeMalformedJSON, nil, "middle"},
		{"not an object", `["title"]`, 400, typeMalformedJSON, nil, "object"},
		{"two values", `{"title": "a"} {"title": "b"}`, 400, typeMalformedJSON, nil, "more than one"},
		{"wrong type", `{"title": 5}`, 400, typeInvalidRequest, []string{"title:invalid_type"}, ""},
		{"null string", `{"title": null}`, 400, typeInvalidRequest, []string{"title:invalid_type"}, ""},
		{"nested wrong type", `{"title": "x", "acts": [{"violation_type": "rape", "victim": {"count": "two"}}]}`,
			400, typeInvalidRequest, []string{"acts[0].victim.count:invalid_type"}, ""},
		{"fraction for a count", `{"title": "x", "acts": [{"violation_type": "rape", "victim": {"count": 1.5}}]}`,
			400, typeInvalidRequest, []string{"acts[0].victim.count:invalid_type"}, ""},
		{"object for a list", `{"title": "x", "acts": {"violation_type": "rape"}}`, 400, typeInvalidRequest, []string{"acts:invalid_type"}, ""},
		{"unknown field", `{"titel": "x"}`, 400, typeInvalidRequest, []string{"titel:unknown_field"}, ""},
		{"field in the wrong case", `{"Title": "x"}`, 400, typeInvalidRequest, []string{"Title:unknown_field"}, ""},
		{"nested unknown field", `{"title": "x", "place": {"city": "x"}, "acts": [{"violation_type": "rape", "victim": {"name": "x"}}]}`,
			400, typeInvalidRequest, []string{"acts[0].victim.name:unknown_field", "place.city:unknown_field"}, ""},
		{"every problem at once", `{"titel": "x", "status": 3, "version": 2}`, 400, typeInvalidRequest,
			[]string{"version:read_only", "status:invalid_type", "titel:unknown_field"}, ""},
		{"valid JSON, invalid record", `{"title": " ", "context": "market"}`, 422, typeValidation,
			[]string{"title:required", "context:not_allowed"}, ""},
		{"null list is empty", `{"title": "x", "acts": null, "information": null}`, 201, "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.do(request{method: "POST", path: "/api/v1/incidents", body: []byte(tt.body)}).expect(t, tt.status)
			if tt.status == 201 {
				return
			}
			p := res.problem(t)
			if p.Type != tt.typ {
				t.Errorf("type %q, want %q", p.Type, tt.typ)
			}
			if got := fieldCodes(p); !slices.Equal(got, tt.want) {
				t.Errorf("errors %v, want %v", got, tt.want)
			}
			if !strings.Contains(p.Detail, tt.inDetail) {
				t.Errorf("detail %q lacks %q", p.Detail, tt.inDetail)
			}
		})
	}
}

func TestHTTPErrors(t *testing.T) {
	c := newClient(t, dbtest.SQLite(t))
	t.Run("media type", func(t *testing.T) {
		p := c.do(request{method: "POST", path: "/api/v1/situations", body: `{"name": "Sudan"}`,
			headers: []string{"Content-Type", "text/plain"}}).expect(t, http.StatusUnsupportedMediaType).problem(t)
		if p.Type != typeUnsupportedMedia {
			t.Errorf("type %q", p.Type)
		}
		c.do(request{method: "POST", path: "/api/v1/situations", body: `{"name": "Sudan"}`,
			headers: []string{"Content-Type", ""}}).expect(t, http.StatusUnsupportedMediaType)
		c.do(request{method: "POST", path: "/api/v1/situations", body: `{"name": "Sudan"}`,
			headers: []string{"Content-Type", "application/json; charset=utf-8"}}).expect(t, http.StatusCreated)
	})
	t.Run("too large", func(t *testing.T) {
		body := `{"name": "` + strings.Repeat("x", maxRecordBody) + `"}`
		p := c.post("/api/v1/situations", body).expect(t, http.StatusRequestEntityTooLarge).problem(t)
		if p.Type != typeTooLarge {
			t.Errorf("type %q", p.Type)
		}
	})
	t.Run("method not allowed", func(t *testing.T) {
		for _, tt := range []struct{ method, path, allow string }{
			{"DELETE", "/api/v1/incidents", "GET, HEAD, POST"},
			{"PATCH", "/api/v1/parties/0190b5a4-7c7e-7b4e-9b0e-3c1a2b3c4d5e", "GET, HEAD, PUT"},
			{"POST", "/api/v1/vocabularies", "GET, HEAD"},
		} {
			res := c.do(request{method: tt.method, path: tt.path}).expect(t, http.StatusMethodNotAllowed)
			if got := res.header.Get("Allow"); got != tt.allow {
				t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
			}
			if p := res.problem(t); p.Type != typeMethodNotAllowed {
				t.Errorf("type %q", p.Type)
			}
		}
	})
	t.Run("unknown path", func(t *testing.T) {
		for _, path := range []string{"/api/v1/", "/api/v1/victims", "/api/v1/incidents/x/y/z"} {
			if p := c.get(path).expect(t, http.StatusNotFound).problem(t); p.Type != typeNotFound {
				t.Errorf("%s: type %q", path, p.Type)
			}
		}
	})
	t.Run("unknown query parameter on a record", func(t *testing.T) {
		p := c.get("/api/v1/vocabularies?lang=fr").expect(t, http.StatusBadRequest).problem(t)
		if got := fieldCodes(p); !slices.Equal(got, []string{"lang:unknown_parameter"}) {
			t.Errorf("errors %v", got)
		}
	})
}

// TestNoRecordContentsInErrors sends identifying text where it does not
// belong and checks it comes back in no error and reaches no log.
func TestNoRecordContentsInErrors(t *testing.T) {
	var logs bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))

	c := newClient(t, dbtest.SQLite(t))
	const secret = "Amira Haddad"
	bodies := []string{
		`{"title": "x", "acts": [{"violation_type": "` + secret + `"}]}`,
		`{"title": "x", "date": {"start": "` + secret + `"}}`,
		`{"title": "x", "place": {"country": "` + secret + `"}}`,
		`{"title": "x", "situation_id": "` + secret + `"}`,
		`{"title": "x", "acts": [{"violation_type": "rape", "victim": {"code": "` + strings.Repeat(secret, 10) + `"}}]}`,
		`{"title": "` + secret + `", "acts": [{"violation_type": "rape", "victim": {"count": "` + secret + `"}}]}`,
		`{"title": "` + secret + `",`,
	}
	for _, b := range bodies {
		res := c.do(request{method: "POST", path: "/api/v1/incidents", body: []byte(b)})
		if res.status < 400 {
			t.Fatalf("accepted %s", b)
		}
		if bytes.Contains(res.body, []byte("Amira")) {
			t.Errorf("the error repeats the record's text: %s", res.body)
		}
	}
	res := c.get("/api/v1/incidents?violation_type=" + strings.ReplaceAll(secret, " ", "+") + "&situation=" + strings.ReplaceAll(secret, " ", "+"))
	res.expect(t, http.StatusBadRequest)
	if bytes.Contains(res.body, []byte("Amira")) {
		t.Errorf("the error repeats the query: %s", res.body)
	}
	// A failure inside the store is logged by its cause only, never with
	// the record: the store's own message quotes the name.
	if err := c.a.DB.Write(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(context.Background(), `DROP TABLE situations`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	res = c.post("/api/v1/situations", `{"name": "`+secret+`"}`).expect(t, http.StatusInternalServerError)
	if p := res.problem(t); p.Type != typeInternal || strings.Contains(p.Detail, "Amira") {
		t.Errorf("internal error %+v", p)
	}
	if !strings.Contains(logs.String(), "api request failed") || strings.Contains(logs.String(), "Amira") {
		t.Errorf("log: %s", logs.String())
	}
}

func TestActor(t *testing.T) {
	c := newClient(t, dbtest.SQLite(t))
	var created struct {
		CreatedBy string `json:"created_by"`
	}
	c.post("/api/v1/situations", `{"name": "Sudan"}`).expect(t, http.StatusCreated).decode(t, &created)
	if created.CreatedBy != "api" {
		t.Errorf("created by %q", created.CreatedBy)
	}
	// An outer layer that knows who is acting wins.
	req := httptest.NewRequest("POST", "/api/v1/situations", strings.NewReader(`{"name": "Haiti"}`))
	req.Header.Set("Content-Type", "application/json")
	req = req.WithContext(record.WithActor(context.Background(), "analyst:ines"))
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"created_by":"analyst:ines"`) {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}

func TestCheckJSON(t *testing.T) {
	type inner struct {
		N int `json:"n"`
	}
	type sample struct {
		record.Meta
		S     string          `json:"s"`
		F     *float64        `json:"f,omitempty"`
		B     bool            `json:"b"`
		L     []inner         `json:"l"`
		V     incident.Victim `json:"v"`
		Names []party.Name    `json:"names"`
		Hid   string          `json:"-"`
		Small int8            `json:"small"`
	}
	tests := []struct {
		json string
		want []string
	}{
		{`{}`, nil},
		{`{"id": "x", "version": 3, "created_at": "2024-03-04T12:00:00Z"}`, nil},
		{`{"created_at": "yesterday"}`, []string{"created_at:invalid_time"}},
		{`{"s": "x", "f": null, "b": true, "l": [{"n": 1}], "v": {"count": 2, "sex": "female"}}`, nil},
		{`{"f": "1"}`, []string{"f:invalid_type"}},
		{`{"b": "true"}`, []string{"b:invalid_type"}},
		{`{"l": [{"n": 1}, {"n": "2"}, {"m": 3}]}`, []string{"l[1].n:invalid_type", "l[2].m:unknown_field"}},
		{`{"l": null}`, nil},
		{`{"v": null}`, []string{"v:invalid_type"}},
		{`{"names": [{"name": "x", "lang": "ar", "alias": "no"}]}`, []string{"names[0].alias:invalid_type"}},
		{`{"Hid": "x"}`, []string{"Hid:unknown_field"}},
		{`{"small": 200}`, []string{"small:out_of_range"}},
		{`{"small": 1e2}`, []string{"small:invalid_type"}},
	}
	for _, tt := range tests {
		var v any
		dec := json.NewDecoder(strings.NewReader(tt.json))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		errs := checkJSON(v, reflect.TypeFor[sample](), "")
		got := make([]string, len(errs))
		for i, e := range errs {
			got[i] = e.Field + ":" + e.Code
		}
		if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("%s: %v, want %v", tt.json, got, tt.want)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		in, message, reason string
	}{
		{`"Amira" is not one of: rape, gang_rape`, "is not one of: rape, gang_rape", "is not one of: rape, gang_rape"},
		{`"a \"quoted\" name" is not a record ID`, "is not a record ID", "is not a record ID"},
		{"no party has ID 0190b5a4", "no party has ID 0190b5a4", "no party has ID 0190b5a4"},
		{`not imported: party "Amira" (parties.csv row 3) was rejected`,
			`not imported: party "Amira" (parties.csv row 3) was rejected`, "not imported: party … (parties.csv row 3) was rejected"},
		{`is not "dossier": this is not a Dossier document`, `is not "dossier": this is not a Dossier document`,
			`is not "dossier": this is not a Dossier document`},
	}
	for _, tt := range tests {
		if got := redactText(tt.in); got != tt.message {
			t.Errorf("redactText(%s) = %s, want %s", tt.in, got, tt.message)
		}
		if got := redactReason(tt.in); got != tt.reason {
			t.Errorf("redactReason(%s) = %s, want %s", tt.in, got, tt.reason)
		}
	}
}
