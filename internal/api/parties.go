package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
)

// partyDetail is a party as GET /parties/{id} shows it: where it sits in its
// organisation, its direct units, and how many incidents are attributed to
// it or its units.
type partyDetail struct {
	*party.Party
	Ancestors     []partyRef `json:"ancestors"` // immediate parent first
	Units         []partyRef `json:"units"`
	IncidentCount int        `json:"incident_count"`
}

// partyDetailFields are the fields partyDetail adds to a party.
var partyDetailFields = []string{"ancestors", "units", "incident_count"}

// partyRef names a related party.
type partyRef struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Abbreviation string     `json:"abbreviation,omitempty"`
	Type         party.Type `json:"type"`
}

func refOf(p *party.Party) partyRef {
	return partyRef{ID: p.ID, Name: p.Name, Abbreviation: p.Abbreviation, Type: p.Type}
}

func partyResource(a *app.App) *resource[party.Party] {
	return &resource[party.Party]{
		noun:     "party",
		path:     Prefix + "/parties",
		get:      a.Parties.Get,
		create:   a.Parties.Create,
		update:   a.Parties.Update,
		meta:     func(p *party.Party) *record.Meta { return &p.Meta },
		readOnly: partyDetailFields,
		render: func(ctx context.Context, p *party.Party) (any, error) {
			return detailOf(ctx, a, p)
		},
	}
}

func detailOf(ctx context.Context, a *app.App, p *party.Party) (*partyDetail, error) {
	d := &partyDetail{Party: p, Ancestors: []partyRef{}, Units: []partyRef{}}
	ancestors, err := a.Parties.Ancestors(ctx, p)
	if err != nil {
		return nil, err
	}
	for i := range ancestors {
		d.Ancestors = append(d.Ancestors, refOf(&ancestors[i]))
	}
	units, err := a.Parties.List(ctx, party.Filter{ParentID: p.ID})
	if err != nil {
		return nil, err
	}
	for i := range units {
		d.Units = append(d.Units, refOf(&units[i]))
	}
	if d.IncidentCount, err = a.Incidents.CountForParty(ctx, p.ID); err != nil {
		return nil, err
	}
	return d, nil
}

// partyPage is one page of a list of parties.
type partyPage struct {
	Parties []party.Party `json:"parties"`
	// NextOffset is the offset of the following page, null on the last.
	NextOffset *int `json:"next_offset"`
}

// maxPartyPage is the most parties one page may hold.
const maxPartyPage = 500

// listParties answers GET /parties, by name, a page at a time.
func listParties(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := newQuery(r, "q", "type", "parent", "top_level", "limit", "offset")
		f := party.Filter{
			Text:     q.text("q", 500),
			Type:     oneOf(q, "type", party.Types),
			ParentID: q.id("parent"),
			TopLevel: q.boolean("top_level"),
			Limit:    q.integer("limit", 50, 1, maxPartyPage),
			Offset:   q.integer("offset", 0, 0, 1<<31-1),
		}
		if f.TopLevel && f.ParentID != "" {
			q.errs.Add("top_level", "contradiction", "cannot be combined with parent: a unit is not top-level")
		}
		if err := q.err(); err != nil {
			return err
		}
		limit := f.Limit
		f.Limit++ // one more tells whether another page follows
		list, err := a.Parties.List(r.Context(), f)
		if err != nil {
			return err
		}
		out := partyPage{Parties: list}
		if out.Parties == nil {
			out.Parties = []party.Party{}
		}
		if len(list) > limit {
			out.Parties = list[:limit]
			next := f.Offset + limit
			out.NextOffset = &next
			w.Header().Set("Link", nextLink(r, "offset", strconv.Itoa(next)))
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

// partyUnits answers GET /parties/{id}/units: every unit of the party at
// any depth, each after its parent, so a client can build the tree from
// parent_id.
func partyUnits(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		if !record.ValidID(id) {
			return notFound("party")
		}
		if err := newQuery(r).err(); err != nil {
			return err
		}
		if _, err := a.Parties.Get(r.Context(), id); err != nil {
			if isNotFound(err) {
				return notFound("party")
			}
			return err
		}
		units := []party.Party{}
		seen := map[string]bool{id: true}
		for queue := []string{id}; len(queue) > 0; queue = queue[1:] {
			children, err := a.Parties.List(r.Context(), party.Filter{ParentID: queue[0]})
			if err != nil {
				return err
			}
			for _, c := range children {
				if !seen[c.ID] {
					seen[c.ID] = true
					units = append(units, c)
					queue = append(queue, c.ID)
				}
			}
		}
		return writeJSON(w, http.StatusOK, map[string]any{"units": units})
	}
}
