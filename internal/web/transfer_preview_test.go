package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/db/dbtest"
)

// An export made for a use shows first how many victim codes it withholds
// and why; the download follows from there and says the same in its
// trailer. The organisation's own copy downloads at once.
func TestTransferExportPreview(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))

	// The seed names one victim code, V-001, which no survivor record has.
	r := e.get("/transfer/export?format=csv&for=un_sharing", "en")
	r.wantStatus(t, http.StatusOK)
	r.contains(t, `id="export-preview"`, "Before you download", "Sharing with the UN",
		"1 of the 1 victim codes in this export will be left empty", "1: no survivor record has the code",
		`href="/transfer/export?confirm=1&amp;for=un_sharing&amp;format=csv"`, "Download CSV (zip)",
		`<option value="un_sharing" selected>`)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("the preview is %s", ct)
	}
	e.get("/transfer/export?format=json&for=advocacy", "ar").contains(t, "قبل التنزيل", "سيُترك رمز ضحية واحد من أصل ١")

	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/transfer/export?confirm=1&for=un_sharing&format=json", nil))
	res := rec.Result()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %v", res.StatusCode, res.Header)
	}
	if got := res.Trailer.Get("Dossier-Withheld"); got != "1 of 1 victim codes" {
		t.Errorf("Dossier-Withheld trailer %q", got)
	}
	if strings.Contains(rec.Body.String(), "V-001") {
		t.Error("the export for UN sharing carries a code without consent")
	}

	rec = httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/transfer/export?format=json", nil))
	if !strings.HasPrefix(rec.Result().Header.Get("Content-Disposition"), "attachment") || !strings.Contains(rec.Body.String(), "V-001") {
		t.Errorf("the organisation's own copy: %v", rec.Result().Header)
	}
	e.get("/transfer/export?format=json&for=gossip", "en").wantStatus(t, http.StatusNotFound)
}
