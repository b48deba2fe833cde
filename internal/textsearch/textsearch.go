// Package textsearch prepares text for the full-text indexes (FTS5 on SQLite;
// on PostgreSQL, a table of words for incidents and tsvectors for parties)
// and turns what a user types into a safe query for
// either engine. Text is normalised the same way on the way in and on the way
// out, so Arabic written with or without vowel marks, and Hebrew with or
// without niqqud, finds the same records.
package textsearch

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds text for indexing: NFKC, lower case, and without the marks
// that Arabic and Hebrew writers may or may not add. Private-use characters
// become spaces, so that no text can hold a Facet.
func Normalize(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case isArabicMark(r), isHebrewMark(r), r == 'ـ': // tatweel stretches a word, it is not a letter
			continue
		case unicode.Is(unicode.Co, r):
			b.WriteByte(' ')
		case r == 'أ' || r == 'إ' || r == 'آ' || r == 'ٱ':
			b.WriteRune('ا') // hamza-carrying alef forms are written interchangeably
		case r == 'ى':
			b.WriteRune('ي')
		case r == 'ة':
			b.WriteRune('ه')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

func isArabicMark(r rune) bool {
	return (r >= 0x064B && r <= 0x065F) || r == 0x0670 || (r >= 0x06D6 && r <= 0x06ED)
}

func isHebrewMark(r rune) bool {
	return r >= 0x0591 && r <= 0x05C7 && r != 0x05BE && r != 0x05C0 && r != 0x05C3 && r != 0x05C6
}

// Terms splits a user's query into normalised words.
func Terms(query string) []string {
	return strings.FieldsFunc(Normalize(query), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r)
	})
}

// MaxWordBytes bounds a word in a table of words (PostgreSQL's index of
// incidents by word): an index entry has a size limit, and no real word
// comes near it. Longer words are cut, in the table and in queries alike.
const MaxWordBytes = 200

// Words returns the distinct words of fields as Terms splits them, each cut
// to MaxWordBytes, in order of first appearance.
func Words(fields ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range Terms(strings.Join(fields, " ")) {
		w = Cut(w)
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// Cut shortens a word to MaxWordBytes, on a character boundary.
func Cut(word string) string {
	if len(word) <= MaxWordBytes {
		return word
	}
	end := MaxWordBytes
	for end > 0 && !utf8.RuneStart(word[end]) {
		end--
	}
	return word[:end]
}

// FTS5 renders terms as an FTS5 MATCH expression: every word must appear,
// and the last may be the start of a word, so results follow typing. Each
// of facets (Facet words) must appear too.
func FTS5(terms []string, facets ...string) string {
	parts := quoted(terms)
	if len(parts) > 0 {
		parts[len(parts)-1] += "*"
	}
	return strings.Join(append(parts, quoted(facets)...), " ")
}

// FTS5Completed is FTS5 with the last term asked for as the whole words
// it begins (completions), one of which must appear, instead of as a
// prefix; with no completions it is FTS5.
func FTS5Completed(terms, completions []string, facets ...string) string {
	if len(completions) == 0 {
		return FTS5(terms, facets...)
	}
	parts := quoted(terms[:len(terms)-1])
	parts = append(parts, "("+strings.Join(quoted(completions), " OR ")+")")
	return strings.Join(append(parts, quoted(facets)...), " AND ")
}

// quoted puts each word in double quotes, as FTS5 strings: words hold no
// quote (Terms splits on them, and FTS5's tokenizer too).
func quoted(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = `"` + w + `"`
	}
	return out
}

// TSQuery renders terms as a PostgreSQL to_tsquery('simple', …) expression
// with the same meaning as FTS5.
func TSQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = "'" + t + "'"
		if i == len(terms)-1 {
			parts[i] += ":*"
		}
	}
	return strings.Join(parts, " & ")
}

// facetMark begins every Facet. FTS5's tokenizer keeps private-use
// characters inside words, while Terms splits a query at them and
// Normalize removes them from text: only Facet can write such a word.
const facetMark = '\uE000'

// Facet is a word of SQLite's full-text index that stands for a value of
// the record (kind says which: a violation, a situation…) rather than for
// its text, so that one MATCH finds the incidents with a word and a value
// together. The value keeps only its letters and digits, lower-cased, so
// that the tokenizer leaves it whole.
func Facet(kind, value string) string {
	var b strings.Builder
	b.WriteRune(facetMark)
	b.WriteString(kind)
	for _, r := range strings.ToLower(value) {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Document joins the fields of a record into the text that is indexed.
func Document(fields ...string) string {
	return Normalize(strings.Join(fields, " "))
}
