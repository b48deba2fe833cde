package transfer_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
	"github.com/dossier-org/dossier/internal/transfer"
)

// An export made for a use carries only the victim codes of survivors who
// consented to that use.
func TestExportForAUseWithholdsCodesWithoutConsent(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := record.WithActor(context.Background(), "test")
		a := app.New(d)
		in := &incident.Incident{Title: "Attack on a camp", Date: record.Date{Precision: record.DateUnknown}, Acts: []incident.Act{
			{ViolationType: "rape", Victim: incident.Victim{Code: "SYN-0001"}},
			{ViolationType: "rape", Victim: incident.Victim{Code: "SYN-0002"}},
			{ViolationType: "rape", Victim: incident.Victim{Code: "SYN-0003"}},
		}}
		if err := a.Incidents.Create(ctx, in); err != nil {
			t.Fatal(err)
		}
		for code, decision := range map[string]survivor.Decision{"SYN-0001": survivor.Given, "SYN-0002": survivor.Refused} {
			sv := &survivor.Survivor{Code: code, Synthetic: true}
			if err := a.Survivors.Create(ctx, survivor.Administrator(ctx), sv, survivor.Identity{}); err != nil {
				t.Fatal(err)
			}
			c := &survivor.Consent{SurvivorID: sv.ID, Use: survivor.UNSharing, Decision: decision, On: "2026-01-05", Language: "ar", TakenBy: "synthetic interviewer"}
			if err := a.Survivors.RecordConsent(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range []transfer.Format{transfer.JSON, transfer.CSV} {
			var out bytes.Buffer
			withheld, err := transfer.ExportFor(ctx, a, &out, f, survivor.UNSharing)
			if err != nil {
				t.Fatal(err)
			}
			if withheld.Total != 2 || withheld.Checked != 3 || len(withheld.Codes) != 2 {
				t.Fatalf("%s: withheld %+v, want SYN-0002 (refused) and SYN-0003 (no survivor record)", f, withheld)
			}
			if f == transfer.JSON {
				body := out.String()
				if !strings.Contains(body, "SYN-0001") || strings.Contains(body, "SYN-0002") || strings.Contains(body, "SYN-0003") {
					t.Fatalf("the export for UN sharing carries the wrong codes:\n%s", body)
				}
			}
		}
		// The organisation's own copy keeps every code.
		var all bytes.Buffer
		if err := transfer.Export(ctx, a, &all, transfer.JSON); err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{"SYN-0001", "SYN-0002", "SYN-0003"} {
			if !strings.Contains(all.String(), code) {
				t.Fatalf("the full export lost %s", code)
			}
		}
	})
}
