package api

import (
	"strings"

	"github.com/dossier-org/dossier/internal/authz"
)

// securitySchemes are the two ways to name the caller: an API token, or the
// session cookie of a browser logged in to the web interface.
func securitySchemes() obj {
	return obj{
		"bearer": obj{"type": "http", "scheme": "bearer", "bearerFormat": "dsr_…",
			"description": "An API token (dossier token create --user NAME): \"Authorization: Bearer dsr_…\". " +
				"It grants what both its scope and its user's current role allow, never the sight of identities, " +
				"and only the user's cases."},
		"session": obj{"type": "apiKey", "in": "cookie", "name": "__Host-dossier_session",
			"description": "The session cookie of the web interface (dossier_session on a server reached over plain " +
				"http on this computer). A request with it that changes anything must come from the same origin."},
	}
}

var operationMethods = []string{"get", "put", "post", "patch", "delete", "head", "options"}

// accessPaths writes each operation's entry of the access table into the
// document: who may call it, the 401 and 403 answers when not, and no
// security requirement for a public operation. An operation missing from
// the table is left as it is: the access-matrix test names it.
func accessPaths(paths obj) {
	rules := authz.Table()
	for path, item := range paths {
		for _, method := range operationMethods {
			op, ok := item.(obj)[method].(obj)
			if !ok {
				continue
			}
			rule, ok := rules[strings.ToUpper(method)+" "+Prefix+path]
			if !ok {
				continue
			}
			op["x-dossier-access"] = rule.Describe()
			if rule.Public {
				op["security"] = []any{}
				continue
			}
			rs := op["responses"].(obj)
			rs["401"] = problemResponse("Nobody is logged in: no session cookie or API token, or one that has ended.")
			rs["403"] = problemResponse("The caller's role lacks a permission the operation needs (" + rule.Describe() +
				"), or a browser sent a state-changing request from another site.")
			if rule.Record != authz.NoRecord {
				rs["404"] = problemResponse("No " + string(rule.Record) + " has this ID within the caller's cases " +
					"(one outside them is answered exactly as one that does not exist).")
			}
		}
	}
}
