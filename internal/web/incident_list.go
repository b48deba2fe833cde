package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
)

// listQuery is the incident list's URL: its filters, as typed, and where in
// the results it is. Every link the page draws keeps the filters, so a URL
// can be shared to show the same list.
type listQuery struct {
	Text, Situation, Party, Violation, Age, From, To, Status, Sort string
	Limit                                                          int
	Cursor                                                         string
	// Back holds the cursors of the pages before this one, oldest first
	// (the first page's is empty); HasBack says there are such pages.
	Back    []string
	HasBack bool
}

const defaultPageSize = 50

var pageSizes = []int{25, 50, 100, 200}

func parseListQuery(q url.Values) listQuery {
	lq := listQuery{
		Text: strings.TrimSpace(q.Get("q")), Situation: q.Get("situation"), Party: q.Get("party"),
		Violation: q.Get("violation"), Age: q.Get("age"), From: strings.TrimSpace(q.Get("from")),
		To: strings.TrimSpace(q.Get("to")), Status: q.Get("status"), Sort: q.Get("sort"),
		Cursor: q.Get("cursor"), Limit: defaultPageSize,
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 && n <= incident.MaxPage {
		lq.Limit = n
	}
	if q.Has("back") {
		lq.HasBack = true
		lq.Back = strings.Split(q.Get("back"), ".")
	}
	return lq
}

func (q listQuery) filter() incident.Filter {
	return incident.Filter{SituationID: q.Situation, PartyID: q.Party, ViolationType: incident.ViolationType(q.Violation),
		AgeGroup: incident.AgeGroup(q.Age), From: q.From, To: q.To, Status: incident.Status(q.Status),
		Text: q.Text, Sort: incident.Sort(q.Sort), Limit: q.Limit, Cursor: q.Cursor}
}

// values are the filters alone, without the position in the results.
func (q listQuery) values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", q.Text)
	set("situation", q.Situation)
	set("party", q.Party)
	set("violation", q.Violation)
	set("age", q.Age)
	set("from", q.From)
	set("to", q.To)
	set("status", q.Status)
	set("sort", q.Sort)
	if q.Limit != defaultPageSize {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// Filtered reports whether any filter is set.
func (q listQuery) Filtered() bool {
	return q.Text != "" || q.Situation != "" || q.Party != "" || q.Violation != "" || q.Age != "" ||
		q.From != "" || q.To != "" || q.Status != ""
}

// nextURL is the page after this one.
func (q listQuery) nextURL(next string) string {
	v := q.values()
	v.Set("cursor", next)
	v.Set("back", strings.Join(append(append([]string{}, q.Back...), q.Cursor), "."))
	return "/incidents?" + v.Encode()
}

// prevURL is the page before this one, or "" on the first.
func (q listQuery) prevURL() string {
	if !q.HasBack || len(q.Back) == 0 {
		return ""
	}
	v := q.values()
	last := len(q.Back) - 1
	if q.Back[last] != "" {
		v.Set("cursor", q.Back[last])
	}
	if last > 0 {
		v.Set("back", strings.Join(q.Back[:last], "."))
	}
	if e := v.Encode(); e != "" {
		return "/incidents?" + e
	}
	return "/incidents"
}

// pageNumber counts pages from 1.
func (q listQuery) pageNumber() int {
	if !q.HasBack {
		return 1
	}
	return len(q.Back) + 1
}

type incidentListPage struct {
	base
	Query        listQuery
	Errors       formErrors
	Page         incident.Page
	Situations   map[string]*situation.Situation
	SituationOps []option
	PartyOps     []option
	ViolationOps []option
	AgeOps       []option
	StatusOps    []option
	SortOps      []option
	PageSizes    []int
	First, Last  int // the rows shown, counted from 1
	NextURL      string
	PrevURL      string
	FirstURL     string // the same filters, from the first page
	ResetURL     string
	Empty        bool // nothing is recorded at all
}

func (h *handler) incidentList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l := h.localizer(r)
	q := parseListQuery(r.URL.Query())
	data := &incidentListPage{Query: q, PageSizes: pageSizes, ResetURL: "/incidents",
		ViolationOps: violationOptions(l), AgeOps: enumOptions(l, "age_group", incident.AgeGroups),
		StatusOps: enumOptions(l, "status", incident.Statuses), SortOps: enumOptions(l, "sort", incident.Sorts)}
	var err error
	if data.SituationOps, _, err = h.situationOptions(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	if data.Situations, err = h.situationNames(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	tree, err := h.partyTree(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data.PartyOps = tree.options(l, "")

	status := http.StatusOK
	page, err := h.app.Incidents.List(ctx, q.filter())
	if errs, ok := record.AsErrors(err); ok {
		data.Errors = translateErrors(l, filterFieldNames(errs))
		status = http.StatusBadRequest
	} else if err != nil {
		h.fail(w, r, err)
		return
	}
	data.Page = page
	if n := len(page.Incidents); n > 0 {
		data.First = (q.pageNumber()-1)*q.Limit + 1
		data.Last = data.First + n - 1
	}
	if page.Next != "" {
		data.NextURL = q.nextURL(page.Next)
	}
	data.PrevURL = q.prevURL()
	data.FirstURL = "/incidents"
	if e := q.values().Encode(); e != "" {
		data.FirstURL += "?" + e
	}
	if page.Total == 0 && !q.Filtered() && !data.Errors.Any() {
		data.Empty = true
	}
	h.render(w, r, status, "incident_list", "incidents", data)
}

// filterFieldNames maps the filter's field names onto the list form's inputs.
func filterFieldNames(errs record.Errors) record.Errors {
	rename := map[string]string{"violation_type": "violation", "age_group": "age", "cursor": "cursor"}
	out := make(record.Errors, len(errs))
	for i, e := range errs {
		if n, ok := rename[e.Field]; ok {
			e.Field = n
		}
		out[i] = e
	}
	return out
}
