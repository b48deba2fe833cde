package transfer_test

import (
	"context"
	"io"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
	"github.com/dossier-org/dossier/internal/transfer"
)

// The count shown before an export is the export's own: the same codes,
// by why they are withheld.
func TestCountWithheldMatchesTheExport(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := record.WithActor(context.Background(), "test")
		a := app.New(d)
		in := &incident.Incident{Title: "Attack on a camp", Date: record.Date{Precision: record.DateUnknown}, Acts: []incident.Act{
			{ViolationType: "rape", Victim: incident.Victim{Code: "SYN-0001"}},
			{ViolationType: "rape", Victim: incident.Victim{Code: "SYN-0002"}},
			{ViolationType: "rape", Victim: incident.Victim{Code: "SYN-0003"}},
			{ViolationType: "rape", Victim: incident.Victim{Code: "SYN-0004"}},
			{ViolationType: "rape", Victim: incident.Victim{Code: "SYN-0005"}},
			{ViolationType: "rape", Victim: incident.Victim{Count: 4}},
		}}
		if err := a.Incidents.Create(ctx, in); err != nil {
			t.Fatal(err)
		}
		consent := map[string][]survivor.Decision{
			"SYN-0001": {survivor.Given},
			"SYN-0002": {survivor.Refused},
			"SYN-0003": {survivor.Given, survivor.Withdrawn},
			"SYN-0004": nil, // a survivor record, nothing asked
		}
		for code, decisions := range consent {
			sv := &survivor.Survivor{Code: code, Synthetic: true}
			if err := a.Survivors.Create(ctx, survivor.Administrator(ctx), sv, survivor.Identity{}); err != nil {
				t.Fatal(err)
			}
			for i, dec := range decisions {
				c := &survivor.Consent{SurvivorID: sv.ID, Use: survivor.Advocacy, Decision: dec, On: "2026-01-0" + string(rune('5'+i)),
					Language: "ar", TakenBy: "synthetic interviewer"}
				if err := a.Survivors.RecordConsent(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
		}
		got, err := transfer.CountWithheld(ctx, a, survivor.Advocacy)
		if err != nil {
			t.Fatal(err)
		}
		want := transfer.WithheldCount{Use: survivor.Advocacy, Checked: 5, Total: 4, NoSurvivor: 1, NotAsked: 1, Refused: 1, Withdrawn: 1}
		if got != want {
			t.Errorf("CountWithheld = %+v, want %+v", got, want)
		}
		exported, err := transfer.ExportFor(ctx, a, io.Discard, transfer.JSON, survivor.Advocacy)
		if err != nil {
			t.Fatal(err)
		}
		if exported.Total != got.Total || exported.Checked != got.Checked {
			t.Errorf("the export withheld %d of %d, the count says %d of %d", exported.Total, exported.Checked, got.Total, got.Checked)
		}
		if none, err := transfer.CountWithheld(ctx, a, ""); err != nil || none.Total != 0 || none.Checked != 0 {
			t.Errorf("the organisation's own copy: %+v, %v", none, err)
		}
	})
}
