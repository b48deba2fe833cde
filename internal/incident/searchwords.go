package incident

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/textsearch"
)

// The last word of a search matches as the start of a word, so that
// results follow typing. FTS5 answers a prefix by gathering the matches of
// every word it begins, all of them, before it returns one; a whole word's
// matches it reads newest first, and stops after a page. At a million
// incidents, the first 1,001 matches of a common word took 6–8 ms at the
// median as a prefix and 0.3–0.4 ms as the words it begins (with a
// violation's facet, 9–11 ms against 3 ms); of its first four letters,
// 23 ms against 0.7 ms. So SQLite keeps the words of its index in a table
// of their own, and a search asks for the whole words its last word
// begins, when they are few (maxPrefixWords, as on PostgreSQL):
// ("members" OR "membership") for "members"*.
//
// The table holds FTS5's own words, as its tokenizer splits and folds
// them: read from the index's vocabulary after a build (writeSearchWords),
// and from the text of each incident written since (learnSearchWords). A
// word whose last incident was edited or deleted stays until the next
// build, and then matches nothing; the revision history keeps that text
// anyway.

// searchTokenizer splits and folds the incidents' text into words, in
// the full-text index and wherever its words are read.
const searchTokenizer = `'unicode61 remove_diacritics 2'`

const searchWordsTable = `CREATE TABLE search_words (word TEXT PRIMARY KEY) WITHOUT ROWID`

// notFacet keeps the words of text (term) out of a vocabulary that holds
// facets too.
const notFacet = `substr(term, 1, 1) <> char(57344)` // textsearch.Facet's mark, U+E000

// Migration 20 lists the words of existing stores' indexes. A store that
// has just come through migration 19 has them: its index was built anew
// there, and the list with it.
func init() {
	db.RegisterMigration(20, func(ctx context.Context, tx *sql.Tx, d db.Dialect) error {
		if d != db.SQLite {
			return nil
		}
		if listed, err := tableExists(ctx, tx, d, "search_words"); err != nil || listed {
			return err
		}
		if _, err := tx.ExecContext(ctx, searchWordsTable); err != nil {
			return err
		}
		return writeSearchWords(ctx, tx.ExecContext)
	})
}

// tableExists tells whether a migration finds table in the store.
func tableExists(ctx context.Context, tx *sql.Tx, d db.Dialect, table string) (bool, error) {
	query := `SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1)`
	if d == db.Postgres {
		query = `SELECT to_regclass($1) IS NOT NULL`
	}
	var exists bool
	err := tx.QueryRowContext(ctx, query, table).Scan(&exists)
	return exists, err
}

// writeSearchWords lists anew the words of the full-text index, once it is
// built.
func writeSearchWords(ctx context.Context, exec execFunc) error {
	for _, q := range []string{
		`CREATE VIRTUAL TABLE IF NOT EXISTS temp.incident_search_vocabulary USING fts5vocab (main, incident_search, row)`,
		`DELETE FROM search_words`,
		`INSERT INTO search_words SELECT term FROM temp.incident_search_vocabulary WHERE ` + notFacet,
	} {
		if _, err := exec(ctx, q); err != nil {
			return fmt.Errorf("list the words of the full-text index: %w", err)
		}
	}
	return nil
}

// learnSearchWords adds the words of texts to search_words, as FTS5 splits
// and folds them: the texts go through a full-text table of the same
// tokenizer in the connection's temporary database, whose vocabulary is
// read, and which is then emptied.
func learnSearchWords(ctx context.Context, tx *db.Tx, texts []any) error {
	steps := []struct {
		query string
		args  []any
	}{
		{`CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_fold USING fts5 (text, content = '', detail = none, tokenize = ` +
			searchTokenizer + `)`, nil},
		{`CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_fold_vocabulary USING fts5vocab (temp, search_fold, row)`, nil},
		{`INSERT INTO temp.search_fold (text) VALUES ` + db.ValuesList(len(texts), 1), texts},
		{`INSERT OR IGNORE INTO search_words SELECT term FROM temp.search_fold_vocabulary`, nil},
		{`INSERT INTO temp.search_fold (search_fold) VALUES ('delete-all')`, nil},
	}
	for _, step := range steps {
		if _, err := tx.Exec(ctx, step.query, step.args...); err != nil {
			return fmt.Errorf("list the words of new incidents: %w", err)
		}
	}
	return nil
}

// matchExpression is the FTS5 query of terms and facets, with the last term
// asked for as the whole words it begins when search_words lists few
// enough, and as a prefix otherwise.
func (s *Store) matchExpression(ctx context.Context, terms, facets []string) (string, error) {
	words, err := s.completions(ctx, terms[len(terms)-1])
	if err != nil {
		return "", err
	}
	return textsearch.FTS5Completed(terms, words, facets...), nil
}

// completions returns the words of the index that term begins, or nil
// when there are none or more than maxPrefixWords (FTS5's prefix indexes
// answer the shortest prefixes, which begin the most), or when FTS5 might
// fold term into another word.
func (s *Store) completions(ctx context.Context, term string) ([]string, error) {
	if !foldsToItself(term) {
		return nil, nil
	}
	words, err := db.Column[string](s.db.Query(ctx, `SELECT word FROM search_words WHERE word >= $1 AND word < $2 LIMIT $3`,
		term, term+"\U0010FFFF", maxPrefixWords+1))
	if err != nil {
		return nil, fmt.Errorf("complete %q: %w", term, err)
	}
	if len(words) > maxPrefixWords {
		return nil, nil
	}
	return words, nil
}

// foldsToItself tells whether FTS5's tokenizer keeps term as one word,
// unchanged: only then are the words a range of search_words holds those
// FTS5 would match with term as a prefix. It holds for lower-case ASCII
// letters and digits and the Arabic and Hebrew letters textsearch leaves;
// other terms (accented Latin letters, Greek, Cyrillic…) keep the prefix
// query. TestCompletionsFoldAsTheIndexDoes checks each letter against FTS5.
func foldsToItself(term string) bool {
	for _, r := range term {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
		case 'א' <= r && r <= 'ת': // Hebrew letters, final forms among them
		case 0x0621 <= r && r <= 0x063A, 0x0641 <= r && r <= 0x064A, 0x0660 <= r && r <= 0x0669: // Arabic letters and digits
		default:
			return false
		}
	}
	return term != ""
}
