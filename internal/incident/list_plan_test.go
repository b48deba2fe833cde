package incident_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
)

// TestListPlansAgree checks every plan of the list against a model of what
// the filters mean, on a random record with many incidents on the same
// days: each filter, in date order both ways and by title, paged in small
// pages, walking each act filter's rows first in turn. Then again after
// incidents change their dates, acts, titles and cases, after a unit moves to another
// party, and after the list keys are migrated anew from the records.
func TestListPlansAgree(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		m := &listModel{parents: map[string]string{f.qassam.ID: f.hamas.ID, f.nukhba.ID: f.qassam.ID}}
		r := rand.New(rand.NewPCG(7, 7))
		words := []string{"alpha", "alpine", "bravo", "charlie", "delta", "echo"}
		days := []string{"2023-10-07", "2023-10-08", "2024-01-15", "2024-01-16", "2025-06-01", ""}
		parties := []string{f.hamas.ID, f.qassam.ID, f.nukhba.ID, f.rsf.ID, ""}
		violations := []incident.ViolationType{incident.Rape, incident.GangRape, incident.SexualSlavery,
			incident.ForcedNudity, incident.SexualTorture}
		randomActs := func() []incident.Act {
			var acts []incident.Act
			for range 1 + r.IntN(3) {
				a := act(violations[r.IntN(len(violations))], []incident.AgeGroup{incident.Child, incident.Adult}[r.IntN(2)],
					parties[r.IntN(len(parties))])
				if r.IntN(4) == 0 {
					a.Perpetrators = append(a.Perpetrators, incident.Perpetrator{PartyID: parties[r.IntN(len(parties)-1)]})
				}
				acts = append(acts, a)
			}
			return acts
		}
		randomDate := func() record.Date {
			start := days[r.IntN(len(days))]
			if start != "" && r.IntN(8) == 0 {
				return record.Date{Start: start, End: "2025-12-31", Precision: record.DateRange}
			}
			return record.Date{Start: start}
		}
		// Incidents fall in two cases or none; lists are checked for someone
		// restricted to one case too.
		var cases []string
		for _, name := range []string{"Case B", "Case A"} {
			c, err := account.NewStore(d, account.Options{}).CreateCase(f.ctx, name, "")
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, c.ID)
		}
		scopes := [][]string{nil, cases[1:]}
		for i := range 90 {
			in := &incident.Incident{
				Title:       fmt.Sprintf("%s %s n%03d", words[r.IntN(len(words))], words[r.IntN(len(words))], i),
				CaseID:      []string{cases[0], cases[1], ""}[r.IntN(3)],
				SituationID: []string{f.sudan.ID, f.israel.ID}[r.IntN(2)],
				Date:        randomDate(), Status: incident.Statuses[r.IntN(len(incident.Statuses))],
				Context: incident.DuringAttack, Acts: randomActs(),
			}
			if err := f.store.Create(f.ctx, in); err != nil {
				t.Fatal(err)
			}
			m.add(in)
		}
		filters := []incident.Filter{
			{},
			{PartyID: f.hamas.ID},
			{PartyID: f.qassam.ID, ViolationType: incident.Rape},
			{PartyID: f.rsf.ID, AgeGroup: incident.Child},
			{PartyID: f.nukhba.ID, ViolationType: incident.GangRape, AgeGroup: incident.Adult},
			{ViolationType: incident.Rape},
			{ViolationType: incident.OtherComparableGravity, AgeGroup: incident.Child},
			{AgeGroup: incident.Child},
			{SituationID: f.sudan.ID, ViolationType: incident.SexualSlavery},
			{Status: incident.Verified, PartyID: f.hamas.ID},
			{From: "2024-01-16", To: "2024-12-31", PartyID: f.hamas.ID},
			{To: "2023-12-31", AgeGroup: incident.Adult},
			{From: "2025-01-01"},
			{From: "2025-06-01", ViolationType: incident.Rape},
			{From: "2024-01-16", To: "2024-01-16", SituationID: f.israel.ID},
			{Text: "alpha"},
			{Text: "alpha brav"},
			{Text: "charlie", PartyID: f.hamas.ID},
			{Text: "delta", ViolationType: incident.Rape, AgeGroup: incident.Child, SituationID: f.israel.ID},
			// Prefixes of one word, of two common ones, of ten (n010…n019)
			// and of ninety, alone and after a word, and one that begins no
			// word.
			{Text: "ech"},
			{Text: "alp"},
			{Text: "delta alp", AgeGroup: incident.Child},
			{Text: "n01"},
			{Text: "n0"},
			{Text: "alpha n0", Status: incident.Verified},
			{Text: "bravo n01", ViolationType: incident.Rape},
			{Text: "n01 charl", SituationID: f.sudan.ID},
			{Text: "zzz"},
			{Text: "alpha zzz"},
			// One act filter, or the incident's own, with words: their
			// facets in the full-text index say it all on SQLite.
			{Text: "bravo", ViolationType: incident.Rape}, // gang rape counts as rape
			{Text: "alp", ViolationType: incident.GangRape},
			{Text: "charlie", AgeGroup: incident.Adult},
			{Text: "echo", SituationID: f.israel.ID, Status: incident.Draft},
			{Text: "delta", ViolationType: incident.SexualSlavery, Status: incident.UnderReview},
			// A party's facet names it for its units' acts too, and moves
			// with a unit (below).
			{Text: "echo", PartyID: f.rsf.ID},
			{Text: "alp", PartyID: f.nukhba.ID},
			{Text: "bravo", PartyID: f.hamas.ID, Status: incident.Verified},
			// Two act filters or more with words: the match takes the
			// narrowest one's facet, and the acts are checked.
			{Text: "charlie", PartyID: f.qassam.ID, ViolationType: incident.Rape},
			{Text: "alp", PartyID: f.rsf.ID, AgeGroup: incident.Child},
			{Text: "echo", PartyID: f.hamas.ID, ViolationType: incident.GangRape, AgeGroup: incident.Adult},
			{Text: "bravo", ViolationType: incident.OtherComparableGravity, AgeGroup: incident.Child},
		}
		check := func(t *testing.T, stage string) {
			for _, filter := range filters {
				for _, sort := range []incident.Sort{incident.NewestFirst, incident.OldestFirst, incident.ByTitle} {
					for _, scope := range scopes {
						ctx := f.ctx
						if scope != nil {
							ctx = record.RestrictToCases(ctx, scope)
						}
						want := m.list(filter, sort, scope)
						for _, lead := range []string{"", "party", "party+violation", "party+age", "violation", "age", "violation+age", "situation+violation"} {
							// On PostgreSQL a prefix stands for the words it begins,
							// up to a limit, past which it is checked as a prefix; on
							// SQLite, a search reads the acts that meet the act
							// filters once, up to a limit, past which each match
							// probes them. Each plan runs below and above its limit.
							for _, prefixWords := range []int{32, 1} {
								restore := incident.ForceLeadingFilter(lead)
								restoreLimit := incident.LimitWordPlans(prefixWords, prefixWords)
								got, total := pageThrough(t, ctx, f.store, filter, sort)
								restoreLimit()
								restore()
								if !slices.Equal(got, want) || total != len(want) {
									t.Fatalf("%s: %+v sorted %s, %q first, word plans limited to %d, cases %q:\n got %q (total %d)\nwant %q",
										stage, filter, sort, lead, prefixWords, scope, m.titles(got), total, m.titles(want))
								}
								if filter.Text == "" {
									break
								}
							}
						}
					}
				}
			}
		}
		check(t, "as created")

		for _, in := range m.incidents[:30] {
			changed, err := f.store.Get(f.ctx, in.ID)
			if err != nil {
				t.Fatal(err)
			}
			changed.Date, changed.Acts = randomDate(), randomActs()
			if r.IntN(3) == 0 {
				changed.Title = "echo moved " + changed.Title
			}
			if r.IntN(4) == 0 { // to another case: its words and acts follow
				changed.CaseID = cases[r.IntN(2)]
			}
			if err := f.store.Update(f.ctx, changed); err != nil {
				t.Fatal(err)
			}
			m.replace(changed)
		}
		check(t, "after edits")

		f.nukhba.ParentID = f.rsf.ID
		if err := party.NewStore(d).Update(f.ctx, f.nukhba); err != nil {
			t.Fatal(err)
		}
		m.parents[f.nukhba.ID] = f.rsf.ID
		check(t, "after a unit moved")

		if err := incident.RemigrateListKeys(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		m.renumber() // the migration numbers each day's incidents in ID order
		check(t, "after the migration")

		more := &incident.Incident{Title: "alpha after the migration", Date: record.Date{Start: "2023-10-07"},
			Context: incident.DuringAttack, Status: incident.Draft, Acts: randomActs()}
		if err := f.store.Create(f.ctx, more); err != nil {
			t.Fatalf("a new incident after the migration: %v", err)
		}
		m.add(more)
		check(t, "with a new incident after the migration")
	})
}

func pageThrough(t *testing.T, ctx context.Context, s *incident.Store, filter incident.Filter, sort incident.Sort) ([]string, int) {
	t.Helper()
	filter.Sort, filter.Limit = sort, 4
	var ids []string
	total := -1
	for range 100 {
		page, err := s.List(ctx, filter)
		if err != nil {
			t.Fatalf("%+v: %v", filter, err)
		}
		if total < 0 {
			total = page.Total
		}
		for _, in := range page.Incidents {
			ids = append(ids, in.ID)
		}
		if page.Next == "" {
			break
		}
		filter.Cursor = page.Next
	}
	return ids, total
}

// listModel says in plain Go which incidents a filter matches and in what
// order.
type listModel struct {
	incidents []*incident.Incident
	seq       map[string]int // the order incidents of one day were numbered in
	parents   map[string]string
}

func (m *listModel) add(in *incident.Incident) {
	if m.seq == nil {
		m.seq = map[string]int{}
	}
	m.seq[in.ID] = len(m.seq)
	m.incidents = append(m.incidents, in)
}

func (m *listModel) replace(in *incident.Incident) {
	for i, old := range m.incidents {
		if old.ID == in.ID {
			m.incidents[i] = in
		}
	}
}

func (m *listModel) renumber() {
	byDay := slices.Clone(m.incidents)
	slices.SortFunc(byDay, func(a, b *incident.Incident) int {
		return cmp.Or(cmp.Compare(a.Date.Start, b.Date.Start), cmp.Compare(a.ID, b.ID))
	})
	for i, in := range byDay {
		m.seq[in.ID] = i
	}
}

func (m *listModel) under(partyID, ancestor string) bool {
	for id := partyID; id != ""; id = m.parents[id] {
		if id == ancestor {
			return true
		}
	}
	return false
}

func (m *listModel) matches(in *incident.Incident, f incident.Filter) bool {
	switch {
	case f.SituationID != "" && in.SituationID != f.SituationID,
		f.Status != "" && in.Status != f.Status,
		f.From != "" && in.Date.End < f.From,
		f.To != "" && (in.Date.Start == "" || in.Date.Start > f.To):
		return false
	}
	for _, term := range strings.Fields(f.Text) {
		if !slices.ContainsFunc(strings.Fields(in.Title), func(w string) bool { return strings.HasPrefix(w, term) }) {
			return false
		}
	}
	if f.PartyID == "" && f.ViolationType == "" && f.AgeGroup == "" {
		return true
	}
	return slices.ContainsFunc(in.Acts, func(a incident.Act) bool {
		return (f.ViolationType == "" || slices.Contains(f.ViolationType.WithForms(), a.ViolationType)) &&
			(f.AgeGroup == "" || a.Victim.AgeGroup == f.AgeGroup) &&
			(f.PartyID == "" || slices.ContainsFunc(a.Perpetrators, func(p incident.Perpetrator) bool { return m.under(p.PartyID, f.PartyID) }))
	})
}

// list is what f matches, in order, for someone restricted to the cases
// in scope (nil: unrestricted).
func (m *listModel) list(f incident.Filter, sort incident.Sort, scope []string) []string {
	var out []*incident.Incident
	for _, in := range m.incidents {
		if m.matches(in, f) && (scope == nil || slices.Contains(scope, in.CaseID)) {
			out = append(out, in)
		}
	}
	slices.SortFunc(out, func(a, b *incident.Incident) int {
		if sort == incident.ByTitle {
			return cmp.Or(cmp.Compare(a.Title, b.Title), cmp.Compare(a.ID, b.ID))
		}
		c := cmp.Or(cmp.Compare(a.Date.Start, b.Date.Start), cmp.Compare(m.seq[a.ID], m.seq[b.ID]))
		if sort == incident.NewestFirst {
			return -c
		}
		return c
	})
	ids := make([]string, len(out))
	for i, in := range out {
		ids[i] = in.ID
	}
	return ids
}

func (m *listModel) titles(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		for _, in := range m.incidents {
			if in.ID == id {
				out[i] = in.Date.Start + " " + in.Title
			}
		}
	}
	return out
}
