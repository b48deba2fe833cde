package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/incident"
)

// FuzzReadJSON feeds arbitrary bodies to the strict decoder: it must never
// panic, must answer every refusal with a problem, and what it accepts must
// decode cleanly into the record.
func FuzzReadJSON(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"title": "x"}`, `{"title": 5}`, `{"acts": [{"victim": {"count": 1e400}}]}`,
		`{"acts": [{"perpetrators": [{"party_id": null}]}]}`, `{"place": {"latitude": null, "longitude": -0.5}}`,
		`{"version": 3, "id": "x", "created_at": "2024-01-01T00:00:00Z"}`, `{"titel": "x"}`, `[`, `null`, `{} {}`,
		`{"date": {"start": "2024-03", "precision": "month"}, "acts": null}`, "{\"title\": \"\u0000\"}",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, rules := range []bodyRules{createRules(), updateRules()} {
			req := httptest.NewRequest("POST", "/api/v1/incidents", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			var in incident.Incident
			_, err := readJSON(httptest.NewRecorder(), req, &in, rules)
			if err != nil {
				var p *problem
				if !errors.As(err, &p) || p.Status < 400 || p.Status >= 500 {
					t.Fatalf("refusal of %q is not a client problem: %v", body, err)
				}
				if p.Status == http.StatusBadRequest && p.Type == typeInvalidRequest && len(p.Errors) == 0 {
					t.Fatalf("invalid request without errors for %q", body)
				}
				continue
			}
			if _, err := json.Marshal(in); err != nil {
				t.Fatalf("accepted %q but cannot encode it: %v", body, err)
			}
		}
	})
}
