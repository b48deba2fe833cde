package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/blob/blobtest"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/record"
)

const fuzzBoundary = "dossierfuzzboundary"

// FuzzEvidenceUpload sends arbitrary multipart bodies to POST /evidence:
// whatever the body, the server answers with a client error or stores an
// item whose content has the SHA-256 it reports, and never fails itself.
func FuzzEvidenceUpload(f *testing.F) {
	part := func(name, filename, contentType, body string) string {
		s := "--" + fuzzBoundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\""
		if filename != "" {
			s += "; filename=\"" + filename + "\""
		}
		return s + "\r\nContent-Type: " + contentType + "\r\n\r\n" + body + "\r\n"
	}
	end := "--" + fuzzBoundary + "--\r\n"
	f.Add([]byte(part("file", "a.txt", "text/plain", "hello") + end))
	f.Add([]byte(part("metadata", "", "application/json", `{"type":"document","sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}`) +
		part("file", "a.txt", "text/plain", "hello") + end))
	f.Add([]byte(part("metadata", "", "application/json", `{"type":"open_source_capture","open_source":{"url":"https://x.example","captured_at":"2024-01-01T00:00:00Z"}}`) +
		part("html_source", "p.html", "text/html", "<html></html>") + part("full_page", "p.png", "image/png", "\x89PNG\r\n") +
		part("file", "v.mp4", "video/mp4", "\x00\x00\x00\x18ftypmp42") + end))
	f.Add([]byte(part("metadata", "", "application/json", `{"links":[{"kind":"incident","id":"x"}],"capture":{"latitude":91}}`) + end))
	f.Add([]byte(part("file", "", "", "") + part("file", "", "", "") + end))
	f.Add([]byte("--" + fuzzBoundary + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ntruncated"))

	a := app.New(dbtest.SQLite(f)).WithBlobs(blobtest.Local(f))
	h := New(a)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", Prefix+"/evidence", bytes.NewReader(body))
		req.Header.Set("Content-Type", "multipart/form-data; boundary="+fuzzBoundary)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code >= 500:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.Bytes())
		case rec.Code == http.StatusCreated:
			var it evidence.Item
			if err := json.Unmarshal(rec.Body.Bytes(), &it); err != nil {
				t.Fatal(err)
			}
			sum, err := a.Evidence.Rehash(record.WithActor(t.Context(), "fuzz"), it.ID)
			if err != nil || sum != it.Blob.SHA256 {
				t.Fatalf("stored item %s: content hashes to %s, item says %s (%v)", it.ID, sum, it.Blob.SHA256, err)
			}
		case rec.Code >= 400 && rec.Header().Get("Content-Type") != "application/problem+json":
			t.Fatalf("status %d answered as %q", rec.Code, rec.Header().Get("Content-Type"))
		}
	})
}
