package transfer_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
)

func TestMain(m *testing.M) {
	code := dbtest.Main(m)
	removeEmptyStore()
	os.Exit(code)
}

var ctx = record.WithActor(context.Background(), "test:transfer")

// fresh opens another empty store on the same engine as d.
func fresh(t testing.TB, d *db.DB) *app.App {
	t.Helper()
	if d.Dialect == db.Postgres {
		return app.New(dbtest.Postgres(t))
	}
	return app.New(dbtest.SQLite(t))
}

func ptr(f float64) *float64 { return &f }

// seed fills a store with records that use every field of every kind,
// including text that CSV must quote (commas, quotes, line breaks), Arabic
// and Hebrew, coordinates, every date precision, units of units and
// unidentified perpetrators, and records edited after their creation.
func seed(t testing.TB, a *app.App) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	sudan := &situation.Situation{Name: "Sudan", CountryCode: "SD", OnAgenda: true, ConflictClass: situation.NonInternational,
		Setting: situation.ConflictSetting, Description: "Armed conflict since April 2023, between the SAF and the RSF."}
	israel := &situation.Situation{Name: "Israel and the State of Palestine", ConflictClass: situation.Occupation,
		Setting: situation.OtherConcern, Description: "Line one,\nline \"two\"\r\nوفلسطين — ישראל"}
	region := &situation.Situation{Name: "Lake Chad Basin", ConflictClass: situation.Unclassified, Setting: situation.PostConflictSetting}
	for _, s := range []*situation.Situation{sudan, israel, region} {
		must(a.Situations.Create(ctx, s))
	}
	israel.Description += " (revised)"
	must(a.Situations.Update(ctx, israel))

	hamas := &party.Party{Name: "Hamas", Type: party.NonStateArmedGroup, Description: "Islamic Resistance Movement, \"Hamas\"",
		Names: []party.Name{{Lang: "ar", Text: "حركة المقاومة الإسلامية"}, {Lang: "he", Text: "חמאס"}, {Lang: "en", Text: "Harakat al-Muqawama al-Islamiya", Alias: true}}}
	must(a.Parties.Create(ctx, hamas))
	qassam := &party.Party{Name: "Izz ad-Din al-Qassam Brigades", Type: party.NonStateArmedGroup, ParentID: hamas.ID, CountryCode: "PS"}
	must(a.Parties.Create(ctx, qassam))
	nukhba := &party.Party{Name: "Nukhba force", Type: party.NonStateArmedGroup, ParentID: qassam.ID,
		Names: []party.Name{{Lang: "ar", Text: "قوات النخبة"}}}
	must(a.Parties.Create(ctx, nukhba))
	rsf := &party.Party{Name: "Rapid Support Forces", Abbreviation: "RSF", Type: party.StateAffiliatedMilitia, CountryCode: "SD"}
	must(a.Parties.Create(ctx, rsf))
	saf := &party.Party{Name: "Sudanese Armed Forces", Abbreviation: "SAF", Type: party.StateArmedForces, CountryCode: "SD"}
	must(a.Parties.Create(ctx, saf))
	saf.Description = "Edited, after creation"
	must(a.Parties.Update(ctx, saf))

	report := &source.Source{Kind: source.UNReport, Title: "Conflict-related sexual violence, report of the Secretary-General",
		Organisation: "United Nations", URL: "https://undocs.org/S/2024/292", DocumentSymbol: "S/2024/292",
		PublishedOn: "2024-04-04", Language: "en", Reliability: source.High, Description: "Annual report; annex lists parties."}
	witness := &source.Source{Kind: source.Witness, Title: "Witness W-17", Reliability: source.Medium}
	media := &source.Source{Kind: source.MediaReport, Title: "תחקיר, \"עדות\"", Language: "he", Reliability: source.UnknownReliability}
	for _, s := range []*source.Source{report, witness, media} {
		must(a.Sources.Create(ctx, s))
	}

	incidents := []*incident.Incident{
		{
			Title: "Attack on a village, \"Block 4\"", Summary: "Several women were raped.\nOthers fled, towards the river.",
			SituationID: sudan.ID,
			Place: incident.Place{Name: "El Geneina", AdminArea: "West Darfur", Country: "SD",
				Latitude: ptr(13.4525), Longitude: ptr(22.4473), Precision: incident.Locality},
			Date:    record.Date{Start: "2023-06-15", Precision: record.DateDay},
			Context: incident.DuringAttack, Status: incident.Verified,
			Acts: []incident.Act{
				{ID: record.NewID(), ViolationType: incident.GangRape, Tags: []string{"svac:rape", "report wording: \"gang\""},
					Victim:       incident.Victim{Code: "V-001", Sex: incident.Female, AgeGroup: incident.Child, Status: incident.Displaced, Count: 1},
					Perpetrators: []incident.Perpetrator{{PartyID: rsf.ID, Description: "men in RSF uniforms"}, {Description: "armed men, unidentified"}},
					Description:  "Two perpetrators, one identified."},
				{ID: record.NewID(), ViolationType: incident.Rape,
					Victim:       incident.Victim{Sex: incident.Female, AgeGroup: incident.Adult, Status: incident.AtLiberty, Count: 12},
					Perpetrators: []incident.Perpetrator{{PartyID: rsf.ID}}},
			},
		},
		{
			Title: "هجوم على كيبوتس", Summary: "ملخص، مع فاصلة",
			SituationID: israel.ID,
			Place:       incident.Place{Name: "כפר עזה", Country: "IL", Latitude: ptr(-31.4833333), Longitude: ptr(-34.5333333), Precision: incident.ExactLocation},
			Date:        record.Date{Start: "2023-10", Precision: record.DateMonth},
			Context:     incident.Captivity, Status: incident.UnderReview,
			Acts: []incident.Act{
				{ID: record.NewID(), ViolationType: incident.SexualViolenceOnCorpses,
					Victim:       incident.Victim{Sex: incident.UnknownSex, AgeGroup: incident.UnknownAge, Status: incident.Deceased},
					Perpetrators: []incident.Perpetrator{{PartyID: nukhba.ID, Description: "Nukhba, per video"}}},
				{ID: record.NewID(), ViolationType: incident.SexualSlavery,
					Victim:       incident.Victim{Code: "H-09", Sex: incident.Male, AgeGroup: incident.Adult, Status: incident.ReleasedHostage},
					Perpetrators: []incident.Perpetrator{{PartyID: qassam.ID}, {PartyID: hamas.ID}}},
				{ID: record.NewID(), ViolationType: incident.ForcedNudity,
					Victim:       incident.Victim{Sex: incident.Female, AgeGroup: incident.Child, Status: incident.Hostage},
					Perpetrators: []incident.Perpetrator{}},
			},
		},
		{Title: "Year only", Date: record.Date{Start: "2019", Precision: record.DateYear}, Place: incident.Place{Country: "TD", Precision: incident.CountryOnly}},
		{Title: "A range", Date: record.Date{Start: "2024-02-07", End: "2024-02-09", Precision: record.DateRange}, Context: incident.Checkpoint,
			Place: incident.Place{Latitude: ptr(0), Longitude: ptr(0), Precision: incident.NearLocation}},
		{Title: "Approximately", Date: record.Date{Start: "2022-04-01", End: "2022-04-20", Precision: record.DateApproximate}, Context: incident.Detention,
			SituationID: sudan.ID},
		{Title: "Date unknown, no acts yet", Date: record.Date{Precision: record.DateUnknown}, Context: incident.PeaceOperation},
	}
	for _, in := range incidents {
		must(a.Incidents.Create(ctx, in))
	}
	first := incidents[0]
	first.Information = []incident.InformationLink{
		{SourceID: report.ID, Connection: source.InvestigationBody, Reliability: source.High, Reference: "para. 12, p. 4", Notes: "Confirmed,\nby the panel"},
		{SourceID: witness.ID, ActID: first.Acts[0].ID, Connection: source.Eyewitness, Reliability: source.Medium},
	}
	must(a.Incidents.Update(ctx, first))
	second := incidents[1]
	second.Information = []incident.InformationLink{{SourceID: media.ID, ActID: second.Acts[1].ID, Connection: source.Hearsay, Reliability: source.Low}}
	must(a.Incidents.Update(ctx, second))
}

// contents is everything a store holds, as the stores read it back.
type contents struct {
	Situations []situation.Situation
	Parties    []party.Party
	Sources    []source.Source
	Incidents  []incident.Incident
}

func dump(t testing.TB, a *app.App) contents {
	t.Helper()
	var c contents
	var err error
	if c.Situations, err = a.Situations.List(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Parties, err = a.Parties.List(ctx, party.Filter{}); err != nil {
		t.Fatal(err)
	}
	if c.Sources, err = a.Sources.List(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Incidents.Each(ctx, func(in *incident.Incident) error { c.Incidents = append(c.Incidents, *in); return nil }); err != nil {
		t.Fatal(err)
	}
	return c
}

// sameRecords compares two stores' contents. Versions are not carried by an
// export: an imported record starts its history at version 1. Through CSV,
// a line break inside a field is read back as LF whatever it was written
// as (CR LF): encoding/csv reads both alike.
func sameRecords(t testing.TB, want, got contents, throughCSV bool) {
	t.Helper()
	opts := []cmp.Option{cmpopts.IgnoreFields(record.Meta{}, "Version")}
	if throughCSV {
		opts = append(opts, cmp.FilterValues(func(a, b string) bool { return strings.Contains(a+b, "\r\n") },
			cmp.Transformer("lf", func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") })))
	}
	if diff := cmp.Diff(want, got, opts...); diff != "" {
		t.Errorf("imported records differ from the exported ones (-exported +imported):\n%s", diff)
	}
}
