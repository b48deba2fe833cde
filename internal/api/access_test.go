package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/authz"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
)

// credentials checks that a request carries what the security scheme the
// document names for it says: a bearer token or the session cookie.
func credentials(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "bearer":
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			return nil
		}
	case "session":
		if _, err := r.Cookie("__Host-dossier_session"); err == nil {
			return nil
		}
	}
	return errors.New("no " + in.SecuritySchemeName + " credentials")
}

// guardedClient calls the API behind access control as the server mounts
// it, with an API token of a user of the given role in one case.
func guardedClient(t *testing.T, a *app.App, role account.Role, c *account.Case) *client {
	t.Helper()
	ctx := record.WithActor(context.Background(), "cli:test")
	u, err := a.Accounts.AddUser(ctx, account.NewUser{Name: string(role), Role: role, Password: "a long password " + string(role)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Accounts.AddToCase(ctx, u.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	token, _, err := a.Accounts.CreateToken(ctx, u.ID, role, "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	h := a.Accounts.Authenticate(NewGuarded(a, authz.NewGuard(a, slog.New(slog.NewTextHandler(io.Discard, nil)))))
	return &client{t: t, a: a, h: h, authenticate: credentials, headers: []string{"Authorization", "Bearer " + token}}
}

// The answers of access control are documented: every exchange below is
// held to the OpenAPI document, credentials included.
func TestAccessAnswers(t *testing.T) {
	a := app.New(dbtest.SQLite(t))
	ctx := record.WithActor(context.Background(), "cli:test")
	mine, err := a.Accounts.CreateCase(ctx, "Darfur 2023", "")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := a.Accounts.CreateCase(ctx, "7 October 2023", "")
	if err != nil {
		t.Fatal(err)
	}
	outside := &incident.Incident{Title: "Elsewhere", CaseID: theirs.ID}
	if err := a.Incidents.Create(ctx, outside); err != nil {
		t.Fatal(err)
	}
	investigator := guardedClient(t, a, account.Investigator, mine)
	advocate := guardedClient(t, a, account.Advocate, mine)

	anonymous := &client{t: t, a: a, h: investigator.h}
	p := anonymous.get("/api/v1/incidents").expect(t, http.StatusUnauthorized).problem(t)
	if p.Type != typeUnauthenticated {
		t.Errorf("anonymous: %+v", p)
	}
	p = advocate.get("/api/v1/incidents").expect(t, http.StatusForbidden).problem(t)
	if p.Type != typeForbidden || !strings.Contains(p.Detail, "records:read") {
		t.Errorf("advocate: %+v", p)
	}
	p = investigator.get("/api/v1/incidents/"+outside.ID).expect(t, http.StatusNotFound).problem(t)
	if p.Type != typeNotFound {
		t.Errorf("another case's incident: %+v", p)
	}
	investigator.get("/api/v1/incidents/"+outside.ID+"/history").expect(t, http.StatusNotFound)
	anonymous.get("/api/v1/openapi.json").expect(t, http.StatusOK)

	var page incidentPage
	investigator.get("/api/v1/incidents").expect(t, http.StatusOK).decode(t, &page)
	if page.Total != 0 {
		t.Errorf("the list shows %d incidents of another case", page.Total)
	}

	// Writes: in one's own case, attributed to the user.
	res := investigator.post("/api/v1/incidents", map[string]any{"title": "No case"}).expect(t, http.StatusUnprocessableEntity)
	if codes := fieldCodes(res.problem(t)); len(codes) != 1 || codes[0] != "case_id:required" {
		t.Errorf("an incident of no case: %v", codes)
	}
	res = investigator.post("/api/v1/incidents", map[string]any{"title": "Theirs", "case_id": theirs.ID}).expect(t, http.StatusUnprocessableEntity)
	if codes := fieldCodes(res.problem(t)); len(codes) != 1 || codes[0] != "case_id:not_allowed" {
		t.Errorf("an incident in another's case: %v", codes)
	}
	var in incident.Incident
	investigator.post("/api/v1/incidents", map[string]any{"title": "Mine", "case_id": mine.ID}).expect(t, http.StatusCreated).decode(t, &in)
	if in.CaseID != mine.ID || in.CreatedBy != "user:investigator" {
		t.Errorf("created %+v", in.Meta)
	}

	// An import names the case its incidents go to.
	doc := `{"format": "dossier", "format_version": 1, "incidents": [{"title": "Imported"}]}`
	res = investigator.do(request{method: "POST", path: "/api/v1/import?case=" + theirs.ID, body: doc})
	if res.expect(t, http.StatusBadRequest); !strings.Contains(string(res.body), `"case"`) {
		t.Errorf("an import into another's case: %s", res.body)
	}
	investigator.do(request{method: "POST", path: "/api/v1/import", body: doc}).expect(t, http.StatusUnprocessableEntity)
	investigator.do(request{method: "POST", path: "/api/v1/import?case=" + mine.ID, body: doc}).expect(t, http.StatusOK)
	investigator.get("/api/v1/incidents").expect(t, http.StatusOK).decode(t, &page)
	if page.Total != 2 {
		t.Errorf("after the import the investigator sees %d incidents, want 2", page.Total)
	}
}
