package transfer_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/transfer"
)

// The fuzz targets check what must hold for any input: the import never
// panics; an import that is not committed leaves the store empty; one that
// is committed stored exactly what it counts, and re-exports to files that
// import again, without a rejection, into the same records.
//
// Every input runs SQLite, which the fuzzer instruments too: minimising each
// new input for the default minute stalls the run, so limit it:
//
//	go test -run='^$' -fuzz=FuzzImportCSV -fuzztime=5m -fuzzminimizetime=20x ./internal/transfer/

// emptyStore is a migrated SQLite database file, copied for each fuzz input:
// migrating a new one every time would slow fuzzing tenfold.
var emptyStore struct {
	once sync.Once
	dir  string
	err  error
}

func removeEmptyStore() {
	if emptyStore.dir != "" {
		os.RemoveAll(emptyStore.dir)
	}
}

func quickStore(t *testing.T) *app.App {
	t.Helper()
	emptyStore.once.Do(func() {
		if emptyStore.dir, emptyStore.err = os.MkdirTemp("", "dossier-fuzz-"); emptyStore.err != nil {
			return
		}
		var d *db.DB
		if d, emptyStore.err = db.Open(ctx, "", emptyStore.dir); emptyStore.err == nil {
			emptyStore.err = d.Close()
		}
	})
	if emptyStore.err != nil {
		t.Fatal(emptyStore.err)
	}
	// Not t.TempDir: a fuzz input's directory name holds a '#', which the
	// SQLite driver reads as the start of a URI fragment, so that every
	// input would open the same truncated path.
	dir, err := os.MkdirTemp("", "dossier-fuzz-store-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	src, err := os.Open(filepath.Join(emptyStore.dir, db.SQLiteFile))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(filepath.Join(dir, db.SQLiteFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	a, err := app.Open(ctx, app.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// checkImported checks a finished import against what the store holds, and
// that what was committed survives an export and an import in both formats.
func checkImported(t *testing.T, a *app.App, rep transfer.Report, opts transfer.Options, throughCSV bool) {
	t.Helper()
	got := dump(t, a)
	if !rep.Committed {
		if len(rep.Rejected) == 0 {
			t.Fatal("not committed, and no rejection says why")
		}
		if empty, err := a.Empty(ctx); err != nil || !empty {
			t.Fatalf("an import that was not committed left records behind (%v):\n%s", err, rejections(rep))
		}
		return
	}
	if !opts.Partial && len(rep.Rejected) > 0 {
		t.Fatalf("an all-or-nothing import was committed with rejections:\n%s", rejections(rep))
	}
	acts := 0
	for _, in := range got.Incidents {
		acts += len(in.Acts)
	}
	stored := transfer.Counts{Situations: len(got.Situations), Parties: len(got.Parties), Sources: len(got.Sources),
		Incidents: len(got.Incidents), Acts: acts}
	if stored != rep.Imported {
		t.Fatalf("the report counts %+v, the store holds %+v", rep.Imported, stored)
	}
	var doc bytes.Buffer
	if err := transfer.Export(ctx, a, &doc, transfer.JSON); err != nil {
		t.Fatal(err)
	}
	again := quickStore(t)
	rep2, err := transfer.ImportReader(ctx, again, bytes.NewReader(doc.Bytes()), "export.json", transfer.Options{})
	if err != nil || !rep2.Committed || len(rep2.Rejected) > 0 {
		t.Fatalf("the JSON export does not import again (%v):\n%s\n%s", err, rejections(rep2), doc.String())
	}
	sameRecords(t, got, dump(t, again), false)

	dir := t.TempDir()
	if err := transfer.ExportDir(ctx, a, dir); err != nil {
		t.Fatal(err)
	}
	again = quickStore(t)
	rep2, err = transfer.ImportFile(ctx, again, dir, transfer.Options{})
	if err != nil || !rep2.Committed || len(rep2.Rejected) > 0 {
		t.Fatalf("the CSV export does not import again (%v):\n%s", err, rejections(rep2))
	}
	sameRecords(t, got, dump(t, again), true)
}

var csvFiles = []string{"situations.csv", "parties.csv", "party_names.csv", "sources.csv", "incidents.csv", "acts.csv",
	"perpetrators.csv", "information_links.csv"}

// csvSeed is a CSV set as the fuzz target takes it, one string per file.
func csvSeed(files map[string]string) (s [8]string) {
	for i, name := range csvFiles {
		s[i] = files[name]
	}
	return s
}

func FuzzImportCSV(f *testing.F) {
	add := func(files map[string]string) {
		s := csvSeed(files)
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], false)
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], true)
	}
	add(badSet)
	add(map[string]string{
		"situations.csv":        "id,name\n" + id(1) + ",Sudan\n",
		"parties.csv":           "id,name,type,parent_id\n" + id(3) + ",Unit,criminal_gang,Gang\n" + id(2) + ",Gang,criminal_gang,\n",
		"party_names.csv":       "party_id,lang,name,alias\nGang,ar,عصابة,true\n",
		"sources.csv":           "id,kind,title\n" + id(4) + ",witness,W1\n",
		"incidents.csv":         "id,title,situation_id,latitude,longitude,location_precision,date_start,date_end,date_precision\n" + id(5) + ",\"a, \"\"b\"\"\nc\",Sudan,1.5,-2.25,exact,2020-02,,month\n",
		"acts.csv":              "id,incident_id,violation_type,tags,victim_code,victim_count\n" + id(6) + "," + id(5) + ",rape,\"x,y\",V1,1\n" + id(7) + "," + id(5) + ",forced_nudity,,,3\n",
		"perpetrators.csv":      "act_id,party_id,description\n" + id(6) + ",Unit,\n" + id(6) + ",,unknown men\n",
		"information_links.csv": "id,incident_id,act_id,source_id,connection,reliability,reference,notes\n" + id(8) + "," + id(5) + "," + id(7) + ",W1,eyewitness,low,p. 1,\n",
	})
	f.Fuzz(func(t *testing.T, situations, parties, names, sources, incidents, acts, perps, links string, partial bool) {
		dir := t.TempDir()
		for i, body := range []string{situations, parties, names, sources, incidents, acts, perps, links} {
			if body == "" {
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, csvFiles[i]), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		a := quickStore(t)
		opts := transfer.Options{Partial: partial}
		rep, err := transfer.ImportFile(ctx, a, dir, opts)
		if err != nil {
			if empty, _ := a.Empty(ctx); !empty {
				t.Fatalf("a failed import (%v) left records behind", err)
			}
			return
		}
		if rep.Committed {
			checkEveryRow(t, a, rep, []string{situations, parties, names, sources, incidents, acts, perps, links})
		}
		checkImported(t, a, rep, opts, true)
	})
}

// checkEveryRow checks a committed CSV import against its files: every data
// row was imported or rejected, and no row of an incident's acts,
// perpetrators or links was rejected while the incident was imported.
func checkEveryRow(t *testing.T, a *app.App, rep transfer.Report, bodies []string) {
	t.Helper()
	c := dump(t, a)
	imported := map[string]int{"situations.csv": len(c.Situations), "parties.csv": len(c.Parties),
		"sources.csv": len(c.Sources), "incidents.csv": len(c.Incidents)}
	importedIncidents, importedActs := map[string]bool{}, map[string]bool{}
	for _, p := range c.Parties {
		imported["party_names.csv"] += len(p.Names)
	}
	for _, in := range c.Incidents {
		importedIncidents[in.ID] = true
		imported["information_links.csv"] += len(in.Information)
		for _, act := range in.Acts {
			importedActs[act.ID] = true
			imported["acts.csv"]++
			imported["perpetrators.csv"] += len(act.Perpetrators)
		}
	}
	rejected := map[string]map[int]bool{}
	for _, r := range rep.Rejected {
		if r.Row > 0 {
			if rejected[r.File] == nil {
				rejected[r.File] = map[int]bool{}
			}
			rejected[r.File][r.Row] = true
		}
	}
	files := map[string][]csvRecord{}
	for i, body := range bodies {
		if body != "" {
			files[csvFiles[i]] = readRecords(body)
		}
	}
	for file, records := range files {
		if n := len(records) - 1; n > 0 && n != imported[file]+len(rejected[file]) {
			t.Fatalf("%s: %d data rows, %d imported and %d rejected:\n%s", file, n, imported[file], len(rejected[file]), rejections(rep))
		}
	}
	// Which parent a rejected child row belongs to is only clear when IDs
	// are not used twice.
	if duplicateKeys(files["incidents.csv"], "id") || duplicateKeys(files["acts.csv"], "id") {
		return
	}
	for _, child := range []struct {
		file, link string
		parents    map[string]bool
	}{{"acts.csv", "incident_id", importedIncidents}, {"information_links.csv", "incident_id", importedIncidents},
		{"perpetrators.csv", "act_id", importedActs}} {
		records := files[child.file]
		if len(records) == 0 {
			continue
		}
		col := slices.Index(records[0].fields, child.link)
		for _, r := range records[1:] {
			if col < 0 || col >= len(r.fields) || !rejected[child.file][r.line] {
				continue
			}
			if k := strings.ToLower(strings.TrimSpace(r.fields[col])); child.parents[k] {
				t.Fatalf("%s row %d was rejected, but %s %s was imported without it:\n%s", child.file, r.line, child.link, k, rejections(rep))
			}
		}
	}
}

type csvRecord struct {
	line   int
	fields []string
}

// readRecords reads a CSV file record by record as the import does,
// malformed records included.
func readRecords(body string) []csvRecord {
	r := csv.NewReader(strings.NewReader(body))
	r.FieldsPerRecord = -1
	var out []csvRecord
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			out = append(out, csvRecord{line: pe.StartLine, fields: rec})
		case err != nil:
			return out
		default:
			line, _ := r.FieldPos(0)
			out = append(out, csvRecord{line: line, fields: rec})
		}
	}
}

func duplicateKeys(records []csvRecord, column string) bool {
	if len(records) == 0 {
		return false
	}
	col := slices.Index(records[0].fields, column)
	seen := map[string]bool{}
	for _, r := range records[1:] {
		if col < 0 || col >= len(r.fields) {
			continue
		}
		k := strings.ToLower(strings.TrimSpace(r.fields[col]))
		if k != "" && seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}

func FuzzImportJSON(f *testing.F) {
	for _, doc := range []string{
		`{"format": "dossier", "format_version": 1, "situations": [], "parties": [], "sources": [], "incidents": []}`,
		expand(`{"format": "dossier", "format_version": 1,
"situations": [{"id": "{1}", "name": "Sudan", "country_code": "SD", "on_security_council_agenda": true, "conflict_class": "NIAC", "setting": "conflict",
  "created_at": "2024-01-02T03:04:05.000006Z", "created_by": "a", "updated_at": "2024-02-02T03:04:05Z", "updated_by": "b"}],
"parties": [{"id": "{3}", "name": "Unit", "type": "criminal_gang", "parent_id": "Gang"},
            {"id": "{2}", "name": "Gang", "abbreviation": "G", "type": "criminal_gang", "names": [{"lang": "ar", "name": "عصابة", "alias": true}]}],
"sources": [{"id": "{4}", "kind": "witness", "title": "W1", "reliability": "low", "published_on": "2024-05-06"}],
"incidents": [{"id": "{5}", "title": "a \"b\"\nc", "situation_id": "Sudan",
  "place": {"name": "כפר", "country": "il", "latitude": 31.5, "longitude": 34.5, "precision": "exact"},
  "date": {"start": "2023-10-07", "end": "2023-10-09", "precision": "range"}, "context": "captivity", "status": "verified",
  "acts": [{"id": "{6}", "violation_type": "gang_rape", "tags": ["svac:rape"], "victim": {"code": "V-1", "sex": "female", "age_group": "adult", "status": "hostage", "count": 1},
            "perpetrators": [{"party_id": "G", "description": "x"}, {"description": "unknown"}]}],
  "information": [{"id": "{8}", "source_id": "W1", "act_id": "{6}", "connection": "eyewitness", "reliability": "medium", "reference": "p. 2"}]},
  {"title": "second", "date": {"start": "2021", "precision": "year"}, "acts": []}]}`),
		`{"incidents": [{"title": "x", "acts": [{"violation_type": "rape", "perpetrators": [{"party_id": "Nobody"}]}]}], "parties": []}`,
		`{"situations": [{"name": "A"}, {"name": "A"}, {"name": 3}], "unknown": [1, {"a": [2]}]}`,
		`{"incidents": [{"title": "t", "plcae": {}}, {"title": "u", "acts": [{"victim": {"count": 2000000}}]}]}`,
		`[1, 2]`,
		`{"situations": [{"name": "Sudan"}]`,
	} {
		f.Add([]byte(doc), false)
		f.Add([]byte(doc), true)
	}
	f.Fuzz(func(t *testing.T, doc []byte, partial bool) {
		a := quickStore(t)
		opts := transfer.Options{Partial: partial}
		rep, err := transfer.ImportReader(ctx, a, bytes.NewReader(doc), "fuzz.json", opts)
		if err != nil {
			if empty, _ := a.Empty(ctx); !empty {
				t.Fatalf("a failed import (%v) left records behind", err)
			}
			return
		}
		checkImported(t, a, rep, opts, false)
	})
}
