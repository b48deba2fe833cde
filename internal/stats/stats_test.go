package stats_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/stats"
	"github.com/dossier-org/dossier/internal/survivor"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// world is a small record whose counts are known.
type world struct {
	a                *app.App
	ctx              context.Context
	caseA            string
	sudan, southSude string
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func group(v incident.ViolationType, sex incident.Sex, n int, code string) incident.Act {
	return incident.Act{ViolationType: v, Victim: incident.Victim{Code: code, Sex: sex, AgeGroup: incident.Adult, Count: n}}
}

// newWorld records, in case A:
//
//	Sudan, 2023 (to the day): rape of SYN-0001 (consented), gang rape of 10
//	women (a counted group), sexual assault of 6 men (other_sexual_violence),
//	rape of SYN-0002 (refused) and of SYN-0003 (no survivor record);
//	South Sudan, a date range (no year): sexual slavery of 7 women, rape of 2 men;
//
// and in case B, a rape of 100 women in Sudan in 2024.
func newWorld(t *testing.T, d *db.DB) *world {
	ctx := record.WithActor(context.Background(), "cli:test")
	a := app.New(d)
	caseA, err := a.Accounts.CreateCase(ctx, "Case A", "")
	must(t, err)
	caseB, err := a.Accounts.CreateCase(ctx, "Case B", "")
	must(t, err)
	sudan := &situation.Situation{Name: "Sudan"}
	must(t, a.Situations.Create(ctx, sudan))
	southSudan := &situation.Situation{Name: "South Sudan"}
	must(t, a.Situations.Create(ctx, southSudan))
	for _, c := range []struct {
		code string
		d    survivor.Decision
	}{{"SYN-0001", survivor.Given}, {"SYN-0002", survivor.Refused}} {
		sv := &survivor.Survivor{Code: c.code, Sex: incident.Female, AgeGroup: incident.Adult, Synthetic: true}
		must(t, a.Survivors.Create(ctx, survivor.Administrator(ctx), sv, survivor.Identity{}))
		must(t, a.Survivors.RecordConsent(ctx, &survivor.Consent{SurvivorID: sv.ID, Use: survivor.Statistics, Decision: c.d,
			On: "2024-01-10", Language: "ar", TakenBy: "WPA Darfur 2"}))
	}
	incidents := []*incident.Incident{
		{Title: "Sudan 2023", CaseID: caseA.ID, SituationID: sudan.ID,
			Date: record.Date{Start: "2023-06-15", Precision: record.DateDay},
			Acts: []incident.Act{group(incident.Rape, incident.Female, 1, "SYN-0001"), group(incident.GangRape, incident.Female, 10, ""),
				group(incident.SexualAssault, incident.Male, 6, ""), group(incident.Rape, incident.Female, 1, "SYN-0002"),
				group(incident.Rape, incident.Female, 1, "SYN-0003")}},
		{Title: "South Sudan", CaseID: caseA.ID, SituationID: southSudan.ID,
			Date: record.Date{Start: "2022-11-01", End: "2023-02-01", Precision: record.DateRange},
			Acts: []incident.Act{group(incident.SexualSlavery, incident.Female, 7, ""), group(incident.Rape, incident.Male, 2, "")}},
		{Title: "Another case", CaseID: caseB.ID, SituationID: sudan.ID,
			Date: record.Date{Start: "2024-03", Precision: record.DateMonth},
			Acts: []incident.Act{group(incident.Rape, incident.Female, 100, "")}},
	}
	for _, in := range incidents {
		must(t, a.Incidents.Create(ctx, in))
	}
	return &world{a: a, ctx: record.RestrictToCases(ctx, []string{caseA.ID}), caseA: caseA.ID, sudan: sudan.ID, southSude: southSudan.ID}
}

// shown is the published table as text: "row/col=cell", totals included.
func shown(r *stats.Result) map[string]string {
	m := map[string]string{"total": r.Total.String()}
	for i, row := range r.Rows {
		for j, col := range r.Columns {
			m[row+"/"+col] = r.Cells[i][j].String()
		}
		m[row+"/total"] = r.RowTotals[i].String()
	}
	for j, col := range r.Columns {
		m["total/"+col] = r.ColumnTotals[j].String()
	}
	return m
}

func TestCount(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		r, err := stats.Count(w.ctx, w.a, stats.By{Rows: stats.Year, Cols: stats.Situation}, stats.Filter{})
		must(t, err)
		if got, want := strings.Join(r.Rows, ","), "2023,unknown"; got != want {
			t.Errorf("rows %s, want %s", got, want)
		}
		// Situations by name: South Sudan, then Sudan.
		if got, want := strings.Join(r.Columns, ","), w.southSude+","+w.sudan; got != want {
			t.Errorf("columns %s, want %s", got, want)
		}
		if r.Labels[w.sudan] != "Sudan" || r.Labels[w.southSude] != "South Sudan" {
			t.Errorf("labels %v", r.Labels)
		}
		want := map[string]string{
			"total": "26",
			// 1 consented + 10 + 6; the two acts without consent are left out.
			"2023/" + w.sudan: "17", "2023/" + w.southSude: "0", "2023/total": "17",
			"unknown/" + w.southSude: "9", "unknown/" + w.sudan: "0", "unknown/total": "9",
			"total/" + w.southSude: "9", "total/" + w.sudan: "17",
		}
		got := shown(r)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %s, want %s", k, got[k], v)
			}
		}
		if r.LeftOut != (stats.LeftOut{Some: true}) {
			t.Errorf("left out %+v, want some (2 acts, under the threshold)", r.LeftOut)
		}

		// Unrestricted (the command line), case B counts too.
		all, err := stats.Count(record.WithActor(context.Background(), "cli:test"), w.a,
			stats.By{Rows: stats.Status, Cols: stats.Year}, stats.Filter{})
		must(t, err)
		if all.Total.String() != "126" || strings.Join(all.Columns, ",") != "2023,2024,unknown" {
			t.Errorf("unrestricted: total %s, columns %v", all.Total, all.Columns)
		}

		// One situation only.
		r, err = stats.Count(w.ctx, w.a, stats.By{Rows: stats.Violation, Cols: stats.AgeGroup}, stats.Filter{SituationID: w.southSude})
		must(t, err)
		if got := shown(r); got["total"] != "9" || got["sexual_slavery/adult"] != "x" || got["rape/adult"] != "<5" {
			t.Errorf("South Sudan only: %v", got)
		}
	})
}

func TestCountSuppresses(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	r, err := stats.Count(w.ctx, w.a, stats.By{Rows: stats.Violation, Cols: stats.Sex}, stats.Filter{})
	must(t, err)
	got := shown(r)
	// Gang rape counts as rape.
	if got["rape/female"] != "11" && got["rape/female"] != "x" {
		t.Errorf("rape/female %s, want 11 or withheld", got["rape/female"])
	}
	if got["rape/male"] != "<5" {
		t.Errorf("rape/male %s, want <5", got["rape/male"])
	}
	// rape: 11, <5, 0, 0 with total 13 would give the 2 away: something on
	// its row and column is withheld.
	rowHidden, colHidden := 0, 0
	for k, v := range got {
		if v == "x" && strings.HasPrefix(k, "rape/") {
			rowHidden++
		}
		if v == "x" && strings.HasSuffix(k, "/male") {
			colHidden++
		}
		if v == "2" {
			t.Errorf("%s shows 2, a small count", k)
		}
	}
	if rowHidden == 0 || colHidden == 0 {
		t.Errorf("no secondary suppression on the row (%d) or column (%d) of the small count: %v", rowHidden, colHidden, got)
	}
	var csv bytes.Buffer
	must(t, r.WriteCSV(&csv))
	if !strings.Contains(csv.String(), "rape,") || !strings.Contains(csv.String(), "<5") {
		t.Errorf("CSV:\n%s", csv.String())
	}
	b, err := json.Marshal(r)
	must(t, err)
	var doc map[string]any
	must(t, json.Unmarshal(b, &doc))
	if doc["row_dimension"] != "violation" || doc["left_out"].(map[string]any)["some"] != true {
		t.Errorf("JSON: %s", b)
	}
	if !strings.Contains(string(b), `"\u003c5"`) || !strings.Contains(string(b), `"x"`) {
		t.Errorf("JSON without markers: %s", b)
	}
}

func TestConsentWithheld(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	r, err := stats.Count(w.ctx, w.a, stats.By{Rows: stats.Violation, Cols: stats.Sex}, stats.Filter{Threshold: 3})
	must(t, err)
	// With threshold 3, 11 rape/female acts: SYN-0002 (refused) and
	// SYN-0003 (no record) are not among them.
	if got := shown(r)["rape/female"]; got != "11" && got != "x" {
		t.Errorf("rape/female %s", got)
	}
	if r.Total.String() != "26" {
		t.Errorf("total %s, want 26 (28 acts less 2 without consent)", r.Total)
	}
	if !r.LeftOut.Some || r.LeftOut.About != 0 {
		t.Errorf("left out %+v: 2 is under the threshold", r.LeftOut)
	}
	// Once SYN-0002 consents, it counts.
	sv, err := w.a.Survivors.GetByCode(w.ctx, "SYN-0002")
	must(t, err)
	must(t, w.a.Survivors.RecordConsent(w.ctx, &survivor.Consent{SurvivorID: sv.ID, Use: survivor.Statistics,
		Decision: survivor.Given, On: "2024-02-10", Language: "ar", TakenBy: "WPA Darfur 2"}))
	r, err = stats.Count(w.ctx, w.a, stats.By{Rows: stats.Violation, Cols: stats.Sex}, stats.Filter{Threshold: 3})
	must(t, err)
	if r.Total.String() != "27" {
		t.Errorf("after consent: total %s, want 27", r.Total)
	}
}

func TestLeftOutRounded(t *testing.T) {
	for _, c := range []struct {
		n, threshold int64
		want         stats.LeftOut
		text         string
	}{
		{0, 5, stats.LeftOut{}, "no acts"},
		{4, 5, stats.LeftOut{Some: true}, "some acts"},
		{7, 5, stats.LeftOut{Some: true, About: 5}, "about 5 acts"},
		{8, 5, stats.LeftOut{Some: true, About: 10}, "about 10 acts"},
		{31, 10, stats.LeftOut{Some: true, About: 30}, "about 30 acts"},
	} {
		got := stats.Rounded(c.n, c.threshold)
		if got != c.want || !strings.HasPrefix(got.String(), c.text) {
			t.Errorf("%d left out (threshold %d): %+v %q", c.n, c.threshold, got, got.String())
		}
	}
}

func TestBadRequests(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	for _, c := range []struct {
		by    stats.By
		f     stats.Filter
		field string
	}{
		{stats.By{Cols: stats.Sex}, stats.Filter{}, "rows"},
		{stats.By{Rows: "party", Cols: stats.Sex}, stats.Filter{}, "rows"},
		{stats.By{Rows: stats.Sex, Cols: stats.Sex}, stats.Filter{}, "cols"},
		{stats.By{Rows: stats.Sex, Cols: stats.Year}, stats.Filter{Threshold: 2}, "threshold"},
		{stats.By{Rows: stats.Sex, Cols: stats.Year}, stats.Filter{SituationID: "sudan"}, "situation"},
	} {
		_, err := stats.Count(w.ctx, w.a, c.by, c.f)
		var fe *stats.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !errors.Is(err, stats.ErrInvalid) {
			t.Errorf("%+v %+v: %v, want an error on %s", c.by, c.f, err, c.field)
		}
	}
}
