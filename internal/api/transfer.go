package api

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
	"github.com/dossier-org/dossier/internal/transfer"
)

// maxImportBody caps an import's body: a large record in CSV, zipped.
const maxImportBody = 2 << 30

var formats = []transfer.Format{transfer.JSON, transfer.CSV}

// importReport is what a committed import answers.
type importReport struct {
	Committed bool        `json:"committed"`
	Imported  counts      `json:"imported"`
	Rejected  []rejection `json:"rejected"`
}

type counts struct {
	Situations int `json:"situations"`
	Parties    int `json:"parties"`
	Sources    int `json:"sources"`
	Incidents  int `json:"incidents"`
	Acts       int `json:"acts"`
}

func rejectionsOf(rs []transfer.Rejection) []rejection {
	out := make([]rejection, len(rs))
	for i, r := range rs {
		out[i] = rejection{File: r.File, Row: r.Row, Field: r.Field, Reason: redactReason(r.Reason)}
	}
	return out
}

// importRecords answers POST /import: the body is imported in one
// transaction through the domain stores. 200 when committed, 422 with every
// rejected row when nothing was.
func importRecords(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := newQuery(r, "format", "partial", "case")
		format := oneOf(q, "format", formats)
		partial := q.boolean("partial")
		caseID := q.id("case")
		if caseID != "" && record.ValidID(caseID) && !record.CaseAllowed(r.Context(), caseID) {
			q.errs.Add("case", "not_allowed", "is not one of the cases you work on")
		}
		if err := q.err(); err != nil {
			return err
		}
		ctx := r.Context()
		if caseID != "" {
			ctx = record.WithDefaultCase(ctx, caseID)
		}
		// transfer picks the format from a file name's extension.
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		var name string
		switch {
		case mt == "application/json" && format != transfer.CSV:
			name = "import.json"
		case mt == "application/zip" && format != transfer.JSON:
			name = "import.zip"
		case mt == "text/csv" && format != transfer.JSON:
			name = "import.csv"
		default:
			accepted := "application/json, application/zip or text/csv"
			switch format {
			case transfer.JSON:
				accepted = "application/json"
			case transfer.CSV:
				accepted = "application/zip (CSV files) or text/csv (one CSV file)"
			}
			return &problem{Type: typeUnsupportedMedia, Title: "Unsupported media type", Status: http.StatusUnsupportedMediaType,
				Detail: "Send the import as " + accepted + " (Content-Type header)."}
		}
		body := http.MaxBytesReader(w, r.Body, maxImportBody)
		report, err := transfer.ImportReader(ctx, a, body, name, transfer.Options{Partial: partial})
		if err != nil {
			var tooLarge *http.MaxBytesError
			var pathErr *fs.PathError
			if errors.As(err, &tooLarge) || errors.As(err, &pathErr) || r.Context().Err() != nil {
				return err // 413, or the server's own trouble (a temporary file): 500
			}
			return &problem{Type: typeInvalidRequest, Title: "Unreadable import", Status: http.StatusBadRequest,
				Detail: "The body could not be read as a " + string(formatOf(name)) + " import: " + redactReason(rootCause(err)) + "."}
		}
		if !report.Committed {
			return &problem{Type: typeImportRejected, Title: "Import rejected", Status: http.StatusUnprocessableEntity,
				Detail:     "Nothing was imported; fix the rows listed in rejections, or import with partial=true to store the rest.",
				Rejections: rejectionsOf(report.Rejected)}
		}
		c := report.Imported
		return writeJSON(w, http.StatusOK, importReport{
			Committed: true,
			Imported:  counts{Situations: c.Situations, Parties: c.Parties, Sources: c.Sources, Incidents: c.Incidents, Acts: c.Acts},
			Rejected:  rejectionsOf(report.Rejected),
		})
	}
}

func formatOf(name string) transfer.Format {
	if name == "import.json" {
		return transfer.JSON
	}
	return transfer.CSV
}

// exportRecords answers GET /export by streaming the whole record.
func exportRecords(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := newQuery(r, "format", "for")
		format := oneOf(q, "format", formats)
		use := oneOf(q, "for", survivor.Uses)
		if err := q.err(); err != nil {
			return err
		}
		if format == "" {
			format = transfer.JSON
		}
		contentType, ext := "application/json", ".json"
		if format == transfer.CSV {
			contentType, ext = "application/zip", ".zip"
		}
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Disposition", `attachment; filename="dossier-export-`+time.Now().UTC().Format("20060102")+ext+`"`)
		h.Set("Cache-Control", "no-store")
		if use != "" {
			// Known only once every act was checked: sent after the body.
			h.Set("Trailer", "Dossier-Withheld")
		}
		if r.Method == http.MethodHead {
			return nil
		}
		out := &lazyWriter{w: w}
		withheld, err := transfer.ExportFor(r.Context(), a, out, format, use)
		if err == nil && use != "" {
			h.Set("Dossier-Withheld", fmt.Sprintf("%d of %d victim codes", withheld.Total, withheld.Checked))
		}
		if err != nil {
			if !out.started {
				// Nothing sent yet: the client still gets a proper problem.
				h.Del("Content-Disposition")
				return err
			}
			// Half an export must not look like a whole one: cut the
			// connection rather than end the body cleanly.
			if r.Context().Err() == nil {
				slog.ErrorContext(r.Context(), "export failed mid-stream", "route", r.Pattern, "cause", rootCause(err))
			}
			panic(http.ErrAbortHandler)
		}
		if !out.started {
			w.WriteHeader(http.StatusOK)
		}
		return nil
	}
}

// lazyWriter sends the status with the first byte, so that a failure before
// anything is written can still be answered with a problem.
type lazyWriter struct {
	w       http.ResponseWriter
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}
