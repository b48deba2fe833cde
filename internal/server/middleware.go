package server

import (
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// securityHeaders sets the headers every response needs. The policy allows
// no inline script or style, so an injected snippet cannot run. Served over
// https (itself or through a proxy), browsers are told to come back only
// over https (HSTS).
func securityHeaders(next http.Handler, https bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if https {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "+
			"font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// limitBodies caps request bodies: imports may be large, everything else is
// a record or a form.
func limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(maxRecordBody)
		switch p := r.URL.Path; {
		case isImport(p):
			limit = maxImportBody
		case isEvidenceUpload(p):
			// Evidence streams to the store in constant memory, whatever its size.
			limit = maxEvidenceBody
		}
		// The API reports an oversized body itself, as a problem document, when
		// the reader below stops; elsewhere a declared size over the limit is
		// refused before anything is read.
		if r.ContentLength > limit && !strings.HasPrefix(r.URL.Path, "/api/") {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// Deadlines for reading a request's body and writing its answer, per kind
// of route: a form or a record must arrive within minutes, while an import,
// an evidence upload or a download of a video may take hours over a slow
// link. (A client gets 10 seconds for its headers, whatever the route.)
const (
	readDeadline         = 5 * time.Minute
	writeDeadline        = 10 * time.Minute
	importDeadline       = 30 * time.Minute
	longTransferDeadline = 24 * time.Hour
)

// deadlines sets the request's read and write deadlines by what it does.
func deadlines(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		read, write := readDeadline, writeDeadline
		switch p := r.URL.Path; {
		case isImport(p):
			read, write = importDeadline, importDeadline
		case isEvidenceUpload(p):
			read, write = longTransferDeadline, longTransferDeadline
		case isLongDownload(p):
			write = longTransferDeadline
		}
		rc := http.NewResponseController(w)
		now := time.Now()
		// A writer without deadlines (in tests) serves without them.
		rc.SetReadDeadline(now.Add(read))
		rc.SetWriteDeadline(now.Add(write))
		next.ServeHTTP(w, r)
	})
}

func isImport(p string) bool {
	return p == "/api/v1/import" || p == "/transfer" || strings.HasPrefix(p, "/transfer/")
}

func isEvidenceUpload(p string) bool {
	return p == "/api/v1/evidence" || strings.HasPrefix(p, "/api/v1/uploads/") || strings.HasPrefix(p, "/uploads/")
}

// isLongDownload: whole-record exports, court bundles and evidence files.
func isLongDownload(p string) bool {
	return p == "/api/v1/export" || strings.HasPrefix(p, "/transfer/export") ||
		(strings.HasPrefix(p, "/api/v1/incidents/") && strings.HasSuffix(p, "/bundle")) ||
		((strings.HasPrefix(p, "/api/v1/evidence/") || strings.HasPrefix(p, "/evidence/")) && strings.HasSuffix(p, "/content"))
}

// recoverPanics turns a panic into a plain 500: the client learns nothing of
// the cause, the log records where it happened.
func recoverPanics(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flushing
// streamed exports).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func record(w http.ResponseWriter) *statusRecorder {
	if rec, ok := w.(*statusRecorder); ok {
		return rec
	}
	return &statusRecorder{ResponseWriter: w}
}

// accessLog logs each request's method, path, status and duration. It never
// logs query strings or bodies: a search may hold a name.
func accessLog(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := record(w)
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		logger.Info("request", "method", r.Method, "path", r.URL.Path, "status", status,
			"bytes", rec.bytes, "duration", time.Since(start).Round(time.Microsecond))
	})
}
