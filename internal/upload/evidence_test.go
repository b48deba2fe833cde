package upload_test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/blob/blobtest"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/seal"
	"github.com/dossier-org/dossier/internal/survivor"
	"github.com/dossier-org/dossier/internal/upload"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// evidenceServer serves uploads that become evidence items of a real store
// (SQLite and the local blob directory), with an incident to link them to.
func evidenceServer(t *testing.T) (*server, *evidence.Store, *incident.Incident) {
	t.Helper()
	d := dbtest.SQLite(t)
	store := evidence.NewStore(d, blobtest.Local(t))
	ctx := record.WithActor(context.Background(), "test:seed")
	in := &incident.Incident{Title: "Market", Date: record.Date{Start: "2024-04-02"}, Acts: []incident.Act{{ViolationType: incident.Rape}}}
	if err := incident.NewStore(d).Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	ev := upload.Evidence{Store: store, Location: func(id string) string { return "/evidence/" + id }}
	return newServer(t, upload.Config{Finish: ev.Finish, Check: ev.Check}), store, in
}

func TestUploadBecomesEvidence(t *testing.T) {
	srv, store, in := evidenceServer(t)
	c := client{t, srv}
	file := randomBytes(t, 300_000)
	url, r := c.create(len(file), map[string]string{
		"filename": "market-0412.bin", "sha256": sha256Hex(file), "type": "video", "categories": "crime_base, linkage",
		"incident": in.ID, "act": in.Acts[0].ID, "description": "Footage of the market square",
		"captured_by": "W-17", "capture_date": "2024-04", "capture_place": "Bentiu", "capture_latitude": "9.23", "capture_longitude": "29.8"})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	half := len(file) / 2
	if r := c.patch(url, 0, file[:half]); r.status != http.StatusNoContent {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	r = c.patch(url, half, file[half:])
	if r.status != http.StatusNoContent {
		t.Fatalf("final PATCH: %d %s", r.status, r.body)
	}
	loc := r.header.Get(upload.LocationHeader)
	id, ok := strings.CutPrefix(loc, "/evidence/")
	if !ok {
		t.Fatalf("location %q", loc)
	}
	it, err := store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if it.Blob.SHA256 != sha256Hex(file) || it.Blob.Size != int64(len(file)) || it.Filename != "market-0412.bin" ||
		it.Type != evidence.Video || len(it.Categories) != 2 || it.CreatedBy != "web" {
		t.Errorf("stored %+v", it)
	}
	if len(it.Links) != 2 || it.Links[0] != (evidence.Link{Kind: evidence.LinkIncident, ID: in.ID}) ||
		it.Links[1] != (evidence.Link{Kind: evidence.LinkAct, ID: in.Acts[0].ID}) {
		t.Errorf("links %+v", it.Links)
	}
	c0 := it.Capture
	if c0.By != "W-17" || c0.Date.Precision != record.DateMonth || c0.Date.Start != "2024-04-01" || c0.Date.End != "2024-04-30" ||
		c0.Latitude == nil || *c0.Latitude != 9.23 || c0.Place != "Bentiu" {
		t.Errorf("capture %+v", c0)
	}
	events, err := store.Custody(context.Background(), id)
	if err != nil || len(events) != 1 || events[0].Kind != evidence.Received || events[0].SHA256 != sha256Hex(file) || events[0].By != "web" {
		t.Errorf("custody %+v, %v", events, err)
	}
}

func TestEvidenceUploadRefusals(t *testing.T) {
	srv, store, in := evidenceServer(t)
	c := client{t, srv}

	// Refused at creation, before a byte is sent.
	tests := []struct {
		name string
		meta map[string]string
		says string
	}{
		{"unknown incident", map[string]string{"incident": "0190e5c2-7a4e-7cc1-8f3b-1b2c3d4e5f60"}, "links[0].id: no incident has ID 0190e5c2-7a4e-7cc1-8f3b-1b2c3d4e5f60"},
		{"unknown type", map[string]string{"type": "selfie"}, "type: "},
		{"bad instant", map[string]string{"capture_at": "yesterday"}, `capture_at: "yesterday" is not a date and time`},
		{"open-source capture without its time", map[string]string{"type": "open_source_capture", "url": "https://example.org/post/1"},
			"open_source.captured_at: give the date and time of the capture"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.meta["filename"] = "a.jpg"
			_, r := c.create(10, tt.meta)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tt.says) {
				t.Errorf("answered %d %q, want 422 and %q", r.status, r.body, tt.says)
			}
		})
	}

	// A file that does not hash to what the client said is refused with
	// the tus checksum status, and nothing is stored.
	file := randomBytes(t, 50_000)
	wrong := sha256Hex(file[1:])
	url, r := c.create(len(file), map[string]string{"filename": "clip.mp4", "sha256": wrong, "incident": in.ID})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	r = c.patch(url, 0, file)
	if r.status != upload.StatusChecksumMismatch || !strings.Contains(r.body, "does not match the SHA-256") {
		t.Errorf("mismatch answered %d %q", r.status, r.body)
	}
	page, err := store.List(context.Background(), evidence.Filter{})
	if err != nil || page.Total != 0 {
		t.Errorf("a mismatched upload was stored: %d items, %v", page.Total, err)
	}
	if left := srv.leftovers(t); len(left) != 0 {
		t.Errorf("left %v", left)
	}
	if _, r := c.head(url); r.status != http.StatusNotFound {
		t.Errorf("HEAD after a mismatch: %d", r.status)
	}
}

// An upload names the survivor its file identifies: the item is tied to
// them and its file sealed with their key; an unknown survivor is refused
// before a byte is sent.
func TestUploadForASurvivor(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := record.WithActor(context.Background(), "test:seed")
	sealer, err := seal.Open(ctx, d, "", seal.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	store := evidence.NewStore(d, blob.NewSealedStore(blobtest.LocalBackend(t), sealer))
	in := &incident.Incident{Title: "Market", Date: record.Date{Start: "2024-04-02"}}
	if err := incident.NewStore(d).Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	sv := &survivor.Survivor{Code: "SYN-0031", Synthetic: true}
	if err := survivor.NewStore(d, sealer).Create(ctx, survivor.Administrator(ctx), sv, survivor.Identity{}); err != nil {
		t.Fatal(err)
	}
	ev := upload.Evidence{Store: store, Location: func(id string) string { return "/evidence/" + id }}
	c := client{t, newServer(t, upload.Config{Finish: ev.Finish, Check: ev.Check})}

	_, r := c.create(10, map[string]string{"filename": "a.m4a", "incident": in.ID, "survivor": "0190e5c2-7a4e-7cc1-8f3b-1b2c3d4e5f60"})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "survivor_id: no survivor has this ID") {
		t.Errorf("an unknown survivor: %d %q", r.status, r.body)
	}
	file := randomBytes(t, 70_000)
	url, r := c.create(len(file), map[string]string{"filename": "interview-1.m4a", "incident": in.ID, "survivor": sv.ID,
		"type": "survivor_testimony"})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	r = c.patch(url, 0, file)
	id, ok := strings.CutPrefix(r.header.Get(upload.LocationHeader), "/evidence/")
	if r.status != http.StatusNoContent || !ok {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	it, err := store.Get(ctx, id)
	if err != nil || it.SurvivorID != sv.ID {
		t.Fatalf("stored %+v, %v", it, err)
	}
	if _, err := sealer.OpenSubjectBlobKey(ctx, sv.ID); err != nil {
		t.Errorf("no file key was made for the survivor: %v", err)
	}
}
