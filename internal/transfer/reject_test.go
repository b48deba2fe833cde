package transfer_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/transfer"
)

// writeDir writes hand-made CSV files, for tests of what an import rejects.
func writeDir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// id makes readable record IDs for hand-made files: id(7) is …000000000007.
func id(n int) string { return fmt.Sprintf("00000000-0000-7000-8000-%012d", n) }

var placeholder = regexp.MustCompile(`\{(\d+)\}`)

// expand replaces {n} with id(n).
func expand(s string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		n, _ := strconv.Atoi(m[1 : len(m)-1])
		return id(n)
	})
}

// want is an expected rejection: the reason must contain reason.
type want struct {
	file   string
	row    int
	field  string
	reason string
}

func checkRejections(t *testing.T, rep transfer.Report, wants []want) {
	t.Helper()
	got := rep.Rejected
	matched := make([]bool, len(got))
	for _, w := range wants {
		i := slices.IndexFunc(got, func(r transfer.Rejection) bool {
			return r.File == w.file && r.Row == w.row && r.Field == w.field && strings.Contains(r.Reason, w.reason)
		})
		if i < 0 {
			t.Errorf("missing rejection %s:%d %s: …%s…", w.file, w.row, w.field, w.reason)
			continue
		}
		matched[i] = true
	}
	for i, r := range got {
		if !matched[i] {
			t.Errorf("unexpected rejection %s", r)
		}
	}
	if t.Failed() {
		t.Logf("all rejections:\n%s", rejections(rep))
	}
}

// badSet has bad rows in every file, and good rows that depend on each other.
var badSet = map[string]string{
	"situations.csv": expand(`id,name,country_code,on_security_council_agenda,conflict_class
{1},Sudan,SD,true,NIAC
{2},Nowhere,XYZ,maybe,war
`),
	// A unit before its parent (named by abbreviation), a missing parent, a
	// cycle, a duplicate ID, and a party whose name row is bad.
	"parties.csv": expand(`id,name,abbreviation,type,parent_id
{13},West Darfur sector,,state_affiliated_militia,RSF
{11},Rapid Support Forces,RSF,state_affiliated_militia,
{12},Unit of nothing,,non_state_armed_group,Missing Parent
{14},Cycle A,,criminal_gang,{15}
{15},Cycle B,,criminal_gang,{14}
{11},Copy of the RSF,,state_affiliated_militia,
{16},Janjaweed,,state_affiliated_militia,
`),
	"party_names.csv": expand(`party_id,lang,name,alias
RSF,ar,قوات الدعم السريع,false
{16},x,bad language tag,false
Nobody,en,orphan name,false
`),
	"sources.csv": expand(`id,kind,title,reliability
{21},un_report,Mission report,high
{22},blog,A blog post,sure
`),
	"incidents.csv": expand(`id,title,situation_id,latitude,longitude,location_precision,date_start,date_precision,status
{1},"Good, with a ""quoted"" title",Sudan,13.45,22.44,locality,2023-06-15,day,under_review
{2},Bad act,{1},,,,2023-06,month,draft
{3},,{1},abc,22,,,,
{4},Missing party,{1},,,,,,
{5},Rejected situation,Nowhere,,,,,,
{1},Duplicate ID,,,,,,,
`),
	"acts.csv": expand(`id,incident_id,violation_type,victim_sex,victim_age_group,victim_count
{101},{1},rape,female,adult,1
{102},{2},rape,female,toddler,1
{103},{2},rape,female,adult,x
{104},{4},rape,female,adult,1
{105},{9},rape,female,adult,1
`),
	"perpetrators.csv": expand(`act_id,party_id,description
{101},RSF,
{102},,
{104},Ghost Brigade,
`),
	"information_links.csv": expand(`id,incident_id,act_id,source_id,connection,reliability
{201},{1},{101},Mission report,eyewitness,high
`),
}

var badSetRejections = []want{
	{"situations.csv", 3, "country_code", "two-letter"},
	{"situations.csv", 3, "on_security_council_agenda", "true or false"},
	{"situations.csv", 3, "conflict_class", `"war" is not one of`},
	{"parties.csv", 4, "parent_id", `"Missing Parent"`},
	{"parties.csv", 5, "parent_id", "cycle: Cycle A → Cycle B → Cycle A"},
	{"parties.csv", 6, "parent_id", "cycle: Cycle B → Cycle A → Cycle B"},
	{"parties.csv", 7, "id", "parties.csv row 3"},
	{"parties.csv", 8, "", "party_names.csv row 3"},
	{"party_names.csv", 3, "lang", "language tag"},
	{"party_names.csv", 4, "party_id", `"Nobody"`},
	{"sources.csv", 3, "kind", `"blog" is not one of`},
	{"sources.csv", 3, "reliability", `"sure" is not one of`},
	{"incidents.csv", 3, "", "acts.csv row 3"},
	{"incidents.csv", 4, "title", "required"},
	{"incidents.csv", 4, "latitude", `"abc" is not a number`},
	{"incidents.csv", 5, "", "perpetrators.csv row 4"},
	{"incidents.csv", 6, "situation_id", "situations.csv row 3) was rejected"},
	{"incidents.csv", 7, "id", "already exists"},
	{"acts.csv", 3, "victim_age_group", `"toddler" is not one of`},
	{"acts.csv", 4, "victim_count", `"x" is not a whole number`},
	{"acts.csv", 5, "incident_id", "incidents.csv row 5) was rejected"},
	{"acts.csv", 6, "incident_id", "no row of incidents.csv has ID " + id(9)},
	{"perpetrators.csv", 3, "description", "unidentified"},
	{"perpetrators.csv", 4, "party_id", `"Ghost Brigade"`},
}

func TestRejectedRowsAllOrNothing(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		a := app.New(d)
		rep, err := transfer.ImportFile(ctx, a, writeDir(t, badSet), transfer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkRejections(t, rep, badSetRejections)
		if rep.Committed || rep.Imported != (transfer.Counts{}) {
			t.Errorf("committed %v, imported %+v; want nothing", rep.Committed, rep.Imported)
		}
		if empty, err := a.Empty(ctx); err != nil || !empty {
			t.Errorf("store empty = %v (%v) after a rejected import", empty, err)
		}
	})
}

func TestRejectedRowsPartial(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		a := app.New(d)
		rep, err := transfer.ImportFile(ctx, a, writeDir(t, badSet), transfer.Options{Partial: true})
		if err != nil {
			t.Fatal(err)
		}
		checkRejections(t, rep, badSetRejections)
		want := transfer.Counts{Situations: 1, Parties: 2, Sources: 1, Incidents: 1, Acts: 1}
		if !rep.Committed || rep.Imported != want {
			t.Errorf("committed %v, imported %+v; want %+v", rep.Committed, rep.Imported, want)
		}
		c := dump(t, a)
		if len(c.Situations) != 1 || c.Situations[0].ID != id(1) {
			t.Errorf("situations: %+v", c.Situations)
		}
		names := []string{}
		for _, p := range c.Parties {
			names = append(names, p.Name)
		}
		if !slices.Equal(names, []string{"Rapid Support Forces", "West Darfur sector"}) {
			t.Errorf("parties %q", names)
		}
		rsf, err := a.Parties.Get(ctx, id(11))
		if err != nil {
			t.Fatal(err)
		}
		if len(rsf.Names) != 1 || rsf.Names[0].Text != "قوات الدعم السريع" {
			t.Errorf("RSF names %+v", rsf.Names)
		}
		if unit, err := a.Parties.Get(ctx, id(13)); err != nil || unit.ParentID != id(11) {
			t.Errorf("unit's parent %q (%v), want the RSF", unit.ParentID, err)
		}
		if len(c.Incidents) != 1 {
			t.Fatalf("incidents %+v", c.Incidents)
		}
		in := c.Incidents[0]
		if in.ID != id(1) || in.Title != `Good, with a "quoted" title` || in.SituationID != id(1) {
			t.Errorf("incident %+v", in)
		}
		if len(in.Acts) != 1 || in.Acts[0].ID != id(101) || len(in.Acts[0].Perpetrators) != 1 ||
			in.Acts[0].Perpetrators[0].PartyID != id(11) {
			t.Errorf("acts %+v", in.Acts)
		}
		if len(in.Information) != 1 || in.Information[0].SourceID != id(21) || in.Information[0].ActID != id(101) {
			t.Errorf("links %+v", in.Information)
		}
	})
}

func TestMalformedCSVLines(t *testing.T) {
	a := app.New(dbtest.SQLite(t))
	dir := writeDir(t, map[string]string{
		"incidents.csv": expand(`id,title,summary
{1},"A summary over
three
lines",ok
{2},too,many,fields
{3},"fine",
{4},bare "quote,x
{5},last,"unterminated
`),
	})
	rep, err := transfer.ImportFile(ctx, a, dir, transfer.Options{Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	checkRejections(t, rep, []want{
		{"incidents.csv", 5, "", "has 4 fields but the header has 3"},
		{"incidents.csv", 7, "", "malformed CSV at line 7, column 43"},
		{"incidents.csv", 8, "", "malformed CSV at line 8"},
	})
	if rep.Imported.Incidents != 2 {
		t.Errorf("imported %+v, want the 2 good incidents", rep.Imported)
	}
	in, err := a.Incidents.Get(ctx, id(1))
	if err != nil || in.Title != "A summary over\nthree\nlines" {
		t.Errorf("multi-line field: %q (%v)", in.Title, err)
	}
}

func TestRejectedHeaderCommitsNothing(t *testing.T) {
	a := app.New(dbtest.SQLite(t))
	dir := writeDir(t, map[string]string{
		"situations.csv": "id,name\n" + id(1) + ",Sudan\n",
		"acts.csv":       "id,incident_id,victim_agegroup\n" + id(2) + "," + id(3) + ",adult\n",
	})
	rep, err := transfer.ImportFile(ctx, a, dir, transfer.Options{Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	checkRejections(t, rep, []want{
		{"acts.csv", 1, "victim_agegroup", `acts.csv has no column "victim_agegroup"`},
		{"acts.csv", 1, "", "none of the file's 1 data rows"},
	})
	if rep.Committed {
		t.Error("an import with a rejected header was committed")
	}
	if empty, _ := a.Empty(ctx); !empty {
		t.Error("the store is not empty")
	}
}

func TestUngroupedChildren(t *testing.T) {
	// Acts and perpetrators not in step with incidents.csv are still matched
	// to their incident, in file order within each incident.
	d := dbtest.SQLite(t)
	src := app.New(d)
	seed(t, src)
	dir := t.TempDir()
	if err := transfer.ExportDir(ctx, src, dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ name, key string }{{"acts.csv", "incident_id"}, {"perpetrators.csv", "act_id"}, {"information_links.csv", "incident_id"}} {
		reorder(t, filepath.Join(dir, f.name), f.key)
	}
	dst := fresh(t, d)
	rep, err := transfer.ImportFile(ctx, dst, dir, transfer.Options{})
	mustImport(t, rep, err)
	sameRecords(t, dump(t, src), dump(t, dst), true)
}

// reorder sorts a CSV file's rows by descending key, keeping the order of
// rows with the same key: grouped, but no longer in step with the parent.
func reorder(t *testing.T, path, key string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	k := slices.Index(records[0], key)
	rows := records[1:]
	before := slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b []string) int { return strings.Compare(b[k], a[k]) })
	if slices.EqualFunc(before, rows, slices.Equal) {
		t.Fatalf("%s: reordering changed nothing", path)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.WriteAll(records)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSingleCSV(t *testing.T) {
	a := app.New(dbtest.SQLite(t))
	// Recognised by its header, since its name says nothing.
	body := "name,type,abbreviation\nRapid Support Forces,state_affiliated_militia,RSF\n"
	rep, err := transfer.ImportReader(ctx, a, strings.NewReader(body), "upload.csv", transfer.Options{})
	mustImport(t, rep, err)
	if rep.Imported.Parties != 1 {
		t.Errorf("imported %+v", rep.Imported)
	}
	if p, err := a.Parties.FindByName(ctx, "RSF"); err != nil || p.Type != party.StateAffiliatedMilitia {
		t.Errorf("party %+v (%v)", p, err)
	}
	// Recognised by its name; acts refer to an incident stored before.
	body = "title,date_start,date_precision\nA hand-made incident,2024-01,month\n"
	rep, err = transfer.ImportReader(ctx, a, strings.NewReader(body), "incidents.csv", transfer.Options{})
	mustImport(t, rep, err)
	// A header that fits no table is an error: nothing can be read.
	if _, err := transfer.ImportReader(ctx, a, strings.NewReader("foo,bar\n1,2\n"), "upload.csv", transfer.Options{}); err == nil {
		t.Error("a file of no table was accepted")
	}
	// Acts alone cannot be imported: each is reported.
	rep, err = transfer.ImportReader(ctx, a, strings.NewReader("incident_id,violation_type\n"+id(1)+",rape\n"), "acts.csv", transfer.Options{Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	checkRejections(t, rep, []want{{"acts.csv", 2, "incident_id", "no row of incidents.csv"}})
}

func TestJSONRejections(t *testing.T) {
	doc := expand(`{"format": "dossier", "format_version": 1,
"situations": [{"id": "{1}", "name": "Sudan", "conflict_class": "NIAC", "setting": "conflict"}],
"parties": [{"id": "{11}", "name": "Rapid Support Forces", "abbreviation": "RSF", "type": "state_affiliated_militia"},
            {"name": "Unit", "type": "state_affiliated_militia", "parent_id": "Nobody"}],
"sources": [],
"incidents": [
  {"id": "{2}", "title": "Good", "situation_id": "Sudan", "place": {}, "date": {"start": "2023-05-01", "precision": "day"},
   "acts": [{"violation_type": "rape", "victim": {"sex": "female", "age_group": "adult", "status": "unknown", "count": 1},
             "perpetrators": [{"party_id": "RSF"}]}]},
  {"title": "Bad", "place": {}, "date": {"precision": "unknown"},
   "acts": [{"violation_type": "rape", "victim": {"sex": "female", "age_group": "adult", "status": "unknown", "count": 1}, "perpetrators": []},
            {"violation_type": "rape", "victim": {"sex": "female", "age_group": "toddler", "status": "unknown", "count": 1}, "perpetrators": []}]},
  {"title": "Typo", "plcae": {}, "acts": []},
  {"title": "Wrong type", "acts": [{"violation_type": "rape", "victim": {"count": "two"}, "perpetrators": []}]}
]}`)
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		a := app.New(d)
		rep, err := transfer.ImportReader(ctx, a, strings.NewReader(doc), "upload.json", transfer.Options{Partial: true})
		if err != nil {
			t.Fatal(err)
		}
		checkRejections(t, rep, []want{
			{"upload.json", 2, "parties[1].parent_id", `"Nobody"`},
			{"upload.json", 2, "incidents[1].acts[1].victim.age_group", `"toddler"`},
			{"upload.json", 3, "incidents[2].plcae", "not a field"},
			{"upload.json", 4, "incidents[3].acts.victim.count", "JSON string; it must be a whole number"},
		})
		want := transfer.Counts{Situations: 1, Parties: 1, Incidents: 1, Acts: 1}
		if !rep.Committed || rep.Imported != want {
			t.Errorf("committed %v imported %+v, want %+v", rep.Committed, rep.Imported, want)
		}
		in, err := a.Incidents.Get(ctx, id(2))
		if err != nil {
			t.Fatal(err)
		}
		if in.SituationID != id(1) || in.Acts[0].Perpetrators[0].PartyID != id(11) {
			t.Errorf("references by name not resolved: %+v", in)
		}
	})
}

func TestMalformedJSONCommitsNothing(t *testing.T) {
	for name, doc := range map[string]string{
		"truncated":   `{"situations": [{"name": "Sudan"}], "incidents": [{"title": "x"`,
		"syntax":      `{"situations": [{"name": "Sudan"}], "incidents": [{"title": "x",]}`,
		"not utf-8":   "{\"situations\": [{\"name\": \"Sud\xe9n\"}]}",
		"not object":  `[{"title": "x"}]`,
		"other":       `{"format": "something else", "situations": [{"name": "Sudan"}]}`,
		"trailing":    `{"situations": [{"name": "Sudan"}]} {}`,
		"not array":   `{"situations": {"name": "Sudan"}}`,
		"new version": `{"format": "dossier", "format_version": 2, "situations": [{"name": "Sudan"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			a := app.New(dbtest.SQLite(t))
			rep, err := transfer.ImportReader(ctx, a, strings.NewReader(doc), "doc.json", transfer.Options{Partial: true})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Committed || len(rep.Rejected) == 0 {
				t.Errorf("committed %v, rejections %v", rep.Committed, rep.Rejected)
			}
			if empty, _ := a.Empty(ctx); !empty {
				t.Error("something was stored")
			}
		})
	}
}

func TestJSONSectionsInAnyOrder(t *testing.T) {
	// Incidents before the parties they name: set aside, then imported.
	doc := `{"incidents": [{"title": "x", "acts": [{"violation_type": "rape", "perpetrators": [{"party_id": "RSF"}]}]}],
		"parties": [{"name": "Rapid Support Forces", "abbreviation": "RSF", "type": "state_affiliated_militia"}]}`
	a := app.New(dbtest.SQLite(t))
	rep, err := transfer.ImportReader(ctx, a, strings.NewReader(doc), "doc.json", transfer.Options{})
	mustImport(t, rep, err)
	var got []incident.Incident
	a.Incidents.Each(ctx, func(in *incident.Incident) error { got = append(got, *in); return nil })
	p, err := a.Parties.FindByName(ctx, "RSF")
	if err != nil || len(got) != 1 || got[0].Acts[0].Perpetrators[0].PartyID != p.ID {
		t.Errorf("incidents %+v, party %+v (%v)", got, p, err)
	}
}

func TestAmbiguousNames(t *testing.T) {
	a := app.New(dbtest.SQLite(t))
	for _, p := range []*party.Party{
		{Name: "Popular Defence Forces", Abbreviation: "PDF", Type: party.StateAffiliatedMilitia},
		{Name: "People's Defence Force", Abbreviation: "PDF", Type: party.NonStateArmedGroup},
	} {
		if err := a.Parties.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	dir := writeDir(t, map[string]string{
		"incidents.csv":    expand("id,title\n{1},x\n"),
		"acts.csv":         expand("id,incident_id,violation_type\n{2},{1},rape\n"),
		"perpetrators.csv": expand("act_id,party_id\n{2},PDF\n"),
	})
	rep, err := transfer.ImportFile(ctx, a, dir, transfer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkRejections(t, rep, []want{
		{"perpetrators.csv", 2, "party_id", `"PDF" is ambiguous: 2 party records`},
		{"incidents.csv", 2, "", "perpetrators.csv row 2"},
		{"acts.csv", 2, "incident_id", "was rejected"},
	})
}

func TestRefusedByTheDatabase(t *testing.T) {
	// Duplicates the database finds: an ID already stored, and an act ID
	// used by two incidents of the file. References by ID to records that
	// do not exist. Each is rejected on its row, whichever the engine and
	// the mode, and a partial import keeps exactly the rest.
	files := map[string]string{
		"parties.csv": expand("id,name,type,parent_id\n{11},Unit of a missing party,criminal_gang,{99}\n"),
		"incidents.csv": expand(`id,title,situation_id
{1},Already stored,
{2},Good,
{3},Reuses an act ID,
{4},Missing references,{98}
`),
		"acts.csv": expand(`id,incident_id,violation_type
{21},{2},rape
{21},{3},rape
{22},{4},rape
`),
		"perpetrators.csv":      expand("act_id,party_id\n{22},{97}\n"),
		"information_links.csv": expand("incident_id,source_id\n{4},{96}\n"),
	}
	wants := []want{
		{"parties.csv", 2, "parent_id", "no party has ID " + id(99)},
		{"incidents.csv", 2, "id", "already exists"},
		{"incidents.csv", 4, "", "acts.csv row 3"},
		{"acts.csv", 3, "id", "an act with this ID already exists"},
		{"incidents.csv", 5, "situation_id", "no situation has ID " + id(98)},
		{"perpetrators.csv", 2, "party_id", "no party has ID " + id(97)},
		{"information_links.csv", 2, "source_id", "no source has ID " + id(96)},
		{"acts.csv", 4, "incident_id", "was rejected"},
	}
	for _, partial := range []bool{false, true} {
		t.Run(fmt.Sprintf("partial=%v", partial), func(t *testing.T) {
			dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
				a := app.New(d)
				stored := &incident.Incident{Meta: record.Meta{ID: id(1)}, Title: "Stored before"}
				if err := a.Incidents.Create(ctx, stored); err != nil {
					t.Fatal(err)
				}
				rep, err := transfer.ImportFile(ctx, a, writeDir(t, files), transfer.Options{Partial: partial})
				if err != nil {
					t.Fatal(err)
				}
				checkRejections(t, rep, wants)
				c := dump(t, a)
				if !partial {
					if rep.Committed || len(c.Incidents) != 1 || len(c.Parties) != 0 {
						t.Errorf("committed %v; the store holds %d incidents, %d parties", rep.Committed, len(c.Incidents), len(c.Parties))
					}
					return
				}
				if !rep.Committed || rep.Imported != (transfer.Counts{Incidents: 1, Acts: 1}) {
					t.Errorf("committed %v, imported %+v", rep.Committed, rep.Imported)
				}
				if len(c.Incidents) != 2 || c.Incidents[1].ID != id(2) || len(c.Incidents[1].Acts) != 1 {
					t.Errorf("incidents %+v", c.Incidents)
				}
			})
		})
	}
}

func TestOrphanActKeepsFilesInStep(t *testing.T) {
	// An act with no incident is rejected with its perpetrators; the acts
	// after it keep theirs, whether acts.csv is in step with incidents.csv
	// or not.
	for name, acts := range map[string]string{
		"in step": `id,incident_id,violation_type
{21},{1},rape
{22},,rape
{23},{2},rape
`,
		"out of step": `id,incident_id,violation_type
{23},{2},rape
{22},,rape
{21},{1},rape
`,
	} {
		t.Run(name, func(t *testing.T) {
			a := app.New(dbtest.SQLite(t))
			dir := writeDir(t, map[string]string{
				"parties.csv":   expand("id,name,type\n{11},Gang,criminal_gang\n"),
				"incidents.csv": expand("id,title\n{1},First\n{2},Second\n"),
				"acts.csv":      expand(acts),
				"perpetrators.csv": expand(`act_id,party_id,description
{21},Gang,
{22},Gang,
{23},Gang,
{23},,unidentified
`),
			})
			rep, err := transfer.ImportFile(ctx, a, dir, transfer.Options{Partial: true})
			if err != nil {
				t.Fatal(err)
			}
			checkRejections(t, rep, []want{
				{"acts.csv", 3, "incident_id", "is required"},
				{"perpetrators.csv", 3, "act_id", "acts.csv row 3"},
			})
			for _, c := range []struct {
				incident     int
				perpetrators int
			}{{1, 1}, {2, 2}} {
				in, err := a.Incidents.Get(ctx, id(c.incident))
				if err != nil {
					t.Fatal(err)
				}
				if len(in.Acts) != 1 || len(in.Acts[0].Perpetrators) != c.perpetrators {
					t.Errorf("incident %d has acts %+v, want one with %d perpetrators", c.incident, in.Acts, c.perpetrators)
				}
			}
		})
	}
}

func TestEmptyNameRow(t *testing.T) {
	a := app.New(dbtest.SQLite(t))
	dir := writeDir(t, map[string]string{
		"parties.csv":     "name,type\nGang,criminal_gang\n",
		"party_names.csv": "party_id,lang,name\nGang,,\n",
	})
	rep, err := transfer.ImportFile(ctx, a, dir, transfer.Options{Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	checkRejections(t, rep, []want{
		{"party_names.csv", 2, "name", "required"},
		{"parties.csv", 2, "", "party_names.csv row 2"},
	})
}

func TestTemporaryFilesRemoved(t *testing.T) {
	// Set aside incidents, an index of rows out of step, a zip read from a
	// stream: none outlives its import, whatever the outcome.
	d := dbtest.SQLite(t)
	src := app.New(d)
	seed(t, src)
	csvDir := t.TempDir()
	if err := transfer.ExportDir(ctx, src, csvDir); err != nil {
		t.Fatal(err)
	}
	reorder(t, filepath.Join(csvDir, "acts.csv"), "incident_id")
	var zipped bytes.Buffer
	if err := transfer.Export(ctx, src, &zipped, transfer.CSV); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for name, run := range map[string]func(a *app.App) (transfer.Report, error){
		"json set aside": func(a *app.App) (transfer.Report, error) {
			return transfer.ImportReader(ctx, a, strings.NewReader(`{"incidents": [{"title": "x"}], "parties": []}`), "a.json", transfer.Options{})
		},
		"json set aside, then malformed": func(a *app.App) (transfer.Report, error) {
			return transfer.ImportReader(ctx, a, strings.NewReader(`{"incidents": [{"title": "x"}], "parties": [`), "a.json", transfer.Options{})
		},
		"csv out of step": func(a *app.App) (transfer.Report, error) {
			return transfer.ImportFile(ctx, a, csvDir, transfer.Options{})
		},
		"zip from a stream": func(a *app.App) (transfer.Report, error) {
			return transfer.ImportReader(ctx, a, bytes.NewReader(zipped.Bytes()), "record.zip", transfer.Options{})
		},
	} {
		if _, err := run(fresh(t, d)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		left, err := os.ReadDir(tmp)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range left {
			t.Errorf("%s: left %s behind", name, f.Name())
		}
	}
}

func TestRefusedInABulkLoad(t *testing.T) {
	// Into an empty store (a bulk load, here as the command line runs it),
	// an act ID the file uses twice is rejected on its row, and the rest
	// is written: a link with no act, a link to an act, a perpetrator.
	files := map[string]string{
		"sources.csv":      expand("id,kind,title\n{21},un_report,Mission report\n"),
		"incidents.csv":    expand("id,title\n{1},A link and no act\n{2},An act and a link to it\n{3},Reuses an act ID\n"),
		"acts.csv":         expand("id,incident_id,violation_type\n{31},{2},rape\n{31},{3},rape\n"),
		"perpetrators.csv": expand("act_id,description\n{31},unidentified men\n"),
		"information_links.csv": expand(`id,incident_id,act_id,source_id
{41},{1},,{21}
{42},{2},{31},{21}
`),
	}
	for _, partial := range []bool{false, true} {
		t.Run(fmt.Sprintf("partial=%v", partial), func(t *testing.T) {
			dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
				a := app.New(d)
				rep, err := transfer.ImportFile(ctx, a, writeDir(t, files), transfer.Options{Partial: partial, Alone: true})
				if err != nil {
					t.Fatal(err)
				}
				checkRejections(t, rep, []want{
					{"acts.csv", 3, "id", "an act with this ID already exists"},
					{"incidents.csv", 4, "", "acts.csv row 3"},
				})
				if !partial {
					return
				}
				if !rep.Committed || rep.Imported != (transfer.Counts{Sources: 1, Incidents: 2, Acts: 1}) {
					t.Fatalf("committed %v, imported %+v", rep.Committed, rep.Imported)
				}
				in, err := a.Incidents.Get(ctx, id(2))
				if err != nil {
					t.Fatal(err)
				}
				if len(in.Acts) != 1 || len(in.Acts[0].Perpetrators) != 1 || len(in.Information) != 1 || in.Information[0].ActID != id(31) {
					t.Errorf("incident 2: acts %+v, information %+v", in.Acts, in.Information)
				}
			})
		})
	}
}
