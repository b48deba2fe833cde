package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/party"
)

func refNames(refs []partyRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.Name
	}
	return out
}

func partyNames(ps []party.Party) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

func TestPartyDetailAndUnits(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c := newClient(t, d)
		w := c.world(t)
		c.filterWorld(t, w)

		readDetail := func(id string) (partyDetail, *response) {
			res := c.get("/api/v1/parties/"+id).expect(t, http.StatusOK)
			var pd partyDetail
			res.decode(t, &pd)
			return pd, res
		}
		hamas, res := readDetail(w.hamas.ID)
		if res.header.Get("ETag") != `W/"1"` {
			t.Errorf("ETag %q", res.header.Get("ETag"))
		}
		if len(hamas.Ancestors) != 0 || !slices.Equal(refNames(hamas.Units), []string{"Izz ad-Din al-Qassam Brigades"}) {
			t.Errorf("Hamas: ancestors %v, units %v", refNames(hamas.Ancestors), refNames(hamas.Units))
		}
		// Nova (Nukhba), Be'eri (Qassam), hostage (Hamas).
		if hamas.IncidentCount != 3 || len(hamas.Names) != 1 || hamas.Names[0].Lang != "ar" {
			t.Errorf("Hamas: %d incidents, names %v", hamas.IncidentCount, hamas.Names)
		}
		nukhba, _ := readDetail(w.nukhba.ID)
		if !slices.Equal(refNames(nukhba.Ancestors), []string{"Izz ad-Din al-Qassam Brigades", "Hamas"}) ||
			len(nukhba.Units) != 0 || nukhba.IncidentCount != 1 {
			t.Errorf("Nukhba: ancestors %v, units %v, %d incidents", refNames(nukhba.Ancestors), refNames(nukhba.Units), nukhba.IncidentCount)
		}

		var units struct{ Units []party.Party }
		c.get("/api/v1/parties/"+w.hamas.ID+"/units").expect(t, http.StatusOK).decode(t, &units)
		if got := partyNames(units.Units); !slices.Equal(got, []string{"Izz ad-Din al-Qassam Brigades", "Nukhba force"}) {
			t.Errorf("units of Hamas: %v", got)
		}
		if units.Units[1].ParentID != w.qassam.ID {
			t.Errorf("Nukhba's parent_id %q", units.Units[1].ParentID)
		}
		c.get("/api/v1/parties/"+w.rsf.ID+"/units").expect(t, http.StatusOK).decode(t, &units)
		if len(units.Units) != 0 {
			t.Errorf("RSF has units %v", partyNames(units.Units))
		}
		c.get("/api/v1/parties/"+w.sudan.ID+"/units").expect(t, http.StatusNotFound).problem(t)

		// The detail as read goes back as an edit; what the server computes is ignored.
		nukhba.Description = "Elite unit"
		nukhba.IncidentCount = 99
		res = c.put("/api/v1/parties/"+w.nukhba.ID, nukhba).expect(t, http.StatusOK)
		var edited partyDetail
		res.decode(t, &edited)
		if edited.Version != 2 || edited.Description != "Elite unit" || edited.IncidentCount != 1 || len(edited.Ancestors) != 2 {
			t.Errorf("after edit: version %d, %q, %d incidents, %d ancestors", edited.Version, edited.Description,
				edited.IncidentCount, len(edited.Ancestors))
		}
		// …but refused on a new party.
		p := c.post("/api/v1/parties", map[string]any{"name": "Unit", "type": "non_state_armed_group", "units": []any{}}).
			expect(t, http.StatusBadRequest).problem(t)
		if got := fieldCodes(p); !slices.Equal(got, []string{"units:read_only"}) {
			t.Errorf("units on create: %v", got)
		}

		// Making Hamas a unit of its own unit is refused.
		hamas.ParentID = w.nukhba.ID
		p = c.put("/api/v1/parties/"+w.hamas.ID, hamas).expect(t, http.StatusUnprocessableEntity).problem(t)
		if got := fieldCodes(p); !slices.Equal(got, []string{"parent_id:cycle"}) {
			t.Errorf("cycle: %v", got)
		}
		p = c.put("/api/v1/parties/"+w.nukhba.ID, nukhba).expect(t, http.StatusConflict).problem(t)
		if p.Type != typeConflict {
			t.Errorf("stale edit: %q", p.Type)
		}

		var h struct{ History []historyEntry }
		c.get("/api/v1/parties/"+w.nukhba.ID+"/history").expect(t, http.StatusOK).decode(t, &h)
		if len(h.History) != 2 || len(h.History[1].Changes) != 1 || h.History[1].Changes[0].Path != "description" {
			t.Errorf("history %+v", h.History)
		}
		var rev struct{ Snapshot party.Party }
		c.get("/api/v1/parties/"+w.nukhba.ID+"/history/1").expect(t, http.StatusOK).decode(t, &rev)
		if rev.Snapshot.Description != "" || rev.Snapshot.Name != "Nukhba force" {
			t.Errorf("version 1 snapshot %+v", rev.Snapshot)
		}
	})
}

func TestPartyList(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c := newClient(t, d)
		w := c.world(t)
		tests := []struct {
			name, query string
			want        []string
		}{
			{"all by name", "", []string{"Hamas", "Izz ad-Din al-Qassam Brigades", "Nukhba force", "Rapid Support Forces"}},
			{"text", "q=nukhba", []string{"Nukhba force"}},
			{"abbreviation", "q=rsf", []string{"Rapid Support Forces"}},
			{"arabic name", "q=" + url.QueryEscape("المقاومة"), []string{"Hamas"}},
			{"type", "type=state_affiliated_militia", []string{"Rapid Support Forces"}},
			{"direct units", "parent=" + w.hamas.ID, []string{"Izz ad-Din al-Qassam Brigades"}},
			{"top level", "top_level=true", []string{"Hamas", "Rapid Support Forces"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var page partyPage
				c.get("/api/v1/parties?"+tt.query).expect(t, http.StatusOK).decode(t, &page)
				if got := partyNames(page.Parties); !slices.Equal(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
				if page.NextOffset != nil {
					t.Errorf("next_offset %d on the only page", *page.NextOffset)
				}
			})
		}

		// Paging through every party, two at a time, by Link.
		for i := range 5 {
			c.post("/api/v1/parties", map[string]any{"name": fmt.Sprintf("Brigade %d", i), "type": "state_armed_forces"}).
				expect(t, http.StatusCreated)
		}
		var got []string
		path := "/api/v1/parties?limit=2"
		for pages := 0; path != ""; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			res := c.get(path).expect(t, http.StatusOK)
			var page partyPage
			res.decode(t, &page)
			got = append(got, partyNames(page.Parties)...)
			path = ""
			if page.NextOffset != nil {
				m := nextRel.FindStringSubmatch(res.header.Get("Link"))
				if m == nil {
					t.Fatalf("Link %q", res.header.Get("Link"))
				}
				path = m[1]
			}
		}
		want := []string{"Brigade 0", "Brigade 1", "Brigade 2", "Brigade 3", "Brigade 4", "Hamas",
			"Izz ad-Din al-Qassam Brigades", "Nukhba force", "Rapid Support Forces"}
		if !slices.Equal(got, want) {
			t.Errorf("paged through %v, want %v", got, want)
		}

		for _, tt := range []struct {
			query string
			want  []string
		}{
			{"type=rebels", []string{"type:not_allowed"}},
			{"parent=hamas", []string{"parent:invalid_id"}},
			{"top_level=yes", []string{"top_level:invalid_boolean"}},
			{"top_level=true&parent=" + w.hamas.ID, []string{"top_level:contradiction"}},
			{"limit=0&offset=-1", []string{"limit:out_of_range", "offset:out_of_range"}},
			{"sort=name", []string{"sort:unknown_parameter"}},
		} {
			p := c.get("/api/v1/parties?"+tt.query).expect(t, http.StatusBadRequest).problem(t)
			if got := fieldCodes(p); !slices.Equal(got, tt.want) {
				t.Errorf("%s: %v, want %v", tt.query, got, tt.want)
			}
		}
	})
}
