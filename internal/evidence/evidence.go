// Package evidence holds the evidence vault: evidence items — files of any
// size held by their SHA-256 in a blob store — with what people assert about
// them (type, International Protocol categories, capture details, the
// Berkeley Protocol minimum for open-source captures, links to incidents and
// acts), what Dossier extracted from the files themselves (kept apart and
// never trusted blindly), thumbnails, and the chain of custody of each item:
// an append-only list of custody events, each also written to the audit log.
package evidence

import (
	"math"
	"mime"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/language"

	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/record"
)

// Kind is the record kind of evidence items in the revision history and the
// audit log.
const Kind record.Kind = "evidence"

// Type is what an evidence item is. Values combine the International
// Protocol's sources of evidence, the Berkeley Protocol's digital items and
// HURIDOCS types of source material.
type Type string

const (
	SurvivorTestimony   Type = "survivor_testimony"
	EyewitnessTestimony Type = "eyewitness_testimony"
	MedicalForensic     Type = "medical_forensic_record"
	Photo               Type = "photo"
	Video               Type = "video"
	Audio               Type = "audio"
	Document            Type = "document"
	OpenSourceCapture   Type = "open_source_capture"
	SatelliteImagery    Type = "satellite_imagery"
	PerpetratorMedia    Type = "perpetrator_media"
	OfficialStatement   Type = "official_statement"
	OtherType           Type = "other"
)

// Types lists every type, in the order forms offer them.
var Types = []Type{SurvivorTestimony, EyewitnessTestimony, MedicalForensic, Photo, Video, Audio, Document,
	OpenSourceCapture, SatelliteImagery, PerpetratorMedia, OfficialStatement, OtherType}

var typeLabels = map[Type]string{
	SurvivorTestimony:   "Survivor testimony",
	EyewitnessTestimony: "Eyewitness testimony",
	MedicalForensic:     "Medical or forensic record",
	Photo:               "Photograph",
	Video:               "Video",
	Audio:               "Audio recording",
	Document:            "Document",
	OpenSourceCapture:   "Open-source capture",
	SatelliteImagery:    "Satellite imagery",
	PerpetratorMedia:    "Perpetrator's own media",
	OfficialStatement:   "Official statement",
	OtherType:           "Other",
}

// Label is the type's English name.
func (t Type) Label() string {
	if l, ok := typeLabels[t]; ok {
		return l
	}
	return string(t)
}

// TypeOf guesses an item's type from its media type, for items added
// without one: a person can always correct it.
func TypeOf(mediaType string) Type {
	major, _, _ := strings.Cut(mediaType, "/")
	switch {
	case major == "image":
		return Photo
	case major == "video":
		return Video
	case major == "audio":
		return Audio
	case major == "text", mediaType == "application/pdf", strings.Contains(mediaType, "document"),
		strings.Contains(mediaType, "msword"), strings.Contains(mediaType, "opendocument"):
		return Document
	}
	return OtherType
}

// Category is one of the International Protocol's three categories of
// evidence: what happened (crime-base), in what context (contextual), and
// how the alleged perpetrator is responsible (linkage). One item may serve
// several: a video can show the crime and, by insignia, who committed it.
type Category string

const (
	CrimeBase  Category = "crime_base"
	Contextual Category = "contextual"
	Linkage    Category = "linkage"
)

// Categories lists every category.
var Categories = []Category{CrimeBase, Contextual, Linkage}

var categoryLabels = map[Category]string{
	CrimeBase:  "Crime-base evidence",
	Contextual: "Contextual evidence",
	Linkage:    "Linkage evidence",
}

// Label is the category's English name.
func (c Category) Label() string {
	if l, ok := categoryLabels[c]; ok {
		return l
	}
	return string(c)
}

// LinkKind is the kind of record an item is linked to.
type LinkKind string

const (
	LinkIncident LinkKind = "incident"
	LinkAct      LinkKind = "act"
)

// LinkKinds lists the kinds of record an item may be linked to.
var LinkKinds = []LinkKind{LinkIncident, LinkAct}

// linkTables says where each kind of linked record lives, so that a link to
// a record that does not exist is refused. A new kind is one line here.
var linkTables = map[LinkKind]string{LinkIncident: "incidents", LinkAct: "acts"}

// Link says that the item bears on another record.
type Link struct {
	Kind LinkKind `json:"kind"`
	ID   string   `json:"id"`
}

// Capture is what is asserted about how the item came to be: who captured
// or recorded it, when, where and with what. It is what people say, apart
// from what the file itself says (Extracted).
type Capture struct {
	By string `json:"by,omitempty"`
	// Date is when, with its uncertainty; At is the exact instant when it is
	// known (a capture tool's timestamp), and then fills Date.
	Date      record.Date `json:"date"`
	At        *time.Time  `json:"at,omitempty"`
	Place     string      `json:"place,omitempty"`
	Latitude  *float64    `json:"latitude,omitempty"`
	Longitude *float64    `json:"longitude,omitempty"`
	Device    string      `json:"device,omitempty"`
}

// OpenSource is how an item was collected from the Internet. The Berkeley
// Protocol (para. 155) sets as the minimum for court the URL, the page's
// HTML source and a full-page capture showing the date and time; the item
// (and each file here) is also identified by its SHA-256.
type OpenSource struct {
	URL        string     `json:"url"`
	HTMLSource *blob.Ref  `json:"html_source,omitempty"`
	FullPage   *blob.Ref  `json:"full_page,omitempty"`
	CapturedAt *time.Time `json:"captured_at,omitempty"`
	// Hash is the hash the collecting tool recorded, with its algorithm
	// (sha256:…, md5:…), kept as given; Dossier's own SHA-256 of every file
	// is in its blob reference.
	Hash        string `json:"hash,omitempty"`
	Tool        string `json:"tool,omitempty"`
	ToolVersion string `json:"tool_version,omitempty"`
}

// Missing lists what the capture lacks of the Berkeley Protocol minimum,
// by field name: the item can be kept without them, but should be known to
// lack them.
func (o *OpenSource) Missing() []string {
	var out []string
	if o.URL == "" {
		out = append(out, "url")
	}
	if o.HTMLSource == nil {
		out = append(out, "html_source")
	}
	if o.FullPage == nil {
		out = append(out, "full_page")
	}
	if o.CapturedAt == nil {
		out = append(out, "captured_at")
	}
	return out
}

// Item is one piece of evidence: a file and what is known of it.
type Item struct {
	record.Meta
	// Blob is the file's content hash and size; MediaType is sniffed from
	// its bytes on ingest, never taken from the client.
	Blob        blob.Ref    `json:"blob"`
	Filename    string      `json:"filename"`
	MediaType   string      `json:"media_type"`
	Type        Type        `json:"type"`
	Categories  []Category  `json:"categories"`
	Description string      `json:"description,omitempty"`
	Language    string      `json:"language,omitempty"`
	Capture     Capture     `json:"capture"`
	OpenSource  *OpenSource `json:"open_source,omitempty"`
	Links       []Link      `json:"links"`
	// Extracted and Thumbnail are derived from the file on ingest.
	Extracted *Extracted `json:"extracted,omitempty"`
	Thumbnail *blob.Ref  `json:"thumbnail,omitempty"`
	// SurvivorID names the survivor the file identifies — a recording of
	// their testimony, a medical or forensic report, a photograph of them —
	// or is empty. The file (with its thumbnail and capture files) is then
	// sealed with that survivor's own key, reading it needs the
	// see-identities grant, and erasing the survivor destroys it.
	SurvivorID string `json:"survivor_id,omitempty"`
	// ShreddedAt is when the file was destroyed with the survivor's key, at
	// their request (survivor erasure). The item stays — what is asserted,
	// the SHA-256 of the original, the chain of custody — but the file can
	// never be read again.
	ShreddedAt *time.Time `json:"shredded_at,omitempty"`
}

// Shredded reports whether the item's file was destroyed with its
// survivor's key.
func (it *Item) Shredded() bool { return it.ShreddedAt != nil }

// owner is whose key seals the item's files: its survivor's, or the
// deployment's ("").
func (it *Item) owner() string { return it.SurvivorID }

// files are the item's files held in the blob store, each once: the file,
// its thumbnail, and an open-source capture's HTML source and full page.
func (it *Item) files() []blob.Ref {
	var out []blob.Ref
	seen := map[string]bool{}
	add := func(r *blob.Ref) {
		if r != nil && r.SHA256 != "" && !seen[r.SHA256] {
			seen[r.SHA256] = true
			out = append(out, *r)
		}
	}
	add(&it.Blob)
	add(it.Thumbnail)
	if o := it.OpenSource; o != nil {
		add(o.HTMLSource)
		add(o.FullPage)
	}
	return out
}

// Normalize trims text, fills defaults and brings instants to the precision
// and zone they are stored in, so that the item reads back as written.
func (it *Item) Normalize() {
	it.Filename = cleanFilename(it.Filename)
	it.Description = strings.TrimSpace(it.Description)
	it.Language = strings.TrimSpace(it.Language)
	it.SurvivorID = strings.TrimSpace(it.SurvivorID)
	if tag, err := language.Parse(it.Language); err == nil && it.Language != "" {
		it.Language = tag.String()
	}
	if it.Categories == nil {
		it.Categories = []Category{}
	}
	seen := map[Category]bool{}
	cats := it.Categories[:0]
	for _, c := range it.Categories {
		c = Category(strings.TrimSpace(string(c)))
		if !seen[c] {
			seen[c] = true
			cats = append(cats, c)
		}
	}
	it.Categories = cats
	if it.Links == nil {
		it.Links = []Link{}
	}
	for i := range it.Links {
		it.Links[i].Kind = LinkKind(strings.TrimSpace(string(it.Links[i].Kind)))
		it.Links[i].ID = strings.TrimSpace(it.Links[i].ID)
	}
	c := &it.Capture
	c.By = strings.TrimSpace(c.By)
	c.Place = strings.TrimSpace(c.Place)
	c.Device = strings.TrimSpace(c.Device)
	c.At = storedInstant(c.At)
	if c.At != nil && c.Date.Start == "" && c.Date.End == "" && (c.Date.Precision == "" || c.Date.Precision == record.DateUnknown) {
		c.Date = record.Date{Start: c.At.Format("2006-01-02"), Precision: record.DateDay}
	}
	c.Date = c.Date.Normalize()
	if o := it.OpenSource; o != nil {
		o.URL = strings.TrimSpace(o.URL)
		o.Hash = strings.TrimSpace(o.Hash)
		o.Tool = strings.TrimSpace(o.Tool)
		o.ToolVersion = strings.TrimSpace(o.ToolVersion)
		o.CapturedAt = storedInstant(o.CapturedAt)
		for _, r := range []*blob.Ref{o.HTMLSource, o.FullPage} {
			if r != nil {
				r.SHA256 = strings.ToLower(strings.TrimSpace(r.SHA256))
			}
		}
	}
}

// storedInstant is t in UTC to the microsecond, as the database keeps it.
func storedInstant(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// cleanFilename keeps the last element of a path a client may send
// (C:\Users\…\photo.jpg) and drops control characters: the name is shown
// and offered on download, never used to reach a file.
func cleanFilename(name string) string {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	if name == "." || name == ".." {
		return ""
	}
	return strings.TrimSpace(name)
}

// DefaultFilename names content that came without a name, after its hash
// and media type.
func DefaultFilename(ref blob.Ref, mediaType string) string {
	name := "evidence-" + ref.SHA256[:min(12, len(ref.SHA256))]
	if exts, err := mime.ExtensionsByType(mediaType); err == nil && len(exts) > 0 {
		return name + exts[0]
	}
	return name
}

var (
	sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)
	toolHash  = regexp.MustCompile(`^[a-z0-9-]{2,20}:[0-9a-fA-F]{16,256}$`)
)

// ValidSHA256 reports whether s is a SHA-256 in lowercase hex.
func ValidSHA256(s string) bool { return sha256Hex.MatchString(s) }

// Validate reports every problem with what is asserted about the item,
// naming fields by their JSON path (capture.date.start, links[1].id). The
// server-set fields (blob, media type, extracted) are checked on ingest.
func (it *Item) Validate() error {
	var errs record.Errors
	errs.MaxLength("filename", it.Filename, 255)
	if it.Type != "" {
		record.OneOf(&errs, "type", it.Type, Types)
	}
	for i, c := range it.Categories {
		record.OneOf(&errs, "categories["+strconv.Itoa(i)+"]", c, Categories)
	}
	errs.MaxLength("description", it.Description, 50000)
	if it.SurvivorID != "" && !record.ValidID(it.SurvivorID) {
		errs.Add("survivor_id", "invalid_id", "%q is not a survivor's ID", it.SurvivorID)
	}
	if it.Language != "" {
		if _, err := language.Parse(it.Language); err != nil {
			errs.Add("language", "invalid_language", "%q is not a language tag (en, ar, fr …)", it.Language)
		}
	}
	errs = append(errs, it.Capture.validate()...)
	if it.Type == OpenSourceCapture && it.OpenSource == nil {
		errs.Add("open_source", "required", "an open-source capture needs at least its URL and when it was captured")
	}
	if it.OpenSource != nil {
		errs = append(errs, it.OpenSource.validate()...)
	}
	seen := map[Link]bool{}
	for i, l := range it.Links {
		p := "links[" + strconv.Itoa(i) + "]."
		record.OneOf(&errs, p+"kind", l.Kind, LinkKinds)
		if !record.ValidID(l.ID) {
			errs.Add(p+"id", "invalid_id", "%q is not a record ID", l.ID)
		}
		if seen[l] {
			errs.Add(p+"id", "duplicate", "is linked twice")
		}
		seen[l] = true
	}
	return errs.Err()
}

func (c Capture) validate() record.Errors {
	var errs record.Errors
	errs.MaxLength("capture.by", c.By, 300)
	errs = append(errs, c.Date.Validate("capture.date.")...)
	if c.At != nil && c.Date.Precision != record.DateUnknown && !c.Date.Overlaps(c.At.Format("2006-01-02"), c.At.Format("2006-01-02")) {
		errs.Add("capture.at", "outside_date", "falls outside the capture date")
	}
	errs.MaxLength("capture.place", c.Place, 300)
	if (c.Latitude == nil) != (c.Longitude == nil) {
		errs.Add("capture.latitude", "coordinates_incomplete", "give both latitude and longitude, or neither")
	}
	if c.Latitude != nil && (math.IsNaN(*c.Latitude) || *c.Latitude < -90 || *c.Latitude > 90) {
		errs.Add("capture.latitude", "out_of_range", "must be between -90 and 90")
	}
	if c.Longitude != nil && (math.IsNaN(*c.Longitude) || *c.Longitude < -180 || *c.Longitude > 180) {
		errs.Add("capture.longitude", "out_of_range", "must be between -180 and 180")
	}
	errs.MaxLength("capture.device", c.Device, 300)
	return errs
}

func (o *OpenSource) validate() record.Errors {
	var errs record.Errors
	errs.Required("open_source.url", o.URL)
	if o.URL != "" && !strings.HasPrefix(o.URL, "https://") && !strings.HasPrefix(o.URL, "http://") {
		errs.Add("open_source.url", "invalid_url", "must start with https:// or http://")
	}
	errs.MaxLength("open_source.url", o.URL, 8000)
	if o.CapturedAt == nil {
		errs.Add("open_source.captured_at", "required", "give the date and time of the capture")
	}
	for _, r := range []struct {
		field string
		ref   *blob.Ref
	}{{"open_source.html_source", o.HTMLSource}, {"open_source.full_page", o.FullPage}} {
		if r.ref != nil && !ValidSHA256(r.ref.SHA256) {
			errs.Add(r.field+".sha256", "invalid_sha256", "must be a SHA-256 in hexadecimal (64 characters)")
		}
	}
	if o.Hash != "" && !toolHash.MatchString(o.Hash) {
		errs.Add("open_source.hash", "invalid_hash", "must be the algorithm and the hexadecimal digest, such as sha256:9f86d0…")
	}
	errs.MaxLength("open_source.tool", o.Tool, 200)
	errs.MaxLength("open_source.tool_version", o.ToolVersion, 100)
	return errs
}
