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
// used for audio and video when they are on the PATH. With a sealed store,
// the store listens to its sealer: when a survivor is shredded, the files
// sealed with their key are deleted from the blob store.
func NewStore(d *db.DB, blobs blob.Store) *Store {
	s := &Store{db: d, blobs: blobs, tools: findMediaTools()}
	if sealed, ok := blobs.(*blob.SealedStore); ok && sealed.Sealer() != nil {
		sealed.Sealer().OnShredded(func(ctx context.Context, _ string) error {
			// The files are unreadable already (their key is gone): this is
			// the deletion of their ciphertext, taken up again later if it
			// fails now.
			s.disposeLater(ctx)
			return nil
		})
	}
	return s
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
//
// An item tied to a survivor (SurvivorID) keeps its files under that
// survivor's key (survivor_files.go): what is extracted of when, where and
// with what the file was made is not kept (Extracted.Withheld), and reading
// the file back needs the see-identities grant. Tying a file to a survivor
// needs only to reach the survivor: it narrows who may see it.
func (s *Store) Ingest(ctx context.Context, r io.Reader, wantSHA256 string, it *Item) (Ingested, error) {
	var res Ingested
	wantSHA256 = strings.ToLower(strings.TrimSpace(wantSHA256))
	// What is asserted is checked before the content is stored, so that a
	// mistyped incident does not cost a gigabyte upload.
	if err := s.Vet(ctx, wantSHA256, it); err != nil {
		return res, err
	}
	owner := it.owner()
	blobs, err := s.blobsOf(owner)
	if err != nil {
		return res, err
	}
	head := &headKeeper{r: r}
	ref, existed, err := blobs.Put(ctx, head, wantSHA256)
	if errors.Is(err, blob.ErrHashMismatch) {
		return res, mismatch("sha256")
	}
	if errors.Is(err, blob.ErrShredded) {
		return res, erasedSurvivor()
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
	ex := s.tools.extract(ctx, blobs, ref, it.MediaType)
	it.Extracted = ex.extracted
	if owner != "" {
		it.Extracted = it.Extracted.forSurvivor()
	}
	it.Thumbnail, it.ShreddedAt = nil, nil
	if ex.thumbnail != nil {
		thumb, _, err := blobs.Put(ctx, bytes.NewReader(ex.thumbnail), "")
		if err != nil {
			return res, fmt.Errorf("store thumbnail: %w", err)
		}
		it.Thumbnail = &thumb
	}
	adopted, err := s.adopt(ctx, it)
	if err != nil {
		return res, err
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		if err := s.checkReferences(ctx, tx, it); err != nil {
			return err
		}
		if owner != "" {
			// Held until the item is written: an erasure waits for it, and
			// then destroys this file too.
			if errs, err := checkSurvivor(ctx, tx, owner); err != nil || len(errs) > 0 {
				return cmp.Or(err, error(errs))
			}
		}
		if err := s.holdFiles(ctx, tx, it); err != nil {
			return err
		}
		if err := insert(ctx, tx, it); err != nil {
			return err
		}
		if _, err := appendEvent(ctx, tx, it.ID, &Event{Kind: Received, By: record.Actor(ctx), At: it.CreatedAt,
			Purpose: "stored in the evidence vault", SHA256: ref.SHA256, HashSource: Computed}); err != nil {
			return err
		}
		return queueDisposal(ctx, tx, "", adopted)
	})
	if err != nil {
		// The deployment's content stays in the blob store: another ingest
		// may have stored or found the same content meanwhile, and it is
		// only ever reachable through an item. A survivor's is deleted
		// unless another item of theirs holds it: their erasure could not
		// find a copy no item names.
		if owner != "" {
			if qerr := s.db.Write(ctx, func(tx *db.Tx) error { return queueDisposal(ctx, tx, owner, it.files()) }); qerr == nil {
				s.disposeLater(ctx)
			}
		}
		return res, err
	}
	if len(adopted) > 0 {
		s.disposeLater(ctx)
	}
	res.Duplicates, err = s.holders(ctx, ref.SHA256, it.ID)
	return res, err
}

func erasedSurvivor() error {
	return record.Errors{{Field: "survivor_id", Code: "erased", Message: "this survivor was erased: nothing can be sealed for them again"}}
}

// adopt brings the open-source capture files of an item tied to a survivor
// under the survivor's key: files sent before the item (PutFile) without
// saying whose they are were sealed with the deployment's. It returns the
// deployment's copies, to delete once the item is written if nothing else
// uses them.
func (s *Store) adopt(ctx context.Context, it *Item) ([]blob.Ref, error) {
	if it.owner() == "" || it.OpenSource == nil {
		return nil, nil
	}
	dst, err := s.blobsOf(it.owner())
	if err != nil {
		return nil, err
	}
	var adopted []blob.Ref
	for _, ref := range []*blob.Ref{it.OpenSource.HTMLSource, it.OpenSource.FullPage} {
		if ref == nil {
			continue
		}
		if _, err := dst.Stat(ctx, ref.SHA256); err == nil {
			continue
		} else if !errors.Is(err, blob.ErrNotFound) {
			return nil, err
		}
		obj, err := s.blobs.Open(ctx, ref.SHA256)
		if err != nil {
			return nil, fmt.Errorf("seal a capture file with the survivor's key: %w", err)
		}
		_, _, err = dst.Put(ctx, bufferedReader{obj}, ref.SHA256)
		obj.Close()
		if err != nil {
			return nil, fmt.Errorf("seal a capture file with the survivor's key: %w", err)
		}
		adopted = append(adopted, *ref)
	}
	return adopted, nil
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
	if it.SurvivorID != "" {
		survivorErrs, err := checkSurvivor(ctx, s.db, it.SurvivorID)
		if err != nil {
			return err
		}
		errs = append(errs, survivorErrs...)
		if _, err := s.blobsOf(it.SurvivorID); err != nil {
			errs.Add("survivor_id", "no_keys", "this server's evidence store does not seal files, so none can be kept under a survivor's key")
		}
	}
	return errs.Err()
}

// PutFile stores content that an item refers to without being an item
// itself — an open-source capture's HTML source or full-page capture — and
// returns its reference. wantSHA256, when given, is checked as in Ingest;
// field names the field a mismatch is reported on. survivorID, when the
// item is to be tied to a survivor, seals the file with their key.
func (s *Store) PutFile(ctx context.Context, survivorID string, r io.Reader, wantSHA256, field string) (blob.Ref, error) {
	wantSHA256 = strings.ToLower(strings.TrimSpace(wantSHA256))
	if wantSHA256 != "" && !ValidSHA256(wantSHA256) {
		return blob.Ref{}, record.Errors{{Field: field + ".sha256", Code: "invalid_sha256", Message: "must be a SHA-256 in hexadecimal (64 characters)"}}
	}
	survivorID = strings.TrimSpace(survivorID)
	if survivorID != "" {
		if !record.ValidID(survivorID) {
			return blob.Ref{}, record.Errors{{Field: "survivor_id", Code: "invalid_id", Message: "is not a survivor's ID"}}
		}
		if errs, err := checkSurvivor(ctx, s.db, survivorID); err != nil || len(errs) > 0 {
			return blob.Ref{}, cmp.Or(err, error(errs))
		}
	}
	blobs, err := s.blobsOf(survivorID)
	if err != nil {
		return blob.Ref{}, err
	}
	ref, _, err := blobs.Put(ctx, r, wantSHA256)
	if errors.Is(err, blob.ErrHashMismatch) {
		return blob.Ref{}, mismatch(field + ".sha256")
	}
	if errors.Is(err, blob.ErrShredded) {
		return blob.Ref{}, erasedSurvivor()
	}
	if err != nil {
		return blob.Ref{}, fmt.Errorf("store %s: %w", field, err)
	}
	return ref, nil
}

// holders lists the items other than except that hold content, among those
// ctx reaches; items tied to a survivor only for those who may see them.
func (s *Store) holders(ctx context.Context, sha, except string) ([]string, error) {
	args := []any{sha, except}
	where := `blob_sha256 = $1 AND id <> $2`
	if c, ok := scopeCondition(ctx, func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }); ok {
		where += ` AND ` + c
	}
	if !seesIdentities(ctx) {
		where += ` AND survivor_id = ''`
	}
	ids, err := db.Column[string](s.db.Query(ctx, `SELECT id FROM evidence_items WHERE `+where+` ORDER BY id`, args...))
	if err != nil {
		return nil, fmt.Errorf("look for identical evidence: %w", err)
	}
	return ids, nil
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
	if o := it.OpenSource; o != nil && !it.Shredded() {
		// A survivor's item names files under their key, or, sent before
		// the item, under the deployment's: Ingest seals those again (adopt).
		blobs, err := s.blobsOf(it.owner())
		if err != nil {
			blobs = s.blobs // Vet reports it on survivor_id
		}
		for _, r := range []struct {
			field string
			ref   *blob.Ref
		}{{"open_source.html_source", o.HTMLSource}, {"open_source.full_page", o.FullPage}} {
			if r.ref == nil || !ValidSHA256(r.ref.SHA256) {
				continue
			}
			held, err := blobs.Stat(ctx, r.ref.SHA256)
			if errors.Is(err, blob.ErrNotFound) && it.owner() != "" {
				held, err = s.blobs.Stat(ctx, r.ref.SHA256)
			}
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
	extracted, thumbnail_sha256, thumbnail_size, survivor_id, shredded_at`

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
	return append(args, extracted, thumb.SHA256, thumb.Size, it.SurvivorID, instant(it.ShreddedAt)), nil
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
// links) and the survivor its file identifies. Its content and what was
// derived from it (blob, media type, extracted metadata, thumbnail) never
// change; it.Version must be the version read.
//
// A change of survivor seals the item's files again with the new owner's
// key — the survivor's, or the deployment's when it is untied — checking
// each against its SHA-256, records it in the chain of custody, and deletes
// the copies under the old key once nothing else uses them. Tying a file to
// a survivor needs to reach the survivor; moving a survivor's file away
// from their key needs the see-identities grant. A file destroyed with its
// survivor's key cannot be tied to anyone.
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
	before, err := get(ctx, s.db, it.ID)
	if err != nil {
		return err
	}
	moving := it.SurvivorID != before.SurvivorID
	if moving {
		if err := survivorChange(ctx, before, it); err != nil {
			return err
		}
		if errs, err := checkSurvivor(ctx, s.db, it.SurvivorID); err != nil || len(errs) > 0 {
			return cmp.Or(err, error(errs))
		}
		if _, err := s.blobsOf(it.SurvivorID); err != nil {
			return record.Errors{{Field: "survivor_id", Code: "no_keys",
				Message: "this server's evidence store does not seal files, so none can be kept under a survivor's key"}}
		}
	}
	// The derived fields as stored, so that references are checked in the
	// right store.
	it.Blob, it.MediaType, it.Extracted, it.Thumbnail, it.ShreddedAt = before.Blob, before.MediaType, before.Extracted, before.Thumbnail, before.ShreddedAt
	if moving {
		if err := s.reseal(ctx, before, before.owner(), it.SurvivorID); err != nil {
			return err
		}
	}
	if err := s.checkReferences(ctx, s.db, it); err != nil {
		s.discard(ctx, moving, it.SurvivorID, before.files())
		return err
	}
	adopted, err := s.adopt(ctx, it)
	if err != nil {
		s.discard(ctx, moving, it.SurvivorID, before.files())
		return err
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		previous, err := get(ctx, tx, it.ID)
		if err != nil {
			return err
		}
		if previous.SurvivorID != before.SurvivorID {
			return db.ErrConflict // tied to another survivor since it was read
		}
		if err := s.checkReferences(ctx, tx, it); err != nil {
			return err
		}
		it.Blob, it.MediaType, it.Extracted, it.Thumbnail, it.ShreddedAt = previous.Blob, previous.MediaType, previous.Extracted, previous.Thumbnail, previous.ShreddedAt
		if it.Filename == "" {
			it.Filename = previous.Filename
		}
		if moving && it.SurvivorID != "" {
			if errs, err := checkSurvivor(ctx, tx, it.SurvivorID); err != nil || len(errs) > 0 {
				return cmp.Or(err, error(errs))
			}
			it.Extracted = previous.Extracted.forSurvivor()
		}
		if moving || len(adopted) > 0 {
			if err := s.holdFiles(ctx, tx, it); err != nil {
				return err
			}
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
		if err := record.Append(ctx, tx, Kind, it.Meta, record.Updated, it, previous); err != nil {
			return err
		}
		if moving {
			purpose := "sealed again with the key of the survivor it identifies, so that their erasure destroys it"
			if it.SurvivorID == "" {
				purpose = "sealed again with the deployment's key: no longer tied to a survivor"
			}
			if _, err := appendEvent(ctx, tx, it.ID, &Event{Kind: Copied, By: record.Actor(ctx), Purpose: purpose,
				SHA256: it.Blob.SHA256, HashSource: Computed,
				Notes: "Copied within the evidence vault, its SHA-256 checked on the way; the copy under the previous key is deleted from the store."}); err != nil {
				return err
			}
			if err := queueDisposal(ctx, tx, previous.owner(), previous.files()); err != nil {
				return err
			}
		}
		return queueDisposal(ctx, tx, "", adopted)
	})
	if err != nil {
		s.discard(ctx, moving, it.SurvivorID, before.files())
		return err
	}
	if moving || len(adopted) > 0 {
		s.disposeLater(ctx)
	}
	return nil
}

// discard deletes the copies a change of survivor made under the new owner's
// key, when the change was not written (unless another item uses them).
func (s *Store) discard(ctx context.Context, moving bool, owner string, files []blob.Ref) {
	if !moving {
		return
	}
	err := s.db.Write(context.WithoutCancel(ctx), func(tx *db.Tx) error { return queueDisposal(ctx, tx, owner, files) })
	if err == nil {
		s.disposeLater(ctx)
	}
}

const itemColumns = writtenColumns + `, id, version, created_at, created_by, updated_at, updated_by`

type rowScanner interface{ Scan(...any) error }

func scan(r rowScanner) (*Item, error) {
	var it Item
	var cats, capturedAt, extracted, osCaptured, created, updated, shredded string
	var osURL sql.NullString
	var htmlSHA, fullSHA, osHash, osTool, osToolVersion, thumbSHA string
	var htmlSize, fullSize, thumbSize int64
	c := &it.Capture
	err := r.Scan(&it.Blob.SHA256, &it.Blob.Size, &it.Filename, &it.MediaType, &it.Type, &cats, &it.Description,
		&it.Language, &c.By, &c.Date.Start, &c.Date.End, &c.Date.Precision, &capturedAt, &c.Place, &c.Latitude,
		&c.Longitude, &c.Device, &osURL, &htmlSHA, &htmlSize, &fullSHA, &fullSize, &osCaptured, &osHash, &osTool,
		&osToolVersion, &extracted, &thumbSHA, &thumbSize, &it.SurvivorID, &shredded,
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
	if it.ShreddedAt, err = parseInstant(shredded); err != nil {
		return nil, err
	}
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
// record the custody event. A file destroyed with its survivor's key fails
// with ErrShredded, a survivor's file asked for without the see-identities
// grant with ErrIdentities (MayOpen); the item is returned with either.
func (s *Store) Open(ctx context.Context, id string) (*Item, blob.Object, error) {
	it, err := s.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := MayOpen(ctx, it); err != nil {
		return it, nil, fmt.Errorf("evidence item %s: %w", id, err)
	}
	blobs, err := s.blobsOf(it.owner())
	if err != nil {
		return nil, nil, err
	}
	obj, err := blobs.Open(ctx, it.Blob.SHA256)
	if errors.Is(err, blob.ErrShredded) {
		return it, nil, fmt.Errorf("evidence item %s: %w", id, ErrShredded)
	}
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
// derived from the content, not the content. A thumbnail of a survivor's
// file is theirs as much as the file: it needs the same grant.
func (s *Store) Thumbnail(ctx context.Context, id string) (*Item, blob.Object, error) {
	it, err := s.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := MayOpen(ctx, it); err != nil {
		return it, nil, fmt.Errorf("evidence item %s: %w", id, err)
	}
	if it.Thumbnail == nil {
		return it, nil, db.ErrNotFound
	}
	blobs, err := s.blobsOf(it.owner())
	if err != nil {
		return it, nil, err
	}
	obj, err := blobs.Open(ctx, it.Thumbnail.SHA256)
	if errors.Is(err, blob.ErrNotFound) {
		return it, nil, db.ErrNotFound
	}
	if errors.Is(err, blob.ErrShredded) {
		return it, nil, fmt.Errorf("evidence item %s: %w", id, ErrShredded)
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
