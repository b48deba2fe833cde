package incident_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

type fixture struct {
	ctx                   context.Context
	store                 *incident.Store
	sudan, israel         *situation.Situation
	hamas, qassam, nukhba *party.Party
	rsf                   *party.Party
	report                *source.Source
}

func setup(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	ctx := record.WithActor(context.Background(), "test:analyst")
	f := &fixture{ctx: ctx, store: incident.NewStore(d)}
	sits := situation.NewStore(d)
	f.sudan = &situation.Situation{Name: "Sudan", CountryCode: "SD", OnAgenda: true, ConflictClass: situation.NonInternational}
	f.israel = &situation.Situation{Name: "Israel and the State of Palestine", OnAgenda: true, ConflictClass: situation.International}
	for _, s := range []*situation.Situation{f.sudan, f.israel} {
		if err := sits.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	parties := party.NewStore(d)
	f.hamas = &party.Party{Name: "Hamas", Type: party.NonStateArmedGroup, Names: []party.Name{{Lang: "ar", Text: "حركة المقاومة الإسلامية"}}}
	mustCreate(t, parties, ctx, f.hamas)
	f.qassam = &party.Party{Name: "Izz ad-Din al-Qassam Brigades", Type: party.NonStateArmedGroup, ParentID: f.hamas.ID}
	mustCreate(t, parties, ctx, f.qassam)
	f.nukhba = &party.Party{Name: "Nukhba force", Type: party.NonStateArmedGroup, ParentID: f.qassam.ID}
	mustCreate(t, parties, ctx, f.nukhba)
	f.rsf = &party.Party{Name: "Rapid Support Forces", Abbreviation: "RSF", Type: party.StateAffiliatedMilitia}
	mustCreate(t, parties, ctx, f.rsf)
	f.report = &source.Source{Kind: source.UNReport, Title: "Mission report", DocumentSymbol: "", PublishedOn: "2024-03-04"}
	if err := source.NewStore(d).Create(ctx, f.report); err != nil {
		t.Fatal(err)
	}
	return f
}

func mustCreate(t *testing.T, s *party.Store, ctx context.Context, p *party.Party) {
	t.Helper()
	if err := s.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) incident(title, situationID, start string, acts ...incident.Act) *incident.Incident {
	return &incident.Incident{Title: title, SituationID: situationID, Date: record.Date{Start: start, Precision: record.DateDay},
		Context: incident.DuringAttack, Status: incident.UnderReview, Acts: acts}
}

func act(v incident.ViolationType, age incident.AgeGroup, partyID string) incident.Act {
	p := incident.Perpetrator{PartyID: partyID}
	if partyID == "" {
		p.Description = "men in civilian clothing"
	}
	return incident.Act{ViolationType: v, Victim: incident.Victim{Sex: incident.Female, AgeGroup: age}, Perpetrators: []incident.Perpetrator{p}}
}

func TestStore(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		t.Run("create and read back", func(t *testing.T) { testRoundTrip(t, f) })
		t.Run("update, conflict and history", func(t *testing.T) { testUpdate(t, f, d) })
		t.Run("references must exist", func(t *testing.T) { testReferences(t, f) })
	})
}

func testRoundTrip(t *testing.T, f *fixture) {
	lat, lon := 31.3977, 34.4731
	in := f.incident("Nova festival site", f.israel.ID, "2023-10-07",
		incident.Act{ViolationType: incident.GangRape, Tags: []string{"patten:rape"},
			Victim:       incident.Victim{Code: "V-001", Sex: incident.Female, AgeGroup: incident.Adult, Status: incident.Deceased},
			Perpetrators: []incident.Perpetrator{{PartyID: f.nukhba.ID, Description: "in uniform"}, {Description: "unidentified civilians"}}},
	)
	in.Place = incident.Place{Name: "Nova festival site", AdminArea: "Southern District", Country: "IL", Latitude: &lat, Longitude: &lon, Precision: incident.NearLocation}
	in.Information = []incident.InformationLink{{SourceID: f.report.ID, Connection: source.InvestigationBody, Reliability: source.High, Reference: "para 12"}}
	if err := f.store.Create(f.ctx, in); err != nil {
		t.Fatal(err)
	}
	if in.Version != 1 || in.CreatedBy != "test:analyst" || !record.ValidID(in.ID) || in.Acts[0].ID == "" {
		t.Fatalf("create did not stamp the record: %+v", in.Meta)
	}
	got, err := f.store.Get(f.ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != in.Title || got.Place.Name != "Nova festival site" || *got.Place.Latitude != lat ||
		got.Date != (record.Date{Start: "2023-10-07", End: "2023-10-07", Precision: record.DateDay}) {
		t.Errorf("read back %+v", got)
	}
	if len(got.Acts) != 1 || len(got.Acts[0].Perpetrators) != 2 || got.Acts[0].Perpetrators[0].PartyID != f.nukhba.ID ||
		!got.Acts[0].Perpetrators[1].Unidentified() || got.Acts[0].Victim.Code != "V-001" || got.Acts[0].Tags[0] != "patten:rape" {
		t.Errorf("acts read back as %+v", got.Acts)
	}
	if len(got.Information) != 1 || got.Information[0].Reference != "para 12" {
		t.Errorf("links read back as %+v", got.Information)
	}
	if !got.CreatedAt.Equal(in.CreatedAt) {
		t.Errorf("created_at %v, stored %v", got.CreatedAt, in.CreatedAt)
	}
}

func testUpdate(t *testing.T, f *fixture, d *db.DB) {
	in := f.incident("Kibbutz Re'im", f.israel.ID, "2023-10-07", act(incident.Rape, incident.Adult, f.qassam.ID))
	if err := f.store.Create(f.ctx, in); err != nil {
		t.Fatal(err)
	}
	stale := *in
	in.Summary = "Second account added."
	in.Acts = append(in.Acts, act(incident.ForcedNudity, incident.Child, ""))
	editor := record.WithActor(f.ctx, "test:reviewer")
	if err := f.store.Update(editor, in); err != nil {
		t.Fatal(err)
	}
	if in.Version != 2 || in.UpdatedBy != "test:reviewer" {
		t.Errorf("after update: version %d by %s", in.Version, in.UpdatedBy)
	}
	if !in.CreatedAt.Equal(stale.CreatedAt) || in.CreatedBy != "test:analyst" {
		t.Errorf("update changed the creation stamps: %v by %s", in.CreatedAt, in.CreatedBy)
	}
	// A caller that does not carry the creation stamps still records them.
	bare := *in
	bare.CreatedAt, bare.CreatedBy = time.Time{}, ""
	bare.Acts = slices.Clone(in.Acts)
	if err := f.store.Update(editor, &bare); err != nil {
		t.Fatal(err)
	}
	*in = bare
	stale.Title = "Overwrite"
	if err := f.store.Update(f.ctx, &stale); !errors.Is(err, db.ErrConflict) {
		t.Errorf("stale update: got %v, want ErrConflict", err)
	}
	missing := *in
	missing.ID = record.NewID()
	if err := f.store.Update(f.ctx, &missing); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("update of a missing incident: got %v, want ErrNotFound", err)
	}
	got, _ := f.store.Get(f.ctx, in.ID)
	if got.Title != "Kibbutz Re'im" || len(got.Acts) != 2 {
		t.Errorf("after conflict the record is %q with %d acts", got.Title, len(got.Acts))
	}
	revs, err := record.History(f.ctx, d, record.KindIncident, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 3 || revs[0].Actor != "test:analyst" || revs[1].Actor != "test:reviewer" || revs[1].Action != record.Updated {
		t.Fatalf("history: %+v", revs)
	}
	// Superseded versions are stored; the current one is read from the tables.
	var stored, empty int
	if err := d.QueryRow(f.ctx, `SELECT COUNT(snapshot), COUNT(*) - COUNT(snapshot) FROM revisions WHERE record_id = $1`, in.ID).Scan(&stored, &empty); err != nil || stored != 2 || empty != 1 {
		t.Errorf("stored snapshots %d, current %d (%v); want 2 and 1", stored, empty, err)
	}
	var first incident.Incident
	if err := json.Unmarshal(revs[0].Snapshot, &first); err != nil || first.Summary != "" || len(first.Acts) != 1 || first.Version != 1 {
		t.Errorf("version 1 as stored: %+v (%v)", first, err)
	}
	var last incident.Incident
	if err := json.Unmarshal(revs[2].Snapshot, &last); err != nil || last.CreatedBy != "test:analyst" || !last.CreatedAt.Equal(in.CreatedAt) {
		t.Errorf("the last revision's snapshot lost the creation stamps: %v by %q (%v)", last.CreatedAt, last.CreatedBy, err)
	}
	changes, err := record.Diff(revs[0].Snapshot, revs[1].Snapshot)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, c := range changes {
		paths = append(paths, c.Path)
	}
	if !slices.Contains(paths, "summary") || !slices.Contains(paths, "acts[1].violation_type") {
		t.Errorf("diff paths %v", paths)
	}
}

func testReferences(t *testing.T, f *fixture) {
	in := f.incident("Bad references", record.NewID(), "2023-10-07", act(incident.Rape, incident.Adult, record.NewID()))
	err := f.store.Create(f.ctx, in)
	errs, ok := record.AsErrors(err)
	if !ok || errs.For("situation_id") == nil || errs.For("acts[0].perpetrators[0].party_id") == nil {
		t.Fatalf("got %v", err)
	}
	bad := &incident.Incident{Title: "", Date: record.Date{Start: "2023-13-40", Precision: record.DateDay},
		Acts: []incident.Act{{ViolationType: "kissing", Victim: incident.Victim{Count: -1}}}}
	errs, _ = record.AsErrors(f.store.Create(f.ctx, bad))
	for _, field := range []string{"title", "date.start", "acts[0].violation_type", "acts[0].victim.count"} {
		if errs.For(field) == nil {
			t.Errorf("no error for %s in %v", field, errs)
		}
	}
}

func TestList(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		mk := func(in *incident.Incident) *incident.Incident {
			if err := f.store.Create(f.ctx, in); err != nil {
				t.Fatal(err)
			}
			return in
		}
		nova := mk(f.incident("Nova festival site", f.israel.ID, "2023-10-07", act(incident.GangRape, incident.Adult, f.nukhba.ID)))
		road := mk(f.incident("Road 232", f.israel.ID, "2023-10-07", act(incident.ForcedNudity, incident.Adult, "")))
		captivity := mk(&incident.Incident{Title: "Hostages in captivity", SituationID: f.israel.ID, Context: incident.Captivity,
			Date: record.Date{Start: "2023-10-07", End: "2024-11-30", Precision: record.DateRange}, Status: incident.Verified,
			Acts: []incident.Act{act(incident.SexualTorture, incident.Child, f.hamas.ID)}})
		geneina := mk(f.incident("El Geneina", f.sudan.ID, "2023-06-15", act(incident.Rape, incident.Child, f.rsf.ID)))
		arabic := mk(f.incident("اغتصاب في الجنينة", f.sudan.ID, "2023-07-01", act(incident.Rape, incident.Adult, f.rsf.ID)))
		hebrew := mk(f.incident("עדות מכפר עזה", f.israel.ID, "2023-10-07", act(incident.Rape, incident.Adult, f.qassam.ID)))
		undated := mk(&incident.Incident{Title: "Undated account", SituationID: f.sudan.ID,
			Acts: []incident.Act{act(incident.SexualSlavery, incident.Adult, "")}})

		cases := []struct {
			name   string
			filter incident.Filter
			want   []*incident.Incident
		}{
			{"situation", incident.Filter{SituationID: f.sudan.ID, Sort: incident.ByTitle}, []*incident.Incident{geneina, undated, arabic}},
			{"party includes its units", incident.Filter{PartyID: f.hamas.ID, Sort: incident.ByTitle}, []*incident.Incident{captivity, nova, hebrew}},
			{"unit alone", incident.Filter{PartyID: f.nukhba.ID}, []*incident.Incident{nova}},
			{"rape includes gang rape", incident.Filter{ViolationType: incident.Rape, Sort: incident.ByTitle}, []*incident.Incident{geneina, nova, hebrew, arabic}},
			{"other sexual violence includes its forms", incident.Filter{ViolationType: incident.OtherComparableGravity, Sort: incident.ByTitle}, []*incident.Incident{captivity, road}},
			{"child victims", incident.Filter{AgeGroup: incident.Child, Sort: incident.ByTitle}, []*incident.Incident{geneina, captivity}},
			{"same act: child and RSF", incident.Filter{AgeGroup: incident.Child, PartyID: f.rsf.ID}, []*incident.Incident{geneina}},
			{"same act: adult and Hamas units", incident.Filter{AgeGroup: incident.Child, PartyID: f.qassam.ID}, nil},
			{"date range overlaps a span", incident.Filter{From: "2024-01-01", To: "2024-02-01"}, []*incident.Incident{captivity}},
			{"status", incident.Filter{Status: incident.Verified}, []*incident.Incident{captivity}},
			{"text in title", incident.Filter{Text: "road"}, []*incident.Incident{road}},
			{"text prefix", incident.Filter{Text: "festiv"}, []*incident.Incident{nova}},
			{"Arabic text", incident.Filter{Text: "الجنينة"}, []*incident.Incident{arabic}},
			{"Arabic with vowel marks", incident.Filter{Text: "الجَنِينَة"}, []*incident.Incident{arabic}},
			{"Hebrew text", incident.Filter{Text: "עזה"}, []*incident.Incident{hebrew}},
			{"text and situation", incident.Filter{Text: "Nova", SituationID: f.sudan.ID}, nil},
		}
		// Every case runs with each plan: the act filter with the fewest
		// rows walked first, or a given one; in date order and by title.
		for _, plan := range []struct{ name, lead string }{{"estimated", ""}, {"party first", "party"},
			{"violation first", "violation"}, {"age first", "age"}} {
			restore := incident.ForceLeadingFilter(plan.lead)
			for _, c := range cases {
				t.Run(plan.name+"/"+c.name, func(t *testing.T) {
					page, err := f.store.List(f.ctx, c.filter)
					if err != nil {
						t.Fatal(err)
					}
					if c.filter.Sort == "" {
						// The same matches by title, through the plan for other orders.
						byTitle := c.filter
						byTitle.Sort = incident.ByTitle
						other, err := f.store.List(f.ctx, byTitle)
						if err != nil {
							t.Fatal(err)
						}
						if got, want := titles(other.Incidents), titlesOf(c.want); !slices.Equal(got, sorted(want)) || other.Total != len(c.want) {
							t.Errorf("by title: got %q (total %d), want %q", got, other.Total, sorted(want))
						}
					}
					if got, want := titles(page.Incidents), titlesOf(c.want); !slices.Equal(got, want) {
						if c.filter.Sort == "" {
							slices.Sort(got)
							slices.Sort(want)
						}
						if !slices.Equal(got, want) {
							t.Errorf("got %q, want %q", got, want)
						}
					}
					if page.Total != len(c.want) {
						t.Errorf("total %d, want %d", page.Total, len(c.want))
					}
				})
			}
			restore()
		}

		t.Run("pages follow each other without gaps or repeats", func(t *testing.T) {
			for _, sort := range incident.Sorts {
				var seen []string
				f := incident.Filter{Sort: sort, Limit: 2}
				for i := 0; ; i++ {
					page, err := fStore(t, d).List(context.Background(), f)
					if err != nil {
						t.Fatal(err)
					}
					for _, in := range page.Incidents {
						seen = append(seen, in.ID)
					}
					if page.Next == "" || i > 10 {
						break
					}
					f.Cursor = page.Next
				}
				sorted := slices.Clone(seen)
				slices.Sort(sorted)
				if len(seen) != 7 || len(slices.Compact(sorted)) != 7 {
					t.Errorf("sort %s: paged through %d incidents (%d distinct), want 7", sort, len(seen), len(slices.Compact(sorted)))
				}
			}
		})

		t.Run("newest first", func(t *testing.T) {
			page, _ := f.store.List(f.ctx, incident.Filter{Sort: incident.OldestFirst, SituationID: f.sudan.ID})
			if got := titles(page.Incidents); !slices.Equal(got, []string{"Undated account", "El Geneina", "اغتصاب في الجنينة"}) {
				t.Errorf("oldest first: %q", got)
			}
		})

		t.Run("a cursor belongs to its sort order", func(t *testing.T) {
			page, err := f.store.List(f.ctx, incident.Filter{Sort: incident.ByTitle, Limit: 2})
			if err != nil || page.Next == "" {
				t.Fatalf("first page: %v", err)
			}
			_, err = f.store.List(f.ctx, incident.Filter{Sort: incident.NewestFirst, Limit: 2, Cursor: page.Next})
			if errs, _ := record.AsErrors(err); errs.For("cursor") == nil {
				t.Errorf("a cursor reused with another sort: %v", err)
			}
		})

		t.Run("bad filter names the field", func(t *testing.T) {
			_, err := f.store.List(f.ctx, incident.Filter{ViolationType: "x", From: "yesterday", Limit: 9999})
			errs, _ := record.AsErrors(err)
			for _, field := range []string{"violation_type", "from", "limit"} {
				if errs.For(field) == nil {
					t.Errorf("no error for %s: %v", field, err)
				}
			}
		})

		t.Run("count by party", func(t *testing.T) {
			n, err := f.store.CountForParty(f.ctx, f.hamas.ID)
			if err != nil || n != 3 {
				t.Errorf("CountForParty(Hamas) = %d, %v; want 3", n, err)
			}
		})
	})
}

func fStore(t *testing.T, d *db.DB) *incident.Store { return incident.NewStore(d) }

func titles(ins []incident.Incident) []string {
	out := []string{}
	for _, in := range ins {
		out = append(out, in.Title)
	}
	return out
}

func titlesOf(ins []*incident.Incident) []string {
	out := []string{}
	for _, in := range ins {
		out = append(out, in.Title)
	}
	return out
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }
