package incident_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
)

// inBulkLoad runs fn in a write transaction with a bulk load begun, and
// ends the load once the transaction is over. fn may end it early.
func inBulkLoad(ctx context.Context, d *db.DB, fn func(ctx context.Context, tx *db.Tx, end func() error) error) error {
	var end func() error
	err := d.Write(ctx, func(tx *db.Tx) error {
		ctx, stop, err := incident.BeginBulkLoad(ctx, tx)
		if err != nil {
			return err
		}
		end = stop
		return fn(ctx, tx, end)
	})
	if end != nil {
		err = errors.Join(err, end())
	}
	return err
}

// bulkLoad writes incidents in a bulk load, each in a savepoint as an
// import does; those for which refuse says so are rolled back after they
// were written. It returns the error of the transaction.
func bulkLoad(ctx context.Context, d *db.DB, incidents []*incident.Incident, refuse func(int) bool) error {
	return inBulkLoad(ctx, d, func(ctx context.Context, tx *db.Tx, _ func() error) error {
		for i, in := range incidents {
			err := tx.Savepoint(ctx, func() error {
				if err := incident.Insert(ctx, tx, in); err != nil {
					return err
				}
				if refuse != nil && refuse(i) {
					return errRefused
				}
				return nil
			})
			if err != nil && !errors.Is(err, errRefused) {
				return err
			}
			if err != nil {
				if _, err := tx.Exec(ctx, `RELEASE SAVEPOINT row_savepoint`); err != nil {
					return err
				}
			}
		}
		return incident.FinishBulkLoad(ctx, tx)
	})
}

var errRefused = errors.New("refused")

// A bulk load counts list-key numbers in memory: incidents filed after it,
// on the same day, must not draw one it gave.
func TestBulkLoadKeepsTheSequence(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		const day = "2023-10-07"
		var loaded []*incident.Incident
		for i := range 3 {
			loaded = append(loaded, f.incident(fmt.Sprintf("loaded %d", i), f.israel.ID, day))
		}
		if err := bulkLoad(f.ctx, d, loaded, nil); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := f.store.Create(f.ctx, f.incident(fmt.Sprintf("filed %d", i), f.israel.ID, day)); err != nil {
				t.Fatalf("file an incident after a bulk load: %v", err)
			}
		}
		page, err := f.store.List(f.ctx, incident.Filter{Text: "loaded"})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Incidents) != 3 {
			t.Errorf("the search finds %d of the 3 loaded incidents", len(page.Incidents))
		}
	})
}

// On SQLite a bulk load builds the full-text index in a scratch database
// beside the store and copies it in. The copy must be the index the store
// would have built itself, word for word and facet for facet, hold nothing
// of a rolled-back savepoint, take later writes, and leave no file behind.
func TestBulkLoadBuildsTheSearchIndexBesideTheStore(t *testing.T) {
	d := dbtest.SQLite(t)
	f := setup(t, d)
	var loaded []*incident.Incident
	for i := range 300 {
		in := f.incident(fmt.Sprintf("Incident %d at the checkpoint", i), f.israel.ID, fmt.Sprintf("2023-%02d-%02d", i%12+1, i%28+1),
			act(incident.GangRape, incident.Adult, f.nukhba.ID), act(incident.SexualSlavery, incident.Child, f.rsf.ID))
		switch i % 3 {
		case 0:
			in.SituationID = f.sudan.ID
			in.Title = fmt.Sprintf("اغتصاب جماعي قرب الحاجز %d", i)
			in.Place.Name, in.Place.AdminArea = "El Geneina", "West Darfur"
		case 1:
			in.Summary = "Survivors described forced nudity in captivity; Élodie's notes"
			in.Status = incident.Verified
			in.Acts = append(in.Acts, act(incident.ForcedNudity, incident.UnknownAge, ""))
		}
		loaded = append(loaded, in)
	}
	loaded[7].Title = "Refused rollback-only word"
	if err := bulkLoad(f.ctx, d, loaded, func(i int) bool { return i == 7 }); err != nil {
		t.Fatal(err)
	}
	if left := scratchFiles(d); len(left) > 0 {
		t.Errorf("the bulk load left %v behind", left)
	}

	var built []string
	err := d.Write(f.ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(f.ctx, `INSERT INTO incident_search (incident_search) VALUES ('integrity-check')`); err != nil {
			return fmt.Errorf("integrity check of the copied index: %w", err)
		}
		var err error
		if built, err = searchTerms(f.ctx, tx); err != nil {
			return err
		}
		if err := checkSearchWords(f.ctx, t, tx, "beside the store"); err != nil {
			return err
		}
		if err := incident.RebuildSearchInStore(f.ctx, tx); err != nil {
			return err
		}
		if err := checkSearchWords(f.ctx, t, tx, "in the store"); err != nil {
			return err
		}
		inStore, err := searchTerms(f.ctx, tx)
		if err != nil {
			return err
		}
		if !slices.Equal(built, inStore) {
			t.Errorf("the index built beside the store has %d entries, the store's own %d; first differences: %v",
				len(built), len(inStore), firstDifferences(built, inStore, "beside", "in the store"))
		}
		return errRefused // keep the copied index for the searches below
	})
	if !errors.Is(err, errRefused) {
		t.Fatal(err)
	}
	if len(built) < 300*8 {
		t.Fatalf("the copied index holds only %d entries", len(built))
	}

	for _, c := range []struct {
		name   string
		filter incident.Filter
		want   int
	}{
		{"a word", incident.Filter{Text: "checkpoint"}, 199},
		{"Arabic", incident.Filter{Text: "الحاجز"}, 100},
		{"a place", incident.Filter{Text: "geneina"}, 100},
		{"a prefix", incident.Filter{Text: "surviv"}, 99},
		{"a rolled-back incident", incident.Filter{Text: "rollback"}, 0},
		{"a word and a party's unit", incident.Filter{Text: "checkpoint", PartyID: f.hamas.ID}, 199},
		{"a word and a situation", incident.Filter{Text: "incident", SituationID: f.israel.ID}, 199},
		{"a word and a violation's family", incident.Filter{Text: "nudity", ViolationType: incident.OtherComparableGravity}, 99},
	} {
		if got := f.total(t, c.filter); got != c.want {
			t.Errorf("%s: %d incidents, want %d", c.name, got, c.want)
		}
	}
	// Written after the load, into the copied index.
	if err := f.store.Create(f.ctx, f.incident("Filed afterwards near the checkpoint", f.israel.ID, "2024-01-01")); err != nil {
		t.Fatal(err)
	}
	if got := f.total(t, incident.Filter{Text: "checkpoint"}); got != 200 {
		t.Errorf("after one more incident, %d incidents hold the word, want 200", got)
	}
}

// searchTerms lists every entry of the full-text index: term, row and
// column, and the position except among facets, whose order does not
// matter.
func searchTerms(ctx context.Context, tx *db.Tx) ([]string, error) {
	if _, err := tx.Exec(ctx, `CREATE VIRTUAL TABLE temp.search_terms USING fts5vocab(main, incident_search, instance)`); err != nil {
		return nil, err
	}
	defer tx.Exec(ctx, `DROP TABLE temp.search_terms`)
	rows, err := tx.Query(ctx, `SELECT term, doc, col, CASE WHEN col = 'facets' THEN -1 ELSE "offset" END FROM temp.search_terms`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var term, col string
		var doc, offset int64
		if err := rows.Scan(&term, &doc, &col, &offset); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%s %d %s %d", term, doc, col, offset))
	}
	slices.Sort(out)
	return slices.Compact(out), rows.Err()
}

// checkSearchWords checks that the list of the index's words (which
// searches complete their last word from) holds every word of its text,
// and nothing else, after an index built where says.
func checkSearchWords(ctx context.Context, t *testing.T, tx *db.Tx, where string) error {
	t.Helper()
	if _, err := tx.Exec(ctx, `CREATE VIRTUAL TABLE temp.search_words_check USING fts5vocab(main, incident_search, col)`); err != nil {
		return err
	}
	defer tx.Exec(ctx, `DROP TABLE temp.search_words_check`)
	indexed, err := db.Column[string](tx.Query(ctx, `SELECT DISTINCT term FROM temp.search_words_check WHERE col <> 'facets' ORDER BY term`))
	if err != nil {
		return err
	}
	listed, err := db.Column[string](tx.Query(ctx, `SELECT word FROM search_words ORDER BY word`))
	if err != nil {
		return err
	}
	if len(indexed) == 0 || !slices.Equal(listed, indexed) {
		t.Errorf("built %s, the index holds %d words of text and lists %d; first differences: %v",
			where, len(indexed), len(listed), firstDifferences(listed, indexed, "listed", "indexed"))
	}
	return nil
}

// firstDifferences lists a few of the strings only in a (named aName) and
// only in b, both sorted.
func firstDifferences(a, b []string, aName, bName string) []string {
	var out []string
	for _, s := range a {
		if _, found := slices.BinarySearch(b, s); !found && len(out) < 5 {
			out = append(out, "only "+aName+": "+s)
		}
	}
	for _, s := range b {
		if _, found := slices.BinarySearch(a, s); !found && len(out) < 10 {
			out = append(out, "only "+bName+": "+s)
		}
	}
	return out
}

// A bulk load that fails stops its builder and removes the scratch file.
func TestFailedBulkLoadLeavesNoScratch(t *testing.T) {
	d := dbtest.SQLite(t)
	f := setup(t, d)
	err := inBulkLoad(f.ctx, d, func(ctx context.Context, tx *db.Tx, _ func() error) error {
		if _, err := f.insertEach(ctx, tx, 50, "doomed"); err != nil {
			return err
		}
		if during := scratchFiles(d); len(during) == 0 {
			t.Error("no scratch files during the load")
		}
		return errRefused
	})
	if !errors.Is(err, errRefused) {
		t.Fatal(err)
	}
	if left := scratchFiles(d); len(left) > 0 {
		t.Errorf("the failed load left %v behind", left)
	}
	if _, err := os.Stat(d.Path()); err != nil {
		t.Fatal(err)
	}
	if n := f.total(t, incident.Filter{Text: "doomed"}); n != 0 {
		t.Errorf("a rolled-back load's incidents are found: %d", n)
	}
}

// The copied index replaces the store's, which must then still be empty:
// a row written there beside the load stops the commit instead of being
// lost. A load whose builder was stopped before the commit does not
// commit without its index either.
func TestBulkLoadNeverCommitsWithoutItsIndex(t *testing.T) {
	d := dbtest.SQLite(t)
	f := setup(t, d)
	load := func(beside bool, endEarly bool) error {
		return inBulkLoad(f.ctx, d, func(ctx context.Context, tx *db.Tx, end func() error) error {
			if err := incident.Insert(ctx, tx, f.incident("loaded", f.israel.ID, "2023-10-07")); err != nil {
				return err
			}
			if beside {
				if _, err := tx.Exec(ctx, `INSERT INTO incident_search (rowid, title, summary, place, facets) VALUES (1, 'written', '', '', '')`); err != nil {
					return err
				}
			}
			if err := incident.FinishBulkLoad(ctx, tx); err != nil {
				return err
			}
			if endEarly {
				return end()
			}
			return nil
		})
	}
	if err := load(true, false); err == nil || !strings.Contains(err.Error(), "no longer empty") {
		t.Errorf("the load replaced an index in use: %v", err)
	}
	if err := load(false, true); err == nil || !strings.Contains(err.Error(), "stopped before the transaction ended") {
		t.Errorf("a load stopped early committed: %v", err)
	}
	if n := f.total(t, incident.Filter{}); n != 0 {
		t.Errorf("%d incidents were committed", n)
	}
}

// When the builder beside the store fails (a full disk), the load stops
// at its next savepoint instead of writing every incident first.
func TestBulkLoadStopsWhenItsIndexCannotBeBuilt(t *testing.T) {
	d := dbtest.SQLite(t)
	f := setup(t, d)
	full := errors.New("no space left on device")
	defer incident.FailSearchStaging(full)()
	const total = 1000
	written := 0
	err := inBulkLoad(f.ctx, d, func(ctx context.Context, tx *db.Tx, _ func() error) error {
		var err error
		if written, err = f.insertEach(ctx, tx, total, "loaded"); err != nil {
			return err
		}
		return incident.FinishBulkLoad(ctx, tx)
	})
	if !errors.Is(err, full) {
		t.Fatalf("the load ended with %v, want the builder's failure", err)
	}
	if written == total {
		t.Error("the load wrote every incident although its builder had failed on the first")
	}
	if left := scratchFiles(d); len(left) > 0 {
		t.Errorf("the failed load left %v behind", left)
	}
}

// insertEach inserts n incidents named after prefix, each in a savepoint
// as an import does, and says how many were written.
func (f *fixture) insertEach(ctx context.Context, tx *db.Tx, n int, prefix string) (int, error) {
	for i := range n {
		if err := tx.Savepoint(ctx, func() error {
			return incident.Insert(ctx, tx, f.incident(fmt.Sprintf("%s %d", prefix, i), f.israel.ID, "2023-10-07"))
		}); err != nil {
			return i, err
		}
	}
	return n, nil
}

// scratchFiles lists the scratch files beside d's SQLite file.
func scratchFiles(d *db.DB) []string {
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(d.Path()), "scratch-*"))
	return files
}

// total counts the incidents a list with filter finds.
func (f *fixture) total(t *testing.T, filter incident.Filter) int {
	t.Helper()
	page, err := f.store.List(f.ctx, filter)
	if err != nil {
		t.Fatal(err)
	}
	return page.Total
}
