package web

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"
	"time"

	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
	"github.com/dossier-org/dossier/internal/survivor"
)

func mustCatalogs(t *testing.T) map[string]catalog {
	t.Helper()
	cats, err := loadCatalogs(translationFiles)
	if err != nil {
		t.Fatal(err)
	}
	return cats
}

// templateUse is what the templates ask of the catalogs.
type templateUse struct {
	keys    map[string]bool // literal keys passed to t and tn
	plurals map[string]bool // keys passed to tn
	enums   map[string]bool // enumeration kinds passed to enum
	dynamic []string        // calls whose key is computed, by template
}

// templateKeys walks every template's parse tree for calls of the
// translation functions.
func templateKeys(t *testing.T) templateUse {
	t.Helper()
	use := templateUse{keys: map[string]bool{}, plurals: map[string]bool{}, enums: map[string]bool{}}
	names, err := filepath.Glob("templates/*.html")
	if err != nil || len(names) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	for _, file := range names {
		tmpl, err := template.New(filepath.Base(file)).Funcs(funcs(&localizer{lang: languages[0]}, "test")).ParseFiles(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range tmpl.Templates() {
			if tt.Tree == nil {
				continue
			}
			walk(tt.Tree.Root, func(cmd *parse.CommandNode) {
				if len(cmd.Args) < 2 {
					return
				}
				id, ok := cmd.Args[0].(*parse.IdentifierNode)
				if !ok {
					return
				}
				str, literal := cmd.Args[1].(*parse.StringNode)
				switch id.Ident {
				case "t", "tn":
					if !literal {
						use.dynamic = append(use.dynamic, file+": "+cmd.String())
						return
					}
					use.keys[str.Text] = true
					if id.Ident == "tn" {
						use.plurals[str.Text] = true
					}
				case "enum":
					if literal {
						use.enums[str.Text] = true
					}
				}
			})
		}
	}
	return use
}

func walk(n parse.Node, fn func(*parse.CommandNode)) {
	switch n := n.(type) {
	case nil:
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, fn)
		}
	case *parse.ActionNode:
		walk(n.Pipe, fn)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walk(c, fn)
		}
	case *parse.CommandNode:
		fn(n)
		for _, a := range n.Args {
			walk(a, fn)
		}
	case *parse.IfNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.RangeNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.WithNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.TemplateNode:
		walk(n.Pipe, fn)
	}
}

// dynamicKeys are the keys templates and code compute rather than name:
// they are listed here so that the test still sees them all.
func dynamicKeys() []string {
	var keys []string
	for _, section := range []string{"incidents", "parties", "situations", "sources"} {
		keys = append(keys, "nav."+section)
	}
	for _, a := range []record.Action{record.Created, record.Updated} {
		keys = append(keys, "history.action."+string(a))
	}
	for _, k := range flashes {
		keys = append(keys, k)
	}
	for _, code := range knownLanguageNames {
		keys = append(keys, "language."+code)
	}
	for m := 1; m <= 12; m++ {
		keys = append(keys, "month."+strconv.Itoa(m))
	}
	// The uses an export may be made for (the transfer page).
	for _, u := range survivor.Uses {
		keys = append(keys, "survivor.use."+string(u))
	}
	// The incident list's filters, named in its error summary.
	for _, f := range []string{"q", "from", "to", "situation", "party", "violation", "age", "status", "sort", "limit", "cursor"} {
		keys = append(keys, "field."+f)
	}
	// The questions before destructive changes (admin_confirm.go), and the
	// password form's own messages (account_password.go).
	for _, what := range []string{"disable", "password", "totp_replace", "totp_remove", "unlink", "token_revoke", "member_remove"} {
		keys = append(keys, "confirm."+what+".title", "confirm."+what+".body", "confirm."+what+".button")
	}
	keys = append(keys, "confirm.token_revoke.title_unnamed")
	for _, f := range []string{"current_password", "password", "password_repeat"} {
		keys = append(keys, "account.field."+f)
	}
	keys = append(keys, "account.error.current_password.required", "account.error.current_password.wrong",
		"account.error.password.unchanged", "account.error.password_repeat.mismatch")
	keys = append(keys, "date.day", "date.month", "date.range", "date.range_same_month", "date.approximate",
		"date.unknown", "date.bounds", "date.time", "field.item", "common.yes", "common.no")
	return append(keys, "transfer.problem.too_large", "transfer.problem.no_file", "transfer.problem.format", "transfer.problem.unreadable")
}

// enumKeys are the labels of every value of every enumeration.
func enumKeys() map[string][]string {
	out := map[string][]string{}
	add := func(kind string, values ...string) {
		for _, v := range values {
			if v == "" {
				v = "none"
			}
			out[kind] = append(out[kind], "enum."+kind+"."+v)
		}
	}
	strs := func(vs any) []string {
		b, _ := json.Marshal(vs)
		var s []string
		json.Unmarshal(b, &s)
		return s
	}
	add("violation_type", strs(incident.ViolationTypes)...)
	add("sex", strs(incident.Sexes)...)
	add("age_group", strs(incident.AgeGroups)...)
	add("victim_status", strs(incident.VictimStatuses)...)
	add("context", strs(incident.Contexts)...)
	add("status", strs(incident.Statuses)...)
	add("location_precision", strs(incident.LocationPrecisions)...)
	add("sort", strs(incident.Sorts)...)
	add("date_precision", strs(record.DatePrecisions)...)
	add("party_type", strs(party.Types)...)
	add("party_category", string(party.State), string(party.NonState), string(party.Other))
	add("conflict_class", strs(situation.ConflictClasses)...)
	add("setting", strs(situation.Settings)...)
	add("source_kind", strs(source.Kinds)...)
	add("reliability", strs(source.Reliabilities)...)
	add("connection", strs(source.Connections)...)
	return out
}

// validationCodes finds every validation error code the record packages
// can return, by reading their source: a new code without a translation
// fails this test.
func validationCodes(t *testing.T) []string {
	t.Helper()
	codes := map[string]bool{"invalid_number": true, "date_required": true} // the web forms' own
	for _, dir := range []string{"../record", "../incident", "../party", "../situation", "../source"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Add" && len(n.Args) >= 3 {
						if lit, ok := n.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							codes[unquote(lit.Value)] = true
						}
					}
				case *ast.KeyValueExpr:
					if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Code" {
						if lit, ok := n.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
							codes[unquote(lit.Value)] = true
						}
					}
				}
				return true
			})
		}
	}
	var out []string
	for c := range codes {
		out = append(out, c)
	}
	sort.Strings(out)
	if len(out) < 10 {
		t.Fatalf("found only %d validation codes (%v): the source scan is broken", len(out), out)
	}
	return out
}

func unquote(s string) string {
	u, err := strconv.Unquote(s)
	if err != nil {
		return s
	}
	return u
}

// snapshotPaths are the field paths a revision of each kind of record can
// carry, from fully filled-in records, for the labels history shows.
func snapshotPaths(t *testing.T) []string {
	t.Helper()
	lat, lon := 1.5, 2.5
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	meta := record.Meta{ID: record.NewID(), Version: 2, CreatedAt: at, CreatedBy: "a", UpdatedAt: at, UpdatedBy: "b"}
	records := []any{
		&incident.Incident{Meta: meta, Title: "t", Summary: "s", SituationID: "x",
			Place: incident.Place{Name: "n", AdminArea: "a", Country: "SD", Latitude: &lat, Longitude: &lon, Precision: incident.NearLocation},
			Date:  record.Date{Start: "2024-01-01", End: "2024-01-02", Precision: record.DateRange}, Context: incident.Camp, Status: incident.Draft,
			Acts: []incident.Act{{ID: "a", ViolationType: incident.Rape, Tags: []string{"x", "y"}, Description: "d",
				Victim:       incident.Victim{Code: "V", Sex: incident.Female, AgeGroup: incident.Adult, Status: incident.Missing, Count: 1},
				Perpetrators: []incident.Perpetrator{{PartyID: "p", Description: "d"}}}},
			Information: []incident.InformationLink{{ID: "i", SourceID: "s", ActID: "a", Connection: source.Eyewitness,
				Reliability: source.High, Reference: "r", Notes: "n"}}},
		&party.Party{Meta: meta, Name: "n", Abbreviation: "a", Type: party.StatePolice, ParentID: "p", CountryCode: "SD",
			Description: "d", Names: []party.Name{{Lang: "ar", Text: "x", Alias: true}}},
		&situation.Situation{Meta: meta, Name: "n", CountryCode: "SD", OnAgenda: true, ConflictClass: situation.International,
			Setting: situation.ConflictSetting, Description: "d"},
		&source.Source{Meta: meta, Kind: source.UNReport, Title: "t", Organisation: "o", URL: "https://x", DocumentSymbol: "S/1",
			PublishedOn: "2024-01-01", Language: "en", Reliability: source.High, Description: "d"},
	}
	var paths []string
	for _, r := range records {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		changes, err := record.Diff(nil, b)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range changes {
			paths = append(paths, c.Path)
		}
	}
	return append(paths, "version", "updated_at", "updated_by")
}

// TestCatalogsComplete fails when any language lacks a key another has, a
// plural lacks one of its language's forms, or a key the interface uses is
// in no catalog.
func TestCatalogsComplete(t *testing.T) {
	cats := mustCatalogs(t)
	all := map[string]bool{}
	for _, c := range cats {
		for k := range c {
			all[k] = true
		}
	}
	for _, l := range languages {
		c := cats[l.Code]
		for k := range all {
			m, ok := c[k]
			if !ok {
				t.Errorf("%s: missing key %q", l.Code, k)
				continue
			}
			if m.Plural == nil && strings.TrimSpace(m.Text) == "" {
				t.Errorf("%s: %q is empty", l.Code, k)
			}
			if m.Plural != nil {
				for _, form := range pluralCategories[l.Code] {
					if m.Plural[form] == "" {
						t.Errorf("%s: plural %q lacks its %q form", l.Code, k, form)
					}
				}
			}
			if en := cats["en"][k]; (en.Plural == nil) != (m.Plural == nil) {
				t.Errorf("%s: %q is a plural in one language and not in another", l.Code, k)
			}
		}
	}

	use := templateKeys(t)
	need := map[string]string{}
	for k := range use.keys {
		need[k] = "templates"
	}
	for _, k := range dynamicKeys() {
		need[k] = "code"
	}
	for kind, keys := range enumKeys() {
		for _, k := range keys {
			need[k] = "enumeration " + kind
		}
	}
	for kind := range use.enums {
		if _, ok := enumKeys()[kind]; !ok {
			t.Errorf("templates label values of an enumeration %q the test does not know", kind)
		}
	}
	for _, code := range validationCodes(t) {
		need["error."+code] = "validation code"
	}
	l := &localizer{lang: languages[0], cat: cats["en"]}
	for _, p := range snapshotPaths(t) {
		norm := normalPath(p)
		if _, ok := cats["en"]["field."+norm]; !ok {
			t.Errorf("history would show the field %q (%s) without a label: add field.%s", p, fieldLabel(l, p), norm)
		}
		segs := strings.Split(p, ".")
		var prefix []string
		for i, s := range segs {
			name, _, indexed := splitIndex(s)
			prefix = append(prefix, name)
			if indexed && i < len(segs)-1 {
				need["field.each."+strings.Join(prefix, ".")] = "history label"
			}
		}
	}
	for k, why := range need {
		if !all[k] {
			t.Errorf("key %q (used by %s) is in no catalog", k, why)
		}
	}
	for k := range use.plurals {
		if all[k] && cats["en"][k].Plural == nil {
			t.Errorf("templates count with %q, which has no plural forms", k)
		}
	}
	for _, d := range use.dynamic {
		if !knownDynamic(d) {
			t.Errorf("a template computes a translation key the test cannot check: %s", d)
		}
	}
}

// knownDynamic accepts the computed keys dynamicKeys lists.
func knownDynamic(call string) bool {
	for _, ok := range []string{`t (printf "nav.%s" .Section)`, `t (printf "history.action.%s" .Action)`, `t (printf "survivor.use.%s" .)`, `t .`} {
		if strings.Contains(call, ok) {
			return true
		}
	}
	return false
}

// TestCatalogPlaceholders checks that every translation of a message uses
// the same {placeholders} as the English one.
func TestCatalogPlaceholders(t *testing.T) {
	cats := mustCatalogs(t)
	holders := func(s string) []string {
		var out []string
		for {
			i := strings.Index(s, "{")
			if i < 0 {
				break
			}
			j := strings.Index(s[i:], "}")
			if j < 0 {
				break
			}
			out = append(out, s[i:i+j+1])
			s = s[i+j+1:]
		}
		sort.Strings(out)
		return slices.Compact(out)
	}
	for key, en := range cats["en"] {
		want := holders(en.Text + en.Plural["other"])
		for _, l := range languages[1:] {
			m := cats[l.Code][key]
			texts := []string{m.Text}
			if m.Plural != nil {
				texts = nil
				for _, form := range pluralCategories[l.Code] {
					texts = append(texts, m.Plural[form])
				}
			}
			for _, text := range texts {
				got := holders(text)
				for _, h := range got {
					if !slices.Contains(want, h) {
						t.Errorf("%s %q: %s uses %s, which English does not give", l.Code, key, text, h)
					}
				}
				// A plural form may leave out {count} (Arabic says "two
				// incidents" in one word), but every other value must appear.
				for _, h := range want {
					if h != "{count}" && !slices.Contains(got, h) {
						t.Errorf("%s %q: %q leaves out %s", l.Code, key, text, h)
					}
				}
			}
		}
	}
}

func TestPluralCategories(t *testing.T) {
	tests := []struct {
		lang string
		n    int
		want string
	}{
		{"en", 0, "other"}, {"en", 1, "one"}, {"en", 2, "other"}, {"en", 1000000, "other"},
		{"fr", 0, "one"}, {"fr", 1, "one"}, {"fr", 2, "other"}, {"fr", 1000000, "many"}, {"fr", 2000000, "many"}, {"fr", 1000001, "other"},
		{"ar", 0, "zero"}, {"ar", 1, "one"}, {"ar", 2, "two"}, {"ar", 3, "few"}, {"ar", 10, "few"}, {"ar", 11, "many"},
		{"ar", 99, "many"}, {"ar", 100, "other"}, {"ar", 101, "other"}, {"ar", 102, "other"}, {"ar", 103, "few"},
		{"ar", 111, "many"}, {"ar", 1000, "other"}, {"ar", 10000, "other"},
	}
	for _, tt := range tests {
		if got := pluralCategory(tt.lang, tt.n); got != tt.want {
			t.Errorf("pluralCategory(%s, %d) = %s, want %s", tt.lang, tt.n, got, tt.want)
		}
	}
}

func TestLocalizer(t *testing.T) {
	cats := mustCatalogs(t)
	loc := func(code string) *localizer {
		l, _ := findLanguage(code)
		return &localizer{lang: l, cat: cats[code]}
	}
	tests := []struct {
		name, got, want string
	}{
		{"en number", loc("en").Number(1234567), "1,234,567"},
		{"fr number", loc("fr").Number(12345), "12\u202f345"},
		{"ar number", loc("ar").Number(10000), "١٠٬٠٠٠"},
		{"en plural one", loc("en").N("incidents.count", 1), "1 incident"},
		{"en plural other", loc("en").N("incidents.count", 1234), "1,234 incidents"},
		{"ar plural two", loc("ar").N("incidents.count", 2), "حادثتان"},
		{"ar plural few", loc("ar").N("incidents.count", 3), "٣ حوادث"},
		{"en day", loc("en").Date(record.Date{Start: "2023-10-07", End: "2023-10-07", Precision: record.DateDay}), "7 October 2023"},
		{"fr month", loc("fr").Date(record.Date{Start: "2023-10-01", End: "2023-10-31", Precision: record.DateMonth}), "octobre 2023"},
		{"en range same month", loc("en").Date(record.Date{Start: "2023-10-07", End: "2023-10-09", Precision: record.DateRange}), "7–9 October 2023"},
		{"en range", loc("en").Date(record.Date{Start: "2023-10-07", End: "2023-11-02", Precision: record.DateRange}), "7 October 2023 – 2 November 2023"},
		{"en approximate", loc("en").Date(record.Date{Start: "2023-10-07", End: "2023-10-07", Precision: record.DateApproximate}), "around 7 October 2023"},
		{"en year", loc("en").Date(record.Date{Start: "2023-01-01", End: "2023-12-31", Precision: record.DateYear}), "2023"},
		{"en unknown", loc("en").Date(record.Date{Precision: record.DateUnknown}), "Date unknown"},
		{"ar day", loc("ar").Date(record.Date{Start: "2023-10-07", End: "2023-10-07", Precision: record.DateDay}), "٧ أكتوبر ٢٠٢٣"},
		{"en bounds", loc("en").DateBounds(record.Date{Start: "2023-10-01", End: "2023-10-31", Precision: record.DateMonth}), "between 1 October 2023 and 31 October 2023"},
		{"en field label", fieldLabel(loc("en"), "acts[1].victim.age_group"), "Act 2 › Age group"},
		{"en nested label", fieldLabel(loc("en"), "acts[0].perpetrators[2].party_id"), "Act 1 › Perpetrator 3 › Party"},
		{"en too long", errorMessage(loc("en"), record.FieldError{Field: "title", Code: "too_long", Message: "must be at most 300 characters"}), "Must be at most 300 characters."},
		{"fr too long", errorMessage(loc("fr"), record.FieldError{Field: "title", Code: "too_long", Message: "must be at most 300 characters"}), "Ne doit pas dépasser 300 caractères."},
		{"ar range", errorMessage(loc("ar"), record.FieldError{Field: "place.latitude", Code: "out_of_range", Message: "must be between -90 and 90"}), "يجب أن تكون القيمة بين -٩٠ و٩٠."},
	}
	for _, tt := range tests {
		if got := strings.ReplaceAll(tt.got, "\u00a0", " "); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestDatesDoNotBreakInsideADay(t *testing.T) {
	cats := mustCatalogs(t)
	l := &localizer{lang: languages[0], cat: cats["en"]}
	got := l.Date(record.Date{Start: "2023-10-07", End: "2024-12-31", Precision: record.DateRange})
	if got != "7\u00a0October\u00a02023 – 31\u00a0December\u00a02024" {
		t.Errorf("range %q: a line may break only between its two days", got)
	}
}

func TestAcceptLanguage(t *testing.T) {
	tests := []struct{ header, want string }{
		{"", "en"},
		{"fr-CH, fr;q=0.9, en;q=0.8", "fr"},
		{"de-DE, ar;q=0.5, fr;q=0.4", "ar"},
		{"en;q=0.2, ar-EG", "ar"},
		{"de, es", "en"},
		{"ar;q=0, fr;q=0.1", "fr"},
	}
	for _, tt := range tests {
		if got := fromAcceptLanguage(tt.header).Code; got != tt.want {
			t.Errorf("Accept-Language %q chose %s, want %s", tt.header, got, tt.want)
		}
	}
}

func TestCatalogsAreValidJSONWithoutDuplicates(t *testing.T) {
	for _, l := range languages {
		b, err := os.ReadFile("translations/" + l.Code + ".json")
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		seen := map[string]bool{}
		depth := 0
		expectKey := false
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			switch v := tok.(type) {
			case json.Delim:
				if v == '{' {
					depth++
					expectKey = depth == 1
				} else if v == '}' {
					depth--
					expectKey = depth == 1
				}
				continue
			case string:
				if depth == 1 && expectKey {
					if seen[v] {
						t.Errorf("%s.json: key %q appears twice", l.Code, v)
					}
					seen[v] = true
					expectKey = false
					continue
				}
			}
			if depth == 1 {
				expectKey = true
			}
		}
	}
}
