package evidence

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
)

// Files that identify a survivor.
//
// An item tied to a survivor (Item.SurvivorID) keeps its files — the file,
// its thumbnail, an open-source capture's page source and full page — in
// that survivor's view of the blob store (blob.SealedStore.For): sealed with
// a key of the survivor's own, which their data key wraps. So:
//
//   - identical content of two survivors, or of a survivor and of no one, is
//     two objects under two keys: deduplication never puts one survivor's
//     file under another's key or the deployment's;
//   - reading the file needs the see-identities grant, as sealed fields do;
//   - erasing the survivor destroys the key (seal.ShredTx): the erasure's
//     transaction marks the items shredded, records a "destroyed" custody
//     event for each, and queues their objects for deletion; the store
//     deletes them once it commits (seal.Sealer.OnShredded);
//   - tying an existing item to a survivor (or untying it) re-seals its
//     files under the new key, records it in the chain of custody, and
//     deletes the copies under the old key once nothing else uses them.
//
// Deletions go through a queue (evidence_disposals) written in the same
// transaction as the change that calls for them, so one interrupted is
// taken up again by the next. A copy is deleted only if no item of its
// owner refers to it: identical content kept for the same owner by another
// item stays.

var (
	// ErrShredded: the item's file was destroyed with its survivor's key,
	// at the survivor's request; it can never be read again.
	ErrShredded = errors.New("the file was destroyed at the survivor's request (crypto-shredded)")
	// ErrIdentities: the item's file identifies a survivor, and the asker
	// does not hold the see-identities grant.
	ErrIdentities = errors.New("this file identifies a survivor: seeing it needs the see-identities permission")
)

// MayOpen reports whether ctx may read the item's files: a file that
// identifies a survivor needs the see-identities grant (with its second
// factor) of the principal a request acts for. A context without a
// principal is the command line's, working on the data directory beside
// the key-encryption key, which can open everything anyway.
func MayOpen(ctx context.Context, it *Item) error {
	if it.Shredded() {
		return ErrShredded
	}
	if it.SurvivorID == "" {
		return nil
	}
	if p, ok := account.PrincipalFrom(ctx); ok && !p.SeeIdentities {
		return ErrIdentities
	}
	return nil
}

// seesIdentities reports whether ctx may learn of files tied to survivors
// it cannot open (as duplicates of a file it adds).
func seesIdentities(ctx context.Context) bool {
	p, ok := account.PrincipalFrom(ctx)
	return !ok || p.SeeIdentities
}

// blobsOf is the view of the blob store holding owner's files.
func (s *Store) blobsOf(owner string) (blob.Store, error) {
	return blob.ForSubject(s.blobs, owner)
}

// checkSurvivor says what is wrong with tying a file to survivor id, as
// errors on survivor_id: none such within the asker's cases, or erased.
func checkSurvivor(ctx context.Context, q db.Querier, id string) (record.Errors, error) {
	if id == "" || !record.ValidID(id) {
		return nil, nil // Validate reports it
	}
	var sv *survivor.Survivor
	var err error
	if tx, ok := q.(*db.Tx); ok {
		sv, err = survivor.Hold(ctx, tx, id)
	} else {
		sv, err = survivor.Lookup(ctx, q, id)
	}
	switch {
	case errors.Is(err, db.ErrNotFound):
		return record.Errors{{Field: "survivor_id", Code: "not_found", Message: "no survivor has this ID"}}, nil
	case err != nil:
		return nil, err
	case sv.Erased():
		return record.Errors{{Field: "survivor_id", Code: "erased",
			Message: "this survivor was erased: nothing can be sealed for them again"}}, nil
	}
	return nil, nil
}

// lockFile keeps, on PostgreSQL, the transactions that keep or delete the
// same owner's copy of a file from interleaving (SQLite's writer is
// exclusive already): an ingest that found the content stored commits
// before a disposal looks for users of it, or sees it gone.
func lockFile(ctx context.Context, tx *db.Tx, owner, sha string) error {
	if tx.Dialect() != db.Postgres {
		return nil
	}
	sum := sha256.Sum256([]byte("dossier/evidence-file\x00" + owner + "\x00" + sha))
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(binary.BigEndian.Uint64(sum[:8])))
	if err != nil {
		return fmt.Errorf("lock a stored file: %w", err)
	}
	return nil
}

// holdFiles locks the item's files for the transaction and checks they are
// still stored: a disposal may have deleted a copy that an ingest found
// stored before it ran.
func (s *Store) holdFiles(ctx context.Context, tx *db.Tx, it *Item) error {
	if it.Shredded() {
		return nil
	}
	blobs, err := s.blobsOf(it.owner())
	if err != nil {
		return err
	}
	for _, ref := range it.files() {
		if err := lockFile(ctx, tx, it.owner(), ref.SHA256); err != nil {
			return err
		}
		if _, err := blobs.Stat(ctx, ref.SHA256); err != nil {
			return fmt.Errorf("the stored file %s went away while the item was written (send it again): %w", ref.SHA256, err)
		}
	}
	return nil
}

// queueDisposal asks, inside tx, for owner's copies of files to be deleted
// once nothing refers to them.
func queueDisposal(ctx context.Context, tx *db.Tx, owner string, files []blob.Ref) error {
	now := db.FormatTime(db.Now())
	for _, f := range files {
		if _, err := tx.Exec(ctx, `INSERT INTO evidence_disposals (owner, sha256, queued_at) VALUES ($1, $2, $3)
			ON CONFLICT (owner, sha256) DO NOTHING`, owner, f.SHA256, now); err != nil {
			return fmt.Errorf("queue a stored file for deletion: %w", err)
		}
	}
	return nil
}

// Disposal is a stored copy waiting to be deleted.
type Disposal struct {
	Owner  string // "" for the deployment's key, else a survivor's ID
	SHA256 string
}

// PendingDisposals lists the stored copies queued for deletion and not
// deleted yet (a deletion that failed is taken up by the next write).
func PendingDisposals(ctx context.Context, q db.Querier) ([]Disposal, error) {
	rows, err := q.Query(ctx, `SELECT owner, sha256 FROM evidence_disposals ORDER BY queued_at, owner, sha256`)
	if err != nil {
		return nil, fmt.Errorf("list the files queued for deletion: %w", err)
	}
	defer rows.Close()
	var out []Disposal
	for rows.Next() {
		var d Disposal
		if err := rows.Scan(&d.Owner, &d.SHA256); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Dispose deletes the stored copies queued for deletion that nothing refers
// to any more, and says how many it deleted. It is safe to run at any time,
// in any process.
func (s *Store) Dispose(ctx context.Context) (int, error) {
	pending, err := PendingDisposals(ctx, s.db)
	if err != nil {
		return 0, err
	}
	deleted := 0
	var errs []error
	for _, d := range pending {
		gone, err := s.disposeOne(ctx, d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if gone {
			deleted++
		}
	}
	return deleted, errors.Join(errs...)
}

// disposeOne deletes owner's copy of a file if no item of owner whose file
// is held refers to it, and takes it off the queue.
func (s *Store) disposeOne(ctx context.Context, d Disposal) (deleted bool, err error) {
	blobs, err := s.blobsOf(d.Owner)
	if err != nil {
		return false, err
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		if err := lockFile(ctx, tx, d.Owner, d.SHA256); err != nil {
			return err
		}
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM evidence_items WHERE survivor_id = $1 AND shredded_at = ''
			AND (blob_sha256 = $2 OR thumbnail_sha256 = $2 OR os_html_sha256 = $2 OR os_full_page_sha256 = $2) LIMIT 1`,
			d.Owner, d.SHA256).Scan(&one)
		switch {
		case err == nil:
			// Still used: kept.
		case errors.Is(err, sql.ErrNoRows):
			// Deleted before the queue entry goes: a commit that fails after
			// the deletion leaves the entry, and the next run finds nothing
			// to delete.
			derr := blobs.Delete(ctx, d.SHA256)
			if derr != nil && !errors.Is(derr, blob.ErrNotFound) {
				return fmt.Errorf("delete a stored copy: %w", derr)
			}
			deleted = derr == nil
		default:
			return fmt.Errorf("look for users of a stored file: %w", err)
		}
		_, err = tx.Exec(ctx, `DELETE FROM evidence_disposals WHERE owner = $1 AND sha256 = $2`, d.Owner, d.SHA256)
		return err
	})
	return deleted, err
}

// disposeLater runs the queue after a change that filled it, and logs what
// fails: the change itself stands, and the next write takes the deletion up
// again. Nothing of a file's content is logged.
func (s *Store) disposeLater(ctx context.Context) {
	if _, err := s.Dispose(context.WithoutCancel(ctx)); err != nil {
		slog.WarnContext(ctx, "evidence: stored copies queued for deletion are not all deleted yet; the next write tries again", "cause", err)
	}
}

func init() {
	survivor.OnErase(shredSurvivorFiles)
}

// shredSurvivorFiles is told, inside the erasure of a survivor, that their
// key is destroyed: each item tied to them gets a version marked shredded
// (without its thumbnail, which went with the file) and a "destroyed"
// custody event, and their files are queued for deletion. Items of every
// case are reached: the erasure must reach them all.
func shredSurvivorFiles(ctx context.Context, tx *db.Tx, survivorID string, at time.Time) error {
	rows, err := tx.Query(ctx, `SELECT id FROM evidence_items WHERE survivor_id = $1 AND shredded_at = '' ORDER BY id`, survivorID)
	if err != nil {
		return fmt.Errorf("list the survivor's evidence files: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		previous, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := queueDisposal(ctx, tx, survivorID, previous.files()); err != nil {
			return err
		}
		next := *previous
		when := at.UTC().Truncate(time.Microsecond)
		next.ShreddedAt, next.Thumbnail = &when, nil
		read := next.Version
		record.Stamp(ctx, &next.Meta, record.Updated)
		err = record.UpdateRow(ctx, tx, "evidence_items", &next.Meta, `UPDATE evidence_items SET shredded_at = $1,
			thumbnail_sha256 = '', thumbnail_size = 0, version = $2, updated_at = $3, updated_by = $4
			WHERE id = $5 AND version = $6 RETURNING created_at, created_by`,
			db.FormatTime(when), next.Version, db.FormatTime(next.UpdatedAt), next.UpdatedBy, id, read)
		if err != nil {
			return err
		}
		if err := record.Append(ctx, tx, Kind, next.Meta, record.Updated, &next, previous); err != nil {
			return err
		}
		_, err = appendEvent(ctx, tx, id, &Event{Kind: Destroyed, By: record.Actor(ctx), At: when,
			Purpose: "crypto-shredded: erased at the survivor's request",
			Notes: "The file, its thumbnail and capture files were sealed with a key of the survivor's own, destroyed with their data key: " +
				"they can never be opened again, here or in backups once the key-encryption key is rotated. The SHA-256 of the original stays."})
		if err != nil {
			return err
		}
	}
	return nil
}

// reseal copies the item's files from the view of one owner to another's,
// each checked against its SHA-256 on the way, and returns the owner's
// view it copied to.
func (s *Store) reseal(ctx context.Context, it *Item, from, to string) error {
	src, err := s.blobsOf(from)
	if err != nil {
		return err
	}
	dst, err := s.blobsOf(to)
	if err != nil {
		return err
	}
	for _, ref := range it.files() {
		obj, err := src.Open(ctx, ref.SHA256)
		if err != nil {
			return fmt.Errorf("read the stored file %s to seal it again: %w", ref.SHA256, err)
		}
		_, _, err = dst.Put(ctx, bufferedReader{obj}, ref.SHA256)
		obj.Close()
		if err != nil {
			return fmt.Errorf("seal the file %s again: %w", ref.SHA256, err)
		}
	}
	return nil
}

// survivorChange checks a change of the survivor an item's files are tied
// to: who may make it, and whether it can be made.
func survivorChange(ctx context.Context, previous, next *Item) error {
	if previous.Shredded() {
		return record.Errors{{Field: "survivor_id", Code: "shredded",
			Message: "the file was destroyed at the survivor's request; the item cannot be tied to anyone else"}}
	}
	// Moving a survivor's file under another key — another survivor's, or
	// the deployment's, where their erasure will not reach it — is for
	// those who may see it.
	if previous.SurvivorID != "" {
		if err := MayOpen(ctx, previous); err != nil {
			return err
		}
	}
	return nil
}
