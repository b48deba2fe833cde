package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
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
	// The count does not depend on the order: a list by title or by last
	// edit that filters on acts (or, on PostgreSQL, words) counts its
	// matches by walking the per-act rows (or words), as date order would,
	// instead of probing incidents in its own order until a thousand match
	// (slow when the act or word is rare).
	counted := q
	words := len(textsearch.Terms(f.Text)) > 0
	if !q.byKey && (hasActFilter(f) && !words || words && s.db.Dialect == db.Postgres) {
		byDate := f
		byDate.Sort = NewestFirst
		if counted, err = s.plan(ctx, byDate); err != nil {
			return Page{}, err
		}
	}
	page := Page{Incidents: []Incident{}}
	var rows *sql.Rows
	if q.byKey && f.Cursor == "" {
		// The first page in date order: one walk yields the matches' keys in
		// order, as far as the count goes, and the page is the first of
		// them. A count and a page each walking the matches did the work
		// twice (FTS5 gathers a word's matches once per statement). On
		// PostgreSQL the one walk was slower with the former word index
		// (GIN), whose matches came out of key order; with the table of
		// words (words.go) it is as fast or faster: at a million incidents,
		// two mid-frequency words 7.7 and 7.5 ms at the median against 9.3
		// and 8.4, mid word + situation 10.8 and 12.5 against 14.0 and 13.1.
		matches, err := s.matchingKeys(ctx, q, CountLimit+1)
		if err != nil {
			return Page{}, err
		}
		page.Total = len(matches)
		rows, err = s.incidentsByKeys(ctx, matches[:min(len(matches), f.Limit+1)], q.direction())
		if err != nil {
			return Page{}, err
		}
	} else {
		if err := s.db.QueryRow(ctx, counted.countSQL(), counted.args...).Scan(&page.Total); err != nil {
			return Page{}, fmt.Errorf("count incidents: %w", err)
		}
		if f.Cursor != "" {
			c, _ := decodeCursor(f.Cursor)
			if err := q.after(c); err != nil {
				return Page{}, err
			}
		}
		if rows, err = s.db.Query(ctx, q.pageSQL(f.Limit+1), q.args...); err != nil {
			return Page{}, fmt.Errorf("list incidents: %w", err)
		}
	}
	if page.Total > CountLimit {
		page.Total, page.TotalCapped = CountLimit, true
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
		page.Next = encodeCursor(cursor{Sort: f.Sort, Value: sortValue(f.Sort, &last, keys[f.Limit-1]), ID: last.ID})
	}
	ptrs := make([]*Incident, len(page.Incidents))
	for i := range page.Incidents {
		ptrs[i] = &page.Incidents[i]
	}
	return page, loadChildren(ctx, s.db, ptrs)
}

// matchingKeys returns the list keys of the first n matches of q, in its
// order (q.byKey).
func (s *Store) matchingKeys(ctx context.Context, q *listQuery, n int) ([]int64, error) {
	rows, err := s.db.Query(ctx, q.keysSQL(n, true), q.args...)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	defer rows.Close()
	var keys []int64
	for rows.Next() {
		var key int64
		if err := rows.Scan(&key); err != nil {
			return nil, fmt.Errorf("list incidents: %w", err)
		}
		keys = append(keys, key)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return keys, nil
}

// incidentsByKeys reads the incidents of the given list keys, in key order
// (dir ASC or DESC), with the key after their columns.
func (s *Store) incidentsByKeys(ctx context.Context, keys []int64, dir string) (*sql.Rows, error) {
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	in := `NULL` // no key: no row
	if len(keys) > 0 {
		in = db.Placeholders(1, len(keys))
	}
	rows, err := s.db.Query(ctx, `SELECT `+columns+`, i.list_key FROM incidents i WHERE i.list_key IN (`+in+
		`) ORDER BY i.list_key `+dir, args...)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return rows, nil
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
	// perAct: the source is narrow rows holding list keys (per act, or per
	// word on PostgreSQL) that may repeat, so the page joins incidents on
	// the distinct keys.
	perAct bool
	// branches: conditions each of which picks some of the source's rows
	// (each word a prefix stands for): the matches are the union of the
	// branches, each walked in key order and merged (keysSQL).
	branches []string
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
	if q.perAct {
		return `SELECT COUNT(*) FROM (` + q.keysSQL(CountLimit+1, false) + `) AS matches`
	}
	return `SELECT COUNT(*) FROM (SELECT 1 FROM ` + q.source + q.whereSQL() +
		fmt.Sprintf(` LIMIT %d) AS matches`, CountLimit+1)
}

// keysSQL selects the list keys of the first n matches as list_key, in key
// order if ordered (else any n). With branches, each branch gives its
// first n and the union's distinct first n are taken: a key among the
// union's first n is among its own branch's first n, and if any branch
// has n, so has the union.
func (q *listQuery) keysSQL(n int, ordered bool) string {
	distinct, order := ``, ``
	if q.perAct {
		distinct = `DISTINCT `
	}
	if ordered {
		order = ` ORDER BY ` + q.key + ` ` + q.direction()
	}
	limit := fmt.Sprintf(` LIMIT %d`, n)
	if len(q.branches) == 0 {
		return `SELECT ` + distinct + q.key + ` AS list_key FROM ` + q.source + q.whereSQL() + order + limit
	}
	branches := make([]string, len(q.branches))
	for i, b := range q.branches {
		branches[i] = `(SELECT ` + q.key + ` AS list_key FROM ` + q.source + whereClause(append([]string{b}, q.where...)) +
			order + limit + `)`
	}
	if ordered {
		order = ` ORDER BY list_key ` + q.direction()
	}
	return `SELECT DISTINCT list_key FROM (` + strings.Join(branches, ` UNION ALL `) + `) AS branches` + order + limit
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
		return `SELECT ` + columns + `, i.list_key FROM (` + q.keysSQL(limit, true) + `) AS k` +
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

// actFilter is one condition on what an act is, checked on a facet row:
// a column of both facet tables but party, only in party_facets, and the
// number or code it must hold (facets.go).
type actFilter struct {
	column string
	value  int64
}

func (a actFilter) sql(q *listQuery, alias string) string {
	return alias + `.` + a.column + ` = ` + q.arg(a.value)
}

func hasActFilter(f Filter) bool {
	return f.PartyID != "" || f.ViolationType != "" || f.AgeGroup != ""
}

// actFilters are f's conditions on acts, with the party's number.
func (s *Store) actFilters(ctx context.Context, f Filter) ([]actFilter, error) {
	var out []actFilter
	if f.PartyID != "" {
		n, err := s.numberOf(ctx, "parties", f.PartyID)
		if err != nil {
			return nil, err
		}
		out = append(out, actFilter{"party", n})
	}
	if f.ViolationType != "" {
		out = append(out, actFilter{"violation", violationCodes[f.ViolationType]})
	}
	if f.AgeGroup != "" {
		out = append(out, actFilter{"age_group", ageCodes[f.AgeGroup]})
	}
	return out, nil
}

// numberOf is the number of the row of table (parties or situations) with
// id, which stands for it in the per-act rows; 0, which none has, when
// there is no such row, so that a filter on it matches nothing.
func (s *Store) numberOf(ctx context.Context, table, id string) (int64, error) {
	var n sql.NullInt64
	err := s.db.QueryRow(ctx, `SELECT number FROM `+table+` WHERE id = $1`, id).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("read the number of %s: %w", id, err)
	}
	return n.Int64, nil
}

// facetWalk is an index of a facet table that yields, for given values of
// its leading columns, the rows in list-key order (facets.go).
type facetWalk struct {
	name, table, index string // index "" is the table's own order
	columns            []string
}

var facetWalks = []facetWalk{
	{"party", "party_facets", "", []string{"party"}},
	{"party+violation", "party_facets", "party_facets_violation", []string{"party", "violation"}},
	{"party+age", "party_facets", "party_facets_age", []string{"party", "age_group"}},
	{"violation", "act_facets", "act_facets_violation", []string{"violation"}},
	{"age", "act_facets", "act_facets_age", []string{"age_group"}},
	{"violation+age", "act_facets", "act_facets_violation_age", []string{"violation", "age_group"}},
	{"situation+violation", "act_facets", "act_facets_situation_violation", []string{"situation", "violation"}},
}

// plan chooses how to find the matches of f:
//
//   - with words on PostgreSQL: planWords (words.go);
//   - with words, in date order on SQLite: walk the full-text matches of
//     the words and of the filters' facets (search.go) in list-key order
//     (they are stored under it) and check the rest;
//   - with conditions on acts, in date order: walk the facet rows of the
//     most selective condition in list-key order, checking the others on
//     the same rows;
//   - otherwise: walk incidents by the requested order, through whichever
//     index the engine's planner prefers.
func (s *Store) plan(ctx context.Context, f Filter) (*listQuery, error) {
	q := &listQuery{byKey: f.Sort == NewestFirst || f.Sort == OldestFirst}
	order := sortColumns[f.Sort]
	q.desc, q.column = order.desc, order.column
	acts, err := s.actFilters(ctx, f)
	if err != nil {
		return nil, err
	}
	terms := textsearch.Terms(f.Text)

	switch {
	case len(terms) > 0 && s.db.Dialect == db.Postgres:
		if err := s.planWords(ctx, q, f, terms, acts); err != nil {
			return nil, err
		}
	case q.byKey && len(terms) > 0:
		facets, exact := filterFacets(f, acts)
		match, err := s.matchExpression(ctx, terms, facets)
		if err != nil {
			return nil, err
		}
		q.source, q.key = `incident_search s CROSS JOIN incidents i`, `s.rowid`
		q.where = append(q.where, `incident_search MATCH `+q.arg(match), `i.list_key = s.rowid`)
		if err := s.incidentConditions(ctx, q, f, "s.rowid", "i", "i.case_id"); err != nil {
			return nil, err
		}
		if !exact {
			cond, err := s.actsAmongWords(ctx, q, acts)
			if err != nil {
				return nil, err
			}
			q.where = append(q.where, cond)
		}
	case q.byKey && len(acts) > 0 && len(terms) == 0:
		values := map[string]any{}
		for _, a := range acts {
			values[a.column] = a.value
		}
		if f.SituationID != "" {
			n, err := s.numberOf(ctx, "situations", f.SituationID)
			if err != nil {
				return nil, err
			}
			values["situation"] = n
		}
		walk, err := s.chooseWalk(ctx, values)
		if err != nil {
			return nil, err
		}
		q.source, q.key, q.perAct = walk.table+` f`, `f.list_key`, true
		if walk.index != "" && s.db.Dialect == db.SQLite {
			q.source += ` INDEXED BY ` + walk.index
		}
		for _, column := range walk.columns {
			q.where = append(q.where, `f.`+column+` = `+q.arg(values[column]))
			delete(values, column)
		}
		for _, a := range acts {
			if _, left := values[a.column]; !left {
				continue
			}
			switch {
			case a.column == "party" && walk.table != "party_facets":
				// The party behind the same act: its rows in party_facets.
				q.where = append(q.where, `EXISTS (SELECT 1 FROM party_facets p WHERE `+a.sql(q, "p")+
					` AND p.list_key = f.list_key AND p.act_seq = f.act_seq)`)
			default:
				q.where = append(q.where, a.sql(q, "f"))
			}
		}
		if n, left := values["situation"]; left {
			q.where = append(q.where, `f.situation = `+q.arg(n))
		}
		f.SituationID = "" // by its number, on the rows walked
		if err := s.incidentConditions(ctx, q, f, "f.list_key", "f", "f.case_number"); err != nil {
			return nil, err
		}
	default:
		q.source, q.key = `incidents i`, `i.list_key`
		if err := s.incidentConditions(ctx, q, f, "i.list_key", "i", "i.case_id"); err != nil {
			return nil, err
		}
		if len(terms) > 0 {
			facets, _ := filterFacets(f, acts)
			match, err := s.matchExpression(ctx, terms, facets)
			if err != nil {
				return nil, err
			}
			q.where = append(q.where, `i.list_key IN (SELECT rowid FROM incident_search WHERE incident_search MATCH `+q.arg(match)+`)`)
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
		if a.column == "party" {
			table = "party_facets"
		}
	}
	conds := []string{`f.list_key = ` + key}
	for _, a := range acts {
		conds = append(conds, a.sql(q, "f"))
	}
	return `EXISTS (SELECT 1 FROM ` + table + ` f WHERE ` + strings.Join(conds, ` AND `) + `)`
}

// actsAmongWords is the condition on acts of a walk of SQLite's full-text
// matches when the facets do not say it all (two act filters, which must
// hold for one act). With a party and a violation, when few acts meet the
// filters, their keys are read once into a temporary index that each match
// probes; otherwise, and with other filters, each match probes the per-act
// rows, and the walk stops early as matches are dense.
// The limit was set when a single violation still came here, before its
// facet (at a million incidents, the query alone): a common word (31,000
// matches) with a violation of 15,000 acts took 11–18 ms read once against
// 31–49 ms probed, and a word of 9,000 matches 6.4 against 9.4 ms; with
// 30,000 acts that word took 14–20 ms read once against 10–19 ms, and with
// 122,000 acts the common word 38–68 ms against 10–17 ms.
func (s *Store) actsAmongWords(ctx context.Context, q *listQuery, acts []actFilter) (string, error) {
	values := map[string]any{}
	for _, a := range acts {
		values[a.column] = a.value
	}
	_, party := values["party"]
	if _, violation := values["violation"]; !party || !violation {
		// A party or a violation with an age group: each probe is one seek
		// of an index that holds both filters (party_facets_age,
		// act_facets_violation_age). At a million incidents, with a common
		// word (the queries alone): a party and an age group 6.7 ms p50,
		// 34.2 p99, against 10.1 and 44.6 ms with the acts read once when
		// few; a violation and an age group 10.0 and 57.8 ms, against 12.8
		// and 61.6.
		return actsExist(q, acts, "s.rowid"), nil
	}
	fewest := -1
	for _, w := range walksFor(values) {
		n, err := s.walkRows(ctx, w, values, fewActs+1)
		if err != nil {
			return "", err
		}
		if fewest < 0 || n < fewest {
			fewest = n
		}
	}
	if fewest < 0 || fewest > fewActs {
		return actsExist(q, acts, "s.rowid"), nil
	}
	table := "act_facets"
	var conds []string
	for _, a := range acts {
		if a.column == "party" {
			table = "party_facets"
		}
		conds = append(conds, a.sql(q, "f"))
	}
	// The unary + keeps SQLite from turning the list into rowid lookups of
	// the full-text index, each of which would run the word query again.
	return `+s.rowid IN (SELECT f.list_key FROM ` + table + ` f WHERE ` + strings.Join(conds, ` AND `) + `)`, nil
}

// fewActs is where actsAmongWords stops reading acts once.
var fewActs = 20_000

// incidentConditions adds the filters on the incident itself, on the
// columns of alias (incidents i, or per-act rows f, which copy them as
// codes; their situation, a number, is the caller's), and keeps the cases
// ctx is restricted to by caseColumn: an incident's case_id, or the
// case_number of per-act rows and words.
func (s *Store) incidentConditions(ctx context.Context, q *listQuery, f Filter, key, alias, caseColumn string) error {
	var c string
	var ok bool
	if strings.HasSuffix(caseColumn, ".case_number") {
		var err error
		if c, ok, err = s.caseNumberCondition(ctx, caseColumn, q.arg); err != nil {
			return err
		}
	} else {
		c, ok = CaseCondition(ctx, caseColumn, q.arg)
	}
	if ok {
		q.where = append(q.where, c)
	}
	status := any(string(f.Status))
	if alias == "f" {
		status = statusCodes[f.Status]
	}
	if f.SituationID != "" {
		q.where = append(q.where, alias+`.situation_id = `+q.arg(f.SituationID))
	}
	if f.Status != "" {
		q.where = append(q.where, alias+`.status = `+q.arg(status))
	}
	if f.From != "" {
		// Still going on at From: it began at most the longest span
		// before, which bounds the walk back in date order.
		var longest int64
		if err := s.db.QueryRow(ctx, `SELECT COALESCE(MAX(span_days), 0) FROM incidents`).Scan(&longest); err != nil {
			return fmt.Errorf("list incidents from %s: %w", f.From, err)
		}
		q.where = append(q.where, alias+`.date_end >= `+q.arg(f.From),
			key+` >= `+q.arg(max(1, dayNumber(f.From)-longest)<<seqBits))
	}
	if f.To != "" {
		// Began on or before To: a range of list keys, dated ones only.
		q.where = append(q.where, key+` >= `+q.arg(int64(1)<<seqBits), key+` < `+q.arg(keysBefore(f.To)))
	}
	return nil
}

// chooseWalk picks the facet walk with the fewest rows among those whose
// columns all have a value; a tie goes to the one that checks more.
func (s *Store) chooseWalk(ctx context.Context, values map[string]any) (facetWalk, error) {
	candidates := walksFor(values)
	for _, w := range candidates {
		if forcedLead == w.name {
			return w, nil
		}
	}
	if len(candidates) == 1 {
		return candidates[0], nil
	}
	var best facetWalk
	bestRows := -1
	for _, w := range candidates {
		n, err := s.walkRows(ctx, w, values, facetRowsCap)
		if err != nil {
			return facetWalk{}, err
		}
		if bestRows < 0 || n < bestRows || n == bestRows && len(w.columns) > len(best.columns) {
			best, bestRows = w, n
		}
	}
	return best, nil
}

// walksFor lists the facet walks whose columns all have a value.
func walksFor(values map[string]any) []facetWalk {
	var out []facetWalk
	for _, w := range facetWalks {
		if !slices.ContainsFunc(w.columns, func(c string) bool { _, ok := values[c]; return !ok }) {
			out = append(out, w)
		}
	}
	return out
}

// forcedLead makes tests take the named facet walk when it applies.
var forcedLead string

// Counting a value's facet rows takes a few milliseconds; the count only
// steers the plan, so it is kept for a while and capped. Past the cap, the
// walk on more columns wins the tie: it skips more rows that the other
// conditions would refuse.
const (
	facetRowsCap = 10_000
	facetRowsTTL = 10 * time.Minute
)

var facetCounts sync.Map // facetCountKey → facetCount

type facetCountKey struct {
	db           *db.DB
	walk, values string
	limit        int
}

type facetCount struct {
	rows int
	at   time.Time
}

// walkRows counts the rows of walk w for values, up to limit.
func (s *Store) walkRows(ctx context.Context, w facetWalk, values map[string]any, limit int) (int, error) {
	key := facetCountKey{db: s.db, walk: w.name, limit: limit}
	var conds []string
	var args []any
	for _, c := range w.columns {
		key.values += fmt.Sprint(values[c]) + "\x00"
		args = append(args, values[c])
		conds = append(conds, fmt.Sprintf(`%s = $%d`, c, len(args)))
	}
	if c, ok := facetCounts.Load(key); ok && time.Since(c.(facetCount).at) < facetRowsTTL {
		return c.(facetCount).rows, nil
	}
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+w.table+` WHERE `+strings.Join(conds, ` AND `)+
		fmt.Sprintf(` LIMIT %d) AS rows_of_value`, limit), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("estimate the acts by %s: %w", w.name, err)
	}
	facetCounts.Store(key, facetCount{n, time.Now()})
	return n, nil
}
