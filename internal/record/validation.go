package record

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError says what is wrong with one field. Code is a stable key the web
// UI translates; Message is the English sentence for the CLI and the API.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// Errors is every problem found in one record. A nil Errors means valid.
type Errors []FieldError

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, fe := range e {
		parts[i] = fe.Error()
	}
	return strings.Join(parts, "; ")
}

// Add records a problem with a field.
func (e *Errors) Add(field, code, format string, args ...any) {
	*e = append(*e, FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

// Prefixed returns the errors with prefix added to every field name, so an
// act's "violation_type" becomes "acts[2].violation_type".
func (e Errors) Prefixed(prefix string) Errors {
	out := make(Errors, len(e))
	for i, fe := range e {
		fe.Field = prefix + fe.Field
		out[i] = fe
	}
	return out
}

// Err returns e as an error, or nil when there is nothing wrong.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// AsErrors extracts validation errors from err, if it carries any.
func AsErrors(err error) (Errors, bool) {
	var e Errors
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// For returns the first error about field, for showing beside a form input.
func (e Errors) For(field string) *FieldError {
	for i := range e {
		if e[i].Field == field {
			return &e[i]
		}
	}
	return nil
}

// Required adds an error if value is blank.
func (e *Errors) Required(field, value string) {
	if strings.TrimSpace(value) == "" {
		e.Add(field, "required", "is required")
	}
}

// MaxLength adds an error if value is longer than n characters.
func (e *Errors) MaxLength(field, value string, n int) {
	if len([]rune(value)) > n {
		e.Add(field, "too_long", "must be at most %d characters", n)
	}
}

// OneOf adds an error unless value is one of the allowed values.
func OneOf[T ~string](e *Errors, field string, value T, allowed []T) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	e.Add(field, "not_allowed", "%q is not one of: %s", string(value), strings.Join(names, ", "))
}
