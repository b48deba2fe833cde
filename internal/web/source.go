package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/source"
)

type sourceListPage struct {
	base
	Sources []source.Source
}

func (h *handler) sourceList(w http.ResponseWriter, r *http.Request) {
	srcs, err := h.app.Sources.List(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "source_list", "sources", &sourceListPage{Sources: srcs})
}

type sourcePage struct {
	base
	S        *source.Source
	Revision *record.Revision
	Current  int
}

func (h *handler) sourceShow(w http.ResponseWriter, r *http.Request) {
	id, ok := recordID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	s, err := h.app.Sources.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "source_show", "sources", &sourcePage{S: s})
}

func (h *handler) sourceVersion(w http.ResponseWriter, r *http.Request) {
	rev, err := revisionFor(r, record.KindSource, h)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	current, err := h.app.Sources.Get(r.Context(), rev.RecordID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var s source.Source
	if err := json.Unmarshal(rev.Snapshot, &s); err != nil {
		h.fail(w, r, fmt.Errorf("read version %d of source %s: %w", rev.Version, rev.RecordID, err))
		return
	}
	h.render(w, r, http.StatusOK, "source_show", "sources", &sourcePage{S: &s, Revision: &rev, Current: current.Version})
}

type sourceFormPage struct {
	base
	Form           source.Source
	New            bool
	Action         string
	Errors         formErrors
	Conflict       *conflictView
	KindOps        []option
	ReliabilityOps []option
}

func (h *handler) sourceNew(w http.ResponseWriter, r *http.Request) {
	h.sourceFormRender(w, r, http.StatusOK, &source.Source{Kind: source.UNReport, Reliability: source.UnknownReliability}, formErrors{}, nil)
}

func (h *handler) sourceEdit(w http.ResponseWriter, r *http.Request) {
	id, ok := recordID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	s, err := h.app.Sources.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.sourceFormRender(w, r, http.StatusOK, s, formErrors{}, nil)
}

func parseSourceForm(v url.Values) *source.Source {
	s := &source.Source{Kind: source.Kind(v.Get("kind")), Title: v.Get("title"), Organisation: v.Get("organisation"),
		URL: v.Get("url"), DocumentSymbol: v.Get("document_symbol"), PublishedOn: v.Get("published_on"),
		Language: v.Get("language"), Reliability: source.Reliability(v.Get("reliability")), Description: v.Get("description")}
	s.Version, _ = strconv.Atoi(v.Get("version"))
	return s
}

func (h *handler) sourceSave(w http.ResponseWriter, r *http.Request) {
	saveRecord(h, w, r, recordForm[source.Source]{
		kind: record.KindSource, path: "sources", parse: parseSourceForm,
		meta:   func(s *source.Source) *record.Meta { return &s.Meta },
		create: h.app.Sources.Create, update: h.app.Sources.Update, render: h.sourceFormRender,
	})
}

func (h *handler) sourceFormRender(w http.ResponseWriter, r *http.Request, status int, s *source.Source, errs formErrors, conflict *conflictView) {
	l := h.localizer(r)
	data := &sourceFormPage{Form: *s, New: s.ID == "", Errors: errs, Conflict: conflict,
		KindOps:        enumOptions(l, "source_kind", source.Kinds),
		ReliabilityOps: enumOptions(l, "reliability", source.Reliabilities)}
	data.Action = "/sources/new"
	if !data.New {
		data.Action = "/sources/" + s.ID + "/edit"
	}
	h.render(w, r, status, "source_form", "sources", data)
}
