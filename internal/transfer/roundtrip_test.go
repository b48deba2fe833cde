package transfer_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/transfer"
)

func mustImport(t testing.TB, rep transfer.Report, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if !rep.Committed || len(rep.Rejected) > 0 {
		t.Fatalf("import not committed (%v), rejections:\n%s", rep.Committed, rejections(rep))
	}
}

func rejections(rep transfer.Report) string {
	var b strings.Builder
	for _, r := range rep.Rejected {
		b.WriteString(r.String() + "\n")
	}
	return b.String()
}

func TestRoundTrip(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		src := app.New(d)
		seed(t, src)
		want := dump(t, src)
		wantCounts := transfer.Counts{Situations: 3, Parties: 5, Sources: 3, Incidents: 6, Acts: 5}

		for _, tc := range []struct {
			name string
			// csv: line breaks inside CSV fields are read back as LF (see docs).
			csv    bool
			export func(t *testing.T, dir string) string
		}{
			{"json", false, func(t *testing.T, dir string) string {
				var buf bytes.Buffer
				if err := transfer.Export(ctx, src, &buf, transfer.JSON); err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(dir, "record.json")
				if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}},
			{"zip", true, func(t *testing.T, dir string) string {
				var buf bytes.Buffer
				if err := transfer.Export(ctx, src, &buf, transfer.CSV); err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(dir, "record.zip")
				if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}},
			{"directory", true, func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "csv")
				if err := transfer.ExportDir(ctx, src, p); err != nil {
					t.Fatal(err)
				}
				return p
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				path := tc.export(t, t.TempDir())
				dst := fresh(t, d)
				// A directory is imported as the command line does.
				rep, err := transfer.ImportFile(ctx, dst, path, transfer.Options{Alone: tc.name == "directory"})
				mustImport(t, rep, err)
				if rep.Imported != wantCounts {
					t.Errorf("imported %+v, want %+v", rep.Imported, wantCounts)
				}
				sameRecords(t, want, dump(t, dst), tc.csv)
				sameLists(t, src, dst)
				if d.Dialect == db.Postgres {
					// Lists read only indexes once the new rows are marked
					// visible to all.
					var vacuumed bool
					if err := dst.DB.QueryRow(ctx, `SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables
						WHERE relname = 'incident_words'`).Scan(&vacuumed); err != nil {
						t.Fatal(err)
					}
					if !vacuumed {
						t.Error("an import into an empty store left the table of words unvacuumed")
					}
				}
			})
		}
	})
}

// sameLists checks that the imported store finds what the source store
// finds: an import into an empty store builds the list's per-act rows and
// full-text index in bulk, not incident by incident.
func sameLists(t *testing.T, src, dst *app.App) {
	t.Helper()
	parties, err := src.Parties.List(ctx, party.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	filters := []incident.Filter{{}, {Text: "village"}, {Text: "كيبوتس"}, {Text: "עזה"}, {ViolationType: incident.Rape},
		{AgeGroup: incident.Child}, {To: "2023-12-31"}}
	for _, p := range parties {
		filters = append(filters, incident.Filter{PartyID: p.ID}, incident.Filter{PartyID: p.ID, AgeGroup: incident.Adult})
	}
	ids := func(a *app.App, f incident.Filter) []string {
		page, err := a.Incidents.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, in := range page.Incidents {
			out = append(out, in.ID)
		}
		return out
	}
	matched := 0
	for _, f := range filters {
		for _, sort := range []incident.Sort{incident.NewestFirst, incident.OldestFirst, incident.ByTitle} {
			f.Sort = sort
			want, got := ids(src, f), ids(dst, f)
			if !slices.Equal(got, want) {
				t.Errorf("%+v: the imported store lists %q, the source %q", f, got, want)
			}
			matched += len(want)
		}
	}
	if matched < 3*len(filters) {
		t.Errorf("the filters matched %d incidents in all: too few to show anything", matched)
	}
}

func TestJSONReadByteByByte(t *testing.T) {
	// Characters cut between reads are still read as UTF-8; a byte that is
	// not UTF-8 stops the import wherever it falls.
	d := dbtest.SQLite(t)
	src := app.New(d)
	seed(t, src)
	var doc bytes.Buffer
	if err := transfer.Export(ctx, src, &doc, transfer.JSON); err != nil {
		t.Fatal(err)
	}
	dst := fresh(t, d)
	rep, err := transfer.ImportReader(ctx, dst, iotest.OneByteReader(bytes.NewReader(doc.Bytes())), "record.json", transfer.Options{})
	mustImport(t, rep, err)
	sameRecords(t, dump(t, src), dump(t, dst), false)

	i := bytes.Index(doc.Bytes(), []byte("حركة"))
	broken := slices.Concat(doc.Bytes()[:i+1], doc.Bytes()[i+2:]) // half of a two-byte letter
	rep, err = transfer.ImportReader(ctx, fresh(t, d), iotest.OneByteReader(bytes.NewReader(broken)), "record.json", transfer.Options{Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Committed || len(rep.Rejected) != 1 || !strings.Contains(rep.Rejected[0].Reason, fmt.Sprintf("not UTF-8 text (at byte %d)", i)) {
		t.Errorf("committed %v, rejections:\n%s", rep.Committed, rejections(rep))
	}
}
