// Package upload receives files of any size over the tus resumable upload
// protocol (https://tus.io/protocols/resumable-upload), served by tusd. A
// file is kept in a temporary directory while its bytes arrive, across as
// many requests and dropped connections as it takes; once complete, it is
// handed to Config.Finish, and only when Finish has taken it (hashed,
// checked and stored it) is the client told that the upload succeeded.
//
// Clients name the file and may give its SHA-256 in the upload's metadata
// (the Upload-Metadata header): "filename" (required), "filetype" (a media
// type), "sha256" (64 hex digits) and any other key, passed on to Finish.
package upload

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tus/tusd/v2/pkg/filelocker"
	"github.com/tus/tusd/v2/pkg/filestore"
	tusd "github.com/tus/tusd/v2/pkg/handler"
)

// LocationHeader carries, in the response that completes an upload (and in
// any later HEAD of it), where the stored file can be found: the location
// Finish returned.
const LocationHeader = "Dossier-Location"

// DefaultExpiry is how long an abandoned upload is kept, and a finished one
// remembered, when Config.Expiry is zero.
const DefaultExpiry = 24 * time.Hour

// Config configures a Handler.
type Config struct {
	// Dir holds uploads while they arrive (created if missing). It is a
	// working area, not a store: finished uploads leave it.
	Dir string
	// BasePath is the URL path the handler is mounted at, with its trailing
	// slash ("/api/v1/uploads/"); upload URLs are BasePath + ID.
	BasePath string
	// MaxSize caps an upload's length in bytes; 0 means no limit.
	MaxSize int64
	// Finish takes a complete upload, stored at path, and returns the
	// location of what it made of it. It runs before the client is answered,
	// with the request's context values but not its cancellation: a client
	// that goes away does not interrupt it. An error wrapping *Error (or a
	// record.Errors, or ErrChecksumMismatch) refuses the upload: the client
	// reads why and the file is removed. Any other error is reported as an
	// internal one and the file is kept, so that the client's retry finishes
	// it again.
	Finish func(ctx context.Context, info Info, path string) (location string, err error)
	// Check, if set, vets an upload's metadata when the upload is created,
	// so that a bad reference is refused before a byte is sent. Its errors
	// are treated like Finish's.
	Check func(ctx context.Context, info Info) error
	// Expiry is how long an upload that receives nothing more is kept, and
	// how long a finished upload's location is remembered for clients that
	// lost the final response; DefaultExpiry if zero.
	Expiry time.Duration
	// Logger receives warnings and errors; slog.Default() if nil. Nothing an
	// upload contains, or its metadata, is ever logged.
	Logger *slog.Logger
}

// Info describes an upload.
type Info struct {
	ID        string // the upload's ID, stable across the requests that send it
	Size      int64  // its length in bytes
	Filename  string // the file's name as the client gave it, without directories
	MediaType string // the media type the client declared ("filetype"); not to be trusted
	// SHA256 is the hash the client expects, lowercase hex, or "" if it gave
	// none. Finish must check the file against it.
	SHA256 string
	// Metadata is everything the client sent, the keys above included.
	Metadata map[string]string
}

// Handler serves the tus protocol under its base path. It is an
// http.Handler; mount it at Config.BasePath.
type Handler struct {
	cfg    Config
	tus    http.Handler
	files  filestore.FileStore
	locker filelocker.FileLocker
	log    *slog.Logger

	sweepMu   sync.Mutex
	lastSweep time.Time
}

// New makes a Handler, creating its directory and clearing it of expired
// uploads.
func New(cfg Config) (*Handler, error) {
	if cfg.Dir == "" {
		return nil, errors.New("upload: no directory for uploads")
	}
	if !strings.HasPrefix(cfg.BasePath, "/") || !strings.HasSuffix(cfg.BasePath, "/") {
		return nil, fmt.Errorf("upload: base path %q must begin and end with a slash", cfg.BasePath)
	}
	if cfg.Finish == nil {
		return nil, errors.New("upload: no Finish function")
	}
	if cfg.Expiry <= 0 {
		cfg.Expiry = DefaultExpiry
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("upload: create %s: %w", cfg.Dir, err)
	}
	h := &Handler{cfg: cfg, files: filestore.New(cfg.Dir), locker: filelocker.New(cfg.Dir), log: cfg.Logger}
	composer := tusd.NewStoreComposer()
	s := store{h: h}
	composer.UseCore(s)
	composer.UseTerminater(s)
	h.locker.UseIn(composer)
	t, err := tusd.NewHandler(tusd.Config{
		StoreComposer: composer,
		BasePath:      cfg.BasePath,
		MaxSize:       cfg.MaxSize,
		// Uploads are not for downloading back: what they become is served
		// from the evidence store, under access control and custody.
		DisableDownload: true,
		// Same-origin clients only; cross-origin requests are refused by
		// the protection the handler is mounted behind.
		Cors:                      &tusd.CorsConfig{Disable: true},
		Logger:                    tusLogger(cfg.Logger),
		PreUploadCreateCallback:   h.preCreate,
		PreFinishResponseCallback: h.preFinish,
	})
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	h.tus = http.StripPrefix(strings.TrimSuffix(cfg.BasePath, "/"), t)
	if err := h.Sweep(context.Background()); err != nil {
		return nil, err
	}
	return h, nil
}

type writerKey struct{}

// ServeHTTP serves one tus request: POST to the base path creates an
// upload; HEAD, PATCH and DELETE on BasePath+ID read, extend and cancel one.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, h.cfg.BasePath)
	if !ok || (rest != "" && !validID(rest)) {
		// Upload IDs become file names: nothing else reaches the store.
		http.NotFound(w, r)
		return
	}
	if r.Method == http.MethodPost && rest == "" {
		h.maybeSweep()
	}
	// Finish may take long on a large file: the hook lifts the response's
	// write deadline through the writer kept here.
	r = r.WithContext(context.WithValue(r.Context(), writerKey{}, w))
	h.tus.ServeHTTP(w, r)
}

// newID makes an upload ID: 128 random bits in hex.
func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func validID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// preCreate vets a new upload's metadata and gives it an ID.
func (h *Handler) preCreate(ev tusd.HookEvent) (tusd.HTTPResponse, tusd.FileInfoChanges, error) {
	fi := ev.Upload
	fi.ID = newID()
	if fi.SizeIsDeferred {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, h.refusal(&Error{Status: http.StatusBadRequest, Field: "Upload-Length",
			Message: "the upload's length must be given when it is created"})
	}
	info, err := infoFrom(fi)
	if err != nil {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, h.refusal(err)
	}
	if h.cfg.Check != nil {
		if err := h.cfg.Check(ev.Context, info); err != nil {
			return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, h.refusal(err)
		}
	}
	return tusd.HTTPResponse{}, tusd.FileInfoChanges{ID: fi.ID, MetaData: info.Metadata}, nil
}

// preFinish hands a complete upload to Finish before the client is answered.
func (h *Handler) preFinish(ev tusd.HookEvent) (tusd.HTTPResponse, error) {
	loc, err := h.finish(ev.Context, ev.Upload)
	if err != nil {
		return tusd.HTTPResponse{}, err
	}
	return tusd.HTTPResponse{Header: tusd.HTTPHeader{LocationHeader: loc}}, nil
}

// finish runs Finish on a complete upload; on success it remembers the
// location and removes the file, on refusal it removes the file.
func (h *Handler) finish(ctx context.Context, fi tusd.FileInfo) (string, error) {
	if w, ok := ctx.Value(writerKey{}).(http.ResponseWriter); ok {
		rc := http.NewResponseController(w)
		rc.SetWriteDeadline(time.Time{})
		defer rc.SetWriteDeadline(time.Now().Add(time.Minute))
	}
	ctx = context.WithoutCancel(ctx)
	info, err := infoFrom(fi)
	if err != nil {
		h.discard(ctx, fi.ID)
		return "", h.refusal(err)
	}
	path := fi.Storage["Path"]
	if path == "" {
		path = h.binPath(fi.ID)
	}
	loc, err := h.cfg.Finish(ctx, info, path)
	if err != nil {
		refusal := h.refusal(err)
		if refusal.HTTPResponse.StatusCode < 500 {
			h.discard(ctx, fi.ID)
		}
		return "", refusal
	}
	if err := h.remember(fi.ID, finished{Location: loc, Size: fi.Size}); err != nil {
		// The file is stored; only a lost response could not be answered
		// from memory. Say it worked.
		h.log.Warn("upload: could not note a finished upload", "upload", fi.ID, "err", err)
	}
	h.discard(ctx, fi.ID)
	return loc, nil
}

// discard removes an upload's files.
func (h *Handler) discard(ctx context.Context, id string) {
	up, err := h.files.GetUpload(ctx, id)
	if errors.Is(err, tusd.ErrNotFound) {
		return
	}
	if err == nil {
		err = h.files.AsTerminatableUpload(up).Terminate(ctx)
	}
	if err != nil {
		h.log.Error("upload: could not remove an upload", "upload", id, "err", err)
	}
}

func (h *Handler) binPath(id string) string  { return h.cfg.Dir + string(os.PathSeparator) + id }
func (h *Handler) donePath(id string) string { return h.binPath(id) + ".done" }
