package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/record"
)

// maxRecordBody caps a record's JSON body; the longest texts the domain
// allows add up to well under this.
const maxRecordBody = 10 << 20

// serverFields are maintained by the server. A new record may not carry
// them; an edit may send them back as read, and they are ignored (except id
// and version, which an edit checks).
var serverFields = []string{"id", "version", "created_at", "created_by", "updated_at", "updated_by"}

// bodyRules says how to treat fields the client does not set.
type bodyRules struct {
	readOnly []string // refused with an error naming each
	ignored  []string // accepted and dropped (read-only fields sent back as read)
}

// createRules refuse the server's fields on a new record.
func createRules(extra ...string) bodyRules {
	return bodyRules{readOnly: append(slices.Clone(serverFields), extra...)}
}

// updateRules accept the record as read back, ignoring what only the server sets.
func updateRules(extra ...string) bodyRules {
	return bodyRules{ignored: append([]string{"created_at", "created_by", "updated_at", "updated_by"}, extra...)}
}

// readJSON reads the request's JSON object into v strictly: any field v does
// not have, or a value of the wrong type, is reported by its path
// (acts[0].victim.count) instead of being dropped or half-applied. It
// returns the top-level fields the body named.
func readJSON(w http.ResponseWriter, r *http.Request, v any, rules bodyRules) (map[string]bool, error) {
	if err := requireMediaType(r, "application/json"); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRecordBody))
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &problem{Type: typeMalformedJSON, Title: "Malformed JSON", Status: http.StatusBadRequest,
			Detail: fmt.Sprintf("The body holds more than one JSON value (at byte %d).", dec.InputOffset())}
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, &problem{Type: typeMalformedJSON, Title: "Malformed JSON", Status: http.StatusBadRequest,
			Detail: "The body must be a JSON object."}
	}
	present := make(map[string]bool, len(obj))
	for k := range obj {
		present[k] = true
	}
	var errs record.Errors
	for _, k := range sortedKeys(obj) {
		switch {
		case slices.Contains(rules.readOnly, k):
			errs.Add(k, "read_only", "is set by the server; leave it out")
			delete(obj, k)
		case slices.Contains(rules.ignored, k):
			delete(obj, k)
		}
	}
	errs = append(errs, checkJSON(obj, reflect.TypeOf(v).Elem(), "")...)
	if len(errs) > 0 {
		return nil, invalid(errs)
	}
	clean, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(clean, v); err != nil {
		// checkJSON admits only what decodes; reaching here is a bug.
		return nil, fmt.Errorf("decode checked body: %w", err)
	}
	return present, nil
}

// requireMediaType answers 415 unless the body is declared as one of types.
func requireMediaType(r *http.Request, types ...string) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && slices.Contains(types, mt) {
		return nil
	}
	return &problem{Type: typeUnsupportedMedia, Title: "Unsupported media type", Status: http.StatusUnsupportedMediaType,
		Detail: "Send the body as " + strings.Join(types, " or ") + " (Content-Type header)."}
}

// malformed describes a JSON syntax error by position only: the text around
// it could be a record's contents.
func malformed(err error) *problem {
	detail := "The body is not valid JSON."
	var syntax *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		detail = "The body is empty; send a JSON object."
	case errors.Is(err, io.ErrUnexpectedEOF):
		detail = "The body ends in the middle of a JSON value."
	case errors.As(err, &syntax):
		detail = fmt.Sprintf("The body is not valid JSON (at byte %d).", syntax.Offset)
	default:
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &problem{Type: typeTooLarge, Title: "Request body too large", Status: http.StatusRequestEntityTooLarge,
				Detail: "The body is larger than this endpoint accepts."}
		}
	}
	return &problem{Type: typeMalformedJSON, Title: "Malformed JSON", Status: http.StatusBadRequest, Detail: detail}
}

var timeType = reflect.TypeFor[time.Time]()

// checkJSON compares a decoded JSON value with the Go type it is meant for
// and reports each mismatch by path. Only pointers and lists may be null
// (Go clients send an empty list as null).
func checkJSON(v any, t reflect.Type, path string) record.Errors {
	var errs record.Errors
	if v == nil && t.Kind() == reflect.Slice {
		return nil
	}
	if t.Kind() == reflect.Pointer {
		if v == nil {
			return nil
		}
		t = t.Elem()
	}
	field := path
	if field == "" {
		field = "body"
	}
	if v == nil {
		errs.Add(field, "invalid_type", "must be %s, not null", describe(t))
		return errs
	}
	wrong := func() record.Errors {
		errs.Add(field, "invalid_type", "must be %s", describe(t))
		return errs
	}
	if t == timeType {
		s, ok := v.(string)
		if !ok {
			return wrong()
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			errs.Add(field, "invalid_time", "must be a time such as 2024-03-04T12:00:00Z")
		}
		return errs
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return wrong()
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(obj) {
			ft, known := fields[k]
			if !known {
				errs.Add(join(path, k), "unknown_field", "is not a known field")
				continue
			}
			errs = append(errs, checkJSON(obj[k], ft, join(path, k))...)
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return wrong()
		}
		for i, item := range arr {
			errs = append(errs, checkJSON(item, t.Elem(), path+"["+strconv.Itoa(i)+"]")...)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			return wrong()
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return wrong()
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			return wrong()
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil {
			return wrong()
		}
		if bits := t.Bits(); i < -1<<(bits-1) || i > 1<<(bits-1)-1 {
			errs.Add(field, "out_of_range", "is too large")
		}
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			return wrong()
		}
		if f, err := n.Float64(); err != nil || math.IsInf(f, 0) {
			errs.Add(field, "out_of_range", "is not a representable number")
		}
	default:
		// Every type the API reads is covered above.
		return wrong()
	}
	return errs
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// describe names a JSON type for an error message.
func describe(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct:
		if t == timeType {
			return "a time (RFC 3339)"
		}
		return "an object"
	case reflect.Slice:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.Kind().String()
}

// jsonFields maps the JSON names of a struct's fields, including those of
// embedded structs (record.Meta), to their types, as encoding/json sees them.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, shadowed := out[k]; !shadowed {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
