package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/dossier-org/dossier/internal/record"
)

// resource serves reading, creating and editing one kind of record; each
// kind plugs in its store. Lists differ by kind and live beside each kind.
type resource[T any] struct {
	noun   string // "incident", for messages
	path   string // collection path, for Location headers
	get    func(context.Context, string) (*T, error)
	create func(context.Context, *T) error
	update func(context.Context, *T) error
	meta   func(*T) *record.Meta
	// readOnly names fields a response adds beyond the record itself
	// (a party's ancestors), which an edit may send back and are ignored.
	readOnly []string
	// render turns a record into its response body; nil means the record itself.
	render func(context.Context, *T) (any, error)
}

func (res *resource[T]) body(ctx context.Context, x *T) (any, error) {
	if res.render == nil {
		return x, nil
	}
	return res.render(ctx, x)
}

// read answers GET …/{id} with the record and its version as ETag.
func (res *resource[T]) read(w http.ResponseWriter, r *http.Request) error {
	if err := newQuery(r).err(); err != nil {
		return err
	}
	id := r.PathValue("id")
	if !record.ValidID(id) {
		return notFound(res.noun)
	}
	x, err := res.get(r.Context(), id)
	if err != nil {
		return res.explain(err)
	}
	body, err := res.body(r.Context(), x)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(res.meta(x).Version))
	return writeJSON(w, http.StatusOK, body)
}

// add answers POST on the collection: 201 with the stored record.
func (res *resource[T]) add(w http.ResponseWriter, r *http.Request) error {
	if err := newQuery(r).err(); err != nil {
		return err
	}
	x := new(T)
	if _, err := readJSON(w, r, x, createRules(res.readOnly...)); err != nil {
		return err
	}
	if err := res.create(r.Context(), x); err != nil {
		return err
	}
	body, err := res.body(r.Context(), x)
	if err != nil {
		return err
	}
	m := res.meta(x)
	w.Header().Set("Location", res.path+"/"+m.ID)
	w.Header().Set("ETag", etag(m.Version))
	return writeJSON(w, http.StatusCreated, body)
}

// edit answers PUT …/{id}: the body replaces the record if it starts from
// the current version (given as "version" in the body or as If-Match).
func (res *resource[T]) edit(w http.ResponseWriter, r *http.Request) error {
	if err := newQuery(r).err(); err != nil {
		return err
	}
	id := r.PathValue("id")
	x := new(T)
	present, err := readJSON(w, r, x, updateRules(res.readOnly...))
	if err != nil {
		return err
	}
	m := res.meta(x)
	var errs record.Errors
	version, verrs := editVersion(r, m.Version, present["version"])
	errs = append(errs, verrs...)
	if present["id"] && m.ID != id {
		errs.Add("id", "mismatch", "differs from the ID in the path")
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	if !record.ValidID(id) {
		return notFound(res.noun)
	}
	current, err := res.get(r.Context(), id)
	if err != nil {
		return res.explain(err)
	}
	if res.meta(current).Version != version {
		return conflict()
	}
	m.ID, m.Version = id, version
	if err := res.update(r.Context(), x); err != nil {
		return res.explain(err)
	}
	body, err := res.body(r.Context(), x)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(m.Version))
	return writeJSON(w, http.StatusOK, body)
}

func (res *resource[T]) explain(err error) error {
	if isNotFound(err) {
		return notFound(res.noun)
	}
	return err
}

// etag is a record version as a weak entity tag: the version names the
// record's content, not its exact bytes.
func etag(version int) string { return `W/"` + strconv.Itoa(version) + `"` }

// editVersion is the version an edit starts from, from the If-Match header
// or the body's "version"; when both are given they must agree.
func editVersion(r *http.Request, body int, inBody bool) (int, record.Errors) {
	var errs record.Errors
	header := strings.TrimSpace(r.Header.Get("If-Match"))
	if header == "" {
		if !inBody {
			errs.Add("version", "required", "give the version you read, as \"version\" in the body or in an If-Match header")
		} else if body < 1 {
			errs.Add("version", "out_of_range", "must be 1 or more")
		}
		return body, errs
	}
	tag := strings.TrimPrefix(header, "W/")
	n, err := strconv.Atoi(strings.Trim(tag, `"`))
	if err != nil || n < 1 || len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		errs.Add("If-Match", "invalid_etag", `must be the ETag the record was read with, such as W/"3"`)
		return 0, errs
	}
	if inBody && body != n {
		errs.Add("version", "mismatch", "differs from the version in If-Match")
	}
	return n, errs
}
