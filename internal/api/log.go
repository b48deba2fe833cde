package api

import (
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// The audit log's routes let anyone holding a checkpoint check, without
// trusting this server, that an entry is in the log and that the log only
// grew since.

const maxLogPage = 1000

func logRoutes(a *app.App, add func(method, path string, fn handlerFunc)) {
	add("GET", "/log", logStatus(a))
	add("GET", "/log/checkpoint", latestCheckpoint(a))
	add("POST", "/log/checkpoints", issueCheckpoint(a))
	add("GET", "/log/entries", logEntries(a))
	add("GET", "/log/entries/{index}/proof", inclusionProof(a))
	add("GET", "/log/consistency", consistencyProof(a))
}

type logStatusBody struct {
	Origin      string            `json:"origin"`
	VerifierKey string            `json:"verifier_key"`
	Size        uint64            `json:"size"`
	Root        []byte            `json:"root"`
	Checkpoint  *audit.Checkpoint `json:"latest_checkpoint"`
}

func logStatus(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		if a.LogKey == nil {
			return errors.New("the log's signing key is not loaded")
		}
		head, err := audit.CurrentHead(r.Context(), a.DB)
		if err != nil {
			return err
		}
		body := logStatusBody{Origin: a.LogKey.Origin(), VerifierKey: a.LogKey.Public, Size: head.Size, Root: head.Root}
		cp, err := audit.LatestCheckpoint(r.Context(), a.DB)
		switch {
		case err == nil:
			body.Checkpoint = &cp
		case !errors.Is(err, db.ErrNotFound):
			return err
		}
		return writeJSON(w, http.StatusOK, body)
	}
}

// latestCheckpoint answers with the signed note itself, with the witnesses'
// cosignatures, in the C2SP text format clients and witnesses parse.
func latestCheckpoint(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		cp, err := audit.LatestCheckpoint(r.Context(), a.DB)
		if errors.Is(err, db.ErrNotFound) {
			return &problem{Type: typeNotFound, Title: "Not found", Status: http.StatusNotFound,
				Detail: "No checkpoint has been signed yet; POST /log/checkpoints signs one."}
		}
		if err != nil {
			return err
		}
		cosigs, err := audit.Cosignatures(r.Context(), a.DB, cp.Size)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, err = io.WriteString(w, audit.WithCosignatures(cp, cosigs))
		return err
	}
}

func issueCheckpoint(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		if a.LogKey == nil {
			return errors.New("the log's signing key is not loaded")
		}
		cp, err := audit.Issue(r.Context(), a.DB, a.LogKey)
		if err != nil {
			return err
		}
		if _, err := audit.Publish(r.Context(), a.DB, cp, nil); err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, cp)
	}
}

type logEntriesBody struct {
	Entries []audit.Entry `json:"entries"`
	Size    uint64        `json:"size"`
}

func logEntries(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := newQuery(r, "from", "limit", "subject")
		from := q.integer("from", 0, 0, math.MaxInt)
		limit := q.integer("limit", 100, 1, maxLogPage)
		subject := q.text("subject", 200)
		if err := q.err(); err != nil {
			return err
		}
		head, err := audit.CurrentHead(r.Context(), a.DB)
		if err != nil {
			return err
		}
		var entries []audit.Entry
		if subject != "" {
			entries, err = audit.EntriesFor(r.Context(), a.DB, subject)
		} else {
			entries, err = audit.Entries(r.Context(), a.DB, uint64(from), uint64(from)+uint64(limit))
		}
		if err != nil {
			return err
		}
		if entries == nil {
			entries = []audit.Entry{}
		}
		if subject == "" && uint64(from+limit) < head.Size {
			w.Header().Set("Link", "<"+nextLink(r, "from", strconv.Itoa(from+limit))+`>; rel="next"`)
		}
		return writeJSON(w, http.StatusOK, logEntriesBody{Entries: entries, Size: head.Size})
	}
}

type proofBody struct {
	Index *uint64      `json:"index,omitempty"`
	Entry *audit.Entry `json:"entry,omitempty"`
	Leaf  string       `json:"leaf,omitempty"`
	From  *uint64      `json:"from,omitempty"`
	Size  uint64       `json:"size"`
	Root  []byte       `json:"root"`
	Proof [][]byte     `json:"proof"`
}

// proofSize reads ?size=, defaulting to the newest checkpoint's size (what a
// holder of that checkpoint checks against), or the whole log.
func proofSize(r *http.Request, a *app.App, q *query, name string) (uint64, error) {
	if s := q.str(name); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			q.errs.Add(name, "invalid_number", "must be a whole number")
		}
		return n, nil
	}
	if cp, err := audit.LatestCheckpoint(r.Context(), a.DB); err == nil {
		return cp.Size, nil
	} else if !errors.Is(err, db.ErrNotFound) {
		return 0, err
	}
	head, err := audit.CurrentHead(r.Context(), a.DB)
	return head.Size, err
}

func beyondTheLog(err error) *problem {
	var errs record.Errors
	errs.Add("size", "beyond_the_log", "%s", err.Error())
	return &problem{Type: typeNotFound, Title: "Not found", Status: http.StatusNotFound,
		Detail: "The log has no such entry or size.", Errors: errs}
}

func inclusionProof(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := newQuery(r, "size")
		index, err := strconv.ParseUint(r.PathValue("index"), 10, 64)
		if err != nil {
			q.errs.Add("index", "invalid_number", "must be a whole number")
		}
		size, err := proofSize(r, a, q, "size")
		if err != nil {
			return err
		}
		if err := q.err(); err != nil {
			return err
		}
		p, err := audit.InclusionProof(r.Context(), a.DB, index, size)
		if errors.Is(err, audit.ErrSize) {
			return beyondTheLog(err)
		}
		if err != nil {
			return err
		}
		entries, err := audit.Entries(r.Context(), a.DB, index, index+1)
		if err != nil {
			return err
		}
		root, err := audit.RootAt(r.Context(), a.DB, size)
		if err != nil {
			return err
		}
		e := entries[0]
		return writeJSON(w, http.StatusOK, proofBody{Index: &index, Entry: &e, Leaf: string(e.Leaf()), Size: size, Root: root, Proof: nonNil(p)})
	}
}

func consistencyProof(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := newQuery(r, "from", "to")
		from, err := strconv.ParseUint(q.str("from"), 10, 64)
		if err != nil {
			q.errs.Add("from", "invalid_number", "is required: the older size, a whole number")
		}
		to, err := proofSize(r, a, q, "to")
		if err != nil {
			return err
		}
		if q.str("to") == "" {
			head, err := audit.CurrentHead(r.Context(), a.DB)
			if err != nil {
				return err
			}
			to = head.Size
		}
		if err := q.err(); err != nil {
			return err
		}
		p, err := audit.ConsistencyProof(r.Context(), a.DB, from, to)
		if errors.Is(err, audit.ErrSize) {
			return beyondTheLog(err)
		}
		if err != nil {
			return err
		}
		root, err := audit.RootAt(r.Context(), a.DB, to)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, proofBody{From: &from, Size: to, Root: root, Proof: nonNil(p)})
	}
}

func nonNil(p [][]byte) [][]byte {
	if p == nil {
		return [][]byte{}
	}
	return p
}

// logPaths documents the log's routes.
func logPaths(paths obj) {
	tags := []string{"log"}
	paths["/log"] = obj{"get": obj{"operationId": "getLogStatus", "tags": tags,
		"summary":   "The audit log's origin, verifier key, size, root and newest checkpoint.",
		"responses": responses(obj{"200": jsonResponse("The log's state.", "LogStatus", nil)}, 400)}}
	paths["/log/checkpoint"] = obj{"get": obj{"operationId": "getLatestCheckpoint", "tags": tags,
		"summary": "The newest signed checkpoint, as a C2SP tlog-checkpoint note with the witnesses' cosignatures.",
		"responses": responses(obj{"200": obj{"description": "The signed note.",
			"content": obj{"text/plain": obj{"schema": obj{"type": "string"}}}},
			"404": problemResponse("No checkpoint has been signed yet.")}, 400)}}
	paths["/log/checkpoints"] = obj{"post": obj{"operationId": "issueCheckpoint", "tags": tags,
		"summary":   "Sign a checkpoint of the log now and publish it to the witnesses.",
		"responses": responses(obj{"201": jsonResponse("The checkpoint.", "Checkpoint", nil)}, 400)}}
	paths["/log/entries"] = obj{"get": obj{"operationId": "listLogEntries", "tags": tags,
		"summary": "Log entries by position, or every entry about one record.",
		"parameters": []any{
			queryParam("from", "The first entry's index.", obj{"type": "integer", "minimum": 0, "default": 0}),
			queryParam("limit", "How many entries.", obj{"type": "integer", "minimum": 1, "maximum": maxLogPage, "default": 100}),
			queryParam("subject", "Only the entries about the record (or thing) with this ID.", obj{"type": "string", "maxLength": 200}),
		},
		"responses": responses(obj{"200": jsonResponse("The entries.", "LogEntries", obj{"Link": linkHeader})}, 400)}}
	paths["/log/entries/{index}/proof"] = obj{
		"parameters": []any{obj{"name": "index", "in": "path", "required": true, "description": "The entry's index.",
			"schema": obj{"type": "integer", "minimum": 0}}},
		"get": obj{"operationId": "getInclusionProof", "tags": tags,
			"summary": "An RFC 6962 inclusion proof of the entry, with its canonical text (the leaf) and the root.",
			"parameters": []any{queryParam("size", "The log size to prove against; default: the newest checkpoint's.",
				obj{"type": "integer", "minimum": 1})},
			"responses": responses(obj{"200": jsonResponse("The proof.", "LogProof", nil),
				"404": problemResponse("The log has no such entry or size.")}, 400)}}
	paths["/log/consistency"] = obj{"get": obj{"operationId": "getConsistencyProof", "tags": tags,
		"summary": "An RFC 6962 consistency proof that the log of `from` entries is a prefix of the log of `to`.",
		"parameters": []any{
			with(queryParam("from", "The older size.", obj{"type": "integer", "minimum": 0}), "required", true),
			queryParam("to", "The newer size; default: the whole log.", obj{"type": "integer", "minimum": 0}),
		},
		"responses": responses(obj{"200": jsonResponse("The proof.", "LogProof", nil),
			"404": problemResponse("The log is smaller than a size asked for.")}, 400)}}
}

// logSchemas documents the log's bodies.
func logSchemas(s obj) {
	b64 := func(desc string) obj { return obj{"type": "string", "format": "byte", "description": desc} }
	entry := obj{"type": "object", "additionalProperties": false,
		"required": []string{"index", "at", "actor", "kind", "subject", "version", "action", "content_hash"},
		"properties": obj{
			"index":        obj{"type": "integer", "minimum": 0},
			"at":           obj{"type": "string", "format": "date-time"},
			"actor":        obj{"type": "string"},
			"kind":         obj{"type": "string", "description": "The kind of record or event: incident, evidence, custody, account…"},
			"subject":      obj{"type": "string", "description": "The ID of the record or thing concerned."},
			"version":      obj{"type": "integer", "description": "The record's version; 0 for an event."},
			"action":       obj{"type": "string"},
			"content_hash": obj{"type": "string", "description": "Hex SHA-256 of the content the entry vouches for."},
		}}
	s["LogEntry"] = entry
	checkpoint := obj{"type": "object", "additionalProperties": false,
		"required": []string{"origin", "size", "root", "note", "issued_at"},
		"properties": obj{
			"origin":    obj{"type": "string"},
			"size":      obj{"type": "integer"},
			"root":      b64("The Merkle tree's root hash."),
			"note":      obj{"type": "string", "description": "The signed checkpoint (C2SP tlog-checkpoint)."},
			"issued_at": obj{"type": "string", "format": "date-time"},
		}}
	s["Checkpoint"] = checkpoint
	s["LogStatus"] = obj{"type": "object", "additionalProperties": false,
		"required": []string{"origin", "verifier_key", "size", "root", "latest_checkpoint"},
		"properties": obj{
			"origin":            obj{"type": "string"},
			"verifier_key":      obj{"type": "string", "description": "The note verifier key that checks checkpoints."},
			"size":              obj{"type": "integer"},
			"root":              b64("The root hash of the whole log."),
			"latest_checkpoint": obj{"allOf": []any{ref("Checkpoint")}, "nullable": true},
		}}
	s["LogEntries"] = obj{"type": "object", "additionalProperties": false, "required": []string{"entries", "size"},
		"properties": obj{"entries": obj{"type": "array", "items": ref("LogEntry")}, "size": obj{"type": "integer"}}}
	s["LogProof"] = obj{"type": "object", "additionalProperties": false, "required": []string{"size", "root", "proof"},
		"properties": obj{
			"index": obj{"type": "integer"},
			"entry": ref("LogEntry"),
			"leaf":  obj{"type": "string", "description": "The entry's canonical text, whose RFC 6962 leaf hash the proof starts from."},
			"from":  obj{"type": "integer"},
			"size":  obj{"type": "integer"},
			"root":  b64("The root hash at size."),
			"proof": obj{"type": "array", "items": b64("A node hash.")},
		}}
}
