package account

import (
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiterSet rate-limits login attempts per key (an account name or a
// client address). It lives in memory: a restart forgives, but the lock-out
// recorded in the database does not.
type limiterSet struct {
	mu    sync.Mutex
	limit rate.Limit
	burst int
	m     map[string]*rate.Limiter
}

// maxLimiters bounds the memory an attacker cycling through names or
// addresses can make the set hold.
const maxLimiters = 20000

func newLimiterSet(limit rate.Limit, burst int) *limiterSet {
	return &limiterSet{limit: limit, burst: burst, m: make(map[string]*rate.Limiter)}
}

// allow takes one attempt for key at now, or says how long to wait.
func (l *limiterSet) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.m[key]
	if !ok {
		if len(l.m) >= maxLimiters {
			l.prune(now)
		}
		lim = rate.NewLimiter(l.limit, l.burst)
		l.m[key] = lim
	}
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Minute
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// prune forgets limiters that have refilled, which are as good as new. If
// that is not enough the set starts afresh: memory matters more than
// keeping a flood's counters, and the lock-out in the database remains.
func (l *limiterSet) prune(now time.Time) {
	for k, lim := range l.m {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.m, k)
		}
	}
	if len(l.m) >= maxLimiters {
		clear(l.m)
	}
}

// clientKey groups client addresses: IPv6 clients by their /64, since one
// host usually holds a whole /64.
func clientKey(ip string) string {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		// Not an address (empty, or a proxy's label): limited as given.
		return "?" + ip
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}
