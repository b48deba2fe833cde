package incident

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// Sort orders a list of incidents.
type Sort string

const (
	NewestFirst    Sort = "-date"
	OldestFirst    Sort = "date"
	RecentlyEdited Sort = "-updated"
	ByTitle        Sort = "title"
	NewestEntered  Sort = "-created"
)

var Sorts = []Sort{NewestFirst, OldestFirst, RecentlyEdited, ByTitle, NewestEntered}

// sortColumns maps each order to the column it sorts by and its direction;
// ties are broken by ID, so every order is total and pages are stable. The
// date orders sort by list key (listkey.go): the start date, then a number
// unique to the incident.
var sortColumns = map[Sort]struct {
	column string
	desc   bool
}{
	NewestFirst:    {"i.list_key", true},
	OldestFirst:    {"i.list_key", false},
	RecentlyEdited: {"i.updated_at", true},
	ByTitle:        {"i.title", false},
	NewestEntered:  {"i.id", true},
}

// Filter selects and orders incidents. Zero values do not filter.
type Filter struct {
	SituationID   string
	PartyID       string // attributed to this party or any of its units
	ViolationType ViolationType
	AgeGroup      AgeGroup
	From, To      string // the incident's date may fall within [From, To]
	Status        Status
	Text          string // words in the title, summary or place
	Sort          Sort
	Limit         int
	Cursor        string // from a previous Page.Next
}

// MaxPage is the most incidents one page may hold.
const MaxPage = 500

// CountLimit caps how far a list counts its matches: beyond it the count is
// reported as "more than", which keeps every page fast on a large record.
const CountLimit = 1000

// Validate reports problems with the filter's values.
func (f *Filter) Validate() error {
	var errs record.Errors
	if f.Sort == "" {
		f.Sort = NewestFirst
	}
	record.OneOf(&errs, "sort", f.Sort, Sorts)
	if f.ViolationType != "" {
		record.OneOf(&errs, "violation_type", f.ViolationType, ViolationTypes)
	}
	if f.AgeGroup != "" {
		record.OneOf(&errs, "age_group", f.AgeGroup, AgeGroups)
	}
	if f.Status != "" {
		record.OneOf(&errs, "status", f.Status, Statuses)
	}
	for _, d := range []struct{ field, value string }{{"from", f.From}, {"to", f.To}} {
		if d.value != "" {
			if _, err := record.ParseDay(d.value); err != nil {
				errs.Add(d.field, "invalid_date", "%q is not a date (YYYY-MM-DD)", d.value)
			}
		}
	}
	if f.From != "" && f.To != "" && f.To < f.From {
		errs.Add("to", "end_before_start", "is before from")
	}
	for _, id := range []struct{ field, value string }{{"situation", f.SituationID}, {"party", f.PartyID}} {
		if id.value != "" && !record.ValidID(id.value) {
			errs.Add(id.field, "invalid_id", "%q is not a record ID", id.value)
		}
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	if f.Limit < 1 || f.Limit > MaxPage {
		errs.Add("limit", "out_of_range", "must be between 1 and %d", MaxPage)
	}
	if f.Cursor != "" {
		if c, err := decodeCursor(f.Cursor); err != nil {
			errs.Add("cursor", "invalid_cursor", "is not a cursor this server issued")
		} else if c.Sort != f.Sort {
			errs.Add("cursor", "cursor_sort_mismatch", "was issued for another sort order; start again from the first page")
		} else if _, err := strconv.ParseInt(c.Value, 10, 64); err != nil && (f.Sort == NewestFirst || f.Sort == OldestFirst) {
			errs.Add("cursor", "invalid_cursor", "is not a cursor this server issued")
		}
	}
	return errs.Err()
}

// Page is one page of a list.
type Page struct {
	Incidents []Incident `json:"incidents"`
	// Next is the cursor of the following page, empty on the last.
	Next string `json:"next,omitempty"`
	// Total counts the matches, up to CountLimit; TotalCapped says there are more.
	Total       int  `json:"total"`
	TotalCapped bool `json:"total_capped,omitempty"`
}

// cursor marks where a page ended, in the order it was sorted by: reusing
// it with another order would skip or repeat incidents, so that is refused.
type cursor struct {
	Sort  Sort   `json:"s"`
	Value string `json:"v"`
	ID    string `json:"id"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err == nil && !record.ValidID(c.ID) {
		err = fmt.Errorf("cursor without an ID")
	}
	return c, err
}

// sortValue is where a page ended in order s: for the date orders, the
// incident's list key.
func sortValue(s Sort, in *Incident, key int64) string {
	switch s {
	case NewestFirst, OldestFirst:
		return strconv.FormatInt(key, 10)
	case RecentlyEdited:
		return db.FormatTime(in.UpdatedAt)
	case ByTitle:
		return in.Title
	}
	return in.ID
}

func whereClause(where []string) string {
	if len(where) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(where, ` AND `)
}

// Each calls fn for every incident in ID order, reading in batches so that
// exporting a large record needs little memory.
func (s *Store) Each(ctx context.Context, fn func(*Incident) error) error {
	return each(ctx, s.db, fn)
}

func each(ctx context.Context, q db.Querier, fn func(*Incident) error) error {
	after := ""
	for {
		args := []any{after}
		cond := ""
		if c, ok := CaseCondition(ctx, "i.case_id", func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }); ok {
			cond = " AND " + c
		}
		rows, err := q.Query(ctx, `SELECT `+columns+` FROM incidents i WHERE i.id > $1`+cond+` ORDER BY i.id LIMIT 500`, args...)
		if err != nil {
			return fmt.Errorf("read incidents: %w", err)
		}
		var batch []*Incident
		for rows.Next() {
			in, err := scan(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("read incidents: %w", err)
			}
			batch = append(batch, in)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read incidents: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		if err := loadChildren(ctx, q, batch); err != nil {
			return err
		}
		for _, in := range batch {
			if err := fn(in); err != nil {
				return err
			}
		}
		after = batch[len(batch)-1].ID
	}
}

// CountForParty counts incidents attributed to each party or its units, for
// party pages and lists.
func (s *Store) CountForParty(ctx context.Context, partyID string) (int, error) {
	var n int
	args := []any{partyID}
	query := `SELECT COUNT(DISTINCT f.list_key) FROM party_facets f WHERE f.party = (SELECT number FROM parties WHERE id = $1)`
	c, ok, err := s.caseNumberCondition(ctx, "f.case_number", func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) })
	if err != nil {
		return 0, err
	}
	if ok {
		query += ` AND ` + c
	}
	if err := s.db.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count incidents of party %s: %w", partyID, err)
	}
	return n, nil
}

// CaseCondition is the SQL condition keeping rows whose case (column)
// the cases ctx is restricted to include, with its arguments added by
// arg; ok is false for an unrestricted context, which needs none. Queries
// that reach incidents from elsewhere (a victim's acts, evidence linked to
// incidents) use it to stay within the asker's cases.
func CaseCondition(ctx context.Context, column string, arg func(any) string) (cond string, ok bool) {
	ids, restricted := record.CaseScope(ctx)
	if !restricted {
		return "", false
	}
	return inList(column, ids, arg), true
}

// inList is the condition that column holds one of values, each added by
// arg; none holds none.
func inList[T any](column string, values []T, arg func(any) string) string {
	if len(values) == 0 {
		return "1 = 0"
	}
	ph := make([]string, len(values))
	for i, v := range values {
		ph[i] = arg(v)
	}
	return column + " IN (" + strings.Join(ph, ", ") + ")"
}

// caseNumberCondition is CaseCondition for the per-act rows and words,
// which hold the case's number (facets.go). The numbers are given as
// values: a subquery on cases left PostgreSQL's planner guessing, since
// autovacuum never analyses a table of a few rows (at a million incidents,
// "status + age group" took 458 ms at the median, and 11 ms once cases was
// analysed).
func (s *Store) caseNumberCondition(ctx context.Context, column string, arg func(any) string) (cond string, ok bool, err error) {
	ids, restricted := record.CaseScope(ctx)
	if !restricted {
		return "", false, nil
	}
	numbers, err := s.caseNumbers(ctx, ids)
	if err != nil {
		return "", true, err
	}
	return inList(column, numbers, arg), true, nil
}

// caseNumberCache holds the cases' numbers once read: a case's number
// never changes.
var caseNumberCache sync.Map // caseNumberKey → int64

type caseNumberKey struct {
	db *db.DB
	id string
}

func (s *Store) caseNumbers(ctx context.Context, ids []string) ([]int64, error) {
	var numbers []int64
	var missing []any
	for _, id := range ids {
		if n, ok := caseNumberCache.Load(caseNumberKey{s.db, id}); ok {
			numbers = append(numbers, n.(int64))
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return numbers, nil
	}
	rows, err := s.db.Query(ctx, `SELECT id, number FROM cases WHERE number IS NOT NULL AND id IN (`+
		db.Placeholders(1, len(missing))+`)`, missing...)
	if err != nil {
		return nil, fmt.Errorf("read the numbers of cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("read the numbers of cases: %w", err)
		}
		caseNumberCache.Store(caseNumberKey{s.db, id}, n)
		numbers = append(numbers, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the numbers of cases: %w", err)
	}
	return numbers, nil
}
