package survivor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// RecordConsent adds an entry to a survivor's consent history and to the
// audit log, in one transaction. A withdrawal is refused unless consent to
// the use stands given.
func (s *Store) RecordConsent(ctx context.Context, c *Consent) error {
	return s.db.Write(ctx, func(tx *db.Tx) error { return recordConsent(ctx, tx, c) })
}

// Withdraw withdraws consent to each use given (every use consented to,
// when none is given) in one transaction, and returns the entries added.
// Uses not consented to are left as they stand.
func (s *Store) Withdraw(ctx context.Context, survivorID string, uses []Use, on, language, takenBy string) ([]Consent, error) {
	var added []Consent
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		added = nil
		var err error
		added, err = withdraw(ctx, tx, survivorID, uses, on, language, takenBy)
		return err
	})
	return added, err
}

func withdraw(ctx context.Context, tx *db.Tx, survivorID string, uses []Use, on, language, takenBy string) ([]Consent, error) {
	if err := lockSurvivor(ctx, tx, survivorID); err != nil {
		return nil, err
	}
	histories, err := consentHistories(ctx, tx, survivorID)
	if err != nil {
		return nil, err
	}
	states := currentConsent(histories[survivorID])
	explicit := len(uses) > 0
	if !explicit {
		for _, st := range states {
			if st.Allows() {
				uses = append(uses, st.Use)
			}
		}
	}
	var added []Consent
	for i, u := range uses {
		if !explicit && !stateOf(states, u).Allows() {
			continue
		}
		c := Consent{SurvivorID: survivorID, Use: u, Decision: Withdrawn, On: on, Language: language, TakenBy: takenBy}
		if err := recordConsent(ctx, tx, &c); err != nil {
			if errs, ok := record.AsErrors(err); ok && len(uses) > 1 {
				return nil, errs.Prefixed(fmt.Sprintf("uses[%d].", i))
			}
			return nil, err
		}
		added = append(added, c)
	}
	return added, nil
}

// lockSurvivor checks the survivor exists and, on PostgreSQL, holds their
// row until the transaction ends, so that consent entries are numbered in
// turn. (SQLite's writer is exclusive already.)
func lockSurvivor(ctx context.Context, tx *db.Tx, id string) error {
	query := `SELECT code FROM survivors WHERE id = $1`
	if tx.Dialect() == db.Postgres {
		query += ` FOR UPDATE`
	}
	var code string
	err := tx.QueryRow(ctx, query, id).Scan(&code)
	if err == nil {
		// Out of the writer's cases: as if it did not exist.
		ok, rerr := reachable(ctx, tx, code)
		if rerr != nil {
			return rerr
		}
		if !ok {
			return db.ErrNotFound
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return db.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("look up survivor %s: %w", id, err)
	}
	return nil
}

func recordConsent(ctx context.Context, tx *db.Tx, c *Consent) error {
	c.normalize()
	if errs := c.validate(db.Now().Format("2006-01-02")); len(errs) > 0 {
		return errs
	}
	if err := lockSurvivor(ctx, tx, c.SurvivorID); err != nil {
		return err
	}
	histories, err := consentHistories(ctx, tx, c.SurvivorID)
	if err != nil {
		return err
	}
	history := histories[c.SurvivorID]
	if c.Decision == Withdrawn {
		st := stateOf(currentConsent(history), c.Use)
		if !st.Allows() {
			return record.Errors{{Field: "decision", Code: "nothing_to_withdraw",
				Message: fmt.Sprintf("there is no consent to withdraw: %s", st.Reason())}}
		}
		if c.On < st.On {
			return record.Errors{{Field: "on", Code: "before_consent",
				Message: fmt.Sprintf("is before the consent it withdraws (given on %s)", st.On)}}
		}
	}
	seq := len(history) + 1
	c.ID = record.NewID()
	c.RecordedAt = db.Now()
	c.RecordedBy = record.Actor(ctx)
	c.AuditIndex = 0
	hash, err := audit.HashJSON(c)
	if err != nil {
		return err
	}
	c.AuditIndex, err = audit.Append(ctx, tx, audit.Entry{At: c.RecordedAt, Actor: c.RecordedBy, Kind: AuditConsentKind,
		Subject: c.SurvivorID, Action: string(c.Use) + ":" + string(c.Decision), ContentHash: hash})
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO survivor_consents (id, survivor_id, seq, consent_use, decision, decided_on,
		language, taken_by, recorded_at, recorded_by, audit_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		c.ID, c.SurvivorID, seq, string(c.Use), string(c.Decision), c.On, c.Language, c.TakenBy,
		db.FormatTime(c.RecordedAt), c.RecordedBy, int64(c.AuditIndex))
	if err != nil {
		return fmt.Errorf("record consent: %w", db.Explain(err))
	}
	return nil
}

// consentHistories reads the consent histories of one survivor (or of all,
// with id ""), each in the order recorded.
func consentHistories(ctx context.Context, q db.Querier, id string) (map[string][]Consent, error) {
	query := `SELECT id, survivor_id, consent_use, decision, decided_on, language, taken_by, recorded_at, recorded_by, audit_index
		FROM survivor_consents`
	var args []any
	if id != "" {
		query += ` WHERE survivor_id = $1`
		args = append(args, id)
	}
	rows, err := q.Query(ctx, query+` ORDER BY survivor_id, seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("read consent: %w", err)
	}
	defer rows.Close()
	out := map[string][]Consent{}
	for rows.Next() {
		var c Consent
		var at string
		var idx int64
		if err := rows.Scan(&c.ID, &c.SurvivorID, &c.Use, &c.Decision, &c.On, &c.Language, &c.TakenBy, &at, &c.RecordedBy, &idx); err != nil {
			return nil, fmt.Errorf("read consent: %w", err)
		}
		if c.RecordedAt, err = db.ParseTime(at); err != nil {
			return nil, err
		}
		c.AuditIndex = uint64(idx)
		out[c.SurvivorID] = append(out[c.SurvivorID], c)
	}
	return out, rows.Err()
}

// Consents returns a survivor's consent history in the order recorded.
func (s *Store) Consents(ctx context.Context, survivorID string) ([]Consent, error) {
	if _, err := s.Get(ctx, survivorID); err != nil {
		return nil, err
	}
	h, err := consentHistories(ctx, s.db, survivorID)
	if err != nil {
		return nil, err
	}
	if h[survivorID] == nil {
		return []Consent{}, nil
	}
	return h[survivorID], nil
}

// ConsentStatus returns where consent to every use stands for a survivor.
func (s *Store) ConsentStatus(ctx context.Context, survivorID string) ([]ConsentState, error) {
	h, err := s.Consents(ctx, survivorID)
	if err != nil {
		return nil, err
	}
	return currentConsent(h), nil
}

// Allowed reports whether the victim with this pseudonymous code consented
// to the use, and why (or why not), in a sentence fit to show to the user
// who sees a record left out. It is what exports, bundles, statistics and
// sharing ask before they use a victim code:
//
//	ok, reason, err := survivor.Allowed(ctx, tx, act.Victim.Code, survivor.UNSharing)
//	if !ok { act.Victim.Code = ""; excluded = append(excluded, reason) }
//
// A code with no survivor record is not allowed: nobody recorded consent.
// An empty code names nobody, so there is no one whose consent applies; it
// is allowed, with a reason saying so (counted groups and unnamed victims).
// q may be the read pool or the caller's transaction.
func Allowed(ctx context.Context, q db.Querier, victimCode string, use Use) (bool, string, error) {
	v, err := ConsentFor(ctx, q, victimCode, use)
	return v.Allowed, v.Reason, err
}

// ConsentFor is Allowed with the whole verdict: whether a survivor record has
// the code, and where consent to the use stands.
func ConsentFor(ctx context.Context, q db.Querier, victimCode string, use Use) (Verdict, error) {
	if !slices.Contains(Uses, use) {
		return Verdict{}, fmt.Errorf("consent check: %q is not a use of survivor information", use)
	}
	code := strings.TrimSpace(victimCode)
	if code == "" {
		return Verdict{Allowed: true, Reason: "no individual victim is named: there is no one whose consent applies",
			Consent: ConsentState{Use: use}}, nil
	}
	var id string
	err := q.QueryRow(ctx, `SELECT id FROM survivors WHERE code = $1`, code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Verdict{Reason: "no survivor record has this victim code, so no consent was recorded",
			Consent: ConsentState{Use: use}}, nil
	}
	if err != nil {
		return Verdict{}, fmt.Errorf("consent check: %w", err)
	}
	h, err := consentHistories(ctx, q, id)
	if err != nil {
		return Verdict{}, err
	}
	st := stateOf(currentConsent(h[id]), use)
	return Verdict{Allowed: st.Allows(), Reason: st.Reason(), Known: true, SurvivorID: id, Consent: st}, nil
}

// ConsentIndex is ConsentFor for many codes at once: it reads every
// survivor's consent in two queries, for an export or a statistic that
// checks thousands of acts. The verdicts are those of the moment it was
// built.
type ConsentIndex struct {
	use     Use
	byCode  map[string]string // code → survivor ID
	history map[string][]Consent
}

// NewConsentIndex reads the consent of every survivor, for one use.
func NewConsentIndex(ctx context.Context, q db.Querier, use Use) (*ConsentIndex, error) {
	if !slices.Contains(Uses, use) {
		return nil, fmt.Errorf("consent check: %q is not a use of survivor information", use)
	}
	rows, err := q.Query(ctx, `SELECT id, code FROM survivors`)
	if err != nil {
		return nil, fmt.Errorf("consent check: %w", err)
	}
	defer rows.Close()
	ix := &ConsentIndex{use: use, byCode: map[string]string{}}
	for rows.Next() {
		var id, code string
		if err := rows.Scan(&id, &code); err != nil {
			return nil, fmt.Errorf("consent check: %w", err)
		}
		ix.byCode[code] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("consent check: %w", err)
	}
	rows.Close()
	if ix.history, err = consentHistories(ctx, q, ""); err != nil {
		return nil, err
	}
	return ix, nil
}

// Check answers for one victim code, as ConsentFor does.
func (ix *ConsentIndex) Check(victimCode string) Verdict {
	code := strings.TrimSpace(victimCode)
	if code == "" {
		return Verdict{Allowed: true, Reason: "no individual victim is named: there is no one whose consent applies",
			Consent: ConsentState{Use: ix.use}}
	}
	id, ok := ix.byCode[code]
	if !ok {
		return Verdict{Reason: "no survivor record has this victim code, so no consent was recorded", Consent: ConsentState{Use: ix.use}}
	}
	st := stateOf(currentConsent(ix.history[id]), ix.use)
	return Verdict{Allowed: st.Allows(), Reason: st.Reason(), Known: true, SurvivorID: id, Consent: st}
}
