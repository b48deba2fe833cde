package upload

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/record"
)

// Evidence makes each upload an evidence item: its metadata says what is
// asserted about the file, it is vetted when the upload is created and
// ingested (hashed, checked against the client's SHA-256, stored) when the
// last byte has arrived. The web UI and the JSON API use the same keys:
//
//	type                  evidence type (photo, video, survivor_testimony …)
//	categories            crime_base, contextual, linkage; comma-separated
//	description, language
//	incident, act         IDs of the incidents and acts it bears on; comma-separated
//	captured_by, capture_place, capture_device
//	capture_date          YYYY, YYYY-MM or YYYY-MM-DD: the precision follows
//	capture_date_end      the end of a range, if the date is one
//	capture_date_precision  approximate, to say the date is not exact
//	capture_at            the exact instant, RFC 3339 (or YYYY-MM-DDTHH:MM, in UTC)
//	capture_latitude, capture_longitude
//	survivor              ID of the survivor the file identifies (their testimony,
//	                      a report or photograph of them): sealed with their key
//	url                   an open-source capture's URL; then also
//	url_captured_at (RFC 3339), url_hash (algorithm:hex), url_tool,
//	url_tool_version, html_source_sha256, full_page_sha256 (files uploaded before)
type Evidence struct {
	Store *evidence.Store
	// Location is where a new item is found: "/evidence/" + id for the web
	// UI, "/api/v1/evidence/" + id for the API.
	Location func(id string) string
}

// Check vets an upload's metadata as an evidence item before any byte is
// sent.
func (e Evidence) Check(ctx context.Context, info Info) error {
	it, err := ItemFrom(info)
	if err != nil {
		return err
	}
	return e.Store.Vet(ctx, info.SHA256, it)
}

// Finish ingests a complete upload as a new evidence item and returns its
// location.
func (e Evidence) Finish(ctx context.Context, info Info, path string) (string, error) {
	it, err := ItemFrom(info)
	if err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open upload %s: %w", info.ID, err)
	}
	defer f.Close()
	_, err = e.Store.Ingest(ctx, bufio.NewReaderSize(f, 1<<20), info.SHA256, it)
	if errors.Is(err, blob.ErrHashMismatch) {
		return "", fmt.Errorf("upload %s: %w", info.ID, ErrChecksumMismatch)
	}
	if err != nil {
		return "", err
	}
	return e.Location(it.ID), nil
}

// ItemFrom reads an evidence item from an upload's metadata. Problems are
// validation errors naming the metadata key.
func ItemFrom(info Info) (*evidence.Item, error) {
	m := info.Metadata
	var errs record.Errors
	it := &evidence.Item{
		Filename:    info.Filename,
		Type:        evidence.Type(strings.TrimSpace(m["type"])),
		Description: m["description"],
		Language:    m["language"],
		SurvivorID:  strings.TrimSpace(m["survivor"]),
	}
	for _, c := range list(m["categories"]) {
		it.Categories = append(it.Categories, evidence.Category(c))
	}
	for _, kind := range []evidence.LinkKind{evidence.LinkIncident, evidence.LinkAct} {
		for _, id := range list(m[string(kind)]) {
			it.Links = append(it.Links, evidence.Link{Kind: kind, ID: id})
		}
	}

	c := &it.Capture
	c.By, c.Place, c.Device = m["captured_by"], m["capture_place"], m["capture_device"]
	if start := strings.TrimSpace(m["capture_date"]); start != "" {
		c.Date = record.Date{Start: start, End: strings.TrimSpace(m["capture_date_end"]),
			Precision: record.DatePrecision(strings.TrimSpace(m["capture_date_precision"]))}
		if c.Date.Precision == "" {
			switch {
			case c.Date.End != "" && c.Date.End != start:
				c.Date.Precision = record.DateRange
			case len(start) == 4:
				c.Date.Precision = record.DateYear
			case len(start) == 7:
				c.Date.Precision = record.DateMonth
			default:
				c.Date.Precision = record.DateDay
			}
		}
	}
	c.At = instant(&errs, m, "capture_at")
	c.Latitude = coordinate(&errs, m, "capture_latitude")
	c.Longitude = coordinate(&errs, m, "capture_longitude")

	if url := strings.TrimSpace(m["url"]); url != "" {
		o := &evidence.OpenSource{URL: url, Hash: m["url_hash"], Tool: m["url_tool"], ToolVersion: m["url_tool_version"]}
		o.CapturedAt = instant(&errs, m, "url_captured_at")
		o.HTMLSource = ref(m["html_source_sha256"])
		o.FullPage = ref(m["full_page_sha256"])
		it.OpenSource = o
	}
	return it, errs.Err()
}

// list splits a comma-separated value, dropping blanks.
func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func instant(errs *record.Errors, m map[string]string, key string) *time.Time {
	s := strings.TrimSpace(m[key])
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// A form's datetime-local input gives no zone: the forms say UTC.
		t, err = time.Parse("2006-01-02T15:04", s)
	}
	if err != nil {
		errs.Add(key, "invalid_time", "%q is not a date and time (RFC 3339, such as 2024-04-02T14:05:00Z)", s)
		return nil
	}
	return &t
}

func coordinate(errs *record.Errors, m map[string]string, key string) *float64 {
	s := strings.TrimSpace(m[key])
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		errs.Add(key, "invalid_number", "%q is not a number", s)
		return nil
	}
	return &f
}

func ref(sha string) *blob.Ref {
	sha = strings.TrimSpace(sha)
	if sha == "" {
		return nil
	}
	return &blob.Ref{SHA256: sha}
}
