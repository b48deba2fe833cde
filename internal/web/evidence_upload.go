package web

import (
	"errors"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/upload"
)

// evidenceNewPage is the upload page. With its script, files go by tus to
// uploadBase, resumably, with a progress bar each; without it, the form
// posts them to /evidence/new (within the size the server accepts for a
// form).
type evidenceNewPage struct {
	base
	Incident   *incident.Incident // the incident the evidence is for, when the page was opened from one
	Survivors  []option           // the survivors the files may identify, within reach
	Types      []option
	Categories []option
	Form       map[string]string // values, by metadata key
	Checked    map[string]bool   // categories ticked
	Errors     formErrors
	Endpoint   string
	ChunkSize  int
	MaxSize    string
}

// evidenceFieldLabels are the catalog keys naming the upload form's fields.
var evidenceFieldLabels = map[string]string{
	"file": "evidence.upload.choose", "incident": "evidence.filter.incident", "type": "evidence.field.type",
	"language": "evidence.field.language", "categories": "evidence.field.categories",
	"description": "evidence.field.description", "captured_by": "evidence.field.captured_by",
	"capture_date": "evidence.field.capture_date", "capture_place": "evidence.field.capture_place",
	"capture_device": "evidence.field.capture_device", "capture_at": "evidence.field.capture_date",
	"url": "evidence.field.open_source.url", "url_captured_at": "evidence.field.open_source.captured_at",
	"url_tool": "evidence.field.open_source.tool", "url_tool_version": "evidence.field.open_source.tool_version",
	"url_hash": "evidence.field.open_source.hash", "survivor": "evidence.field.survivor",
}

// evidenceInput names the form field that shows an error about an item's
// field (as the evidence package names it).
func evidenceInput(field string) string {
	renames := map[string]string{
		"capture.by": "captured_by", "capture.place": "capture_place", "capture.device": "capture_device",
		"capture.at": "capture_date", "capture.latitude": "capture_place", "capture.longitude": "capture_place",
		"open_source": "url", "open_source.url": "url", "open_source.captured_at": "url_captured_at",
		"open_source.tool": "url_tool", "open_source.tool_version": "url_tool_version", "open_source.hash": "url_hash",
		"sha256": "file", "filename": "file", "survivor_id": "survivor",
	}
	if in, ok := renames[field]; ok {
		return in
	}
	switch {
	case strings.HasPrefix(field, "links["):
		return "incident"
	case strings.HasPrefix(field, "categories"):
		return "categories"
	case strings.HasPrefix(field, "capture.date"):
		return "capture_date"
	case strings.HasPrefix(field, "open_source."):
		return "url"
	}
	return field
}

// fieldErrors translates validation errors for a form whose inputs are
// named by input and labelled by the catalog keys in labels.
func fieldErrors(l *localizer, errs record.Errors, input func(string) string, labels map[string]string) formErrors {
	out := formErrors{ByField: map[string]string{}}
	for _, fe := range errs {
		name := input(fe.Field)
		label := name
		if key, ok := labels[name]; ok {
			label = l.T(key)
		}
		msg := errorMessage(l, fe)
		out.List = append(out.List, fieldMessage{Field: fe.Field, ID: fieldID(name), Label: label, Message: msg})
		if _, seen := out.ByField[name]; !seen {
			out.ByField[name] = msg
		}
	}
	return out
}

func (h *handler) evidenceNew(w http.ResponseWriter, r *http.Request) {
	form := map[string]string{"incident": strings.TrimSpace(r.URL.Query().Get("incident")),
		"survivor": strings.TrimSpace(r.URL.Query().Get("survivor"))}
	var errs record.Errors
	if id := form["incident"]; id != "" {
		if !record.ValidID(id) {
			errs.Add("incident", "invalid_id", "is not a record ID")
		} else if _, err := h.app.Incidents.Get(r.Context(), id); errors.Is(err, db.ErrNotFound) {
			errs.Add("incident", "not_found", "no incident has ID %s", id)
		} else if err != nil {
			h.fail(w, r, err)
			return
		}
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusNotFound
	}
	h.renderEvidenceNew(w, r, status, form, errs)
}

func (h *handler) renderEvidenceNew(w http.ResponseWriter, r *http.Request, status int, form map[string]string, errs record.Errors) {
	x := h.evidenceLabels(r)
	data := &evidenceNewPage{Types: typeOptions(x), Categories: categoryOptions(x), Form: form, Checked: map[string]bool{},
		Errors:   fieldErrors(x.l, errs, evidenceInput, evidenceFieldLabels),
		Endpoint: uploadBase, ChunkSize: uploadChunk, MaxSize: x.Size(maxUpload)}
	for _, c := range strings.Split(form["categories"], ",") {
		data.Checked[c] = true
	}
	survivors, err := h.survivorOptions(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data.Survivors = survivors
	if id := form["incident"]; record.ValidID(id) && data.Errors.For("incident") == "" {
		in, err := h.app.Incidents.Get(r.Context(), id)
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			h.fail(w, r, err)
			return
		}
		data.Incident = in
	}
	h.render(w, r, status, "evidence_new", "evidence", data)
}

// evidenceUploadForm takes files posted the plain way, by a browser
// without the upload script. The server caps a form's body, so this is for
// small files; the script sends any size.
func (h *handler) evidenceUploadForm(w http.ResponseWriter, r *http.Request) {
	err := r.ParseMultipartForm(8 << 20)
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	form := map[string]string{}
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.renderEvidenceNew(w, r, http.StatusRequestEntityTooLarge, form,
				record.Errors{{Field: "file", Code: "upload_too_large", Message: "the file is too large to send without the upload script"}})
			return
		}
		http.Error(w, "the form could not be read", http.StatusBadRequest)
		return
	}
	for k, vs := range r.MultipartForm.Value {
		if k == "hash" {
			continue
		}
		var kept []string
		for _, v := range vs {
			if v = strings.TrimSpace(v); v != "" {
				kept = append(kept, v)
			}
		}
		if len(kept) > 0 {
			form[k] = strings.Join(kept, ",")
		}
	}
	files := r.MultipartForm.File["file"]
	if len(files) == 0 {
		h.renderEvidenceNew(w, r, http.StatusUnprocessableEntity, form, record.Errors{{Field: "file", Code: "required", Message: "choose a file"}})
		return
	}
	ctx := writer(r)
	var ids []string
	for _, fh := range files {
		meta := map[string]string{}
		for k, v := range form {
			meta[k] = v
		}
		it, err := upload.ItemFrom(upload.Info{Filename: fh.Filename, Size: fh.Size, Metadata: meta})
		if err == nil {
			var f multipart.File
			if f, err = fh.Open(); err == nil {
				_, err = h.evidence.Ingest(ctx, f, "", it)
				f.Close()
			}
		}
		if errs, ok := record.AsErrors(err); ok {
			h.renderEvidenceNew(w, r, http.StatusUnprocessableEntity, form, errs)
			return
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		ids = append(ids, it.ID)
	}
	setFlash(w, r, "uploaded")
	if len(ids) == 1 {
		http.Redirect(w, r, "/evidence/"+ids[0], http.StatusSeeOther)
		return
	}
	next := "/evidence"
	if in := form["incident"]; record.ValidID(in) {
		next += "?incident=" + in
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
