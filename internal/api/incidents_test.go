package api

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
)

// world is a small record created through the API.
type world struct {
	sudan, israel         situation.Situation
	hamas, qassam, nukhba partyDetail
	rsf                   partyDetail
	report                source.Source
}

func (c *client) world(t *testing.T) *world {
	t.Helper()
	w := &world{}
	c.post("/api/v1/situations", map[string]any{"name": "Sudan", "country_code": "sd", "on_security_council_agenda": true,
		"conflict_class": "NIAC"}).expect(t, http.StatusCreated).decode(t, &w.sudan)
	c.post("/api/v1/situations", map[string]any{"name": "Israel and the State of Palestine", "on_security_council_agenda": true,
		"conflict_class": "IAC"}).expect(t, http.StatusCreated).decode(t, &w.israel)
	newParty := func(body map[string]any, out *partyDetail) {
		out.Party = &party.Party{}
		c.post("/api/v1/parties", body).expect(t, http.StatusCreated).decode(t, out)
	}
	newParty(map[string]any{"name": "Hamas", "type": "non_state_armed_group",
		"names": []map[string]any{{"lang": "ar", "name": "حركة المقاومة الإسلامية"}}}, &w.hamas)
	newParty(map[string]any{"name": "Izz ad-Din al-Qassam Brigades", "type": "non_state_armed_group", "parent_id": w.hamas.ID}, &w.qassam)
	newParty(map[string]any{"name": "Nukhba force", "type": "non_state_armed_group", "parent_id": w.qassam.ID}, &w.nukhba)
	newParty(map[string]any{"name": "Rapid Support Forces", "abbreviation": "RSF", "type": "state_affiliated_militia"}, &w.rsf)
	c.post("/api/v1/sources", map[string]any{"kind": "un_report", "title": "Mission report", "published_on": "2024-03-04"}).
		expect(t, http.StatusCreated).decode(t, &w.report)
	return w
}

func act(violation, age, partyID string) map[string]any {
	perp := map[string]any{"party_id": partyID}
	if partyID == "" {
		perp = map[string]any{"description": "men in uniform"}
	}
	return map[string]any{"violation_type": violation, "victim": map[string]any{"sex": "female", "age_group": age},
		"perpetrators": []any{perp}}
}

func newIncident(title, situationID, start string, acts ...map[string]any) map[string]any {
	in := map[string]any{"title": title, "date": map[string]any{"start": start, "precision": "day"},
		"context": "during_attack", "status": "under_review", "acts": acts}
	if situationID != "" {
		in["situation_id"] = situationID
	}
	return in
}

func TestIncidentLifecycle(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c := newClient(t, d)
		w := c.world(t)

		body := newIncident("Attack on the festival site", w.israel.ID, "2023-10-07", act("gang_rape", "adult", w.nukhba.ID))
		body["place"] = map[string]any{"name": "Re'im", "country": "il", "latitude": 31.39, "longitude": 34.46, "precision": "near"}
		body["information"] = []any{map[string]any{"source_id": w.report.ID, "connection": "eyewitness", "reliability": "medium",
			"reference": "para. 12"}}
		res := c.post("/api/v1/incidents", body).expect(t, http.StatusCreated)
		var created incident.Incident
		res.decode(t, &created)
		if created.ID == "" || created.Version != 1 || created.CreatedBy != "api" || created.UpdatedBy != "api" {
			t.Fatalf("created %+v", created.Meta)
		}
		if got := res.header.Get("Location"); got != "/api/v1/incidents/"+created.ID {
			t.Errorf("Location = %q", got)
		}
		if got := res.header.Get("ETag"); got != `W/"1"` {
			t.Errorf("ETag = %q", got)
		}
		if created.Place.Country != "IL" || created.Date.End != "2023-10-07" || len(created.Acts) != 1 || created.Acts[0].ID == "" {
			t.Errorf("created incident not normalised: %+v", created)
		}
		if created.Acts[0].Victim.Count != 1 || created.Information[0].ID == "" {
			t.Errorf("defaults not filled: %+v", created.Acts[0])
		}

		res = c.get("/api/v1/incidents/"+created.ID).expect(t, http.StatusOK)
		var read incident.Incident
		res.decode(t, &read)
		if read.Title != created.Title || read.Acts[0].Perpetrators[0].PartyID != w.nukhba.ID || read.Information[0].Reference != "para. 12" {
			t.Errorf("read back %+v", read)
		}
		if res.header.Get("ETag") != `W/"1"` {
			t.Errorf("ETag = %q", res.header.Get("ETag"))
		}

		// Edit with the version in the body: the document as read, changed.
		read.Title = "Attack on the Nova festival site"
		read.Status = incident.Verified
		read.Acts = append(read.Acts, incident.Act{ViolationType: incident.SexualViolenceOnCorpses,
			Perpetrators: []incident.Perpetrator{{Description: "unidentified attackers"}}})
		res = c.put("/api/v1/incidents/"+created.ID, read).expect(t, http.StatusOK)
		var v2 incident.Incident
		res.decode(t, &v2)
		if v2.Version != 2 || v2.Title != "Attack on the Nova festival site" || len(v2.Acts) != 2 {
			t.Fatalf("after edit: version %d, title %q, %d acts", v2.Version, v2.Title, len(v2.Acts))
		}
		if v2.Acts[0].ID != created.Acts[0].ID {
			t.Errorf("the kept act changed ID: %s → %s", created.Acts[0].ID, v2.Acts[0].ID)
		}
		if !v2.CreatedAt.Equal(created.CreatedAt) || v2.CreatedBy != "api" {
			t.Errorf("creation stamps changed: %v %q", v2.CreatedAt, v2.CreatedBy)
		}
		if res.header.Get("ETag") != `W/"2"` {
			t.Errorf("ETag after edit = %q", res.header.Get("ETag"))
		}

		// A stale edit, by body version, is a conflict and changes nothing.
		stale := read
		stale.Version = 1
		stale.Title = "Lost update"
		p := c.put("/api/v1/incidents/"+created.ID, stale).expect(t, http.StatusConflict).problem(t)
		if p.Type != typeConflict {
			t.Errorf("conflict type %q", p.Type)
		}
		// If-Match alone gives the version.
		v2.Version = 0
		edit := map[string]any{"title": "Attack on the Nova music festival", "date": v2.Date, "acts": v2.Acts,
			"status": "verified", "place": v2.Place, "situation_id": w.israel.ID, "information": v2.Information}
		c.put("/api/v1/incidents/"+created.ID, edit, "If-Match", `W/"1"`).expect(t, http.StatusConflict)
		res = c.put("/api/v1/incidents/"+created.ID, edit, "If-Match", `W/"2"`).expect(t, http.StatusOK)
		if res.header.Get("ETag") != `W/"3"` {
			t.Errorf("ETag after If-Match edit = %q", res.header.Get("ETag"))
		}
		// Body and header must agree; one of them must be given.
		edit["version"] = 2
		p = c.put("/api/v1/incidents/"+created.ID, edit, "If-Match", `W/"3"`).expect(t, http.StatusBadRequest).problem(t)
		if got := fieldCodes(p); !slices.Equal(got, []string{"version:mismatch"}) {
			t.Errorf("version and If-Match disagreeing: %v", got)
		}
		delete(edit, "version")
		p = c.put("/api/v1/incidents/"+created.ID, edit).expect(t, http.StatusBadRequest).problem(t)
		if got := fieldCodes(p); !slices.Equal(got, []string{"version:required"}) {
			t.Errorf("no version: %v", got)
		}
		p = c.put("/api/v1/incidents/"+created.ID, edit, "If-Match", `"three"`).expect(t, http.StatusBadRequest).problem(t)
		if got := fieldCodes(p); !slices.Equal(got, []string{"If-Match:invalid_etag"}) {
			t.Errorf("bad If-Match: %v", got)
		}
		edit["id"] = w.report.ID
		p = c.put("/api/v1/incidents/"+created.ID, edit, "If-Match", `W/"3"`).expect(t, http.StatusBadRequest).problem(t)
		if got := fieldCodes(p); !slices.Equal(got, []string{"id:mismatch"}) {
			t.Errorf("id differing from the path: %v", got)
		}

		// Unknown IDs.
		c.get("/api/v1/incidents/"+w.report.ID).expect(t, http.StatusNotFound).problem(t)
		c.get("/api/v1/incidents/not-an-id").expect(t, http.StatusNotFound).problem(t)
		c.put("/api/v1/incidents/"+w.report.ID, map[string]any{"title": "Elsewhere", "version": 1}).
			expect(t, http.StatusNotFound).problem(t)

		// History: three revisions, each with what it changed.
		res = c.get("/api/v1/incidents/"+created.ID+"/history").expect(t, http.StatusOK)
		var h struct{ History []historyEntry }
		res.decode(t, &h)
		if len(h.History) != 3 {
			t.Fatalf("%d revisions, want 3", len(h.History))
		}
		first, second := h.History[0], h.History[1]
		if first.Version != 1 || first.Action != record.Created || first.Actor != "api" || len(first.Changes) == 0 {
			t.Errorf("first revision %+v", first)
		}
		if second.Action != record.Updated {
			t.Errorf("second revision action %q", second.Action)
		}
		changed := map[string]record.Change{}
		for _, ch := range second.Changes {
			changed[ch.Path] = ch
		}
		if ch := changed["title"]; ch.Old != "Attack on the festival site" || ch.New != "Attack on the Nova festival site" {
			t.Errorf("title change %+v", ch)
		}
		if ch := changed["status"]; ch.Old != "under_review" || ch.New != "verified" {
			t.Errorf("status change %+v", ch)
		}
		if _, ok := changed["acts[1].violation_type"]; !ok {
			t.Errorf("the added act is not among the changes: %v", second.Changes)
		}
		if _, ok := changed["version"]; ok {
			t.Error("bookkeeping listed as a change")
		}

		res = c.get("/api/v1/incidents/"+created.ID+"/history/1").expect(t, http.StatusOK)
		var rev struct {
			Version  int
			Snapshot incident.Incident
		}
		res.decode(t, &rev)
		if rev.Version != 1 || rev.Snapshot.Title != "Attack on the festival site" || len(rev.Snapshot.Acts) != 1 {
			t.Errorf("snapshot of version 1: %d %q", rev.Version, rev.Snapshot.Title)
		}
		c.get("/api/v1/incidents/"+created.ID+"/history/9").expect(t, http.StatusNotFound).problem(t)
		p = c.get("/api/v1/incidents/"+created.ID+"/history/first").expect(t, http.StatusBadRequest).problem(t)
		if got := fieldCodes(p); !slices.Equal(got, []string{"version:invalid_number"}) {
			t.Errorf("bad version: %v", got)
		}
		c.get("/api/v1/incidents/"+w.report.ID+"/history").expect(t, http.StatusNotFound).problem(t)
	})
}

func TestIncidentValidation(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c := newClient(t, d)
		w := c.world(t)
		body := newIncident("", w.sudan.ID, "2024-05-01", act("rape", "elderly", w.rsf.ID))
		body["status"] = "verified"
		body["date"] = map[string]any{"start": "2024-05-09", "end": "2024-05-01", "precision": "range"}
		p := c.post("/api/v1/incidents", body).expect(t, http.StatusUnprocessableEntity).problem(t)
		want := []string{"title:required", "date.end:end_before_start", "acts[0].victim.age_group:not_allowed"}
		for _, fc := range want {
			if !slices.Contains(fieldCodes(p), fc) {
				t.Errorf("missing %s in %v", fc, fieldCodes(p))
			}
		}
		// A reference to a missing party names the field.
		body = newIncident("Raid", w.sudan.ID, "2024-05-01", act("rape", "adult", w.sudan.ID))
		p = c.post("/api/v1/incidents", body).expect(t, http.StatusUnprocessableEntity).problem(t)
		if got := fieldCodes(p); !slices.Equal(got, []string{"acts[0].perpetrators[0].party_id:not_found"}) {
			t.Errorf("missing party: %v", got)
		}
		// The server's own fields cannot be set on a new record.
		body = newIncident("Raid", w.sudan.ID, "2024-05-01")
		body["id"] = w.sudan.ID
		body["created_by"] = "someone else"
		p = c.post("/api/v1/incidents", body).expect(t, http.StatusBadRequest).problem(t)
		if got := fieldCodes(p); !slices.Equal(got, []string{"created_by:read_only", "id:read_only"}) {
			t.Errorf("server fields on create: %v", got)
		}
		// Nothing was stored by any of these.
		var page incidentPage
		c.get("/api/v1/incidents").expect(t, http.StatusOK).decode(t, &page)
		if page.Total != 0 {
			t.Errorf("%d incidents stored by invalid requests", page.Total)
		}
	})
}

// filterWorld adds incidents for the filter tests and returns their IDs by title.
func (c *client) filterWorld(t *testing.T, w *world) map[string]string {
	t.Helper()
	bodies := []map[string]any{
		newIncident("Nova festival", w.israel.ID, "2023-10-07", act("gang_rape", "adult", w.nukhba.ID)),
		newIncident("Kibbutz Be'eri", w.israel.ID, "2023-10-07", act("sexual_violence_against_corpse", "adult", w.qassam.ID)),
		newIncident("Hostage in Gaza", w.israel.ID, "2023-11-20", act("sexual_assault", "child", w.hamas.ID)),
		newIncident("El Geneina", w.sudan.ID, "2023-06-15", act("rape", "child", w.rsf.ID), act("forced_nudity", "adult", "")),
		newIncident("Ardamata camp", w.sudan.ID, "2023-11-04", act("rape", "adult", w.rsf.ID)),
		newIncident("Checkpoint near Wad Madani", w.sudan.ID, "2024-01-10", act("sexual_slavery", "adult", "")),
	}
	bodies[3]["summary"] = "Women attacked in the الجنينة market"
	bodies[3]["place"] = map[string]any{"name": "El Geneina", "admin_area": "West Darfur"}
	bodies[4]["status"] = "draft"
	month := newIncident("Month only", w.sudan.ID, "2023-11", act("rape", "adult", w.rsf.ID))
	month["date"] = map[string]any{"start": "2023-11", "precision": "month"}
	unknown := newIncident("Date unknown", "", "", act("forced_marriage", "child", ""))
	unknown["date"] = map[string]any{"precision": "unknown"}
	bodies = append(bodies, month, unknown)
	ids := map[string]string{}
	for _, b := range bodies {
		var in incident.Incident
		c.post("/api/v1/incidents", b).expect(t, http.StatusCreated).decode(t, &in)
		ids[in.Title] = in.ID
	}
	return ids
}

func TestIncidentFilters(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c := newClient(t, d)
		w := c.world(t)
		c.filterWorld(t, w)
		all := []string{"Ardamata camp", "Checkpoint near Wad Madani", "Date unknown", "El Geneina", "Hostage in Gaza",
			"Kibbutz Be'eri", "Month only", "Nova festival"}
		tests := []struct {
			name, query string
			want        []string
		}{
			{"none", "", all},
			{"situation", "situation=" + w.sudan.ID, []string{"Ardamata camp", "Checkpoint near Wad Madani", "El Geneina", "Month only"}},
			{"party includes units", "party=" + w.hamas.ID, []string{"Hostage in Gaza", "Kibbutz Be'eri", "Nova festival"}},
			{"unit", "party=" + w.qassam.ID, []string{"Kibbutz Be'eri", "Nova festival"}},
			{"leaf unit", "party=" + w.nukhba.ID, []string{"Nova festival"}},
			{"violation type includes sub-forms", "violation_type=rape", []string{"Ardamata camp", "El Geneina", "Month only", "Nova festival"}},
			{"sub-form alone", "violation_type=gang_rape", []string{"Nova festival"}},
			{"family of other forms", "violation_type=other_sexual_violence", []string{"El Geneina", "Hostage in Gaza", "Kibbutz Be'eri"}},
			{"age group", "age_group=child", []string{"Date unknown", "El Geneina", "Hostage in Gaza"}},
			{"same act", "age_group=child&party=" + w.rsf.ID, []string{"El Geneina"}},
			{"same act, not across acts", "age_group=adult&violation_type=rape&party=" + w.rsf.ID, []string{"Ardamata camp", "Month only"}},
			{"from", "from=2023-11-01", []string{"Ardamata camp", "Checkpoint near Wad Madani", "Hostage in Gaza", "Month only"}},
			{"to", "to=2023-10-31", []string{"El Geneina", "Kibbutz Be'eri", "Nova festival"}},
			{"period overlapping a month", "from=2023-11-10&to=2023-11-12", []string{"Month only"}},
			{"status", "status=draft", []string{"Ardamata camp"}},
			{"text", "q=kibbutz", []string{"Kibbutz Be'eri"}},
			{"text in place", "q=darfur", []string{"El Geneina"}},
			{"arabic text", "q=" + url.QueryEscape("الجنينة"), []string{"El Geneina"}},
			{"combined", "situation=" + w.israel.ID + "&from=2023-11-01", []string{"Hostage in Gaza"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var page incidentPage
				c.get("/api/v1/incidents?"+tt.query).expect(t, http.StatusOK).decode(t, &page)
				var got []string
				for _, in := range page.Incidents {
					got = append(got, in.Title)
				}
				slices.Sort(got)
				if !slices.Equal(got, tt.want) {
					t.Errorf("got %q, want %q", got, tt.want)
				}
				if page.Total != len(tt.want) || page.TotalCapped || page.Next != nil {
					t.Errorf("total %d capped %v next %v, want %d on one page", page.Total, page.TotalCapped, page.Next, len(tt.want))
				}
			})
		}
	})
}

func TestIncidentListParameters(t *testing.T) {
	c := newClient(t, dbtest.SQLite(t))
	tests := []struct {
		query string
		want  []string
	}{
		{"limit=0", []string{"limit:out_of_range"}},
		{"limit=501", []string{"limit:out_of_range"}},
		{"limit=ten", []string{"limit:invalid_number"}},
		{"sort=newest", []string{"sort:not_allowed"}},
		{"violation_type=theft", []string{"violation_type:not_allowed"}},
		{"age_group=old", []string{"age_group:not_allowed"}},
		{"status=closed", []string{"status:not_allowed"}},
		{"from=2023-13-01", []string{"from:invalid_date"}},
		{"from=2024-01-01&to=2023-01-01", []string{"to:end_before_start"}},
		{"situation=sudan", []string{"situation:invalid_id"}},
		{"party=rsf", []string{"party:invalid_id"}},
		{"cursor=abc", []string{"cursor:invalid_cursor"}},
		{"q=" + strings.Repeat("a", 501), []string{"q:too_long"}},
		{"page=2", []string{"page:unknown_parameter"}},
		{"status=draft&status=verified", []string{"status:repeated_parameter"}},
		{"sort=x&limit=0&colour=red", []string{"colour:unknown_parameter", "limit:out_of_range", "sort:not_allowed"}},
	}
	for _, tt := range tests {
		t.Run(tt.query[:min(len(tt.query), 40)], func(t *testing.T) {
			p := c.get("/api/v1/incidents?"+tt.query).expect(t, http.StatusBadRequest).problem(t)
			got := fieldCodes(p)
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("errors %v, want %v", got, tt.want)
			}
			if p.Type != typeInvalidRequest {
				t.Errorf("type %q", p.Type)
			}
		})
	}
}

var nextRel = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

func TestIncidentPagination(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c := newClient(t, d)
		w := c.world(t)
		const n = 23
		want := map[string]bool{}
		for i := range n {
			// Several share a date and a title, so ties must be broken stably.
			body := newIncident(fmt.Sprintf("Incident %d", i%4), w.sudan.ID, fmt.Sprintf("2024-%02d-01", 1+i%5),
				act("rape", "adult", w.rsf.ID))
			var in incident.Incident
			c.post("/api/v1/incidents", body).expect(t, http.StatusCreated).decode(t, &in)
			want[in.ID] = true
		}
		for _, sort := range incident.Sorts {
			t.Run(string(sort), func(t *testing.T) {
				seen := map[string]bool{}
				var order []incident.Incident
				path := "/api/v1/incidents?limit=5&sort=" + url.QueryEscape(string(sort))
				pages := 0
				for path != "" {
					pages++
					if pages > 10 {
						t.Fatal("pagination does not end")
					}
					res := c.get(path).expect(t, http.StatusOK)
					var page incidentPage
					res.decode(t, &page)
					if page.Total != n {
						t.Errorf("total %d, want %d", page.Total, n)
					}
					for _, in := range page.Incidents {
						if seen[in.ID] {
							t.Errorf("incident %s on two pages", in.ID)
						}
						seen[in.ID] = true
						order = append(order, in)
					}
					link := res.header.Get("Link")
					if page.Next == nil {
						if link != "" {
							t.Errorf("Link %q on the last page", link)
						}
						path = ""
						continue
					}
					if len(page.Incidents) != 5 {
						t.Errorf("a page before the last holds %d", len(page.Incidents))
					}
					m := nextRel.FindStringSubmatch(link)
					if m == nil {
						t.Fatalf("Link header %q", link)
					}
					u, _ := url.Parse(m[1])
					if u.Query().Get("cursor") != *page.Next || u.Query().Get("sort") != string(sort) || u.Query().Get("limit") != "5" {
						t.Errorf("Link %q does not carry the cursor and the other parameters", link)
					}
					path = m[1]
				}
				if pages != 5 || len(seen) != n {
					t.Errorf("%d pages, %d incidents; want 5 pages, %d", pages, len(seen), n)
				}
				for id := range want {
					if !seen[id] {
						t.Errorf("incident %s missing from every page", id)
					}
				}
				if !slices.IsSortedFunc(order, compareFor(sort)) {
					t.Errorf("pages out of %s order", sort)
				}
			})
		}
	})
}

// compareFor orders incidents as the sort promises, ties broken by ID.
func compareFor(s incident.Sort) func(a, b incident.Incident) int {
	key := func(in incident.Incident) string {
		switch s {
		case incident.NewestFirst, incident.OldestFirst:
			return in.Date.Start
		case incident.RecentlyEdited:
			return db.FormatTime(in.UpdatedAt)
		case incident.ByTitle:
			return in.Title
		}
		return in.ID
	}
	desc := strings.HasPrefix(string(s), "-")
	return func(a, b incident.Incident) int {
		c := strings.Compare(key(a), key(b))
		if c == 0 {
			c = strings.Compare(a.ID, b.ID)
		}
		if desc {
			return -c
		}
		return c
	}
}
