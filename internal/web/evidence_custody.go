package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/record"
)

// custodyForm is the form for a custody event entered by hand, as typed.
type custodyForm struct {
	Kind, By, Recipient, At, Place, Purpose, SHA256, Notes string
}

// custodyFieldLabels are the catalog keys naming the custody form's fields.
var custodyFieldLabels = map[string]string{
	"kind": "custody.field.kind", "by": "custody.field.by", "recipient": "custody.field.recipient",
	"at": "custody.field.at", "place": "custody.field.place", "purpose": "custody.field.purpose",
	"sha256": "custody.field.sha256", "notes": "custody.field.notes",
}

// formTime is how a datetime-local input writes a moment; the form says
// it is in UTC.
const formTime = "2006-01-02T15:04"

// event reads the form into a custody event.
func (f custodyForm) event() (*evidence.Event, record.Errors) {
	e := &evidence.Event{Kind: evidence.EventKind(f.Kind), By: f.By, Recipient: f.Recipient, Place: f.Place,
		Purpose: f.Purpose, SHA256: f.SHA256, Notes: f.Notes}
	var errs record.Errors
	if at := strings.TrimSpace(f.At); at != "" {
		t, err := time.Parse(formTime, at)
		if err != nil {
			t, err = time.Parse(formTime+":05", at)
		}
		if err != nil {
			errs.Add("at", "invalid_time", "%q is not a date and time", at)
		}
		e.At = t
	}
	return e, errs
}

func (h *handler) custodyAdd(w http.ResponseWriter, r *http.Request) {
	id, ok := recordID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	form := custodyForm{Kind: r.PostFormValue("kind"), By: r.PostFormValue("by"), Recipient: r.PostFormValue("recipient"),
		At: r.PostFormValue("at"), Place: r.PostFormValue("place"), Purpose: r.PostFormValue("purpose"),
		SHA256: r.PostFormValue("sha256"), Notes: r.PostFormValue("notes")}
	e, errs := form.event()
	if len(errs) == 0 {
		err := h.evidence.AddCustody(writer(r), id, e)
		if ve, ok := record.AsErrors(err); ok {
			errs = ve
		} else if err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if len(errs) > 0 {
		l := h.localizer(r)
		h.renderEvidence(w, r, http.StatusUnprocessableEntity, form,
			fieldErrors(l, errs, func(f string) string { return f }, custodyFieldLabels))
		return
	}
	setFlash(w, r, "custody_added")
	http.Redirect(w, r, "/evidence/"+id+"#custody", http.StatusSeeOther)
}

// custodyReportPage is an item's custody report, for the screen and for
// print.
type custodyReportPage struct {
	base
	L evidenceLabels
	R *evidence.Report
}

func (h *handler) report(r *http.Request) (*evidence.Report, error) {
	id, ok := recordID(r)
	if !ok {
		return nil, db.ErrNotFound
	}
	return h.evidence.CustodyReport(r.Context(), id, record.Actor(writer(r)))
}

func (h *handler) custodyReport(w http.ResponseWriter, r *http.Request) {
	rep, err := h.report(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "evidence_custody", "evidence", &custodyReportPage{L: h.evidenceLabels(r), R: rep})
}

// custodyCSV and custodyHTML give the report as files, written whole
// before anything is sent.
func (h *handler) custodyCSV(w http.ResponseWriter, r *http.Request) {
	h.custodyFile(w, r, "text/csv; charset=utf-8", ".csv", (*evidence.Report).WriteCSV)
}

func (h *handler) custodyHTML(w http.ResponseWriter, r *http.Request) {
	h.custodyFile(w, r, "text/html; charset=utf-8", ".html", (*evidence.Report).WriteHTML)
}

func (h *handler) custodyFile(w http.ResponseWriter, r *http.Request, contentType, ext string, write func(*evidence.Report, io.Writer) error) {
	rep, err := h.report(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := write(rep, &buf); err != nil {
		h.fail(w, r, errors.Join(errors.New("write custody report"), err))
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Content-Disposition", `attachment; filename="custody-`+rep.Item.ID+ext+`"`)
	hd.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
