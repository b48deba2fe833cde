package synth

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
)

func generate(t *testing.T, n int, seed uint64) (string, Counts) {
	t.Helper()
	dir := t.TempDir()
	c, err := WriteDir(dir, Options{Incidents: n, Seed: seed})
	if err != nil {
		t.Fatalf("WriteDir: %v", err)
	}
	return dir, c
}

func TestSameSeedSameBytes(t *testing.T) {
	a, _ := generate(t, 500, 7)
	b, _ := generate(t, 500, 7)
	c, _ := generate(t, 500, 8)
	differs := false
	for _, name := range Files {
		x := readFile(t, filepath.Join(a, name))
		y := readFile(t, filepath.Join(b, name))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
		if !bytes.Equal(x, readFile(t, filepath.Join(c, name))) {
			differs = true
		}
	}
	if !differs {
		t.Error("a different seed gave the same files")
	}
}

// TestKnownOutput pins the generator's output, so that a change to it — which
// makes figures measured on "seed 1" incomparable with earlier ones — is
// deliberate: update the digest and say so in bench/README.md.
func TestKnownOutput(t *testing.T) {
	dir, _ := generate(t, 100, 1)
	h := sha256.New()
	for _, name := range Files {
		h.Write(readFile(t, filepath.Join(dir, name)))
	}
	if got, want := hex.EncodeToString(h.Sum(nil)), knownDigest; got != want {
		t.Errorf("digest of the 100-incident set with seed 1 = %s, want %s", got, want)
	}
}

const knownDigest = "f5db9daf18951ad093b7f28fb256291d8f85a811154a84f9b559af11941b6c6f"

func TestRowCounts(t *testing.T) {
	const n = 3000
	dir, c := generate(t, n, 1)
	want := map[string]int{
		"situations.csv": c.Situations, "parties.csv": c.Parties, "party_names.csv": c.PartyNames,
		"sources.csv": c.Sources, "incidents.csv": c.Incidents, "acts.csv": c.Acts,
		"perpetrators.csv": c.Perpetrators, "information_links.csv": c.Links,
	}
	for name, w := range want {
		rows := readCSV(t, filepath.Join(dir, name))
		if len(rows)-1 != w {
			t.Errorf("%s has %d data rows, Counts says %d", name, len(rows)-1, w)
		}
		if got := strings.Join(rows[0], ","); got != strings.Join(headers[name], ",") {
			t.Errorf("%s header = %s", name, got)
		}
	}
	if c.Incidents != n {
		t.Errorf("incidents = %d, want %d", c.Incidents, n)
	}
	if c.Situations != len(situations) || c.Parties < 45 || c.Parties > 55 || c.Sources != SourceCount {
		t.Errorf("situations %d, parties %d, sources %d", c.Situations, c.Parties, c.Sources)
	}
	if avg := float64(c.Acts) / n; avg < 2.8 || avg > 3.3 {
		t.Errorf("%.2f acts per incident, want about 3", avg)
	}
}

func TestZeroIncidents(t *testing.T) {
	dir, c := generate(t, 0, 1)
	if c.Incidents != 0 || c.Acts != 0 || c.Parties == 0 {
		t.Fatalf("counts %+v", c)
	}
	if rows := readCSV(t, filepath.Join(dir, "incidents.csv")); len(rows) != 1 {
		t.Fatalf("incidents.csv has %d rows, want the header only", len(rows))
	}
}

// TestVariety checks that every value of every enumeration the filters use
// occurs, and that Arabic and Hebrew text makes up a share of the rows.
func TestVariety(t *testing.T) {
	dir, _ := generate(t, 4000, 1)
	incidents := byColumn(readCSV(t, filepath.Join(dir, "incidents.csv")))
	acts := byColumn(readCSV(t, filepath.Join(dir, "acts.csv")))
	parties := byColumn(readCSV(t, filepath.Join(dir, "parties.csv")))
	names := byColumn(readCSV(t, filepath.Join(dir, "party_names.csv")))

	coverage := []struct {
		name   string
		values []string
		want   []string
	}{
		{"violation_type", acts["violation_type"], strs(incident.ViolationTypes)},
		{"victim_age_group", acts["victim_age_group"], strs(incident.AgeGroups)},
		{"victim_sex", acts["victim_sex"], strs(incident.Sexes)},
		{"victim_status", acts["victim_status"], strs(incident.VictimStatuses)},
		{"context", incidents["context"], strs(incident.Contexts)},
		{"status", incidents["status"], strs(incident.Statuses)},
		{"date_precision", incidents["date_precision"], strs(record.DatePrecisions)},
		{"location_precision", incidents["location_precision"], strs(incident.LocationPrecisions)},
	}
	for _, c := range coverage {
		seen := map[string]bool{}
		for _, v := range c.values {
			seen[v] = true
		}
		for _, w := range c.want {
			if !seen[w] {
				t.Errorf("%s %q never occurs", c.name, w)
			}
		}
	}

	arabic, hebrew := 0, 0
	for _, title := range incidents["title"] {
		switch {
		case hasScript(title, unicode.Arabic):
			arabic++
		case hasScript(title, unicode.Hebrew):
			hebrew++
		}
	}
	n := len(incidents["title"])
	if arabic*100 < n*5 || arabic*100 > n*20 {
		t.Errorf("%d of %d titles in Arabic, want 5–20 %%", arabic, n)
	}
	if hebrew*100 < n*1 || hebrew*100 > n*6 {
		t.Errorf("%d of %d titles in Hebrew, want 1–6 %%", hebrew, n)
	}
	langs := map[string]bool{}
	for _, l := range names["lang"] {
		langs[l] = true
	}
	if !langs["ar"] || !langs["he"] {
		t.Errorf("party names in languages %v, want Arabic and Hebrew among them", langs)
	}

	years := map[string]bool{}
	for _, d := range incidents["date_start"] {
		if d != "" {
			years[d[:4]] = true
		}
	}
	if !years["2000"] || !years["2025"] || len(years) != 26 {
		t.Errorf("incident dates fall in %d years, want every year 2000–2025", len(years))
	}

	for i, code := range acts["victim_code"] {
		if code != "" && !strings.HasPrefix(code, "SYN-") {
			t.Fatalf("act %d victim code %q is not synthetic", i, code)
		}
	}

	depth := map[string]int{}
	maxDepth := 0
	for i, id := range parties["id"] {
		if p := parties["parent_id"][i]; p != "" {
			depth[id] = depth[p] + 1
			maxDepth = max(maxDepth, depth[id])
		}
	}
	if maxDepth < 2 {
		t.Errorf("units nest %d levels deep, want at least 2", maxDepth)
	}
}

// TestWordSelectivity checks the Zipf shape the search benchmark relies on:
// the commonest words are in most incidents, tail words in very few.
func TestWordSelectivity(t *testing.T) {
	dir, _ := generate(t, 4000, 1)
	incidents := byColumn(readCSV(t, filepath.Join(dir, "incidents.csv")))
	docs := map[string]int{}
	for i := range incidents["id"] {
		seen := map[string]bool{}
		for _, w := range strings.FieldsFunc(strings.ToLower(incidents["title"][i]+" "+incidents["summary"][i]), func(r rune) bool {
			return !unicode.IsLetter(r)
		}) {
			if !seen[w] {
				seen[w] = true
				docs[w]++
			}
		}
	}
	n := len(incidents["id"])
	if docs["the"]*2 < n {
		t.Errorf("'the' in %d of %d incidents, want most", docs["the"], n)
	}
	tail := 0
	for _, w := range Vocabulary()[20000:20100] {
		tail += docs[w]
	}
	if tail > n/20 {
		t.Errorf("100 tail words occur in %d incidents together, want rare words", tail)
	}
	if len(docs) < 10000 {
		t.Errorf("only %d distinct words", len(docs))
	}
}

// TestRowsAreValidRecords reads every row back into the domain types and
// validates it, and checks that every reference resolves, so an import of the
// set has nothing to reject.
func TestRowsAreValidRecords(t *testing.T) {
	dir, _ := generate(t, 2000, 3)
	ids := map[string]string{} // id → kind

	for _, r := range records(t, dir, "situations.csv") {
		s := situation.Situation{Name: r["name"], CountryCode: r["country_code"], OnAgenda: r["on_security_council_agenda"] == "true",
			ConflictClass: situation.ConflictClass(r["conflict_class"]), Setting: situation.Setting(r["setting"]), Description: r["description"]}
		s.Normalize()
		check(t, "situation "+r["name"], s.Validate())
		checkMeta(t, r)
		ids[r["id"]] = "situation"
	}
	partyNames := map[string][]party.Name{}
	for _, r := range records(t, dir, "party_names.csv") {
		partyNames[r["party_id"]] = append(partyNames[r["party_id"]], party.Name{Lang: r["lang"], Text: r["name"], Alias: r["alias"] == "true"})
	}
	for _, r := range records(t, dir, "parties.csv") {
		p := party.Party{Name: r["name"], Abbreviation: r["abbreviation"], Type: party.Type(r["type"]), ParentID: r["parent_id"],
			CountryCode: r["country_code"], Description: r["description"], Names: partyNames[r["id"]]}
		p.ID = r["id"]
		p.Normalize()
		check(t, "party "+r["name"], p.Validate())
		if p.ParentID != "" && ids[p.ParentID] != "party" {
			t.Errorf("party %s: parent %s comes later or not at all", p.Name, p.ParentID)
		}
		checkMeta(t, r)
		ids[r["id"]] = "party"
	}
	for id := range partyNames {
		if ids[id] != "party" {
			t.Errorf("party_names.csv names unknown party %s", id)
		}
	}
	for _, r := range records(t, dir, "sources.csv") {
		s := source.Source{Kind: source.Kind(r["kind"]), Title: r["title"], Organisation: r["organisation"], URL: r["url"],
			DocumentSymbol: r["document_symbol"], PublishedOn: r["published_on"], Language: r["language"],
			Reliability: source.Reliability(r["reliability"])}
		s.Normalize()
		check(t, "source "+r["title"], s.Validate())
		checkMeta(t, r)
		ids[r["id"]] = "source"
	}

	// Reassemble incidents from the four files, as an import does.
	byID := map[string]*incident.Incident{}
	var order []string
	for _, r := range records(t, dir, "incidents.csv") {
		in := &incident.Incident{Title: r["title"], Summary: r["summary"], SituationID: r["situation_id"],
			Place: incident.Place{Name: r["place_name"], AdminArea: r["place_admin_area"], Country: r["place_country"],
				Latitude: float(t, r["latitude"]), Longitude: float(t, r["longitude"]), Precision: incident.LocationPrecision(r["location_precision"])},
			Date:    record.Date{Start: r["date_start"], End: r["date_end"], Precision: record.DatePrecision(r["date_precision"])},
			Context: incident.Context(r["context"]), Status: incident.Status(r["status"])}
		in.ID = r["id"]
		if in.SituationID != "" && ids[in.SituationID] != "situation" {
			t.Errorf("incident %s: unknown situation %s", in.ID, in.SituationID)
		}
		if ids[in.ID] != "" {
			t.Errorf("ID %s used twice", in.ID)
		}
		checkMeta(t, r)
		ids[in.ID] = "incident"
		byID[in.ID] = in
		order = append(order, in.ID)
	}
	actOf := map[string]*incident.Incident{}
	for _, r := range records(t, dir, "acts.csv") {
		in := byID[r["incident_id"]]
		if in == nil {
			t.Fatalf("act %s: unknown incident %s", r["id"], r["incident_id"])
		}
		count, err := strconv.Atoi(r["victim_count"])
		if err != nil {
			t.Fatalf("act %s: victim_count %q", r["id"], r["victim_count"])
		}
		var tags []string
		if r["tags"] != "" {
			tags = strings.Split(r["tags"], ",")
		}
		in.Acts = append(in.Acts, incident.Act{ID: r["id"], ViolationType: incident.ViolationType(r["violation_type"]), Tags: tags,
			Victim: incident.Victim{Code: r["victim_code"], Sex: incident.Sex(r["victim_sex"]), AgeGroup: incident.AgeGroup(r["victim_age_group"]),
				Status: incident.VictimStatus(r["victim_status"]), Count: count}, Description: r["description"]})
		actOf[r["id"]] = in
	}
	for _, r := range records(t, dir, "perpetrators.csv") {
		in := actOf[r["act_id"]]
		if in == nil {
			t.Fatalf("perpetrator of unknown act %s", r["act_id"])
		}
		if r["party_id"] != "" && ids[r["party_id"]] != "party" {
			t.Errorf("perpetrator of act %s: unknown party %s", r["act_id"], r["party_id"])
		}
		for i := range in.Acts {
			if in.Acts[i].ID == r["act_id"] {
				in.Acts[i].Perpetrators = append(in.Acts[i].Perpetrators, incident.Perpetrator{PartyID: r["party_id"], Description: r["description"]})
			}
		}
	}
	for _, r := range records(t, dir, "information_links.csv") {
		in := byID[r["incident_id"]]
		if in == nil {
			t.Fatalf("link %s: unknown incident %s", r["id"], r["incident_id"])
		}
		if ids[r["source_id"]] != "source" {
			t.Errorf("link %s: unknown source %s", r["id"], r["source_id"])
		}
		in.Information = append(in.Information, incident.InformationLink{ID: r["id"], SourceID: r["source_id"], ActID: r["act_id"],
			Connection: source.Connection(r["connection"]), Reliability: source.Reliability(r["reliability"]), Reference: r["reference"], Notes: r["notes"]})
	}
	for _, id := range order {
		in := byID[id]
		before := *in
		in.Normalize()
		check(t, "incident "+id, in.Validate())
		if in.Date != before.Date {
			t.Errorf("incident %s: date %+v is not in normal form (%+v)", id, before.Date, in.Date)
		}
		if len(in.Acts) == 0 {
			t.Errorf("incident %s has no acts", id)
		}
	}
}

func check(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

func checkMeta(t *testing.T, r map[string]string) {
	t.Helper()
	if !record.ValidID(r["id"]) {
		t.Errorf("invalid ID %q", r["id"])
	}
	created, err1 := time.Parse("2006-01-02T15:04:05.000000Z", r["created_at"])
	updated, err2 := time.Parse("2006-01-02T15:04:05.000000Z", r["updated_at"])
	if err1 != nil || err2 != nil || updated.Before(created) || r["created_by"] == "" || r["updated_by"] == "" {
		t.Errorf("record %s: bad stamps %q %q %q %q", r["id"], r["created_at"], r["created_by"], r["updated_at"], r["updated_by"])
	}
}

func float(t *testing.T, s string) *float64 {
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("coordinate %q: %v", s, err)
	}
	return &f
}

func hasScript(s string, table *unicode.RangeTable) bool {
	for _, r := range s {
		if unicode.Is(table, r) {
			return true
		}
	}
	return false
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	var rows [][]string
	for {
		row, err := r.Read()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rows = append(rows, row)
	}
}

// records returns a file's data rows as maps from column to value.
func records(t *testing.T, dir, name string) []map[string]string {
	rows := readCSV(t, filepath.Join(dir, name))
	out := make([]map[string]string, 0, len(rows)-1)
	for _, row := range rows[1:] {
		m := make(map[string]string, len(row))
		for i, v := range row {
			m[rows[0][i]] = v
		}
		out = append(out, m)
	}
	return out
}

// byColumn returns a file's values column by column.
func byColumn(rows [][]string) map[string][]string {
	out := map[string][]string{}
	for _, row := range rows[1:] {
		for i, v := range row {
			out[rows[0][i]] = append(out[rows[0][i]], v)
		}
	}
	return out
}
