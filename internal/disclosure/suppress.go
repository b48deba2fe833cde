package disclosure

import (
	"errors"
	"fmt"
	"sort"
)

// mark says how an entry of the table is published.
type mark uint8

const (
	shown    mark = iota
	small         // primary suppression: under the threshold, shown "<5"
	withheld      // secondary suppression: shown "x", so that no small count can be worked out
)

// grid is the table with its totals: (rows+1) × (columns+1) entries, the
// last column holding the row totals, the last row the column totals, and
// the corner the grand total. Totals are published counts like any other:
// a small total is suppressed, and a total may be withheld.
type grid struct {
	r, c  int // including the totals
	value []int64
	mark  []mark
	names [2][]string // row and column values, for messages
}

func (g *grid) at(i, j int) int { return i*g.c + j }

func newGrid(t *Table) *grid {
	R, C := len(t.rows.Values), len(t.cols.Values)
	g := &grid{r: R + 1, c: C + 1, value: make([]int64, (R+1)*(C+1)), mark: make([]mark, (R+1)*(C+1)),
		names: [2][]string{t.rows.Values, t.cols.Values}}
	for i := range R {
		for j := range C {
			n := t.counts[i][j]
			g.value[g.at(i, j)] = n
			g.value[g.at(i, C)] += n
			g.value[g.at(R, j)] += n
			g.value[g.at(R, C)] += n
		}
	}
	return g
}

// term is one entry on a line: +1 for a part, -1 for the line's total.
type term struct {
	entry int
	sign  int64
}

// lines are the sums the table states: each row's entries add up to its
// total, each column's entries to its total; the totals' row and column
// add up to the grand total.
func (g *grid) lines() [][]term {
	var out [][]term
	for i := 0; i < g.r; i++ {
		line := make([]term, 0, g.c)
		for j := 0; j < g.c-1; j++ {
			line = append(line, term{g.at(i, j), 1})
		}
		out = append(out, append(line, term{g.at(i, g.c-1), -1}))
	}
	for j := 0; j < g.c; j++ {
		line := make([]term, 0, g.r)
		for i := 0; i < g.r-1; i++ {
			line = append(line, term{g.at(i, j), 1})
		}
		out = append(out, append(line, term{g.at(g.r-1, j), -1}))
	}
	return out
}

// ErrCannotProtect means that some small count would be given away even
// with every other count withheld — typically several counts of one in a
// line whose small total leaves no room (four ones under a total of
// "<5"). Merge categories, raise the level of aggregation, or suppress
// zeros, and publish again.
var ErrCannotProtect = errors.New("the table cannot be published without revealing a small count")

// protect withholds entries until no suppressed entry's value is pinned by
// the rest. Each round takes the first pinned entry and withholds, in this
// order of preference:
//
//  1. the smallest published entry on its row or column that frees it;
//  2. the cheapest rectangle through it (its row and column, another row
//     and another column, totals included) whose published corners, once
//     withheld, free it — the classic pattern, since a count moved around a
//     rectangle leaves every total unchanged;
//  3. failing both, the smallest entry on its lines, or anywhere, and
//     another round.
//
// Every round withholds at least one more entry, so it ends.
func (g *grid) protect(rule Rule) error {
	for {
		pinned, err := g.firstPinned(rule)
		if err != nil || pinned < 0 {
			return err
		}
		frees := func(entries ...int) (bool, error) {
			for _, e := range entries {
				g.mark[e] = withheld
			}
			defer func() {
				for _, e := range entries {
					g.mark[e] = shown
				}
			}()
			f, err := g.program(rule)
			if err != nil {
				return false, err
			}
			iv, err := f.rangeOf(pinned)
			return !iv.single(), err
		}
		var chosen []int
		candidates := g.candidates(rule, pinned)
		for _, c := range candidates {
			ok, err := frees(c)
			if err != nil {
				return err
			}
			if ok {
				chosen = []int{c}
				break
			}
		}
		if chosen == nil {
			for _, rect := range g.rectangles(rule, pinned) {
				ok, err := frees(rect...)
				if err != nil {
					return err
				}
				if ok {
					chosen = rect
					break
				}
			}
		}
		if chosen == nil && len(candidates) > 0 {
			chosen = candidates[:1]
		}
		if chosen == nil {
			if all := g.candidates(rule, -1); len(all) > 0 {
				chosen = all[:1]
			}
		}
		if chosen == nil {
			return fmt.Errorf("%w (%s)", ErrCannotProtect, g.describe(pinned))
		}
		for _, e := range chosen {
			g.mark[e] = withheld
		}
	}
}

// withholdable reports whether entry e may be withheld: published, and at
// least the threshold, since "x" says "the threshold or more".
func (g *grid) withholdable(rule Rule, e int) bool {
	return g.mark[e] == shown && g.value[e] >= rule.Threshold
}

// rectangles lists, cheapest first, the sets of published entries that
// would complete a rectangle through e with every corner suppressed.
func (g *grid) rectangles(rule Rule, e int) [][]int {
	i, j := e/g.c, e%g.c
	type rect struct {
		entries []int
		cost    int64
	}
	var out []rect
	for i2 := 0; i2 < g.r; i2++ {
		for j2 := 0; j2 < g.c; j2++ {
			if i2 == i || j2 == j {
				continue
			}
			var r rect
			ok := true
			for _, k := range []int{g.at(i, j2), g.at(i2, j), g.at(i2, j2)} {
				switch {
				case g.mark[k] != shown:
				case g.withholdable(rule, k):
					r.entries = append(r.entries, k)
					r.cost += g.value[k]
				default:
					ok = false
				}
			}
			if ok && len(r.entries) > 0 {
				out = append(out, r)
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].cost < out[b].cost })
	sets := make([][]int, len(out))
	for k, r := range out {
		sets[k] = r.entries
	}
	return sets
}

// firstPinned returns the first suppressed entry whose value the published
// table determines, or -1.
func (g *grid) firstPinned(rule Rule) (int, error) {
	f, err := g.program(rule)
	if err != nil {
		return 0, err
	}
	for _, e := range f.vars {
		iv, err := f.rangeOf(e)
		if err != nil {
			return 0, err
		}
		if iv.single() {
			return e, nil
		}
	}
	return -1, nil
}

// candidates lists the entries that may be withheld to protect entry e, on
// e's row and column (everywhere when e is -1), smallest first.
func (g *grid) candidates(rule Rule, e int) []int {
	var out []int
	for k := range g.mark {
		if !g.withholdable(rule, k) {
			continue
		}
		if e >= 0 && k/g.c != e/g.c && k%g.c != e%g.c {
			continue
		}
		out = append(out, k)
	}
	sort.SliceStable(out, func(a, b int) bool { return g.value[out[a]] < g.value[out[b]] })
	return out
}

// describe names an entry's position without its value.
func (g *grid) describe(e int) string {
	i, j := e/g.c, e%g.c
	row, col := "total", "total"
	if i < g.r-1 {
		row = g.names[0][i]
	}
	if j < g.c-1 {
		col = g.names[1][j]
	}
	return "the count at " + row + ", " + col
}
