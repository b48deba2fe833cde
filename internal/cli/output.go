package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dossier-org/dossier/internal/record"
)

// writeJSON prints v indented, as scripts and people reading it expect;
// HTML characters are left alone since nothing here ends up in a page.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// table prints aligned columns.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(headers...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = oneLine(c)
		if cells[i] == "" {
			cells[i] = "-"
		}
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// fields prints "label  value" pairs aligned, skipping empty values.
type fields struct{ tw *tabwriter.Writer }

func newFields(w io.Writer) *fields {
	return &fields{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
}

func (f *fields) add(label, value string) {
	if value == "" {
		return
	}
	fmt.Fprintf(f.tw, "%s\t%s\n", label, oneLine(value))
}

func (f *fields) flush() error { return f.tw.Flush() }

// oneLine keeps a table cell on its line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// truncate shortens s to at most n characters, marking the cut.
func truncate(s string, n int) string {
	s = oneLine(s)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// formatDate renders a date with its uncertainty: 2023-10-07, 2023-10,
// 2023, 2023-10-07 – 2023-10-09, ≈ 2023-10-07, or "unknown".
func formatDate(d record.Date) string {
	if s := d.String(); s != "" {
		return s
	}
	return "unknown"
}

// describeDate says what a date means, for the detail views.
func describeDate(d record.Date) string {
	switch d.Precision {
	case record.DateDay:
		return d.Start
	case record.DateMonth, record.DateYear:
		return fmt.Sprintf("%s (some day between %s and %s)", formatDate(d), d.Start, d.End)
	case record.DateRange:
		return fmt.Sprintf("%s (some day in this range)", formatDate(d))
	case record.DateApproximate:
		return fmt.Sprintf("%s (approximate)", formatDate(d))
	}
	return "unknown"
}

// formatTime renders an instant to the minute, in UTC.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// plural renders "1 incident", "2 incidents".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// indent prints text as a paragraph under a heading.
func indent(w io.Writer, text, prefix string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintln(w, strings.TrimRight(prefix+line, " "))
	}
}

// enumNames lists allowed values for flag help.
func enumNames[T ~string](values []T) string {
	names := make([]string, 0, len(values))
	for _, v := range values {
		if v != "" {
			names = append(names, string(v))
		}
	}
	return strings.Join(names, ", ")
}

// wrap breaks text into lines of at most width characters, indenting every
// line after the first, for lists in help texts.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(text) {
		n := len([]rune(word))
		if i > 0 {
			if line+1+n > width {
				b.WriteString("\n" + indent)
				line = 0
			} else {
				b.WriteByte(' ')
				line++
			}
		}
		b.WriteString(word)
		line += n
	}
	return b.String()
}
