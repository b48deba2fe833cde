package incident

import (
	"context"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

// searchWordsAfter learns the words of texts into an empty list and returns
// the list.
func searchWordsAfter(t *testing.T, d *db.DB, texts ...string) []string {
	t.Helper()
	ctx := context.Background()
	var words []string
	err := d.Write(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM search_words`); err != nil {
			return err
		}
		args := make([]any, len(texts))
		for i, s := range texts {
			args[i] = s
		}
		if err := learnSearchWords(ctx, tx, args); err != nil {
			return err
		}
		var err error
		words, err = db.Column[string](tx.Query(ctx, `SELECT word FROM search_words ORDER BY word`))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return words
}

// A search completes its last word from the list only when FTS5 keeps that
// word as it is; every character foldsToItself accepts must then be one
// FTS5 keeps, alone and inside a word.
func TestCompletionsFoldAsTheIndexDoes(t *testing.T) {
	d := dbtest.SQLite(t)
	var accepted []string
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if utf8.ValidRune(r) && foldsToItself(string(r)) {
			accepted = append(accepted, string(r))
		}
	}
	if len(accepted) < 26+10+27+40 {
		t.Fatalf("foldsToItself accepts only %d characters", len(accepted))
	}
	slices.Sort(accepted)
	if got := searchWordsAfter(t, d, strings.Join(accepted, " ")); !slices.Equal(got, accepted) {
		t.Errorf("FTS5 folds %d characters foldsToItself accepts: %v", len(accepted), firstMissing(accepted, got))
	}
	word := strings.Join(accepted, "")
	if got := searchWordsAfter(t, d, word); !slices.Equal(got, []string{word}) {
		t.Errorf("FTS5 splits or folds a word of every accepted character into %q", got)
	}
	// Characters FTS5 folds, or splits a word at, are not accepted.
	for _, s := range []string{"É", "é", "ß", "Σ", "ж", "ـ", "ﻻ", "a-b", "a b", "a\uE000b", ""} {
		if foldsToItself(s) {
			t.Errorf("foldsToItself(%q) = true", s)
		}
	}
	if got := searchWordsAfter(t, d, "Élodie"); !slices.Equal(got, []string{"elodie"}) {
		t.Errorf("FTS5 folded Élodie to %q; the test of what it folds is out of date", got)
	}
	// The words listed are FTS5's: searched for again, each is itself.
	words := searchWordsAfter(t, d, "Élodie's café, Ελλάδα, Москва, الجنينه ملفات, כפר עזה, Straße 232")
	if again := searchWordsAfter(t, d, strings.Join(words, " ")); !slices.Equal(again, words) {
		t.Errorf("the words %q fold again into %q", words, again)
	}
}

func firstMissing(want, got []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(got, w) && len(out) < 10 {
			out = append(out, w)
		}
	}
	return out
}

func TestCompletions(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	s := NewStore(d)
	words := []string{"mem", "member", "members", "membership", "memo", "cafe", "ملف", "ملفات", "ملك", "מלון", "מלונות"}
	for i := range 40 {
		words = append(words, "kappa"+string(rune('a'+i/26))+string(rune('a'+i%26)))
	}
	err := d.Write(ctx, func(tx *db.Tx) error {
		for _, w := range words {
			if _, err := tx.Exec(ctx, `INSERT INTO search_words (word) VALUES ($1)`, w); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		term string
		want []string
	}{
		{"membe", []string{"member", "members", "membership"}},
		{"members", []string{"members", "membership"}},
		{"mem", []string{"mem", "member", "members", "membership", "memo"}},
		{"ملف", []string{"ملف", "ملفات"}},
		{"מלו", []string{"מלון", "מלונות"}},
		{"kappa", nil}, // more than maxPrefixWords: a prefix query
		{"café", nil},  // FTS5 folds it to cafe: a prefix query
		{"zebra", nil}, // no word: a prefix query, which finds nothing
		{"kappaab", []string{"kappaab"}},
	} {
		got, err := s.completions(ctx, c.term)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("completions(%q) = %q, want %q", c.term, got, c.want)
		}
	}
}
