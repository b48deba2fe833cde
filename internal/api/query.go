package api

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/dossier-org/dossier/internal/record"
)

// query reads a request's query parameters, collecting a problem for each
// bad one: unknown, repeated or malformed parameters are errors, never
// silently ignored, so a mistyped filter cannot return the whole record.
type query struct {
	values url.Values
	errs   record.Errors
}

func newQuery(r *http.Request, allowed ...string) *query {
	q := &query{values: r.URL.Query()}
	names := make([]string, 0, len(q.values))
	for name := range q.values {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		switch {
		case !slices.Contains(allowed, name):
			q.errs.Add(name, "unknown_parameter", "is not a parameter of this endpoint")
		case len(q.values[name]) > 1:
			q.errs.Add(name, "repeated_parameter", "is given more than once")
		}
	}
	return q
}

func (q *query) str(name string) string { return q.values.Get(name) }

// integer reads a whole number within [lo, hi], or def when absent.
func (q *query) integer(name string, def, lo, hi int) int {
	s := q.values.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		q.errs.Add(name, "invalid_number", "must be a whole number")
		return def
	}
	if n < lo || n > hi {
		q.errs.Add(name, "out_of_range", "must be between %d and %d", lo, hi)
		return def
	}
	return n
}

// boolean reads true or false, or false when absent.
func (q *query) boolean(name string) bool {
	switch q.values.Get(name) {
	case "", "false":
		return false
	case "true":
		return true
	}
	q.errs.Add(name, "invalid_boolean", "must be true or false")
	return false
}

// oneOf reads a value from a closed list, or "" when absent.
func oneOf[T ~string](q *query, name string, allowed []T) T {
	v := T(q.values.Get(name))
	if v != "" {
		record.OneOf(&q.errs, name, v, allowed)
	}
	return v
}

// id reads a record ID, or "" when absent.
func (q *query) id(name string) string {
	v := q.values.Get(name)
	if v != "" && !record.ValidID(v) {
		q.errs.Add(name, "invalid_id", "is not a record ID")
	}
	return v
}

// text reads free text of at most n characters.
func (q *query) text(name string, n int) string {
	v := q.values.Get(name)
	q.errs.MaxLength(name, v, n)
	return v
}

// err is the problem with the parameters, if any.
func (q *query) err() error {
	if len(q.errs) == 0 {
		return nil
	}
	return invalid(q.errs)
}

// nextLink is the URL of the next page: this request's own with one
// parameter changed.
func nextLink(r *http.Request, param, value string) string {
	v := r.URL.Query()
	v.Set(param, value)
	return "<" + (&url.URL{Path: r.URL.Path, RawQuery: v.Encode()}).String() + `>; rel="next"`
}
