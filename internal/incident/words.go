package incident

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/textsearch"
)

// On PostgreSQL, the list finds incidents by word through a table of words:
// a row per incident and distinct word of its title, summary and place
// (textsearch.Words), with its list key and case number, indexed by word
// then list key. A word's matches come out in date order, as the rows of
// SQLite's full-text index do (they are stored under the list key), so a
// first page stops after fifty and a count after a thousand, reading only
// the index. The GIN index over tsvectors it replaced yielded a word's
// matches in no useful order, and each cost a visit to the incident's row:
// at a million incidents a common word with a violation took 175 ms at the
// median.
//
// incidents.search holds the same words as a tsvector (array_to_tsvector,
// no parser in between): a bulk load builds the table from it, an edit
// removes the words it held, and a short prefix that begins too many words
// to walk is checked on it.

const (
	wordsTable = `CREATE TABLE incident_words (word TEXT COLLATE "C" NOT NULL, list_key BIGINT NOT NULL, case_number BIGINT)`
	wordsIndex = `CREATE UNIQUE INDEX incident_words_walk ON incident_words (word, list_key) INCLUDE (case_number)`
	// The planner's estimates of a word's rows steer joins; the default
	// sample of a 40-million-row table knows only the commonest words.
	wordsStatistics = `ALTER TABLE incident_words ALTER word SET STATISTICS 1000`
	// searchWords stores words joined by spaces (none holds one) as the
	// incident's tsvector.
	searchWords = `array_to_tsvector(string_to_array(%s, ' '))`
)

func init() { db.RegisterMigration(14, migrateWords) }

// migrateWords replaces PostgreSQL's GIN index of incidents by the table of
// words, and rewrites each incident's tsvector as its words. SQLite keeps
// its full-text index.
func migrateWords(ctx context.Context, tx *sql.Tx, d db.Dialect) error {
	if d != db.Postgres {
		return nil
	}
	for _, q := range []string{wordsTable, wordsStatistics, `DROP INDEX IF EXISTS incidents_search`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%.60s…: %w", q, err)
		}
	}
	// In batches by list key, so that memory stays flat at any size.
	const batch = 1000
	last := int64(-1 << 63)
	for {
		rows, err := tx.QueryContext(ctx, `SELECT list_key, title, summary, place_name, place_admin_area FROM incidents
			WHERE list_key > $1 ORDER BY list_key LIMIT $2`, last, batch)
		if err != nil {
			return fmt.Errorf("read incidents for their words: %w", err)
		}
		var args []any
		for rows.Next() {
			var title, summary, place, area string
			if err := rows.Scan(&last, &title, &summary, &place, &area); err != nil {
				rows.Close()
				return err
			}
			// The key as text: a VALUES list's parameters are typed as text.
			args = append(args, strconv.FormatInt(last, 10), strings.Join(textsearch.Words(title, summary, place, area), " "))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(args) == 0 {
			break
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET search = `+fmt.Sprintf(searchWords, `v.words`)+`
			FROM (VALUES `+db.ValuesList(len(args)/2, 2)+`) AS v (list_key, words)
			WHERE incidents.list_key = v.list_key::BIGINT`, args...); err != nil {
			return fmt.Errorf("store the words of incidents: %w", err)
		}
	}
	return buildWords(ctx, tx.ExecContext)
}

// buildWords fills the empty table of words from the incidents' tsvectors,
// in index order, and indexes it.
func buildWords(ctx context.Context, exec execFunc) error {
	for _, q := range []string{
		`DROP INDEX IF EXISTS incident_words_walk`,
		`INSERT INTO incident_words (word, list_key, case_number)
			SELECT w.word, i.list_key, c.number FROM incidents i LEFT JOIN cases c ON c.id = i.case_id
			CROSS JOIN unnest(tsvector_to_array(i.search)) AS w (word) ORDER BY 1, 2`,
		wordsIndex,
		`ANALYZE incident_words`,
	} {
		if _, err := exec(ctx, q); err != nil {
			return fmt.Errorf("index incidents by word: %w", err)
		}
	}
	return nil
}

func incidentWords(in *Incident) string {
	return strings.Join(textsearch.Words(in.Title, in.Summary, in.Place.Name, in.Place.AdminArea), " ")
}

// writeWords adds the rows of one incident's words (joined by spaces).
func writeWords(ctx context.Context, tx *db.Tx, words string, key int64, caseID string) error {
	if words == "" {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO incident_words (word, list_key, case_number)
		SELECT w.word, $2, (SELECT number FROM cases WHERE id = $3) FROM unnest(string_to_array($1, ' ')) AS w (word)`,
		words, key, db.NullIfEmpty(caseID)); err != nil {
		return fmt.Errorf("index incident by word: %w", err)
	}
	return nil
}

// deleteWords removes the rows of the words an incident's tsvector holds,
// before the incident changes: the words it was indexed under, whatever
// the code that folds text does today.
func deleteWords(ctx context.Context, tx *db.Tx, id string, key int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM incident_words WHERE list_key = $1
		AND word IN (SELECT unnest(tsvector_to_array(search)) FROM incidents WHERE id = $2)`, key, id); err != nil {
		return fmt.Errorf("re-index incident %s by word: %w", id, err)
	}
	return nil
}

// maxPrefixWords bounds the words a query's last word, a prefix, is
// expanded to: each is walked in date order and the walks merged. A
// shorter prefix is checked on the incidents' tsvectors instead. SQLite
// expands prefixes with the same bound (searchwords.go).
var maxPrefixWords = 32

// queryWord is one word of a query, as the words it stands for.
type queryWord struct {
	words []string
	// prefix: a prefix beginning more than maxPrefixWords words, which
	// words does not list.
	prefix string
}

// queryWords expands a query's terms: each is a word, and the last also
// stands for the words it begins, as many as there are up to
// maxPrefixWords.
func (s *Store) queryWords(ctx context.Context, terms []string) ([]queryWord, error) {
	out := make([]queryWord, len(terms))
	for i, t := range terms[:len(terms)-1] {
		out[i].words = []string{textsearch.Cut(t)}
	}
	prefix := textsearch.Cut(terms[len(terms)-1])
	// A loose scan of the index: each step finds the next word in the range.
	rows, err := s.db.Query(ctx, `WITH RECURSIVE v (word) AS (
			SELECT min(word) FROM incident_words WHERE word >= $1 AND word < $2
			UNION ALL
			SELECT (SELECT min(word) FROM incident_words WHERE word > v.word AND word < $2) FROM v WHERE v.word IS NOT NULL)
		SELECT word FROM v WHERE word IS NOT NULL LIMIT $3`, prefix, prefix+"\U0010FFFF", maxPrefixWords+1)
	if err != nil {
		return nil, fmt.Errorf("expand %q: %w", prefix, err)
	}
	defer rows.Close()
	last := &out[len(out)-1]
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			return nil, err
		}
		last.words = append(last.words, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("expand %q: %w", prefix, err)
	}
	if len(last.words) > maxPrefixWords {
		last.words, last.prefix = nil, prefix
	}
	return out, nil
}

// tsquery is a prefix as a tsquery, lexeme as is: words hold no quote or
// backslash (textsearch.Terms splits on them).
func (w queryWord) tsquery() string { return `'` + w.prefix + `':*` }

// planWords plans a list with words on PostgreSQL. In date order, the
// rarest word's rows are walked (each of the words a prefix stands for,
// merged) and the rest checked on the way; in other orders, incidents are
// walked by that order with each word a condition.
func (s *Store) planWords(ctx context.Context, q *listQuery, f Filter, terms []string, acts []actFilter) error {
	words, err := s.queryWords(ctx, terms)
	if err != nil {
		return err
	}
	walked := -1
	if q.byKey {
		if walked, err = s.rarestWord(ctx, words); err != nil {
			return err
		}
	}
	if walked < 0 {
		q.source, q.key = `incidents i`, `i.list_key`
		if err := s.incidentConditions(ctx, q, f, "i.list_key", "i", "i.case_id"); err != nil {
			return err
		}
		for _, w := range words {
			q.where = append(q.where, wordCondition(q, w, "i.list_key"))
		}
		if len(acts) > 0 {
			q.where = append(q.where, partyOrActsExist(q, acts, "i.list_key"))
		}
		return nil
	}

	q.source, q.key, q.perAct = `incident_words w`, `w.list_key`, true
	if f.SituationID != "" || f.Status != "" || f.From != "" || f.To != "" ||
		slices.ContainsFunc(words, func(w queryWord) bool { return w.prefix != "" }) {
		q.source += ` JOIN incidents i ON i.list_key = w.list_key`
	}
	switch len(words[walked].words) {
	case 0:
		q.where = append(q.where, `1 = 0`) // a prefix that begins no word
	case 1:
		q.where = append(q.where, `w.word = `+q.arg(words[walked].words[0]))
	default:
		for _, w := range words[walked].words {
			q.branches = append(q.branches, `w.word = `+q.arg(w))
		}
	}
	if err := s.incidentConditions(ctx, q, f, "w.list_key", "i", "w.case_number"); err != nil {
		return err
	}
	for i, w := range words {
		if i != walked {
			q.where = append(q.where, wordCondition(q, w, "w.list_key"))
		}
	}
	if len(acts) > 0 {
		q.where = append(q.where, partyOrActsExist(q, acts, "w.list_key"))
	}
	return nil
}

// wordCondition is the condition that the incident whose list key is in
// key holds w: a probe of the table of words, or of the incident's
// tsvector (as i) for a short prefix.
func wordCondition(q *listQuery, w queryWord, key string) string {
	if w.prefix != "" {
		return `i.search @@ ` + q.arg(w.tsquery()) + `::tsquery`
	}
	if len(w.words) == 0 {
		return `1 = 0` // a prefix that begins no word
	}
	in := make([]string, len(w.words))
	for i, word := range w.words {
		in[i] = q.arg(word)
	}
	return `EXISTS (SELECT 1 FROM incident_words x WHERE x.list_key = ` + key + ` AND x.word IN (` + strings.Join(in, `, `) + `))`
}

// rarestWord picks the query word with the fewest rows to walk, counted up
// to facetRowsCap per word, or -1 when every word is a short prefix.
func (s *Store) rarestWord(ctx context.Context, words []queryWord) (int, error) {
	var candidates []int
	for i, w := range words {
		if w.prefix == "" {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) <= 1 {
		return append(candidates, -1)[0], nil
	}
	best, bestRows := -1, -1
	for _, i := range candidates {
		rows := 0
		for _, word := range words[i].words {
			n, err := s.walkRows(ctx, wordWalk, map[string]any{"word": word}, facetRowsCap)
			if err != nil {
				return 0, err
			}
			rows += n
		}
		if bestRows < 0 || rows < bestRows {
			best, bestRows = i, rows
		}
	}
	return best, nil
}

// wordWalk counts a word's rows for rarestWord.
var wordWalk = facetWalk{name: "word", table: "incident_words", columns: []string{"word"}}
