package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/record"
)

// The evidence vault's routes: items are created by uploading their
// content (a raw body, or a multipart form with the metadata first), read
// and edited as records, and their content is handed out only through
// routes that record the custody event.

func evidenceRoutes(a *app.App, add func(method, path string, fn handlerFunc)) {
	add("GET", "/evidence", listEvidence(a))
	add("POST", "/evidence", createEvidence(a))
	add("GET", "/evidence/{id}", readEvidence(a))
	add("PATCH", "/evidence/{id}", patchEvidence(a))
	add("GET", "/evidence/{id}/content", evidenceContent(a))
	add("GET", "/evidence/{id}/thumbnail", evidenceThumbnail(a))
	add("GET", "/evidence/{id}/custody", listCustody(a))
	add("POST", "/evidence/{id}/custody", addCustody(a))
	add("GET", "/evidence/{id}/custody.csv", custodyCSV(a))
	add("GET", "/evidence/{id}/history", history(a, evidence.Kind))
	add("GET", "/evidence/{id}/history/{version}", revision(a, evidence.Kind))
}

// evidenceFields are what the server derives from an item's content, or
// records of its fate; a client may not set them.
var evidenceFields = []string{"blob", "media_type", "extracted", "thumbnail", "shredded_at"}

// Problem types of the evidence routes: a survivor's file asked for without
// the see-identities grant shares the access guard's type.
const typeShredded = "urn:dossier:problem:shredded"

// evidenceProblem turns the evidence store's refusals to hand out a file
// into problems.
func evidenceProblem(it *evidence.Item, err error) error {
	switch {
	case errors.Is(err, evidence.ErrIdentities):
		return &problem{Type: typeForbidden, Title: "Forbidden", Status: http.StatusForbidden,
			Detail: "This file identifies a survivor: seeing it, or moving it away from their key, needs the permission identities:see (with the second factor)."}
	case errors.Is(err, evidence.ErrShredded):
		detail := "The file was destroyed at the survivor's request (crypto-shredded): it can never be read again. The item, the SHA-256 of the original and its chain of custody remain."
		if it != nil && it.ShreddedAt != nil {
			detail = "The file was destroyed at the survivor's request (crypto-shredded on " + it.ShreddedAt.Format("2006-01-02") +
				"): it can never be read again. The item, the SHA-256 of the original and its chain of custody remain."
		}
		return &problem{Type: typeShredded, Title: "Destroyed at the survivor's request", Status: http.StatusGone, Detail: detail}
	}
	return err
}

// vault is the evidence store, or a problem when the server has none.
func vault(a *app.App) (*evidence.Store, error) {
	if a.Evidence == nil {
		return nil, &problem{Type: typeInternal, Title: "Evidence vault unavailable", Status: http.StatusServiceUnavailable,
			Detail: "This server has no blob store for evidence."}
	}
	return a.Evidence, nil
}

var evidenceParams = []string{"incident", "act", "type", "category", "limit", "offset"}

type evidencePage struct {
	Evidence []evidence.Item `json:"evidence"`
	Total    int             `json:"total"`
}

// listEvidence answers GET /evidence: items newest first, filtered.
func listEvidence(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := newQuery(r, evidenceParams...)
		f := evidence.Filter{
			IncidentID: q.id("incident"),
			ActID:      q.id("act"),
			Type:       oneOf(q, "type", evidence.Types),
			Category:   oneOf(q, "category", evidence.Categories),
			Limit:      q.integer("limit", 50, 1, evidence.MaxPage),
			Offset:     q.integer("offset", 0, 0, 1<<31-1),
		}
		if err := q.err(); err != nil {
			return err
		}
		store, err := vault(a)
		if err != nil {
			return err
		}
		page, err := store.List(r.Context(), f)
		if err != nil {
			return err
		}
		if page.Items == nil {
			page.Items = []evidence.Item{}
		}
		if next := f.Offset + len(page.Items); next < page.Total {
			w.Header().Set("Link", nextLink(r, "offset", fmt.Sprint(next)))
		}
		return writeJSON(w, http.StatusOK, evidencePage{Evidence: page.Items, Total: page.Total})
	}
}

func readEvidence(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		store, err := vault(a)
		if err != nil {
			return err
		}
		it, err := store.Get(r.Context(), r.PathValue("id"))
		if isNotFound(err) {
			return notFound("evidence item")
		}
		if err != nil {
			return err
		}
		w.Header().Set("ETag", etag(it.Version))
		return writeJSON(w, http.StatusOK, it)
	}
}

// evidenceCreate is what a client says about new evidence: the item's
// fields and the SHA-256 the content must have.
type evidenceCreate struct {
	evidence.Item
	SHA256 string `json:"sha256,omitempty"`
}

// Query parameters a raw upload may describe the item with.
var uploadParams = []string{"incident", "act", "type", "category", "filename", "description", "language", "sha256", "survivor"}

// maxMetadata caps the JSON metadata part of a multipart upload.
const maxMetadata = 1 << 20

// createEvidence answers POST /evidence. The content is either the raw
// body (described by query parameters) or the "file" part of a
// multipart/form-data body, after an optional "metadata" part (JSON) and
// optional "html_source" and "full_page" parts. The content streams into
// the blob store; with a SHA-256 given (sha256, or a Content-Digest
// header), content that hashes otherwise is refused before anything is
// recorded.
func createEvidence(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		store, err := vault(a)
		if err != nil {
			return err
		}
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		var in evidenceCreate
		var res evidence.Ingested
		if mt == "multipart/form-data" {
			if err := newQuery(r).err(); err != nil {
				return err
			}
			res, err = ingestMultipart(r, store, &in)
		} else {
			if err := rawMetadata(r, &in); err != nil {
				return err
			}
			res, err = store.Ingest(r.Context(), r.Body, in.SHA256, &in.Item)
		}
		if err != nil {
			return uploadError(err)
		}
		w.Header().Set("Location", Prefix+"/evidence/"+in.ID)
		w.Header().Set("ETag", etag(in.Version))
		if len(res.Duplicates) > 0 {
			w.Header().Set("Dossier-Duplicates", strings.Join(res.Duplicates, ", "))
		}
		return writeJSON(w, http.StatusCreated, in.Item)
	}
}

// uploadError explains a failed upload: a body cut short is the client's.
func uploadError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &problem{Type: typeInvalidRequest, Title: "Incomplete upload", Status: http.StatusBadRequest,
			Detail: "The body ended before the content was complete; nothing was stored."}
	}
	return err
}

// rawMetadata reads a raw upload's description from its query parameters
// and headers.
func rawMetadata(r *http.Request, in *evidenceCreate) error {
	q := newQuery(r, uploadParams...)
	if id := q.id("incident"); id != "" {
		in.Links = append(in.Links, evidence.Link{Kind: evidence.LinkIncident, ID: id})
	}
	if id := q.id("act"); id != "" {
		in.Links = append(in.Links, evidence.Link{Kind: evidence.LinkAct, ID: id})
	}
	in.Type = oneOf(q, "type", evidence.Types)
	if cats := q.str("category"); cats != "" {
		for _, c := range strings.Split(cats, ",") {
			in.Categories = append(in.Categories, evidence.Category(strings.TrimSpace(c)))
		}
	}
	in.Filename = q.text("filename", 255)
	if in.Filename == "" {
		if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition")); err == nil {
			in.Filename = params["filename"]
		}
	}
	in.Description = q.text("description", 50000)
	in.Language = q.str("language")
	in.SurvivorID = q.id("survivor")
	in.SHA256 = q.str("sha256")
	digest, err := contentDigest(r.Header.Get("Content-Digest"))
	if err != nil {
		q.errs.Add("Content-Digest", "invalid_digest", "give it as sha-256=:BASE64:")
	}
	if digest != "" {
		if in.SHA256 != "" && !strings.EqualFold(in.SHA256, digest) {
			q.errs.Add("sha256", "mismatch", "differs from the Content-Digest header")
		}
		in.SHA256 = digest
	}
	return q.err()
}

// contentDigest reads the SHA-256 of an RFC 9530 Content-Digest header
// (sha-256=:BASE64:), or "" when it names none.
func contentDigest(header string) (string, error) {
	for _, item := range strings.Split(header, ",") {
		alg, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || !strings.EqualFold(alg, "sha-256") {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(strings.Trim(value, ":"))
		if err != nil || len(raw) != sha256.Size || !strings.HasPrefix(value, ":") || !strings.HasSuffix(value, ":") {
			return "", errors.New("malformed sha-256 digest")
		}
		return hex.EncodeToString(raw), nil
	}
	return "", nil
}

// ingestMultipart reads a multipart upload part by part, never holding a
// file in memory or on disk: metadata first, then the open-source capture's
// files, then the content.
func ingestMultipart(r *http.Request, store *evidence.Store, in *evidenceCreate) (evidence.Ingested, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return evidence.Ingested{}, badForm("The multipart body could not be read.")
	}
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return evidence.Ingested{}, badForm(`The form has no "file" part: send the content as the last part, named file.`)
		}
		if err != nil {
			return evidence.Ingested{}, badForm("The multipart body could not be read.")
		}
		name := part.FormName()
		if seen[name] {
			return evidence.Ingested{}, badForm(fmt.Sprintf("The form has more than one %q part.", name))
		}
		seen[name] = true
		switch name {
		case "metadata":
			if len(seen) > 1 {
				return evidence.Ingested{}, badForm(`The "metadata" part must come first.`)
			}
			if err := readMetadata(part, in); err != nil {
				return evidence.Ingested{}, err
			}
		case "html_source", "full_page":
			if err := putCaptureFile(r.Context(), store, part, name, in); err != nil {
				return evidence.Ingested{}, err
			}
		case "file":
			if in.Filename == "" {
				in.Filename = part.FileName()
			}
			res, err := store.Ingest(r.Context(), part, in.SHA256, &in.Item)
			if err != nil {
				return res, err
			}
			if _, err := mr.NextPart(); !errors.Is(err, io.EOF) {
				// The item is stored; what follows is ignored, and said so.
				slog.WarnContext(r.Context(), "evidence upload: parts after the file were ignored", "evidence", in.ID)
			}
			return res, nil
		default:
			return evidence.Ingested{}, badForm(fmt.Sprintf("The form has an unknown part %q; the parts are metadata, html_source, full_page and file.", name))
		}
	}
}

func badForm(detail string) error {
	return &problem{Type: typeInvalidRequest, Title: "Invalid form", Status: http.StatusBadRequest, Detail: detail}
}

// readMetadata reads the metadata part as strictly as a record's body: an
// unknown field or a wrong type is reported by its path.
func readMetadata(part *multipart.Part, in *evidenceCreate) error {
	data, err := io.ReadAll(io.LimitReader(part, maxMetadata+1))
	if err != nil {
		return badForm("The metadata part could not be read.")
	}
	if len(data) > maxMetadata {
		return &problem{Type: typeTooLarge, Title: "Metadata too large", Status: http.StatusRequestEntityTooLarge,
			Detail: "The metadata part is larger than 1 MiB."}
	}
	_, err = decodeStrict(data, in, createRules(evidenceFields...))
	return err
}

// decodeStrict reads one JSON object into v, refusing what rules refuse,
// unknown fields and wrong types, each named by its path.
func decodeStrict(data []byte, v any, rules bodyRules) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &problem{Type: typeMalformedJSON, Title: "Malformed JSON", Status: http.StatusBadRequest,
			Detail: "The body holds more than one JSON value."}
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, &problem{Type: typeMalformedJSON, Title: "Malformed JSON", Status: http.StatusBadRequest,
			Detail: "The body must be a JSON object."}
	}
	var errs record.Errors
	for _, k := range sortedKeys(obj) {
		switch {
		case slices.Contains(rules.readOnly, k):
			errs.Add(k, "read_only", "is set by the server; leave it out")
			delete(obj, k)
		case slices.Contains(rules.ignored, k):
			delete(obj, k)
		}
	}
	errs = append(errs, checkJSON(obj, reflect.TypeOf(v).Elem(), "")...)
	if len(errs) > 0 {
		return nil, invalid(errs)
	}
	clean, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(clean, v); err != nil {
		return nil, fmt.Errorf("decode checked body: %w", err)
	}
	return obj, nil
}

// putCaptureFile stores an open-source capture's HTML source or full-page
// capture and refers the item to it.
func putCaptureFile(ctx context.Context, store *evidence.Store, part *multipart.Part, name string, in *evidenceCreate) error {
	if in.OpenSource == nil {
		in.OpenSource = &evidence.OpenSource{}
	}
	slot := &in.OpenSource.HTMLSource
	if name == "full_page" {
		slot = &in.OpenSource.FullPage
	}
	want := ""
	if *slot != nil {
		want = (*slot).SHA256
	}
	ref, err := store.PutFile(ctx, in.SurvivorID, part, want, "open_source."+name)
	if err != nil {
		return uploadError(err)
	}
	*slot = &ref
	return nil
}

// evidencePatch is a JSON merge patch (RFC 7396) of an item.
const mergePatchType = "application/merge-patch+json"

// patchEvidence answers PATCH /evidence/{id}: a merge patch of what people
// assert about the item, from the version given as If-Match (or "version"
// in the body). Its content and what was derived from it cannot change.
func patchEvidence(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		store, err := vault(a)
		if err != nil {
			return err
		}
		if err := requireMediaType(r, mergePatchType, "application/json"); err != nil {
			return err
		}
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRecordBody))
		if err != nil {
			return err
		}
		var patch map[string]any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&patch); err != nil {
			return malformed(err)
		}
		if patch == nil {
			return &problem{Type: typeMalformedJSON, Title: "Malformed JSON", Status: http.StatusBadRequest,
				Detail: "The body must be a JSON object."}
		}
		var errs record.Errors
		bodyVersion, inBody := 0, false
		if v, ok := patch["version"]; ok {
			n, isNum := v.(json.Number)
			i, err := n.Int64()
			if !isNum || err != nil {
				errs.Add("version", "invalid_type", "must be a whole number")
			}
			bodyVersion, inBody = int(i), true
			delete(patch, "version")
		}
		for _, k := range sortedKeys(patch) {
			if k == "id" {
				if patch[k] != r.PathValue("id") {
					errs.Add("id", "mismatch", "differs from the ID in the path")
				}
				delete(patch, k)
			} else if slices.Contains(append(slices.Clone(serverFields), evidenceFields...), k) {
				errs.Add(k, "read_only", "is set by the server and cannot be changed")
			}
		}
		version, verrs := editVersion(r, bodyVersion, inBody)
		errs = append(errs, verrs...)
		if len(errs) > 0 {
			return invalid(errs)
		}
		current, err := store.Get(r.Context(), r.PathValue("id"))
		if isNotFound(err) {
			return notFound("evidence item")
		}
		if err != nil {
			return err
		}
		if current.Version != version {
			return conflict()
		}
		merged, err := mergePatch(current, patch)
		if err != nil {
			return err
		}
		var edit evidence.Item
		if _, err := decodeStrict(merged, &edit, bodyRules{}); err != nil {
			return err
		}
		edit.ID, edit.Version = current.ID, version
		if err := store.Update(r.Context(), &edit); err != nil {
			if isNotFound(err) {
				return notFound("evidence item")
			}
			return evidenceProblem(current, err)
		}
		w.Header().Set("ETag", etag(edit.Version))
		return writeJSON(w, http.StatusOK, edit)
	}
}

// mergePatch applies an RFC 7396 merge patch to the JSON form of current.
func mergePatch(current any, patch map[string]any) ([]byte, error) {
	body, err := json.Marshal(current)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return json.Marshal(mergeInto(doc, patch))
}

func mergeInto(target any, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergeInto(t[k], v)
	}
	return t
}

// inlineTypes are shown in the browser rather than downloaded: pictures,
// sound, video and PDF, none of which runs script from this origin.
var inlineTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/heic", "application/pdf"}

// evidenceContent answers GET /evidence/{id}/content with the content,
// byte ranges included, and records the custody event: the hash of what was
// handed out when it was the whole content, or the stored content rehashed
// for a partial read (once per person in evidence.ReadWindow).
func evidenceContent(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := newQuery(r, "download", "purpose")
		download := q.boolean("download")
		purpose := q.text("purpose", 2000)
		if err := q.err(); err != nil {
			return err
		}
		store, err := vault(a)
		if err != nil {
			return err
		}
		it, obj, err := store.Open(r.Context(), r.PathValue("id"))
		if isNotFound(err) {
			return notFound("evidence item")
		}
		if err != nil {
			return evidenceProblem(it, err)
		}
		defer obj.Close()
		disposition := "attachment"
		major, _, _ := strings.Cut(it.MediaType, "/")
		if !download && (slices.Contains(inlineTypes, it.MediaType) || major == "video" || major == "audio") {
			disposition = "inline"
		}
		h := w.Header()
		h.Set("Content-Type", it.MediaType)
		h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": it.Filename}))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
		h.Set("Cache-Control", "private, no-store")
		h.Set("ETag", `"`+it.Blob.SHA256+`"`)
		h.Set("Repr-Digest", "sha-256=:"+digestBase64(it.Blob.SHA256)+":")
		tracked := &trackedReader{r: obj, hash: sha256.New()}
		http.ServeContent(w, r, "", noTime, tracked)
		if tracked.read == 0 {
			return nil // nothing handed out: a HEAD, a 304, a 416
		}
		sum, notes := "", ""
		if tracked.hashed == it.Blob.Size {
			sum = hex.EncodeToString(tracked.hash.Sum(nil))
		} else if rng := r.Header.Get("Range"); rng != "" {
			notes = "partial read: " + clipText(rng, 200)
		} else {
			notes = fmt.Sprintf("the transfer stopped after %d of %d bytes", tracked.read, it.Blob.Size)
		}
		// The response is gone; a failure to record can only be logged.
		ctx := context.WithoutCancel(r.Context())
		if _, err := store.RecordRead(ctx, it.ID, evidence.Accessed, sum, purpose, notes); err != nil {
			slog.ErrorContext(ctx, "evidence content served but its custody event not recorded", "evidence", it.ID, "cause", rootCause(err))
		}
		return nil
	}
}

// noTime leaves Last-Modified unset: an item's content never changes.
var noTime time.Time

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func digestBase64(hexSum string) string {
	raw, _ := hex.DecodeString(hexSum)
	return base64.StdEncoding.EncodeToString(raw)
}

// trackedReader counts what is read through it and hashes the content read
// in order from its start.
type trackedReader struct {
	r      io.ReadSeeker
	pos    int64
	read   int64
	hashed int64
	hash   hash.Hash
}

func (t *trackedReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		if t.pos == t.hashed {
			t.hash.Write(p[:n])
			t.hashed += int64(n)
		}
		t.pos += int64(n)
		t.read += int64(n)
	}
	return n, err
}

func (t *trackedReader) Seek(offset int64, whence int) (int64, error) {
	pos, err := t.r.Seek(offset, whence)
	if err == nil {
		t.pos = pos
	}
	return pos, err
}

// evidenceThumbnail answers GET /evidence/{id}/thumbnail with a JPEG.
func evidenceThumbnail(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		store, err := vault(a)
		if err != nil {
			return err
		}
		it, obj, err := store.Thumbnail(r.Context(), r.PathValue("id"))
		if isNotFound(err) {
			if it != nil {
				return &problem{Type: typeNotFound, Title: "Not found", Status: http.StatusNotFound,
					Detail: "This evidence item has no thumbnail."}
			}
			return notFound("evidence item")
		}
		if err != nil {
			return evidenceProblem(it, err)
		}
		defer obj.Close()
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "private, no-store")
		w.Header().Set("ETag", `"`+it.Thumbnail.SHA256+`"`)
		http.ServeContent(w, r, "", noTime, obj)
		return nil
	}
}

func listCustody(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		store, err := vault(a)
		if err != nil {
			return err
		}
		events, err := store.Custody(r.Context(), r.PathValue("id"))
		if isNotFound(err) {
			return notFound("evidence item")
		}
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]any{"custody": events})
	}
}

// custodyServerFields are set by the server on every custody event.
var custodyServerFields = []string{"id", "evidence_id", "hash_source", "recorded_at", "recorded_by", "audit_index"}

// addCustody answers POST /evidence/{id}/custody: an event that happened
// outside Dossier, as the client reports it.
func addCustody(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		store, err := vault(a)
		if err != nil {
			return err
		}
		var e evidence.Event
		if _, err := readJSON(w, r, &e, bodyRules{readOnly: custodyServerFields}); err != nil {
			return err
		}
		id := r.PathValue("id")
		if !record.ValidID(id) {
			return notFound("evidence item")
		}
		if err := store.AddCustody(r.Context(), id, &e); err != nil {
			if isNotFound(err) {
				return notFound("evidence item")
			}
			return err
		}
		w.Header().Set("Location", Prefix+"/evidence/"+id+"/custody")
		return writeJSON(w, http.StatusCreated, e)
	}
}

// custodyCSV answers GET /evidence/{id}/custody.csv: the custody report.
func custodyCSV(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		store, err := vault(a)
		if err != nil {
			return err
		}
		report, err := store.CustodyReport(r.Context(), r.PathValue("id"), record.Actor(r.Context()))
		if isNotFound(err) {
			return notFound("evidence item")
		}
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := report.WriteCSV(&buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="custody-`+report.Item.ID+`.csv"`)
		w.Header().Set("Cache-Control", "no-store")
		_, err = w.Write(buf.Bytes())
		return err
	}
}
