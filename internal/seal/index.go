package seal

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/dossier-org/dossier/internal/textsearch"
)

// indexTokenSize is the length of a blind index token in bytes: 128 bits,
// so that two different words colliding is out of reach.
const indexTokenSize = 16

// IndexTokens returns the blind index tokens for sealed text: one per
// distinct word, a keyed HMAC of the word after folding (case, Unicode
// compatibility forms, Arabic and Hebrew vowel marks and letter variants,
// Latin accents). Store them beside the record; they reveal which records
// share a word and how common a word is, never the word itself, its
// position, or how often it occurs in one text. Sorted, without duplicates.
func (s *Sealer) IndexTokens(text string) []string {
	words := foldedWords(text)
	slices.Sort(words)
	words = slices.Compact(words)
	tokens := make([]string, 0, len(words))
	for _, w := range words {
		tokens = append(tokens, s.token(w))
	}
	slices.Sort(tokens)
	return tokens
}

// QueryTokens returns the tokens a search must find, all of them, for the
// words of query: whole words only, since a token cannot match a prefix.
func (s *Sealer) QueryTokens(query string) []string {
	return s.IndexTokens(query)
}

func (s *Sealer) token(word string) string {
	out, err := s.index.ComputePRF([]byte(word), indexTokenSize)
	if err != nil {
		// HMAC-SHA256 with a 16-byte output cannot fail once the key loaded.
		panic(fmt.Sprintf("seal: blind index: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(out)
}

// foldedWords splits text into words folded the way the full-text search
// folds them (textsearch), and also without the accents of Latin letters,
// as SQLite's remove_diacritics does: "Amína" and "AMINA" are one word.
func foldedWords(text string) []string {
	terms := textsearch.Terms(text)
	for i, t := range terms {
		terms[i] = stripLatinAccents(t)
	}
	return terms
}

func stripLatinAccents(word string) string {
	decomposed := norm.NFD.String(word)
	var b strings.Builder
	b.Grow(len(decomposed))
	var base rune
	for _, r := range decomposed {
		if unicode.Is(unicode.Mn, r) && unicode.Is(unicode.Latin, base) {
			continue
		}
		if !unicode.Is(unicode.Mn, r) {
			base = r
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}
