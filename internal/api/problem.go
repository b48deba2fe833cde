package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/transfer"
)

// Problem types (RFC 9457). docs/api.md explains each.
const (
	typeInvalidRequest   = "urn:dossier:problem:invalid-request"
	typeMalformedJSON    = "urn:dossier:problem:malformed-json"
	typeValidation       = "urn:dossier:problem:validation"
	typeNotFound         = "urn:dossier:problem:not-found"
	typeConflict         = "urn:dossier:problem:conflict"
	typeMethodNotAllowed = "urn:dossier:problem:method-not-allowed"
	typeTooLarge         = "urn:dossier:problem:too-large"
	typeUnsupportedMedia = "urn:dossier:problem:unsupported-media-type"
	typeImportRejected   = "urn:dossier:problem:import-rejected"
	typeInternal         = "urn:dossier:problem:internal"
	typeUnauthenticated  = "urn:dossier:problem:unauthenticated"
	typeForbidden        = "urn:dossier:problem:forbidden"
	typeSetupRequired    = "urn:dossier:problem:setup-required"
)

// problem is an RFC 9457 problem document. Its texts are written by this
// package or are the domain's validation messages: never a record's
// contents, never an internal error's text.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Errors names each field (or query parameter) at fault.
	Errors record.Errors `json:"errors,omitempty"`
	// Rejections lists the rows an import refused.
	Rejections []rejection `json:"rejections,omitempty"`
}

func (p *problem) Error() string { return p.Title + ": " + p.Detail }

// invalid is a 400 problem about the request's fields or parameters.
func invalid(errs record.Errors) *problem {
	return &problem{Type: typeInvalidRequest, Title: "Invalid request", Status: http.StatusBadRequest,
		Detail: "Some fields or parameters are not valid; see errors.", Errors: redact(errs)}
}

func notFound(noun string) *problem {
	return &problem{Type: typeNotFound, Title: "Not found", Status: http.StatusNotFound,
		Detail: "No " + noun + " has this ID."}
}

// writeError answers with the problem err stands for. Anything unexpected is
// a 500 whose cause goes to the log — only its innermost error, since outer
// layers may quote a record (a title) in their message.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var p *problem
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &p):
	case errors.As(err, &tooLarge):
		p = &problem{Type: typeTooLarge, Title: "Request body too large", Status: http.StatusRequestEntityTooLarge,
			Detail: "The body is larger than this endpoint accepts."}
	case errors.Is(err, db.ErrNotFound):
		p = &problem{Type: typeNotFound, Title: "Not found", Status: http.StatusNotFound, Detail: "No record has this ID."}
	case errors.Is(err, db.ErrConflict):
		p = conflict()
	default:
		if errs, ok := record.AsErrors(err); ok {
			p = &problem{Type: typeValidation, Title: "Validation failed", Status: http.StatusUnprocessableEntity,
				Detail: "The record was not saved; see errors.", Errors: redact(errs)}
			break
		}
		if r.Context().Err() != nil {
			// The client went away; there is no one to answer.
			return
		}
		slog.ErrorContext(r.Context(), "api request failed", "method", r.Method, "route", r.Pattern, "cause", rootCause(err))
		p = &problem{Type: typeInternal, Title: "Internal error", Status: http.StatusInternalServerError,
			Detail: "The server could not complete the request; the cause is in its log."}
	}
	writeProblem(w, r, p)
}

func conflict() *problem {
	return &problem{Type: typeConflict, Title: "Edit conflict", Status: http.StatusConflict,
		Detail: "The record was changed by someone else since the version you read; fetch it again and reapply your change."}
}

func rootCause(err error) string {
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if next := u.Unwrap(); next != nil {
			return rootCause(next)
		}
	case interface{ Unwrap() []error }:
		causes := make([]string, 0, len(u.Unwrap()))
		for _, e := range u.Unwrap() {
			causes = append(causes, rootCause(e))
		}
		return strings.Join(causes, "; ")
	}
	return err.Error()
}

func writeProblem(w http.ResponseWriter, r *http.Request, p *problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	if r.Method != http.MethodHead {
		json.NewEncoder(w).Encode(p)
	}
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(append(body, '\n'))
	return err
}

func isNotFound(err error) bool { return errors.Is(err, db.ErrNotFound) }

// rejection is a row an import refused: the file, the row (CSV: the line,
// header included; JSON: the record's index), the field and why.
type rejection struct {
	File   string `json:"file"`
	Row    int    `json:"row"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// quoted matches a value the domain quotes back at the start of a message
// ("%q is not one of …").
var quoted = regexp.MustCompile(`^"(?:[^"\\]|\\.)*"\s*`)

// redact drops the values domain messages quote back: the value could be
// anything a client typed into the wrong field, a name included, and
// responses and logs must not carry it. The field and code say enough.
func redact(errs record.Errors) record.Errors {
	out := make(record.Errors, len(errs))
	for i, e := range errs {
		e.Message = redactText(e.Message)
		out[i] = e
	}
	return out
}

func redactText(s string) string { return quoted.ReplaceAllString(s, "") }

// anyQuoted matches a quoted value anywhere in a message.
var anyQuoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// redactReason drops every quoted value from an import's rejection reason:
// besides the domain's messages, a reason may quote the record a row
// belonged to, or the database's complaint about it. Quoted words of the
// format itself stay.
func redactReason(s string) string {
	return anyQuoted.ReplaceAllStringFunc(redactText(s), func(q string) string {
		if q == `"`+transfer.FormatName+`"` {
			return q
		}
		return "…"
	})
}
