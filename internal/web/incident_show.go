package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
)

type incidentPage struct {
	base
	In        *incident.Incident
	Situation *situation.Situation
	CaseName  string // of the case the incident belongs to
	Parties   map[string]*party.Party
	Sources   map[string]*source.Source
	ActNumber map[string]int // act ID → its number on the page
	// Revision is set when the page shows an earlier version; Current is
	// then the record's latest version number.
	Revision *record.Revision
	Current  int
}

func (h *handler) incidentShow(w http.ResponseWriter, r *http.Request) {
	id, ok := recordID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	in, err := h.app.Incidents.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data, err := h.incidentPage(r.Context(), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "incident_show", "incidents", data)
}

// incidentVersion shows an incident as it stood at an earlier version.
func (h *handler) incidentVersion(w http.ResponseWriter, r *http.Request) {
	rev, err := revisionFor(r, record.KindIncident, h)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	current, err := h.app.Incidents.Get(r.Context(), rev.RecordID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in incident.Incident
	if err := json.Unmarshal(rev.Snapshot, &in); err != nil {
		h.fail(w, r, fmt.Errorf("read version %d of incident %s: %w", rev.Version, rev.RecordID, err))
		return
	}
	data, err := h.incidentPage(r.Context(), &in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data.Revision, data.Current = &rev, current.Version
	h.render(w, r, http.StatusOK, "incident_show", "incidents", data)
}

// incidentPage gathers what the page shows beside the incident: its
// situation, and the parties and sources it names.
func (h *handler) incidentPage(ctx context.Context, in *incident.Incident) (*incidentPage, error) {
	data := &incidentPage{In: in, Parties: map[string]*party.Party{}, ActNumber: map[string]int{}}
	if in.SituationID != "" {
		s, err := h.app.Situations.Get(ctx, in.SituationID)
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			return nil, err
		}
		data.Situation = s
	}
	if in.CaseID != "" {
		c, err := h.access.Accounts.Case(ctx, in.CaseID)
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			return nil, err
		}
		if c != nil {
			data.CaseName = c.Name
		}
	}
	var sourceIDs []string
	for i, a := range in.Acts {
		data.ActNumber[a.ID] = i + 1
		for _, p := range a.Perpetrators {
			if p.PartyID == "" {
				continue
			}
			if _, done := data.Parties[p.PartyID]; done {
				continue
			}
			pt, err := h.app.Parties.Get(ctx, p.PartyID)
			if errors.Is(err, db.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			data.Parties[p.PartyID] = pt
		}
	}
	for _, l := range in.Information {
		sourceIDs = append(sourceIDs, l.SourceID)
	}
	var err error
	data.Sources, err = h.sourceTitles(ctx, sourceIDs)
	return data, err
}
