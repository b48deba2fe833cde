package survivor_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/survivor"
)

// TestNothingSealedInTheDatabase writes synthetic names, contacts, places
// and testimony through every path of the store — creation, edits,
// interviews, reads, a search, consent, an erasure — and then searches
// every byte an attacker holding the database would have (the SQLite files
// with their write-ahead log, or a pg_dump) for them, and for each of
// their longer words. The survivor's code, stored in clear, must be found,
// so the search is known to see what it looks for.
func TestNothingSealedInTheDatabase(t *testing.T) {
	secrets := []string{
		synthName, synthContact, synthResidence, synthTestimony,
		"Zulekha Fictiva Marrowstone", "مخيم الحصاحيصا السري", "Quarry road behind the Marrowstone mill",
		"At the Marrowstone checkpoint the commander Vexhollow ordered them to undress",
	}
	forEachEngineRaw(t, func(t *testing.T, d *db.DB, raw func() []byte) {
		f := newFixture(t, d)
		a := f.add("SYN-LEAK-0001", survivor.Identity{Name: secrets[0], Contact: secrets[1], Residence: secrets[2],
			IdentifyingDetails: "scar on the left hand, works at the Marrowstone mill"})
		b := f.add("SYN-LEAK-0002", survivor.Identity{Name: secrets[4], Residence: secrets[5]})
		edit, err := f.s.Get(f.ctx, b.ID)
		f.must(err)
		change := survivor.IdentityChange{}
		change.Set(survivor.Residence, secrets[6])
		f.must(f.s.Update(f.ctx, f.admin, edit, change))
		f.consent(a, survivor.Documentation, survivor.Given, "2024-01-01")
		f.consent(b, survivor.Documentation, survivor.Given, "2024-01-01")
		ia := &survivor.Interview{SurvivorID: a.ID, HeldOn: "2024-02-01", Interviewer: "Farah", InterviewerSex: incident.Female, Language: "ar"}
		f.must(f.s.AddInterview(f.ctx, f.admin, ia, secrets[3]))
		ib := &survivor.Interview{SurvivorID: b.ID, HeldOn: "2024-02-01", Interviewer: "Farah", InterviewerSex: incident.Female, Language: "ar"}
		f.must(f.s.AddInterview(f.ctx, f.admin, ib, secrets[7]))
		draft := *ib
		text := secrets[7] + " and then the Vexhollow convoy left"
		f.must(f.s.UpdateInterview(f.ctx, f.admin, &draft, &text))
		if _, err := f.s.Reveal(f.ctx, f.admin, a.ID, "Preparing the referral letter to the clinic"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.RevealTestimony(f.ctx, f.admin, ib.ID, "Drafting the statement for the prosecutor"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Search(f.ctx, f.admin, "Vexhollow checkpoint", "Pattern analysis for the annex submission"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Erase(f.ctx, a.ID, survivor.Erasure{Reason: survivor.ErasureRequest, On: "2024-03-01", Language: "ar", TakenBy: "WPA"}); err != nil {
			t.Fatal(err)
		}

		dump := raw()
		if !bytes.Contains(dump, []byte("SYN-LEAK-0002")) {
			t.Fatal("the survivor's code is not found: the search is blind")
		}
		for _, needle := range leakNeedles(secrets) {
			if bytes.Contains(dump, []byte(needle)) || bytes.Contains(dump, []byte(hex.EncodeToString([]byte(needle)))) {
				t.Errorf("the raw database holds %q", needle)
			}
		}
	})
}

// distinctive are the words of the synthetic secrets that appear nowhere
// else (the schema has words such as "checkpoint" of its own).
var distinctive = []string{"Nadira", "Synthetica", "Quillfeather", "orchard", "barracks", "cousin", "555 0142",
	"Zulekha", "Fictiva", "Marrowstone", "الحصاحيصا", "Vexhollow", "undress", "tent 42"}

// leakNeedles are what a leak test looks for: each secret whole, and each
// distinctive word, as written and in lower case.
func leakNeedles(secrets []string) []string {
	var out []string
	for _, s := range append(append([]string{}, secrets...), distinctive...) {
		out = append(out, s, strings.ToLower(s))
	}
	return out
}

// forEachEngineRaw runs fn on each engine with a way to read every byte of
// the database: the SQLite files, or a pg_dump.
func forEachEngineRaw(t *testing.T, fn func(t *testing.T, d *db.DB, raw func() []byte)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		d := dbtest.SQLite(t)
		fn(t, d, func() []byte { return sqliteBytes(t, d) })
	})
	t.Run("postgres", func(t *testing.T) {
		url := dbtest.PostgresDatabase(t)
		d, err := db.Open(context.Background(), url, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		fn(t, d, func() []byte { return pgDump(t, url) })
	})
}

// sqliteBytes reads the database file, its write-ahead log and shared
// memory, and any rollback journal.
func sqliteBytes(t *testing.T, d *db.DB) []byte {
	t.Helper()
	var all []byte
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		b, err := os.ReadFile(d.Path() + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(all) == 0 {
		t.Fatal("the SQLite files are empty")
	}
	return all
}

func pgDump(t *testing.T, url string) []byte {
	t.Helper()
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
		if len(matches) == 0 {
			if dbtest.Required() {
				t.Fatal("pg_dump not found")
			}
			t.Skip("SKIPPING: pg_dump not found")
		}
		bin = matches[len(matches)-1]
	}
	out, err := exec.Command(bin, "--no-owner", "--dbname", url).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	if !bytes.Contains(out, []byte("survivor_interviews")) {
		t.Fatal("the dump does not hold the survivor tables")
	}
	return out
}
