package upload_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/upload"
)

const base = "/uploads/"

// vault stands in for the evidence store: it takes a finished upload the
// way ingestion does, hashing the file as it copies it and refusing it when
// the hash differs from the one expected.
type vault struct {
	mu    sync.Mutex
	files map[string][]byte // location → content
	calls []upload.Info
	ctxs  []context.Context
	// fail, if set, is returned by the next Finish instead of storing.
	fail error
}

func (v *vault) finish(ctx context.Context, info upload.Info, path string) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls = append(v.calls, info)
	v.ctxs = append(v.ctxs, ctx)
	if err := v.fail; err != nil {
		v.fail = nil
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var buf bytes.Buffer
	sum := sha256.New()
	if _, err := io.Copy(io.MultiWriter(&buf, sum), f); err != nil {
		return "", err
	}
	got := hex.EncodeToString(sum.Sum(nil))
	if info.SHA256 != "" && got != info.SHA256 {
		return "", fmt.Errorf("store %s: %w", info.Filename, upload.ErrChecksumMismatch)
	}
	loc := "/evidence/" + got[:12]
	if v.files == nil {
		v.files = map[string][]byte{}
	}
	v.files[loc] = buf.Bytes()
	return loc, nil
}

type actorKey struct{}

// server serves a Handler under base, with a request context value set
// the way the web and the API set the actor, and reports closed connections.
type server struct {
	*httptest.Server
	h      *upload.Handler
	dir    string
	vault  *vault
	closed chan struct{}
}

func newServer(t *testing.T, cfg upload.Config) *server {
	t.Helper()
	s := &server{dir: t.TempDir(), vault: &vault{}, closed: make(chan struct{}, 16)}
	cfg.Dir, cfg.BasePath = s.dir, base
	if cfg.Finish == nil {
		cfg.Finish = s.vault.finish
	}
	h, err := upload.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.h = h
	mux := http.NewServeMux()
	mux.Handle(base, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := record.WithActor(context.WithValue(r.Context(), actorKey{}, "web"), "web")
		h.ServeHTTP(w, r.WithContext(ctx))
	}))
	s.Server = httptest.NewUnstartedServer(mux)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateClosed {
			s.closed <- struct{}{}
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// leftovers lists what the upload directory still holds.
func (s *server) leftovers(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// client speaks tus 1.0.0 with plain HTTP requests, as any client does.
type client struct {
	t   *testing.T
	srv *server
}

func encodeMetadata(meta map[string]string) string {
	var parts []string
	for k, v := range meta {
		parts = append(parts, k+" "+base64.StdEncoding.EncodeToString([]byte(v)))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (c client) do(method, url string, header map[string]string, body []byte) reply {
	c.t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.srv.Client().Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: string(b)}
}

// create starts an upload and returns its URL.
func (c client) create(size int, meta map[string]string) (string, reply) {
	c.t.Helper()
	r := c.do(http.MethodPost, c.srv.URL+base, map[string]string{
		"Upload-Length": strconv.Itoa(size), "Upload-Metadata": encodeMetadata(meta)}, nil)
	loc := r.header.Get("Location")
	if r.status == http.StatusCreated && !strings.HasPrefix(loc, c.srv.URL+base) {
		c.t.Fatalf("created at %q, not under %s", loc, base)
	}
	return loc, r
}

func (c client) patch(url string, offset int, chunk []byte) reply {
	c.t.Helper()
	return c.do(http.MethodPatch, url, map[string]string{
		"Upload-Offset": strconv.Itoa(offset), "Content-Type": "application/offset+octet-stream"}, chunk)
}

func (c client) head(url string) (int, reply) {
	c.t.Helper()
	r := c.do(http.MethodHead, url, nil, nil)
	off, _ := strconv.Atoi(r.header.Get("Upload-Offset"))
	return off, r
}

// dropPatch announces a PATCH of declared bytes, sends only sent, and drops
// the connection, as a lost network does; it returns once the server has
// closed its side.
func (c client) dropPatch(url string, offset, declared int, sent []byte) {
	c.t.Helper()
	conn, err := net.Dial("tcp", c.srv.Listener.Addr().String())
	if err != nil {
		c.t.Fatal(err)
	}
	path := strings.TrimPrefix(url, c.srv.URL)
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: %d\r\n"+
		"Content-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n\r\n",
		path, c.srv.Listener.Addr(), offset, declared)
	if _, err := conn.Write(sent); err != nil {
		c.t.Fatal(err)
	}
	conn.Close()
	select {
	case <-c.srv.closed:
	case <-time.After(10 * time.Second):
		c.t.Fatal("the server never noticed the dropped connection")
	}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestResumableUploadSurvivesADroppedConnection(t *testing.T) {
	srv := newServer(t, upload.Config{})
	c := client{t, srv}
	file := randomBytes(t, 3<<20+12345)
	url, r := c.create(len(file), map[string]string{
		"filename": "market.jpg", "filetype": "image/jpeg", "sha256": strings.ToUpper(sha256Hex(file)),
		"incident": "0190e5c2-7a4e-7cc1-8f3b-1b2c3d4e5f60", "type": "photo"})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}

	// Two chunks go through.
	const chunk = 512 << 10
	off := 0
	for range 2 {
		r := c.patch(url, off, file[off:off+chunk])
		if r.status != http.StatusNoContent {
			t.Fatalf("PATCH at %d: %d %s", off, r.status, r.body)
		}
		off += chunk
		if got := r.header.Get("Upload-Offset"); got != strconv.Itoa(off) {
			t.Fatalf("PATCH answered offset %s, want %d", got, off)
		}
	}

	// The third is cut off after 700 KiB of the 1 MiB it announced.
	const sent = 700 << 10
	c.dropPatch(url, off, 1<<20, file[off:off+sent])

	// The client asks where to resume: everything that arrived was kept.
	resume, r := c.head(url)
	if r.status != http.StatusOK {
		t.Fatalf("HEAD: %d", r.status)
	}
	if resume != off+sent {
		t.Fatalf("HEAD says resume at %d; %d bytes had arrived", resume, off+sent)
	}
	if got := r.header.Get("Upload-Length"); got != strconv.Itoa(len(file)) {
		t.Errorf("HEAD gives length %s, want %d", got, len(file))
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("HEAD Cache-Control = %q", got)
	}
	if len(srv.vault.calls) != 0 {
		t.Fatal("Finish ran before the upload was complete")
	}

	// A PATCH at a stale offset is refused, not appended.
	if r := c.patch(url, off, file[off:off+10]); r.status != http.StatusConflict {
		t.Errorf("PATCH at a stale offset: %d %s", r.status, r.body)
	}

	// The rest, in chunks; the last answer comes after Finish, with where
	// the file went.
	var last reply
	for off = resume; off < len(file); {
		end := min(off+chunk, len(file))
		last = c.patch(url, off, file[off:end])
		if last.status != http.StatusNoContent {
			t.Fatalf("PATCH at %d: %d %s", off, last.status, last.body)
		}
		off = end
	}
	want := "/evidence/" + sha256Hex(file)[:12]
	if got := last.header.Get(upload.LocationHeader); got != want {
		t.Fatalf("the final response names %q, want %q", got, want)
	}
	if !bytes.Equal(srv.vault.files[want], file) {
		t.Fatal("Finish was not given the file as sent")
	}
	if len(srv.vault.calls) != 1 {
		t.Fatalf("Finish ran %d times", len(srv.vault.calls))
	}
	info := srv.vault.calls[0]
	if info.Filename != "market.jpg" || info.MediaType != "image/jpeg" || info.SHA256 != sha256Hex(file) ||
		info.Size != int64(len(file)) || info.Metadata["incident"] != "0190e5c2-7a4e-7cc1-8f3b-1b2c3d4e5f60" ||
		info.Metadata["type"] != "photo" || !strings.HasSuffix(url, "/"+info.ID) {
		t.Errorf("Finish was given %+v", info)
	}
	if got := srv.vault.ctxs[0].Value(actorKey{}); got != "web" {
		t.Errorf("Finish's context lost the request's values: actor %v", got)
	}

	// Nothing of the upload is left but the note of where it went, and a
	// client that lost the final response learns it on resuming.
	if got := srv.leftovers(t); len(got) != 1 || got[0] != info.ID+".done" {
		t.Errorf("the upload directory holds %v", got)
	}
	resume, r = c.head(url)
	if r.status != http.StatusOK || resume != len(file) || r.header.Get(upload.LocationHeader) != want {
		t.Errorf("HEAD after finishing: %d offset %d location %q", r.status, resume, r.header.Get(upload.LocationHeader))
	}
	if len(srv.vault.calls) != 1 {
		t.Error("resuming a finished upload finished it again")
	}
}

func TestCreationWithTheWholeFile(t *testing.T) {
	srv := newServer(t, upload.Config{})
	c := client{t, srv}
	file := []byte("statement of witness W-17, page 1\n")
	r := c.do(http.MethodPost, srv.URL+base, map[string]string{
		"Upload-Length": strconv.Itoa(len(file)), "Upload-Metadata": encodeMetadata(map[string]string{"filename": "w17.txt"}),
		"Content-Type": "application/offset+octet-stream"}, file)
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if got, want := r.header.Get(upload.LocationHeader), "/evidence/"+sha256Hex(file)[:12]; got != want {
		t.Errorf("location %q, want %q", got, want)
	}
	if info := srv.vault.calls[0]; info.SHA256 != "" || info.MediaType != "" {
		t.Errorf("no hash nor type was given, Finish got %+v", info)
	}
}

func TestChecksumMismatchIsRefusedAndNothingKept(t *testing.T) {
	srv := newServer(t, upload.Config{})
	c := client{t, srv}
	file := randomBytes(t, 100_000)
	claimed := sha256Hex(append([]byte("x"), file...))
	url, r := c.create(len(file), map[string]string{"filename": "clip.mp4", "sha256": claimed})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	r = c.patch(url, 0, file)
	if r.status != upload.StatusChecksumMismatch {
		t.Fatalf("mismatched upload answered %d %s", r.status, r.body)
	}
	if !strings.Contains(r.body, "ERR_CHECKSUM_MISMATCH") || !strings.Contains(r.body, "SHA-256") {
		t.Errorf("the client is not told why: %q", r.body)
	}
	if r.header.Get(upload.LocationHeader) != "" {
		t.Error("a refused upload names a location")
	}
	if len(srv.vault.files) != 0 {
		t.Error("the vault kept a file that did not match")
	}
	if got := srv.leftovers(t); len(got) != 0 {
		t.Errorf("a refused upload left %v", got)
	}
	if _, r := c.head(url); r.status != http.StatusNotFound {
		t.Errorf("HEAD of a refused upload: %d", r.status)
	}
}

func TestFinishErrors(t *testing.T) {
	t.Run("refusal", func(t *testing.T) {
		srv := newServer(t, upload.Config{})
		c := client{t, srv}
		srv.vault.fail = fmt.Errorf("ingest: %w", &upload.Error{Status: http.StatusUnprocessableEntity, Field: "incident",
			Message: "no incident has this ID"})
		url, _ := c.create(5, map[string]string{"filename": "a.pdf"})
		r := c.patch(url, 0, []byte("%PDF-"))
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "incident: no incident has this ID") {
			t.Errorf("refusal answered %d %q", r.status, r.body)
		}
		if got := srv.leftovers(t); len(got) != 0 {
			t.Errorf("a refused upload left %v", got)
		}
	})
	t.Run("validation", func(t *testing.T) {
		srv := newServer(t, upload.Config{})
		c := client{t, srv}
		var errs record.Errors
		errs.Add("type", "invalid", "must be one of photo, video, audio")
		srv.vault.fail = errs
		url, _ := c.create(5, map[string]string{"filename": "a.pdf", "type": "selfie"})
		r := c.patch(url, 0, []byte("%PDF-"))
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "type: must be one of photo, video, audio") {
			t.Errorf("validation errors answered %d %q", r.status, r.body)
		}
	})
	t.Run("internal error, then a retry", func(t *testing.T) {
		srv := newServer(t, upload.Config{})
		c := client{t, srv}
		srv.vault.fail = errors.New("database is locked")
		file := []byte("%PDF-1.7 report")
		url, _ := c.create(len(file), map[string]string{"filename": "a.pdf"})
		r := c.patch(url, 0, file)
		if r.status != http.StatusInternalServerError {
			t.Fatalf("internal error answered %d %q", r.status, r.body)
		}
		if strings.Contains(r.body, "database") {
			t.Errorf("the client is shown the internal cause: %q", r.body)
		}
		// The bytes are kept: the client's retry (a HEAD) finishes the upload.
		off, r := c.head(url)
		if r.status != http.StatusOK || off != len(file) || r.header.Get(upload.LocationHeader) == "" {
			t.Fatalf("retry: %d offset %d location %q", r.status, off, r.header.Get(upload.LocationHeader))
		}
		if !bytes.Equal(srv.vault.files[r.header.Get(upload.LocationHeader)], file) {
			t.Error("the retry did not store the file")
		}
	})
}

func TestMetadataIsCheckedAtCreation(t *testing.T) {
	check := func(_ context.Context, info upload.Info) error {
		if info.Metadata["incident"] == "missing" {
			return &upload.Error{Field: "incident", Message: "no incident has this ID"}
		}
		return nil
	}
	srv := newServer(t, upload.Config{Check: check, MaxSize: 1 << 20})
	c := client{t, srv}
	tests := []struct {
		name   string
		size   int
		meta   map[string]string
		status int
		says   string
	}{
		{"no file name", 10, map[string]string{"filetype": "image/png"}, 400, "filename: is required"},
		{"a path", 10, map[string]string{"filename": "../../etc/passwd"}, 400, "filename: must be a file's name"},
		{"a control character", 10, map[string]string{"filename": "a\nb.jpg"}, 400, "filename: must not hold control characters"},
		{"a short hash", 10, map[string]string{"filename": "a.jpg", "sha256": "abc123"}, 400, "sha256: must be a SHA-256 digest"},
		{"not a media type", 10, map[string]string{"filename": "a.jpg", "filetype": "image jpeg"}, 400, "filetype: must be a media type"},
		{"not UTF-8", 10, map[string]string{"filename": "a.jpg", "description": "\xff\xfe"}, 400, "description: must be UTF-8 text"},
		{"refused by Check", 10, map[string]string{"filename": "a.jpg", "incident": "missing"}, 422, "incident: no incident has this ID"},
		{"too large", 2 << 20, map[string]string{"filename": "a.jpg"}, 413, "maximum size exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, r := c.create(tt.size, tt.meta)
			if r.status != tt.status || !strings.Contains(r.body, tt.says) {
				t.Errorf("answered %d %q, want %d and %q", r.status, r.body, tt.status, tt.says)
			}
		})
	}
	if got := srv.leftovers(t); len(got) != 0 {
		t.Errorf("refused uploads left %v", got)
	}
}

func TestOnlyUploadIDsReachTheStore(t *testing.T) {
	srv := newServer(t, upload.Config{})
	c := client{t, srv}
	for _, p := range []string{"x", "0123456789abcdef0123456789ABCDEF", "0123456789abcdef0123456789abcdef/extra", "%2e%2e%2fetc"} {
		if _, r := c.head(srv.URL + base + p); r.status != http.StatusNotFound {
			t.Errorf("HEAD %s: %d", p, r.status)
		}
	}
	if r := c.do(http.MethodGet, srv.URL+base+"0123456789abcdef0123456789abcdef", nil, nil); r.status == http.StatusOK {
		t.Error("uploads can be downloaded back")
	}
}

func TestSweepRemovesAbandonedUploads(t *testing.T) {
	srv := newServer(t, upload.Config{Expiry: time.Hour})
	c := client{t, srv}
	stale, _ := c.create(100, map[string]string{"filename": "stale.jpg"})
	c.patch(stale, 0, make([]byte, 40))
	fresh, _ := c.create(100, map[string]string{"filename": "fresh.jpg"})
	c.patch(fresh, 0, make([]byte, 40))
	done, _ := c.create(3, map[string]string{"filename": "done.txt"})
	c.patch(done, 0, []byte("abc"))

	old := time.Now().Add(-2 * time.Hour)
	staleID, doneID := filepath.Base(stale), filepath.Base(done)
	for _, name := range []string{staleID, staleID + ".info", doneID + ".done"} {
		if err := os.Chtimes(filepath.Join(srv.dir, name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.h.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	freshID := filepath.Base(fresh)
	if got, want := strings.Join(srv.leftovers(t), " "), freshID+" "+freshID+".info"; got != want {
		t.Errorf("after the sweep: %s, want %s", got, want)
	}
	if _, r := c.head(stale); r.status != http.StatusNotFound {
		t.Errorf("HEAD of an expired upload: %d", r.status)
	}
	if off, r := c.head(fresh); r.status != http.StatusOK || off != 40 {
		t.Errorf("HEAD of a live upload: %d offset %d", r.status, off)
	}
}

func TestTerminate(t *testing.T) {
	srv := newServer(t, upload.Config{})
	c := client{t, srv}
	url, _ := c.create(100, map[string]string{"filename": "a.jpg"})
	c.patch(url, 0, make([]byte, 10))
	if r := c.do(http.MethodDelete, url, nil, nil); r.status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	if got := srv.leftovers(t); len(got) != 0 {
		t.Errorf("a cancelled upload left %v", got)
	}
}

func TestConfigIsChecked(t *testing.T) {
	finish := func(context.Context, upload.Info, string) (string, error) { return "", nil }
	for _, cfg := range []upload.Config{
		{BasePath: "/u/", Finish: finish},
		{Dir: t.TempDir(), BasePath: "/u", Finish: finish},
		{Dir: t.TempDir(), BasePath: "/u/"},
	} {
		if _, err := upload.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}
