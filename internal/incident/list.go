package incident

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/textsearch"
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
// ties are broken by ID, so every order is total and pages are stable.
var sortColumns = map[Sort]struct {
	column string
	desc   bool
}{
	NewestFirst:    {"i.date_start", true},
	OldestFirst:    {"i.date_start", false},
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

// List returns one page of the incidents matching f.
func (s *Store) List(ctx context.Context, f Filter) (Page, error) {
	if err := f.Validate(); err != nil {
		return Page{}, err
	}
	where, args, err := s.conditions(ctx, f)
	if err != nil {
		return Page{}, err
	}
	order := sortColumns[f.Sort]
	page := Page{Incidents: []Incident{}}

	countSQL := `SELECT COUNT(*) FROM (SELECT 1 FROM incidents i` + whereClause(where) +
		fmt.Sprintf(` LIMIT %d) AS matches`, CountLimit+1)
	if err := s.db.QueryRow(ctx, countSQL, args...).Scan(&page.Total); err != nil {
		return Page{}, fmt.Errorf("count incidents: %w", err)
	}
	if page.Total > CountLimit {
		page.Total, page.TotalCapped = CountLimit, true
	}

	if f.Cursor != "" {
		c, _ := decodeCursor(f.Cursor)
		cmp := ">"
		if order.desc {
			cmp = "<"
		}
		args = append(args, c.Value, c.ID)
		where = append(where, fmt.Sprintf(`(%s, i.id) %s ($%d, $%d)`, order.column, cmp, len(args)-1, len(args)))
	}
	dir := "ASC"
	if order.desc {
		dir = "DESC"
	}
	q := `SELECT ` + columns + ` FROM incidents i` + whereClause(where) +
		fmt.Sprintf(` ORDER BY %s %s, i.id %s LIMIT %d`, order.column, dir, dir, f.Limit+1)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return Page{}, fmt.Errorf("list incidents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		in, err := scan(rows)
		if err != nil {
			return Page{}, fmt.Errorf("list incidents: %w", err)
		}
		page.Incidents = append(page.Incidents, *in)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("list incidents: %w", err)
	}
	rows.Close()
	if len(page.Incidents) > f.Limit {
		page.Incidents = page.Incidents[:f.Limit]
		last := page.Incidents[f.Limit-1]
		page.Next = encodeCursor(cursor{Sort: f.Sort, Value: sortValue(f.Sort, &last), ID: last.ID})
	}
	ptrs := make([]*Incident, len(page.Incidents))
	for i := range page.Incidents {
		ptrs[i] = &page.Incidents[i]
	}
	return page, loadChildren(ctx, s.db, ptrs)
}

func sortValue(s Sort, in *Incident) string {
	switch s {
	case NewestFirst, OldestFirst:
		return in.Date.Start
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

// selectiveParty is how many acts make a party's record "large". For a
// smaller one the list collects the party's incidents first, then sorts them;
// for a larger one it walks incidents in the requested order and checks each,
// stopping after a page. Each plan is fast where the other is slow.
var selectiveParty = 20000

// conditions renders the filter as SQL. Conditions on acts — violation type,
// age group, party — must hold for the same act: "a child raped by the RSF",
// not a child in one act and the RSF in another.
func (s *Store) conditions(ctx context.Context, f Filter) ([]string, []any, error) {
	var where, actWhere []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if c, ok := CaseCondition(ctx, "i.case_id", arg); ok {
		where = append(where, c)
	}
	if f.SituationID != "" {
		where = append(where, `i.situation_id = `+arg(f.SituationID))
	}
	if f.Status != "" {
		where = append(where, `i.status = `+arg(string(f.Status)))
	}
	if f.From != "" {
		where = append(where, `i.date_end >= `+arg(f.From))
	}
	if f.To != "" {
		where = append(where, `i.date_start <= `+arg(f.To)+` AND i.date_start <> ''`)
	}
	if terms := textsearch.Terms(f.Text); len(terms) > 0 {
		if s.db.Dialect == db.Postgres {
			where = append(where, `i.search @@ to_tsquery('simple', `+arg(textsearch.TSQuery(terms))+`)`)
		} else {
			where = append(where, `i.rowid IN (SELECT rowid FROM incident_search WHERE incident_search MATCH `+
				arg(textsearch.FTS5(terms))+`)`)
		}
	}
	if f.ViolationType != "" {
		forms := f.ViolationType.WithForms()
		ph := make([]string, len(forms))
		for i, v := range forms {
			ph[i] = arg(string(v))
		}
		actWhere = append(actWhere, `a.violation_type IN (`+strings.Join(ph, ", ")+`)`)
	}
	if f.AgeGroup != "" {
		actWhere = append(actWhere, `a.victim_age_group = `+arg(string(f.AgeGroup)))
	}
	join := ""
	if f.PartyID != "" {
		// The units are looked up once: inside the per-incident check the
		// recursive query would run again for every row.
		units, err := party.NewStore(s.db).Subtree(ctx, f.PartyID)
		if err != nil {
			return nil, nil, err
		}
		if len(units) == 0 {
			units = []string{f.PartyID}
		}
		unitArgs := make([]any, len(units))
		for i, id := range units {
			unitArgs[i] = id
		}
		var acts int
		if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM act_perpetrators WHERE party_id IN (`+
			db.Placeholders(1, len(units))+fmt.Sprintf(`) LIMIT %d) AS acts`, selectiveParty), unitArgs...).Scan(&acts); err != nil {
			return nil, nil, fmt.Errorf("list incidents of party %s: %w", f.PartyID, err)
		}
		ph := make([]string, len(units))
		for i, id := range units {
			ph[i] = arg(id)
		}
		if acts < selectiveParty {
			conds := append([]string{`p.party_id IN (` + strings.Join(ph, ", ") + `)`}, actWhere...)
			where = append(where, `i.id IN (SELECT a.incident_id FROM act_perpetrators p JOIN acts a ON a.id = p.act_id WHERE `+
				strings.Join(conds, ` AND `)+`)`)
			return where, args, nil
		}
		join = ` JOIN act_perpetrators p ON p.act_id = a.id`
		actWhere = append(actWhere, `p.party_id IN (`+strings.Join(ph, ", ")+`)`)
	}
	if len(actWhere) > 0 {
		where = append(where, `EXISTS (SELECT 1 FROM acts a`+join+` WHERE a.incident_id = i.id AND `+
			strings.Join(actWhere, ` AND `)+`)`)
	}
	return where, args, nil
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
	query := `SELECT COUNT(DISTINCT a.incident_id) FROM acts a
		JOIN act_perpetrators p ON p.act_id = a.id WHERE p.party_id IN (` + party.SubtreeSQL("$1") + `)`
	if c, ok := CaseCondition(ctx, "i.case_id", func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }); ok {
		query = strings.Replace(query, ` WHERE`, ` JOIN incidents i ON i.id = a.incident_id WHERE `+c+` AND`, 1)
	}
	err := s.db.QueryRow(ctx, query, args...).Scan(&n)
	if err != nil {
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
	if len(ids) == 0 {
		return "1 = 0", true
	}
	ph := make([]string, len(ids))
	for i, id := range ids {
		ph[i] = arg(id)
	}
	return column + " IN (" + strings.Join(ph, ", ") + ")", true
}
