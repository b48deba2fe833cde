package transfer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
)

// FormatName and FormatVersion identify a Dossier JSON document.
const (
	FormatName    = "dossier"
	FormatVersion = 1
)

// sections are the arrays of a JSON document, in the order they are
// imported (and exported).
var sections = []string{"situations", "parties", "sources", "incidents"}

func importJSON(ctx context.Context, a *app.App, r io.Reader, name string, opts Options) (Report, error) {
	return run(ctx, a, opts, func(im *importer) error {
		j := &jsonImport{im: im, name: name, seen: map[string]bool{}}
		return j.document(&utf8Reader{r: r})
	})
}

type jsonImport struct {
	im   *importer
	name string
	seen map[string]bool
	// spool holds the incidents when they come before a section they may
	// refer to: JSON objects are unordered, but a stream is read in order.
	spool *os.File
}

// jsonOrigin is a record read from the i-th element of a section.
type jsonOrigin struct {
	file, section string
	i             int
	noun          string
}

func (o jsonOrigin) place(field string) (string, int, string) {
	path := index(o.section, o.i)
	if field != "" {
		path += "." + field
	}
	return o.file, o.i + 1, path
}
func (o jsonOrigin) rows() []rowRef { return []rowRef{{file: o.file, row: o.i + 1}} }
func (o jsonOrigin) what() string   { return o.noun }

// errMalformed stops reading a document that is not well-formed JSON: what
// follows cannot be read, so nothing is committed, even in a partial import.
var errMalformed = errors.New("malformed document")

// malformed reports why the document cannot be read further.
func (j *jsonImport) malformed(at string, err error) error {
	reason := err.Error()
	var syn *json.SyntaxError
	var enc *encodingError
	switch {
	case errors.As(err, &syn):
		reason = fmt.Sprintf("malformed JSON at byte %d: %v; nothing after it can be read", syn.Offset, syn)
	case errors.Is(err, io.ErrUnexpectedEOF):
		reason = "the document ends in the middle of a value (is the file truncated?)"
	case errors.As(err, &enc):
		reason = enc.Error()
	}
	j.im.fatal = true
	j.im.fileProblem(j.name, 0, problem{at, reason})
	return errMalformed
}

// readFailure tells a document that is not JSON from a file that cannot be read.
func (j *jsonImport) readFailure(at string, err error) error {
	var syn *json.SyntaxError
	var enc *encodingError
	if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &enc) || errors.Is(err, io.EOF) {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return j.malformed(at, err)
	}
	return fmt.Errorf("read %s: %w", j.name, err)
}

func (j *jsonImport) document(r io.Reader) error {
	defer func() {
		if j.spool != nil {
			j.spool.Close()
			os.Remove(j.spool.Name())
		}
	}()
	err := j.read(r)
	if errors.Is(err, errMalformed) {
		return nil // reported, and the import will not be committed
	}
	if err == nil && j.spool != nil {
		err = j.spooled()
	}
	return err
}

func (j *jsonImport) read(r io.Reader) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	tok, err := dec.Token()
	if err != nil {
		return j.readFailure("", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		j.im.fatal = true
		j.im.fileProblem(j.name, 0, problem{"", `is not a Dossier JSON document: it must be an object such as {"format": "dossier", "format_version": 1, "situations": […], …}`})
		return nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return j.readFailure("", err)
		}
		key, _ := tok.(string)
		if j.seen[key] {
			j.im.fileProblem(j.name, 0, problem{key, "appears twice in the document; only the first was read"})
			if err := skip(dec); err != nil {
				return j.readFailure(key, err)
			}
			continue
		}
		j.seen[key] = true
		switch key {
		case "format":
			var v string
			if err := dec.Decode(&v); err != nil || v != FormatName {
				if err != nil && !isValueError(err) {
					return j.readFailure(key, err)
				}
				j.im.fatal = true
				j.im.fileProblem(j.name, 0, problem{key, fmt.Sprintf(`is not "%s": this is not a Dossier document`, FormatName)})
				return nil
			}
		case "format_version":
			var v int
			if err := dec.Decode(&v); err != nil || v != FormatVersion {
				if err != nil && !isValueError(err) {
					return j.readFailure(key, err)
				}
				j.im.fatal = true
				j.im.fileProblem(j.name, 0, problem{key, fmt.Sprintf("this Dossier reads format_version %d only", FormatVersion)})
				return nil
			}
		case "situations":
			err = j.array(dec, key, func(i int) error {
				var s situation.Situation
				problems, err := j.decode(dec, &s)
				if err != nil {
					return j.readFailure(index(key, i), err)
				}
				return j.im.importSituation(&s, jsonOrigin{j.name, key, i, "situation"}, problems)
			})
		case "sources":
			err = j.array(dec, key, func(i int) error {
				var s source.Source
				problems, err := j.decode(dec, &s)
				if err != nil {
					return j.readFailure(index(key, i), err)
				}
				return j.im.importSource(&s, jsonOrigin{j.name, key, i, "source"}, problems)
			})
		case "parties":
			var entries []*partyEntry
			err = j.array(dec, key, func(i int) error {
				e := &partyEntry{}
				var err error
				if e.problems, err = j.decode(dec, &e.p); err != nil {
					return j.readFailure(index(key, i), err)
				}
				e.o = jsonOrigin{j.name, key, i, fmt.Sprintf("party %q", strings.TrimSpace(e.p.Name))}
				entries = append(entries, e)
				return nil
			})
			if err == nil {
				j.im.registerParties(entries)
				err = j.im.importParties(entries)
			}
		case "incidents":
			if !j.seen["situations"] || !j.seen["parties"] || !j.seen["sources"] {
				err = j.spoolIncidents(dec)
				break
			}
			err = j.array(dec, key, func(i int) error {
				var in incident.Incident
				problems, err := j.decode(dec, &in)
				if err != nil {
					return j.readFailure(index(key, i), err)
				}
				return j.im.importIncident(&in, jsonOrigin{j.name, key, i, "incident"}, problems)
			})
		default:
			j.im.fileProblem(j.name, 0, problem{key, fmt.Sprintf("is not part of a Dossier document (%s); it was not imported",
				strings.Join(append([]string{"format", "format_version"}, sections...), ", "))})
			if err := skip(dec); err != nil {
				return j.readFailure(key, err)
			}
		}
		if err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return j.readFailure("", err)
	}
	switch _, err := dec.Token(); {
	case err == nil:
		return j.malformed("", errors.New("there is more after the document's closing brace"))
	case !errors.Is(err, io.EOF):
		return j.readFailure("", err)
	}
	return nil
}

// array calls each for every element of the section's array (null is an
// empty one).
func (j *jsonImport) array(dec *json.Decoder, section string, each func(i int) error) error {
	tok, err := dec.Token()
	if err != nil {
		return j.readFailure(section, err)
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		j.im.fatal = true
		j.im.fileProblem(j.name, 0, problem{section, "must be an array of records"})
		return errMalformed
	}
	for i := 0; dec.More(); i++ {
		if err := each(i); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return j.readFailure(section, err)
	}
	return nil
}

// decode reads one record. A value of the wrong type or an unknown field
// rejects the record (and the document reads on); a document that is not
// JSON is an error.
func (j *jsonImport) decode(dec *json.Decoder, v any) ([]problem, error) {
	err := dec.Decode(v)
	if err == nil {
		return nulProblems(v), nil
	}
	if !isValueError(err) {
		return nil, err
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return []problem{{te.Field, fmt.Sprintf("is a JSON %s; it must be a %s", te.Value, jsonKind(te.Type))}}, nil
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, `json: unknown field "`); ok {
		f = strings.TrimSuffix(f, `"`)
		return []problem{{f, "is not a field of this kind of record; it would be lost"}}, nil
	}
	return []problem{{"", strings.TrimPrefix(msg, "json: ")}}, nil
}

// isValueError tells an error in a value that was read whole (the stream
// goes on) from a syntax or read error (it cannot).
func isValueError(err error) bool {
	var syn *json.SyntaxError
	var enc *encodingError
	if errors.As(err, &syn) || errors.As(err, &enc) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return false
	}
	var te *json.UnmarshalTypeError
	return errors.As(err, &te) || strings.HasPrefix(err.Error(), "json: ") || strings.HasPrefix(err.Error(), "parsing time")
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "whole number"
	case reflect.Float64, reflect.Float32:
		return "number"
	case reflect.Slice:
		return "array"
	case reflect.Struct, reflect.Map:
		if t.String() == "time.Time" {
			return "time such as \"2024-03-04T09:30:00Z\""
		}
		return "object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return t.String()
}

// skip reads past one value.
func skip(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

func (j *jsonImport) spoolIncidents(dec *json.Decoder) error {
	f, err := os.CreateTemp("", "dossier-import-*.jsonl")
	if err != nil {
		return fmt.Errorf("import %s: %w", j.name, err)
	}
	j.spool = f
	w := bufio.NewWriter(f)
	err = j.array(dec, "incidents", func(i int) error {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return j.readFailure(index("incidents", i), err)
		}
		w.Write(raw)
		return w.WriteByte('\n')
	})
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("import %s: %w", j.name, err)
	}
	return nil
}

// spooled imports the incidents set aside by spoolIncidents.
func (j *jsonImport) spooled() error {
	if _, err := j.spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	dec := json.NewDecoder(bufio.NewReaderSize(j.spool, 1<<16))
	dec.DisallowUnknownFields()
	for i := 0; ; i++ {
		var in incident.Incident
		problems, err := j.decode(dec, &in)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read back incidents of %s: %w", j.name, err)
		}
		if err := j.im.importIncident(&in, jsonOrigin{j.name, "incidents", i, "incident"}, problems); err != nil {
			return err
		}
	}
}

// nulProblems finds text holding a NUL character, which PostgreSQL cannot
// store: rejected on both engines alike.
func nulProblems(v any) []problem {
	var out []problem
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		case reflect.String:
			if strings.IndexByte(v.String(), 0) >= 0 {
				out = append(out, problem{path, "contains a NUL character"})
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		case reflect.Struct:
			t := v.Type()
			for i := range t.NumField() {
				f := t.Field(i)
				if !f.IsExported() {
					continue
				}
				if f.Anonymous {
					walk(v.Field(i), path)
					continue
				}
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				if name == "" || name == "-" {
					continue
				}
				if path != "" {
					name = path + "." + name
				}
				walk(v.Field(i), name)
			}
		}
	}
	walk(reflect.ValueOf(v), "")
	return out
}

// utf8Reader refuses input that is not UTF-8, which the JSON decoder would
// otherwise quietly replace with U+FFFD.
type utf8Reader struct {
	r      io.Reader
	carry  [utf8.UTFMax]byte // the start of a character cut by the end of a read
	ncarry int
	offset int64
}

type encodingError struct{ offset int64 }

func (e *encodingError) Error() string {
	return fmt.Sprintf("the document is not UTF-8 text (at byte %d); save it as UTF-8", e.offset)
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if n > 0 {
		// Check the carried-over start of a character with what follows it.
		buf := p[:n]
		start := 0
		if u.ncarry > 0 {
			need := utf8.UTFMax - u.ncarry
			joined := append(u.carry[:u.ncarry:u.ncarry], buf[:min(need, len(buf))]...)
			if utf8.FullRune(joined) {
				if r, size := utf8.DecodeRune(joined); r == utf8.RuneError && size <= 1 {
					return 0, &encodingError{u.offset - int64(u.ncarry)}
				} else {
					start = size - u.ncarry
				}
				u.ncarry = 0
			} else if len(buf) < need {
				copy(u.carry[u.ncarry:], buf)
				u.ncarry += len(buf)
				u.offset += int64(n)
				return n, err
			}
		}
		i := start
		for i < len(buf) {
			if buf[i] < utf8.RuneSelf {
				i++
				continue
			}
			if !utf8.FullRune(buf[i:]) {
				u.ncarry = copy(u.carry[:], buf[i:])
				break
			}
			r, size := utf8.DecodeRune(buf[i:])
			if r == utf8.RuneError && size <= 1 {
				return 0, &encodingError{u.offset + int64(i)}
			}
			i += size
		}
		u.offset += int64(n)
	}
	if errors.Is(err, io.EOF) && u.ncarry > 0 {
		return n, &encodingError{u.offset - int64(u.ncarry)}
	}
	return n, err
}
