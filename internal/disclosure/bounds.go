package disclosure

import (
	"errors"
	"fmt"
)

// This file answers the question an attacker asks of a published table:
// given every count shown, every total shown, and what each marker says
// ("<5" is 1 to 4, "x" is 5 or more), what values can a suppressed count
// still have? It is a linear programme per suppressed count (minimise it,
// maximise it), solved exactly.
//
// The constraint matrix is that of a bipartite graph — every entry of the
// table lies on one row line and one column line — so it is totally
// unimodular: every basis has determinant ±1, every pivot is ±1, and the
// simplex method runs in integers with no rounding. Its optima are integers
// too, so the range over real numbers is the range over counts. A pivot
// other than ±1 would mean the matrix is not what this reasoning assumes;
// the solver then fails, and Publish refuses to publish.

// errNotUnimodular reports a broken assumption, never bad input.
var errNotUnimodular = errors.New("disclosure: internal error: a pivot other than ±1")

// interval is the values a suppressed count can still have.
type interval struct {
	lo, hi    int64
	unbounded bool // no upper limit
}

func (iv interval) single() bool { return !iv.unbounded && iv.lo == iv.hi }

// tableau is a simplex tableau in integers: rows of coefficients with the
// right-hand side last, and the basic column of each row.
type tableau struct {
	rows   [][]int64
	basis  []int
	ncol   int
	banned []bool // columns that may not enter the basis (artificials after phase 1)
}

func (t *tableau) clone() *tableau {
	c := &tableau{rows: make([][]int64, len(t.rows)), basis: append([]int(nil), t.basis...), ncol: t.ncol, banned: t.banned}
	for i, r := range t.rows {
		c.rows[i] = append([]int64(nil), r...)
	}
	return c
}

func (t *tableau) pivot(r, q int) error {
	p := t.rows[r][q]
	if p != 1 && p != -1 {
		return errNotUnimodular
	}
	if p == -1 {
		for j := range t.rows[r] {
			t.rows[r][j] = -t.rows[r][j]
		}
	}
	for i, row := range t.rows {
		if i == r || row[q] == 0 {
			continue
		}
		f := row[q]
		for j, v := range t.rows[r] {
			if v != 0 {
				row[j] -= f * v
			}
		}
	}
	t.basis[r] = q
	return nil
}

// maxPivots bounds the work on one programme; Bland's rule cannot cycle,
// so reaching it means something is wrong, and the caller fails closed.
const maxPivots = 200000

// minimise drives cost·x to its minimum from the current basic feasible
// solution, using Bland's rule. It returns the minimum, or unbounded.
func (t *tableau) minimise(cost []int64) (int64, bool, error) {
	reduced := make([]int64, t.ncol)
	copy(reduced, cost)
	for i, b := range t.basis {
		if cost[b] == 0 {
			continue
		}
		for j := 0; j < t.ncol; j++ {
			reduced[j] -= cost[b] * t.rows[i][j]
		}
	}
	isBasic := make([]bool, t.ncol)
	for _, b := range t.basis {
		isBasic[b] = true
	}
	for range maxPivots {
		q := -1
		for j := 0; j < t.ncol; j++ {
			if reduced[j] < 0 && !isBasic[j] && !t.banned[j] {
				q = j
				break
			}
		}
		if q < 0 {
			var value int64
			for i, b := range t.basis {
				value += cost[b] * t.rows[i][t.ncol]
			}
			return value, false, nil
		}
		r := -1
		for i, row := range t.rows {
			a := row[q]
			if a <= 0 {
				continue
			}
			if a != 1 {
				return 0, false, errNotUnimodular
			}
			if r < 0 || row[t.ncol] < t.rows[r][t.ncol] || (row[t.ncol] == t.rows[r][t.ncol] && t.basis[i] < t.basis[r]) {
				r = i
			}
		}
		if r < 0 {
			return 0, true, nil
		}
		isBasic[t.basis[r]] = false
		if err := t.pivot(r, q); err != nil {
			return 0, false, err
		}
		isBasic[q] = true
		f := reduced[q]
		for j := 0; j < t.ncol; j++ {
			reduced[j] -= f * t.rows[r][j]
		}
	}
	return 0, false, fmt.Errorf("disclosure: internal error: no optimum after %d pivots", maxPivots)
}

// feasibility is the programme of a grid's suppressed entries after phase
// one: a basic feasible solution, ready to optimise any objective.
type feasibility struct {
	t     *tableau
	vars  []int   // the grid entry of each variable column
	lo    []int64 // each variable is its entry's value minus lo
	index map[int]int
}

// program builds the constraints an attacker knows about g's suppressed
// entries and finds a feasible point. Each line (a row or column of the
// table with its total) says: the entries on it add up to its total.
func (g *grid) program(rule Rule) (*feasibility, error) {
	f := &feasibility{index: map[int]int{}}
	for e, m := range g.mark {
		if m != shown {
			f.index[e] = len(f.vars)
			f.vars = append(f.vars, e)
		}
	}
	n := len(f.vars)
	f.lo = make([]int64, n)
	var upper []int // variables with an upper bound
	for k, e := range f.vars {
		if g.mark[e] == small {
			f.lo[k] = rule.lowest()
			upper = append(upper, k)
		} else {
			f.lo[k] = rule.Threshold
		}
	}
	type equation struct {
		coef map[int]int64 // variable → ±1
		rhs  int64
	}
	var eqs []equation
	for _, line := range g.lines() {
		eq := equation{coef: map[int]int64{}}
		for _, term := range line {
			if k, ok := f.index[term.entry]; ok {
				eq.coef[k] = term.sign
				eq.rhs -= term.sign * f.lo[k]
			} else {
				eq.rhs -= term.sign * g.value[term.entry]
			}
		}
		if len(eq.coef) > 0 {
			eqs = append(eqs, eq)
		}
	}
	// Columns: variables, then a slack per upper bound, then an artificial
	// per equation.
	slack0, art0 := n, n+len(upper)
	ncol := art0 + len(eqs)
	t := &tableau{ncol: ncol, banned: make([]bool, ncol)}
	for i, eq := range eqs {
		row := make([]int64, ncol+1)
		sign := int64(1)
		if eq.rhs < 0 {
			sign = -1
		}
		for k, c := range eq.coef {
			row[k] = sign * c
		}
		row[art0+i] = 1
		row[ncol] = sign * eq.rhs
		t.rows = append(t.rows, row)
		t.basis = append(t.basis, art0+i)
	}
	for s, k := range upper {
		row := make([]int64, ncol+1)
		row[k] = 1
		row[slack0+s] = 1
		row[ncol] = rule.Threshold - 1 - f.lo[k]
		t.rows = append(t.rows, row)
		t.basis = append(t.basis, slack0+s)
	}
	cost := make([]int64, ncol)
	for j := art0; j < ncol; j++ {
		cost[j] = 1
	}
	infeasibility, _, err := t.minimise(cost)
	if err != nil {
		return nil, err
	}
	if infeasibility != 0 {
		// The true counts satisfy every constraint: this cannot happen.
		return nil, errors.New("disclosure: internal error: the published table contradicts its own counts")
	}
	// Drive the artificials (all at zero) out of the basis; a row where
	// none can leave is a redundant equation (the rows' totals and the
	// columns' totals add up to the same grand total) and goes.
	for i := 0; i < len(t.rows); i++ {
		if t.basis[i] < art0 {
			continue
		}
		q := -1
		for j := 0; j < art0; j++ {
			if t.rows[i][j] != 0 && !basic(t.basis, j) {
				q = j
				break
			}
		}
		if q < 0 {
			t.rows = append(t.rows[:i], t.rows[i+1:]...)
			t.basis = append(t.basis[:i], t.basis[i+1:]...)
			i--
			continue
		}
		if err := t.pivot(i, q); err != nil {
			return nil, err
		}
	}
	for j := art0; j < ncol; j++ {
		t.banned[j] = true
	}
	f.t = t
	return f, nil
}

func basic(basis []int, j int) bool {
	for _, b := range basis {
		if b == j {
			return true
		}
	}
	return false
}

// rangeOf is the interval of values entry e can have.
func (f *feasibility) rangeOf(e int) (interval, error) {
	k, ok := f.index[e]
	if !ok {
		return interval{}, fmt.Errorf("disclosure: internal error: entry %d is not suppressed", e)
	}
	cost := make([]int64, f.t.ncol)
	cost[k] = 1
	lo, _, err := f.t.clone().minimise(cost)
	if err != nil {
		return interval{}, err
	}
	cost[k] = -1
	negHi, unbounded, err := f.t.clone().minimise(cost)
	if err != nil {
		return interval{}, err
	}
	iv := interval{lo: f.lo[k] + lo, unbounded: unbounded}
	if !unbounded {
		iv.hi = f.lo[k] - negHi
	}
	return iv, nil
}
