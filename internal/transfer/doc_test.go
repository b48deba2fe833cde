package transfer_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
	"github.com/dossier-org/dossier/internal/transfer"
)

// The format's documentation is checked against the code: its list of
// enumerations is generated from the Go enumerations, every column of every
// table is described, and its examples import as they are.

var update = flag.Bool("update", false, "rewrite the enumerations in docs/import-export.md")

const docPath = "../../docs/import-export.md"

func readDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func values[T ~string](vs []T) string {
	var out []string
	empty := false
	for _, v := range vs {
		if v == "" {
			empty = true
			continue
		}
		out = append(out, "`"+string(v)+"`")
	}
	s := strings.Join(out, ", ")
	if empty {
		s += " (or empty)"
	}
	return s
}

func enumerations() string {
	rows := []struct{ field, values string }{
		{"situation `conflict_class`", values(situation.ConflictClasses)},
		{"situation `setting`", values(situation.Settings)},
		{"party `type`", values(party.Types)},
		{"source `kind`", values(source.Kinds)},
		{"source and link `reliability`", values(source.Reliabilities)},
		{"link `connection`", values(source.Connections)},
		{"incident `location_precision`", values(incident.LocationPrecisions)},
		{"incident `date_precision`", values(record.DatePrecisions)},
		{"incident `context`", values(incident.Contexts)},
		{"incident `status`", values(incident.Statuses)},
		{"act `violation_type`", values(incident.ViolationTypes)},
		{"act `victim_sex`", values(incident.Sexes)},
		{"act `victim_age_group`", values(incident.AgeGroups)},
		{"act `victim_status`", values(incident.VictimStatuses)},
	}
	var b strings.Builder
	b.WriteString("| field | values |\n|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r.field, r.values)
	}
	return b.String()
}

func TestDocEnumerations(t *testing.T) {
	doc := readDoc(t)
	const start, end = "<!-- enumerations:start -->\n", "<!-- enumerations:end -->"
	i, j := strings.Index(doc, start), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q … %q section", docPath, start, end)
	}
	want := enumerations()
	if got := doc[i+len(start) : j]; got != want {
		if *update {
			if err := os.WriteFile(docPath, []byte(doc[:i+len(start)]+want+doc[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("the enumerations in %s differ from the code; run with -update:\n%s", docPath, want)
	}
}

func TestDocColumns(t *testing.T) {
	doc := readDoc(t)
	for _, file := range csvFiles {
		i := strings.Index(doc, "### "+file)
		if i < 0 {
			t.Errorf("%s does not describe %s", docPath, file)
			continue
		}
		section := doc[i+4:]
		if k := strings.Index(section, "\n### "); k >= 0 {
			section = section[:k]
		}
		header := exportHeader(t, file)
		for _, column := range header {
			if !strings.Contains(section, "`"+column+"`") {
				t.Errorf("%s: the section on %s does not describe column %s", docPath, file, column)
			}
		}
	}
}

// exportHeader is the header an export writes for file.
func exportHeader(t *testing.T, file string) []string {
	t.Helper()
	dir := t.TempDir()
	if err := transfer.ExportDir(ctx, app.New(dbtest.SQLite(t)), dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.Split(line, ",")
}

var fence = regexp.MustCompile("(?s)```(csv [a-z_]+\\.csv|json)\n(.*?)```")

func TestDocExamples(t *testing.T) {
	doc := readDoc(t)
	dir := t.TempDir()
	var docs []string
	for _, m := range fence.FindAllStringSubmatch(doc, -1) {
		if m[1] == "json" {
			docs = append(docs, m[2])
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, strings.TrimPrefix(m[1], "csv ")), []byte(m[2]), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a := app.New(dbtest.SQLite(t))
	rep, err := transfer.ImportFile(ctx, a, dir, transfer.Options{})
	mustImport(t, rep, err)
	if want := (transfer.Counts{Situations: 1, Parties: 2, Sources: 1, Incidents: 1, Acts: 2}); rep.Imported != want {
		t.Errorf("the CSV example imported %+v, want %+v", rep.Imported, want)
	}
	if len(docs) != 1 {
		t.Fatalf("%d JSON examples, want 1", len(docs))
	}
	rep, err = transfer.ImportReader(ctx, app.New(dbtest.SQLite(t)), strings.NewReader(docs[0]), "example.json", transfer.Options{})
	mustImport(t, rep, err)
	if want := (transfer.Counts{Situations: 1, Parties: 2, Sources: 1, Incidents: 1, Acts: 1}); rep.Imported != want {
		t.Errorf("the JSON example imported %+v, want %+v", rep.Imported, want)
	}
}
