package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/blob/blobtest"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/upload"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// evidenceEnv is the seeded record of web_test.go with an evidence store.
type evidenceEnv struct {
	*env
	store *evidence.Store
}

func newEvidenceEnv(t *testing.T) *evidenceEnv {
	t.Helper()
	d := dbtest.SQLite(t)
	a := app.New(d).WithBlobs(blobtest.Local(t))
	h, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, a: a, h: h, ctx: record.WithActor(context.Background(), "test:seed")}
	e.seed()
	return &evidenceEnv{env: e, store: a.Evidence}
}

// picture is a small PNG, distinct for each seed.
func picture(t testing.TB, seed byte) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = byte(i) ^ seed
	}
	img.Set(0, 0, color.White)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (e *evidenceEnv) ingest(name string, content []byte, it *evidence.Item) *evidence.Item {
	e.t.Helper()
	if it == nil {
		it = &evidence.Item{}
	}
	it.Filename = name
	if _, err := e.store.Ingest(e.ctx, bytes.NewReader(content), "", it); err != nil {
		e.t.Fatal(err)
	}
	return it
}

func (e *evidenceEnv) custody(id string) []evidence.Event {
	e.t.Helper()
	events, err := e.store.Custody(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return events
}

func TestEvidenceListAndPage(t *testing.T) {
	e := newEvidenceEnv(t)
	photo := picture(t, 1)
	it := e.ingest("market-square.png", photo, &evidence.Item{Type: evidence.Photo,
		Categories: []evidence.Category{evidence.CrimeBase}, Description: "The market square after the attack",
		Capture: evidence.Capture{By: "W-17", Date: record.Date{Start: "2023-06-12"}, Place: "El Geneina"},
		Links:   []evidence.Link{{Kind: evidence.LinkIncident, ID: e.darfur.ID}, {Kind: evidence.LinkAct, ID: e.darfur.Acts[0].ID}}})
	e.ingest("statement.txt", []byte("Statement of W-17.\n"), &evidence.Item{Type: evidence.EyewitnessTestimony})

	r := e.get("/evidence", "en")
	r.wantStatus(t, http.StatusOK)
	r.contains(t, "2 items of evidence", "market-square.png", "statement.txt", `src="/evidence/`+it.ID+`/thumbnail"`,
		"Photograph", "Crime-base evidence", "12 June 2023", "Eyewitness testimony")

	r = e.get("/evidence?incident="+e.darfur.ID, "en")
	r.wantStatus(t, http.StatusOK)
	r.contains(t, "1 item of evidence", "market-square.png", "El Geneina market")
	r.lacks(t, "statement.txt")
	e.get("/evidence?incident="+e.nova.ID, "en").contains(t, "No evidence matches these filters")
	e.get("/evidence?type=video", "en").contains(t, "No evidence matches")
	e.get("/evidence?category=crime_base", "fr").contains(t, "1 élément de preuve", "Preuve des faits criminels")
	r = e.get("/evidence?type=selfie&incident=nope", "en")
	r.wantStatus(t, http.StatusBadRequest)
	r.contains(t, "There are 2 problems", "Choose one of the values offered.")

	r = e.get("/evidence/"+it.ID, "en")
	r.wantStatus(t, http.StatusOK)
	r.contains(t, "market-square.png", it.Blob.SHA256, "image/png", "What people recorded", "What the file itself says",
		"extracted, not verified", "W-17", "The market square after the attack", "El Geneina",
		`href="/incidents/`+e.darfur.ID+`"`, `href="/incidents/`+e.darfur.ID+`#act-`+e.darfur.Acts[0].ID+`"`, "Act 1",
		"Chain of custody", "Received", "computed by Dossier; matches", "64 × 48", "Show the file")
	// The file itself is shown only on request.
	r.lacks(t, `src="/evidence/`+it.ID+`/content"`)
	r = e.get("/evidence/"+it.ID+"?view=1", "en")
	r.contains(t, `<img src="/evidence/`+it.ID+`/content" alt="market-square.png">`)

	r = e.get("/evidence/"+it.ID, "ar")
	r.contains(t, `dir="rtl"`, "سلسلة الحيازة", "ما سجّله الأشخاص", "صورة فوتوغرافية", "استلام")

	e.get("/incidents/"+e.darfur.ID, "en").contains(t, `href="/evidence?incident=`+e.darfur.ID+`"`, `href="/evidence/new?incident=`+e.darfur.ID+`"`)
	e.get("/evidence/"+record.NewID(), "en").wantStatus(t, http.StatusNotFound)
	e.get("/evidence/not-an-id", "en").wantStatus(t, http.StatusNotFound)
}

func TestEvidenceContent(t *testing.T) {
	e := newEvidenceEnv(t)
	photo := picture(t, 2)
	it := e.ingest("photo.png", photo, nil)

	r := e.get("/evidence/"+it.ID+"/content", "en")
	r.wantStatus(t, http.StatusOK)
	if r.body != string(photo) {
		t.Fatal("the content served is not the file")
	}
	for k, want := range map[string]string{"Content-Type": "image/png", "Content-Disposition": "inline; filename*=UTF-8''photo.png",
		"Cache-Control": "no-store", "X-Frame-Options": "SAMEORIGIN", "ETag": `"` + it.Blob.SHA256 + `"`} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "frame-ancestors 'self'") {
		t.Errorf("content CSP %q", csp)
	}
	events := e.custody(it.ID)
	if len(events) != 2 || events[1].Kind != evidence.Accessed || events[1].SHA256 != it.Blob.SHA256 ||
		events[1].HashSource != evidence.Computed || events[1].By != "web" || events[1].Purpose != "viewed in the web interface" {
		t.Fatalf("custody after a view: %+v", events)
	}

	// A video player's range requests: served partially, recorded once,
	// with the stored content rehashed.
	clipBytes := picture(t, 9)
	clip := e.ingest("clip.png", clipBytes, nil)
	for range 3 {
		req := httptest.NewRequest(http.MethodGet, "/evidence/"+clip.ID+"/content", nil)
		req.Header.Set("Range", "bytes=0-9")
		r = e.do(req)
		r.wantStatus(t, http.StatusPartialContent)
		if r.body != string(clipBytes[:10]) || r.header.Get("Content-Range") != fmt.Sprintf("bytes 0-9/%d", clip.Blob.Size) {
			t.Fatalf("range: %q %s", r.body, r.header.Get("Content-Range"))
		}
	}
	if events := e.custody(clip.ID); len(events) != 2 || events[1].Kind != evidence.Accessed || events[1].SHA256 != clip.Blob.SHA256 {
		t.Errorf("custody after partial reads: %+v", events)
	}

	r = e.get("/evidence/"+it.ID+"/content?download=1", "en")
	if got := r.header.Get("Content-Disposition"); got != "attachment; filename*=UTF-8''photo.png" || r.header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("download: %s, %s", got, r.header.Get("Content-Type"))
	}
	if events := e.custody(it.ID); events[len(events)-1].Purpose != "downloaded through the web interface" {
		t.Errorf("a download is recorded as %q", events[len(events)-1].Purpose)
	}

	r = e.get("/evidence/"+it.ID+"/thumbnail", "en")
	r.wantStatus(t, http.StatusOK)
	if r.header.Get("Content-Type") != "image/jpeg" || !bytes.HasPrefix([]byte(r.body), []byte{0xff, 0xd8}) {
		t.Errorf("thumbnail: %s", r.header.Get("Content-Type"))
	}

	// Content a browser could run is never served inline.
	page := e.ingest("capture.html", []byte("<!doctype html><script>alert(1)</script>"), nil)
	r = e.get("/evidence/"+page.ID+"/content", "en")
	if r.header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("HTML evidence served as %s, %s", r.header.Get("Content-Type"), r.header.Get("Content-Disposition"))
	}
	e.get("/evidence/"+page.ID, "en").contains(t, "This kind of file is not shown in the browser.")
	e.get("/evidence/"+page.ID+"/thumbnail", "en").wantStatus(t, http.StatusNotFound)
}

func TestCustodyByHand(t *testing.T) {
	e := newEvidenceEnv(t)
	it := e.ingest("clip.png", picture(t, 3), nil)
	at := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Minute)

	r := e.post("/evidence/"+it.ID+"/custody", "en", url.Values{"kind": {"transferred"}, "by": {"HRW field team"},
		"recipient": {"Office of the Prosecutor"}, "at": {at.Format("2006-01-02T15:04")}, "place": {"The Hague"},
		"purpose": {"for the investigation"}, "sha256": {strings.ToUpper(it.Blob.SHA256)}, "notes": {"sealed drive no. 4"}})
	r.wantStatus(t, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "/evidence/"+it.ID+"#custody" {
		t.Errorf("redirected to %s", loc)
	}
	events := e.custody(it.ID)
	got := events[0]
	if len(events) != 2 || got.Kind != evidence.Transferred || !got.At.Equal(at) || got.Recipient != "Office of the Prosecutor" ||
		got.HashSource != evidence.Reported || got.SHA256 != it.Blob.SHA256 || got.RecordedBy != "web" {
		t.Fatalf("custody %+v", events)
	}

	// Mistakes are shown beside their fields, and nothing is recorded.
	r = e.post("/evidence/"+it.ID+"/custody", "en", url.Values{"kind": {"transferred"}, "by": {""},
		"at": {"2999-01-01T00:00"}, "sha256": {"abc"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, `id="error-summary"`, "Who did it or held it: This is required.", "To whom: This is required.",
		"When: This is in the future.", "Give a SHA-256 as 64 hexadecimal characters.", `id="f-by-error"`, `value="2999-01-01T00:00"`)
	if len(e.custody(it.ID)) != 2 {
		t.Error("a refused event was recorded")
	}
	e.post("/evidence/"+it.ID+"/custody", "fr", url.Values{"kind": {"copied"}, "by": {"x"}, "at": {"hier"}}).
		contains(t, "Indiquez une date et une heure.")
	e.post("/evidence/"+record.NewID()+"/custody", "en", url.Values{"kind": {"copied"}, "by": {"x"}, "at": {"2024-01-01T00:00"}}).
		wantStatus(t, http.StatusNotFound)

	// A reported hash that differs shows as such, on the page and in the report.
	other := strings.Repeat("ab", 32)
	e.post("/evidence/"+it.ID+"/custody", "en", url.Values{"kind": {"analysed"}, "by": {"Forensic lab"},
		"at": {at.Add(time.Hour).Format("2006-01-02T15:04")}, "sha256": {other}}).wantStatus(t, http.StatusSeeOther)

	r = e.get("/evidence/"+it.ID+"/custody", "en")
	r.wantStatus(t, http.StatusOK)
	r.contains(t, "Custody report", it.Blob.SHA256, "Transferred", "Office of the Prosecutor", "The Hague",
		"reported by HRW field team; matches", "reported by Forensic lab; DOES NOT MATCH the item’s SHA-256",
		"At least one event verified a hash that differs", "computed by Dossier; matches", `id="print-report"`,
		`href="/evidence/`+it.ID+`/custody.csv"`)
	e.get("/evidence/"+it.ID+"/custody", "ar").contains(t, "تقرير الحيازة", "نقل", "غير مطابقة")

	r = e.get("/evidence/"+it.ID+"/custody.csv", "en")
	r.wantStatus(t, http.StatusOK)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("CSV headers %v", r.header)
	}
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "n" || rows[1][4] != "transferred" || rows[1][6] != "Office of the Prosecutor" ||
		rows[2][11] != "false" || rows[3][4] != "received" {
		t.Errorf("CSV %v, %v", rows, err)
	}
	r = e.get("/evidence/"+it.ID+"/custody.html", "en")
	r.wantStatus(t, http.StatusOK)
	if !strings.Contains(r.body, "<h1>Chain of custody</h1>") || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") {
		t.Error("the HTML report is not a downloadable page")
	}
}

// multipartForm builds the upload form as a browser without the script
// posts it.
func multipartForm(t *testing.T, fields url.Values, name string, content []byte) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	if name != "" {
		fw, err := w.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(content)
	}
	w.Close()
	return &buf, w.FormDataContentType()
}

func TestUploadWithoutScript(t *testing.T) {
	e := newEvidenceEnv(t)
	r := e.get("/evidence/new?incident="+e.darfur.ID, "en")
	r.wantStatus(t, http.StatusOK)
	r.contains(t, "Add evidence", "El Geneina market", `name="incident" value="`+e.darfur.ID+`"`, `data-endpoint="/uploads/"`,
		`data-chunk-size="16777216"`, "vendor/tus-4.3.1.min.js", "evidence-upload.js", "up to 100 GB each")
	e.get("/evidence/new?incident="+record.NewID(), "en").wantStatus(t, http.StatusNotFound)

	photo := picture(t, 4)
	body, ctype := multipartForm(t, url.Values{"incident": {e.darfur.ID}, "type": {"photo"}, "categories": {"crime_base", "linkage"},
		"captured_by": {"W-3"}, "capture_date": {"2023-06"}, "hash": {"true"}}, "square.png", photo)
	req := httptest.NewRequest(http.MethodPost, "/evidence/new", body)
	req.Header.Set("Content-Type", ctype)
	r = e.do(req)
	r.wantStatus(t, http.StatusSeeOther)
	id, ok := strings.CutPrefix(r.header.Get("Location"), "/evidence/")
	if !ok {
		t.Fatalf("redirected to %s", r.header.Get("Location"))
	}
	it, err := e.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if it.Filename != "square.png" || it.Type != evidence.Photo || len(it.Categories) != 2 || it.Capture.Date.Precision != record.DateMonth ||
		len(it.Links) != 1 || it.Links[0].ID != e.darfur.ID || it.CreatedBy != "web" {
		t.Errorf("stored %+v", it)
	}

	body, ctype = multipartForm(t, url.Values{"type": {"selfie"}, "url": {"ftp://x"}}, "a.png", photo)
	req = httptest.NewRequest(http.MethodPost, "/evidence/new", body)
	req.Header.Set("Content-Type", ctype)
	r = e.do(req)
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, "Type: Choose one of the values offered.", "The address must start with https:// or http://.", `value="ftp://x"`)

	body, ctype = multipartForm(t, url.Values{"type": {"photo"}}, "", nil)
	req = httptest.NewRequest(http.MethodPost, "/evidence/new", body)
	req.Header.Set("Content-Type", ctype)
	e.do(req).contains(t, "Files: This is required.")
}

// TestResumableUploadThroughTheWeb sends a file the way the upload page
// does, by tus, and checks that other sites cannot.
func TestResumableUploadThroughTheWeb(t *testing.T) {
	e := newEvidenceEnv(t)
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	photo := picture(t, 5)
	meta := func(kv ...string) string {
		var parts []string
		for i := 0; i < len(kv); i += 2 {
			parts = append(parts, kv[i]+" "+base64.StdEncoding.EncodeToString([]byte(kv[i+1])))
		}
		return strings.Join(parts, ",")
	}
	send := func(method, target string, header map[string]string, body []byte) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, target, bytes.NewReader(body))
		req.Header.Set("Tus-Resumable", "1.0.0")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}

	// Another site's page cannot start an upload.
	res := send(http.MethodPost, srv.URL+uploadBase, map[string]string{"Upload-Length": "10", "Origin": "https://evil.example",
		"Sec-Fetch-Site": "cross-site", "Upload-Metadata": meta("filename", "x.png")}, nil)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site upload answered %d", res.StatusCode)
	}

	res = send(http.MethodPost, srv.URL+uploadBase, map[string]string{"Upload-Length": strconv.Itoa(len(photo)),
		"Origin": srv.URL, "Sec-Fetch-Site": "same-origin",
		"Upload-Metadata": meta("filename", "ruins.png", "incident", e.darfur.ID, "type", "photo", "sha256", sha(photo))}, nil)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d", res.StatusCode)
	}
	loc := res.Header.Get("Location")
	res = send(http.MethodPatch, loc, map[string]string{"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
		"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}, photo)
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("PATCH: %d", res.StatusCode)
	}
	id, ok := strings.CutPrefix(res.Header.Get(upload.LocationHeader), "/evidence/")
	if !ok {
		t.Fatalf("location %q", res.Header.Get(upload.LocationHeader))
	}
	it, err := e.store.Get(context.Background(), id)
	if err != nil || it.Blob.SHA256 != sha(photo) || it.CreatedBy != "web" || it.Links[0].ID != e.darfur.ID {
		t.Fatalf("stored %+v, %v", it, err)
	}
}

// TestEvidenceCatalogs checks that every value the evidence pages name in
// words (computed in Go, so the template scan cannot see them) is in every
// catalog.
func TestEvidenceCatalogs(t *testing.T) {
	cats := mustCatalogs(t)
	var keys []string
	for _, v := range evidence.Types {
		keys = append(keys, "evidence.type."+string(v))
	}
	for _, v := range evidence.Categories {
		keys = append(keys, "evidence.category."+string(v))
	}
	for _, v := range evidence.EventKinds {
		keys = append(keys, "custody.kind."+string(v))
	}
	for _, f := range (&evidence.OpenSource{}).Missing() {
		keys = append(keys, "evidence.field.open_source."+f)
	}
	for _, u := range []string{"kb", "mb", "gb", "tb"} {
		keys = append(keys, "evidence.unit."+u)
	}
	for _, k := range evidenceFieldLabels {
		keys = append(keys, k)
	}
	for _, k := range custodyFieldLabels {
		keys = append(keys, k)
	}
	for _, code := range []string{"invalid_language", "outside_date", "coordinates_incomplete", "invalid_url", "invalid_sha256",
		"invalid_hash", "invalid_id", "duplicate", "not_found", "mismatch", "hash_mismatch", "in_future", "invalid_time",
		"upload_too_large", "required", "too_long", "not_allowed", "out_of_range", "invalid_number", "invalid_date"} {
		keys = append(keys, "error."+code)
	}
	keys = append(keys, "nav.evidence", "custody.hash.none", "custody.hash.computed", "custody.hash.reported",
		"custody.hash.matches", "custody.hash.differs", "evidence.kind.image", "evidence.kind.video", "evidence.kind.audio",
		"evidence.kind.file", "evidence.bytes")
	for _, l := range languages {
		for _, k := range keys {
			if _, ok := cats[l.Code][k]; !ok {
				t.Errorf("%s: no %q", l.Code, k)
			}
		}
	}
}
