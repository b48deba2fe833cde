package survivor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/seal"
)

// Store reads and writes survivors, their consent, interviews and reads.
type Store struct {
	db     *db.DB
	sealer *seal.Sealer
	// unsealed is why there is no sealer, when it is known.
	unsealed error
}

// NewStore returns a store on d sealing with sealer. A nil sealer leaves
// the store able to read and write everything except sealed values
// (ErrSealingUnavailable).
func NewStore(d *db.DB, sealer *seal.Sealer) *Store { return &Store{db: d, sealer: sealer} }

// ErrSealingUnavailable means the store has no sealer: sealed values can be
// neither written nor read.
var ErrSealingUnavailable = errors.New("sealed fields are unavailable: no key-encryption key is configured")

// ErrErased means the survivor's sealed data was crypto-shredded: nothing
// sealed can be added for them again.
var ErrErased = errors.New("this survivor's identity and testimony were erased; nothing sealed can be recorded for them again")

// Unavailable records why the store has no sealer, for the errors that
// refuse sealed values.
func (s *Store) Unavailable(cause error) *Store {
	s.unsealed = cause
	return s
}

// Sealing reports whether sealed values can be written and read, and if
// not, why.
func (s *Store) Sealing() error { return s.needSealer() }

func (s *Store) needSealer() error {
	if s.sealer != nil {
		return nil
	}
	if s.unsealed != nil {
		return fmt.Errorf("%w: %v", ErrSealingUnavailable, s.unsealed)
	}
	return ErrSealingUnavailable
}

// sealedColumns are the identity fields' columns, in IdentityFields order.
var sealedColumns = map[Field]string{
	Name:      "sealed_name",
	Contact:   "sealed_contact",
	Residence: "sealed_residence",
	Details:   "sealed_details",
}

// sealField names where a sealed value is kept, binding its ciphertext to
// that place: a value copied to another column or row does not open.
func sealField(f Field) string { return string(f) }

func testimonyField(interviewID string) string { return "interview/" + interviewID + "/testimony" }

// Create stores a new survivor and seals the identity given. Sealing needs
// access to identities (Access); a survivor may be created without any.
func (s *Store) Create(ctx context.Context, who Access, sv *Survivor, id Identity) error {
	sv.Normalize()
	errs, _ := record.AsErrors(sv.Validate())
	errs = append(errs, validateIdentity(id)...)
	if err := errs.Err(); err != nil {
		return err
	}
	// Someone working on cases adds survivors behind the acts of their
	// cases only: a survivor no act of theirs names would be out of their
	// reach the moment it was made.
	if ok, err := reachable(ctx, s.db, sv.Code); err != nil {
		return err
	} else if !ok {
		return record.Errors{{Field: "code", Code: "out_of_cases",
			Message: "no act of an incident in your cases has this victim code: record the act first"}}
	}
	sv.ErasedAt, sv.Erasure = nil, ""
	sv.Sealed = []Field{}
	if !id.Empty() {
		if err := who.permit(); err != nil {
			return err
		}
		if err := s.needSealer(); err != nil {
			return err
		}
	}
	return s.db.Write(ctx, func(tx *db.Tx) error {
		record.Stamp(ctx, &sv.Meta, record.Created)
		sealed := map[Field][]byte{}
		for _, f := range IdentityFields {
			v := strings.TrimSpace(id.Get(f))
			if v == "" {
				continue
			}
			ct, err := s.sealer.SealTx(ctx, tx, sv.ID, sealField(f), []byte(v))
			if err != nil {
				return fmt.Errorf("seal the survivor's %s: %w", f, err)
			}
			sealed[f] = ct
			sv.Sealed = append(sv.Sealed, f)
		}
		_, err := tx.Exec(ctx, `INSERT INTO survivors (id, code, sex, age_group, child_at_interview, synthetic,
			sealed_name, sealed_contact, sealed_residence, sealed_details,
			pref_interviewer_sex, pref_languages, pref_contact_by, pref_contact_how, pref_no_contact,
			version, created_at, created_by, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
			sv.ID, sv.Code, string(sv.Sex), string(sv.AgeGroup), sv.ChildAtInterview, sv.Synthetic,
			sealed[Name], sealed[Contact], sealed[Residence], sealed[Details],
			string(sv.Preferences.InterviewerSex), joinList(sv.Preferences.Languages), joinList(sv.Preferences.ContactBy),
			joinList(sv.Preferences.ContactHow), sv.Preferences.NoContact,
			sv.Version, db.FormatTime(sv.CreatedAt), sv.CreatedBy, db.FormatTime(sv.UpdatedAt), sv.UpdatedBy)
		if err != nil {
			if errors.Is(db.Explain(err), db.ErrDuplicate) {
				return record.Errors{{Field: "code", Code: "duplicate", Message: "another survivor has this code"}}
			}
			return fmt.Errorf("store survivor: %w", db.Explain(err))
		}
		return record.Append(ctx, tx, Kind, sv.Meta, record.Created, sv, nil)
	})
}

// Update stores a changed survivor (sv.Version is the version read) and
// applies the identity change: sealing new values, removing emptied ones.
// Whether and when the survivor was erased is kept as stored.
func (s *Store) Update(ctx context.Context, who Access, sv *Survivor, change IdentityChange) error {
	sv.Normalize()
	errs, _ := record.AsErrors(sv.Validate())
	for f, v := range change {
		if _, ok := sealedColumns[f]; !ok {
			errs.Add("identity."+string(f), "not_allowed", "is not an identity field")
			continue
		}
		if v != nil {
			errs.MaxLength("identity."+string(f), *v, maxSealed)
		}
	}
	if err := errs.Err(); err != nil {
		return err
	}
	if len(change) > 0 {
		if err := who.permit(); err != nil {
			return err
		}
		if err := s.needSealer(); err != nil {
			return err
		}
	}
	return s.db.Write(ctx, func(tx *db.Tx) error {
		previous, err := get(ctx, tx, `s.id = $1`, sv.ID)
		if err != nil {
			return err
		}
		if previous.Erased() && len(change) > 0 {
			return ErrErased
		}
		sv.ErasedAt, sv.Erasure = previous.ErasedAt, previous.Erasure
		sealed, err := sealedValues(ctx, tx, sv.ID)
		if err != nil {
			return err
		}
		for _, f := range IdentityFields {
			v, ok := change[f]
			if !ok || v == nil {
				continue
			}
			if strings.TrimSpace(*v) == "" {
				delete(sealed, f)
				continue
			}
			ct, err := s.sealer.SealTx(ctx, tx, sv.ID, sealField(f), []byte(strings.TrimSpace(*v)))
			if err != nil {
				return fmt.Errorf("seal the survivor's %s: %w", f, err)
			}
			sealed[f] = ct
		}
		sv.Sealed = []Field{}
		for _, f := range IdentityFields {
			if sealed[f] != nil {
				sv.Sealed = append(sv.Sealed, f)
			}
		}
		read := sv.Version
		record.Stamp(ctx, &sv.Meta, record.Updated)
		err = record.UpdateRow(ctx, tx, "survivors", &sv.Meta, `UPDATE survivors SET code = $1, sex = $2, age_group = $3,
			child_at_interview = $4, synthetic = $5, sealed_name = $6, sealed_contact = $7, sealed_residence = $8,
			sealed_details = $9, pref_interviewer_sex = $10, pref_languages = $11, pref_contact_by = $12,
			pref_contact_how = $13, pref_no_contact = $14, version = $15, updated_at = $16, updated_by = $17
			WHERE id = $18 AND version = $19 RETURNING created_at, created_by`,
			sv.Code, string(sv.Sex), string(sv.AgeGroup), sv.ChildAtInterview, sv.Synthetic,
			sealed[Name], sealed[Contact], sealed[Residence], sealed[Details],
			string(sv.Preferences.InterviewerSex), joinList(sv.Preferences.Languages), joinList(sv.Preferences.ContactBy),
			joinList(sv.Preferences.ContactHow), sv.Preferences.NoContact,
			sv.Version, db.FormatTime(sv.UpdatedAt), sv.UpdatedBy, sv.ID, read)
		if err != nil {
			sv.Version = read
			if errors.Is(err, db.ErrDuplicate) {
				return record.Errors{{Field: "code", Code: "duplicate", Message: "another survivor has this code"}}
			}
			return err
		}
		return record.Append(ctx, tx, Kind, sv.Meta, record.Updated, sv, previous)
	})
}

// sealedValues reads a survivor's identity ciphertexts.
func sealedValues(ctx context.Context, q db.Querier, id string) (map[Field][]byte, error) {
	var name, contact, residence, details []byte
	err := q.QueryRow(ctx, `SELECT sealed_name, sealed_contact, sealed_residence, sealed_details FROM survivors WHERE id = $1`, id).
		Scan(&name, &contact, &residence, &details)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read survivor %s: %w", id, err)
	}
	out := map[Field][]byte{}
	for f, v := range map[Field][]byte{Name: name, Contact: contact, Residence: residence, Details: details} {
		if v != nil {
			out[f] = v
		}
	}
	return out, nil
}

const survivorColumns = `s.id, s.code, s.sex, s.age_group, s.child_at_interview, s.synthetic,
	s.sealed_name IS NOT NULL, s.sealed_contact IS NOT NULL, s.sealed_residence IS NOT NULL, s.sealed_details IS NOT NULL,
	s.pref_interviewer_sex, s.pref_languages, s.pref_contact_by, s.pref_contact_how, s.pref_no_contact,
	s.erased_at, s.erasure_reason, s.version, s.created_at, s.created_by, s.updated_at, s.updated_by`

type rowScanner interface{ Scan(...any) error }

func scanSurvivor(r rowScanner) (*Survivor, error) {
	var sv Survivor
	var has [4]bool
	var langs, by, how, erased, created, updated string
	if err := r.Scan(&sv.ID, &sv.Code, &sv.Sex, &sv.AgeGroup, &sv.ChildAtInterview, &sv.Synthetic,
		&has[0], &has[1], &has[2], &has[3],
		&sv.Preferences.InterviewerSex, &langs, &by, &how, &sv.Preferences.NoContact,
		&erased, &sv.Erasure, &sv.Version, &created, &sv.CreatedBy, &updated, &sv.UpdatedBy); err != nil {
		return nil, err
	}
	sv.Sealed = []Field{}
	for i, f := range IdentityFields {
		if has[i] {
			sv.Sealed = append(sv.Sealed, f)
		}
	}
	sv.Preferences.Languages = splitList[string](langs)
	sv.Preferences.ContactBy = splitList[ContactRole](by)
	sv.Preferences.ContactHow = splitList[Channel](how)
	if erased != "" {
		t, err := db.ParseTime(erased)
		if err != nil {
			return nil, err
		}
		sv.ErasedAt = &t
	}
	if err := sv.SetTimes(created, updated); err != nil {
		return nil, err
	}
	return &sv, nil
}

func joinList[T ~string](list []T) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = string(v)
	}
	return strings.Join(parts, ",")
}

func splitList[T ~string](s string) []T {
	out := []T{}
	if s == "" {
		return out
	}
	for _, p := range strings.Split(s, ",") {
		out = append(out, T(p))
	}
	return out
}

func init() {
	record.RegisterCurrent(Kind, func(ctx context.Context, q db.Querier, id string) (any, error) {
		return get(ctx, q, `s.id = $1`, id)
	})
	record.RegisterEach(Kind, record.EachByID(Kind, "survivors"))
	record.RegisterCurrent(InterviewKind, func(ctx context.Context, q db.Querier, id string) (any, error) {
		return getInterview(ctx, q, id)
	})
	record.RegisterEach(InterviewKind, record.EachByID(InterviewKind, "survivor_interviews"))
}

func get(ctx context.Context, q db.Querier, where string, arg string) (*Survivor, error) {
	sv, err := scanSurvivor(q.QueryRow(ctx, `SELECT `+survivorColumns+` FROM survivors s WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read survivor: %w", err)
	}
	if ok, err := reachable(ctx, q, sv.Code); err != nil {
		return nil, err
	} else if !ok {
		return nil, db.ErrNotFound
	}
	return sv, nil
}

// Get returns a survivor by ID.
func (s *Store) Get(ctx context.Context, id string) (*Survivor, error) {
	if !record.ValidID(id) {
		return nil, db.ErrNotFound
	}
	return get(ctx, s.db, `s.id = $1`, id)
}

// GetForAudit returns a survivor (no sealed value) whatever the caller's
// cases: reviewing who read sealed fields spans cases, and is gated by the
// audit permission instead.
func (s *Store) GetForAudit(ctx context.Context, id string) (*Survivor, error) {
	return s.Get(record.WithoutCaseScope(ctx), id)
}

// GetByCode returns the survivor with this pseudonymous code.
func (s *Store) GetByCode(ctx context.Context, code string) (*Survivor, error) {
	return get(ctx, s.db, `s.code = $1`, strings.TrimSpace(code))
}

// Find returns a survivor by ID or by code, as a person types either.
func (s *Store) Find(ctx context.Context, ref string) (*Survivor, error) {
	ref = strings.TrimSpace(ref)
	if record.ValidID(ref) {
		sv, err := s.Get(ctx, ref)
		if !errors.Is(err, db.ErrNotFound) {
			return sv, err
		}
	}
	return s.GetByCode(ctx, ref)
}

// Summary is a survivor as lists show them: with where consent stands and
// how many interviews there are.
type Summary struct {
	Survivor
	Consent    []ConsentState `json:"consent"`
	Interviews int            `json:"interviews"`
}

// List returns every survivor, by code, with their consent and interview
// counts.
func (s *Store) List(ctx context.Context) ([]Summary, error) {
	rows, err := s.db.Query(ctx, `SELECT `+survivorColumns+`,
		(SELECT COUNT(*) FROM survivor_interviews i WHERE i.survivor_id = s.id)
		FROM survivors s ORDER BY s.code`)
	if err != nil {
		return nil, fmt.Errorf("list survivors: %w", err)
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		var n int
		sv, err := scanSurvivor(scanPlus{rows, &n})
		if err != nil {
			return nil, fmt.Errorf("list survivors: %w", err)
		}
		out = append(out, Summary{Survivor: *sv, Interviews: n})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list survivors: %w", err)
	}
	rows.Close()
	codes, all, err := reachableCodes(ctx, s.db)
	if err != nil {
		return nil, err
	}
	if !all {
		kept := out[:0]
		for _, sm := range out {
			if codes[sm.Code] {
				kept = append(kept, sm)
			}
		}
		out = kept
	}
	history, err := consentHistories(ctx, s.db, "")
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Consent = currentConsent(history[out[i].ID])
	}
	return out, nil
}

// scanPlus scans a survivor row followed by more columns.
type scanPlus struct {
	r    rowScanner
	more *int
}

func (p scanPlus) Scan(dest ...any) error { return p.r.Scan(append(dest, p.more)...) }

// Detail is everything a survivor's page shows, sealed values apart.
type Detail struct {
	Survivor
	Consent        []ConsentState       `json:"consent"`
	ConsentHistory []Consent            `json:"consent_history"`
	Interviews     []Interview          `json:"interviews"`
	Acts           []incident.VictimAct `json:"acts"`
}

// Detail returns a survivor with their consent, interviews and acts.
func (s *Store) Detail(ctx context.Context, id string) (*Detail, error) {
	sv, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &Detail{Survivor: *sv}
	histories, err := consentHistories(ctx, s.db, sv.ID)
	if err != nil {
		return nil, err
	}
	d.ConsentHistory = histories[sv.ID]
	if d.ConsentHistory == nil {
		d.ConsentHistory = []Consent{}
	}
	d.Consent = currentConsent(d.ConsentHistory)
	if d.Interviews, err = interviewsOf(ctx, s.db, sv.ID); err != nil {
		return nil, err
	}
	if d.Acts, err = incident.ActsOfVictim(ctx, s.db, sv.Code); err != nil {
		return nil, err
	}
	return d, nil
}
