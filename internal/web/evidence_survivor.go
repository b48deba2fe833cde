package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/record"
)

// Evidence that identifies a survivor: the item's page says whose file it
// is and whether the viewer may open it, and offers to tie it to a survivor
// (or untie it); the upload form offers the survivors within reach.

// survivorOptions are the survivors a file may be tied to: those within the
// asker's cases that are not erased, by code.
func (h *handler) survivorOptions(r *http.Request) ([]option, error) {
	if h.app.Survivors == nil || h.app.Survivors.Sealing() != nil {
		return nil, nil // files cannot be sealed for anyone here
	}
	list, err := h.app.Survivors.List(r.Context())
	if err != nil {
		return nil, err
	}
	var out []option
	for _, sv := range list {
		if !sv.Erased() {
			out = append(out, option{Value: sv.ID, Label: sv.Code})
		}
	}
	return out, nil
}

// evidenceSurvivorData fills in what an item's page shows of the survivor
// its file identifies, and the form that ties it to one.
func (h *handler) evidenceSurvivorData(r *http.Request, data *evidencePage) error {
	it := data.It
	data.Closed = closedKey(r.Context(), it)
	if it.SurvivorID != "" {
		ref := &survivorRef{ID: it.SurvivorID}
		sv, err := h.app.Survivors.Get(r.Context(), it.SurvivorID)
		switch {
		case err == nil:
			ref.Code, ref.Reached, ref.Erased = sv.Code, true, sv.Erased()
		case !errors.Is(err, db.ErrNotFound):
			return err
		}
		data.Survivor = ref
	}
	if it.Shredded() {
		return nil
	}
	// Moving a survivor's file away from their key is for those who may
	// see it; tying a file to a survivor narrows who may.
	data.CanUntie = it.SurvivorID == "" || evidence.MayOpen(r.Context(), it) == nil
	if !data.CanUntie {
		return nil
	}
	options, err := h.survivorOptions(r)
	if err != nil {
		return err
	}
	for _, o := range options {
		if o.Value != it.SurvivorID {
			data.Survivors = append(data.Survivors, o)
		}
	}
	return nil
}

// evidenceSurvivor ties an item to the survivor its file identifies, or
// unties it: the store seals its files again under the new key.
func (h *handler) evidenceSurvivor(w http.ResponseWriter, r *http.Request) {
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
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	next := *it
	next.Version = version
	next.SurvivorID = strings.TrimSpace(r.PostFormValue("survivor"))
	untie := r.PostFormValue("action") == "untie"
	if untie {
		next.SurvivorID = ""
	}
	var key string
	status := http.StatusUnprocessableEntity
	switch {
	case !untie && next.SurvivorID == "":
		key = "evidence.survivor.required"
	case next.SurvivorID == it.SurvivorID:
		http.Redirect(w, r, "/evidence/"+id+"#survivor", http.StatusSeeOther)
		return
	default:
		err = h.evidence.Update(writer(r), &next)
	}
	switch {
	case key != "":
		// Refused before the store was asked.
	case err == nil:
		flash := "survivor_tied"
		if next.SurvivorID == "" {
			flash = "survivor_untied"
		}
		setFlash(w, r, flash)
		http.Redirect(w, r, "/evidence/"+id+"#survivor", http.StatusSeeOther)
		return
	case errors.Is(err, evidence.ErrIdentities):
		key, status = "evidence.survivor.closed", http.StatusForbidden
	case errors.Is(err, db.ErrConflict):
		key, status = "evidence.survivor.conflict", http.StatusConflict
	}
	l := h.localizer(r)
	var fe formErrors
	if key != "" {
		msg := l.T(key)
		fe = formErrors{ByField: map[string]string{"survivor": msg}, List: []fieldMessage{{Field: "survivor_id",
			ID: fieldID("survivor"), Label: l.T("evidence.field.survivor"), Message: msg}}}
	} else if errs, ok := record.AsErrors(err); ok {
		fe = fieldErrors(l, errs, func(string) string { return "survivor" }, map[string]string{"survivor": "evidence.field.survivor"})
	} else {
		h.fail(w, r, err)
		return
	}
	h.renderEvidenceWith(w, r, status, custodyForm{At: time.Now().UTC().Format(formTime)}, formErrors{}, fe)
}
