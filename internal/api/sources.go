package api

import (
	"net/http"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/source"
)

func sourceResource(a *app.App) *resource[source.Source] {
	return &resource[source.Source]{
		noun:   "source",
		path:   Prefix + "/sources",
		get:    a.Sources.Get,
		create: a.Sources.Create,
		update: a.Sources.Update,
		meta:   func(s *source.Source) *record.Meta { return &s.Meta },
	}
}

// listSources answers GET /sources: every source, most recently published
// first.
func listSources(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		list, err := a.Sources.List(r.Context())
		if err != nil {
			return err
		}
		if list == nil {
			list = []source.Source{}
		}
		return writeJSON(w, http.StatusOK, map[string]any{"sources": list})
	}
}
