package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dossier-org/dossier/internal/app"
)

// metrics is Dossier's own registry: request counts and latencies by route
// pattern (never by raw path, which would hold record IDs), the database
// pools, and the Go runtime.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(a *app.App) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dossier_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dossier_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route", "method"}),
	}
	m.registry.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for role, pool := range a.DB.Pools() {
		m.registry.MustRegister(collectors.NewDBStatsCollector(pool, string(a.DB.Dialect)+"_"+role))
	}
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// routeKey holds, in a request's context, where the access guard notes
// the pattern of the route it matched: the API and the web interface have
// muxes of their own, behind middleware that copies the request, so the
// outer request's Pattern names only their mount point.
type routeKey struct{}

// route notes the pattern of the route serving r (authz.Guard.Observe).
func (m *metrics) route(r *http.Request, pattern string) {
	if p, ok := r.Context().Value(routeKey{}).(*string); ok {
		*p = pattern
	}
}

func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := record(w)
		route := new(string)
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, route))
		next.ServeHTTP(rec, r)
		if *route == "" {
			*route = r.Pattern // set by the outer mux on this request
		}
		if *route == "" {
			*route = "unmatched"
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		m.requests.WithLabelValues(*route, r.Method, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(*route, r.Method).Observe(time.Since(start).Seconds())
	})
}
