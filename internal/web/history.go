package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// recordKind is what the history pages need to know of a kind of record.
type recordKind struct {
	kind    record.Kind
	section string // nav section and URL prefix: /incidents
	// title names the record as it stands now, for the page heading.
	title func(ctx context.Context, h *handler, id string) (string, error)
}

var (
	incidentKind = recordKind{kind: record.KindIncident, section: "incidents",
		title: func(ctx context.Context, h *handler, id string) (string, error) {
			in, err := h.app.Incidents.Get(ctx, id)
			if err != nil {
				return "", err
			}
			return in.Title, nil
		}}
	partyKind = recordKind{kind: record.KindParty, section: "parties",
		title: func(ctx context.Context, h *handler, id string) (string, error) {
			p, err := h.app.Parties.Get(ctx, id)
			if err != nil {
				return "", err
			}
			return p.Name, nil
		}}
	situationKind = recordKind{kind: record.KindSituation, section: "situations",
		title: func(ctx context.Context, h *handler, id string) (string, error) {
			s, err := h.app.Situations.Get(ctx, id)
			if err != nil {
				return "", err
			}
			return s.Name, nil
		}}
	sourceKind = recordKind{kind: record.KindSource, section: "sources",
		title: func(ctx context.Context, h *handler, id string) (string, error) {
			s, err := h.app.Sources.Get(ctx, id)
			if err != nil {
				return "", err
			}
			return s.Title, nil
		}}
)

type historyPage struct {
	base
	Section   string
	ID        string
	Title     string
	Revisions []revisionView // newest first
	Versioned bool           // earlier versions can be viewed
}

type revisionView struct {
	record.Revision
	Changes []changeView
}

type changeView struct {
	Label    string
	Old, New string
}

// history lists every revision of a record with the fields each changed.
func (h *handler) history(k recordKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := recordID(r)
		if !ok {
			h.notFound(w, r)
			return
		}
		title, err := k.title(r.Context(), h, id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		revs, err := record.History(r.Context(), h.app.DB, k.kind, id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		l := h.localizer(r)
		names := h.referenceNames(r.Context())
		data := &historyPage{Section: k.section, ID: id, Title: title, Versioned: true}
		for i, rev := range revs {
			v := revisionView{Revision: rev}
			if i > 0 {
				changes, err := record.Diff(revs[i-1].Snapshot, rev.Snapshot)
				if err != nil {
					h.fail(w, r, err)
					return
				}
				for _, c := range changes {
					v.Changes = append(v.Changes, changeView{Label: fieldLabel(l, c.Path),
						Old: displayValue(r.Context(), l, names, c.Path, c.Old),
						New: displayValue(r.Context(), l, names, c.Path, c.New)})
				}
			}
			data.Revisions = append(data.Revisions, v)
		}
		slices.Reverse(data.Revisions)
		h.render(w, r, http.StatusOK, "history", k.section, data)
	}
}

// revisionFor reads the {version} of a history path.
func revisionFor(r *http.Request, k record.Kind, h *handler) (record.Revision, error) {
	id, ok := recordID(r)
	v, err := strconv.Atoi(r.PathValue("version"))
	if !ok || err != nil || v < 1 {
		return record.Revision{}, db.ErrNotFound
	}
	return record.RevisionAt(r.Context(), h.app.DB, k, id, v)
}

// enumFields says which enumeration a field's values come from, by the
// field's path without list indexes.
var enumFields = map[string]string{
	"status":                     "status",
	"context":                    "context",
	"place.precision":            "location_precision",
	"date.precision":             "date_precision",
	"acts.violation_type":        "violation_type",
	"acts.victim.sex":            "sex",
	"acts.victim.age_group":      "age_group",
	"acts.victim.status":         "victim_status",
	"information.connection":     "connection",
	"information.reliability":    "reliability",
	"type":                       "party_type",
	"kind":                       "source_kind",
	"reliability":                "reliability",
	"conflict_class":             "conflict_class",
	"setting":                    "setting",
	"on_security_council_agenda": "bool",
	"names.alias":                "bool",
}

// referenceFields point at other records, shown by name.
var referenceFields = map[string]bool{
	"situation_id": true, "parent_id": true, "acts.perpetrators.party_id": true, "information.source_id": true,
	"case_id": true,
}

var dayFields = map[string]bool{"date.start": true, "date.end": true, "published_on": true}

var timeFields = map[string]bool{"created_at": true, "updated_at": true}

func normalPath(p string) string {
	segs := strings.Split(p, ".")
	for i, s := range segs {
		segs[i], _, _ = splitIndex(s)
	}
	return strings.Join(segs, ".")
}

// displayValue renders a field's value from a snapshot for a person:
// enumerations translated, references by name, dates spelled out.
func displayValue(ctx context.Context, l *localizer, names *referenceNames, p, v string) string {
	if v == "" {
		return ""
	}
	norm := normalPath(p)
	switch {
	case enumFields[norm] == "bool":
		if v == "true" {
			return l.T("common.yes")
		}
		return l.T("common.no")
	case enumFields[norm] != "":
		return l.Enum(enumFields[norm], v)
	case referenceFields[norm]:
		return names.name(ctx, l, norm, v)
	case dayFields[norm]:
		return l.Day(v)
	case timeFields[norm]:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return l.Time(t)
		}
	}
	return v
}

// referenceNames looks up, once per page, the names of records a page
// refers to by ID.
type referenceNames struct {
	h     *handler
	cache map[string]string
}

func (h *handler) referenceNames(context.Context) *referenceNames {
	return &referenceNames{h: h, cache: map[string]string{}}
}

func (n *referenceNames) name(ctx context.Context, l *localizer, field, id string) string {
	if s, ok := n.cache[id]; ok {
		return s
	}
	name := id
	switch field {
	case "situation_id":
		if s, err := n.h.app.Situations.Get(ctx, id); err == nil {
			name = s.Name
		}
	case "parent_id", "acts.perpetrators.party_id":
		if p, err := n.h.app.Parties.Get(ctx, id); err == nil {
			name = p.NameIn(l.lang.Code)
		}
	case "information.source_id":
		if s, err := n.h.app.Sources.Get(ctx, id); err == nil {
			name = s.Title
		}
	case "case_id":
		if c, err := n.h.access.Accounts.Case(ctx, id); err == nil {
			name = c.Name
		}
	}
	n.cache[id] = name
	return name
}
