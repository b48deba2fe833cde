package disclosure

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// build makes a table with rows r0, r1, … and columns c0, c1, … from counts.
func build(t testing.TB, counts [][]int64) *Table {
	t.Helper()
	rows := Dimension{Name: "row"}
	for i := range counts {
		rows.Values = append(rows.Values, "r"+strconv.Itoa(i))
	}
	cols := Dimension{Name: "col"}
	for j := range counts[0] {
		cols.Values = append(cols.Values, "c"+strconv.Itoa(j))
	}
	tab, err := NewTable(rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range counts {
		for j, n := range row {
			if err := tab.Add(rows.Values[i], cols.Values[j], n); err != nil {
				t.Fatal(err)
			}
		}
	}
	return tab
}

func csvOf(t testing.TB, p *Published) string {
	t.Helper()
	var b bytes.Buffer
	if err := p.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestPublishKnownTables(t *testing.T) {
	for _, tc := range []struct {
		name   string
		counts [][]int64
		rule   Rule
		want   string // CSV
	}{
		{
			name:   "nothing small",
			counts: [][]int64{{20, 15}, {8, 12}},
			want:   "row \\ col,c0,c1,total\nr0,20,15,35\nr1,8,12,20\ntotal,28,27,55\n",
		},
		{
			// One small cell: the cheapest rectangle of complements.
			name:   "one small cell",
			counts: [][]int64{{20, 3, 15}, {8, 12, 9}, {30, 7, 6}},
			want: "row \\ col,c0,c1,c2,total\nr0,20,<5,x,38\nr1,8,12,9,29\nr2,30,x,x,43\n" +
				"total,58,22,30,110\n",
		},
		{
			// Zeros are shown by default and never withheld: "x" would
			// claim 5 or more.
			name:   "zeros shown",
			counts: [][]int64{{0, 12}, {9, 0}},
			want:   "row \\ col,c0,c1,total\nr0,0,12,12\nr1,9,0,9\ntotal,9,12,21\n",
		},
		{
			name:   "zeros suppressed",
			counts: [][]int64{{0, 12, 7}, {9, 6, 8}},
			rule:   Rule{SuppressZeros: true},
			want:   "row \\ col,c0,c1,c2,total\nr0,<5,12,x,19\nr1,x,6,x,23\ntotal,9,18,15,42\n",
		},
		{
			// 10 + 1 + 1 = 12: with the 10 shown, the two small cells
			// would add up to 2, so both would be 1. The 10 is withheld.
			name:   "two ones beside a published total",
			counts: [][]int64{{10, 1, 1}},
			want:   "row \\ col,c0,c1,c2,total\nr0,x,<5,<5,12\ntotal,x,<5,<5,12\n",
		},
		{
			// A small row total is itself suppressed. Withholding r2's
			// cells is not enough: with its total 13 shown, r0's total
			// would be 66 - 50 - 13 = 3.
			name:   "small total",
			counts: [][]int64{{1, 2}, {20, 30}, {6, 7}},
			want:   "row \\ col,c0,c1,total\nr0,<5,<5,<5\nr1,20,30,50\nr2,x,x,x\ntotal,27,39,66\n",
		},
		{
			name:   "threshold 10",
			counts: [][]int64{{12, 7, 30}, {15, 22, 40}},
			rule:   Rule{Threshold: 10},
			want:   "row \\ col,c0,c1,c2,total\nr0,x,<10,30,49\nr1,x,x,40,77\ntotal,27,29,70,126\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := build(t, tc.counts).Publish(tc.rule)
			if err != nil {
				t.Fatal(err)
			}
			if got := csvOf(t, p); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// Four ones under a total that must be "<5": whatever else is withheld,
// "four counts of at least 1 adding up to less than 5" says each is 1.
func TestCannotProtect(t *testing.T) {
	_, err := build(t, [][]int64{{1, 1, 1, 1}}).Publish(Rule{})
	if !errors.Is(err, ErrCannotProtect) || !strings.Contains(err.Error(), "the count at r0, c0") {
		t.Fatalf("Publish = %v, want ErrCannotProtect naming the cell", err)
	}
	// The attacks agree: with everything withheld, a count is still recovered.
	checkRefusal(t, "four ones", [][]int64{{1, 1, 1, 1}}, Rule{})
	// Once zeros are suppressed too, "<5" may be 0 and the ones are safe.
	p, err := build(t, [][]int64{{1, 1, 1, 1}}).Publish(Rule{SuppressZeros: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Total.String() != "<5" {
		t.Errorf("total %s", p.Total)
	}
}

func TestInputRefused(t *testing.T) {
	years := Dimension{Name: "year", Values: []string{"2022", "2023"}}
	for _, d := range []Dimension{
		{Name: "place", Values: []string{"El Geneina market"}},        // free text
		{Name: "date", Values: []string{"2023-10-07"}},                // an exact day
		{Name: "date", Values: []string{"07/10/2023"}},                // another spelling of one
		{Name: "latitude", Values: []string{"13.4521"}},               // a coordinate
		{Name: "summary", Values: []string{"she-was-taken-at-night"}}, // passes as a code: the caller's vocabulary is the guard
		{Name: "violation type", Values: []string{"rape"}},            // a name with a space
		{Name: "year", Values: []string{"2023", "2023"}},              // twice
		{Name: "year"}, // no values
	} {
		_, err := NewTable(d, Dimension{Name: "other", Values: []string{"a"}})
		if d.Name == "summary" {
			if err != nil {
				t.Errorf("a hyphenated code was refused: %v", err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("NewTable(%+v) = %v, want ErrInvalid", d, err)
		}
	}
	if _, err := NewTable(years, years); !errors.Is(err, ErrInvalid) {
		t.Errorf("rows and columns of one dimension: %v", err)
	}
	tab, _ := NewTable(years, Dimension{Name: "violation", Values: []string{"rape", "sexual_slavery"}})
	for _, tc := range []struct {
		row, col string
		n        int64
	}{
		{"2021", "rape", 1},
		{"2022", "torture", 1},
		{"2022", "rape", -1},
		{"2022", "rape", 1 << 41},
	} {
		if err := tab.Add(tc.row, tc.col, tc.n); !errors.Is(err, ErrInvalid) {
			t.Errorf("Add(%s, %s, %d) = %v, want ErrInvalid", tc.row, tc.col, tc.n, err)
		}
	}
	for _, r := range []Rule{{Threshold: 2}, {Threshold: 1, SuppressZeros: true}, {Threshold: -5}, {Threshold: 5000}} {
		if _, err := tab.Publish(r); !errors.Is(err, ErrInvalid) {
			t.Errorf("Publish(%+v) = %v, want ErrInvalid", r, err)
		}
	}
	if _, err := tab.Publish(Rule{Threshold: 2, SuppressZeros: true}); err != nil {
		t.Errorf("threshold 2 with zeros suppressed: %v", err)
	}
}

func TestRender(t *testing.T) {
	tab, err := NewTable(Dimension{Name: "violation", Values: []string{"rape", "sexual_slavery"}},
		Dimension{Name: "year", Values: []string{"2022", "2023"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		row, col string
		n        int64
	}{{"rape", "2022", 3}, {"rape", "2023", 40}, {"sexual_slavery", "2022", 25}, {"sexual_slavery", "2023", 31}} {
		tab.Add(c.row, c.col, c.n)
	}
	p, err := tab.Publish(Rule{})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := p.Cells[0][0].Value(); ok || v != 0 || !p.Cells[0][0].Small() {
		t.Errorf("a small cell gives its value: %d, %v", v, ok)
	}
	if v, ok := p.Cells[0][1].Value(); ok || v != 0 || p.Cells[0][1].Small() || !p.Cells[0][1].Suppressed() {
		t.Errorf("a withheld cell gives its value: %d, %v", v, ok)
	}
	if v, ok := p.RowTotals[0].Value(); !ok || v != 43 {
		t.Errorf("row total %d, %v", v, ok)
	}

	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cells  [][]any           `json:"cells"`
		Total  any               `json:"total"`
		Legend map[string]string `json:"legend"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Cells[0][0] != "<5" || doc.Cells[0][1] != "x" || doc.Cells[1][0] != "x" || doc.Cells[1][1] != "x" ||
		doc.Total != float64(99) || doc.Legend["<5"] != "fewer than 5 (from 1 to 4)" {
		t.Errorf("JSON %s", b)
	}

	// In a 2 × 2 table with its totals shown, only all four cells together
	// hide one of them.
	if got, want := csvOf(t, p), "violation \\ year,2022,2023,total\nrape,<5,x,43\nsexual_slavery,x,x,56\ntotal,28,71,99\n"; got != want {
		t.Errorf("CSV\n%s\nwant\n%s", got, want)
	}

	var h bytes.Buffer
	labels := map[string]string{"violation": "Violation", "year": "Year", "rape": "Rape", "sexual_slavery": "Sexual slavery <b>"}
	err = p.WriteHTML(&h, HTMLOptions{Caption: "Acts by year", Total: "Total",
		Label: func(dim, value string) string {
			if value == "" {
				return labels[dim]
			}
			if l, ok := labels[value]; ok {
				return l
			}
			return value
		}})
	if err != nil {
		t.Fatal(err)
	}
	html := h.String()
	for _, want := range []string{
		`<caption>Acts by year</caption>`,
		`<th scope="col">Violation / Year</th><th scope="col">2022</th><th scope="col">2023</th><th scope="col">Total</th>`,
		`<tr><th scope="row">Rape</th><td class="suppressed" title="fewer than 5 (from 1 to 4)">&lt;5</td><td class="suppressed" title="5 or more, withheld so that a small count cannot be worked out from the totals">x</td><td>43</td></tr>`,
		`<th scope="row">Sexual slavery &lt;b&gt;</th>`,
		`<tfoot><tr><th scope="row">Total</th><td>28</td><td>71</td><td>99</td></tr></tfoot>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %s:\n%s", want, html)
		}
	}
}
