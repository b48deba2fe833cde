package survivor

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// AuditShredKind is the kind of the audit log entry recording that a
// survivor's data key was destroyed. It holds only hashes.
const AuditShredKind = "shred"

// Erasure is a survivor's request to be erased, as recorded: why, on which
// day, in which language it was discussed, and who took it.
type Erasure struct {
	Reason   ErasureReason `json:"reason"`
	On       string        `json:"on"`
	Language string        `json:"language"`
	TakenBy  string        `json:"taken_by"`
}

func (e *Erasure) validate() record.Errors {
	e.On, e.Language, e.TakenBy = strings.TrimSpace(e.On), strings.TrimSpace(e.Language), strings.TrimSpace(e.TakenBy)
	var errs record.Errors
	record.OneOf(&errs, "reason", e.Reason, ErasureReasons)
	// The same checks as a consent entry: a full withdrawal becomes one.
	c := Consent{Use: Documentation, Decision: Withdrawn, On: e.On, Language: e.Language, TakenBy: e.TakenBy}
	for _, fe := range c.validate(today()) {
		if fe.Field != "use" && fe.Field != "decision" {
			errs = append(errs, fe)
		}
	}
	return errs
}

// ErasureHook is told, inside the transaction that erases a survivor and
// after their data key is shredded, that the survivor is being erased at
// the instant given: what another domain keeps under the survivor's keys
// (evidence files) is marked destroyed in the same transaction, or the
// erasure fails.
type ErasureHook func(ctx context.Context, tx *db.Tx, survivorID string, at time.Time) error

var (
	hooksMu      sync.Mutex
	erasureHooks []ErasureHook
)

// OnErase registers hook for every erasure, from the init function of a
// package that keeps things of survivors (internal/evidence): an erasure
// must reach them whichever process performs it.
func OnErase(hook ErasureHook) {
	hooksMu.Lock()
	defer hooksMu.Unlock()
	erasureHooks = append(erasureHooks, hook)
}

func hooks() []ErasureHook {
	hooksMu.Lock()
	defer hooksMu.Unlock()
	return append([]ErasureHook(nil), erasureHooks...)
}

// Lookup returns the survivor with this ID, for another domain that refers
// to one (an evidence file tied to a survivor): db.ErrNotFound when there is
// none, or it is outside the cases ctx reaches.
func Lookup(ctx context.Context, q db.Querier, id string) (*Survivor, error) {
	if !record.ValidID(id) {
		return nil, db.ErrNotFound
	}
	return get(ctx, q, `s.id = $1`, id)
}

// Hold is Lookup inside a write transaction that is about to keep something
// under the survivor's keys: on PostgreSQL the survivor's row is
// share-locked until tx ends, so an erasure waits for tx and then sees what
// it kept, or tx sees the erasure. (SQLite's writer is exclusive already.)
func Hold(ctx context.Context, tx *db.Tx, id string) (*Survivor, error) {
	if !record.ValidID(id) {
		return nil, db.ErrNotFound
	}
	where := `s.id = $1`
	if tx.Dialect() == db.Postgres {
		where += ` FOR SHARE`
	}
	return get(ctx, tx, where, id)
}

// Erase crypto-shreds a survivor: their data key is destroyed, so their
// sealed identity and testimony can never be opened again — here, in other
// processes, and in backups once the key-encryption key is rotated
// (docs/sealing.md). Evidence files tied to them, sealed with a key their
// data key wraps, go with it (the hooks registered by OnErase record it).
// The blind index of their testimony is deleted. What identifies no one
// stays: the code, sex and age group, preferences, the consent history, the
// interviews' logistics, the reads. A full withdrawal also withdraws every
// use consented to, in the same transaction. The audit log records the
// shredding with a hash of the request only.
func (s *Store) Erase(ctx context.Context, id string, e Erasure) (*Survivor, error) {
	if errs := e.validate(); len(errs) > 0 {
		return nil, errs
	}
	if err := s.needSealer(); err != nil {
		return nil, err
	}
	var sv *Survivor
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		// The row first: what is being kept under the survivor's keys by a
		// transaction holding it (Hold) is committed before the hooks look.
		if err := lockSurvivor(ctx, tx, id); err != nil {
			return err
		}
		previous, err := get(ctx, tx, `s.id = $1`, id)
		if err != nil {
			return err
		}
		if previous.Erased() {
			return record.Errors{{Field: "survivor", Code: "erased", Message: "this survivor was erased already"}}
		}
		if e.Reason == FullWithdrawal {
			if _, err := withdraw(ctx, tx, id, nil, e.On, e.Language, e.TakenBy); err != nil {
				return err
			}
		}
		if err := s.sealer.ShredTx(ctx, tx, id); err != nil {
			return err
		}
		now := db.Now()
		for _, hook := range hooks() {
			if err := hook(ctx, tx, id, now); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM interview_tokens WHERE interview_id IN
			(SELECT id FROM survivor_interviews WHERE survivor_id = $1)`, id); err != nil {
			return fmt.Errorf("delete the testimony's search index: %w", err)
		}
		next := *previous
		sv = &next
		sv.ErasedAt, sv.Erasure = &now, e.Reason
		read := sv.Version
		record.Stamp(ctx, &sv.Meta, record.Updated)
		err = record.UpdateRow(ctx, tx, "survivors", &sv.Meta, `UPDATE survivors SET erased_at = $1, erasure_reason = $2,
			version = $3, updated_at = $4, updated_by = $5 WHERE id = $6 AND version = $7 RETURNING created_at, created_by`,
			db.FormatTime(now), string(e.Reason), sv.Version, db.FormatTime(sv.UpdatedAt), sv.UpdatedBy, id, read)
		if err != nil {
			return err
		}
		if err := record.Append(ctx, tx, Kind, sv.Meta, record.Updated, sv, previous); err != nil {
			return err
		}
		hash, err := audit.HashJSON(struct {
			Subject string  `json:"subject"`
			Erasure Erasure `json:"erasure"`
		}{id, e})
		if err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{At: now, Actor: record.Actor(ctx), Kind: AuditShredKind, Subject: id,
			Action: "shredded", ContentHash: hash})
		return err
	})
	if err != nil {
		return nil, err
	}
	// The key's old bytes out of SQLite's files, and what was kept under it
	// deleted (the evidence store listens).
	if err := s.sealer.Shredded(ctx, id); err != nil {
		return sv, fmt.Errorf("the survivor was erased, but: %w", err)
	}
	return sv, nil
}
