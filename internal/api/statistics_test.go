package api

import (
	"context"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/survivor"
)

func TestStatistics(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c := newClient(t, d)
		ctx := record.WithActor(context.Background(), "cli:test")
		sudan := &situation.Situation{Name: "Sudan"}
		if err := c.a.Situations.Create(ctx, sudan); err != nil {
			t.Fatal(err)
		}
		sv := &survivor.Survivor{Code: "SYN-0002", Sex: incident.Female, AgeGroup: incident.Adult, Synthetic: true}
		if err := c.a.Survivors.Create(ctx, survivor.Administrator(ctx), sv, survivor.Identity{}); err != nil {
			t.Fatal(err)
		}
		act := func(v incident.ViolationType, sex incident.Sex, n int, code string) incident.Act {
			return incident.Act{ViolationType: v, Victim: incident.Victim{Code: code, Sex: sex, AgeGroup: incident.Adult, Count: n}}
		}
		in := &incident.Incident{Title: "Sudan 2023", SituationID: sudan.ID, Date: record.Date{Start: "2023", Precision: record.DateYear},
			Acts: []incident.Act{act(incident.GangRape, incident.Female, 12, ""), act(incident.Rape, incident.Male, 2, ""),
				act(incident.SexualSlavery, incident.Female, 9, ""), act(incident.ForcedNudity, incident.Male, 8, ""),
				act(incident.Rape, incident.Female, 1, "SYN-0002")}} // no consent recorded: left out
		if err := c.a.Incidents.Create(ctx, in); err != nil {
			t.Fatal(err)
		}

		body := c.get("/api/v1/statistics?rows=violation&cols=sex").expect(t, 200).object(t)
		cells := body["cells"].([]any)
		if got := cells[0].([]any)[1]; got != "<5" { // rape, male
			t.Errorf("rape/male %v, want <5", got)
		}
		if body["total"] != float64(31) || body["row_dimension"] != "violation" || body["column_dimension"] != "sex" {
			t.Errorf("statistics %v", body)
		}
		if lo := body["left_out"].(map[string]any); lo["some"] != true || lo["about"] != nil {
			t.Errorf("left_out %v", lo)
		}
		if !strings.Contains(string(c.get("/api/v1/statistics?rows=violation&cols=sex").body), `"x"`) {
			t.Errorf("no count withheld to protect the small one")
		}

		byYear := c.get("/api/v1/statistics?rows=situation&cols=year&threshold=3").expect(t, 200).object(t)
		if byYear["labels"].(map[string]any)[sudan.ID] != "Sudan" || byYear["columns"].([]any)[0] != "2023" {
			t.Errorf("by situation and year: %v", byYear)
		}

		res := c.get("/api/v1/statistics?rows=violation&cols=sex&format=csv").expect(t, 200)
		if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type %s", ct)
		}
		csv := string(res.body)
		if !strings.HasPrefix(csv, "violation \\ sex,female,male,other,unknown,total\n") || !strings.Contains(csv, "<5") {
			t.Errorf("CSV:\n%s", csv)
		}

		for _, bad := range []struct{ query, field string }{
			{"cols=sex", "rows"},
			{"rows=sex&cols=sex", "cols"},
			{"rows=party&cols=sex", "rows"},
			{"rows=sex&cols=year&threshold=2", "threshold"},
			{"rows=sex&cols=year&colour=red", "colour"},
		} {
			p := c.get("/api/v1/statistics?"+bad.query).expect(t, 400).problem(t)
			if len(p.Errors) == 0 || p.Errors[0].Field != bad.field {
				t.Errorf("%s: %v, want an error on %s", bad.query, fieldCodes(p), bad.field)
			}
		}
	})
}
