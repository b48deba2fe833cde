package textsearch

import (
	"slices"
	"testing"
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
}
