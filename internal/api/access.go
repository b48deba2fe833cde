package api

import (
	"net/http"
	"strings"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/authz"
)

// refusals answers the requests the access guard turns away, as problems.
// A record outside the caller's cases is "not found", exactly as one that
// does not exist.
type refusals struct{}

func (refusals) Refuse(w http.ResponseWriter, r *http.Request, why authz.Refusal, missing []account.Permission) {
	switch why {
	case authz.Unauthenticated:
		w.Header().Set("WWW-Authenticate", `Bearer realm="dossier"`)
		writeProblem(w, r, unauthenticated())
	case authz.Forbidden:
		names := make([]string, len(missing))
		for i, p := range missing {
			names[i] = string(p)
		}
		role := ""
		if p, ok := account.PrincipalFrom(r.Context()); ok {
			role = " (" + string(p.Role) + ")"
		}
		writeProblem(w, r, &problem{Type: typeForbidden, Title: "Forbidden", Status: http.StatusForbidden,
			Detail: "Your role" + role + " does not include the permission " + strings.Join(names, " and ") + "."})
	case authz.PasswordChangeRequired:
		writeProblem(w, r, passwordChangeRequired())
	case authz.SessionRequired:
		writeProblem(w, r, &problem{Type: typeForbidden, Title: "Forbidden", Status: http.StatusForbidden,
			Detail: "An API token may not do this: log in (a browser's session) to create a token."})
	case authz.NotFound:
		writeProblem(w, r, &problem{Type: typeNotFound, Title: "Not found", Status: http.StatusNotFound,
			Detail: "No record has this ID."})
	default:
		writeProblem(w, r, &problem{Type: typeForbidden, Title: "Forbidden", Status: http.StatusForbidden,
			Detail: "This route has no access rule yet, so nobody may use it."})
	}
}

func unauthenticated() *problem {
	return &problem{Type: typeUnauthenticated, Title: "Unauthenticated", Status: http.StatusUnauthorized,
		Detail: "Log in, or send an API token as \"Authorization: Bearer dsr_…\"."}
}

// CrossOriginRefused answers a state-changing request a browser sent from
// another site with the session cookie (cross-site request forgery).
func CrossOriginRefused(w http.ResponseWriter, r *http.Request) {
	writeProblem(w, r, &problem{Type: typeForbidden, Title: "Forbidden", Status: http.StatusForbidden,
		Detail: "A cross-origin request may not change anything with the session cookie; send an API token instead."})
}

// SetupRequired answers while the installation has no administrator: no
// data is served until one exists.
func SetupRequired(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "60")
	writeProblem(w, r, &problem{Type: typeSetupRequired, Title: "Setup required", Status: http.StatusServiceUnavailable,
		Detail: "This Dossier has no administrator yet, so it serves no data. On the server, run: " +
			"dossier user add NAME --role administrator"})
}
