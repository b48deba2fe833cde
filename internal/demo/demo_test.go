package demo_test

import (
	"context"
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/demo"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// loaded is a Dossier with the demo record set in it.
type loaded struct {
	ctx       context.Context
	a         *app.App
	summary   demo.Summary
	incidents []*incident.Incident
	sources   map[string]source.Source // by title
}

func load(t *testing.T, d *db.DB) *loaded {
	t.Helper()
	l := &loaded{ctx: context.Background(), a: app.New(d), sources: map[string]source.Source{}}
	var err error
	if l.summary, err = demo.Load(l.ctx, l.a); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := l.a.Incidents.Each(l.ctx, func(in *incident.Incident) error {
		l.incidents = append(l.incidents, in)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	srcs, err := l.a.Sources.List(l.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		l.sources[s.Title] = s
	}
	return l
}

func (l *loaded) party(t *testing.T, name string) *party.Party {
	t.Helper()
	p, err := l.a.Parties.FindByName(l.ctx, name)
	if err != nil {
		t.Fatalf("party %q: %v", name, err)
	}
	return p
}

func (l *loaded) incident(t *testing.T, titlePart string) *incident.Incident {
	t.Helper()
	for _, in := range l.incidents {
		if strings.Contains(in.Title, titlePart) {
			return in
		}
	}
	t.Fatalf("no demo incident titled like %q", titlePart)
	return nil
}

func (l *loaded) list(t *testing.T, f incident.Filter) []string {
	t.Helper()
	f.Limit = incident.MaxPage
	page, err := l.a.Incidents.List(l.ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, in := range page.Incidents {
		titles = append(titles, in.Title)
	}
	return titles
}

func TestDemo(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		l := load(t, d)
		t.Run("counts", func(t *testing.T) { testCounts(t, l) })
		t.Run("refuses a second load", func(t *testing.T) { testSecondLoad(t, l) })
		t.Run("party hierarchy", func(t *testing.T) { testHierarchy(t, l) })
		t.Run("attribution follows the sources", func(t *testing.T) { testAttribution(t, l) })
		t.Run("situations with incidents", func(t *testing.T) { testSituations(t, l) })
		t.Run("victims are synthetic", func(t *testing.T) { testSyntheticVictims(t, l) })
		t.Run("multilingual party search", func(t *testing.T) { testSearch(t, l) })
		t.Run("references resolve", func(t *testing.T) { testReferences(t, l) })
	})
}

func testCounts(t *testing.T, l *loaded) {
	sits, err := l.a.Situations.List(l.ctx)
	if err != nil {
		t.Fatal(err)
	}
	parties, err := l.a.Parties.List(l.ctx, party.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var acts, links int
	for _, in := range l.incidents {
		acts += len(in.Acts)
		links += len(in.Information)
	}
	cases, err := l.a.Accounts.Cases(l.ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored := demo.Summary{Cases: len(cases), Situations: len(sits), Parties: len(parties), Sources: len(l.sources),
		Incidents: len(l.incidents), Acts: acts, InformationLinks: links}
	if stored != l.summary {
		t.Errorf("Load reported %+v, the store holds %+v", l.summary, stored)
	}
	if l.summary.Situations < 5 || l.summary.Parties < 15 || l.summary.Sources < 15 || l.summary.Incidents < 10 {
		t.Errorf("demo set smaller than expected: %+v", l.summary)
	}
	for _, name := range []string{"Israel and the State of Palestine", "Sudan", "Democratic Republic of the Congo", "Ukraine", "Central African Republic"} {
		if _, err := l.a.Situations.FindByName(l.ctx, name); err != nil {
			t.Errorf("situation %q: %v", name, err)
		}
	}
	for _, symbol := range []string{"S/2024/292", "S/2025/389", "A/HRC/56/26", "Decision (CFSP) 2024/1074"} {
		found := false
		for _, s := range l.sources {
			found = found || s.DocumentSymbol == symbol
		}
		if !found {
			t.Errorf("no source with document symbol %s", symbol)
		}
	}
	revs, err := record.History(l.ctx, l.a.DB, record.KindIncident, l.incidents[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 1 || revs[0].Actor != demo.Actor || l.incidents[0].CreatedBy != demo.Actor {
		t.Errorf("history of a demo incident = %+v, created by %q; want one revision by %q", revs, l.incidents[0].CreatedBy, demo.Actor)
	}
}

func testSecondLoad(t *testing.T, l *loaded) {
	before := len(l.incidents)
	if _, err := demo.Load(l.ctx, l.a); !errors.Is(err, demo.ErrNotEmpty) {
		t.Fatalf("second Load: err = %v, want ErrNotEmpty", err)
	}
	n := 0
	if err := l.a.Incidents.Each(l.ctx, func(*incident.Incident) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != before {
		t.Errorf("second Load changed the incident count from %d to %d", before, n)
	}
}

func TestLoadRefusesRealWork(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := record.WithActor(context.Background(), "test:analyst")
		a := app.New(d)
		if err := a.Situations.Create(ctx, &situation.Situation{Name: "Myanmar", CountryCode: "MM"}); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.Load(ctx, a); !errors.Is(err, demo.ErrNotEmpty) {
			t.Fatalf("Load into a store holding a situation: err = %v, want ErrNotEmpty", err)
		}
		sits, err := a.Situations.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(sits) != 1 || sits[0].Name != "Myanmar" {
			t.Errorf("situations after the refused Load = %+v, want only Myanmar", sits)
		}
	})
}

func testHierarchy(t *testing.T, l *loaded) {
	hamas, qassam, nukhba := l.party(t, "Hamas"), l.party(t, "Izz ad-Din al-Qassam Brigades"), l.party(t, "Nukhba force")
	ancestors, err := l.a.Parties.Ancestors(l.ctx, nukhba)
	if err != nil {
		t.Fatal(err)
	}
	var chain []string
	for _, p := range ancestors {
		chain = append(chain, p.Name)
	}
	if want := []string{qassam.Name, hamas.Name}; !slices.Equal(chain, want) {
		t.Errorf("Nukhba force sits under %v, want %v", chain, want)
	}
	pij, alQuds := l.party(t, "Palestinian Islamic Jihad"), l.party(t, "Al-Quds Brigades")
	if alQuds.ParentID != pij.ID {
		t.Errorf("Al-Quds Brigades parent = %q, want Palestinian Islamic Jihad", alQuds.ParentID)
	}

	// Kfar Aza's acts are attributed to units only, never to Hamas itself:
	// finding it under Hamas proves that the filter climbs the hierarchy.
	kfarAza := l.incident(t, "Kfar Aza")
	for _, a := range kfarAza.Acts {
		for _, p := range a.Perpetrators {
			if p.PartyID == hamas.ID {
				t.Fatalf("Kfar Aza attributes an act to Hamas directly; the test needs unit-only attribution")
			}
		}
	}
	underNukhba := l.list(t, incident.Filter{PartyID: nukhba.ID})
	underHamas := l.list(t, incident.Filter{PartyID: hamas.ID})
	if !slices.Contains(underNukhba, kfarAza.Title) {
		t.Errorf("Nukhba force's incidents %v lack %q", underNukhba, kfarAza.Title)
	}
	for _, title := range underNukhba {
		if !slices.Contains(underHamas, title) {
			t.Errorf("incident %q is attributed to the Nukhba force but not found under Hamas (%v)", title, underHamas)
		}
	}
	if road := l.incident(t, "Road 232"); slices.Contains(underHamas, road.Title) {
		t.Errorf("Road 232, which no source attributes, is listed under Hamas")
	}
	if underPIJ := l.list(t, incident.Filter{PartyID: pij.ID}); !slices.Contains(underPIJ, kfarAza.Title) {
		t.Errorf("Palestinian Islamic Jihad's incidents %v lack %q (attributed to its Al-Quds Brigades)", underPIJ, kfarAza.Title)
	}
	n, err := l.a.Incidents.CountForParty(l.ctx, hamas.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(underHamas) {
		t.Errorf("CountForParty(Hamas) = %d, the filter finds %d", n, len(underHamas))
	}
}

// testAttribution checks that every act is attributed exactly as the source
// that reports it attributes: the SRSG-SVC mission to no one, the Council of
// the EU to its three listed entities, Amnesty International with the Qassam
// Brigades first, S/2025/389 to Hamas.
func testAttribution(t *testing.T, l *loaded) {
	mission := l.sources["Mission Report: Official visit of the Office of the SRSG-SVC to Israel and the occupied West Bank"]
	eu := l.sourceBySymbol(t, "Decision (CFSP) 2024/1074")
	sg := l.sourceBySymbol(t, "S/2025/389")
	amnesty := l.sources["Targeting Civilians: Killings, Hostage-Taking, and Other Violations by Palestinian Armed Groups in Israel and Gaza"]
	if mission.ID == "" || amnesty.ID == "" {
		t.Fatal("the mission report or the Amnesty report is missing")
	}
	euListed := []string{l.party(t, "Izz ad-Din al-Qassam Brigades").ID, l.party(t, "Nukhba force").ID, l.party(t, "Al-Quds Brigades").ID}
	qassam, hamas := l.party(t, "Izz ad-Din al-Qassam Brigades").ID, l.party(t, "Hamas").ID
	israel, err := l.a.Situations.FindByName(l.ctx, "Israel and the State of Palestine")
	if err != nil {
		t.Fatal(err)
	}
	checked := map[string]int{}
	for _, in := range l.incidents {
		for _, link := range in.Information {
			if link.ActID == "" {
				continue
			}
			a := actByID(in, link.ActID)
			var parties []string
			for _, p := range a.Perpetrators {
				parties = append(parties, p.PartyID)
			}
			switch link.SourceID {
			case mission.ID:
				checked["mission"]++
				for _, p := range a.Perpetrators {
					if !p.Unidentified() || p.Description == "" {
						t.Errorf("%q: an act from the SRSG-SVC mission is attributed to party %s", in.Title, p.PartyID)
					}
				}
			case eu.ID:
				checked["eu"]++
				if !slices.Equal(parties, euListed) {
					t.Errorf("%q: an act from the Council of the EU is attributed to %v, want its three listed entities", in.Title, parties)
				}
			case amnesty.ID:
				checked["amnesty"]++
				if len(parties) == 0 || parties[0] != qassam {
					t.Errorf("%q: an act from Amnesty International is attributed to %v, want the Qassam Brigades first", in.Title, parties)
				}
			case sg.ID:
				if in.SituationID == israel.ID && in.Context != incident.Detention {
					checked["sg"]++
					if !slices.Equal(parties, []string{hamas}) {
						t.Errorf("%q: an act from S/2025/389 is attributed to %v, want Hamas", in.Title, parties)
					}
				}
			}
		}
	}
	for _, k := range []string{"mission", "eu", "amnesty", "sg"} {
		if checked[k] == 0 {
			t.Errorf("no act linked to the %s source was checked", k)
		}
	}
}

func (l *loaded) sourceBySymbol(t *testing.T, symbol string) source.Source {
	t.Helper()
	for _, s := range l.sources {
		if s.DocumentSymbol == symbol {
			return s
		}
	}
	t.Fatalf("no source %s", symbol)
	return source.Source{}
}

func actByID(in *incident.Incident, id string) *incident.Act {
	for i := range in.Acts {
		if in.Acts[i].ID == id {
			return &in.Acts[i]
		}
	}
	return nil
}

func testSituations(t *testing.T, l *loaded) {
	with := map[string]bool{}
	for _, in := range l.incidents {
		if in.SituationID != "" {
			with[in.SituationID] = true
		}
	}
	if len(with) < 3 {
		t.Errorf("incidents in %d situations, want at least 3", len(with))
	}
	for _, name := range []string{"Israel and the State of Palestine", "Sudan", "Democratic Republic of the Congo", "Ukraine"} {
		sit, err := l.a.Situations.FindByName(l.ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.list(t, incident.Filter{SituationID: sit.ID}); len(got) == 0 {
			t.Errorf("no incidents in %s", name)
		}
	}
	// A violation-type filter must tell the situations apart.
	genital := l.list(t, incident.Filter{ViolationType: incident.GenitalViolence})
	if len(genital) != 2 {
		t.Errorf("incidents with genital violence = %v, want the two detention records", genital)
	}
}

var syntheticCode = regexp.MustCompile(`^SYN-[0-9]{4}$`)

func testSyntheticVictims(t *testing.T, l *loaded) {
	seen := map[string]bool{}
	individuals := 0
	for _, in := range l.incidents {
		if !strings.HasSuffix(in.Summary, demo.VictimNotice) {
			t.Errorf("%q: summary does not end with the synthetic-victims notice", in.Title)
		}
		for i, a := range in.Acts {
			v := a.Victim
			switch {
			case v.Code != "":
				individuals++
				if !syntheticCode.MatchString(v.Code) {
					t.Errorf("%q act %d: victim code %q is not a synthetic SYN-nnnn code", in.Title, i, v.Code)
				}
				if seen[v.Code] {
					t.Errorf("%q act %d: victim code %q used twice", in.Title, i, v.Code)
				}
				seen[v.Code] = true
				if v.Count != 1 || !strings.Contains(a.Description, "Synthetic demo victim") {
					t.Errorf("%q act %d: synthetic victim %s has count %d and description %q", in.Title, i, v.Code, v.Count, a.Description)
				}
			case v.Count > 1:
				if !strings.Contains(a.Description, "Counted group from the source") {
					t.Errorf("%q act %d: counted group of %d does not say where its figure comes from", in.Title, i, v.Count)
				}
			default:
				t.Errorf("%q act %d: an individual victim without a synthetic code", in.Title, i)
			}
		}
	}
	if individuals == 0 {
		t.Error("no synthetic victims at all")
	}
}

func testSearch(t *testing.T, l *loaded) {
	for _, tc := range []struct{ query, want string }{
		{"حماس", "Hamas"},
		{"حَمَاس", "Hamas"}, // with vowel marks
		{"חמאס", "Hamas"},
		{"حركة المقاومة الإسلامية", "Hamas"},
		{"كتائب القسام", "Izz ad-Din al-Qassam Brigades"},
		{"גדודי עז א-דין אל-קסאם", "Izz ad-Din al-Qassam Brigades"},
		{"قوات النخبة", "Nukhba force"},
		{"סראיא אל-קודס", "Al-Quds Brigades"},
		{"سرايا القدس", "Al-Quds Brigades"},
		{"الجهاد الإسلامي", "Palestinian Islamic Jihad"},
		{"גדודי חללי אל-אקצא", "Al-Aqsa Martyrs' Brigades"},
		{"قوات الدعم السريع", "Rapid Support Forces"},
		{"Mouvement du 23 mars", "March 23 Movement"},
		{"داعش", "Islamic State in Iraq and the Levant"},
	} {
		found, err := l.a.Parties.List(l.ctx, party.Filter{Text: tc.query})
		if err != nil {
			t.Fatalf("search %q: %v", tc.query, err)
		}
		var names []string
		for _, p := range found {
			names = append(names, p.Name)
		}
		if !slices.Contains(names, tc.want) {
			t.Errorf("search %q found %v, want %q among them", tc.query, names, tc.want)
		}
	}
}

func testReferences(t *testing.T, l *loaded) {
	for _, in := range l.incidents {
		if in.SituationID != "" {
			if _, err := l.a.Situations.Get(l.ctx, in.SituationID); err != nil {
				t.Errorf("%q: situation %s: %v", in.Title, in.SituationID, err)
			}
		}
		for i, a := range in.Acts {
			if len(a.Perpetrators) == 0 {
				t.Errorf("%q act %d has no perpetrator, not even an unidentified one", in.Title, i)
			}
			for _, p := range a.Perpetrators {
				if p.PartyID == "" {
					continue
				}
				if _, err := l.a.Parties.Get(l.ctx, p.PartyID); err != nil {
					t.Errorf("%q act %d: party %s: %v", in.Title, i, p.PartyID, err)
				}
			}
		}
		if len(in.Information) == 0 {
			t.Errorf("%q cites no source", in.Title)
		}
		for i, link := range in.Information {
			if _, err := l.a.Sources.Get(l.ctx, link.SourceID); err != nil {
				t.Errorf("%q link %d: source %s: %v", in.Title, i, link.SourceID, err)
			}
			if link.ActID != "" && actByID(in, link.ActID) == nil {
				t.Errorf("%q link %d names act %s, which is not one of its acts", in.Title, i, link.ActID)
			}
		}
	}
	parties, err := l.a.Parties.List(l.ctx, party.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parties {
		if p.ParentID == "" {
			continue
		}
		if _, err := l.a.Parties.Get(l.ctx, p.ParentID); err != nil {
			t.Errorf("party %q: parent %s: %v", p.Name, p.ParentID, err)
		}
	}
	for title, s := range l.sources {
		if s.URL != "" && !strings.HasPrefix(s.URL, "https://") {
			t.Errorf("source %q: URL %q", title, s.URL)
		}
	}
}
