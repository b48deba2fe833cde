package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/record"
)

// historyEntry is one revision of a record and what it changed.
type historyEntry struct {
	Version int             `json:"version"`
	Action  record.Action   `json:"action"`
	Actor   string          `json:"actor"`
	At      time.Time       `json:"at"`
	Changes []record.Change `json:"changes"`
}

// revisionBody is one revision with the record as it stood.
type revisionBody struct {
	Version  int             `json:"version"`
	Action   record.Action   `json:"action"`
	Actor    string          `json:"actor"`
	At       time.Time       `json:"at"`
	Snapshot json.RawMessage `json:"snapshot"`
}

// history answers GET …/{id}/history: every revision, oldest first, with the
// fields each changed (for the first, every field it set).
func history(a *app.App, kind record.Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		id := r.PathValue("id")
		if !record.ValidID(id) {
			return notFound(string(kind))
		}
		revs, err := record.History(r.Context(), a.DB, kind, id)
		if err != nil {
			return err
		}
		if len(revs) == 0 {
			return notFound(string(kind))
		}
		out := make([]historyEntry, len(revs))
		var previous json.RawMessage
		for i, rev := range revs {
			changes, err := record.Diff(previous, rev.Snapshot)
			if err != nil {
				return err
			}
			if changes == nil {
				changes = []record.Change{}
			}
			out[i] = historyEntry{Version: rev.Version, Action: rev.Action, Actor: rev.Actor, At: rev.At, Changes: changes}
			previous = rev.Snapshot
		}
		return writeJSON(w, http.StatusOK, map[string]any{"history": out})
	}
}

// revision answers GET …/{id}/history/{version} with that version's snapshot.
func revision(a *app.App, kind record.Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		id := r.PathValue("id")
		version, err := strconv.Atoi(r.PathValue("version"))
		if err != nil || version < 1 {
			var errs record.Errors
			errs.Add("version", "invalid_number", "must be a whole number, 1 or more")
			return invalid(errs)
		}
		if !record.ValidID(id) {
			return notFound(string(kind))
		}
		rev, err := record.RevisionAt(r.Context(), a.DB, kind, id, version)
		if isNotFound(err) {
			return &problem{Type: typeNotFound, Title: "Not found", Status: http.StatusNotFound,
				Detail: "No " + string(kind) + " has this ID and version."}
		}
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, revisionBody{Version: rev.Version, Action: rev.Action, Actor: rev.Actor,
			At: rev.At, Snapshot: rev.Snapshot})
	}
}
