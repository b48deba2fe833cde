package synth

import "math/bits"

// rng is a small deterministic random generator (SplitMix64). The
// generator owns its algorithm rather than relying on math/rand, whose
// sequences may change between Go releases: the same seed must give the
// same bytes on every toolchain and architecture. Only integer arithmetic is
// used for the same reason (the Go spec allows fused floating-point
// operations, which differ between architectures).
type rng struct{ state uint64 }

func newRNG(seed uint64, stream uint64) *rng {
	s := &rng{state: seed ^ (stream * 0x9E3779B97F4A7C15)}
	s.next() // decorrelate nearby seeds
	return s
}

func (s *rng) next() uint64 {
	s.state += 0x9E3779B97F4A7C15
	z := s.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// intn returns a number in [0, n).
func (s *rng) intn(n int) int {
	if n <= 0 {
		return 0
	}
	hi, _ := bits.Mul64(s.next(), uint64(n))
	return int(hi)
}

// between returns a number in [lo, hi].
func (s *rng) between(lo, hi int) int { return lo + s.intn(hi-lo+1) }

// percent reports true p times in a hundred.
func (s *rng) percent(p int) bool { return s.intn(100) < p }

// weighted picks from choices by integer weights.
type weighted[T any] struct {
	items []T
	cum   []uint64
}

func newWeighted[T any](pairs ...weight[T]) weighted[T] {
	w := weighted[T]{}
	var total uint64
	for _, p := range pairs {
		total += p.w
		w.items = append(w.items, p.v)
		w.cum = append(w.cum, total)
	}
	return w
}

type weight[T any] struct {
	v T
	w uint64
}

func opt[T any](v T, n uint64) weight[T] { return weight[T]{v, n} }

func (w weighted[T]) pick(s *rng) T {
	total := w.cum[len(w.cum)-1]
	hi, _ := bits.Mul64(s.next(), total)
	// first index whose cumulative weight exceeds the draw
	lo, up := 0, len(w.cum)-1
	for lo < up {
		mid := (lo + up) / 2
		if w.cum[mid] > hi {
			up = mid
		} else {
			lo = mid + 1
		}
	}
	return w.items[lo]
}

// zipf draws ranks 0..n-1 with weights proportional to 1/(rank+offset):
// a few words are everywhere, most are rare, as in real prose.
type zipf struct{ cum []uint64 }

func newZipf(n int, offset uint64) zipf {
	z := zipf{cum: make([]uint64, n)}
	var total uint64
	for r := range n {
		total += (1 << 40) / (uint64(r) + offset)
		z.cum[r] = total
	}
	return z
}

func (z zipf) draw(s *rng) int {
	hi, _ := bits.Mul64(s.next(), z.cum[len(z.cum)-1])
	lo, up := 0, len(z.cum)-1
	for lo < up {
		mid := (lo + up) / 2
		if z.cum[mid] > hi {
			up = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}
