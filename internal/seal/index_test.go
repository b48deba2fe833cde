package seal

import (
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/db/dbtest"
)

func TestIndexTokensFold(t *testing.T) {
	s := newSealer(t, dbtest.SQLite(t), t.TempDir())
	same := []struct{ a, b string }{
		{"Fatima", "FATIMA"},
		{"Fátima", "fatima"},
		{"Ｆａｔｉｍａ", "fatima"},                         // full-width forms (NFKC)
		{"فَاطِمَة", "فاطمه"},                        // vowel marks; taa marbuta
		{"أحمد", "احمد"},                             // hamza on alef
		{"مُوسَى", "موسي"},                           // alef maqsura
		{"שָׁלוֹם", "שלום"},                          // niqqud
		{"Nguyễn Thị", "nguyen thi"},                 // stacked Latin accents
		{"Amina, Amina!", "amina"},                   // punctuation and repeats
		{"the cat  and\tthe hat", "hat cat the and"}, // order is not kept
	}
	for _, tt := range same {
		a, b := s.IndexTokens(tt.a), s.IndexTokens(tt.b)
		if len(a) == 0 || !equalStrings(a, b) {
			t.Errorf("IndexTokens(%q) = %v, IndexTokens(%q) = %v; want equal", tt.a, a, tt.b, b)
		}
	}
	different := []struct{ a, b string }{
		{"Fatima", "Fatma"},
		{"amina", "amin"},
		{"بكر", "بكري"},
	}
	for _, tt := range different {
		if equalStrings(s.IndexTokens(tt.a), s.IndexTokens(tt.b)) {
			t.Errorf("IndexTokens(%q) equals IndexTokens(%q)", tt.a, tt.b)
		}
	}
	if n := len(s.IndexTokens("the cat and the hat")); n != 4 {
		t.Errorf("%d tokens for four distinct words", n)
	}
	if got := s.IndexTokens(" ,.;! "); len(got) != 0 {
		t.Errorf("tokens for no words: %v", got)
	}
}

func TestBlindIndexSearch(t *testing.T) {
	s := newSealer(t, dbtest.SQLite(t), t.TempDir())
	testimony := "She was taken from the market in Tawila by three armed men."
	index := s.IndexTokens(testimony)
	for _, tok := range index {
		if strings.Contains(strings.ToLower(testimony), strings.ToLower(tok)) {
			t.Errorf("token %q appears in the text", tok)
		}
		if len(tok) != 22 {
			t.Errorf("token %q is not 128 bits in base64", tok)
		}
	}
	has := map[string]bool{}
	for _, tok := range index {
		has[tok] = true
	}
	matches := func(query string) bool {
		q := s.QueryTokens(query)
		for _, tok := range q {
			if !has[tok] {
				return false
			}
		}
		return len(q) > 0
	}
	for query, want := range map[string]bool{
		"tawila":        true,
		"ARMED MEN":     true,
		"market Tawila": true,
		"market Zamzam": false,
		"taw":           false, // no prefixes
		"women":         false,
	} {
		if got := matches(query); got != want {
			t.Errorf("search %q = %v, want %v", query, got, want)
		}
	}

	other := newSealer(t, dbtest.SQLite(t), t.TempDir())
	if equalStrings(other.IndexTokens(testimony), index) {
		t.Error("two deployments produce the same tokens")
	}
}
