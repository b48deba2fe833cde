// Package disclosure publishes counts without disclosing the people
// counted. Every aggregate Dossier shows to advocates or the public — a
// report's tables, a dashboard's figures — goes through it.
//
// A Table holds counts by two categorical dimensions (a one-way table has a
// single column). Publish applies the Rule: counts under the threshold
// (default 5) are shown as "<5" (primary suppression); then further cells
// and totals are withheld, shown as "x", until no suppressed count can be
// worked out from what is published (secondary suppression). The check is
// exact: for every suppressed count it computes the smallest and largest
// value consistent with every published count, every total and what the
// markers themselves say ("<5" is 1 to 4; "x" is 5 or more), and suppresses
// more until none is pinned to a single value.
//
// The API accepts only category codes and counts: no free text, no exact
// dates or coordinates, so nothing describing an individual act can reach
// a published table.
package disclosure

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Dimension is a categorical variable: its name and its values, in the
// order they are shown. Values are codes from a vocabulary ("rape",
// "2023", "SD"), translated to labels only when rendered.
type Dimension struct {
	Name   string
	Values []string
}

// Limits: a published table is a summary, and the exact suppression check
// grows with its size.
const (
	MaxValues = 100
	maxCount  = 1 << 40
)

var (
	code    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/+-]{0,63}$`)
	day     = regexp.MustCompile(`\d{4}-\d{2}-\d{2}|\d{2}[./]\d{2}[./]\d{4}`)
	decimal = regexp.MustCompile(`^[+-]?\d+\.\d+$`)
)

// ErrInvalid wraps every refusal of a table's shape or contents.
var ErrInvalid = errors.New("invalid table")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// checkCode accepts a category code and refuses anything that could carry
// what must never be published: free text (spaces, punctuation), an exact
// day, a coordinate.
func checkCode(what, s string) error {
	switch {
	case !code.MatchString(s):
		return invalidf("%s %q is not a category code (letters, digits and _ . : / + -, at most 64, no spaces): tables hold categories, never free text", what, s)
	case day.MatchString(s):
		return invalidf("%s %q is an exact date: publish years or months, never the day of an act", what, s)
	case decimal.MatchString(s):
		return invalidf("%s %q looks like a coordinate or a measurement: publish categories, never exact places", what, s)
	}
	return nil
}

func (d Dimension) check(which string) error {
	if err := checkCode(which+" dimension", d.Name); err != nil {
		return err
	}
	if len(d.Values) == 0 || len(d.Values) > MaxValues {
		return invalidf("%s dimension %s has %d values; it needs 1 to %d", which, d.Name, len(d.Values), MaxValues)
	}
	seen := make(map[string]bool, len(d.Values))
	for _, v := range d.Values {
		if err := checkCode(d.Name+" value", v); err != nil {
			return err
		}
		if seen[v] {
			return invalidf("%s value %q appears twice", d.Name, v)
		}
		seen[v] = true
	}
	return nil
}

// Table is a two-way table of counts being filled.
type Table struct {
	rows, cols Dimension
	rowIndex   map[string]int
	colIndex   map[string]int
	counts     [][]int64
}

// NewTable starts an empty table of rows × columns.
func NewTable(rows, columns Dimension) (*Table, error) {
	if err := rows.check("row"); err != nil {
		return nil, err
	}
	if err := columns.check("column"); err != nil {
		return nil, err
	}
	if rows.Name == columns.Name {
		return nil, invalidf("rows and columns are both %s", rows.Name)
	}
	t := &Table{rows: clone(rows), cols: clone(columns), rowIndex: index(rows.Values), colIndex: index(columns.Values)}
	t.counts = make([][]int64, len(rows.Values))
	for i := range t.counts {
		t.counts[i] = make([]int64, len(columns.Values))
	}
	return t, nil
}

func clone(d Dimension) Dimension {
	return Dimension{Name: d.Name, Values: append([]string(nil), d.Values...)}
}

func index(values []string) map[string]int {
	m := make(map[string]int, len(values))
	for i, v := range values {
		m[v] = i
	}
	return m
}

// Add adds n to the count of (row, column). Both must be values of their
// dimensions; n must not be negative.
func (t *Table) Add(row, column string, n int64) error {
	i, ok := t.rowIndex[row]
	if !ok {
		return invalidf("%q is not a value of %s (%s)", row, t.rows.Name, strings.Join(t.rows.Values, ", "))
	}
	j, ok := t.colIndex[column]
	if !ok {
		return invalidf("%q is not a value of %s (%s)", column, t.cols.Name, strings.Join(t.cols.Values, ", "))
	}
	if n < 0 || n > maxCount || t.counts[i][j] > maxCount-n {
		return invalidf("count %s for (%s, %s) is out of range", strconv.FormatInt(n, 10), row, column)
	}
	t.counts[i][j] += n
	return nil
}

// Count adds one to (row, column): one act, one incident, one person.
func (t *Table) Count(row, column string) error { return t.Add(row, column, 1) }

// Rule says what is too small to publish.
type Rule struct {
	// Threshold: counts from 1 to Threshold-1 are suppressed (default 5).
	Threshold int64
	// SuppressZeros suppresses zero counts too. By default a zero is not
	// sensitive and is shown; suppress zeros when the absence of cases is
	// itself revealing (a village known to have been attacked).
	SuppressZeros bool
}

// DefaultThreshold is the smallest count published by default.
const DefaultThreshold = 5

func (r Rule) withDefaults() (Rule, error) {
	if r.Threshold == 0 {
		r.Threshold = DefaultThreshold
	}
	// "<T" must leave at least two possible values, or the marker itself
	// gives the count away.
	min := int64(3)
	if r.SuppressZeros {
		min = 2
	}
	if r.Threshold < min || r.Threshold > 1000 {
		return r, invalidf("threshold %d must be from %d to 1000", r.Threshold, min)
	}
	return r, nil
}

// lowest is the smallest value a "<T" cell can hold.
func (r Rule) lowest() int64 {
	if r.SuppressZeros {
		return 0
	}
	return 1
}

func (r Rule) small(n int64) bool {
	return n < r.Threshold && (n > 0 || r.SuppressZeros)
}
