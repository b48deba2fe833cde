package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/upload"
)

// The evidence pages: the list, an item's page with its viewer, metadata
// and chain of custody, the upload page, the custody report, and the routes
// that serve an item's content and thumbnail.

// uploadBase is where the upload page's resumable uploads go.
const uploadBase = "/uploads/"

// uploadChunk is how much of a file the upload page sends per request:
// large enough that requests cost little beside the bytes, small enough to
// pass the body limits of the proxies often put in front of a server. What
// arrived of a piece cut off is kept either way.
const uploadChunk = 16 << 20

// maxUpload is the largest file the upload page accepts: 100 GB.
const maxUpload = 100_000_000_000

func init() {
	flashes["custody_added"] = "flash.custody_added"
	flashes["uploaded"] = "flash.uploaded"
	flashes["survivor_tied"] = "flash.evidence_survivor_tied"
	flashes["survivor_untied"] = "flash.evidence_survivor_untied"
}

// openEvidence sets up the evidence pages when the Dossier has an evidence
// store (an App made by app.New has none until WithBlobs, and then has no
// evidence pages).
func (h *handler) openEvidence() error {
	if h.app.Evidence == nil {
		return nil
	}
	h.evidence = h.app.Evidence
	ev := upload.Evidence{Store: h.evidence, Location: func(id string) string { return "/evidence/" + id }}
	up, err := upload.New(upload.Config{Dir: uploadDir(h.app.DB), BasePath: uploadBase, MaxSize: maxUpload,
		Finish: ev.Finish, Check: ev.Check})
	if err != nil {
		return err
	}
	// Uploads are writes: made by the web interface's actor, behind the
	// same cross-origin protection as every form.
	h.uploads = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up.ServeHTTP(w, r.WithContext(writer(r)))
	})
	return nil
}

// uploadDir is where uploads wait while they arrive: beside the SQLite
// database, in the data directory.
func uploadDir(d *db.DB) string {
	if p := d.Path(); p != "" {
		return filepath.Join(filepath.Dir(p), "uploads")
	}
	return filepath.Join("dossier-data", "uploads")
}

func (h *handler) evidenceRoutes(mux *router) {
	if h.evidence == nil {
		return
	}
	mux.HandleFunc("GET /evidence", h.evidenceList)
	mux.HandleFunc("GET /evidence/new", h.evidenceNew)
	mux.HandleFunc("POST /evidence/new", h.evidenceUploadForm)
	mux.Handle(uploadBase, h.uploads)
	mux.HandleFunc("GET /evidence/{id}", h.evidenceShow)
	mux.HandleFunc("POST /evidence/{id}/custody", h.custodyAdd)
	mux.HandleFunc("GET /evidence/{id}/custody", h.custodyReport)
	mux.HandleFunc("GET /evidence/{id}/custody.csv", h.custodyCSV)
	mux.HandleFunc("GET /evidence/{id}/custody.html", h.custodyHTML)
	mux.HandleFunc("GET /evidence/{id}/content", h.evidenceContent)
	mux.HandleFunc("GET /evidence/{id}/thumbnail", h.evidenceThumbnail)
	mux.HandleFunc("POST /evidence/{id}/survivor", h.evidenceSurvivor)
}

// evidenceLabels names evidence values in the interface language; pages
// carry one for their templates.
type evidenceLabels struct{ l *localizer }

func (x evidenceLabels) Type(t evidence.Type) string { return x.l.T("evidence.type." + string(t)) }
func (x evidenceLabels) Category(c evidence.Category) string {
	return x.l.T("evidence.category." + string(c))
}
func (x evidenceLabels) Event(k evidence.EventKind) string { return x.l.T("custody.kind." + string(k)) }

// Categories lists an item's categories in words.
func (x evidenceLabels) Categories(cs []evidence.Category) string {
	var out []string
	for _, c := range cs {
		out = append(out, x.Category(c))
	}
	return strings.Join(out, x.l.T("common.list_separator"))
}

// Size says how large a file is, to one decimal, in the language's digits.
func (x evidenceLabels) Size(n int64) string {
	units := []string{"b", "kb", "mb", "gb", "tb"}
	v, i := float64(n), 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	if i == 0 {
		return x.l.N("evidence.bytes", int(n))
	}
	sep := map[string]string{"fr": ",", "ar": "٫"}[x.l.lang.Code]
	if sep == "" {
		sep = "."
	}
	num := strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
	num = strings.Replace(num, ".", sep, 1)
	return x.l.digits(num) + "\u00a0" + x.l.T("evidence.unit."+units[i])
}

// Bytes gives the exact size.
func (x evidenceLabels) Bytes(n int64) string { return x.l.N("evidence.bytes", int(n)) }

// Kind is a short word for what a file is, shown where there is no
// thumbnail.
func (x evidenceLabels) Kind(mediaType string) string {
	switch viewerFor(mediaType) {
	case "image":
		return x.l.T("evidence.kind.image")
	case "video":
		return x.l.T("evidence.kind.video")
	case "audio":
		return x.l.T("evidence.kind.audio")
	case "pdf":
		return "PDF"
	}
	return x.l.T("evidence.kind.file")
}

// Verified says whether and by whom a custody event's hash was verified,
// and whether it matches the item's.
func (x evidenceLabels) Verified(e evidence.Event, it *evidence.Item) string {
	if e.SHA256 == "" {
		return x.l.T("custody.hash.none")
	}
	who := x.l.T("custody.hash.computed")
	if e.HashSource == evidence.Reported {
		who = x.l.T("custody.hash.reported", "by", e.By)
	}
	if e.SHA256 == it.Blob.SHA256 {
		return x.l.T("custody.hash.matches", "who", who)
	}
	return x.l.T("custody.hash.differs", "who", who)
}

// Missing names, in words, what an open-source capture lacks of the
// Berkeley Protocol minimum.
func (x evidenceLabels) Missing(o *evidence.OpenSource) []string {
	var out []string
	for _, f := range o.Missing() {
		out = append(out, x.l.T("evidence.field.open_source."+f))
	}
	return out
}

// viewerFor says how the viewer shows content of a media type: "image",
// "video", "audio", "pdf", or "" when the browser is not trusted to show it
// (HTML, SVG and scripts are never served inline: they could run in the
// site's name).
func viewerFor(mediaType string) string {
	switch mediaType {
	case "image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/bmp":
		return "image"
	case "video/mp4", "video/webm", "video/ogg", "video/quicktime":
		return "video"
	case "audio/mpeg", "audio/ogg", "audio/wav", "audio/x-wav", "audio/webm", "audio/aac", "audio/flac",
		"audio/mp4", "audio/x-m4a":
		return "audio"
	case "application/pdf":
		return "pdf"
	}
	return ""
}

func (h *handler) evidenceLabels(r *http.Request) evidenceLabels {
	return evidenceLabels{l: h.localizer(r)}
}

func typeOptions(x evidenceLabels) []option {
	out := make([]option, len(evidence.Types))
	for i, t := range evidence.Types {
		out[i] = option{Value: string(t), Label: x.Type(t)}
	}
	return out
}

func categoryOptions(x evidenceLabels) []option {
	out := make([]option, len(evidence.Categories))
	for i, c := range evidence.Categories {
		out[i] = option{Value: string(c), Label: x.Category(c)}
	}
	return out
}

// evidenceListPage is the list of evidence items.
type evidenceListPage struct {
	base
	L          evidenceLabels
	Items      []evidence.Item
	Total      int
	From, To   int
	Prev, Next string
	Incident   *incident.Incident // the incident the list is narrowed to
	Filter     evidence.Filter
	Types      []option
	Categories []option
	Errors     formErrors
	Filtered   bool
}

const evidencePageSize = 50

func (h *handler) evidenceList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	x := h.evidenceLabels(r)
	f := evidence.Filter{IncidentID: strings.TrimSpace(q.Get("incident")), Type: evidence.Type(q.Get("type")),
		Category: evidence.Category(q.Get("category")), Limit: evidencePageSize}
	data := &evidenceListPage{L: x, Filter: f, Types: typeOptions(x), Categories: categoryOptions(x),
		Filtered: f.IncidentID != "" || f.Type != "" || f.Category != ""}
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			n = -1
		}
		f.Offset = n
	}
	if err := f.Validate(); err != nil {
		errs, _ := record.AsErrors(err)
		data.Errors = translateErrors(x.l, errs)
		h.render(w, r, http.StatusBadRequest, "evidence_list", "evidence", data)
		return
	}
	if f.IncidentID != "" {
		in, err := h.app.Incidents.Get(r.Context(), f.IncidentID)
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			h.fail(w, r, err)
			return
		}
		data.Incident = in
	}
	page, err := h.evidence.List(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data.Items, data.Total = page.Items, page.Total
	data.From, data.To = f.Offset+1, f.Offset+len(page.Items)
	link := func(offset int) string {
		v := url.Values{}
		for k, val := range map[string]string{"incident": f.IncidentID, "type": string(f.Type), "category": string(f.Category)} {
			if val != "" {
				v.Set(k, val)
			}
		}
		if offset > 0 {
			v.Set("offset", strconv.Itoa(offset))
		}
		if len(v) == 0 {
			return "/evidence"
		}
		return "/evidence?" + v.Encode()
	}
	if f.Offset > 0 {
		data.Prev = link(max(0, f.Offset-evidencePageSize))
	}
	if f.Offset+len(page.Items) < page.Total {
		data.Next = link(f.Offset + evidencePageSize)
	}
	h.render(w, r, http.StatusOK, "evidence_list", "evidence", data)
}

// actRef says where an act an item is linked to is shown.
type actRef struct {
	IncidentID    string
	IncidentTitle string
	N             int // the act's number on its incident's page
}

// evidencePage is an item's page.
type evidencePage struct {
	base
	L         evidenceLabels
	It        *evidence.Item
	Viewer    string // how the viewer shows the content: image, video, audio, pdf or ""
	Show      bool   // the viewer is open
	Incidents map[string]*incident.Incident
	Acts      map[string]*actRef
	Custody   []evidence.Event
	Form      custodyForm
	Errors    formErrors
	Kinds     []option
	// ShreddedOn is the day the file was destroyed, in the language.
	ShreddedOn string
	// Closed is the catalog key saying why the file cannot be opened here
	// ("" when it can): destroyed at the survivor's request, or theirs
	// and the viewer may not see identities.
	Closed string
	// Survivor is the survivor the file identifies, as far as the viewer
	// reaches them; Survivors, whom it may be tied to.
	Survivor       *survivorRef
	Survivors      []option
	CanUntie       bool
	SurvivorErrors formErrors
}

// survivorRef names the survivor an item's file identifies.
type survivorRef struct {
	ID, Code string
	Reached  bool // within the viewer's cases: the code is shown, with a link
	Erased   bool
}

func (h *handler) evidenceShow(w http.ResponseWriter, r *http.Request) {
	// A custody event entered by hand happened, most often, just now.
	h.renderEvidence(w, r, http.StatusOK, custodyForm{At: time.Now().UTC().Format(formTime)}, formErrors{})
}

// renderEvidence shows an item's page, with the custody form as given.
func (h *handler) renderEvidence(w http.ResponseWriter, r *http.Request, status int, form custodyForm, errs formErrors) {
	h.renderEvidenceWith(w, r, status, form, errs, formErrors{})
}

// renderEvidenceWith shows an item's page with the custody form and the
// survivor form as given.
func (h *handler) renderEvidenceWith(w http.ResponseWriter, r *http.Request, status int, form custodyForm, errs, survivorErrs formErrors) {
	id, ok := recordID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	it, err := h.evidence.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	events, err := h.evidence.Custody(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	x := h.evidenceLabels(r)
	data := &evidencePage{L: x, It: it, Viewer: viewerFor(it.MediaType), Show: r.URL.Query().Get("view") == "1",
		Incidents: map[string]*incident.Incident{}, Acts: map[string]*actRef{}, Custody: events, Form: form, Errors: errs}
	data.SurvivorErrors = survivorErrs
	data.ShreddedOn = formatDay(x.l, it.ShreddedAt)
	if err := h.evidenceSurvivorData(r, data); err != nil {
		h.fail(w, r, err)
		return
	}
	for _, k := range evidence.EventKinds {
		// Dossier records its own receipts, reads and exports; by hand
		// come the events that happen outside it.
		if k != evidence.Received && k != evidence.Accessed {
			data.Kinds = append(data.Kinds, option{Value: string(k), Label: x.Event(k)})
		}
	}
	for _, l := range it.Links {
		if l.Kind != evidence.LinkIncident {
			continue
		}
		in, err := h.app.Incidents.Get(r.Context(), l.ID)
		if errors.Is(err, db.ErrNotFound) {
			continue
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		data.Incidents[in.ID] = in
		for i, a := range in.Acts {
			data.Acts[a.ID] = &actRef{IncidentID: in.ID, IncidentTitle: in.Title, N: i + 1}
		}
	}
	h.render(w, r, status, "evidence_show", "evidence", data)
}

// closedKey is the catalog key saying why an item's file cannot be opened
// by the asker, or "".
func closedKey(ctx context.Context, it *evidence.Item) string {
	switch err := evidence.MayOpen(ctx, it); {
	case errors.Is(err, evidence.ErrShredded):
		return "evidence.survivor.shredded"
	case errors.Is(err, evidence.ErrIdentities):
		return "evidence.survivor.closed"
	}
	return ""
}

// refuseFile answers a request for a file the asker may not have: 410 for
// a file destroyed at the survivor's request, 403 for a survivor's file
// without the see-identities grant. It reports whether it answered.
func (h *handler) refuseFile(w http.ResponseWriter, r *http.Request, it *evidence.Item) bool {
	key := closedKey(r.Context(), it)
	if key == "" {
		return false
	}
	status := http.StatusForbidden
	if it.Shredded() {
		status = http.StatusGone
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, h.localizer(r).T(key, "date", formatDay(h.localizer(r), it.ShreddedAt)), status)
	return true
}

// formatDay writes the day of t in the interface language ("" for none).
func formatDay(l *localizer, t *time.Time) string {
	if t == nil {
		return ""
	}
	return l.Day(t.UTC().Format("2006-01-02"))
}

// evidenceContent serves an item's content, recording the read in its
// chain of custody. A whole read is hashed as it is sent and recorded with
// that hash; partial reads (a video player's range requests) are recorded
// once per person and ReadWindow, with the stored content rehashed.
func (h *handler) evidenceContent(w http.ResponseWriter, r *http.Request) {
	id, ok := recordID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	ctx := writer(r)
	it, err := h.evidence.Get(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if h.refuseFile(w, r, it) {
		return
	}
	download := r.URL.Query().Get("download") == "1"
	inline := viewerFor(it.MediaType) != "" && !download
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	disposition := "attachment"
	if inline {
		hd.Set("Content-Type", it.MediaType)
		disposition = "inline"
	}
	hd.Set("Content-Disposition", disposition+"; filename*=UTF-8''"+url.PathEscape(it.Filename))
	hd.Set("Cache-Control", "no-store")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	// The content may be shown in a frame of this site's own pages (the PDF
	// viewer), nowhere else, and nothing in it may run.
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	policy := "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
	if viewerFor(it.MediaType) != "pdf" {
		policy += "; sandbox"
	}
	hd.Set("Content-Security-Policy", policy)
	hd.Set("ETag", `"`+it.Blob.SHA256+`"`)
	hd.Set("Accept-Ranges", "bytes")
	purpose := "viewed in the web interface"
	if download {
		purpose = "downloaded through the web interface"
	}

	if r.Method == http.MethodHead {
		hd.Set("Content-Length", strconv.FormatInt(it.Blob.Size, 10))
		return
	}
	if r.Header.Get("Range") == "" {
		hd.Set("Content-Length", strconv.FormatInt(it.Blob.Size, 10))
		w.WriteHeader(http.StatusOK)
		if _, err := h.evidence.Export(ctx, id, w, evidence.Event{Kind: evidence.Accessed, Purpose: purpose}); err != nil {
			// The status is sent: break the response rather than let a
			// client take damaged or partial content for whole.
			if !errors.Is(err, context.Canceled) {
				slog.Error("web: evidence content", "evidence", id, "err", err)
			}
			panic(http.ErrAbortHandler)
		}
		return
	}
	if _, err := h.evidence.RecordRead(ctx, id, evidence.Accessed, "", purpose, "partial reads"); err != nil {
		h.fail(w, r, err)
		return
	}
	_, obj, err := h.evidence.Open(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer obj.Close()
	http.ServeContent(w, r, "", it.CreatedAt, obj)
}

// evidenceThumbnail serves an item's thumbnail (a JPEG made on ingest).
// Thumbnails are not the content and are not custody events.
func (h *handler) evidenceThumbnail(w http.ResponseWriter, r *http.Request) {
	id, ok := recordID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	it, obj, err := h.evidence.Thumbnail(r.Context(), id)
	if it != nil && h.refuseFile(w, r, it) {
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer obj.Close()
	hd := w.Header()
	hd.Set("Content-Type", "image/jpeg")
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("ETag", `"`+it.Thumbnail.SHA256+`"`)
	http.ServeContent(w, r, "", it.CreatedAt, obj)
}
