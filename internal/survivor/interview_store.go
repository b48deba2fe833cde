package survivor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

func today() string { return db.Now().Format("2006-01-02") }

// AddInterview stores a new interview of a survivor, sealing its testimony
// (if any) and indexing its words for search. Every interview after the
// first must say why it is needed (FurtherReason): survivors are not
// interviewed again without need. An interview added as complete must meet
// every mandatory safeguard, as CompleteInterview checks.
func (s *Store) AddInterview(ctx context.Context, who Access, iv *Interview, testimony string) error {
	iv.normalize()
	iv.HasTestimony = false
	errs := iv.validate(today())
	errs.MaxLength("testimony", testimony, maxTestimony)
	if err := errs.Err(); err != nil {
		return err
	}
	testimony = strings.TrimSpace(testimony)
	if testimony != "" {
		if err := who.permit(); err != nil {
			return err
		}
		if err := s.needSealer(); err != nil {
			return err
		}
	}
	return s.db.Write(ctx, func(tx *db.Tx) error {
		sv, err := get(ctx, tx, `s.id = $1`, iv.SurvivorID)
		if errors.Is(err, db.ErrNotFound) {
			return record.Errors{{Field: "survivor_id", Code: "not_found", Message: "no survivor has this ID"}}
		}
		if err != nil {
			return err
		}
		if sv.Erased() {
			return ErrErased
		}
		iv.Child = iv.Child || sv.ChildAtInterview
		earlier, err := interviewsOf(ctx, tx, sv.ID)
		if err != nil {
			return err
		}
		if len(earlier) > 0 && iv.FurtherReason == "" {
			return record.Errors{{Field: "further_reason", Code: "further_interview", Message: fmt.Sprintf(
				"this survivor was already interviewed %s (%s); interview again only if it is needed, and say why",
				times(len(earlier)), describeEarlier(earlier))}}
		}
		if iv.Status == Complete {
			if err := s.checkComplete(ctx, tx, sv, iv, earlier); err != nil {
				return err
			}
		}
		record.Stamp(ctx, &iv.Meta, record.Created)
		var sealed []byte
		if testimony != "" {
			if sealed, err = s.sealTestimony(ctx, tx, iv, testimony); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO survivor_interviews (id, survivor_id, held_on, interviewer, interviewer_sex,
			interpreter, language, place, child, safeguards, further_reason, status, sealed_testimony,
			version, created_at, created_by, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
			iv.ID, iv.SurvivorID, iv.HeldOn, iv.Interviewer, string(iv.InterviewerSex), iv.Interpreter, iv.Language,
			iv.Place, iv.Child, joinList(iv.Safeguards), iv.FurtherReason, string(iv.Status), sealed,
			iv.Version, db.FormatTime(iv.CreatedAt), iv.CreatedBy, db.FormatTime(iv.UpdatedAt), iv.UpdatedBy)
		if err != nil {
			return fmt.Errorf("store interview: %w", db.Explain(err))
		}
		if testimony != "" {
			if err := s.indexTestimony(ctx, tx, iv.ID, testimony); err != nil {
				return err
			}
		}
		return record.Append(ctx, tx, InterviewKind, iv.Meta, record.Created, iv, nil)
	})
}

// sealTestimony seals an interview's testimony under the survivor's key.
func (s *Store) sealTestimony(ctx context.Context, tx *db.Tx, iv *Interview, testimony string) ([]byte, error) {
	ct, err := s.sealer.SealTx(ctx, tx, iv.SurvivorID, testimonyField(iv.ID), []byte(testimony))
	if err != nil {
		return nil, fmt.Errorf("seal the testimony: %w", err)
	}
	iv.HasTestimony = true
	return ct, nil
}

// indexTestimony replaces an interview's blind index tokens.
func (s *Store) indexTestimony(ctx context.Context, tx *db.Tx, interviewID, testimony string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM interview_tokens WHERE interview_id = $1`, interviewID); err != nil {
		return fmt.Errorf("index the testimony: %w", err)
	}
	tokens := []string{}
	if testimony != "" {
		tokens = s.sealer.IndexTokens(testimony)
	}
	const batch = 200
	for start := 0; start < len(tokens); start += batch {
		chunk := tokens[start:min(start+batch, len(tokens))]
		args := make([]any, 0, 2*len(chunk))
		for _, t := range chunk {
			args = append(args, t, interviewID)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO interview_tokens (token, interview_id) VALUES `+db.ValuesList(len(chunk), 2), args...); err != nil {
			return fmt.Errorf("index the testimony: %w", err)
		}
	}
	return nil
}

// UpdateInterview stores a changed draft interview (iv.Version is the
// version read). testimony nil keeps the testimony, "" removes it, and any
// other text replaces it. A completed interview is final.
func (s *Store) UpdateInterview(ctx context.Context, who Access, iv *Interview, testimony *string) error {
	iv.normalize()
	errs := iv.validate(today())
	if testimony != nil {
		errs.MaxLength("testimony", *testimony, maxTestimony)
	}
	if err := errs.Err(); err != nil {
		return err
	}
	if testimony != nil {
		if err := who.permit(); err != nil {
			return err
		}
		if err := s.needSealer(); err != nil {
			return err
		}
	}
	return s.db.Write(ctx, func(tx *db.Tx) error {
		previous, err := getInterview(ctx, tx, iv.ID)
		if err != nil {
			return err
		}
		if previous.Status == Complete {
			return record.Errors{{Field: "status", Code: "complete", Message: "the interview is complete; a completed interview is not changed"}}
		}
		if iv.SurvivorID != previous.SurvivorID {
			return record.Errors{{Field: "survivor_id", Code: "read_only", Message: "an interview stays with its survivor"}}
		}
		sv, err := get(ctx, tx, `s.id = $1`, iv.SurvivorID)
		if err != nil {
			return err
		}
		if sv.Erased() && testimony != nil && *testimony != "" {
			return ErrErased
		}
		iv.Child = iv.Child || sv.ChildAtInterview
		earlier, err := otherInterviews(ctx, tx, iv)
		if err != nil {
			return err
		}
		if len(earlier) > 0 && iv.FurtherReason == "" {
			return record.Errors{{Field: "further_reason", Code: "further_interview", Message: fmt.Sprintf(
				"this survivor was already interviewed %s before this interview was recorded (%s); say why it is needed",
				times(len(earlier)), describeEarlier(earlier))}}
		}
		if iv.Status == Complete {
			if err := s.checkComplete(ctx, tx, sv, iv, earlier); err != nil {
				return err
			}
		}
		iv.HasTestimony = previous.HasTestimony
		var sealed []byte
		if testimony == nil {
			if err := tx.QueryRow(ctx, `SELECT sealed_testimony FROM survivor_interviews WHERE id = $1`, iv.ID).Scan(&sealed); err != nil {
				return fmt.Errorf("read interview %s: %w", iv.ID, err)
			}
		} else {
			text := strings.TrimSpace(*testimony)
			iv.HasTestimony = false
			if text != "" {
				if sealed, err = s.sealTestimony(ctx, tx, iv, text); err != nil {
					return err
				}
			}
			if err := s.indexTestimony(ctx, tx, iv.ID, text); err != nil {
				return err
			}
		}
		read := iv.Version
		record.Stamp(ctx, &iv.Meta, record.Updated)
		err = record.UpdateRow(ctx, tx, "survivor_interviews", &iv.Meta, `UPDATE survivor_interviews SET held_on = $1,
			interviewer = $2, interviewer_sex = $3, interpreter = $4, language = $5, place = $6, child = $7,
			safeguards = $8, further_reason = $9, status = $10, sealed_testimony = $11, version = $12,
			updated_at = $13, updated_by = $14 WHERE id = $15 AND version = $16 RETURNING created_at, created_by`,
			iv.HeldOn, iv.Interviewer, string(iv.InterviewerSex), iv.Interpreter, iv.Language, iv.Place, iv.Child,
			joinList(iv.Safeguards), iv.FurtherReason, string(iv.Status), sealed, iv.Version,
			db.FormatTime(iv.UpdatedAt), iv.UpdatedBy, iv.ID, read)
		if err != nil {
			iv.Version = read
			return err
		}
		return record.Append(ctx, tx, InterviewKind, iv.Meta, record.Updated, iv, previous)
	})
}

// CompleteInterview marks a draft interview complete, if every mandatory
// safeguard is met; otherwise it fails with one validation error per
// unmet safeguard (field "safeguards.NAME"), saying why.
func (s *Store) CompleteInterview(ctx context.Context, id string, version int) (*Interview, error) {
	var iv *Interview
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		if iv, err = getInterview(ctx, tx, id); err != nil {
			return err
		}
		if iv.Version != version {
			return db.ErrConflict
		}
		if iv.Status == Complete {
			return nil
		}
		previous := *iv
		sv, err := get(ctx, tx, `s.id = $1`, iv.SurvivorID)
		if err != nil {
			return err
		}
		earlier, err := otherInterviews(ctx, tx, iv)
		if err != nil {
			return err
		}
		iv.Status = Complete
		if err := s.checkComplete(ctx, tx, sv, iv, earlier); err != nil {
			return err
		}
		if iv.HeldOn > today() {
			return record.Errors{{Field: "held_on", Code: "in_future", Message: "is in the future: an interview not yet held cannot be complete"}}
		}
		record.Stamp(ctx, &iv.Meta, record.Updated)
		err = record.UpdateRow(ctx, tx, "survivor_interviews", &iv.Meta, `UPDATE survivor_interviews SET status = $1,
			version = $2, updated_at = $3, updated_by = $4 WHERE id = $5 AND version = $6 RETURNING created_at, created_by`,
			string(iv.Status), iv.Version, db.FormatTime(iv.UpdatedAt), iv.UpdatedBy, iv.ID, version)
		if err != nil {
			return err
		}
		return record.Append(ctx, tx, InterviewKind, iv.Meta, record.Updated, iv, &previous)
	})
	if err != nil {
		return nil, err
	}
	return iv, nil
}

// checkComplete refuses to let an interview be complete while a mandatory
// safeguard is unmet.
func (s *Store) checkComplete(ctx context.Context, tx *db.Tx, sv *Survivor, iv *Interview, earlier []Interview) error {
	histories, err := consentHistories(ctx, tx, sv.ID)
	if err != nil {
		return err
	}
	checks := checklist(situation{interview: *iv, survivor: *sv, earlier: earlier,
		consent: stateOf(currentConsent(histories[sv.ID]), Documentation)})
	return unmet(checks).Err()
}

// Checklist works out the safeguards for an interview as it stands, or as
// it would stand (a draft being written, not yet saved: iv.ID empty).
func (s *Store) Checklist(ctx context.Context, iv Interview) ([]Check, error) {
	iv.normalize()
	sv, err := get(ctx, s.db, `s.id = $1`, iv.SurvivorID)
	if err != nil {
		return nil, err
	}
	iv.Child = iv.Child || sv.ChildAtInterview
	earlier, err := otherInterviews(ctx, s.db, &iv)
	if err != nil {
		return nil, err
	}
	histories, err := consentHistories(ctx, s.db, sv.ID)
	if err != nil {
		return nil, err
	}
	return checklist(situation{interview: iv, survivor: *sv, earlier: earlier,
		consent: stateOf(currentConsent(histories[sv.ID]), Documentation)}), nil
}

const interviewColumns = `id, survivor_id, held_on, interviewer, interviewer_sex, interpreter, language, place, child,
	safeguards, further_reason, status, sealed_testimony IS NOT NULL, version, created_at, created_by, updated_at, updated_by`

func scanInterview(r rowScanner) (*Interview, error) {
	var iv Interview
	var safeguards, created, updated string
	if err := r.Scan(&iv.ID, &iv.SurvivorID, &iv.HeldOn, &iv.Interviewer, &iv.InterviewerSex, &iv.Interpreter,
		&iv.Language, &iv.Place, &iv.Child, &safeguards, &iv.FurtherReason, &iv.Status, &iv.HasTestimony,
		&iv.Version, &created, &iv.CreatedBy, &updated, &iv.UpdatedBy); err != nil {
		return nil, err
	}
	iv.Safeguards = splitList[Safeguard](safeguards)
	if err := iv.SetTimes(created, updated); err != nil {
		return nil, err
	}
	return &iv, nil
}

func getInterview(ctx context.Context, q db.Querier, id string) (*Interview, error) {
	iv, err := scanInterview(q.QueryRow(ctx, `SELECT `+interviewColumns+` FROM survivor_interviews WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read interview %s: %w", id, err)
	}
	// An interview is within reach when its survivor is.
	if _, err := get(ctx, q, `s.id = $1`, iv.SurvivorID); err != nil {
		return nil, err
	}
	return iv, nil
}

// Interview returns one interview (without its testimony: RevealTestimony).
func (s *Store) Interview(ctx context.Context, id string) (*Interview, error) {
	if !record.ValidID(id) {
		return nil, db.ErrNotFound
	}
	return getInterview(ctx, s.db, id)
}

// Interviews lists a survivor's interviews, oldest first.
func (s *Store) Interviews(ctx context.Context, survivorID string) ([]Interview, error) {
	if _, err := s.Get(ctx, survivorID); err != nil {
		return nil, err
	}
	return interviewsOf(ctx, s.db, survivorID)
}

func interviewsOf(ctx context.Context, q db.Querier, survivorID string) ([]Interview, error) {
	rows, err := q.Query(ctx, `SELECT `+interviewColumns+` FROM survivor_interviews WHERE survivor_id = $1
		ORDER BY held_on, created_at, id`, survivorID)
	if err != nil {
		return nil, fmt.Errorf("list interviews: %w", err)
	}
	defer rows.Close()
	out := []Interview{}
	for rows.Next() {
		iv, err := scanInterview(rows)
		if err != nil {
			return nil, fmt.Errorf("list interviews: %w", err)
		}
		out = append(out, *iv)
	}
	return out, rows.Err()
}

// otherInterviews are the survivor's interviews recorded before iv (all of
// them for an interview not yet stored): the first interview needs no
// reason, whatever came after it.
func otherInterviews(ctx context.Context, q db.Querier, iv *Interview) ([]Interview, error) {
	all, err := interviewsOf(ctx, q, iv.SurvivorID)
	if err != nil {
		return nil, err
	}
	var self *Interview
	for i := range all {
		if all[i].ID == iv.ID {
			self = &all[i]
		}
	}
	out := []Interview{}
	for _, o := range all {
		if self != nil && (o.ID == self.ID || !recordedBefore(o, *self)) {
			continue
		}
		out = append(out, o)
	}
	return out, nil
}

// recordedBefore orders interviews by when they were entered (IDs are
// UUIDv7, so they break ties in the same order).
func recordedBefore(a, b Interview) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.ID < b.ID
}
