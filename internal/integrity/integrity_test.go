package integrity_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/blob/blobtest"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/demo"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/integrity"
	"github.com/dossier-org/dossier/internal/record"
)

func TestMain(m *testing.M) {
	code := dbtest.Main(m)
	blobtest.Stop()
	os.Exit(code)
}

// demoApp loads the demo record set, edits an incident twice so that its
// history holds superseded versions, and issues a checkpoint.
func demoApp(t *testing.T, d *db.DB) (*app.App, *incident.Incident) {
	t.Helper()
	ctx := record.WithActor(context.Background(), "test")
	a := app.New(d)
	key, err := audit.LoadKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a.LogKey = key
	if _, err := demo.Load(ctx, a); err != nil {
		t.Fatal(err)
	}
	page, err := a.Incidents.List(ctx, incident.Filter{Limit: 1})
	if err != nil || len(page.Incidents) == 0 {
		t.Fatalf("no demo incident: %v", err)
	}
	in, err := a.Incidents.Get(ctx, page.Incidents[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, summary := range []string{"first correction", "second correction"} {
		in.Summary = summary
		if err := a.Incidents.Update(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := audit.Issue(ctx, d, key); err != nil {
		t.Fatal(err)
	}
	return a, in
}

func TestVerifyPassesOnAnIntactStore(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		a, _ := demoApp(t, d)
		report, err := integrity.Verify(context.Background(), a)
		if err != nil {
			t.Fatal(err)
		}
		if !report.OK() {
			t.Fatalf("an intact store failed verification:\n%v", report.Problems)
		}
		// The log holds more than the records' versions: accounts and cases.
		if report.Records < 50 || report.Revisions < report.Records || report.LogEntries < uint64(report.Revisions) || report.Checkpoints != 1 {
			t.Fatalf("verified too little: %+v", report)
		}
	})
}

func TestVerifyNamesWhatWasAlteredOutsideDossier(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(in *incident.Incident) []string
		want   func(in *incident.Incident) string
	}{
		{"incident row edited",
			func(in *incident.Incident) []string {
				return []string{`UPDATE incidents SET title = 'rewritten' WHERE id = '` + in.ID + `'`}
			},
			func(in *incident.Incident) string {
				return "incident " + in.ID + ": its content no longer matches version 3"
			}},
		{"act of an incident edited",
			func(in *incident.Incident) []string {
				return []string{`UPDATE acts SET violation_type = 'sexual_slavery' WHERE id = '` + in.Acts[0].ID + `'`}
			},
			func(in *incident.Incident) string { return "incident " + in.ID + ": its content no longer matches" }},
		{"incident deleted",
			func(in *incident.Incident) []string {
				return []string{
					`DELETE FROM information_links WHERE incident_id = '` + in.ID + `'`,
					`DELETE FROM act_perpetrators WHERE act_id IN (SELECT id FROM acts WHERE incident_id = '` + in.ID + `')`,
					`DELETE FROM acts WHERE incident_id = '` + in.ID + `'`,
					`DELETE FROM incidents WHERE id = '` + in.ID + `'`,
				}
			},
			func(in *incident.Incident) string {
				return "incident " + in.ID + ": the audit log recorded it, but it is gone from the database"
			}},
		{"situation inserted directly",
			func(in *incident.Incident) []string {
				return []string{`INSERT INTO situations (id, name, conflict_class, setting, version, created_at, created_by, updated_at, updated_by)
					VALUES ('0190aaaa-0000-7000-8000-000000000001', 'Forged', 'international', 'conflict', 1, '2026-01-01T00:00:00.000000Z', 'x', '2026-01-01T00:00:00.000000Z', 'x')`}
			},
			func(in *incident.Incident) string {
				return "situation 0190aaaa-0000-7000-8000-000000000001: the audit log has no entry for it"
			}},
		{"earlier version rewritten",
			func(in *incident.Incident) []string {
				return []string{`UPDATE revisions SET snapshot = REPLACE(snapshot, 'first correction', 'forged') WHERE record_id = '` + in.ID + `' AND version = 2`}
			},
			func(in *incident.Incident) string {
				return "incident " + in.ID + " version 2: this earlier version no longer matches"
			}},
		{"earlier version deleted",
			func(in *incident.Incident) []string {
				return []string{`DELETE FROM revisions WHERE record_id = '` + in.ID + `' AND version = 1`}
			},
			func(in *incident.Incident) string {
				return "incident " + in.ID + " version 1: the audit log recorded this version, but it is gone"
			}},
		{"log entry rewritten to match the edit",
			func(in *incident.Incident) []string {
				return []string{`UPDATE audit_log SET entry = REPLACE(entry, '"action":"create"', '"action":"update"')
					WHERE subject = '` + in.ID + `' AND version = 1`}
			},
			func(in *incident.Incident) string { return ": its text no longer matches its leaf hash" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
				ctx := context.Background()
				a, in := demoApp(t, d)
				for _, q := range tc.tamper(in) {
					if err := d.Write(ctx, func(tx *db.Tx) error { _, err := tx.Exec(ctx, q); return err }); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				report, err := integrity.Verify(ctx, a)
				if err != nil {
					t.Fatal(err)
				}
				var lines []string
				for _, p := range report.Problems {
					lines = append(lines, p.String())
				}
				all := strings.Join(lines, "\n")
				if want := tc.want(in); !strings.Contains(all, want) {
					t.Fatalf("the report does not name %q:\n%s", want, all)
				}
			})
		})
	}
}

// TestVerifyNamesAlteredEvidenceFiles tampers with the stored files as
// someone with access to the disk would: whatever the layout, a flipped
// byte, a deleted file and two files swapped are each named.
func TestVerifyNamesAlteredEvidenceFiles(t *testing.T) {
	for _, tamper := range []string{"flip a byte", "delete", "swap two"} {
		t.Run(tamper, func(t *testing.T) {
			ctx := record.WithActor(context.Background(), "test")
			dir := t.TempDir()
			a, err := app.Open(ctx, app.Config{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if _, err := demo.Load(ctx, a); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for i := range 2 {
				it := &evidence.Item{Filename: fmt.Sprintf("statement-%d.txt", i)}
				content := strings.Repeat(fmt.Sprintf("synthetic statement %d\n", i), 3000)
				if _, err := a.Evidence.Ingest(ctx, strings.NewReader(content), "", it); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, it.ID)
			}
			if report, err := integrity.Verify(ctx, a); err != nil || !report.OK() || report.Blobs < 2 {
				t.Fatalf("before tampering: %+v %v", report, err)
			}
			// The stored objects, largest first: the two evidence files.
			var files []string
			filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d os.DirEntry, err error) error {
				rel, _ := filepath.Rel(filepath.Join(dir, "blobs"), p)
				if err == nil && !d.IsDir() && !strings.HasPrefix(filepath.ToSlash(rel), "tmp/") {
					if info, _ := d.Info(); info != nil && info.Size() > 40000 {
						files = append(files, p)
					}
				}
				return nil
			})
			if len(files) < 2 {
				t.Fatalf("found %d stored evidence files", len(files))
			}
			for _, f := range files {
				os.Chmod(f, 0o644)
			}
			switch tamper {
			case "flip a byte":
				b, _ := os.ReadFile(files[0])
				b[len(b)/2] ^= 1
				os.WriteFile(files[0], b, 0o644)
			case "delete":
				os.Remove(files[0])
			case "swap two":
				b0, _ := os.ReadFile(files[0])
				b1, _ := os.ReadFile(files[1])
				os.WriteFile(files[0], b1, 0o644)
				os.WriteFile(files[1], b0, 0o644)
			}
			report, err := integrity.Verify(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			if report.OK() {
				t.Fatalf("%s: verification passed", tamper)
			}
			for _, p := range report.Problems {
				if !strings.Contains(p.What, "evidence") {
					t.Errorf("%s: a problem that names no evidence: %s", tamper, p)
				}
			}
			all := fmt.Sprint(report.Problems)
			if !strings.Contains(all, ids[0]) && !strings.Contains(all, ids[1]) {
				t.Errorf("%s: no problem names the evidence item concerned: %s", tamper, all)
			}
		})
	}
}
