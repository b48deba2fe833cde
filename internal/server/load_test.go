package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/server"
)

// TestConcurrentLoad runs many authenticated requests at once — reads and
// writes through the API and the pages, logins and logouts — against one
// server, so that the race detector can watch the whole request path:
//
//	go test -race -run TestConcurrentLoad ./internal/server/
//
// Under load nothing fails, nobody reaches another case's incident, and
// every write that was answered is in the store.
func TestConcurrentLoad(t *testing.T) {
	s := newSite(t, dbtest.SQLite(t), server.Options{BehindProxy: true})
	s.user("admin", account.Administrator)
	darfur, october := s.newCase("Darfur 2023"), s.newCase("7 October 2023")
	secret := &incident.Incident{Title: "Another case's incident", CaseID: october.ID}
	if err := s.a.Incidents.Create(s.ctx, secret); err != nil {
		t.Fatal(err)
	}

	const workers, rounds = 8, 12
	type worker struct {
		name, password, token string
	}
	ws := make([]worker, workers)
	for i := range ws {
		role := account.Investigator
		if i%4 == 3 {
			role = account.Analyst
		}
		u, password := s.user(fmt.Sprintf("worker%d", i), role, darfur)
		ws[i] = worker{name: u.Name, password: password, token: s.token(u)}
	}

	var created, failures atomic.Int64
	fail := func(format string, args ...any) {
		failures.Add(1)
		t.Errorf(format, args...)
	}
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() {
			bearer := "Bearer " + w.token
			// Each worker comes from its own address, as the proxy says.
			ip := fmt.Sprintf("192.0.2.%d", i+1)
			writer := i%4 != 3
			for round := range rounds {
				// Log in, use the pages, log out.
				if round%4 == 0 {
					c := s.browser()
					form := url.Values{"name": {w.name}, "password": {w.password}}
					r := s.do(c, "POST", "/login", strings.NewReader(form.Encode()),
						"Content-Type", "application/x-www-form-urlencoded", "X-Forwarded-For", ip)
					if r.status != http.StatusSeeOther {
						fail("%s: login %d", w.name, r.status)
						continue
					}
					if r := s.do(c, "GET", "/incidents", nil); r.status != http.StatusOK {
						fail("%s: /incidents %d", w.name, r.status)
					}
					if r := s.do(c, "GET", "/incidents/"+secret.ID, nil); r.status != http.StatusNotFound {
						fail("%s: another case's incident page %d", w.name, r.status)
					}
					if writer {
						form := url.Values{"title": {fmt.Sprintf("Filed by %s in round %d", w.name, round)}, "case_id": {darfur.ID},
							"date.precision": {"unknown"}, "context": {"unknown"}, "status": {"draft"}}
						r := s.do(c, "POST", "/incidents/new", strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
						if r.status != http.StatusSeeOther {
							fail("%s: the incident form %d %.300s", w.name, r.status, r.body)
						} else {
							created.Add(1)
						}
					}
					if r := s.do(c, "POST", "/logout", nil); r.status != http.StatusSeeOther {
						fail("%s: logout %d", w.name, r.status)
					}
					if r := s.do(c, "GET", "/incidents", nil); r.status != http.StatusSeeOther {
						fail("%s: /incidents after logout %d", w.name, r.status)
					}
				}
				// The API with a token.
				r := s.do(nil, "GET", "/api/v1/incidents?limit=5", nil, "Authorization", bearer)
				if r.status != http.StatusOK {
					fail("%s: list %d", w.name, r.status)
				}
				var page struct{ Incidents []incident.Incident }
				json.Unmarshal(r.body, &page)
				for _, in := range page.Incidents {
					if in.CaseID != darfur.ID {
						fail("%s: the list holds %q of another case", w.name, in.Title)
					}
				}
				if r := s.do(nil, "GET", "/api/v1/incidents/"+secret.ID, nil, "Authorization", bearer); r.status != http.StatusNotFound {
					fail("%s: another case's incident %d", w.name, r.status)
				}
				body := fmt.Sprintf(`{"title": "API write by %s, round %d", "case_id": %q}`, w.name, round, darfur.ID)
				r = s.do(nil, "POST", "/api/v1/incidents", strings.NewReader(body), "Authorization", bearer, "Content-Type", "application/json")
				switch {
				case writer && r.status == http.StatusCreated:
					created.Add(1)
				case writer:
					fail("%s: create %d %s", w.name, r.status, r.body)
				case r.status != http.StatusForbidden:
					fail("%s (analyst): create %d", w.name, r.status)
				}
			}
		})
	}
	wg.Wait()
	if failures.Load() > 0 {
		return
	}
	page, err := s.a.Incidents.List(record.RestrictToCases(s.ctx, []string{darfur.ID}), incident.Filter{Limit: incident.MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	if int64(page.Total) != created.Load() {
		t.Errorf("%d incidents in the case, %d creations answered", page.Total, created.Load())
	}
	t.Logf("%d workers × %d rounds: %d incidents written", workers, rounds, created.Load())
}
