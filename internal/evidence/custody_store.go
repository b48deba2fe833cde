package evidence

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// appendEvent writes a custody event and its audit log entry inside tx.
func appendEvent(ctx context.Context, tx *db.Tx, itemID string, e *Event) (*Event, error) {
	e.ID = record.NewID()
	e.EvidenceID = itemID
	e.RecordedAt = db.Now()
	e.RecordedBy = record.Actor(ctx)
	if e.At.IsZero() {
		e.At = e.RecordedAt
	}
	e.normalize()
	if err := e.Validate(); err != nil {
		return nil, err
	}
	hash, err := e.ContentHash()
	if err != nil {
		return nil, err
	}
	e.AuditIndex, err = audit.Append(ctx, tx, audit.Entry{At: e.RecordedAt, Actor: e.RecordedBy, Kind: AuditKind,
		Subject: itemID, Action: string(e.Kind), ContentHash: hash})
	if err != nil {
		return nil, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO custody_events (id, evidence_id, kind, performed_by, recipient, at, place, purpose,
		sha256, hash_source, notes, recorded_at, recorded_by, audit_index)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		e.ID, itemID, string(e.Kind), e.By, e.Recipient, db.FormatTime(e.At), e.Place, e.Purpose, e.SHA256,
		string(e.HashSource), e.Notes, db.FormatTime(e.RecordedAt), e.RecordedBy, int64(e.AuditIndex))
	if err != nil {
		return nil, fmt.Errorf("record custody event of evidence item %s: %w", itemID, db.Explain(err))
	}
	return e, nil
}

// AddCustody records an event that happened outside Dossier, as a person
// reports it: collected in the field, transferred to a prosecutor, copied
// onto a drive for an expert, destroyed. Its hash, if given, is the one the
// person computed (HashSource "reported"); whether it matches the item's is
// shown, never assumed.
func (s *Store) AddCustody(ctx context.Context, itemID string, e *Event) error {
	e.normalize()
	e.HashSource = NoHash
	if e.SHA256 != "" {
		e.HashSource = Reported
	}
	if err := e.Validate(); err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *db.Tx) error {
		ok, err := tx.Exists(ctx, "evidence_items", itemID)
		if err != nil {
			return err
		}
		if !ok {
			return db.ErrNotFound
		}
		_, err = appendEvent(ctx, tx, itemID, e)
		return err
	})
}

// ReadWindow is how long a person's partial reads of an item (a video
// player's range requests) count as one access: the custody history
// records the first, not every chunk.
const ReadWindow = 10 * time.Minute

// RecordRead records that Dossier handed out an item's content: kind is
// Accessed (viewed or downloaded), Exported (written out of Dossier) or
// Copied. sum is the SHA-256 Dossier computed of the bytes it handed out
// when they were the whole content. For a partial read (sum "") the stored
// content is rehashed now, so that the event still carries the hash as
// verified at that moment, unless the same person's last read of that kind
// was recorded less than ReadWindow ago: then the partial read belongs to
// that access and nothing is recorded (the returned event is nil).
func (s *Store) RecordRead(ctx context.Context, itemID string, kind EventKind, sum, purpose, notes string) (*Event, error) {
	if sum == "" {
		since := db.FormatTime(db.Now().Add(-ReadWindow))
		var one int
		err := s.db.QueryRow(ctx, `SELECT 1 FROM custody_events WHERE evidence_id = $1 AND kind = $2 AND recorded_by = $3
			AND recorded_at >= $4 LIMIT 1`, itemID, string(kind), record.Actor(ctx), since).Scan(&one)
		if err == nil {
			return nil, nil
		}
		if sum, err = s.Rehash(ctx, itemID); err != nil {
			return nil, err
		}
	}
	e := &Event{Kind: kind, By: record.Actor(ctx), Purpose: purpose, Notes: notes, SHA256: sum, HashSource: Computed}
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := appendEvent(ctx, tx, itemID, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Export writes an item's content to w, hashing it on the way, and records
// the custody event (kind Exported unless e.Kind says Copied or Accessed)
// with the hash computed. If the content no longer has the item's SHA-256
// the event is still recorded — that is what happened — and the error
// wraps blob.ErrHashMismatch: whoever wrote w must discard it.
func (s *Store) Export(ctx context.Context, itemID string, w io.Writer, e Event) (*Event, error) {
	it, obj, err := s.Open(ctx, itemID)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	sum, n, err := copyHashing(w, obj)
	if err != nil {
		return nil, fmt.Errorf("export evidence item %s: %w", itemID, err)
	}
	kind := e.Kind
	if kind == "" {
		kind = Exported
	}
	altered := sum != it.Blob.SHA256 || n != it.Blob.Size
	notes := e.Notes
	if altered {
		notes = joinNotes(notes, fmt.Sprintf("the stored content (%d bytes) no longer matches the item's SHA-256 %s", n, it.Blob.SHA256))
	}
	ev, err := s.RecordRead(ctx, itemID, kind, sum, e.Purpose, notes)
	if err != nil {
		return nil, err
	}
	if altered {
		return ev, fmt.Errorf("evidence item %s: %w", itemID, blob.ErrHashMismatch)
	}
	return ev, nil
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

// Custody returns an item's chain of custody in the order things happened
// (events entered later about earlier moments take their place by At).
func (s *Store) Custody(ctx context.Context, itemID string) ([]Event, error) {
	if _, err := s.Get(ctx, itemID); err != nil {
		return nil, err
	}
	return custody(ctx, s.db, itemID)
}

func custody(ctx context.Context, q db.Querier, itemID string) ([]Event, error) {
	out := []Event{}
	err := scanEvents(ctx, q, `WHERE evidence_id = $1 ORDER BY at, id`, []any{itemID}, func(e Event) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read chain of custody of %s: %w", itemID, err)
	}
	return out, nil
}

// EachEvent calls fn with every custody event of every item, in the order
// they were recorded, for verification: each event's ContentHash must be
// the one its audit log entry (AuditIndex) vouches for.
func EachEvent(ctx context.Context, q db.Querier, fn func(Event) error) error {
	return scanEvents(ctx, q, `ORDER BY audit_index`, nil, fn)
}

func scanEvents(ctx context.Context, q db.Querier, where string, args []any, fn func(Event) error) error {
	rows, err := q.Query(ctx, `SELECT id, evidence_id, kind, performed_by, recipient, at, place, purpose, sha256, hash_source,
		notes, recorded_at, recorded_by, audit_index FROM custody_events `+where, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		var at, recorded string
		var index int64
		if err := rows.Scan(&e.ID, &e.EvidenceID, &e.Kind, &e.By, &e.Recipient, &at, &e.Place, &e.Purpose, &e.SHA256,
			&e.HashSource, &e.Notes, &recorded, &e.RecordedBy, &index); err != nil {
			return err
		}
		if e.At, err = db.ParseTime(at); err != nil {
			return err
		}
		if e.RecordedAt, err = db.ParseTime(recorded); err != nil {
			return err
		}
		e.AuditIndex = uint64(index)
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}
