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
				rep, err := transfer.ImportFile(ctx, dst, path, transfer.Options{})
				mustImport(t, rep, err)
				if rep.Imported != wantCounts {
					t.Errorf("imported %+v, want %+v", rep.Imported, wantCounts)
				}
				sameRecords(t, want, dump(t, dst), tc.csv)
			})
		}
	})
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
