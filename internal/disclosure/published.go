package disclosure

import (
	"encoding/csv"
	"encoding/json"
	"html/template"
	"io"
	"strconv"
)

// Cell is one published count: a number, "<5" (a small count), or "x"
// (withheld so that a small count cannot be worked out). A suppressed
// cell does not hold its count: nothing downstream can leak it.
type Cell struct {
	n    int64
	text string // "" for a shown count
}

// Value returns the count and true, or false for a suppressed cell.
func (c Cell) Value() (int64, bool) { return c.n, c.text == "" }

// Suppressed reports whether the count is withheld, for either reason.
func (c Cell) Suppressed() bool { return c.text != "" }

// Small reports whether the count is under the threshold ("<5").
func (c Cell) Small() bool { return c.text != "" && c.text != Withheld }

// String is the cell as shown: "12", "<5" or "x".
func (c Cell) String() string {
	if c.text != "" {
		return c.text
	}
	return strconv.FormatInt(c.n, 10)
}

// MarshalJSON writes a shown count as a number, a suppressed one as its
// marker string.
func (c Cell) MarshalJSON() ([]byte, error) {
	if c.text != "" {
		return json.Marshal(c.text)
	}
	return []byte(strconv.FormatInt(c.n, 10)), nil
}

// Withheld marks a count suppressed to protect another.
const Withheld = "x"

// Published is a table as it may be shown: counts, totals and markers.
type Published struct {
	RowDimension    string   `json:"row_dimension"`
	Rows            []string `json:"rows"`
	ColumnDimension string   `json:"column_dimension"`
	Columns         []string `json:"columns"`
	// Cells[i][j] is the count of Rows[i] and Columns[j].
	Cells        [][]Cell `json:"cells"`
	RowTotals    []Cell   `json:"row_totals"`
	ColumnTotals []Cell   `json:"column_totals"`
	Total        Cell     `json:"total"`
	// Threshold and ZerosSuppressed are the rule applied; Legend explains
	// the markers.
	Threshold       int64             `json:"threshold"`
	ZerosSuppressed bool              `json:"zeros_suppressed"`
	Legend          map[string]string `json:"legend"`
}

// Publish applies the rule to the table and returns what may be shown.
// ErrCannotProtect means no amount of suppression makes it safe.
func (t *Table) Publish(rule Rule) (*Published, error) {
	rule, err := rule.withDefaults()
	if err != nil {
		return nil, err
	}
	g := newGrid(t)
	for e, v := range g.value {
		if rule.small(v) {
			g.mark[e] = small
		}
	}
	if err := g.protect(rule); err != nil {
		return nil, err
	}
	smallText := "<" + strconv.FormatInt(rule.Threshold, 10)
	cell := func(i, j int) Cell {
		e := g.at(i, j)
		switch g.mark[e] {
		case small:
			return Cell{text: smallText}
		case withheld:
			return Cell{text: Withheld}
		}
		return Cell{n: g.value[e]}
	}
	R, C := g.r-1, g.c-1
	p := &Published{
		RowDimension: t.rows.Name, Rows: append([]string(nil), t.rows.Values...),
		ColumnDimension: t.cols.Name, Columns: append([]string(nil), t.cols.Values...),
		Cells: make([][]Cell, R), RowTotals: make([]Cell, R), ColumnTotals: make([]Cell, C), Total: cell(R, C),
		Threshold: rule.Threshold, ZerosSuppressed: rule.SuppressZeros,
		Legend: map[string]string{
			smallText: "fewer than " + strconv.FormatInt(rule.Threshold, 10) + " (from " +
				strconv.FormatInt(rule.lowest(), 10) + " to " + strconv.FormatInt(rule.Threshold-1, 10) + ")",
			Withheld: strconv.FormatInt(rule.Threshold, 10) + " or more, withheld so that a small count cannot be worked out from the totals",
		},
	}
	for i := range R {
		p.Cells[i] = make([]Cell, C)
		for j := range C {
			p.Cells[i][j] = cell(i, j)
		}
		p.RowTotals[i] = cell(i, C)
	}
	for j := range C {
		p.ColumnTotals[j] = cell(R, j)
	}
	return p, nil
}

// WriteCSV writes the table with a header row of column values, a row per
// row value, totals last; suppressed counts as their markers.
func (p *Published) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	header := append([]string{p.RowDimension + " \\ " + p.ColumnDimension}, p.Columns...)
	if err := cw.Write(append(header, "total")); err != nil {
		return err
	}
	for i, row := range p.Cells {
		rec := []string{p.Rows[i]}
		for _, c := range row {
			rec = append(rec, c.String())
		}
		if err := cw.Write(append(rec, p.RowTotals[i].String())); err != nil {
			return err
		}
	}
	rec := []string{"total"}
	for _, c := range p.ColumnTotals {
		rec = append(rec, c.String())
	}
	if err := cw.Write(append(rec, p.Total.String())); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// HTMLOptions dress a table for a page.
type HTMLOptions struct {
	Caption string
	// Label translates a dimension's value (or the dimension's name, with
	// value "") for display; nil shows the codes.
	Label func(dimension, value string) string
	// Total is the word for the totals ("Total").
	Total string
}

var htmlTable = template.Must(template.New("table").Parse(`<table class="disclosure">
{{- with .Caption}}<caption>{{.}}</caption>{{end}}
<thead><tr><th scope="col">{{.Corner}}</th>{{range .Columns}}<th scope="col">{{.}}</th>{{end}}<th scope="col">{{.Total}}</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr><th scope="row">{{.Label}}</th>{{range .Cells}}{{template "cell" .}}{{end}}</tr>
{{- end}}
</tbody>
<tfoot><tr><th scope="row">{{.Total}}</th>{{range .Totals}}{{template "cell" .}}{{end}}</tr></tfoot>
</table>
{{define "cell"}}{{if .Suppressed}}<td class="suppressed" title="{{.Title}}">{{.Text}}</td>{{else}}<td>{{.Text}}</td>{{end}}{{end}}`))

type htmlCell struct {
	Text, Title string
	Suppressed  bool
}

// WriteHTML writes the table as an HTML table element, escaped by
// html/template; suppressed cells carry class "suppressed" and the
// legend's explanation as a title.
func (p *Published) WriteHTML(w io.Writer, opts HTMLOptions) error {
	label := opts.Label
	if label == nil {
		label = func(dimension, value string) string {
			if value == "" {
				return dimension
			}
			return value
		}
	}
	if opts.Total == "" {
		opts.Total = "Total"
	}
	cell := func(c Cell) htmlCell {
		return htmlCell{Text: c.String(), Title: p.Legend[c.text], Suppressed: c.Suppressed()}
	}
	type row struct {
		Label string
		Cells []htmlCell
	}
	data := struct {
		Caption, Corner, Total string
		Columns                []string
		Rows                   []row
		Totals                 []htmlCell
	}{Caption: opts.Caption, Total: opts.Total,
		Corner: label(p.RowDimension, "") + " / " + label(p.ColumnDimension, "")}
	for _, c := range p.Columns {
		data.Columns = append(data.Columns, label(p.ColumnDimension, c))
	}
	for i, cells := range p.Cells {
		r := row{Label: label(p.RowDimension, p.Rows[i])}
		for _, c := range cells {
			r.Cells = append(r.Cells, cell(c))
		}
		data.Rows = append(data.Rows, row{Label: r.Label, Cells: append(r.Cells, cell(p.RowTotals[i]))})
	}
	for _, c := range p.ColumnTotals {
		data.Totals = append(data.Totals, cell(c))
	}
	data.Totals = append(data.Totals, cell(p.Total))
	return htmlTable.Execute(w, data)
}
