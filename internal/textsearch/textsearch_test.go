package textsearch

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTerms(t *testing.T) {
	cases := []struct {
		query string
		want  []string
	}{
		{"Nova festival", []string{"nova", "festival"}},
		{`"quoted" OR NEAR(x)`, []string{"quoted", "or", "near", "x"}},
		{"Kibbutz Re'im", []string{"kibbutz", "re", "im"}},
		{"الجَنِينَة", []string{"الجنينه"}},           // vowel marks dropped, taa marbuta folded
		{"أحمد إبراهيم", []string{"احمد", "ابراهيم"}}, // hamza forms of alef folded
		{"כְּפַר עַזָּה", []string{"כפר", "עזה"}},     // niqqud dropped
		{"  ", nil},
	}
	for _, c := range cases {
		if got := Terms(c.query); !slices.Equal(got, c.want) {
			t.Errorf("Terms(%q) = %q, want %q", c.query, got, c.want)
		}
	}
}

func TestQueries(t *testing.T) {
	terms := []string{"road", "23"}
	if got := FTS5(terms); got != `"road" "23"*` {
		t.Errorf("FTS5 = %s", got)
	}
	if got := TSQuery(terms); got != `'road' & '23':*` {
		t.Errorf("TSQuery = %s", got)
	}
	facet := Facet("v", "gang_rape")
	if facet != "\uE000vgangrape" {
		t.Errorf("Facet = %q", facet)
	}
	if got := FTS5(terms, facet); got != `"road" "23"* "`+facet+`"` {
		t.Errorf("FTS5 with a facet = %s", got)
	}
	if got := FTS5Completed(terms, []string{"23", "232"}, facet); got != `"road" AND ("23" OR "232") AND "`+facet+`"` {
		t.Errorf("FTS5Completed = %s", got)
	}
	if got := FTS5Completed([]string{"nova"}, []string{"nova"}); got != `("nova")` {
		t.Errorf("FTS5Completed of one word = %s", got)
	}
	if got := FTS5Completed(terms, nil, facet); got != FTS5(terms, facet) {
		t.Errorf("FTS5Completed with no completions = %s", got)
	}
}

// No text and no query can hold a facet's word: a title that copies one
// is indexed as other words, and a query that copies one asks for those.
func TestFacetsCannotBeWritten(t *testing.T) {
	facet := Facet("v", "rape")
	if doc := Document("title " + facet); strings.ContainsRune(doc, facetMark) {
		t.Errorf("Document kept the facet mark: %q", doc)
	}
	if got := Terms(facet); !slices.Equal(got, []string{"vrape"}) {
		t.Errorf("Terms(%q) = %q", facet, got)
	}
}

func TestWords(t *testing.T) {
	got := Words("Road 232: the road", "Kfar Aza", "road")
	if want := []string{"road", "232", "the", "kfar", "aza"}; !slices.Equal(got, want) {
		t.Errorf("Words = %q, want %q", got, want)
	}
	long := strings.Repeat("ع", 150) // 300 bytes
	w := Words(long)
	if len(w) != 1 || len(w[0]) != MaxWordBytes || !utf8.ValidString(w[0]) {
		t.Errorf("a 300-byte word became %d bytes, valid %v", len(w[0]), utf8.ValidString(w[0]))
	}
	if Cut(strings.Repeat("a", 201)+"ع") != strings.Repeat("a", 200) {
		t.Error("Cut keeps more than MaxWordBytes")
	}
	if Cut("a"+strings.Repeat("ع", 100)) != "a"+strings.Repeat("ع", 99) { // 201 bytes: the last letter would be split
		t.Error("Cut splits a character")
	}
}
