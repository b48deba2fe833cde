package incident

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"modernc.org/sqlite"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/textsearch"
)

// SQLite finds incidents by word through an FTS5 index whose rows are the
// incidents' list keys, so a word's matches come out in date order.
//
// Beside the text, each row holds facets (textsearch.Facet): words that
// stand for the incident's situation and status and for what its acts are,
// as the per-act rows have it (facets.go): each violation and family, each
// victim's age group, each party behind an act and that party's parents,
// by the rows' numbers (the situation and status by their own values). A
// search with such filters is then one MATCH, and FTS5 intersects the
// word's matches with the value's, skipping through both lists, instead of
// handing every match of the word out to be checked. At a million
// incidents, counting a thousand matches of a common word (31,000
// incidents) with a violation of 30,000 to 115,000 incidents took 7–10 ms
// this way against 20–45 ms checking each match's acts.

// searchTable is the full-text index. The last word of a query matches as
// a prefix; without prefix indexes FTS5 merges the lists of every word a
// short prefix starts before returning a row ("a*": 0.6 s at a million
// incidents; with them, 0.2 ms).
const searchTable = `CREATE VIRTUAL TABLE incident_search USING fts5 (
	title, summary, place, facets, content = '', contentless_delete = 1,
	tokenize = ` + searchTokenizer + `, prefix = '1 2 3')`

// The kinds of facet, each a letter before the value in its word.
const (
	situationFacet = "s"
	statusFacet    = "t"
	violationFacet = "v"
	ageFacet       = "a"
	partyFacet     = "p"
)

// Migration 15 first wrote the facets, without parties, and migration 17
// all of them by name; migration 19 (facets.go) writes them by number.
func init() {
	db.RegisterMigration(15, func(context.Context, *sql.Tx, db.Dialect) error { return nil })
	db.RegisterMigration(17, func(context.Context, *sql.Tx, db.Dialect) error { return nil })
}

// migrateSearch writes SQLite's full-text index anew, with facets.
func migrateSearch(ctx context.Context, tx *sql.Tx, d db.Dialect) error {
	if d != db.SQLite {
		return nil
	}
	if err := recreateSearch(ctx, tx.ExecContext); err != nil {
		return err
	}
	return indexSearch(ctx, tx.ExecContext)
}

// recreateSearch drops SQLite's full-text index and the list of its words
// (searchwords.go), and creates them empty.
func recreateSearch(ctx context.Context, exec execFunc) error {
	for _, q := range []string{`DROP TABLE IF EXISTS incident_search`, `DROP TABLE IF EXISTS search_words`, searchTable, searchWordsTable} {
		if _, err := exec(ctx, q); err != nil {
			return fmt.Errorf("%.60s…: %w", q, err)
		}
	}
	return nil
}

// SQL functions that fold an incident's text as the Go code does
// (textsearch) and turn the values its per-act rows hold into facets, so
// that full-text rows can be written by INSERT … SELECT inside SQLite.
const (
	searchTextFunction   = "dossier_search_text"
	searchFacetsFunction = "dossier_search_facets"
)

func init() {
	// Arguments joined by spaces, folded (textsearch.Document).
	sqlite.MustRegisterDeterministicScalarFunction(searchTextFunction, -1,
		func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			return textsearch.Document(stringArgs(args)...), nil
		})
	// Arguments of kind-prefixed values ("vrape"), several to an argument
	// when separated by spaces.
	sqlite.MustRegisterDeterministicScalarFunction(searchFacetsFunction, -1,
		func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			return facetWords(strings.Fields(strings.Join(stringArgs(args), " "))), nil
		})
}

func stringArgs(args []driver.Value) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i], _ = a.(string) // NULL folds to nothing
	}
	return out
}

// facetWords is the facets column of a row: the Facet of each distinct
// kind-prefixed value, in the order given.
func facetWords(kindValues []string) string {
	var words []string
	for i, kv := range kindValues {
		if len(kv) > 1 && !slices.Contains(kindValues[:i], kv) {
			words = append(words, textsearch.Facet(kv[:1], kv[1:]))
		}
	}
	return strings.Join(words, " ")
}

// filterFacets are the facets an incident must hold to meet f, whose act
// filters are acts, and whether they say all that f asks of its acts: at
// most one act filter, as two must hold for one act, and facets stand for
// the whole incident.
//
// With two act filters or more, the acts are checked on their per-act rows
// anyway, so the match takes only the facet of the narrowest filter: a
// party's, else a violation's. Every facet of a match is a list FTS5 walks
// whole when the matches are few, and an age group's list holds a quarter
// to a half of all incidents, a violation's up to two thirds. At a million
// incidents, a common word with a party and an age group took 28.3 ms
// (p50) with both facets and 18.6 without the age group's; with a party
// and a violation, 11.6 against 7.1 ms (the queries alone; bench/README.md,
// "Stop 17").
func filterFacets(f Filter, acts []actFilter) ([]string, bool) {
	var facets []string
	add := func(kind, value string) {
		if value != "" {
			facets = append(facets, textsearch.Facet(kind, value))
		}
	}
	add(situationFacet, f.SituationID)
	add(statusFacet, string(f.Status))
	exact := len(acts) <= 1
	narrowest := ""
	for _, column := range []string{"age_group", "violation", "party"} {
		if slices.ContainsFunc(acts, func(a actFilter) bool { return a.column == column }) {
			narrowest = column
		}
	}
	for _, a := range acts {
		if exact || a.column == narrowest {
			add(actFacets[a.column], strconv.FormatInt(a.value, 10))
		}
	}
	return facets, exact
}

// actFacets is the kind of facet of each column of the per-act rows an act
// filter checks; the facets hold the same numbers.
var actFacets = map[string]string{"party": partyFacet, "violation": violationFacet, "age_group": ageFacet}

// searchHashBytes is how much text FTS5 gathers in memory before writing a
// segment while indexSearch runs (its default is 1 MiB). Fewer, larger
// segments leave less to merge. Together with writing in one statement
// rather than one per 256 rows, building the index for 100,000 incidents
// went from 11.2 to 8.0 s of CPU, now nearly all tokenising.
const searchHashBytes = 64 << 20

// searchFacetsSQL is the facets column of incident i's full-text row,
// read from its per-act rows, which must be written first.
func searchFacetsSQL() string {
	return searchFacetsFunction + `('` + situationFacet + `' || COALESCE(i.situation_id, ''), '` + statusFacet + `' || i.status,
		(SELECT group_concat('` + violationFacet + `' || f.violation || ' ` + ageFacet + `' || f.age_group, ' ')
		FROM act_facets f WHERE f.list_key = i.list_key),
		(SELECT group_concat('` + partyFacet + `' || p.party, ' ') FROM party_facets p WHERE p.list_key = i.list_key))`
}

// searchRowSQL selects the full-text row of each of incidents (source,
// as i): its list key, its text folded, and its facets.
func searchRowSQL(source string) string {
	text := searchTextFunction
	return `SELECT i.list_key, ` + text + `(i.title), ` + text + `(i.summary), ` + text + `(i.place_name, i.place_admin_area), ` +
		searchFacetsSQL() + ` FROM ` + source
}

// indexSearch writes the SQLite full-text index of every incident into an
// empty index (just created, or after a bulk load's last row), under list
// keys and in their order, in one statement. FTS5 writes out the terms it
// gathers at every statement and whenever a row comes below the last one,
// so rows in any other order, or in many statements, would leave a small
// segment each to be merged. The incidents are read in the table's order
// (an import's) and sorted: read in key order through the index, each was
// a read of a page out of place, and at a million incidents building the
// index took 84 and 88 s against 59 and 66 s sorted.
func indexSearch(ctx context.Context, exec execFunc) error {
	return buildSearch(ctx, exec, searchRowSQL(`incidents i NOT INDEXED`)+` ORDER BY i.list_key`, searchHashBytes)
}

// buildSearch writes the full-text rows that rows selects, in key order,
// into an empty index, with FTS5's build buffer raised to hashBytes
// meanwhile, and then lists the index's words.
func buildSearch(ctx context.Context, exec execFunc, rows string, hashBytes int) error {
	setHash := func(bytes int) error {
		_, err := exec(ctx, fmt.Sprintf(`INSERT INTO incident_search (incident_search, rank) VALUES ('hashsize', %d)`, bytes))
		return err
	}
	if err := setHash(hashBytes); err != nil {
		return fmt.Errorf("index incidents for search: %w", err)
	}
	if _, err := exec(ctx, `INSERT INTO incident_search (rowid, title, summary, place, facets) `+rows); err != nil {
		return fmt.Errorf("index incidents for search: %w", err)
	}
	// Back to the default, which later writes (a statement or a few rows
	// each) never come near.
	if err := setHash(1 << 20); err != nil {
		return fmt.Errorf("index incidents for search: %w", err)
	}
	return writeSearchWords(ctx, exec)
}

// reindexSearch writes anew the full-text rows of the incidents whose list
// keys where selects, once their per-act rows have changed: their facets,
// not their words.
func reindexSearch(ctx context.Context, tx *db.Tx, where string, args ...any) error {
	if err := tx.FlushQueue(ctx, "incident_search"); err != nil {
		return err
	}
	keys := `SELECT i.list_key FROM incidents i WHERE ` + where
	if _, err := tx.Exec(ctx, `DELETE FROM incident_search WHERE rowid IN (`+keys+`)`, args...); err != nil {
		return fmt.Errorf("reindex incidents for search: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO incident_search (rowid, title, summary, place, facets) `+
		searchRowSQL(`incidents i`)+` WHERE `+where+` ORDER BY i.list_key`, args...); err != nil {
		return fmt.Errorf("reindex incidents for search: %w", err)
	}
	return nil
}

// indexSQLite queues the incident's row of the full-text index, under its
// list key, once its per-act rows are written; rows are written in batches
// (see db.Tx.Queue).
func indexSQLite(ctx context.Context, tx *db.Tx, key int64, in *Incident) error {
	var facets string
	if err := tx.QueryRow(ctx, `SELECT `+searchFacetsSQL()+` FROM incidents i WHERE i.list_key = $1`, key).Scan(&facets); err != nil {
		return fmt.Errorf("read the facets of incident %s: %w", in.ID, err)
	}
	return tx.Queue(ctx, "incident_search", searchBatch, writeSearchRows, key, textsearch.Normalize(in.Title),
		textsearch.Normalize(in.Summary), textsearch.Document(in.Place.Name, in.Place.AdminArea), facets)
}

const searchBatch = 256

func writeSearchRows(ctx context.Context, tx *db.Tx, rows [][]any) error {
	args := make([]any, 0, len(rows)*5)
	texts := make([]any, 0, len(rows))
	for _, r := range rows {
		args = append(args, r...)
		texts = append(texts, r[1].(string)+" "+r[2].(string)+" "+r[3].(string)) // title, summary, place
	}
	if err := learnSearchWords(ctx, tx, texts); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO incident_search (rowid, title, summary, place, facets) VALUES `+
		db.ValuesList(len(rows), 5), args...)
	if err != nil {
		return fmt.Errorf("index incidents for search: %w", err)
	}
	return nil
}
