package survivor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/seal"
)

// AuditReadKind is the kind of audit log entries recording a read of a
// sealed field; their action is "read:FIELD" (or "search:testimony"), their
// subject the survivor's ID, their content hash the SHA-256 of the stated
// purpose.
const AuditReadKind = "sealed-read"

// Outcome is what a recorded read gave.
type Outcome string

const (
	Opened  Outcome = "opened"  // the values were shown
	Gone    Outcome = "erased"  // the survivor was erased: nothing to show
	Matched Outcome = "matched" // a search of testimony found the survivor
)

// Read is one recorded read of a survivor's sealed fields.
type Read struct {
	ID           string    `json:"id"`
	SurvivorID   string    `json:"survivor_id"`
	InterviewIDs []string  `json:"interview_ids"`
	Fields       []Field   `json:"fields"`
	Actor        string    `json:"actor"`
	At           time.Time `json:"at"`
	Purpose      string    `json:"purpose"`
	// PurposeSHA256 is the content hash of the read's audit log entries:
	// printf '%s' "$PURPOSE" | sha256sum.
	PurposeSHA256 string  `json:"purpose_sha256"`
	Outcome       Outcome `json:"outcome"`
	AuditIndex    uint64  `json:"audit_index"`
}

// PurposeHash is the hex SHA-256 of a stated purpose, as the audit log
// records it.
func PurposeHash(purpose string) string {
	sum := sha256.Sum256([]byte(purpose))
	return hex.EncodeToString(sum[:])
}

func checkPurpose(purpose string) error {
	var errs record.Errors
	switch p := strings.TrimSpace(purpose); {
	case p == "":
		errs.Add("purpose", "required", "state why you need to see it: the purpose is recorded with the read")
	case len([]rune(p)) < 10:
		errs.Add("purpose", "too_short", "say in a few words why you need to see it (at least 10 characters)")
	case len([]rune(p)) > 500:
		errs.Add("purpose", "too_long", "must be at most 500 characters")
	}
	return errs.Err()
}

// readRequest is one read of sealed values.
type readRequest struct {
	survivorID   string
	interviewIDs []string
	fields       []Field
	purpose      string
	// open reads the plaintext inside the read's transaction; nil for a
	// search, which opens nothing.
	open func(tx *db.Tx) error
}

// readSealed is the only way sealed values leave the store, and the only
// place a search of them is answered: it checks who asks (Access), that a
// purpose is stated, records the read in sealed_reads and in the audit log,
// and opens the values — all in one transaction, so that no value is shown
// whose read was not recorded. An erased survivor's read is recorded too
// (outcome "erased") and opens nothing.
func (s *Store) readSealed(ctx context.Context, who Access, req readRequest) (Read, error) {
	if err := who.permit(); err != nil {
		return Read{}, err
	}
	if err := s.needSealer(); err != nil {
		return Read{}, err
	}
	if err := checkPurpose(req.purpose); err != nil {
		return Read{}, err
	}
	rd := Read{ID: record.NewID(), SurvivorID: req.survivorID, InterviewIDs: req.interviewIDs, Fields: req.fields,
		Actor: who.Actor, Purpose: strings.TrimSpace(req.purpose), Outcome: Opened}
	if rd.InterviewIDs == nil {
		rd.InterviewIDs = []string{}
	}
	rd.PurposeSHA256 = PurposeHash(rd.Purpose)
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		sv, err := get(ctx, tx, `s.id = $1`, req.survivorID)
		if err != nil {
			return err
		}
		switch {
		case req.open == nil:
			rd.Outcome = Matched
		case sv.Erased():
			rd.Outcome = Gone
		}
		rd.At = db.Now()
		action := "read:"
		if rd.Outcome == Matched {
			action = "search:"
		}
		for i, f := range rd.Fields {
			idx, err := audit.Append(ctx, tx, audit.Entry{At: rd.At, Actor: rd.Actor, Kind: AuditReadKind,
				Subject: rd.SurvivorID, Action: action + string(f), ContentHash: rd.PurposeSHA256})
			if err != nil {
				return err
			}
			if i == 0 {
				rd.AuditIndex = idx
			}
		}
		if rd.Outcome == Opened {
			if err := req.open(tx); err != nil {
				if !errors.Is(err, seal.ErrShredded) {
					return err
				}
				rd.Outcome = Gone
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO sealed_reads (id, survivor_id, interview_id, fields, actor, at, purpose, outcome, audit_index)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			rd.ID, rd.SurvivorID, strings.Join(rd.InterviewIDs, ","), joinList(rd.Fields), rd.Actor, db.FormatTime(rd.At),
			rd.Purpose, string(rd.Outcome), int64(rd.AuditIndex))
		if err != nil {
			return fmt.Errorf("record the read: %w", err)
		}
		return nil
	})
	return rd, err
}

// Revealed is a survivor's identity as opened for one read.
type Revealed struct {
	SurvivorID string   `json:"survivor_id"`
	Code       string   `json:"code"`
	Identity   Identity `json:"identity"`
	// Fields are the fields asked for; those without a value were never
	// recorded.
	Fields []Field `json:"fields"`
	// Erased: the survivor's data key was destroyed; no value can be shown.
	Erased bool `json:"erased"`
	Read   Read `json:"read"`
}

// Reveal opens a survivor's sealed identity fields (all of them when none
// are named) for who, recording the read with its purpose.
func (s *Store) Reveal(ctx context.Context, who Access, survivorID, purpose string, fields ...Field) (*Revealed, error) {
	if len(fields) == 0 {
		fields = IdentityFields
	}
	var errs record.Errors
	for i, f := range fields {
		if _, ok := sealedColumns[f]; !ok {
			errs.Add(fmt.Sprintf("fields[%d]", i), "not_allowed", "is not an identity field: name, contact, residence or identifying_details")
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	fields = sortedFields(compact(fields))
	sv, err := s.Get(ctx, survivorID)
	if err != nil {
		return nil, err
	}
	out := &Revealed{SurvivorID: sv.ID, Code: sv.Code, Fields: fields}
	out.Read, err = s.readSealed(ctx, who, readRequest{survivorID: sv.ID, fields: fields, purpose: purpose,
		open: func(tx *db.Tx) error {
			sealed, err := sealedValues(ctx, tx, sv.ID)
			if err != nil {
				return err
			}
			for _, f := range fields {
				ct := sealed[f]
				if ct == nil {
					continue
				}
				pt, err := s.sealer.OpenTx(ctx, tx, sv.ID, sealField(f), ct)
				if err != nil {
					return fmt.Errorf("open the survivor's %s: %w", f, err)
				}
				out.Identity.set(f, string(pt))
			}
			return nil
		}})
	if err != nil {
		return nil, err
	}
	if out.Read.Outcome == Gone {
		out.Erased, out.Identity = true, Identity{}
	}
	return out, nil
}

// RevealedTestimony is an interview's testimony as opened for one read.
type RevealedTestimony struct {
	InterviewID string `json:"interview_id"`
	SurvivorID  string `json:"survivor_id"`
	Text        string `json:"text"`
	// Erased: the survivor's data key was destroyed.
	Erased bool `json:"erased"`
	Read   Read `json:"read"`
}

// RevealTestimony opens an interview's sealed testimony for who, recording
// the read with its purpose.
func (s *Store) RevealTestimony(ctx context.Context, who Access, interviewID, purpose string) (*RevealedTestimony, error) {
	iv, err := s.Interview(ctx, interviewID)
	if err != nil {
		return nil, err
	}
	out := &RevealedTestimony{InterviewID: iv.ID, SurvivorID: iv.SurvivorID}
	out.Read, err = s.readSealed(ctx, who, readRequest{survivorID: iv.SurvivorID, interviewIDs: []string{iv.ID},
		fields: []Field{Testimony}, purpose: purpose,
		open: func(tx *db.Tx) error {
			var ct []byte
			if err := tx.QueryRow(ctx, `SELECT sealed_testimony FROM survivor_interviews WHERE id = $1`, iv.ID).Scan(&ct); err != nil {
				return fmt.Errorf("read the testimony of interview %s: %w", iv.ID, err)
			}
			if ct == nil {
				return nil
			}
			pt, err := s.sealer.OpenTx(ctx, tx, iv.SurvivorID, testimonyField(iv.ID), ct)
			if err != nil {
				return fmt.Errorf("open the testimony of interview %s: %w", iv.ID, err)
			}
			out.Text = string(pt)
			return nil
		}})
	if err != nil {
		return nil, err
	}
	if out.Read.Outcome == Gone {
		out.Erased, out.Text = true, ""
	}
	return out, nil
}

// Match is an interview whose testimony holds every word searched for.
type Match struct {
	SurvivorID  string `json:"survivor_id"`
	Code        string `json:"code"`
	InterviewID string `json:"interview_id"`
	HeldOn      string `json:"held_on"`
}

// maxMatches bounds a search's answer.
const maxMatches = 200

// Search finds the interviews whose sealed testimony contains every word
// of query (whole words, folded as docs/sealing.md describes), through the
// blind index: nothing is decrypted. A search reveals that those survivors'
// testimony holds the words, so it needs the same access as reading them,
// states a purpose, and is recorded as a read of each survivor found.
func (s *Store) Search(ctx context.Context, who Access, query, purpose string) ([]Match, error) {
	if err := who.permit(); err != nil {
		return nil, err
	}
	if err := s.needSealer(); err != nil {
		return nil, err
	}
	if err := checkPurpose(purpose); err != nil {
		return nil, err
	}
	tokens := s.sealer.QueryTokens(query)
	if len(tokens) == 0 {
		return nil, record.Errors{{Field: "query", Code: "required", Message: "give at least one word to search for"}}
	}
	if len(tokens) > 20 {
		return nil, record.Errors{{Field: "query", Code: "too_many", Message: "search for at most 20 words"}}
	}
	args := make([]any, len(tokens))
	for i, t := range tokens {
		args[i] = t
	}
	rows, err := s.db.Query(ctx, `SELECT s.id, s.code, i.id, i.held_on
		FROM interview_tokens t JOIN survivor_interviews i ON i.id = t.interview_id JOIN survivors s ON s.id = i.survivor_id
		WHERE t.token IN (`+db.Placeholders(1, len(args))+`) AND s.erased_at = ''
		GROUP BY s.id, s.code, i.id, i.held_on HAVING COUNT(*) = `+fmt.Sprint(len(tokens))+`
		ORDER BY s.code, i.held_on, i.id LIMIT `+fmt.Sprint(maxMatches), args...)
	if err != nil {
		return nil, fmt.Errorf("search testimony: %w", err)
	}
	defer rows.Close()
	out := []Match{}
	for rows.Next() {
		var m Match
		if err := rows.Scan(&m.SurvivorID, &m.Code, &m.InterviewID, &m.HeldOn); err != nil {
			return nil, fmt.Errorf("search testimony: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search testimony: %w", err)
	}
	rows.Close()
	// Only the testimony of survivors within the searcher's cases.
	codes, all, err := reachableCodes(ctx, s.db)
	if err != nil {
		return nil, err
	}
	if !all {
		kept := out[:0]
		for _, m := range out {
			if codes[m.Code] {
				kept = append(kept, m)
			}
		}
		out = kept
	}
	bySurvivor := map[string][]string{}
	var order []string
	for _, m := range out {
		if _, seen := bySurvivor[m.SurvivorID]; !seen {
			order = append(order, m.SurvivorID)
		}
		bySurvivor[m.SurvivorID] = append(bySurvivor[m.SurvivorID], m.InterviewID)
	}
	for _, id := range order {
		if _, err := s.readSealed(ctx, who, readRequest{survivorID: id, interviewIDs: bySurvivor[id],
			fields: []Field{Testimony}, purpose: purpose}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Reads lists the recorded reads of a survivor's sealed fields, newest
// first: what auditors review.
// Auditors read them across cases: the list holds who read what and why,
// never a sealed value.
func (s *Store) Reads(ctx context.Context, survivorID string) ([]Read, error) {
	rows, err := s.db.Query(ctx, `SELECT id, survivor_id, interview_id, fields, actor, at, purpose, outcome, audit_index
		FROM sealed_reads WHERE survivor_id = $1 ORDER BY at DESC, id DESC`, survivorID)
	if err != nil {
		return nil, fmt.Errorf("list reads: %w", err)
	}
	defer rows.Close()
	out := []Read{}
	for rows.Next() {
		var r Read
		var interviews, fields, at string
		var idx int64
		if err := rows.Scan(&r.ID, &r.SurvivorID, &interviews, &fields, &r.Actor, &at, &r.Purpose, &r.Outcome, &idx); err != nil {
			return nil, fmt.Errorf("list reads: %w", err)
		}
		if r.At, err = db.ParseTime(at); err != nil {
			return nil, err
		}
		r.InterviewIDs = splitList[string](interviews)
		r.Fields = splitList[Field](fields)
		r.AuditIndex = uint64(idx)
		r.PurposeSHA256 = PurposeHash(r.Purpose)
		out = append(out, r)
	}
	return out, rows.Err()
}

// sortedFields keeps fields in the order forms show them.
func sortedFields(fs []Field) []Field {
	order := append(slices.Clone(IdentityFields), Testimony)
	out := slices.Clone(fs)
	slices.SortFunc(out, func(a, b Field) int { return slices.Index(order, a) - slices.Index(order, b) })
	return out
}
