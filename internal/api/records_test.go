package api

import (
	"net/http"
	"slices"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
)

func TestSituations(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c := newClient(t, d)
		var list struct{ Situations []situation.Situation }
		c.get("/api/v1/situations").expect(t, http.StatusOK).decode(t, &list)
		if list.Situations == nil || len(list.Situations) != 0 {
			t.Errorf("empty list: %v", list.Situations)
		}
		w := c.world(t)
		if w.sudan.CountryCode != "SD" || w.sudan.Setting != situation.ConflictSetting || !w.sudan.OnAgenda {
			t.Errorf("created %+v", w.sudan)
		}
		c.get("/api/v1/situations").expect(t, http.StatusOK).decode(t, &list)
		if len(list.Situations) != 2 || list.Situations[0].Name != "Israel and the State of Palestine" {
			t.Errorf("list %+v", list.Situations)
		}

		var got situation.Situation
		res := c.get("/api/v1/situations/"+w.sudan.ID).expect(t, http.StatusOK)
		res.decode(t, &got)
		if got.Name != "Sudan" || res.header.Get("ETag") != `W/"1"` {
			t.Errorf("read %q, ETag %q", got.Name, res.header.Get("ETag"))
		}
		got.Description = "Armed conflict since April 2023."
		c.put("/api/v1/situations/"+got.ID, got).expect(t, http.StatusOK).decode(t, &got)
		if got.Version != 2 {
			t.Errorf("version %d after edit", got.Version)
		}
		got.Version = 1
		c.put("/api/v1/situations/"+got.ID, got).expect(t, http.StatusConflict).problem(t)

		// A taken name is a validation error on the name.
		p := c.post("/api/v1/situations", map[string]any{"name": "Sudan"}).expect(t, http.StatusUnprocessableEntity).problem(t)
		if got := fieldCodes(p); !slices.Equal(got, []string{"name:duplicate"}) {
			t.Errorf("duplicate name: %v", got)
		}
		p = c.post("/api/v1/situations", map[string]any{"name": "Haiti", "country_code": "HTI", "conflict_class": "war"}).
			expect(t, http.StatusUnprocessableEntity).problem(t)
		if got := fieldCodes(p); !slices.Equal(got, []string{"country_code:invalid_country", "conflict_class:not_allowed"}) {
			t.Errorf("invalid situation: %v", got)
		}

		var h struct{ History []historyEntry }
		c.get("/api/v1/situations/"+got.ID+"/history").expect(t, http.StatusOK).decode(t, &h)
		if len(h.History) != 2 || h.History[1].Changes[0].Path != "description" {
			t.Errorf("history %+v", h.History)
		}
		c.get("/api/v1/situations/"+got.ID+"/history/2").expect(t, http.StatusOK)
		c.get("/api/v1/situations/"+w.report.ID).expect(t, http.StatusNotFound).problem(t)
	})
}

func TestSources(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c := newClient(t, d)
		w := c.world(t)
		c.post("/api/v1/sources", map[string]any{"kind": "ngo_report", "title": "Older report", "published_on": "2023-01-05",
			"url": "https://example.org/report"}).expect(t, http.StatusCreated)
		var list struct{ Sources []source.Source }
		c.get("/api/v1/sources").expect(t, http.StatusOK).decode(t, &list)
		if len(list.Sources) != 2 || list.Sources[0].Title != "Mission report" || list.Sources[1].Reliability != source.UnknownReliability {
			t.Errorf("list %+v", list.Sources)
		}

		src := w.report
		src.DocumentSymbol = "S/2024/292"
		src.Reliability = source.High
		res := c.put("/api/v1/sources/"+src.ID, src, "If-Match", `W/"1"`).expect(t, http.StatusOK)
		res.decode(t, &src)
		if src.Version != 2 || src.DocumentSymbol != "S/2024/292" || res.header.Get("ETag") != `W/"2"` {
			t.Errorf("after edit %+v", src)
		}
		p := c.post("/api/v1/sources", map[string]any{"kind": "rumour", "title": "", "url": "ftp://x", "published_on": "2024-02-30"}).
			expect(t, http.StatusUnprocessableEntity).problem(t)
		want := []string{"kind:not_allowed", "title:required", "url:invalid_url", "published_on:invalid_date"}
		if got := fieldCodes(p); !slices.Equal(got, want) {
			t.Errorf("invalid source: %v, want %v", got, want)
		}

		var h struct{ History []historyEntry }
		c.get("/api/v1/sources/"+src.ID+"/history").expect(t, http.StatusOK).decode(t, &h)
		if len(h.History) != 2 {
			t.Fatalf("%d revisions", len(h.History))
		}
		var paths []string
		for _, ch := range h.History[1].Changes {
			paths = append(paths, ch.Path)
		}
		if !slices.Equal(paths, []string{"document_symbol", "reliability"}) {
			t.Errorf("changes %v", paths)
		}
	})
}

func TestVocabularies(t *testing.T) {
	c := newClient(t, dbtest.SQLite(t))
	var v map[string][]term
	c.get("/api/v1/vocabularies").expect(t, http.StatusOK).decode(t, &v)
	wantKeys := []string{"age_groups", "conflict_classes", "connections", "contexts", "date_precisions", "incident_sorts",
		"location_precisions", "party_types", "reliabilities", "settings", "sexes", "source_kinds", "statuses",
		"victim_statuses", "violation_types"}
	var keys []string
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("vocabularies %v", keys)
	}
	families := map[string]string{}
	for _, term := range v["violation_types"] {
		families[term.Value] = term.Family
	}
	for value, family := range map[string]string{"rape": "rape", "gang_rape": "rape", "sexual_torture": "other_sexual_violence",
		"sexual_slavery": "sexual_slavery"} {
		if families[value] != family {
			t.Errorf("family of %s = %q, want %q", value, families[value], family)
		}
	}
	categories := map[string]string{}
	for _, term := range v["party_types"] {
		categories[term.Value] = term.Category
	}
	if categories["state_armed_forces"] != "state" || categories["non_state_armed_group"] != "non_state" ||
		categories["un_peacekeeping_contingent"] != "other" {
		t.Errorf("party categories %v", categories)
	}
	if len(v["age_groups"]) != 3 || v["age_groups"][0].Value != "child" {
		t.Errorf("age groups %v", v["age_groups"])
	}
}
