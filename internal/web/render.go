package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// shared holds the templates every page is parsed with.
var shared = []string{"templates/layout.html", "templates/partials.html", "templates/account_partials.html",
	"templates/survivor_partials.html"}

// views holds every page's template, parsed once at start-up, in a copy per
// language whose translation functions speak that language.
type views struct {
	pages map[string]map[string]*template.Template // language → page → template
}

// loadViews parses every page template with the layout and partials, and
// fails on the first error so that a broken template stops start-up.
func loadViews(cats map[string]catalog, staticTag string) (*views, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	v := &views{pages: map[string]map[string]*template.Template{}}
	for _, l := range languages {
		v.pages[l.Code] = map[string]*template.Template{}
	}
	for _, file := range names {
		if isShared(file) {
			continue
		}
		name := strings.TrimSuffix(path.Base(file), ".html")
		t, err := template.New(name).Funcs(funcs(&localizer{lang: languages[0]}, staticTag)).
			ParseFS(templateFiles, append(append([]string{}, shared...), file)...)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", file, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("template %s defines no content", file)
		}
		for _, l := range languages {
			c, err := t.Clone()
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", file, err)
			}
			v.pages[l.Code][name] = c.Funcs(funcs(&localizer{lang: l, cat: cats[l.Code]}, staticTag))
		}
	}
	return v, nil
}

func isShared(file string) bool {
	for _, s := range shared {
		if s == file {
			return true
		}
	}
	return false
}

// funcs are the template functions; those that translate speak l's language.
func funcs(l *localizer, staticTag string) template.FuncMap {
	return template.FuncMap{
		"t":          l.T,
		"tn":         l.N,
		"enum":       l.Enum,
		"date":       l.Date,
		"dateBounds": l.DateBounds,
		"day":        l.Day,
		"when":       l.Time,
		"num":        l.Number,
		"fieldLabel": func(p string) string { return fieldLabel(l, p) },
		"partyName":  func(p any) string { return partyName(l, p) },
		"deref":      func(f *float64) float64 { return *f },
		"place":      placeText,
		"langName":   func(code string) string { return languageName(l, code) },
		"fid":        fieldID,
		"add":        func(a, b int) int { return a + b },
		"static":     func(name string) string { return "/static/" + name + "?v=" + staticTag },
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict needs name, value pairs")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"str":    func(v any) string { return fmt.Sprint(v) },
		"isZero": func(t time.Time) bool { return t.IsZero() },
		"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	}
}

// placeText joins what is known of a place into one line, to be shown in
// one bidirectional isolate so its commas stay between its parts.
func placeText(p incident.Place) string {
	var parts []string
	for _, s := range []string{p.Name, p.AdminArea, p.Country} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// partyName names a party in the interface language when it has a name
// in it.
func partyName(l *localizer, p any) string {
	switch p := p.(type) {
	case *party.Party:
		return p.NameIn(l.lang.Code)
	case party.Party:
		return p.NameIn(l.lang.Code)
	}
	return ""
}

// fieldID turns a field path (acts[1].victim.age_group) into an HTML id.
func fieldID(p string) string {
	return "f-" + strings.NewReplacer("[", "-", "]", "", ".", "-").Replace(p)
}

// base is what every page's layout needs.
type base struct {
	Lang      language
	Languages []language
	Nav       string // the section the page belongs to
	Here      string // this page's URL, to come back to after switching language
	Flash     string // catalog key of a one-time notice
	// Principal is who is logged in (nil for nobody), RoleLabel their role
	// in words, for the account menu (login.go).
	Principal *account.Principal
	RoleLabel string
	guarded   bool // pages are behind access control
}

// Can reports whether the page's viewer may use what needs the permission,
// so the layout offers only the sections they may open. Without access
// control every section is offered.
func (b base) Can(perm string) bool {
	if !b.guarded {
		return true
	}
	// Until a generated password is replaced, no section is open.
	return b.Principal.Can(account.Permission(perm)) && !b.Principal.PasswordChangeDue
}

// page lets render fill the layout's part of any page's data.
type page interface{ setBase(base) }

func (b *base) setBase(x base) { *b = x }

func (h *handler) localizer(r *http.Request) *localizer {
	l := negotiate(r)
	return &localizer{lang: l, cat: h.catalogs[l.Code]}
}

// render writes a page in the request's language. It renders into a buffer
// first, so a template error becomes a clean 500 rather than half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, view, nav string, data page) {
	l := negotiate(r)
	b := base{Lang: l, Languages: languages, Nav: nav, Here: r.URL.RequestURI(), Flash: takeFlash(w, r),
		guarded: h.access.Guard != nil}
	if p, ok := account.PrincipalFrom(r.Context()); ok {
		b.Principal, b.RoleLabel = p, h.localizer(r).T("role."+string(p.Role))
	}
	data.setBase(b)
	t := h.views.pages[l.Code][view]
	if t == nil {
		slog.Error("web: no such view", "view", view)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		slog.Error("web: render", "view", view, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Language", l.Code)
	// Pages show survivor-related records: keep them out of every cache.
	hd.Set("Cache-Control", "no-store")
	hd.Set("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type errorPage struct {
	base
	Status int
}

func (h *handler) renderError(w http.ResponseWriter, r *http.Request, status int) {
	h.render(w, r, status, "error", "", &errorPage{Status: status})
}

// staticVersion fingerprints the static files, so their URLs change when
// they do and browsers may cache them for long.
func staticVersion() (string, error) {
	sum := sha256.New()
	err := fs.WalkDir(staticFiles, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFiles.ReadFile(p)
		sum.Write([]byte(p))
		sum.Write(b)
		return err
	})
	return hex.EncodeToString(sum.Sum(nil))[:12], err
}

func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFiles, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		files.ServeHTTP(w, r)
	})
}

// languageName names a language tag (of a party's name, a source) in the
// interface language, falling back to the tag itself.
func languageName(l *localizer, code string) string {
	key := "language." + strings.ToLower(code)
	if _, ok := l.cat[key]; ok {
		return l.T(key)
	}
	return code
}

// knownLanguageNames are the language tags the catalogs name.
var knownLanguageNames = []string{"en", "fr", "ar", "he", "es", "ru", "zh", "uk", "fa", "ku", "tr", "am", "so", "sw", "my", "ps", "ur", "de"}

// fieldLabel names a field by its path, as forms and history show it:
// "acts[1].victim.age_group" is "Act 2 › Age group".
func fieldLabel(l *localizer, p string) string {
	var parts []string
	var norm []string
	segs := strings.Split(p, ".")
	for i, seg := range segs {
		name, idx, indexed := splitIndex(seg)
		norm = append(norm, name)
		if !indexed {
			continue
		}
		last := i == len(segs)-1
		switch {
		case last:
			// tags[2]: the list's label and the item's number.
			key := "field." + strings.Join(norm, ".")
			return strings.Join(append(parts, l.T("field.item", "field", labelOr(l, key, p), "n", idx+1)), " › ")
		default:
			parts = append(parts, l.T("field.each."+strings.Join(norm, "."), "n", idx+1))
		}
	}
	key := "field." + strings.Join(norm, ".")
	return strings.Join(append(parts, labelOr(l, key, p)), " › ")
}

func labelOr(l *localizer, key, fallback string) string {
	if _, ok := l.cat[key]; ok {
		return l.T(key)
	}
	return fallback
}

// splitIndex splits "acts[1]" into "acts", 1.
func splitIndex(seg string) (string, int, bool) {
	name, rest, ok := strings.Cut(seg, "[")
	if !ok || !strings.HasSuffix(rest, "]") {
		return seg, 0, false
	}
	var n int
	if _, err := fmt.Sscanf(rest, "%d]", &n); err != nil {
		return seg, 0, false
	}
	return name, n, true
}

// fieldMessage is one validation problem, translated, for the form's
// summary and for the message beside its input.
type fieldMessage struct {
	Field   string // path, as the record names it
	ID      string // the input's id
	Label   string
	Message string
}

// formErrors holds a form's validation problems.
type formErrors struct {
	List    []fieldMessage
	ByField map[string]string
}

// Has reports whether the form has a problem with field.
func (e formErrors) For(field string) string { return e.ByField[field] }

// Any reports whether there is any problem.
func (e formErrors) Any() bool { return len(e.List) > 0 }

// translateErrors renders validation errors in the interface language,
// keyed by the input they concern. A problem with one tag shows beside the
// tags input; with an ID, beside the record as a whole.
func translateErrors(l *localizer, errs record.Errors) formErrors {
	out := formErrors{ByField: map[string]string{}}
	for _, fe := range errs {
		input := inputFor(fe.Field)
		msg := errorMessage(l, fe)
		out.List = append(out.List, fieldMessage{Field: fe.Field, ID: fieldID(input), Label: fieldLabel(l, fe.Field), Message: msg})
		if _, seen := out.ByField[input]; !seen {
			out.ByField[input] = msg
		}
	}
	return out
}

// inputFor names the form input that shows a field's error.
func inputFor(field string) string {
	segs := strings.Split(field, ".")
	last := segs[len(segs)-1]
	if name, _, indexed := splitIndex(last); indexed && name == "tags" {
		segs[len(segs)-1] = name
	}
	return strings.Join(segs, ".")
}

// errorMessage translates a validation error by its code. Numbers in the
// English message (a maximum length, a range) fill {1} and {2}; a code the
// catalogs do not know keeps its English message.
func errorMessage(l *localizer, fe record.FieldError) string {
	key := "error." + fe.Code
	if _, ok := l.cat[key]; !ok {
		return fe.Message
	}
	var args []any
	if fe.Code == "too_long" || fe.Code == "out_of_range" {
		for i, n := range numbersIn(fe.Message) {
			args = append(args, fmt.Sprint(i+1), n)
		}
	}
	return l.T(key, args...)
}

// numbersIn finds the integers in s, in order.
func numbersIn(s string) []int {
	var out []int
	for i := 0; i < len(s); {
		j := i
		if s[j] == '-' && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9' && (j == 0 || s[j-1] == ' ') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			var n int
			fmt.Sscanf(s[i:k], "%d", &n)
			out = append(out, n)
			i = k
			continue
		}
		i++
	}
	return out
}
