package evidence

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// Store keeps evidence items: their content in a blob store, their records
// and chains of custody in the database.
type Store struct {
	db    *db.DB
	blobs blob.Store
	tools mediaTools
}

// NewStore returns a store keeping content in blobs. ffprobe and ffmpeg are
// used for audio and video when they are on the PATH.
func NewStore(d *db.DB, blobs blob.Store) *Store {
	return &Store{db: d, blobs: blobs, tools: findMediaTools()}
}

// Blobs is the blob store the content is kept in.
func (s *Store) Blobs() blob.Store { return s.blobs }

// Ingested tells what ingest found besides the new item.
type Ingested struct {
	// BlobExisted is true when the content was already held (by another
	// item, or left by an ingest that failed): it is stored once.
	BlobExisted bool
	// Duplicates are the other items holding identical content.
	Duplicates []string
}

// hashMismatch is a validation error on sha256 that is also
// blob.ErrHashMismatch, so callers may test for either.
type hashMismatch struct{ errs record.Errors }

func (h hashMismatch) Error() string   { return h.errs.Error() }
func (h hashMismatch) Unwrap() []error { return []error{h.errs, blob.ErrHashMismatch} }

func mismatch(field string) error {
	return hashMismatch{record.Errors{{Field: field, Code: "hash_mismatch",
		Message: "the content received does not have this SHA-256; nothing was stored"}}}
}

// Ingest stores the content read from r as a new evidence item described by
// it, in constant memory whatever the size: the content streams into the
// blob store, hashed on the way. When wantSHA256 is given, content that
// hashes otherwise is refused before anything is written (the error is a
// validation error on "sha256" and also blob.ErrHashMismatch).
//
// Then the media type is sniffed from the content (whatever the client
// said), metadata extracted and a thumbnail made, and the item is written
// with a "received" custody event whose hash Dossier computed.
//
// Identical content is stored once but every ingest makes a new item: each
// receipt of a file is its own link in a chain of custody, with its own
// assertions (who captured it, from whom it came). Ingested.Duplicates names
// the items that already hold the same content, so that people can tell.
func (s *Store) Ingest(ctx context.Context, r io.Reader, wantSHA256 string, it *Item) (Ingested, error) {
	var res Ingested
	wantSHA256 = strings.ToLower(strings.TrimSpace(wantSHA256))
	// What is asserted is checked before the content is stored, so that a
	// mistyped incident does not cost a gigabyte upload.
	if err := s.Vet(ctx, wantSHA256, it); err != nil {
		return res, err
	}
	head := &headKeeper{r: r}
	ref, existed, err := s.blobs.Put(ctx, head, wantSHA256)
	if errors.Is(err, blob.ErrHashMismatch) {
		return res, mismatch("sha256")
	}
	if err != nil {
		return res, fmt.Errorf("store evidence content: %w", err)
	}
	res.BlobExisted = existed
	it.Blob = ref
	it.MediaType = Sniff(head.head)
	if it.Type == "" {
		it.Type = TypeOf(it.MediaType)
	}
	if it.Filename == "" {
		it.Filename = DefaultFilename(ref, it.MediaType)
	}
	ex := s.tools.extract(ctx, s.blobs, ref, it.MediaType)
	it.Extracted = ex.extracted
	it.Thumbnail = nil
	if ex.thumbnail != nil {
		thumb, _, err := s.blobs.Put(ctx, bytes.NewReader(ex.thumbnail), "")
		if err != nil {
			return res, fmt.Errorf("store thumbnail: %w", err)
		}
		it.Thumbnail = &thumb
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		if err := s.checkReferences(ctx, tx, it); err != nil {
			return err
		}
		if err := insert(ctx, tx, it); err != nil {
			return err
		}
		_, err := appendEvent(ctx, tx, it.ID, &Event{Kind: Received, By: record.Actor(ctx), At: it.CreatedAt,
			Purpose: "stored in the evidence vault", SHA256: ref.SHA256, HashSource: Computed})
		return err
	})
	if err != nil {
		// The content stays in the blob store: another ingest may have
		// stored or found the same content meanwhile, and it is only ever
		// reachable through an item.
		return res, err
	}
	res.Duplicates, err = s.holders(ctx, ref.SHA256, it.ID)
	return res, err
}

// Vet checks what is asserted about an item about to be ingested — its
// fields, the records it links to, the files it refers to — and the SHA-256
// its content is expected to have, before any content is sent: a resumable
// upload calls it when the upload is created.
func (s *Store) Vet(ctx context.Context, wantSHA256 string, it *Item) error {
	it.Normalize()
	var errs record.Errors
	if wantSHA256 != "" && !ValidSHA256(strings.ToLower(wantSHA256)) {
		errs.Add("sha256", "invalid_sha256", "must be a SHA-256 in hexadecimal (64 characters)")
	}
	if it.ID != "" && !record.ValidID(it.ID) {
		errs.Add("id", "invalid_id", "%q is not a record ID", it.ID)
	}
	if err := it.Validate(); err != nil {
		ve, _ := record.AsErrors(err)
		errs = append(errs, ve...)
	}
	if err := s.checkReferences(ctx, s.db, it); err != nil {
		ve, ok := record.AsErrors(err)
		if !ok {
			return err
		}
		errs = append(errs, ve...)
	}
	return errs.Err()
}

// PutFile stores content that an item refers to without being an item
// itself — an open-source capture's HTML source or full-page capture — and
// returns its reference. wantSHA256, when given, is checked as in Ingest;
// field names the field a mismatch is reported on.
func (s *Store) PutFile(ctx context.Context, r io.Reader, wantSHA256, field string) (blob.Ref, error) {
	wantSHA256 = strings.ToLower(strings.TrimSpace(wantSHA256))
	if wantSHA256 != "" && !ValidSHA256(wantSHA256) {
		return blob.Ref{}, record.Errors{{Field: field + ".sha256", Code: "invalid_sha256", Message: "must be a SHA-256 in hexadecimal (64 characters)"}}
	}
	ref, _, err := s.blobs.Put(ctx, r, wantSHA256)
	if errors.Is(err, blob.ErrHashMismatch) {
		return blob.Ref{}, mismatch(field + ".sha256")
	}
	if err != nil {
		return blob.Ref{}, fmt.Errorf("store %s: %w", field, err)
	}
	return ref, nil
}

// holders lists the items other than except that hold content.
func (s *Store) holders(ctx context.Context, sha, except string) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT id FROM evidence_items WHERE blob_sha256 = $1 AND id <> $2 ORDER BY id`, sha, except)
	if err != nil {
		return nil, fmt.Errorf("look for identical evidence: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// checkReferences turns links to records that do not exist, and references
// to files the blob store does not hold, into errors naming the field.
func (s *Store) checkReferences(ctx context.Context, q db.Querier, it *Item) error {
	var errs record.Errors
	for i, l := range it.Links {
		table, ok := linkTables[l.Kind]
		if !ok || !record.ValidID(l.ID) {
			continue // Validate reports it
		}
		var one int
		err := q.QueryRow(ctx, `SELECT 1 FROM `+table+` WHERE id = $1`, l.ID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			errs.Add(fmt.Sprintf("links[%d].id", i), "not_found", "no %s has ID %s", l.Kind, l.ID)
		} else if err != nil {
			return fmt.Errorf("look up linked %s: %w", l.Kind, err)
		}
	}
	scopeErrs, err := checkLinksInScope(ctx, q, it)
	if err != nil {
		return err
	}
	errs = append(errs, scopeErrs...)
	if o := it.OpenSource; o != nil {
		for _, r := range []struct {
			field string
			ref   *blob.Ref
		}{{"open_source.html_source", o.HTMLSource}, {"open_source.full_page", o.FullPage}} {
			if r.ref == nil || !ValidSHA256(r.ref.SHA256) {
				continue
			}
			held, err := s.blobs.Stat(ctx, r.ref.SHA256)
			switch {
			case errors.Is(err, blob.ErrNotFound):
				errs.Add(r.field+".sha256", "not_found", "no file with this SHA-256 is held; upload it first")
			case err != nil:
				return fmt.Errorf("look up %s: %w", r.field, err)
			case r.ref.Size != 0 && r.ref.Size != held.Size:
				errs.Add(r.field+".size", "mismatch", "differs from the size of the file held")
			default:
				r.ref.Size = held.Size
			}
		}
	}
	return errs.Err()
}

// insert writes a new item and its links inside tx.
func insert(ctx context.Context, tx *db.Tx, it *Item) error {
	record.Stamp(ctx, &it.Meta, record.Created)
	args, err := columnValues(it)
	if err != nil {
		return err
	}
	args = append(args, it.ID, it.Version, db.FormatTime(it.CreatedAt), it.CreatedBy, db.FormatTime(it.UpdatedAt), it.UpdatedBy)
	_, err = tx.Exec(ctx, `INSERT INTO evidence_items (`+writtenColumns+`, id, version, created_at, created_by, updated_at, updated_by)
		VALUES (`+db.Placeholders(1, len(args))+`)`, args...)
	if err != nil {
		if errors.Is(db.Explain(err), db.ErrDuplicate) {
			return record.Errors{{Field: "id", Code: "duplicate", Message: "an evidence item with this ID already exists"}}
		}
		return fmt.Errorf("store evidence item: %w", db.Explain(err))
	}
	if err := writeLinks(ctx, tx, it); err != nil {
		return err
	}
	return record.Append(ctx, tx, Kind, it.Meta, record.Created, it, nil)
}

func writeLinks(ctx context.Context, tx *db.Tx, it *Item) error {
	for i, l := range it.Links {
		if _, err := tx.Exec(ctx, `INSERT INTO evidence_links (evidence_id, seq, target_kind, target_id) VALUES ($1, $2, $3, $4)`,
			it.ID, i, string(l.Kind), l.ID); err != nil {
			return fmt.Errorf("link evidence item %s: %w", it.ID, err)
		}
	}
	return nil
}

// writtenColumns are the columns an item's content fills, in the order
// columnValues gives them.
const writtenColumns = `blob_sha256, blob_size, filename, media_type, type, categories, description, language,
	captured_by, capture_date_start, capture_date_end, capture_precision, captured_at, capture_place,
	capture_latitude, capture_longitude, capture_device, os_url, os_html_sha256, os_html_size,
	os_full_page_sha256, os_full_page_size, os_captured_at, os_hash, os_tool, os_tool_version,
	extracted, thumbnail_sha256, thumbnail_size`

func columnValues(it *Item) ([]any, error) {
	cats := make([]string, len(it.Categories))
	for i, c := range it.Categories {
		cats[i] = string(c)
	}
	c := it.Capture
	args := []any{it.Blob.SHA256, it.Blob.Size, it.Filename, it.MediaType, string(it.Type), strings.Join(cats, ","),
		it.Description, it.Language, c.By, c.Date.Start, c.Date.End, string(c.Date.Precision), instant(c.At),
		c.Place, c.Latitude, c.Longitude, c.Device}
	if o := it.OpenSource; o != nil {
		html, full := refOrZero(o.HTMLSource), refOrZero(o.FullPage)
		args = append(args, o.URL, html.SHA256, html.Size, full.SHA256, full.Size, instant(o.CapturedAt), o.Hash, o.Tool, o.ToolVersion)
	} else {
		args = append(args, nil, "", 0, "", 0, "", "", "", "")
	}
	extracted := ""
	if it.Extracted != nil {
		b, err := json.Marshal(it.Extracted)
		if err != nil {
			return nil, fmt.Errorf("store extracted metadata: %w", err)
		}
		extracted = string(b)
	}
	thumb := refOrZero(it.Thumbnail)
	return append(args, extracted, thumb.SHA256, thumb.Size), nil
}

func refOrZero(r *blob.Ref) blob.Ref {
	if r == nil {
		return blob.Ref{}
	}
	return *r
}

func refOrNil(sha string, size int64) *blob.Ref {
	if sha == "" {
		return nil
	}
	return &blob.Ref{SHA256: sha, Size: size}
}

func instant(t *time.Time) string {
	if t == nil {
		return ""
	}
	return db.FormatTime(*t)
}

func parseInstant(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := db.ParseTime(s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Update stores a changed item: what people assert about it (type,
// categories, description, language, capture details, open-source capture,
// links). Its content and what was derived from it (blob, media type,
// extracted metadata, thumbnail) never change; it.Version must be the
// version read.
func (s *Store) Update(ctx context.Context, it *Item) error {
	it.Normalize()
	if err := it.Validate(); err != nil {
		return err
	}
	var errs record.Errors
	if it.Type == "" {
		errs.Add("type", "required", "is required")
	}
	if len(errs) > 0 {
		return errs
	}
	if err := s.checkReferences(ctx, s.db, it); err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *db.Tx) error {
		previous, err := get(ctx, tx, it.ID)
		if err != nil {
			return err
		}
		if err := s.checkReferences(ctx, tx, it); err != nil {
			return err
		}
		it.Blob, it.MediaType, it.Extracted, it.Thumbnail = previous.Blob, previous.MediaType, previous.Extracted, previous.Thumbnail
		if it.Filename == "" {
			it.Filename = previous.Filename
		}
		read := it.Version
		record.Stamp(ctx, &it.Meta, record.Updated)
		args, err := columnValues(it)
		if err != nil {
			return err
		}
		sets := strings.Fields(strings.ReplaceAll(writtenColumns, ",", " "))
		for i, col := range sets {
			sets[i] = fmt.Sprintf("%s = $%d", col, i+1)
		}
		n := len(args)
		args = append(args, it.Version, db.FormatTime(it.UpdatedAt), it.UpdatedBy, it.ID, read)
		err = record.UpdateRow(ctx, tx, "evidence_items", &it.Meta, `UPDATE evidence_items SET `+strings.Join(sets, ", ")+
			fmt.Sprintf(`, version = $%d, updated_at = $%d, updated_by = $%d WHERE id = $%d AND version = $%d RETURNING created_at, created_by`,
				n+1, n+2, n+3, n+4, n+5), args...)
		if err != nil {
			it.Version = read
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM evidence_links WHERE evidence_id = $1`, it.ID); err != nil {
			return fmt.Errorf("replace links of evidence item %s: %w", it.ID, err)
		}
		if err := writeLinks(ctx, tx, it); err != nil {
			return err
		}
		return record.Append(ctx, tx, Kind, it.Meta, record.Updated, it, previous)
	})
}

const itemColumns = writtenColumns + `, id, version, created_at, created_by, updated_at, updated_by`

type rowScanner interface{ Scan(...any) error }

func scan(r rowScanner) (*Item, error) {
	var it Item
	var cats, capturedAt, extracted, osCaptured, created, updated string
	var osURL sql.NullString
	var htmlSHA, fullSHA, osHash, osTool, osToolVersion, thumbSHA string
	var htmlSize, fullSize, thumbSize int64
	c := &it.Capture
	err := r.Scan(&it.Blob.SHA256, &it.Blob.Size, &it.Filename, &it.MediaType, &it.Type, &cats, &it.Description,
		&it.Language, &c.By, &c.Date.Start, &c.Date.End, &c.Date.Precision, &capturedAt, &c.Place, &c.Latitude,
		&c.Longitude, &c.Device, &osURL, &htmlSHA, &htmlSize, &fullSHA, &fullSize, &osCaptured, &osHash, &osTool,
		&osToolVersion, &extracted, &thumbSHA, &thumbSize,
		&it.ID, &it.Version, &created, &it.CreatedBy, &updated, &it.UpdatedBy)
	if err != nil {
		return nil, err
	}
	if err := it.SetTimes(created, updated); err != nil {
		return nil, err
	}
	it.Categories = []Category{}
	if cats != "" {
		for _, c := range strings.Split(cats, ",") {
			it.Categories = append(it.Categories, Category(c))
		}
	}
	if c.At, err = parseInstant(capturedAt); err != nil {
		return nil, err
	}
	if osURL.Valid {
		o := &OpenSource{URL: osURL.String, HTMLSource: refOrNil(htmlSHA, htmlSize), FullPage: refOrNil(fullSHA, fullSize),
			Hash: osHash, Tool: osTool, ToolVersion: osToolVersion}
		if o.CapturedAt, err = parseInstant(osCaptured); err != nil {
			return nil, err
		}
		it.OpenSource = o
	}
	if extracted != "" {
		it.Extracted = &Extracted{}
		if err := json.Unmarshal([]byte(extracted), it.Extracted); err != nil {
			return nil, fmt.Errorf("read extracted metadata of evidence item %s: %w", it.ID, err)
		}
	}
	it.Thumbnail = refOrNil(thumbSHA, thumbSize)
	it.Links = []Link{}
	return &it, nil
}

func init() {
	record.RegisterCurrent(Kind, func(ctx context.Context, q db.Querier, id string) (any, error) {
		return get(ctx, q, id)
	})
	record.RegisterEach(Kind, record.EachByID(Kind, "evidence_items"))
}

func get(ctx context.Context, q db.Querier, id string) (*Item, error) {
	it, err := scan(q.QueryRow(ctx, `SELECT `+itemColumns+` FROM evidence_items WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read evidence item %s: %w", id, err)
	}
	if err := loadLinks(ctx, q, []*Item{it}); err != nil {
		return nil, err
	}
	return it, nil
}

// loadLinks reads the links of items.
func loadLinks(ctx context.Context, q db.Querier, items []*Item) error {
	if len(items) == 0 {
		return nil
	}
	byID := make(map[string]*Item, len(items))
	args := make([]any, len(items))
	for i, it := range items {
		byID[it.ID] = it
		args[i] = it.ID
	}
	rows, err := q.Query(ctx, `SELECT evidence_id, target_kind, target_id FROM evidence_links
		WHERE evidence_id IN (`+db.Placeholders(1, len(args))+`) ORDER BY evidence_id, seq`, args...)
	if err != nil {
		return fmt.Errorf("read evidence links: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var l Link
		if err := rows.Scan(&id, &l.Kind, &l.ID); err != nil {
			return fmt.Errorf("read evidence links: %w", err)
		}
		byID[id].Links = append(byID[id].Links, l)
	}
	return rows.Err()
}

// Get returns one item.
func (s *Store) Get(ctx context.Context, id string) (*Item, error) {
	if !record.ValidID(id) {
		return nil, db.ErrNotFound
	}
	// Outside the asker's cases (scope.go): as if it did not exist.
	if ok, err := reachable(ctx, s.db, id); err != nil || !ok {
		return nil, cmp.Or(err, db.ErrNotFound)
	}
	return get(ctx, s.db, id)
}

// Filter selects items to list. Empty fields select everything.
type Filter struct {
	// IncidentID keeps items linked to the incident or to any of its acts.
	IncidentID string
	ActID      string
	Type       Type
	Category   Category
	Limit      int // at most MaxPage; 50 if 0
	Offset     int
}

// MaxPage is the most items one page lists.
const MaxPage = 500

// Validate reports problems with the filter, by parameter name.
func (f *Filter) Validate() error {
	var errs record.Errors
	if f.IncidentID != "" && !record.ValidID(f.IncidentID) {
		errs.Add("incident", "invalid_id", "is not a record ID")
	}
	if f.ActID != "" && !record.ValidID(f.ActID) {
		errs.Add("act", "invalid_id", "is not a record ID")
	}
	if f.Type != "" {
		record.OneOf(&errs, "type", f.Type, Types)
	}
	if f.Category != "" {
		record.OneOf(&errs, "category", f.Category, Categories)
	}
	if f.Limit < 0 || f.Limit > MaxPage {
		errs.Add("limit", "out_of_range", "must be between 1 and %d", MaxPage)
	}
	if f.Offset < 0 {
		errs.Add("offset", "out_of_range", "must be 0 or more")
	}
	return errs.Err()
}

// Page is one page of items, newest first, and how many match in all.
type Page struct {
	Items []Item `json:"items"`
	Total int    `json:"total"`
}

// List returns the items matching f, newest first.
func (s *Store) List(ctx context.Context, f Filter) (Page, error) {
	if err := f.Validate(); err != nil {
		return Page{}, err
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.IncidentID != "" {
		p := arg(f.IncidentID)
		where = append(where, `id IN (SELECT evidence_id FROM evidence_links WHERE target_kind = 'incident' AND target_id = `+p+`
			UNION SELECT l.evidence_id FROM evidence_links l JOIN acts a ON a.id = l.target_id
			WHERE l.target_kind = 'act' AND a.incident_id = `+p+`)`)
	}
	if f.ActID != "" {
		where = append(where, `id IN (SELECT evidence_id FROM evidence_links WHERE target_kind = 'act' AND target_id = `+arg(f.ActID)+`)`)
	}
	if f.Type != "" {
		where = append(where, `type = `+arg(string(f.Type)))
	}
	if f.Category != "" {
		// Categories are stored comma-separated; none is a prefix of another.
		where = append(where, `(',' || categories || ',') LIKE `+arg("%,"+string(f.Category)+",%"))
	}
	if c, ok := scopeCondition(ctx, arg); ok {
		where = append(where, c)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var page Page
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM evidence_items`+cond, args...).Scan(&page.Total); err != nil {
		return Page{}, fmt.Errorf("count evidence items: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+itemColumns+` FROM evidence_items`+cond+
		` ORDER BY created_at DESC, id DESC LIMIT `+arg(f.Limit)+` OFFSET `+arg(f.Offset), args...)
	if err != nil {
		return Page{}, fmt.Errorf("list evidence items: %w", err)
	}
	defer rows.Close()
	var items []*Item
	for rows.Next() {
		it, err := scan(rows)
		if err != nil {
			return Page{}, fmt.Errorf("list evidence items: %w", err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("list evidence items: %w", err)
	}
	rows.Close()
	if err := loadLinks(ctx, s.db, items); err != nil {
		return Page{}, err
	}
	page.Items = make([]Item, len(items))
	for i, it := range items {
		page.Items[i] = *it
	}
	return page, nil
}

// Open returns an item with its content, for reading by Dossier itself.
// Handing the content to anyone goes through Export or RecordRead, which
// record the custody event.
func (s *Store) Open(ctx context.Context, id string) (*Item, blob.Object, error) {
	it, err := s.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	obj, err := s.blobs.Open(ctx, it.Blob.SHA256)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, nil, fmt.Errorf("the content of evidence item %s (SHA-256 %s) is missing from %s: %w",
			id, it.Blob.SHA256, s.blobs.Location(), err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open the content of evidence item %s: %w", id, err)
	}
	return it, obj, nil
}

// Thumbnail opens an item's thumbnail; db.ErrNotFound when it has none.
// Viewing a thumbnail is not a custody event: it is a small picture
// derived from the content, not the content.
func (s *Store) Thumbnail(ctx context.Context, id string) (*Item, blob.Object, error) {
	it, err := s.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if it.Thumbnail == nil {
		return it, nil, db.ErrNotFound
	}
	obj, err := s.blobs.Open(ctx, it.Thumbnail.SHA256)
	if errors.Is(err, blob.ErrNotFound) {
		return it, nil, db.ErrNotFound
	}
	return it, obj, err
}

// Rehash reads an item's stored content and returns its SHA-256 now.
func (s *Store) Rehash(ctx context.Context, id string) (string, error) {
	_, obj, err := s.Open(ctx, id)
	if err != nil {
		return "", err
	}
	defer obj.Close()
	h := sha256.New()
	if _, err := io.Copy(h, bufferedReader{obj}); err != nil {
		return "", fmt.Errorf("rehash evidence item %s: %w", id, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// bufferedReader hides a reader's WriteTo so that io.Copy into a hash uses
// large reads (a file's WriteTo copies 32 KiB at a time).
type bufferedReader struct{ r io.Reader }

func (b bufferedReader) Read(p []byte) (int, error) { return b.r.Read(p) }

// copyHashing copies src to dst in 1 MiB reads and returns the SHA-256 of
// what was copied.
func copyHashing(dst io.Writer, src io.Reader) (string, int64, error) {
	h := sha256.New()
	buf := make([]byte, 1<<20)
	n, err := io.CopyBuffer(io.MultiWriter(dst, h), bufferedReader{src}, buf)
	return hex.EncodeToString(h.Sum(nil)), n, err
}
