package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/record"
)

// The interface speaks these languages; the first is the fallback.
var languages = []language{
	{Code: "en", Name: "English", Dir: "ltr"},
	{Code: "fr", Name: "Français", Dir: "ltr"},
	{Code: "ar", Name: "العربية", Dir: "rtl"},
}

type language struct {
	Code string // BCP 47 primary tag
	Name string // the language's name in itself, for the switch
	Dir  string // ltr or rtl
}

func findLanguage(code string) (language, bool) {
	for _, l := range languages {
		if l.Code == code {
			return l, true
		}
	}
	return language{}, false
}

//go:embed translations/*.json
var translationFiles embed.FS

// message is one catalog entry: a plain text, or plural forms keyed by CLDR
// category (zero, one, two, few, many, other).
type message struct {
	Text   string
	Plural map[string]string
}

func (m *message) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		return json.Unmarshal(b, &m.Plural)
	}
	return json.Unmarshal(b, &m.Text)
}

type catalog map[string]message

// loadCatalogs reads every language's catalog from translations/<code>.json.
func loadCatalogs(files fs.FS) (map[string]catalog, error) {
	out := map[string]catalog{}
	for _, l := range languages {
		b, err := fs.ReadFile(files, "translations/"+l.Code+".json")
		if err != nil {
			return nil, fmt.Errorf("translations for %s: %w", l.Code, err)
		}
		var c catalog
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("translations/%s.json: %w", l.Code, err)
		}
		out[l.Code] = c
	}
	return out, nil
}

// pluralCategory is the CLDR cardinal plural category of the integer n in
// lang (CLDR 44 rules for integers).
func pluralCategory(lang string, n int) string {
	if n < 0 {
		n = -n
	}
	switch lang {
	case "ar":
		switch m := n % 100; {
		case n == 0:
			return "zero"
		case n == 1:
			return "one"
		case n == 2:
			return "two"
		case m >= 3 && m <= 10:
			return "few"
		case m >= 11 && m <= 99:
			return "many"
		}
		return "other"
	case "fr":
		switch {
		case n == 0 || n == 1:
			return "one"
		case n%1000000 == 0:
			return "many" // "1 million d’incidents"
		}
		return "other"
	}
	if n == 1 {
		return "one"
	}
	return "other"
}

// pluralCategories lists the categories a language's catalog must give for
// every plural message.
var pluralCategories = map[string][]string{
	"en": {"one", "other"},
	"fr": {"one", "many", "other"},
	"ar": {"zero", "one", "two", "few", "many", "other"},
}

// localizer renders text in one language.
type localizer struct {
	lang language
	cat  catalog
}

// T translates key, replacing {name} placeholders by the values that follow
// in name, value pairs. A missing key shows as itself, which tests forbid.
func (l *localizer) T(key string, args ...any) string {
	m, ok := l.cat[key]
	if !ok {
		return key
	}
	text := m.Text
	if m.Plural != nil {
		text = m.Plural["other"]
	}
	return l.fill(text, args)
}

// N translates a plural message for count n; {count} is the number.
func (l *localizer) N(key string, n int, args ...any) string {
	m, ok := l.cat[key]
	if !ok {
		return key
	}
	text := m.Text
	if m.Plural != nil {
		var found bool
		if text, found = m.Plural[pluralCategory(l.lang.Code, n)]; !found {
			text = m.Plural["other"]
		}
	}
	return l.fill(text, append([]any{"count", n}, args...))
}

func (l *localizer) fill(text string, args []any) string {
	if !strings.Contains(text, "{") {
		return text
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		name, _ := args[i].(string)
		pairs = append(pairs, "{"+name+"}", l.format(args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

func (l *localizer) format(v any) string {
	switch v := v.(type) {
	case int:
		return l.Number(v)
	case string:
		return v
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}

// Number writes n with the language's digits and grouping.
func (l *localizer) Number(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := map[string]string{"en": ",", "fr": "\u202f", "ar": "٬"}[l.lang.Code]
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	out := b.String()
	if neg {
		out = "-" + out
	}
	return l.digits(out)
}

// digits writes ASCII digits in the language's own numbering system: CLDR's
// default for Arabic is the Arabic-Indic digits.
func (l *localizer) digits(s string) string {
	if l.lang.Code != "ar" {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '٠' + (r - '0')
		}
		return r
	}, s)
}

// Enum labels a value of one of the record's enumerations.
func (l *localizer) Enum(kind string, value any) string {
	v := fmt.Sprint(value)
	if v == "" {
		v = "none"
	}
	return l.T("enum." + kind + "." + v)
}

// Day renders YYYY-MM-DD as "7 October 2023" in the language; anything else
// is shown as it is.
func (l *localizer) Day(s string) string {
	t, err := record.ParseDay(s)
	if err != nil {
		return s
	}
	return keepTogether(l.digits(l.T("date.day", "day", strconv.Itoa(t.Day()), "month", l.month(t.Month()), "year", strconv.Itoa(t.Year()))))
}

// keepTogether stops a line breaking inside a date: a range may break
// between its two days, never inside one.
func keepTogether(s string) string { return strings.ReplaceAll(s, " ", "\u00a0") }

func (l *localizer) month(m time.Month) string { return l.T("month." + strconv.Itoa(int(m))) }

// Date renders a date with its uncertainty as a person would say it:
// "October 2023", "7–9 October 2023", "around 7 October 2023".
func (l *localizer) Date(d record.Date) string {
	start, err1 := record.ParseDay(d.Start)
	end, err2 := record.ParseDay(d.End)
	if d.Precision == record.DateUnknown || err1 != nil {
		if d.Precision == record.DateUnknown || d.Start == "" {
			return l.T("date.unknown")
		}
		return d.Start
	}
	if err2 != nil {
		end = start
	}
	switch d.Precision {
	case record.DateMonth:
		return keepTogether(l.digits(l.T("date.month", "month", l.month(start.Month()), "year", strconv.Itoa(start.Year()))))
	case record.DateYear:
		return l.digits(strconv.Itoa(start.Year()))
	case record.DateRange:
		return l.span(start, end)
	case record.DateApproximate:
		return l.T("date.approximate", "date", l.span(start, end))
	}
	return l.Day(d.Start)
}

// span renders the days from start to end, sharing the month and year when
// they are the same.
func (l *localizer) span(start, end time.Time) string {
	if start.Equal(end) {
		return l.Day(start.Format("2006-01-02"))
	}
	if start.Year() == end.Year() && start.Month() == end.Month() {
		return keepTogether(l.digits(l.T("date.range_same_month", "from", strconv.Itoa(start.Day()), "to", strconv.Itoa(end.Day()),
			"month", l.month(start.Month()), "year", strconv.Itoa(start.Year()))))
	}
	return l.T("date.range", "from", l.Day(start.Format("2006-01-02")), "to", l.Day(end.Format("2006-01-02")))
}

// DateBounds says, for an uncertain date, the earliest and latest day it may
// be: what a search by period matches.
func (l *localizer) DateBounds(d record.Date) string {
	// A day or a range says its own bounds; an approximate day has none.
	switch {
	case d.Start == "", d.Precision == record.DateDay, d.Precision == record.DateRange, d.Precision == record.DateUnknown,
		d.Precision == record.DateApproximate && d.End == d.Start:
		return ""
	}
	return l.T("date.bounds", "from", l.Day(d.Start), "to", l.Day(d.End))
}

// Time renders an instant (in UTC, the record's time zone).
func (l *localizer) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	return l.T("date.time", "date", l.Day(t.Format("2006-01-02")), "time", l.digits(t.Format("15:04")))
}

// negotiate picks the interface language: the remembered choice, else the
// best of the browser's Accept-Language, else English.
func negotiate(r *http.Request) language {
	if c, err := r.Cookie(languageCookie); err == nil {
		if l, ok := findLanguage(c.Value); ok {
			return l
		}
	}
	return fromAcceptLanguage(r.Header.Get("Accept-Language"))
}

const languageCookie = "dossier_lang"

// fromAcceptLanguage reads a header such as "fr-CH, fr;q=0.9, en;q=0.8".
func fromAcceptLanguage(header string) language {
	type choice struct {
		lang  language
		q     float64
		order int
	}
	var choices []choice
	for i, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if l, ok := findLanguage(primary); ok && q > 0 {
			choices = append(choices, choice{l, q, i})
		}
	}
	if len(choices) == 0 {
		return languages[0]
	}
	sort.SliceStable(choices, func(i, j int) bool { return choices[i].q > choices[j].q })
	return choices[0].lang
}
