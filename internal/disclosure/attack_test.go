package disclosure

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// The tests here attack published tables the way someone holding one
// would, knowing only what is published: the shown counts and totals, and
// what the markers say ("<5" is 1 to 4, or 0 to 4 when zeros are
// suppressed; "x" is 5 or more). They share no code with the suppression
// they attack.
//
//  1. Linear algebra: the rows and columns add up to their totals. Solve
//     that system exactly (rational Gaussian elimination); a suppressed
//     count that the solved system fixes is recovered.
//  2. Interval reasoning: from each line's total and the others' bounds,
//     narrow each suppressed count's bounds, again and again until nothing
//     moves; a count narrowed to one value is recovered.
//  3. Exact ranges, for tables small enough: eliminate the free variables
//     of the solved system by Fourier–Motzkin, leaving the exact interval
//     of each suppressed count. A one-value interval is recovered. This
//     also checks the solver Publish uses against an independent one.

// knowledge is what a published table tells an attacker.
type knowledge struct {
	r, c    int       // the table with its totals
	known   []int64   // shown counts
	unknown []bool    // suppressed
	lo, hi  []float64 // what each suppressed count's marker says; hi may be +Inf
	primary []bool    // "<5" rather than "x"
}

func learn(p *Published) *knowledge {
	R, C := len(p.Rows), len(p.Columns)
	k := &knowledge{r: R + 1, c: C + 1}
	n := (R + 1) * (C + 1)
	k.known, k.unknown = make([]int64, n), make([]bool, n)
	k.lo, k.hi, k.primary = make([]float64, n), make([]float64, n), make([]bool, n)
	set := func(e int, cell Cell) {
		if v, ok := cell.Value(); ok {
			k.known[e] = v
			return
		}
		k.unknown[e] = true
		if cell.Small() {
			k.primary[e] = true
			k.lo[e], k.hi[e] = 1, float64(p.Threshold-1)
			if p.ZerosSuppressed {
				k.lo[e] = 0
			}
		} else {
			k.lo[e], k.hi[e] = float64(p.Threshold), math.Inf(1)
		}
	}
	for i := range R {
		for j := range C {
			set(i*(C+1)+j, p.Cells[i][j])
		}
		set(i*(C+1)+C, p.RowTotals[i])
	}
	for j := range C {
		set(R*(C+1)+j, p.ColumnTotals[j])
	}
	set(R*(C+1)+C, p.Total)
	return k
}

// equations: for every line, the parts minus the total make zero. Each is
// returned as coefficients over the suppressed entries and a right-hand side.
func (k *knowledge) equations() (vars []int, rows [][]int64, rhs []int64) {
	index := map[int]int{}
	for e, u := range k.unknown {
		if u {
			index[e] = len(vars)
			vars = append(vars, e)
		}
	}
	add := func(parts []int, total int) {
		row := make([]int64, len(vars))
		var b int64
		any := false
		for _, e := range parts {
			if v, ok := index[e]; ok {
				row[v], any = 1, true
			} else {
				b -= k.known[e]
			}
		}
		if v, ok := index[total]; ok {
			row[v], any = -1, true
		} else {
			b += k.known[total]
		}
		if any {
			rows, rhs = append(rows, row), append(rhs, b)
		}
	}
	for i := 0; i < k.r; i++ {
		var parts []int
		for j := 0; j < k.c-1; j++ {
			parts = append(parts, i*k.c+j)
		}
		add(parts, i*k.c+k.c-1)
	}
	for j := 0; j < k.c; j++ {
		var parts []int
		for i := 0; i < k.r-1; i++ {
			parts = append(parts, i*k.c+j)
		}
		add(parts, (k.r-1)*k.c+j)
	}
	return vars, rows, rhs
}

// solved is the system in reduced row echelon form: each pivot variable as
// a constant minus a combination of the free variables.
type solved struct {
	vars  []int
	pivot map[int]int // variable → its row
	rows  [][]*big.Rat
	free  []int // free variables
}

func solve(k *knowledge) *solved {
	vars, a, b := k.equations()
	n := len(vars)
	m := make([][]*big.Rat, len(a))
	for i := range a {
		m[i] = make([]*big.Rat, n+1)
		for j := range n {
			m[i][j] = big.NewRat(a[i][j], 1)
		}
		m[i][n] = big.NewRat(b[i], 1)
	}
	s := &solved{vars: vars, pivot: map[int]int{}}
	r := 0
	for col := 0; col < n && r < len(m); col++ {
		p := -1
		for i := r; i < len(m); i++ {
			if m[i][col].Sign() != 0 {
				p = i
				break
			}
		}
		if p < 0 {
			continue
		}
		m[r], m[p] = m[p], m[r]
		inv := new(big.Rat).Inv(m[r][col])
		for j := range m[r] {
			m[r][j].Mul(m[r][j], inv)
		}
		for i := range m {
			if i == r || m[i][col].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Set(m[i][col])
			for j := range m[i] {
				m[i][j].Sub(m[i][j], new(big.Rat).Mul(f, m[r][j]))
			}
		}
		s.pivot[col] = r
		r++
	}
	s.rows = m[:r]
	for v := range n {
		if _, ok := s.pivot[v]; !ok {
			s.free = append(s.free, v)
		}
	}
	return s
}

// determined reports whether the linear system alone fixes variable v.
func (s *solved) determined(v int) bool {
	r, ok := s.pivot[v]
	if !ok {
		return false
	}
	for _, f := range s.free {
		if s.rows[r][f].Sign() != 0 {
			return false
		}
	}
	return true
}

// propagate narrows each suppressed count's interval from the lines'
// totals until nothing moves, and returns the intervals.
func propagate(k *knowledge) (lo, hi []float64) {
	vars, a, b := k.equations()
	lo, hi = make([]float64, len(vars)), make([]float64, len(vars))
	for v, e := range vars {
		lo[v], hi[v] = k.lo[e], k.hi[e]
	}
	for range 1000 {
		changed := false
		for i, row := range a {
			for v, c := range row {
				if c == 0 {
					continue
				}
				// c·x_v = b - Σ others; bound Σ others by their intervals.
				minRest, maxRest := 0.0, 0.0
				for o, co := range row {
					if o == v || co == 0 {
						continue
					}
					if co > 0 {
						minRest += lo[o]
						maxRest += hi[o]
					} else {
						minRest -= hi[o]
						maxRest -= lo[o]
					}
				}
				l, h := float64(b[i])-maxRest, float64(b[i])-minRest
				if c < 0 {
					l, h = -h, -l
				}
				if l > lo[v] {
					lo[v], changed = l, true
				}
				if h < hi[v] {
					hi[v], changed = h, true
				}
			}
		}
		if !changed {
			break
		}
	}
	return lo, hi
}

// inequality is Σ coef·x ≤ bound over the free variables (and, last, the
// objective t).
type inequality struct {
	coef  []*big.Rat
	bound *big.Rat
}

func (q inequality) key() string {
	var b strings.Builder
	for _, c := range q.coef {
		b.WriteString(c.RatString())
		b.WriteByte(',')
	}
	return b.String()
}

// normalise scales q so its first nonzero coefficient is ±1, to find
// duplicates.
func (q inequality) normalise() inequality {
	for _, c := range q.coef {
		if c.Sign() != 0 {
			s := new(big.Rat).Abs(c)
			s.Inv(s)
			out := inequality{coef: make([]*big.Rat, len(q.coef)), bound: new(big.Rat).Mul(q.bound, s)}
			for i, c := range q.coef {
				out.coef[i] = new(big.Rat).Mul(c, s)
			}
			return out
		}
	}
	return q
}

var errTooBig = errors.New("too many inequalities")

// exactRange returns the exact interval of variable v by Fourier–Motzkin
// elimination, or errTooBig.
func exactRange(k *knowledge, s *solved, v int) (lo, hi *big.Rat, unbounded bool, err error) {
	d := len(s.free)
	pos := map[int]int{}
	for i, f := range s.free {
		pos[f] = i
	}
	// expr returns x_u as constant + Σ coef·free.
	expr := func(u int) ([]*big.Rat, *big.Rat) {
		coef := make([]*big.Rat, d)
		for i := range coef {
			coef[i] = new(big.Rat)
		}
		if i, ok := pos[u]; ok {
			coef[i].SetInt64(1)
			return coef, new(big.Rat)
		}
		row := s.rows[s.pivot[u]]
		for i, f := range s.free {
			coef[i].Neg(row[f])
		}
		return coef, new(big.Rat).Set(row[len(row)-1])
	}
	// Variables of the inequalities: the free ones, then t.
	var ineqs []inequality
	addIneq := func(coef []*big.Rat, tCoef int64, bound *big.Rat) {
		c := make([]*big.Rat, d+1)
		for i := range d {
			c[i] = new(big.Rat).Set(coef[i])
		}
		c[d] = big.NewRat(tCoef, 1)
		ineqs = append(ineqs, inequality{coef: c, bound: new(big.Rat).Set(bound)})
	}
	for u, e := range s.vars {
		coef, cst := expr(u)
		// lo ≤ cst + coef·x  ⇔  -coef·x ≤ cst - lo
		neg := make([]*big.Rat, d)
		for i := range coef {
			neg[i] = new(big.Rat).Neg(coef[i])
		}
		addIneq(neg, 0, new(big.Rat).Sub(cst, ratOf(k.lo[e])))
		if !math.IsInf(k.hi[e], 1) {
			// cst + coef·x ≤ hi  ⇔  coef·x ≤ hi - cst
			addIneq(coef, 0, new(big.Rat).Sub(ratOf(k.hi[e]), cst))
		}
	}
	// t = cst + coef·x, as two inequalities.
	coef, cst := expr(v)
	neg := make([]*big.Rat, d)
	for i := range coef {
		neg[i] = new(big.Rat).Neg(coef[i])
	}
	addIneq(coef, -1, new(big.Rat).Neg(cst)) // coef·x - t ≤ -cst
	addIneq(neg, 1, cst)                     // t - coef·x ≤ cst

	for x := range d {
		var keep, up, down []inequality
		for _, q := range ineqs {
			switch q.coef[x].Sign() {
			case 0:
				keep = append(keep, q)
			case 1:
				up = append(up, q)
			default:
				down = append(down, q)
			}
		}
		if len(up)*len(down) > 20000 {
			return nil, nil, false, errTooBig
		}
		for _, p := range up {
			for _, q := range down {
				// p/p_x - q/q_x eliminates x (q_x < 0).
				a, b := new(big.Rat).Inv(p.coef[x]), new(big.Rat).Neg(new(big.Rat).Inv(q.coef[x]))
				c := make([]*big.Rat, d+1)
				for i := range c {
					c[i] = new(big.Rat).Add(new(big.Rat).Mul(a, p.coef[i]), new(big.Rat).Mul(b, q.coef[i]))
				}
				keep = append(keep, inequality{coef: c,
					bound: new(big.Rat).Add(new(big.Rat).Mul(a, p.bound), new(big.Rat).Mul(b, q.bound))})
			}
		}
		// Keep the tightest of each direction.
		best := map[string]inequality{}
		var order []string
		for _, q := range keep {
			q = q.normalise()
			key := q.key()
			if old, ok := best[key]; !ok {
				best[key] = q
				order = append(order, key)
			} else if q.bound.Cmp(old.bound) < 0 {
				best[key] = q
			}
		}
		ineqs = ineqs[:0]
		for _, key := range order {
			ineqs = append(ineqs, best[key])
		}
	}
	unbounded = true
	for _, q := range ineqs {
		a := q.coef[d]
		switch a.Sign() {
		case 0:
			if q.bound.Sign() < 0 {
				return nil, nil, false, errors.New("the published table is inconsistent")
			}
		case 1: // t ≤ bound/a
			h := new(big.Rat).Quo(q.bound, a)
			if unbounded || h.Cmp(hi) < 0 {
				hi, unbounded = h, false
			}
		default: // t ≥ bound/a
			l := new(big.Rat).Quo(q.bound, a)
			if lo == nil || l.Cmp(lo) > 0 {
				lo = l
			}
		}
	}
	return lo, hi, unbounded, nil
}

func ratOf(f float64) *big.Rat { return big.NewRat(int64(f), 1) }

// truth is the table with its totals, in the same order as knowledge.
func truth(counts [][]int64) []int64 {
	R, C := len(counts), len(counts[0])
	v := make([]int64, (R+1)*(C+1))
	for i, row := range counts {
		for j, n := range row {
			v[i*(C+1)+j] = n
			v[i*(C+1)+C] += n
			v[R*(C+1)+j] += n
			v[R*(C+1)+C] += n
		}
	}
	return v
}

// randomTable draws counts shaped like a report's: many small, some zero,
// some large.
func randomTable(rng *rand.Rand, maxR, maxC int) [][]int64 {
	return randomCounts(rng, 1+rng.IntN(maxR), 1+rng.IntN(maxC))
}

func randomCounts(rng *rand.Rand, R, C int) [][]int64 {
	counts := make([][]int64, R)
	for i := range counts {
		counts[i] = make([]int64, C)
		for j := range counts[i] {
			switch x := rng.Float64(); {
			case x < 0.15:
				counts[i][j] = 0
			case x < 0.5:
				counts[i][j] = 1 + rng.Int64N(4)
			case x < 0.85:
				counts[i][j] = 5 + rng.Int64N(20)
			default:
				counts[i][j] = 25 + rng.Int64N(200)
			}
		}
	}
	return counts
}

func randomRule(rng *rand.Rand) Rule {
	r := Rule{SuppressZeros: rng.IntN(4) == 0}
	switch rng.IntN(4) {
	case 0:
		r.Threshold = 3 + rng.Int64N(8)
	case 1:
		r.Threshold = 10
	}
	return r
}

// attackPublished runs every attack on p and reports what it recovers.
func attackPublished(t *testing.T, name string, counts [][]int64, rule Rule, p *Published, exact bool) (exactChecked bool) {
	t.Helper()
	real := truth(counts)
	k := learn(p)
	rule, _ = rule.withDefaults()

	// What is shown is true, and every small count is suppressed as small.
	for e, u := range k.unknown {
		switch {
		case !u && k.known[e] != real[e]:
			t.Fatalf("%s: entry %d shows %d, the count is %d", name, e, k.known[e], real[e])
		case rule.small(real[e]) && !k.primary[e]:
			t.Fatalf("%s: entry %d holds the small count %d but is not marked small", name, e, real[e])
		case u && (float64(real[e]) < k.lo[e] || float64(real[e]) > k.hi[e]):
			t.Fatalf("%s: entry %d's marker says [%v, %v], the count is %d", name, e, k.lo[e], k.hi[e], real[e])
		}
	}

	s := solve(k)
	for v, e := range s.vars {
		if s.determined(v) {
			t.Errorf("%s: linear attack recovers entry %d (count %d)\n%s", name, e, real[e], csvOf(t, p))
		}
	}

	lo, hi := propagate(k)
	for v, e := range s.vars {
		if float64(real[e]) < lo[v] || float64(real[e]) > hi[v] {
			t.Fatalf("%s: interval attack is unsound: entry %d in [%v, %v], count %d", name, e, lo[v], hi[v], real[e])
		}
		if lo[v] == hi[v] {
			t.Errorf("%s: interval attack recovers entry %d (count %d)\n%s", name, e, real[e], csvOf(t, p))
		}
	}

	if !exact || len(s.free) > 6 {
		return false
	}
	// The exact ranges, compared with Publish's own solver.
	g := &grid{r: k.r, c: k.c, value: real, mark: make([]mark, len(real))}
	for e, u := range k.unknown {
		switch {
		case k.primary[e]:
			g.mark[e] = small
		case u:
			g.mark[e] = withheld
		}
	}
	f, err := g.program(rule)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for v, e := range s.vars {
		l, h, unbounded, err := exactRange(k, s, v)
		if errors.Is(err, errTooBig) {
			return false
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !l.IsInt() || (!unbounded && !h.IsInt()) {
			t.Fatalf("%s: entry %d's exact range [%s, %s] has a fractional end: the matrix is not unimodular", name, e, l, h)
		}
		if !unbounded && l.Cmp(h) == 0 {
			t.Errorf("%s: exact attack recovers entry %d (count %d)\n%s", name, e, real[e], csvOf(t, p))
		}
		iv, err := f.rangeOf(e)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if iv.lo != l.Num().Int64() || iv.unbounded != unbounded || (!unbounded && iv.hi != h.Num().Int64()) {
			t.Errorf("%s: entry %d: Publish's solver says [%d, %d] unbounded=%v, Fourier–Motzkin [%s, %v] unbounded=%v",
				name, e, iv.lo, iv.hi, iv.unbounded, l, h, unbounded)
		}
	}
	return true
}

// TestAttackRandomTables publishes many random tables and attacks each.
func TestAttackRandomTables(t *testing.T) {
	rng := rand.New(rand.NewPCG(20260301, 7))
	n := 400
	if testing.Short() {
		n = 60
	}
	published, exact, refused := 0, 0, 0
	for i := range n {
		counts := randomTable(rng, 6, 6)
		rule := randomRule(rng)
		name := fmt.Sprintf("table %d %v rule %+v", i, counts, rule)
		p, err := build(t, counts).Publish(rule)
		if errors.Is(err, ErrCannotProtect) {
			refused++
			checkRefusal(t, name, counts, rule)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		published++
		if attackPublished(t, name, counts, rule, p, true) {
			exact++
		}
		if t.Failed() {
			return
		}
	}
	t.Logf("%d tables published and attacked (%d with exact ranges), %d refused as unprotectable", published, exact, refused)
	if published < n*3/4 || exact < n/4 {
		t.Errorf("too few tables tested: %d published, %d exactly", published, exact)
	}
}

// TestAttackLargerTables attacks bigger tables with the linear and interval
// attacks, which scale.
func TestAttackLargerTables(t *testing.T) {
	rng := rand.New(rand.NewPCG(20260302, 11))
	n := 40
	if testing.Short() {
		n = 8
	}
	published, suppressed := 0, 0
	for i := range n {
		counts := randomCounts(rng, 6+rng.IntN(7), 5+rng.IntN(6))
		rule := randomRule(rng)
		name := fmt.Sprintf("large table %d rule %+v", i, rule)
		p, err := build(t, counts).Publish(rule)
		if errors.Is(err, ErrCannotProtect) {
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		published++
		for _, row := range p.Cells {
			for _, c := range row {
				if c.Suppressed() {
					suppressed++
				}
			}
		}
		attackPublished(t, name, counts, rule, p, false)
	}
	t.Logf("%d of %d large tables published, %d cells suppressed in all", published, n, suppressed)
	if published < n*3/4 {
		t.Errorf("only %d of %d large tables published", published, n)
	}
}

// checkRefusal confirms that a refused table really cannot be protected:
// even with every count that may be withheld withheld, some suppressed
// count is recovered by the interval attack.
func checkRefusal(t *testing.T, name string, counts [][]int64, rule Rule) {
	t.Helper()
	rule, _ = rule.withDefaults()
	real := truth(counts)
	R, C := len(counts), len(counts[0])
	p := &Published{Rows: make([]string, R), Columns: make([]string, C), Cells: make([][]Cell, R),
		RowTotals: make([]Cell, R), ColumnTotals: make([]Cell, C), Threshold: rule.Threshold, ZerosSuppressed: rule.SuppressZeros}
	cell := func(e int) Cell {
		switch v := real[e]; {
		case rule.small(v):
			return Cell{text: "<"}
		case v >= rule.Threshold:
			return Cell{text: Withheld}
		default:
			return Cell{n: v}
		}
	}
	for i := range R {
		p.Cells[i] = make([]Cell, C)
		for j := range C {
			p.Cells[i][j] = cell(i*(C+1) + j)
		}
		p.RowTotals[i] = cell(i*(C+1) + C)
	}
	for j := range C {
		p.ColumnTotals[j] = cell(R*(C+1) + j)
	}
	p.Total = cell(R*(C+1) + C)
	lo, hi := propagate(learn(p))
	s := solve(learn(p))
	for v := range lo {
		if lo[v] == hi[v] || s.determined(v) {
			return
		}
	}
	// The interval attack may be too weak to show it; the exact one decides.
	k := learn(p)
	for v := range s.vars {
		l, h, unbounded, err := exactRange(k, s, v)
		if err != nil {
			t.Logf("%s: refused, and too large to confirm exactly", name)
			return
		}
		if !unbounded && l.Cmp(h) == 0 {
			return
		}
	}
	t.Errorf("%s: refused as unprotectable, but withholding everything protects it", name)
}

// The attacks themselves must be able to fail: on tables published with
// only primary suppression they recover counts.
func TestAttacksFindLeaks(t *testing.T) {
	counts := [][]int64{{20, 3, 15}, {8, 12, 9}, {30, 7, 6}}
	tab := build(t, counts)
	g := newGrid(tab)
	rule, _ := Rule{}.withDefaults()
	for e, v := range g.value {
		if rule.small(v) {
			g.mark[e] = small
		}
	}
	p := publishedFrom(tab, g, rule)
	k := learn(p)
	s := solve(k)
	if !s.determined(0) {
		t.Error("the linear attack does not recover a lone small cell")
	}
	lo, hi := propagate(k)
	if lo[0] != 3 || hi[0] != 3 {
		t.Errorf("the interval attack gives [%v, %v] for a lone small cell of 3", lo[0], hi[0])
	}

	// Two small cells in one row beside a shown 10 and total 12: linear
	// algebra cannot tell them apart, intervals can (1 + 1 = 2).
	tab = build(t, [][]int64{{10, 1, 1}, {30, 12, 40}})
	g = newGrid(tab)
	for _, e := range []int{g.at(0, 1), g.at(0, 2), g.at(1, 1), g.at(1, 2)} {
		g.mark[e] = withheld
	}
	g.mark[g.at(0, 1)], g.mark[g.at(0, 2)] = small, small
	k = learn(publishedFrom(tab, g, rule))
	s = solve(k)
	for v := range s.vars {
		if s.determined(v) {
			t.Errorf("linear attack recovers variable %d of a protected rectangle", v)
		}
	}
	lo, hi = propagate(k)
	if lo[0] != 1 || hi[0] != 1 {
		t.Errorf("the interval attack gives [%v, %v], want the pinned 1", lo[0], hi[0])
	}
	l, h, _, err := exactRange(k, s, 0)
	if err != nil || l.Cmp(big.NewRat(1, 1)) != 0 || h.Cmp(big.NewRat(1, 1)) != 0 {
		t.Errorf("exact attack gives [%v, %v], %v", l, h, err)
	}
}

// publishedFrom renders a grid's marks, for attacking hand-made suppressions.
func publishedFrom(tab *Table, g *grid, rule Rule) *Published {
	R, C := g.r-1, g.c-1
	cell := func(e int) Cell {
		switch g.mark[e] {
		case small:
			return Cell{text: "<"}
		case withheld:
			return Cell{text: Withheld}
		}
		return Cell{n: g.value[e]}
	}
	p := &Published{Rows: tab.rows.Values, Columns: tab.cols.Values, Cells: make([][]Cell, R), RowTotals: make([]Cell, R),
		ColumnTotals: make([]Cell, C), Total: cell(g.at(R, C)), Threshold: rule.Threshold, ZerosSuppressed: rule.SuppressZeros}
	for i := range R {
		p.Cells[i] = make([]Cell, C)
		for j := range C {
			p.Cells[i][j] = cell(g.at(i, j))
		}
		p.RowTotals[i] = cell(g.at(i, C))
	}
	for j := range C {
		p.ColumnTotals[j] = cell(g.at(R, j))
	}
	return p
}

// BenchmarkPublish measures the exact suppression on tables of report
// sizes with many small counts.
func BenchmarkPublish(b *testing.B) {
	for _, size := range []struct{ r, c int }{{5, 5}, {10, 10}, {20, 12}} {
		b.Run(fmt.Sprintf("%dx%d", size.r, size.c), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			tables := make([]*Table, 8)
			for i := range tables {
				tables[i] = build(b, randomCounts(rng, size.r, size.c))
			}
			for i := 0; b.Loop(); i++ {
				if _, err := tables[i%len(tables)].Publish(Rule{}); err != nil && !errors.Is(err, ErrCannotProtect) {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzPublish publishes tables drawn from the fuzzer's bytes and attacks
// them: nothing published may let a suppressed count be recovered.
func FuzzPublish(f *testing.F) {
	f.Add([]byte{2, 2, 0, 3, 40, 25, 31})
	f.Add([]byte{0, 3, 0, 10, 1, 1})
	f.Add([]byte{0, 3, 1, 1, 1, 1, 1})
	f.Add([]byte{3, 3, 2, 20, 3, 15, 8, 12, 9, 30, 7, 6, 1, 2, 0, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		R, C := 1+int(data[0])%4, 1+int(data[1])%4
		rule := Rule{SuppressZeros: data[2]&1 == 1}
		if data[2]&2 == 2 {
			rule.Threshold = 3 + int64(data[2]>>2)%8
		}
		counts := make([][]int64, R)
		for i := range counts {
			counts[i] = make([]int64, C)
			for j := range counts[i] {
				if k := 3 + i*C + j; k < len(data) {
					counts[i][j] = int64(data[k]) % 40
				}
			}
		}
		name := fmt.Sprintf("%v rule %+v", counts, rule)
		p, err := build(t, counts).Publish(rule)
		if errors.Is(err, ErrCannotProtect) {
			checkRefusal(t, name, counts, rule)
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		attackPublished(t, name, counts, rule, p, true)
	})
}
