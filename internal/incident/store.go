package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// Store reads and writes incidents with their acts and information links.
type Store struct{ db *db.DB }

func NewStore(d *db.DB) *Store { return &Store{db: d} }

// Create validates and stores a new incident.
func (s *Store) Create(ctx context.Context, in *Incident) error {
	return s.db.Write(ctx, func(tx *db.Tx) error { return Insert(ctx, tx, in) })
}

// Insert stores a new incident inside tx. One that names no case is filed
// in the case the context gives for new records (record.WithDefaultCase).
func Insert(ctx context.Context, tx *db.Tx, in *Incident) error {
	if in.CaseID == "" {
		in.CaseID = record.DefaultCase(ctx)
	}
	in.Normalize()
	if err := in.Validate(); err != nil {
		return err
	}
	if err := checkReferences(ctx, tx, in); err != nil {
		return err
	}
	record.Stamp(ctx, &in.Meta, record.Created)
	seq, err := nextSeq(ctx, tx)
	if err != nil {
		return err
	}
	key := listKey(in.Date.Start, seq)
	args := []any{in.ID, in.Title, in.Summary, db.NullIfEmpty(in.SituationID), in.Place.Name, in.Place.AdminArea,
		in.Place.Country, in.Place.Latitude, in.Place.Longitude, string(in.Place.Precision),
		in.Date.Start, in.Date.End, string(in.Date.Precision), string(in.Context), string(in.Status),
		in.Version, db.FormatTime(in.CreatedAt), in.CreatedBy, db.FormatTime(in.UpdatedAt), in.UpdatedBy,
		db.NullIfEmpty(in.CaseID), key, spanDays(in.Date)}
	const insert = `INSERT INTO incidents (id, title, summary, situation_id, place_name, place_admin_area,
		place_country, latitude, longitude, location_precision, date_start, date_end, date_precision, context,
		status, version, created_at, created_by, updated_at, updated_by, case_id, list_key, span_days`
	const values = `$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23`
	if tx.Dialect() == db.Postgres {
		words := incidentWords(in)
		err = tx.ExecLater(ctx, "store an incident", insert+`, search) VALUES (`+values+`, `+fmt.Sprintf(searchWords, `$24`)+`)`,
			append(args, words)...)
		if err == nil && bulkLoadOf(ctx) == nil {
			err = writeWords(ctx, tx, words, key, in.CaseID)
		}
	} else {
		_, err = tx.Exec(ctx, insert+`) VALUES (`+values+`)`, args...)
	}
	if err != nil {
		if errors.Is(db.Explain(err), db.ErrDuplicate) {
			return record.Errors{{Field: "id", Code: "duplicate", Message: "an incident with this ID already exists"}}
		}
		return fmt.Errorf("store incident %q: %w", in.Title, db.Explain(err))
	}
	if err := writeChildren(ctx, tx, in); err != nil {
		return err
	}
	if err := writeFacets(ctx, tx, in, key, 0); err != nil {
		return err
	}
	if tx.Dialect() == db.SQLite && bulkLoadOf(ctx) == nil {
		if err := indexSQLite(ctx, tx, key, in); err != nil {
			return err
		}
	}
	return record.Append(ctx, tx, record.KindIncident, in.Meta, record.Created, in, nil)
}

// Update stores a changed incident, replacing its acts and links with those
// given; in.Version must be the version read.
func (s *Store) Update(ctx context.Context, in *Incident) error {
	in.Normalize()
	if err := in.Validate(); err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *db.Tx) error {
		previous, err := get(ctx, tx, in.ID)
		if err == nil && !record.CaseAllowed(ctx, previous.CaseID) {
			// Outside the cases of whoever asks: as if it did not exist.
			err = fmt.Errorf("incident %s: %w", in.ID, db.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := checkReferences(ctx, tx, in); err != nil {
			return err
		}
		var oldKey int64
		if err := tx.QueryRow(ctx, `SELECT list_key FROM incidents WHERE id = $1`, in.ID).Scan(&oldKey); err != nil {
			return fmt.Errorf("read the list key of incident %s: %w", in.ID, err)
		}
		read := in.Version
		record.Stamp(ctx, &in.Meta, record.Updated)
		args := []any{in.Title, in.Summary, db.NullIfEmpty(in.SituationID), in.Place.Name, in.Place.AdminArea,
			in.Place.Country, in.Place.Latitude, in.Place.Longitude, string(in.Place.Precision),
			in.Date.Start, in.Date.End, string(in.Date.Precision), string(in.Context), string(in.Status),
			in.Version, db.FormatTime(in.UpdatedAt), in.UpdatedBy, in.ID, read, db.NullIfEmpty(in.CaseID), spanDays(in.Date)}
		update := `UPDATE incidents SET title = $1, summary = $2, situation_id = $3, place_name = $4,
			place_admin_area = $5, place_country = $6, latitude = $7, longitude = $8, location_precision = $9,
			date_start = $10, date_end = $11, date_precision = $12, context = $13, status = $14, version = $15,
			updated_at = $16, updated_by = $17, case_id = $20, span_days = $21`
		update += ` WHERE id = $18 AND version = $19`
		var words string
		if tx.Dialect() == db.Postgres {
			words = incidentWords(in)
			if err := deleteWords(ctx, tx, in.ID, oldKey); err != nil {
				return err
			}
			update = strings.Replace(update, ` WHERE`, `, search = `+fmt.Sprintf(searchWords, `$22`)+` WHERE`, 1)
			args = append(args, words)
		}
		if err := record.UpdateRow(ctx, tx, "incidents", &in.Meta, update+` RETURNING created_at, created_by`, args...); err != nil {
			in.Version = read
			return err
		}
		// The incident keeps its number in date order; its day may change.
		key := listKey(in.Date.Start, seqOf(oldKey))
		if key != oldKey {
			if _, err := tx.Exec(ctx, `UPDATE incidents SET list_key = $1 WHERE id = $2`, key, in.ID); err != nil {
				return fmt.Errorf("re-key incident %s: %w", in.ID, err)
			}
		}
		if tx.Dialect() == db.Postgres {
			if err := writeWords(ctx, tx, words, key, in.CaseID); err != nil {
				return err
			}
		} else {
			if _, err := tx.Exec(ctx, `DELETE FROM incident_search WHERE rowid = $1`, oldKey); err != nil {
				return fmt.Errorf("reindex incident %s: %w", in.ID, err)
			}
		}
		for _, q := range []string{`DELETE FROM information_links WHERE incident_id = $1`, `DELETE FROM acts WHERE incident_id = $1`} {
			if _, err := tx.Exec(ctx, q, in.ID); err != nil {
				return fmt.Errorf("replace acts of incident %s: %w", in.ID, err)
			}
		}
		if err := writeChildren(ctx, tx, in); err != nil {
			return err
		}
		if err := writeFacets(ctx, tx, in, key, oldKey); err != nil {
			return err
		}
		if tx.Dialect() == db.SQLite {
			if err := indexSQLite(ctx, tx, key, in); err != nil {
				return fmt.Errorf("reindex incident %s: %w", in.ID, err)
			}
		}
		return record.Append(ctx, tx, record.KindIncident, in.Meta, record.Updated, in, previous)
	})
}

// checkReferences turns a reference to a missing situation, party or source
// into an error naming the field, instead of an engine's constraint failure.
func checkReferences(ctx context.Context, tx *db.Tx, in *Incident) error {
	var errs record.Errors
	check := func(field, table, id string) error {
		ok, err := tx.Exists(ctx, table, id)
		if err == nil && !ok {
			errs.Add(field, "not_found", "no %s has ID %s", referenceNouns[table], id)
		}
		return err
	}
	// Whoever is restricted to cases files incidents only in their own: a
	// case they are not a member of is refused without saying whether it
	// exists.
	_, restricted := record.CaseScope(ctx)
	switch {
	case in.CaseID == "" && restricted:
		errs.Add("case_id", "required", "is required: choose one of the cases you work on")
	case in.CaseID != "" && !record.CaseAllowed(ctx, in.CaseID):
		errs.Add("case_id", "not_allowed", "is not one of the cases you work on")
	case in.CaseID != "":
		if err := check("case_id", "cases", in.CaseID); err != nil {
			return err
		}
	}
	if in.SituationID != "" {
		if err := check("situation_id", "situations", in.SituationID); err != nil {
			return err
		}
	}
	for i, a := range in.Acts {
		for j, p := range a.Perpetrators {
			if p.PartyID != "" {
				if err := check(fmt.Sprintf("acts[%d].perpetrators[%d].party_id", i, j), "parties", p.PartyID); err != nil {
					return err
				}
			}
		}
	}
	for i, l := range in.Information {
		if err := check(fmt.Sprintf("information[%d].source_id", i), "sources", l.SourceID); err != nil {
			return err
		}
	}
	return errs.Err()
}

var referenceNouns = map[string]string{"situations": "situation", "parties": "party", "sources": "source", "cases": "case"}

func writeChildren(ctx context.Context, tx *db.Tx, in *Incident) error {
	for i := range in.Acts {
		a := &in.Acts[i]
		if a.ID == "" {
			a.ID = record.NewID()
		}
		if err := tx.ExecLater(ctx, "store an act", `INSERT INTO acts (id, incident_id, seq, violation_type, tags, victim_code,
			victim_sex, victim_age_group, victim_status, victim_count, description)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			a.ID, in.ID, i, string(a.ViolationType), strings.Join(a.Tags, ","), a.Victim.Code, string(a.Victim.Sex),
			string(a.Victim.AgeGroup), string(a.Victim.Status), a.Victim.Count, a.Description); err != nil {
			if errors.Is(db.Explain(err), db.ErrDuplicate) {
				return record.Errors{{Field: fmt.Sprintf("acts[%d].id", i), Code: "duplicate", Message: "an act with this ID already exists"}}
			}
			return fmt.Errorf("store act %d of incident %s: %w", i, in.ID, err)
		}
		for j, p := range a.Perpetrators {
			if err := tx.ExecLater(ctx, "store a perpetrator", `INSERT INTO act_perpetrators (act_id, seq, party_id, description)
				VALUES ($1, $2, $3, $4)`, a.ID, j, db.NullIfEmpty(p.PartyID), p.Description); err != nil {
				return fmt.Errorf("store perpetrator %d of act %d of incident %s: %w", j, i, in.ID, db.Explain(err))
			}
		}
	}
	for i := range in.Information {
		l := &in.Information[i]
		if l.ID == "" {
			l.ID = record.NewID()
		}
		if err := tx.ExecLater(ctx, "store an information link", `INSERT INTO information_links (id, incident_id, seq, source_id, act_id, connection,
			reliability, reference, notes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			l.ID, in.ID, i, l.SourceID, db.NullIfEmpty(l.ActID), string(l.Connection), string(l.Reliability),
			l.Reference, l.Notes); err != nil {
			if errors.Is(db.Explain(err), db.ErrDuplicate) {
				return record.Errors{{Field: fmt.Sprintf("information[%d].id", i), Code: "duplicate", Message: "an information link with this ID already exists"}}
			}
			return fmt.Errorf("store information link %d of incident %s: %w", i, in.ID, db.Explain(err))
		}
	}
	return nil
}

const columns = `i.id, i.title, i.summary, i.situation_id, i.place_name, i.place_admin_area, i.place_country,
	i.latitude, i.longitude, i.location_precision, i.date_start, i.date_end, i.date_precision, i.context,
	i.status, i.version, i.created_at, i.created_by, i.updated_at, i.updated_by, i.case_id`

type rowScanner interface{ Scan(...any) error }

func scan(r rowScanner) (*Incident, error) {
	var in Incident
	var situation, caseID sql.NullString
	var lat, lon sql.NullFloat64
	var created, updated string
	if err := r.Scan(&in.ID, &in.Title, &in.Summary, &situation, &in.Place.Name, &in.Place.AdminArea,
		&in.Place.Country, &lat, &lon, &in.Place.Precision, &in.Date.Start, &in.Date.End, &in.Date.Precision,
		&in.Context, &in.Status, &in.Version, &created, &in.CreatedBy, &updated, &in.UpdatedBy, &caseID); err != nil {
		return nil, err
	}
	in.SituationID, in.CaseID = situation.String, caseID.String
	if lat.Valid && lon.Valid {
		in.Place.Latitude, in.Place.Longitude = &lat.Float64, &lon.Float64
	}
	if err := in.SetTimes(created, updated); err != nil {
		return nil, err
	}
	in.Acts = []Act{}
	return &in, nil
}

func init() {
	record.RegisterCurrent(record.KindIncident, func(ctx context.Context, q db.Querier, id string) (any, error) {
		return get(ctx, q, id)
	})
	record.RegisterEach(record.KindIncident, func(ctx context.Context, q db.Querier, fn func(id string, current any) error) error {
		return each(ctx, q, func(in *Incident) error { return fn(in.ID, in) })
	})
}

// Get returns one incident with its acts and information links. An
// incident outside the cases ctx is restricted to is db.ErrNotFound, as if
// it did not exist.
func (s *Store) Get(ctx context.Context, id string) (*Incident, error) {
	in, err := get(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !record.CaseAllowed(ctx, in.CaseID) {
		return nil, fmt.Errorf("incident %s: %w", id, db.ErrNotFound)
	}
	return in, nil
}

// CaseOf returns the case an incident belongs to ("" for none), whether or
// not ctx reaches it: for access checks, which must tell "not yours" from
// "no such incident" without saying which to the asker.
func (s *Store) CaseOf(ctx context.Context, id string) (string, error) { return CaseOf(ctx, s.db, id) }

// CaseOf is Store.CaseOf inside a transaction or on any querier.
func CaseOf(ctx context.Context, q db.Querier, id string) (string, error) {
	var caseID sql.NullString
	err := q.QueryRow(ctx, `SELECT case_id FROM incidents WHERE id = $1`, id).Scan(&caseID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", db.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("read the case of incident %s: %w", id, err)
	}
	return caseID.String, nil
}

// CaseOfAct returns the incident an act belongs to and that incident's case.
func CaseOfAct(ctx context.Context, q db.Querier, actID string) (incidentID, caseID string, err error) {
	var c sql.NullString
	err = q.QueryRow(ctx, `SELECT i.id, i.case_id FROM acts a JOIN incidents i ON i.id = a.incident_id WHERE a.id = $1`,
		actID).Scan(&incidentID, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", db.ErrNotFound
	}
	if err != nil {
		return "", "", fmt.Errorf("read the case of act %s: %w", actID, err)
	}
	return incidentID, c.String, nil
}

func get(ctx context.Context, q db.Querier, id string) (*Incident, error) {
	in, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM incidents i WHERE i.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read incident %s: %w", id, err)
	}
	if err := loadChildren(ctx, q, []*Incident{in}); err != nil {
		return nil, err
	}
	return in, nil
}

// loadChildren fills the acts, perpetrators and links of several incidents
// with three queries, whatever their number.
func loadChildren(ctx context.Context, q db.Querier, ins []*Incident) error {
	if len(ins) == 0 {
		return nil
	}
	byID := make(map[string]*Incident, len(ins))
	ids := make([]any, len(ins))
	for i, in := range ins {
		byID[in.ID] = in
		ids[i] = in.ID
	}
	in := db.Placeholders(1, len(ids))
	rows, err := q.Query(ctx, `SELECT a.incident_id, a.id, a.violation_type, a.tags, a.victim_code, a.victim_sex,
		a.victim_age_group, a.victim_status, a.victim_count, a.description, p.party_id, p.description
		FROM acts a LEFT JOIN act_perpetrators p ON p.act_id = a.id
		WHERE a.incident_id IN (`+in+`) ORDER BY a.incident_id, a.seq, p.seq`, ids...)
	if err != nil {
		return fmt.Errorf("read acts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var incidentID, tags string
		var a Act
		var party, perpDesc sql.NullString
		if err := rows.Scan(&incidentID, &a.ID, &a.ViolationType, &tags, &a.Victim.Code, &a.Victim.Sex,
			&a.Victim.AgeGroup, &a.Victim.Status, &a.Victim.Count, &a.Description, &party, &perpDesc); err != nil {
			return fmt.Errorf("read acts: %w", err)
		}
		owner := byID[incidentID]
		if n := len(owner.Acts); n == 0 || owner.Acts[n-1].ID != a.ID {
			if tags != "" {
				a.Tags = strings.Split(tags, ",")
			}
			a.Perpetrators = []Perpetrator{}
			owner.Acts = append(owner.Acts, a)
		}
		if perpDesc.Valid {
			last := &owner.Acts[len(owner.Acts)-1]
			last.Perpetrators = append(last.Perpetrators, Perpetrator{PartyID: party.String, Description: perpDesc.String})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read acts: %w", err)
	}
	rows.Close()
	links, err := q.Query(ctx, `SELECT incident_id, id, source_id, act_id, connection, reliability, reference, notes
		FROM information_links WHERE incident_id IN (`+in+`) ORDER BY incident_id, seq`, ids...)
	if err != nil {
		return fmt.Errorf("read information links: %w", err)
	}
	defer links.Close()
	for links.Next() {
		var incidentID string
		var act sql.NullString
		var l InformationLink
		if err := links.Scan(&incidentID, &l.ID, &l.SourceID, &act, &l.Connection, &l.Reliability, &l.Reference, &l.Notes); err != nil {
			return fmt.Errorf("read information links: %w", err)
		}
		l.ActID = act.String
		byID[incidentID].Information = append(byID[incidentID].Information, l)
	}
	return links.Err()
}
