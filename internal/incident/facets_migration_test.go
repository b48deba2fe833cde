package incident_test

import (
	"context"
	"slices"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
)

// TestFacetNumbersMigration puts a store back as migration 17 left it
// (parties and situations without numbers, per-act rows and full-text
// facets by name), opens it again, and checks that migrations 18 and 19
// number the parties and situations and write the rows anew: every
// filtered list and search finds what it found before, and a party
// created afterwards takes the next number.
func TestFacetNumbersMigration(t *testing.T) {
	forEachReopenableStore(t, func(t *testing.T, d *db.DB, url, dir string) {
		var err error
		f := setup(t, d)
		for _, in := range []*incident.Incident{
			f.incident("Nova festival site", f.israel.ID, "2023-10-07", act(incident.GangRape, incident.Adult, f.nukhba.ID)),
			f.incident("Road 232", f.israel.ID, "2023-10-07", act(incident.ForcedNudity, incident.Adult, f.qassam.ID),
				act(incident.Rape, incident.Child, "")),
			f.incident("Kibbutz Re'im", f.israel.ID, "2023-10-08", act(incident.SexualTorture, incident.Child, f.hamas.ID)),
			f.incident("El Geneina", f.sudan.ID, "2023-06-15", act(incident.Rape, incident.Adult, f.rsf.ID),
				act(incident.SexualSlavery, incident.Child, f.rsf.ID)),
		} {
			if err := f.store.Create(f.ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		filters := []incident.Filter{
			{PartyID: f.hamas.ID},
			{PartyID: f.qassam.ID, ViolationType: incident.Rape},
			{ViolationType: incident.Rape},
			{ViolationType: incident.OtherComparableGravity, AgeGroup: incident.Child},
			{AgeGroup: incident.Child},
			{SituationID: f.sudan.ID, ViolationType: incident.SexualSlavery},
			{SituationID: f.israel.ID, Status: incident.UnderReview, ViolationType: incident.Rape},
			{Text: "road", ViolationType: incident.OtherComparableGravity},
			{Text: "kibbutz", PartyID: f.hamas.ID},
			{Text: "nova", PartyID: f.rsf.ID},
		}
		list := func(d *db.DB) [][]string {
			var out [][]string
			for _, filter := range filters {
				ids, _ := pageThrough(t, f.ctx, incident.NewStore(d), filter, incident.NewestFirst)
				out = append(out, ids)
			}
			return out
		}
		before := list(d)
		if len(before[0]) != 3 || len(before[2]) != 3 || len(before[9]) != 0 {
			t.Fatalf("the fixture's lists are not what the test expects: %v", before)
		}

		if err := unnumber(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		d.Close()
		if d, err = db.Open(context.Background(), url, dir); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		defer d.Close()
		if after := list(d); !slices.EqualFunc(before, after, slices.Equal) {
			t.Errorf("after the migration, lists\n%v\nwant\n%v", after, before)
		}
		var numbered, distinct int
		if err := d.QueryRow(f.ctx, `SELECT COUNT(number), COUNT(DISTINCT number) FROM parties`).Scan(&numbered, &distinct); err != nil {
			t.Fatal(err)
		}
		if numbered != 4 || distinct != 4 {
			t.Errorf("%d parties numbered, %d numbers, want 4 and 4", numbered, distinct)
		}
		unit := &party.Party{Name: "A unit created after", Type: party.NonStateArmedGroup, ParentID: f.rsf.ID}
		if err := party.NewStore(d).Create(f.ctx, unit); err != nil {
			t.Fatalf("a party after the migration: %v", err)
		}
		var n int64
		if err := d.QueryRow(f.ctx, `SELECT number FROM parties WHERE id = $1`, unit.ID).Scan(&n); err != nil || n != 5 {
			t.Errorf("the party after the migration has number %d (%v), want 5", n, err)
		}
	})
}

// unnumber undoes migrations 18 and 19: the numbers of parties and
// situations go, the per-act rows and full-text facets hold names again
// (as migration 17 left them), and the two migrations are marked
// unapplied.
func unnumber(ctx context.Context, d *db.DB) error {
	columns := `violation TEXT NOT NULL, age_group TEXT NOT NULL, situation_id TEXT, status TEXT NOT NULL,
		case_number BIGINT, date_end TEXT NOT NULL`
	undo := []string{`DROP TABLE act_facets`, `DROP TABLE party_facets`,
		`CREATE TABLE act_facets (list_key BIGINT NOT NULL, act_seq INTEGER NOT NULL, ` + columns +
			`, PRIMARY KEY (list_key, act_seq, violation))`,
		`CREATE TABLE party_facets (party_id TEXT NOT NULL, list_key BIGINT NOT NULL, act_seq INTEGER NOT NULL, ` + columns +
			`, PRIMARY KEY (party_id, list_key, act_seq, violation))`,
		`INSERT INTO act_facets SELECT i.list_key, a.seq, a.violation_type, a.victim_age_group, i.situation_id, i.status,
			NULL, i.date_end FROM acts a JOIN incidents i ON i.id = a.incident_id`,
		`INSERT INTO party_facets SELECT p.party_id, i.list_key, a.seq, a.violation_type, a.victim_age_group,
			i.situation_id, i.status, NULL, i.date_end
			FROM act_perpetrators p JOIN acts a ON a.id = p.act_id JOIN incidents i ON i.id = a.incident_id
			WHERE p.party_id IS NOT NULL`,
		`DROP INDEX parties_number`, `ALTER TABLE parties DROP COLUMN number`,
		`DROP INDEX situations_number`, `ALTER TABLE situations DROP COLUMN number`,
		`DELETE FROM goose_db_version WHERE version_id IN (18, 19)`}
	if d.Dialect == db.Postgres {
		undo = append(undo, `DROP SEQUENCE party_numbers`, `DROP SEQUENCE situation_numbers`)
	} else {
		// The full-text facets by name, as a store at migration 17 has them.
		undo = append(undo, `DELETE FROM incident_search`,
			`INSERT INTO incident_search (rowid, title, summary, place, facets)
				SELECT list_key, lower(title), lower(summary), lower(place_name), 'vrape pname' FROM incidents`)
	}
	return d.Write(ctx, func(tx *db.Tx) error {
		for _, q := range undo {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}

// forEachReopenableStore runs fn on a fresh store of each engine, with the
// URL or data directory it was opened from, for migration tests that put
// it back as it was and open it again.
func forEachReopenableStore(t *testing.T, fn func(t *testing.T, d *db.DB, url, dir string)) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			url, dir := "", ""
			if engine == "postgres" {
				url = dbtest.PostgresDatabase(t)
			} else {
				dir = t.TempDir()
			}
			d, err := db.Open(context.Background(), url, dir)
			if err != nil {
				t.Fatal(err)
			}
			fn(t, d, url, dir)
		})
	}
}
