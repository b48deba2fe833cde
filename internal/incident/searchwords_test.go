package incident_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/textsearch"
)

// A search's last word matches as the start of a word. SQLite asks for it
// as the whole words it begins, from its list of the index's words, when
// they are few: the search must find what FTS5 finds for the prefix, with
// words listed from a load's index and from incidents written and edited
// since, and for prefixes that begin too many words or fold.
func TestSearchFindsWhatItsLastWordBegins(t *testing.T) {
	d := dbtest.SQLite(t)
	f := setup(t, d)
	titles := []string{"Zebra crossing", "Members of the unit", "Membership lists", "Memo from the checkpoint",
		"Café on Road 232", "Cafeteria at Road 23", "ملف الحاجز", "ملفات", "מלון הנובה", "מלונות"}
	for i := range 40 { // more words than a prefix is completed to
		titles = append(titles, fmt.Sprintf("Kappa%c%c", 'a'+i/26, 'a'+i%26))
	}
	var loaded []*incident.Incident
	for _, title := range titles {
		loaded = append(loaded, f.incident(title, f.israel.ID, "2023-10-07"))
	}
	if err := bulkLoad(f.ctx, d, loaded, nil); err != nil {
		t.Fatal(err)
	}
	// Words the load's index did not hold.
	for _, title := range []string{"Zebrafish", "Memorial", "ملفاتهم", "Cafés", "מלונאי"} {
		in := f.incident(title, f.israel.ID, "2024-01-01")
		if err := f.store.Create(f.ctx, in); err != nil {
			t.Fatal(err)
		}
		titles = append(titles, title)
	}
	edited, err := f.store.Get(f.ctx, loaded[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	edited.Title = "Zebra membrane"
	if err := f.store.Update(f.ctx, edited); err != nil {
		t.Fatal(err)
	}
	titles = append(titles, edited.Title)

	searched := 0
	for _, word := range textsearch.Words(titles...) {
		runes := []rune(word)
		for n := 1; n <= len(runes); n++ {
			prefix := string(runes[:n])
			want := prefixMatches(t, f.ctx, d, prefix)
			page, err := f.store.List(f.ctx, incident.Filter{Text: prefix, Limit: incident.MaxPage})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, in := range page.Incidents {
				got = append(got, in.Title)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%q finds %q, its prefix %q", prefix, got, want)
			}
			searched++
		}
	}
	if searched < 200 {
		t.Fatalf("only %d prefixes searched", searched)
	}
	// The cases that matter, by name.
	for _, c := range []struct {
		text string
		want int
	}{{"zebr", 2}, {"membe", 2}, {"membra", 1}, {"ملفات", 2}, {"מלונ", 2}, {"kappa", 40}, {"cafe", 3}, {"road 23", 2}} {
		if got := f.total(t, incident.Filter{Text: c.text}); got != c.want {
			t.Errorf("%q finds %d incidents, want %d", c.text, got, c.want)
		}
	}
}

// prefixMatches is the titles of the incidents FTS5 finds with prefix as
// the start of a word.
func prefixMatches(t *testing.T, ctx context.Context, d *db.DB, prefix string) []string {
	t.Helper()
	titles, err := db.Column[string](d.Query(ctx, `SELECT i.title FROM incident_search s JOIN incidents i ON i.list_key = s.rowid
		WHERE incident_search MATCH $1`, textsearch.FTS5([]string{textsearch.Normalize(prefix)})))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(titles)
	return titles
}

// A store from before the list of words (migration 20) has its words
// listed when it is opened again, and its searches complete words from
// them.
func TestSearchWordsMigration(t *testing.T) {
	dir := t.TempDir()
	d, err := db.Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	f := setup(t, d)
	for _, title := range []string{"Members of the unit", "Membership lists", "ملفات الحاجز"} {
		if err := f.store.Create(f.ctx, f.incident(title, f.israel.ID, "2023-10-07")); err != nil {
			t.Fatal(err)
		}
	}
	d = reopenBefore(t, d, "", dir, 20, "DROP TABLE search_words")
	err = d.Write(f.ctx, func(tx *db.Tx) error { return checkSearchWords(f.ctx, t, tx, "by migration 20") })
	if err != nil {
		t.Fatal(err)
	}
	f.store = incident.NewStore(d)
	if got := f.total(t, incident.Filter{Text: "membe"}); got != 2 {
		t.Errorf("after the migration, %d incidents hold a word beginning with membe, want 2", got)
	}
}

// reopenBefore puts d back as it was before migration version, which
// created what drop ("DROP TABLE …") removes: the migration is marked
// unapplied, and the store is opened again (url or dir), which applies it.
func reopenBefore(t *testing.T, d *db.DB, url, dir string, version int, drop string) *db.DB {
	t.Helper()
	ctx := context.Background()
	err := d.Write(ctx, func(tx *db.Tx) error {
		for _, q := range []string{drop, `DELETE FROM goose_db_version WHERE version_id = ` + fmt.Sprint(version)} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if d, err = db.Open(ctx, url, dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
