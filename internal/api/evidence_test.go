package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/dossier-org/dossier/internal/blob/blobtest"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
)

func init() {
	// The document takes any media type as evidence content; the validator
	// needs to be told to read these as opaque bytes.
	for _, mt := range []string{"image/png", "image/jpeg", "text/plain", "application/octet-stream", "application/pdf"} {
		openapi3filter.RegisterBodyDecoder(mt, openapi3filter.FileBodyDecoder)
	}
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 30, 20))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// vaultClient is a client whose Dossier keeps evidence in a fresh local
// blob store, with an incident (and its act) to link evidence to.
func vaultClient(t *testing.T, d *db.DB) (*client, *incident.Incident) {
	t.Helper()
	c := newClient(t, d)
	c.a.WithBlobs(blobtest.Local(t))
	in := &incident.Incident{Title: "Attack", Acts: []incident.Act{{ViolationType: incident.Rape}}}
	if err := c.a.Incidents.Create(record.WithActor(t.Context(), "test"), in); err != nil {
		t.Fatal(err)
	}
	return c, in
}

func (c *client) raw(path, contentType string, body []byte, headers ...string) *response {
	return c.do(request{method: "POST", path: path, body: body, headers: append([]string{"Content-Type", contentType}, headers...)})
}

func TestEvidenceUploadRaw(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c, in := vaultClient(t, d)
		content := testPNG(t)
		res := c.raw("/api/v1/evidence?incident="+in.ID+"&act="+in.Acts[0].ID+"&category=crime_base,linkage&filename=scene.png&sha256="+hexSum(content),
			"application/octet-stream", content).expect(t, http.StatusCreated)
		var it evidence.Item
		res.decode(t, &it)
		if res.header.Get("Location") != "/api/v1/evidence/"+it.ID || res.header.Get("ETag") != `W/"1"` {
			t.Errorf("headers %v", res.header)
		}
		if it.MediaType != "image/png" || it.Type != evidence.Photo || it.Blob.SHA256 != hexSum(content) ||
			len(it.Links) != 2 || len(it.Categories) != 2 || it.Thumbnail == nil || it.Filename != "scene.png" {
			t.Errorf("item %+v", it)
		}

		// The same content again, its hash as a Content-Digest header.
		digest := sha256.Sum256(content)
		res = c.raw("/api/v1/evidence", "image/png", content,
			"Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(digest[:])+":").expect(t, http.StatusCreated)
		if res.header.Get("Dossier-Duplicates") != it.ID {
			t.Errorf("Dossier-Duplicates %q", res.header.Get("Dossier-Duplicates"))
		}

		p := c.raw("/api/v1/evidence?sha256="+hexSum([]byte("other")), "image/png", content).expect(t, http.StatusUnprocessableEntity).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"sha256:hash_mismatch"}) {
			t.Errorf("wrong hash: %v", p)
		}
		p = c.raw("/api/v1/evidence?incident=nope&type=rumour&colour=red", "image/png", content).expect(t, http.StatusBadRequest).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"colour:unknown_parameter", "incident:invalid_id", "type:not_allowed"}) {
			t.Errorf("bad parameters: %v", fieldCodes(p))
		}
		p = c.raw("/api/v1/evidence?incident="+record.NewID(), "image/png", content).expect(t, http.StatusUnprocessableEntity).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"links[0].id:not_found"}) {
			t.Errorf("missing incident: %v", fieldCodes(p))
		}

		var page evidencePage
		c.get("/api/v1/evidence?incident="+in.ID).expect(t, http.StatusOK).decode(t, &page)
		if page.Total != 1 || page.Evidence[0].ID != it.ID {
			t.Errorf("list %+v", page)
		}
		c.get("/api/v1/evidence?limit=1").expect(t, http.StatusOK).decode(t, &page)
		if page.Total != 2 || len(page.Evidence) != 1 {
			t.Errorf("page %+v", page)
		}
		p = c.get("/api/v1/evidence?category=crime-base").expect(t, http.StatusBadRequest).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"category:not_allowed"}) {
			t.Errorf("bad filter %v", fieldCodes(p))
		}
	})
}

type formPart struct {
	name, filename, contentType string
	body                        []byte
}

func multipartBody(t *testing.T, parts ...formPart) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := `form-data; name="` + p.name + `"`
		if p.filename != "" {
			disp += `; filename="` + p.filename + `"`
		}
		h.Set("Content-Disposition", disp)
		h.Set("Content-Type", p.contentType)
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.body)
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func TestEvidenceUploadMultipart(t *testing.T) {
	c, in := vaultClient(t, dbtest.SQLite(t))
	html := []byte("<!DOCTYPE html><html><body>a post</body></html>")
	shot := testPNG(t)
	video := []byte("not really a video, but content all the same")
	meta := map[string]any{
		"type": "open_source_capture", "description": "A post showing the attack", "sha256": hexSum(video),
		"links":   []map[string]string{{"kind": "incident", "id": in.ID}},
		"capture": map[string]any{"by": "OSINT team", "date": map[string]string{"start": "2023-10", "precision": "month"}, "device": "laptop"},
		"open_source": map[string]any{"url": "https://t.me/example/42", "captured_at": "2023-10-08T09:15:00Z",
			"html_source": map[string]any{"sha256": hexSum(html)}, "tool": "Hunchly", "tool_version": "2.4"},
	}
	metaJSON, _ := json.Marshal(meta)
	body, ct := multipartBody(t,
		formPart{"metadata", "", "application/json", metaJSON},
		formPart{"html_source", "page.html", "text/html", html},
		formPart{"full_page", "page.png", "image/png", shot},
		formPart{"file", "post.bin", "application/octet-stream", video})
	var it evidence.Item
	c.raw("/api/v1/evidence", ct, body).expect(t, http.StatusCreated).decode(t, &it)
	o := it.OpenSource
	if o == nil || o.HTMLSource.SHA256 != hexSum(html) || o.FullPage.SHA256 != hexSum(shot) || o.URL != "https://t.me/example/42" ||
		it.Filename != "post.bin" || it.Capture.Date.End != "2023-10-31" || it.Type != evidence.OpenSourceCapture {
		t.Errorf("item %+v, open source %+v", it, o)
	}

	for _, tc := range []struct {
		name  string
		parts []formPart
		want  int
		codes []string
	}{
		{"unknown metadata field", []formPart{{"metadata", "", "application/json", []byte(`{"tpye": "photo", "blob": {}}`)},
			{"file", "x", "text/plain", video}}, http.StatusBadRequest, []string{"blob:read_only", "tpye:unknown_field"}},
		{"metadata after the file's captures", []formPart{{"html_source", "", "text/html", html},
			{"metadata", "", "application/json", metaJSON}}, http.StatusBadRequest, nil},
		{"no file", []formPart{{"metadata", "", "application/json", []byte(`{}`)}}, http.StatusBadRequest, nil},
		{"capture file with the wrong hash", []formPart{{"metadata", "", "application/json", metaJSON},
			{"html_source", "", "text/html", []byte("changed")}, {"file", "", "text/plain", video}}, http.StatusUnprocessableEntity,
			[]string{"open_source.html_source.sha256:hash_mismatch"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := multipartBody(t, tc.parts...)
			p := c.raw("/api/v1/evidence", ct, body).expect(t, tc.want).problem(t)
			if tc.codes != nil && !slices.Equal(fieldCodes(p), tc.codes) {
				t.Errorf("errors %v, want %v", fieldCodes(p), tc.codes)
			}
		})
	}
}

func TestEvidenceEditAndCustody(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c, in := vaultClient(t, d)
		content := testPNG(t)
		var it evidence.Item
		c.raw("/api/v1/evidence?description=first&language=en", "image/png", content).expect(t, http.StatusCreated).decode(t, &it)
		base := "/api/v1/evidence/" + it.ID

		patch := func(body string, headers ...string) *response {
			return c.do(request{method: "PATCH", path: base, body: body,
				headers: append([]string{"Content-Type", "application/merge-patch+json"}, headers...)})
		}
		var got evidence.Item
		res := patch(`{"description": null, "type": "perpetrator_media", "links": [{"kind": "incident", "id": "`+in.ID+`"}],
			"capture": {"by": "W-3", "latitude": 31.4, "longitude": 34.5}}`, "If-Match", `W/"1"`).expect(t, http.StatusOK)
		res.decode(t, &got)
		if got.Version != 2 || got.Description != "" || got.Type != evidence.PerpetratorMedia || got.Language != "en" ||
			len(got.Links) != 1 || got.Capture.By != "W-3" || got.Blob != it.Blob || res.header.Get("ETag") != `W/"2"` {
			t.Errorf("patched %+v", got)
		}
		patch(`{"description": "stale"}`, "If-Match", `W/"1"`).expect(t, http.StatusConflict)
		p := patch(`{"blob": {"sha256": "00"}, "media_type": "text/html"}`, "If-Match", `W/"2"`).expect(t, http.StatusBadRequest).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"blob:read_only", "media_type:read_only"}) {
			t.Errorf("read-only: %v", fieldCodes(p))
		}
		p = patch(`{"categories": ["crime"], "capture": {"latitude": "north"}}`, "If-Match", `W/"2"`).expect(t, http.StatusBadRequest).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"capture.latitude:invalid_type", "categories[0]:invalid_type"}) &&
			!slices.Equal(fieldCodes(p), []string{"capture.latitude:invalid_type"}) {
			t.Errorf("wrong types: %v", fieldCodes(p))
		}
		p = patch(`{"categories": ["crime"]}`, "If-Match", `W/"2"`).expect(t, http.StatusUnprocessableEntity).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"categories[0]:not_allowed"}) {
			t.Errorf("bad category: %v", fieldCodes(p))
		}
		p = patch(`{"description": "x"}`).expect(t, http.StatusBadRequest).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"version:required"}) {
			t.Errorf("no version: %v", fieldCodes(p))
		}
		c.do(request{method: "PATCH", path: "/api/v1/evidence/" + record.NewID(), body: `{"version": 1}`,
			headers: []string{"Content-Type", "application/json"}}).expect(t, http.StatusNotFound)

		// A partial read is a custody event with the stored content
		// rehashed; a second within the window is the same access.
		res = c.do(request{method: "GET", path: base + "/content?download=true", headers: []string{"Range", "bytes=0-9"}}).expect(t, http.StatusPartialContent)
		if !bytes.Equal(res.body, content[:10]) || !strings.HasPrefix(res.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("range: %q %v", res.body, res.header)
		}
		c.do(request{method: "GET", path: base + "/content", headers: []string{"Range", "bytes=10-19"}}).expect(t, http.StatusPartialContent)
		c.do(request{method: "GET", path: base + "/content", headers: []string{"If-None-Match", `"` + it.Blob.SHA256 + `"`}}).expect(t, http.StatusNotModified)
		// Reading it whole is always recorded, with the hash of what was sent.
		res = c.get(base+"/content?purpose=review").expect(t, http.StatusOK)
		if !bytes.Equal(res.body, content) || res.header.Get("Content-Type") != "image/png" ||
			res.header.Get("ETag") != `"`+it.Blob.SHA256+`"` || !strings.HasPrefix(res.header.Get("Content-Disposition"), "inline") ||
			res.header.Get("Content-Security-Policy") == "" {
			t.Errorf("content headers %v", res.header)
		}

		res = c.get(base+"/thumbnail").expect(t, http.StatusOK)
		if _, err := jpeg.Decode(bytes.NewReader(res.body)); err != nil || res.header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("thumbnail: %v", err)
		}

		res = c.post(base+"/custody", map[string]any{"kind": "transferred", "by": "Investigator A", "recipient": "ICC OTP",
			"at": "2024-01-15T10:00:00Z", "place": "The Hague", "sha256": it.Blob.SHA256}).expect(t, http.StatusCreated)
		var ev evidence.Event
		res.decode(t, &ev)
		if ev.HashSource != evidence.Reported || ev.RecordedBy != Actor || ev.EvidenceID != it.ID {
			t.Errorf("event %+v", ev)
		}
		p = c.post(base+"/custody", map[string]any{"kind": "transferred", "at": "2024-01-15T10:00:00Z", "audit_index": 3}).
			expect(t, http.StatusBadRequest).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"audit_index:read_only"}) {
			t.Errorf("read-only: %v", fieldCodes(p))
		}
		p = c.post(base+"/custody", map[string]any{"kind": "lost", "at": "2024-01-15T10:00:00Z"}).expect(t, http.StatusUnprocessableEntity).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"kind:not_allowed", "by:required"}) {
			t.Errorf("invalid event: %v", fieldCodes(p))
		}

		var list struct{ Custody []evidence.Event }
		c.get(base+"/custody").expect(t, http.StatusOK).decode(t, &list)
		var kinds []evidence.EventKind
		for _, e := range list.Custody {
			kinds = append(kinds, e.Kind)
			if e.Kind == evidence.Accessed && e.SHA256 != it.Blob.SHA256 {
				t.Errorf("access without the verified hash: %+v", e)
			}
		}
		// The first partial read and the full one; the second partial read
		// fell within the same window, the 304 handed out nothing.
		if want := []evidence.EventKind{evidence.Transferred, evidence.Received, evidence.Accessed, evidence.Accessed}; !slices.Equal(kinds, want) {
			t.Fatalf("custody %v, want %v", kinds, want)
		}
		if list.Custody[2].Notes != "partial read: bytes=0-9" || list.Custody[3].Purpose != "review" {
			t.Errorf("accesses %+v", list.Custody[2:])
		}

		res = c.get(base+"/custody.csv").expect(t, http.StatusOK)
		rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
		if err != nil || len(rows) != 5 || rows[1][4] != "transferred" || rows[1][11] != "true" || rows[4][4] != "accessed" {
			t.Errorf("CSV %q %v", rows, err)
		}

		var h struct{ History []map[string]any }
		c.get(base+"/history").expect(t, http.StatusOK).decode(t, &h)
		if len(h.History) != 2 {
			t.Errorf("history %v", h)
		}
		c.get("/api/v1/evidence/"+record.NewID()).expect(t, http.StatusNotFound)
		c.get("/api/v1/evidence/"+record.NewID()+"/content").expect(t, http.StatusNotFound)
		c.get("/api/v1/evidence/not-an-id/custody").expect(t, http.StatusNotFound)
	})
}

func TestEvidenceWithoutVault(t *testing.T) {
	c := newClient(t, dbtest.SQLite(t))
	res := c.get("/api/v1/evidence").expect(t, http.StatusServiceUnavailable)
	if res.problem(t).Title != "Evidence vault unavailable" {
		t.Errorf("%s", res.body)
	}
}
