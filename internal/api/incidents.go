package api

import (
	"net/http"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
)

func incidentResource(a *app.App) *resource[incident.Incident] {
	return &resource[incident.Incident]{
		noun:   "incident",
		path:   Prefix + "/incidents",
		get:    a.Incidents.Get,
		create: a.Incidents.Create,
		update: a.Incidents.Update,
		meta:   func(in *incident.Incident) *record.Meta { return &in.Meta },
	}
}

// incidentPage is one page of a list of incidents.
type incidentPage struct {
	Incidents []incident.Incident `json:"incidents"`
	// Next is the cursor of the following page, null on the last.
	Next        *string `json:"next"`
	Total       int     `json:"total"`
	TotalCapped bool    `json:"total_capped"`
}

// incidentParams are the parameters of GET /incidents, by name.
var incidentParams = []string{"situation", "party", "violation_type", "age_group", "from", "to", "status", "q",
	"sort", "limit", "cursor"}

// listIncidents answers GET /incidents: one page of the incidents matching
// the filters, and a cursor (also a Link header) to the next.
func listIncidents(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, err := incidentFilter(r)
		if err != nil {
			return err
		}
		page, err := a.Incidents.List(r.Context(), f)
		if err != nil {
			if errs, ok := record.AsErrors(err); ok {
				return invalid(errs)
			}
			return err
		}
		out := incidentPage{Incidents: page.Incidents, Total: page.Total, TotalCapped: page.TotalCapped}
		if page.Next != "" {
			out.Next = &page.Next
			w.Header().Set("Link", nextLink(r, "cursor", page.Next))
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

func incidentFilter(r *http.Request) (incident.Filter, error) {
	q := newQuery(r, incidentParams...)
	f := incident.Filter{
		SituationID:   q.str("situation"),
		PartyID:       q.str("party"),
		ViolationType: incident.ViolationType(q.str("violation_type")),
		AgeGroup:      incident.AgeGroup(q.str("age_group")),
		From:          q.str("from"),
		To:            q.str("to"),
		Status:        incident.Status(q.str("status")),
		Text:          q.text("q", 500),
		Sort:          incident.Sort(q.str("sort")),
		Limit:         q.integer("limit", 50, 1, incident.MaxPage),
		Cursor:        q.str("cursor"),
	}
	// The filter checks its own values; report each parameter once.
	if err := f.Validate(); err != nil {
		errs, ok := record.AsErrors(err)
		if !ok {
			return f, err
		}
		for _, e := range errs {
			if q.errs.For(e.Field) == nil {
				q.errs = append(q.errs, e)
			}
		}
	}
	return f, q.err()
}
