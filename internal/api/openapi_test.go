package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
)

func TestOpenAPIDocument(t *testing.T) {
	doc, err := spec()
	if err != nil {
		t.Fatalf("the OpenAPI document does not load or validate: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q, want 3.x", doc.OpenAPI)
	}
	// Enumerations come from the domain: a sample.
	vt := doc.Components.Schemas["Act"].Value.Properties["violation_type"].Value.Enum
	if len(vt) != len(incident.ViolationTypes) {
		t.Errorf("Act.violation_type has %d values, the domain %d", len(vt), len(incident.ViolationTypes))
	}
}

// TestOpenAPIMatchesRoutes fails when a route is added without being
// documented, or documented without being served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc, err := spec()
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(dbtest.SQLite(t))
	var served []string
	for _, rt := range routes(a) {
		served = append(served, rt.method+" "+strings.TrimPrefix(rt.path, Prefix))
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	for _, s := range served {
		if !slices.Contains(documented, s) {
			t.Errorf("route %s is not in the OpenAPI document", s)
		}
	}
	for _, d := range documented {
		if !slices.Contains(served, d) {
			t.Errorf("the OpenAPI document describes %s, which is not served", d)
		}
	}

	// And the mux really dispatches every documented operation.
	h := New(a).(*handler)
	for _, d := range documented {
		method, path, _ := strings.Cut(d, " ")
		path = strings.NewReplacer("{id}", "0190b5a4-7c7e-7b4e-9b0e-3c1a2b3c4d5e", "{version}", "1").Replace(path)
		req := httptest.NewRequest(method, Prefix+path, nil)
		if _, pattern := h.mux.Handler(req); pattern == "" {
			t.Errorf("%s %s is documented but the mux does not route it", method, path)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	c := newClient(t, dbtest.SQLite(t))
	res := c.get("/api/v1/openapi.json").expect(t, http.StatusOK)
	doc := res.object(t)
	if doc["openapi"] != "3.0.3" {
		t.Errorf("openapi = %v", doc["openapi"])
	}
	if _, ok := doc["paths"].(map[string]any)["/incidents/{id}/history/{version}"]; !ok {
		t.Error("the served document lacks /incidents/{id}/history/{version}")
	}
}

// TestDocsCoverAPI keeps docs/api.md honest: it names every problem type
// and every vocabulary the API has.
func TestDocsCoverAPI(t *testing.T) {
	docs, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{typeInvalidRequest, typeMalformedJSON, typeValidation, typeNotFound, typeConflict,
		typeMethodNotAllowed, typeTooLarge, typeUnsupportedMedia, typeImportRejected, typeInternal,
		typeUnauthenticated, typeForbidden, typeSetupRequired} {
		name := strings.TrimPrefix(typ, "urn:dossier:problem:")
		if !bytes.Contains(docs, []byte("`"+name+"`")) {
			t.Errorf("docs/api.md does not explain the problem type %s", name)
		}
	}
	for name := range vocabularyList() {
		if !bytes.Contains(docs, []byte("`"+name+"`")) {
			t.Errorf("docs/api.md does not list the vocabulary %s", name)
		}
	}
}
