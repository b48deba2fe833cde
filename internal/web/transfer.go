package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
	"github.com/dossier-org/dossier/internal/transfer"
)

type transferPage struct {
	base
	Report   *transfer.Report
	FileName string
	Partial  bool
	// CaseOps are the cases imported incidents may be filed in (the
	// viewer's own); CaseID is the one chosen.
	CaseOps []option
	CaseID  string
	Errors  formErrors // none: the case list only offers what may be chosen
	Problem string     // catalog key: why the import could not run at all
	Detail  string     // the reader's own words on it, for the person who sent the file
	// Preview says, before an export made for a use is downloaded, how many
	// victim codes it withholds and why; Download fetches it.
	Preview  *transfer.WithheldCount
	ForUse   string
	Format   string
	Download string
}

// Uses are the uses of survivors' information an export may be made for.
func (transferPage) Uses() []survivor.Use { return survivor.Uses }

func (h *handler) transferPage(w http.ResponseWriter, r *http.Request) {
	data := &transferPage{}
	var err error
	if data.CaseOps, _, err = h.caseOptions(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "transfer", "transfer", data)
}

// uploadMemory is how much of an upload is held in memory; the rest of a
// large file waits in a temporary file.
const uploadMemory = 8 << 20

// transferImport imports an uploaded .json, .zip or .csv file and shows
// the report: what was imported and every rejected row.
func (h *handler) transferImport(w http.ResponseWriter, r *http.Request) {
	data := &transferPage{}
	if err := r.ParseMultipartForm(uploadMemory); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			data.Problem = "transfer.problem.too_large"
			h.render(w, r, http.StatusRequestEntityTooLarge, "transfer", "transfer", data)
			return
		}
		data.Problem = "transfer.problem.no_file"
		h.render(w, r, http.StatusBadRequest, "transfer", "transfer", data)
		return
	}
	defer r.MultipartForm.RemoveAll()
	data.Partial = r.FormValue("partial") == "true"
	var err error
	if data.CaseOps, _, err = h.caseOptions(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := writer(r)
	// Imported incidents naming no case are filed in the one chosen, if it
	// is the viewer's.
	if id := r.FormValue("case"); id != "" && record.ValidID(id) && record.CaseAllowed(ctx, id) {
		data.CaseID, ctx = id, record.WithDefaultCase(ctx, id)
	}
	file, header, err := r.FormFile("file")
	if err != nil {
		data.Problem = "transfer.problem.no_file"
		h.render(w, r, http.StatusBadRequest, "transfer", "transfer", data)
		return
	}
	defer file.Close()
	data.FileName = filepath.Base(header.Filename)
	switch strings.ToLower(filepath.Ext(data.FileName)) {
	case ".json", ".zip", ".csv":
	default:
		data.Problem = "transfer.problem.format"
		h.render(w, r, http.StatusUnprocessableEntity, "transfer", "transfer", data)
		return
	}
	report, err := transfer.ImportReader(ctx, h.app, file, data.FileName, transfer.Options{Partial: data.Partial})
	if err != nil {
		// The file could not be read at all. Its sender sees why; the log
		// does not, as the reason may quote the file.
		data.Problem, data.Detail = "transfer.problem.unreadable", err.Error()
		h.render(w, r, http.StatusUnprocessableEntity, "transfer", "transfer", data)
		return
	}
	data.Report = &report
	status := http.StatusOK
	if !report.Committed {
		status = http.StatusUnprocessableEntity
	}
	h.render(w, r, status, "transfer", "transfer", data)
}

// transferExport streams the whole record as a JSON document or a zip of
// CSV files, as a download.
func (h *handler) transferExport(w http.ResponseWriter, r *http.Request) {
	var f transfer.Format
	var name, ctype string
	stamp := time.Now().UTC().Format("20060102-150405")
	switch r.URL.Query().Get("format") {
	case "json":
		f, name, ctype = transfer.JSON, fmt.Sprintf("dossier-%s.json", stamp), "application/json"
	case "csv":
		f, name, ctype = transfer.CSV, fmt.Sprintf("dossier-%s-csv.zip", stamp), "application/zip"
	default:
		h.notFound(w, r)
		return
	}
	use := survivor.Use(r.URL.Query().Get("for"))
	if use != "" && !slices.Contains(survivor.Uses, use) {
		h.notFound(w, r)
		return
	}
	// An export made for a use is shown first as what it withholds and
	// why; the download follows from that page.
	if use != "" && r.URL.Query().Get("confirm") != "1" {
		h.transferPreview(w, r, f, use)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if use != "" {
		// As the API does: known once every act was checked.
		w.Header().Set("Trailer", "Dossier-Withheld")
	}
	withheld, err := transfer.ExportFor(r.Context(), h.app, w, f, use)
	if err == nil && use != "" {
		w.Header().Set("Dossier-Withheld", fmt.Sprintf("%d of %d victim codes", withheld.Total, withheld.Checked))
	}
	if err != nil {
		// Headers are gone by now; the broken download is all the client
		// can be told, the log says why.
		slog.Error("web: export failed", "format", f, "err", err)
	}
}

// transferPreview shows what an export for use withholds, counted the way
// the export counts, with the link that downloads it.
func (h *handler) transferPreview(w http.ResponseWriter, r *http.Request, f transfer.Format, use survivor.Use) {
	data := &transferPage{ForUse: string(use), Format: string(f)}
	var err error
	if data.CaseOps, _, err = h.caseOptions(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	}
	count, err := transfer.CountWithheld(r.Context(), h.app, use)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data.Preview = &count
	data.Download = "/transfer/export?" + url.Values{"format": {string(f)}, "for": {string(use)}, "confirm": {"1"}}.Encode()
	h.render(w, r, http.StatusOK, "transfer", "transfer", data)
}
