package api

import (
	"net/http"

	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
)

// term is one value of a vocabulary. Family and Category are set for the
// vocabularies that group their values.
type term struct {
	Value    string `json:"value"`
	Family   string `json:"family,omitempty"`   // violation types: the UN-definition type it is a form of
	Category string `json:"category,omitempty"` // party types: state, non_state or other
}

func terms[T ~string](values []T) []term {
	out := make([]term, len(values))
	for i, v := range values {
		out[i] = term{Value: string(v)}
	}
	return out
}

// vocabularyList is every closed list of values a record's fields take, by
// the name GET /vocabularies gives it, in the order forms offer them.
func vocabularyList() map[string][]term {
	violations := make([]term, len(incident.ViolationTypes))
	for i, v := range incident.ViolationTypes {
		violations[i] = term{Value: string(v), Family: string(v.Family())}
	}
	partyTypes := make([]term, len(party.Types))
	for i, t := range party.Types {
		partyTypes[i] = term{Value: string(t), Category: string(t.Category())}
	}
	return map[string][]term{
		"violation_types":     violations,
		"party_types":         partyTypes,
		"age_groups":          terms(incident.AgeGroups),
		"sexes":               terms(incident.Sexes),
		"victim_statuses":     terms(incident.VictimStatuses),
		"contexts":            terms(incident.Contexts),
		"statuses":            terms(incident.Statuses),
		"date_precisions":     terms(record.DatePrecisions),
		"location_precisions": terms(incident.LocationPrecisions),
		"conflict_classes":    terms(situation.ConflictClasses),
		"settings":            terms(situation.Settings),
		"source_kinds":        terms(source.Kinds),
		"reliabilities":       terms(source.Reliabilities),
		"connections":         terms(source.Connections),
		"incident_sorts":      terms(incident.Sorts),
	}
}

// vocabularies answers GET /vocabularies.
func vocabularies(w http.ResponseWriter, r *http.Request) error {
	if err := newQuery(r).err(); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, vocabularyList())
}
