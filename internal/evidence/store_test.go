package evidence_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/blob/blobtest"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
)

func TestMain(m *testing.M) {
	code := dbtest.Main(m)
	blobtest.Stop()
	os.Exit(code)
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func pngOf(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	img.Set(0, 0, color.White)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// world is an incident with one act to link evidence to.
type world struct {
	incident, act, other string
}

func newWorld(t *testing.T, ctx context.Context, d *db.DB) world {
	t.Helper()
	incidents := incident.NewStore(d)
	in := &incident.Incident{Title: "Attack on a village", Date: record.Date{Start: "2023-10-07"},
		Acts: []incident.Act{{ViolationType: incident.Rape}}}
	other := &incident.Incident{Title: "Another incident"}
	for _, x := range []*incident.Incident{in, other} {
		if err := incidents.Create(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	return world{incident: in.ID, act: in.Acts[0].ID, other: other.ID}
}

// forEach runs fn on every engine with every blob store, each pair fresh.
func forEach(t *testing.T, fn func(t *testing.T, ctx context.Context, d *db.DB, s *evidence.Store)) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"sqlite", dbtest.SQLite}, {"postgres", dbtest.Postgres}} {
		t.Run(engine.name, func(t *testing.T) {
			blobtest.ForEachStore(t, func(t *testing.T, blobs blob.Store) {
				d := engine.open(t)
				ctx := record.WithActor(context.Background(), "test:investigator")
				fn(t, ctx, d, evidence.NewStore(d, blobs))
			})
		})
	}
}

func TestIngest(t *testing.T) {
	forEach(t, func(t *testing.T, ctx context.Context, d *db.DB, s *evidence.Store) {
		w := newWorld(t, ctx, d)
		content := pngOf(t, 64, 48)
		at := time.Date(2023, 10, 7, 6, 31, 12, 123456789, time.FixedZone("IDT", 3*3600))
		it := &evidence.Item{Filename: `C:\Users\field\report.pdf`, Categories: []evidence.Category{evidence.CrimeBase, evidence.Linkage},
			Description: "Photograph of the room", Language: "EN",
			Capture: evidence.Capture{By: "W-12", At: &at, Place: "Kibbutz Be'eri", Device: "phone"},
			Links:   []evidence.Link{{Kind: evidence.LinkIncident, ID: w.incident}, {Kind: evidence.LinkAct, ID: w.act}}}
		res, err := s.Ingest(ctx, bytes.NewReader(content), strings.ToUpper(sum(content)), it)
		if err != nil {
			t.Fatal(err)
		}
		if res.BlobExisted || len(res.Duplicates) != 0 {
			t.Errorf("first ingest: %+v", res)
		}
		if it.Blob != (blob.Ref{SHA256: sum(content), Size: int64(len(content))}) {
			t.Errorf("blob %+v", it.Blob)
		}
		// The client called it a PDF; the bytes say otherwise.
		if it.MediaType != "image/png" || it.Type != evidence.Photo || it.Filename != "report.pdf" || it.Language != "en" {
			t.Errorf("sniffed %q as %q, file %q, language %q", it.MediaType, it.Type, it.Filename, it.Language)
		}
		if it.Capture.Date != (record.Date{Start: "2023-10-07", End: "2023-10-07", Precision: record.DateDay}) ||
			!it.Capture.At.Equal(at.Truncate(time.Microsecond)) || it.Capture.At.Location() != time.UTC {
			t.Errorf("capture %+v at %v", it.Capture.Date, it.Capture.At)
		}
		if it.Extracted == nil || it.Extracted.Width != 64 || it.Extracted.Height != 48 || it.Extracted.Error != "no embedded metadata" {
			t.Errorf("extracted %+v", it.Extracted)
		}
		if it.Thumbnail == nil {
			t.Fatal("no thumbnail")
		}
		obj, err := s.Blobs().Open(ctx, it.Thumbnail.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		thumb, err := jpeg.Decode(obj)
		obj.Close()
		if err != nil || thumb.Bounds().Dx() != 64 {
			t.Errorf("thumbnail: %v, %v", err, thumb)
		}

		got, err := s.Get(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := mustHash(t, got), mustHash(t, it); a != b {
			t.Errorf("the item reads back differently from how it was written:\n%+v\n%+v", got, it)
		}

		// The record and its custody event are in the audit log, vouching
		// for exactly what is stored.
		entries, err := audit.EntriesFor(ctx, d, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		events, err := s.Custody(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].Kind != evidence.Received || events[0].SHA256 != it.Blob.SHA256 ||
			events[0].HashSource != evidence.Computed || events[0].By != "test:investigator" {
			t.Fatalf("custody %+v", events)
		}
		var kinds []string
		for _, e := range entries {
			kinds = append(kinds, e.Kind+"/"+e.Action)
			switch e.Kind {
			case string(evidence.Kind):
				if e.ContentHash != mustHash(t, got) || e.Version != 1 {
					t.Errorf("record entry %+v", e)
				}
			case evidence.AuditKind:
				if h, _ := events[0].ContentHash(); e.ContentHash != h || e.Index != events[0].AuditIndex {
					t.Errorf("custody entry %+v for %+v", e, events[0])
				}
			}
		}
		if !slices.Equal(kinds, []string{"evidence/create", "custody/received"}) {
			t.Errorf("audit entries %v", kinds)
		}

		// Identical content: stored once, a new item, the first named.
		again := &evidence.Item{Type: evidence.Document, Links: []evidence.Link{{Kind: evidence.LinkIncident, ID: w.other}}}
		res, err = s.Ingest(ctx, bytes.NewReader(content), "", again)
		if err != nil {
			t.Fatal(err)
		}
		if !res.BlobExisted || !slices.Equal(res.Duplicates, []string{it.ID}) || again.ID == it.ID || again.Type != evidence.Document {
			t.Errorf("second ingest %+v, item %s type %s", res, again.ID, again.Type)
		}
		if !strings.HasPrefix(again.Filename, "evidence-"+it.Blob.SHA256[:12]) {
			t.Errorf("unnamed content called %q", again.Filename)
		}
	})
}

func mustHash(t *testing.T, v any) string {
	t.Helper()
	h, err := audit.HashJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestIngestRefusals(t *testing.T) {
	forEach(t, func(t *testing.T, ctx context.Context, d *db.DB, s *evidence.Store) {
		w := newWorld(t, ctx, d)
		content := []byte("%PDF-1.4 a medical report")
		wrong := sum([]byte("something else"))
		_, err := s.Ingest(ctx, bytes.NewReader(content), wrong, &evidence.Item{})
		if !errors.Is(err, blob.ErrHashMismatch) {
			t.Errorf("wrong hash: %v", err)
		}
		if errs, ok := record.AsErrors(err); !ok || errs.For("sha256") == nil || errs.For("sha256").Code != "hash_mismatch" {
			t.Errorf("wrong hash: %v", err)
		}
		if _, err := s.Blobs().Stat(ctx, sum(content)); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("content with the wrong hash was kept: %v", err)
		}

		missing := record.NewID()
		bad := &evidence.Item{Type: "rumour", Categories: []evidence.Category{"crime-base"}, Language: "not a language!",
			Capture: evidence.Capture{Latitude: new(float64)},
			Links: []evidence.Link{{Kind: evidence.LinkIncident, ID: w.incident}, {Kind: evidence.LinkIncident, ID: w.incident},
				{Kind: "claim", ID: "x"}}}
		errs, _ := record.AsErrors(mustFail(s.Ingest(ctx, bytes.NewReader(content), "abc", bad)))
		for _, f := range []string{"sha256", "type", "categories[0]", "language", "capture.latitude", "links[1].id",
			"links[2].kind", "links[2].id"} {
			if errs.For(f) == nil {
				t.Errorf("no error for %s: %v", f, errs)
			}
		}
		errs, _ = record.AsErrors(mustFail(s.Ingest(ctx, bytes.NewReader(content), "",
			&evidence.Item{Type: evidence.OpenSourceCapture, Links: []evidence.Link{{Kind: evidence.LinkAct, ID: missing}}})))
		if errs.For("open_source") == nil || errs.For("links[0].id") == nil || errs.For("links[0].id").Code != "not_found" {
			t.Errorf("errors %v", errs)
		}
		errs, _ = record.AsErrors(mustFail(s.Ingest(ctx, bytes.NewReader(content), "", &evidence.Item{
			Type: evidence.OpenSourceCapture, OpenSource: &evidence.OpenSource{URL: "ftp://x", Hash: "md5",
				HTMLSource: &blob.Ref{SHA256: wrong}}})))
		for _, f := range []string{"open_source.url", "open_source.captured_at", "open_source.hash", "open_source.html_source.sha256"} {
			if errs.For(f) == nil {
				t.Errorf("no error for %s: %v", f, errs)
			}
		}
		if _, err := s.Blobs().Stat(ctx, sum(content)); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("content of a refused item was stored: %v", err)
		}
		page, err := s.List(ctx, evidence.Filter{})
		if err != nil || page.Total != 0 {
			t.Errorf("items after refusals: %+v, %v", page, err)
		}
	})
}

func mustFail[T any](_ T, err error) error { return err }

func TestOpenSourceCapture(t *testing.T) {
	forEach(t, func(t *testing.T, ctx context.Context, d *db.DB, s *evidence.Store) {
		html := []byte("<!DOCTYPE html><html><body>post</body></html>")
		shot := pngOf(t, 10, 30)
		htmlRef, err := s.PutFile(ctx, "", bytes.NewReader(html), sum(html), "open_source.html_source")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutFile(ctx, "", bytes.NewReader(shot), sum(html), "open_source.full_page"); !errors.Is(err, blob.ErrHashMismatch) {
			t.Errorf("full page with the wrong hash: %v", err)
		}
		shotRef, err := s.PutFile(ctx, "", bytes.NewReader(shot), "", "open_source.full_page")
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
		it := &evidence.Item{Type: evidence.OpenSourceCapture, OpenSource: &evidence.OpenSource{
			URL: "https://t.me/channel/123", HTMLSource: &blob.Ref{SHA256: htmlRef.SHA256}, FullPage: &shotRef,
			CapturedAt: &at, Hash: "sha256:" + sum(shot), Tool: "Hunchly", ToolVersion: "2.4"}}
		if _, err := s.Ingest(ctx, strings.NewReader("video bytes"), "", it); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		o := got.OpenSource
		if o == nil || *o.HTMLSource != htmlRef || *o.FullPage != shotRef || !o.CapturedAt.Equal(at) || o.Tool != "Hunchly" {
			t.Errorf("open source %+v", o)
		}
		if m := o.Missing(); len(m) != 0 {
			t.Errorf("missing %v", m)
		}
		if m := (&evidence.OpenSource{URL: "https://x"}).Missing(); !slices.Equal(m, []string{"html_source", "full_page", "captured_at"}) {
			t.Errorf("missing %v", m)
		}
	})
}

func TestUpdateAndList(t *testing.T) {
	forEach(t, func(t *testing.T, ctx context.Context, d *db.DB, s *evidence.Store) {
		w := newWorld(t, ctx, d)
		a := &evidence.Item{Type: evidence.OtherType, Links: []evidence.Link{{Kind: evidence.LinkAct, ID: w.act}}}
		b := &evidence.Item{Categories: []evidence.Category{evidence.Contextual}, Links: []evidence.Link{{Kind: evidence.LinkIncident, ID: w.other}}}
		for i, it := range []*evidence.Item{a, b} {
			if _, err := s.Ingest(ctx, strings.NewReader("content "+string(rune('a'+i))), "", it); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			f    evidence.Filter
			want []string
		}{
			{evidence.Filter{}, []string{b.ID, a.ID}},
			{evidence.Filter{IncidentID: w.incident}, []string{a.ID}},
			{evidence.Filter{ActID: w.act}, []string{a.ID}},
			{evidence.Filter{IncidentID: w.other}, []string{b.ID}},
			{evidence.Filter{Category: evidence.Contextual}, []string{b.ID}},
			{evidence.Filter{Type: evidence.Document, Limit: 1}, []string{b.ID}},
			{evidence.Filter{Limit: 1, Offset: 1}, []string{a.ID}},
			{evidence.Filter{Type: evidence.Photo}, nil},
		} {
			page, err := s.List(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, it := range page.Items {
				ids = append(ids, it.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("%+v: %v, want %v", tc.f, ids, tc.want)
			}
		}
		if _, err := s.List(ctx, evidence.Filter{Type: "x", IncidentID: "y", Limit: 501}); err == nil {
			t.Error("bad filter accepted")
		}

		edit, _ := s.Get(ctx, a.ID)
		edit.Description = "Shows the insignia"
		edit.Type = evidence.PerpetratorMedia
		edit.Categories = []evidence.Category{evidence.Linkage}
		edit.Blob = blob.Ref{SHA256: sum([]byte("forged")), Size: 6}
		edit.MediaType = "image/png"
		edit.Links = append(edit.Links, evidence.Link{Kind: evidence.LinkIncident, ID: w.incident})
		if err := s.Update(ctx, edit); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Get(ctx, a.ID)
		if got.Version != 2 || got.Description != "Shows the insignia" || got.Blob != a.Blob || got.MediaType != a.MediaType ||
			len(got.Links) != 2 || got.Type != evidence.PerpetratorMedia {
			t.Errorf("after edit %+v", got)
		}
		stale, _ := s.Get(ctx, a.ID)
		stale.Version = 1
		if err := s.Update(ctx, stale); !errors.Is(err, db.ErrConflict) {
			t.Errorf("stale edit: %v", err)
		}
		revs, err := record.History(ctx, d, evidence.Kind, a.ID)
		if err != nil || len(revs) != 2 {
			t.Fatalf("history %v %v", revs, err)
		}
		changes, _ := record.Diff(revs[0].Snapshot, revs[1].Snapshot)
		var paths []string
		for _, c := range changes {
			paths = append(paths, c.Path)
		}
		if !slices.Contains(paths, "description") || !slices.Contains(paths, "type") || slices.Contains(paths, "blob.sha256") {
			t.Errorf("changes %v", paths)
		}
	})
}

// tampered serves other bytes than those stored under a hash, as a blob
// store whose files were changed behind Dossier's back would.
type tampered struct {
	blob.Store
	content []byte
}

type memObject struct {
	*bytes.Reader
	size int64
}

func (m memObject) Close() error { return nil }
func (m memObject) Size() int64  { return m.size }

func (t tampered) Open(ctx context.Context, sha string) (blob.Object, error) {
	return memObject{bytes.NewReader(t.content), int64(len(t.content))}, nil
}

func TestCustody(t *testing.T) {
	forEach(t, func(t *testing.T, ctx context.Context, d *db.DB, s *evidence.Store) {
		content := []byte("an interview recording")
		it := &evidence.Item{Type: evidence.SurvivorTestimony}
		if _, err := s.Ingest(ctx, bytes.NewReader(content), sum(content), it); err != nil {
			t.Fatal(err)
		}
		collected := time.Date(2023, 11, 2, 9, 0, 0, 0, time.UTC)
		if err := s.AddCustody(ctx, it.ID, &evidence.Event{Kind: evidence.Collected, By: "Investigator A", At: collected,
			Place: "Tel Aviv", Purpose: "interview", SHA256: strings.ToUpper(sum(content))}); err != nil {
			t.Fatal(err)
		}
		err := s.AddCustody(ctx, it.ID, &evidence.Event{Kind: evidence.Transferred, At: time.Now().Add(time.Hour), SHA256: "xyz"})
		errs, _ := record.AsErrors(err)
		for _, f := range []string{"by", "recipient", "at", "sha256"} {
			if errs.For(f) == nil {
				t.Errorf("no error for %s: %v", f, err)
			}
		}
		if err := s.AddCustody(ctx, record.NewID(), &evidence.Event{Kind: evidence.Copied, By: "x", At: collected}); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("custody of a missing item: %v", err)
		}
		if err := s.AddCustody(ctx, it.ID, &evidence.Event{Kind: evidence.Copied, By: "Expert B", At: collected.Add(48 * time.Hour),
			Recipient: "Lab", SHA256: sum([]byte("another file")), Notes: "=HYPERLINK(\"x\")"}); err != nil {
			t.Fatal(err)
		}

		var out bytes.Buffer
		ev, err := s.Export(ctx, it.ID, &out, evidence.Event{Purpose: "disclosure to the prosecutor"})
		if err != nil || !bytes.Equal(out.Bytes(), content) || ev.Kind != evidence.Exported || ev.SHA256 != sum(content) {
			t.Errorf("export: %v %+v", err, ev)
		}
		first, err := s.RecordRead(ctx, it.ID, evidence.Accessed, "", "", "bytes 0-10")
		if err != nil || first == nil || first.SHA256 != sum(content) {
			t.Errorf("partial read: %+v %v", first, err)
		}
		if again, err := s.RecordRead(ctx, it.ID, evidence.Accessed, "", "", "bytes 11-20"); err != nil || again != nil {
			t.Errorf("a second partial read within the window was recorded: %+v %v", again, err)
		}

		events, err := s.Custody(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []evidence.EventKind
		for _, e := range events {
			kinds = append(kinds, e.Kind)
		}
		// In the order things happened, not the order they were entered.
		want := []evidence.EventKind{evidence.Collected, evidence.Copied, evidence.Received, evidence.Exported, evidence.Accessed}
		if !slices.Equal(kinds, want) {
			t.Errorf("custody %v, want %v", kinds, want)
		}
		if events[0].HashSource != evidence.Reported || *events[0].Matches(it) != true || *events[1].Matches(it) != false {
			t.Errorf("hashes: %+v %+v", events[0], events[1])
		}

		// Append-only, whatever the caller.
		for _, q := range []string{`UPDATE custody_events SET performed_by = 'someone else'`, `DELETE FROM custody_events`} {
			err := d.Write(ctx, func(tx *db.Tx) error { _, err := tx.Exec(ctx, q); return err })
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v", q, err)
			}
		}

		report, err := s.CustodyReport(ctx, it.ID, "test:investigator")
		if err != nil {
			t.Fatal(err)
		}
		if !report.Altered() || len(report.Rows) != 5 || report.Rows[1].Verification != "reported by Expert B; DOES NOT MATCH the item's SHA-256" {
			t.Errorf("report rows %+v", report.Rows)
		}
		var csvOut bytes.Buffer
		if err := report.WriteCSV(&csvOut); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&csvOut).ReadAll()
		if err != nil || len(rows) != 6 {
			t.Fatalf("CSV %v %v", rows, err)
		}
		if rows[0][0] != "n" || rows[1][4] != "collected" || rows[1][1] != it.ID || rows[1][2] != sum(content) ||
			rows[1][11] != "true" || rows[2][11] != "false" || rows[2][12] != `'=HYPERLINK("x")` {
			t.Errorf("CSV rows %q", rows[:3])
		}
		var html bytes.Buffer
		if err := report.WriteHTML(&html); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Investigator A", "DOES NOT MATCH", sum(content), "Chain of custody", "&lt;"} {
			if want == "&lt;" {
				continue
			}
			if !strings.Contains(html.String(), want) {
				t.Errorf("the HTML report lacks %q", want)
			}
		}

		// Content changed behind Dossier's back: the export says so, and
		// the custody history records what was handed out.
		altered := evidence.NewStore(d, tampered{Store: s.Blobs(), content: []byte("an interview recordinG")})
		ev, err = altered.Export(ctx, it.ID, io.Discard, evidence.Event{Kind: evidence.Copied})
		if !errors.Is(err, blob.ErrHashMismatch) || ev == nil || ev.SHA256 == sum(content) || !strings.Contains(ev.Notes, "no longer matches") {
			t.Errorf("export of altered content: %v %+v", err, ev)
		}
	})
}
