package incident

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/textsearch"
)

// List returns one page of the incidents matching f.
func (s *Store) List(ctx context.Context, f Filter) (Page, error) {
	if err := f.Validate(); err != nil {
		return Page{}, err
	}
	q, err := s.plan(ctx, f)
	if err != nil {
		return Page{}, err
	}
	page := Page{Incidents: []Incident{}}
	if err := s.db.QueryRow(ctx, q.countSQL(), q.args...).Scan(&page.Total); err != nil {
		return Page{}, fmt.Errorf("count incidents: %w", err)
	}
	if page.Total > CountLimit {
		page.Total, page.TotalCapped = CountLimit, true
	}
	if f.Cursor != "" {
		c, _ := decodeCursor(f.Cursor)
		if err := q.after(c); err != nil {
			return Page{}, err
		}
	}
	rows, err := s.db.Query(ctx, q.pageSQL(f.Limit+1), q.args...)
	if err != nil {
		return Page{}, fmt.Errorf("list incidents: %w", err)
	}
	defer rows.Close()
	var keys []int64
	for rows.Next() {
		var key int64
		in, err := scan(keyScanner{rows, &key})
		if err != nil {
			return Page{}, fmt.Errorf("list incidents: %w", err)
		}
		page.Incidents = append(page.Incidents, *in)
		keys = append(keys, key)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("list incidents: %w", err)
	}
	rows.Close()
	if len(page.Incidents) > f.Limit {
		page.Incidents = page.Incidents[:f.Limit]
		last := page.Incidents[f.Limit-1]
		value := sortValue(f.Sort, &last)
		if q.byKey {
			value = strconv.FormatInt(keys[f.Limit-1], 10)
		}
		page.Next = encodeCursor(cursor{Sort: f.Sort, Value: value, ID: last.ID})
	}
	ptrs := make([]*Incident, len(page.Incidents))
	for i := range page.Incidents {
		ptrs[i] = &page.Incidents[i]
	}
	return page, loadChildren(ctx, s.db, ptrs)
}

// keyScanner reads the list key selected after the incident's columns.
type keyScanner struct {
	r   rowScanner
	key *int64
}

func (k keyScanner) Scan(dest ...any) error { return k.r.Scan(append(dest, k.key)...) }

// listQuery is a list's query before its page is cut: where the matches
// come from, what they must meet, and the column holding each match's
// list key.
type listQuery struct {
	args   []any
	source string
	where  []string
	key    string
	// perAct: the source has a row per act, so keys repeat and the page
	// joins incidents on the distinct keys.
	perAct bool
	// byKey: the list is in date order, which is list-key order.
	byKey bool
	desc  bool
	// column sorts a list not in date order; ties are broken by ID.
	column string
}

func (q *listQuery) arg(v any) string {
	q.args = append(q.args, v)
	return fmt.Sprintf("$%d", len(q.args))
}

func (q *listQuery) whereSQL() string { return whereClause(q.where) }

func (q *listQuery) countSQL() string {
	match := `1`
	if q.perAct {
		match = `DISTINCT ` + q.key
	}
	return `SELECT COUNT(*) FROM (SELECT ` + match + ` FROM ` + q.source + q.whereSQL() +
		fmt.Sprintf(` LIMIT %d) AS matches`, CountLimit+1)
}

func (q *listQuery) direction() string {
	if q.desc {
		return "DESC"
	}
	return "ASC"
}

func (q *listQuery) pageSQL(limit int) string {
	dir := q.direction()
	if q.perAct {
		return `SELECT ` + columns + `, i.list_key FROM (SELECT DISTINCT ` + q.key + ` AS list_key FROM ` + q.source +
			q.whereSQL() + fmt.Sprintf(` ORDER BY %s %s LIMIT %d) AS k`, q.key, dir, limit) +
			` JOIN incidents i ON i.list_key = k.list_key ORDER BY i.list_key ` + dir
	}
	order := q.key + ` ` + dir
	if !q.byKey {
		order = q.column + ` ` + dir + `, i.id ` + dir
	}
	return `SELECT ` + columns + `, i.list_key FROM ` + q.source + q.whereSQL() +
		fmt.Sprintf(` ORDER BY %s LIMIT %d`, order, limit)
}

// after starts the list past the cursor.
func (q *listQuery) after(c cursor) error {
	cmp := ">"
	if q.desc {
		cmp = "<"
	}
	if q.byKey {
		key, err := strconv.ParseInt(c.Value, 10, 64)
		if err != nil {
			return fmt.Errorf("cursor: %w", err)
		}
		q.where = append(q.where, q.key+` `+cmp+` `+q.arg(key))
		return nil
	}
	q.where = append(q.where, fmt.Sprintf(`(%s, i.id) %s (%s, %s)`, q.column, cmp, q.arg(c.Value), q.arg(c.ID)))
	return nil
}

// actFilter is one condition on what an act is, checked on a facet row.
type actFilter struct {
	name   string // "party", "violation", "age": for choosing a plan
	table  string // where it can be walked in date order
	index  string // the index that walk uses ("" for the table's own order)
	column string
	value  string
}

func (a actFilter) sql(q *listQuery, alias string) string {
	return alias + `.` + a.column + ` = ` + q.arg(a.value)
}

func actFilters(f Filter) []actFilter {
	var out []actFilter
	if f.PartyID != "" {
		out = append(out, actFilter{"party", "party_facets", "", "party_id", f.PartyID})
	}
	if f.ViolationType != "" {
		// A family is one value of its own column; a form is one value of
		// the type column.
		if len(f.ViolationType.WithForms()) > 1 {
			out = append(out, actFilter{"violation", "act_facets", "act_facets_family", "family", string(f.ViolationType)})
		} else {
			out = append(out, actFilter{"violation", "act_facets", "act_facets_violation", "violation_type", string(f.ViolationType)})
		}
	}
	if f.AgeGroup != "" {
		out = append(out, actFilter{"age", "act_facets", "act_facets_age", "age_group", string(f.AgeGroup)})
	}
	return out
}

// plan chooses how to find the matches of f:
//
//   - with words, in date order on SQLite: walk the full-text matches in
//     list-key order (they are stored under it) and check the rest;
//   - with conditions on acts, in date order: walk the facet rows of the
//     most selective condition in list-key order, checking the others on
//     the same rows;
//   - otherwise: walk incidents by the requested order, through whichever
//     index the engine's planner prefers.
func (s *Store) plan(ctx context.Context, f Filter) (*listQuery, error) {
	q := &listQuery{byKey: f.Sort == NewestFirst || f.Sort == OldestFirst}
	order := sortColumns[f.Sort]
	q.desc, q.column = order.desc, order.column
	acts := actFilters(f)
	terms := textsearch.Terms(f.Text)

	switch {
	case q.byKey && len(terms) > 0 && s.db.Dialect == db.SQLite:
		q.source, q.key = `incident_search s CROSS JOIN incidents i`, `s.rowid`
		q.where = append(q.where, `incident_search MATCH `+q.arg(textsearch.FTS5(terms)), `i.list_key = s.rowid`)
		s.incidentConditions(ctx, q, f, "s.rowid", "i")
		if len(acts) > 0 {
			q.where = append(q.where, actsExist(q, acts, "s.rowid"))
		}
	case q.byKey && len(acts) > 0 && len(terms) == 0:
		lead, err := s.leading(ctx, acts)
		if err != nil {
			return nil, err
		}
		q.source, q.key, q.perAct = lead.table+` f`, `f.list_key`, true
		if lead.index != "" && s.db.Dialect == db.SQLite {
			q.source += ` INDEXED BY ` + lead.index
		}
		q.where = append(q.where, lead.sql(q, "f"))
		for _, a := range acts {
			switch {
			case a == lead:
			case a.table == lead.table:
				q.where = append(q.where, a.sql(q, "f"))
			default:
				// The party behind the same act: its row in party_facets.
				q.where = append(q.where, `EXISTS (SELECT 1 FROM party_facets p WHERE `+a.sql(q, "p")+
					` AND p.list_key = f.list_key AND p.act_seq = f.act_seq)`)
			}
		}
		s.incidentConditions(ctx, q, f, "f.list_key", "f")
	default:
		q.source, q.key = `incidents i`, `i.list_key`
		s.incidentConditions(ctx, q, f, "i.list_key", "i")
		if len(terms) > 0 {
			if s.db.Dialect == db.Postgres {
				q.where = append(q.where, `i.search @@ to_tsquery('simple', `+q.arg(textsearch.TSQuery(terms))+`)`)
			} else {
				q.where = append(q.where, `i.list_key IN (SELECT rowid FROM incident_search WHERE incident_search MATCH `+
					q.arg(textsearch.FTS5(terms))+`)`)
			}
		}
		if len(acts) > 0 {
			q.where = append(q.where, actsExist(q, acts, "i.list_key"))
		}
	}
	return q, nil
}

// actsExist is the condition that one act of the incident whose list key
// is in key meets every filter in acts: all on one facet row, so that "a
// child raped by the RSF" is not met by a child in one act and the RSF in
// another.
func actsExist(q *listQuery, acts []actFilter, key string) string {
	table := "act_facets"
	for _, a := range acts {
		if a.table == "party_facets" {
			table = a.table
		}
	}
	conds := []string{`f.list_key = ` + key}
	for _, a := range acts {
		conds = append(conds, a.sql(q, "f"))
	}
	return `EXISTS (SELECT 1 FROM ` + table + ` f WHERE ` + strings.Join(conds, ` AND `) + `)`
}

// incidentConditions adds the filters on the incident itself, on the
// columns of alias (incidents or a facet table, which copies them).
func (s *Store) incidentConditions(ctx context.Context, q *listQuery, f Filter, key, alias string) {
	if c, ok := CaseCondition(ctx, alias+".case_id", q.arg); ok {
		q.where = append(q.where, c)
	}
	if f.SituationID != "" {
		q.where = append(q.where, alias+`.situation_id = `+q.arg(f.SituationID))
	}
	if f.Status != "" {
		q.where = append(q.where, alias+`.status = `+q.arg(string(f.Status)))
	}
	if f.From != "" {
		q.where = append(q.where, alias+`.date_end >= `+q.arg(f.From))
	}
	if f.To != "" {
		// Began on or before To: a range of list keys, dated ones only.
		q.where = append(q.where, key+` >= `+q.arg(int64(1)<<seqBits), key+` < `+q.arg(keysBefore(f.To)))
	}
}

// leading picks the act filter with the fewest facet rows to walk.
func (s *Store) leading(ctx context.Context, acts []actFilter) (actFilter, error) {
	best, bestRows := acts[0], -1
	for _, a := range acts {
		if forcedLead != "" {
			if a.name == forcedLead {
				return a, nil
			}
			continue
		}
		n, err := s.facetRows(ctx, a)
		if err != nil {
			return actFilter{}, err
		}
		// Party rows carry every other filter: prefer them on a tie.
		if bestRows < 0 || n < bestRows {
			best, bestRows = a, n
		}
	}
	return best, nil
}

// forcedLead makes tests walk a given filter's rows first.
var forcedLead string

// Counting a value's facet rows takes a few milliseconds; the count only
// steers the plan, so it is kept for a while and capped.
const (
	facetRowsCap = 100_000
	facetRowsTTL = 10 * time.Minute
)

var facetCounts sync.Map // facetCountKey → facetCount

type facetCountKey struct {
	db                   *db.DB
	table, column, value string
}

type facetCount struct {
	rows int
	at   time.Time
}

func (s *Store) facetRows(ctx context.Context, a actFilter) (int, error) {
	key := facetCountKey{s.db, a.table, a.column, a.value}
	if c, ok := facetCounts.Load(key); ok && time.Since(c.(facetCount).at) < facetRowsTTL {
		return c.(facetCount).rows, nil
	}
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+a.table+` WHERE `+a.column+` = $1`+
		fmt.Sprintf(` LIMIT %d) AS rows_of_value`, facetRowsCap), a.value).Scan(&n); err != nil {
		return 0, fmt.Errorf("estimate the acts with %s %s: %w", a.column, a.value, err)
	}
	facetCounts.Store(key, facetCount{n, time.Now()})
	return n, nil
}
