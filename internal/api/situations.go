package api

import (
	"net/http"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
)

func situationResource(a *app.App) *resource[situation.Situation] {
	return &resource[situation.Situation]{
		noun:   "situation",
		path:   Prefix + "/situations",
		get:    a.Situations.Get,
		create: a.Situations.Create,
		update: a.Situations.Update,
		meta:   func(s *situation.Situation) *record.Meta { return &s.Meta },
	}
}

// listSituations answers GET /situations: every situation, by name. There
// are a few dozen at most, so the list is not paged.
func listSituations(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		list, err := a.Situations.List(r.Context())
		if err != nil {
			return err
		}
		if list == nil {
			list = []situation.Situation{}
		}
		return writeJSON(w, http.StatusOK, map[string]any{"situations": list})
	}
}
