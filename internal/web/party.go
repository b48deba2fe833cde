package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
)

const partyPageSize = 50

type partyRow struct {
	Party     party.Party
	Parent    *party.Party
	Incidents int
}

type partyListPage struct {
	base
	Text, Type, Scope string
	TypeOps           []option
	Rows              []partyRow
	NextURL, PrevURL  string
	First, Last       int
	Filtered          bool
}

func (h *handler) partyList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l := h.localizer(r)
	q := r.URL.Query()
	data := &partyListPage{Text: strings.TrimSpace(q.Get("q")), Type: q.Get("type"), Scope: q.Get("scope"),
		TypeOps: enumOptions(l, "party_type", party.Types)}
	if !slices.Contains(party.Types, party.Type(data.Type)) {
		data.Type = ""
	}
	if data.Scope != "top" {
		data.Scope = ""
	}
	data.Filtered = data.Text != "" || data.Type != "" || data.Scope != ""
	offset, _ := strconv.Atoi(q.Get("offset"))
	offset = max(offset, 0)
	list, err := h.app.Parties.List(ctx, party.Filter{Text: data.Text, Type: party.Type(data.Type),
		TopLevel: data.Scope == "top", Limit: partyPageSize + 1, Offset: offset})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	link := func(off int) string {
		v := url.Values{}
		for k, val := range map[string]string{"q": data.Text, "type": data.Type, "scope": data.Scope} {
			if val != "" {
				v.Set(k, val)
			}
		}
		if off > 0 {
			v.Set("offset", strconv.Itoa(off))
		}
		if e := v.Encode(); e != "" {
			return "/parties?" + e
		}
		return "/parties"
	}
	if len(list) > partyPageSize {
		list = list[:partyPageSize]
		data.NextURL = link(offset + partyPageSize)
	}
	if offset > 0 {
		data.PrevURL = link(max(offset-partyPageSize, 0))
	}
	parents := map[string]*party.Party{}
	for _, p := range list {
		row := partyRow{Party: p}
		if p.ParentID != "" {
			if _, ok := parents[p.ParentID]; !ok {
				pp, err := h.app.Parties.Get(ctx, p.ParentID)
				if err != nil && !errors.Is(err, db.ErrNotFound) {
					h.fail(w, r, err)
					return
				}
				parents[p.ParentID] = pp
			}
			row.Parent = parents[p.ParentID]
		}
		if row.Incidents, err = h.app.Incidents.CountForParty(ctx, p.ID); err != nil {
			h.fail(w, r, err)
			return
		}
		data.Rows = append(data.Rows, row)
	}
	if len(data.Rows) > 0 {
		data.First, data.Last = offset+1, offset+len(data.Rows)
	}
	h.render(w, r, http.StatusOK, "party_list", "parties", data)
}

// unitNode is a party's unit with its own units.
type unitNode struct {
	Party party.Party
	Units []unitNode
}

type partyPage struct {
	base
	P          *party.Party
	Ancestors  []party.Party // from the top-level organisation down
	Parent     *party.Party
	Units      []unitNode
	Incidents  incident.Page
	Situations map[string]*situation.Situation
	AllURL     string
	Revision   *record.Revision
	Current    int
}

const recentIncidents = 20

func (h *handler) partyShow(w http.ResponseWriter, r *http.Request) {
	id, ok := recordID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	p, err := h.app.Parties.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data, err := h.partyPage(r.Context(), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "party_show", "parties", data)
}

func (h *handler) partyVersion(w http.ResponseWriter, r *http.Request) {
	rev, err := revisionFor(r, record.KindParty, h)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	current, err := h.app.Parties.Get(r.Context(), rev.RecordID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var p party.Party
	if err := json.Unmarshal(rev.Snapshot, &p); err != nil {
		h.fail(w, r, fmt.Errorf("read version %d of party %s: %w", rev.Version, rev.RecordID, err))
		return
	}
	data, err := h.partyPage(r.Context(), &p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data.Revision, data.Current = &rev, current.Version
	h.render(w, r, http.StatusOK, "party_show", "parties", data)
}

func (h *handler) partyPage(ctx context.Context, p *party.Party) (*partyPage, error) {
	data := &partyPage{P: p, AllURL: "/incidents?party=" + p.ID}
	anc, err := h.app.Parties.Ancestors(ctx, p)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	slices.Reverse(anc)
	data.Ancestors = anc
	if len(anc) > 0 {
		data.Parent = &anc[len(anc)-1]
	}
	tree, err := h.partyTree(ctx)
	if err != nil {
		return nil, err
	}
	var build func(id string, seen map[string]bool) []unitNode
	build = func(id string, seen map[string]bool) []unitNode {
		var out []unitNode
		for _, u := range tree.children[id] {
			if seen[u.ID] {
				continue
			}
			seen[u.ID] = true
			out = append(out, unitNode{Party: *u, Units: build(u.ID, seen)})
		}
		return out
	}
	data.Units = build(p.ID, map[string]bool{p.ID: true})
	if data.Incidents, err = h.app.Incidents.List(ctx, incident.Filter{PartyID: p.ID, Limit: recentIncidents}); err != nil {
		return nil, err
	}
	if data.Situations, err = h.situationNames(ctx); err != nil {
		return nil, err
	}
	return data, nil
}

// partyForm is the party form as typed; names[i] are its names in other
// languages and its aliases.
type partyForm struct {
	ID, Name, Abbreviation, Type, ParentID, CountryCode, Description string
	Version                                                          int
	Names                                                            []party.Name
}

func formFromParty(p *party.Party) partyForm {
	return partyForm{ID: p.ID, Version: p.Version, Name: p.Name, Abbreviation: p.Abbreviation, Type: string(p.Type),
		ParentID: p.ParentID, CountryCode: p.CountryCode, Description: p.Description, Names: slices.Clone(p.Names)}
}

func parsePartyForm(v url.Values) partyForm {
	f := partyForm{Name: v.Get("name"), Abbreviation: v.Get("abbreviation"), Type: v.Get("type"),
		ParentID: v.Get("parent_id"), CountryCode: v.Get("country_code"), Description: v.Get("description")}
	f.Version, _ = strconv.Atoi(v.Get("version"))
	for i := 0; i < maxRows; i++ {
		p := fmt.Sprintf("names[%d].", i)
		if !v.Has(p + "lang") {
			break
		}
		f.Names = append(f.Names, party.Name{Lang: v.Get(p + "lang"), Text: v.Get(p + "name"), Alias: v.Get(p+"alias") == "true"})
	}
	return f
}

func (f partyForm) party() *party.Party {
	return &party.Party{Meta: record.Meta{ID: f.ID, Version: f.Version}, Name: f.Name, Abbreviation: f.Abbreviation,
		Type: party.Type(f.Type), ParentID: f.ParentID, CountryCode: f.CountryCode, Description: f.Description,
		Names: slices.Clone(f.Names)}
}

type partyFormPage struct {
	base
	Form      partyForm
	New       bool
	Action    string
	Errors    formErrors
	Conflict  *conflictView
	TypeOps   []option
	ParentOps []option
	LangOps   []option
}

func (h *handler) partyNew(w http.ResponseWriter, r *http.Request) {
	f := partyForm{Type: string(party.NonStateArmedGroup)}
	if p := r.URL.Query().Get("parent"); record.ValidID(p) {
		f.ParentID = p
		if parent, err := h.app.Parties.Get(r.Context(), p); err == nil {
			f.Type = string(parent.Type)
		}
	}
	h.partyFormRender(w, r, http.StatusOK, f, formErrors{}, nil)
}

func (h *handler) partyEdit(w http.ResponseWriter, r *http.Request) {
	id, ok := recordID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	p, err := h.app.Parties.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.partyFormRender(w, r, http.StatusOK, formFromParty(p), formErrors{}, nil)
}

func (h *handler) partySave(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	f := parsePartyForm(r.PostForm)
	editing := r.PathValue("id") != ""
	if editing {
		id, ok := recordID(r)
		if !ok {
			h.notFound(w, r)
			return
		}
		f.ID = id
	} else {
		f.Version = 0
	}
	l := h.localizer(r)
	switch op := r.PostForm.Get("op"); {
	case op == "add-name":
		f.Names = append(f.Names, party.Name{})
		h.partyFormRender(w, r, http.StatusOK, f, formErrors{}, nil)
		return
	case strings.HasPrefix(op, "remove-name:"):
		i, err := strconv.Atoi(strings.TrimPrefix(op, "remove-name:"))
		if err != nil || i < 0 || i >= len(f.Names) {
			http.Error(w, "unknown form action", http.StatusBadRequest)
			return
		}
		f.Names = append(f.Names[:i], f.Names[i+1:]...)
		h.partyFormRender(w, r, http.StatusOK, f, formErrors{}, nil)
		return
	case op != "" && op != "save":
		http.Error(w, "unknown form action", http.StatusBadRequest)
		return
	}
	p := f.party()
	var err error
	if editing {
		err = h.app.Parties.Update(writer(r), p)
	} else {
		err = h.app.Parties.Create(writer(r), p)
	}
	if errs, ok := record.AsErrors(err); ok {
		h.partyFormRender(w, r, http.StatusUnprocessableEntity, f, translateErrors(l, errs), nil)
		return
	}
	if errors.Is(err, db.ErrConflict) {
		conflict, current, err := h.conflict(r.Context(), l, record.KindParty, "parties", f.ID, f.Version)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		f.Version = current
		h.partyFormRender(w, r, http.StatusConflict, f, formErrors{}, conflict)
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
	http.Redirect(w, r, "/parties/"+p.ID, http.StatusSeeOther)
}

func (h *handler) partyFormRender(w http.ResponseWriter, r *http.Request, status int, f partyForm, errs formErrors, conflict *conflictView) {
	l := h.localizer(r)
	data := &partyFormPage{Form: f, New: f.ID == "", Errors: errs, Conflict: conflict,
		TypeOps: enumOptions(l, "party_type", party.Types)}
	data.Action = "/parties/new"
	if !data.New {
		data.Action = "/parties/" + f.ID + "/edit"
	}
	tree, err := h.partyTree(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// A party cannot sit under itself or one of its own units.
	data.ParentOps = tree.options(l, f.ID)
	for _, code := range knownLanguageNames {
		data.LangOps = append(data.LangOps, option{Value: code, Label: languageName(l, code)})
	}
	h.render(w, r, status, "party_form", "parties", data)
}
