package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// recordForm describes a simple record's create/edit form: how to read it
// from the posted values, store it and draw it again.
type recordForm[T any] struct {
	kind           record.Kind
	path           string // "situations": the record's page is /situations/{id}
	parse          func(url.Values) *T
	meta           func(*T) *record.Meta
	create, update func(context.Context, *T) error
	render         func(w http.ResponseWriter, r *http.Request, status int, x *T, errs formErrors, conflict *conflictView)
}

// saveRecord handles a posted create or edit form: validation errors and a
// conflicting edit draw the form again with what was typed; success goes to
// the record's page.
func saveRecord[T any](h *handler, w http.ResponseWriter, r *http.Request, f recordForm[T]) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	x := f.parse(r.PostForm)
	m := f.meta(x)
	editing := r.PathValue("id") != ""
	if editing {
		id, ok := recordID(r)
		if !ok {
			h.notFound(w, r)
			return
		}
		m.ID = id
	} else {
		m.Version = 0
	}
	read := m.Version
	l := h.localizer(r)
	var err error
	if editing {
		err = f.update(writer(r), x)
	} else {
		err = f.create(writer(r), x)
	}
	if err != nil {
		// A failed write may have stamped the record; show the form as sent.
		m.Version = read
		if !editing {
			m.ID = ""
		}
	}
	if errs, ok := record.AsErrors(err); ok {
		f.render(w, r, http.StatusUnprocessableEntity, x, translateErrors(l, errs), nil)
		return
	}
	if errors.Is(err, db.ErrConflict) {
		conflict, current, err := h.conflict(r.Context(), l, f.kind, f.path, r.PathValue("id"), read)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		m.Version = current
		f.render(w, r, http.StatusConflict, x, formErrors{}, conflict)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if editing {
		setFlash(w, r, "saved")
	} else {
		setFlash(w, r, "created")
	}
	http.Redirect(w, r, "/"+f.path+"/"+m.ID, http.StatusSeeOther)
}
