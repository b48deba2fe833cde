package authz

import (
	"maps"

	"github.com/dossier-org/dossier/internal/account"
)

// The one table of who may use what. Keys are route patterns exactly as
// registered on their mux: "METHOD /path" (a pattern without a method
// answers every method). Permissions come from internal/account/role.go,
// which says which role holds which; docs/accounts.md has the table.
//
// Reference records (situations, parties, sources) are shared by every
// case: they describe the world, not a survivor. Incidents — with their acts,
// information links, history and court bundles — and the evidence linked to
// them belong to cases: their rules name the record in the path, which must
// lie within the caller's cases. Lists are cut to the caller's cases by the
// stores (record.RestrictToCases), so they need no such entry.

var (
	public   = Rule{Public: true}
	machine  = Rule{Machine: true}
	loggedIn = Rule{}
)

func need(perms ...account.Permission) Rule { return Rule{Permissions: perms} }

func (r Rule) on(kind RecordKind) Rule { r.Record = kind; return r }

// evenBeforePasswordChange: the route serves a caller who must first
// replace a generated password — the routes that replace it.
func (r Rule) evenBeforePasswordChange() Rule { r.DuringPasswordChange = true; return r }

// bySessionOnly: the route refuses API tokens.
func (r Rule) bySessionOnly() Rule { r.SessionOnly = true; return r }

var (
	readRecords    = need(account.ReadRecords)
	writeRecords   = need(account.WriteRecords)
	readEvidence   = need(account.ReadEvidence)
	manageEvidence = need(account.ManageEvidence)
	readAuditLog   = need(account.ReadAuditLog)
	// Disclosure-controlled counts (internal/stats): no record, no case beyond
	// the caller's, so advocates may have them too.
	readAggregates = need(account.ReadAggregates)
	// Accounts, cases and API tokens of others: administrators.
	manageUsers = need(account.ManageUsers)
	// Sealed survivor fields: the grant, on top of the record permission.
	readIdentities  = need(account.ReadRecords, account.SeeIdentities)
	writeIdentities = need(account.WriteRecords, account.SeeIdentities)
)

// table is every route of the server.
var table = map[string]Rule{
	// The server itself.
	"GET /healthz": public, // up or not, and the schema version: nothing of the record
	"GET /metrics": machine,
	// A partner's log asks this Dossier to cosign its checkpoint; the
	// request is checked by the partner's signature.
	"POST /witness/add-checkpoint": machine,

	// JSON API (internal/api).
	"GET /api/v1/openapi.json": public,
	"GET /api/v1/vocabularies": loggedIn,

	"GET /api/v1/incidents":                        readRecords,
	"POST /api/v1/incidents":                       writeRecords,
	"GET /api/v1/incidents/{id}":                   readRecords.on(Incident),
	"PUT /api/v1/incidents/{id}":                   writeRecords.on(Incident),
	"GET /api/v1/incidents/{id}/history":           readRecords.on(Incident),
	"GET /api/v1/incidents/{id}/history/{version}": readRecords.on(Incident),
	// A court bundle holds the incident and the evidence files linked to it.
	"GET /api/v1/incidents/{id}/bundle": need(account.ReadRecords, account.ReadEvidence).on(Incident),

	"GET /api/v1/parties":                        readRecords,
	"POST /api/v1/parties":                       writeRecords,
	"GET /api/v1/parties/{id}":                   readRecords,
	"PUT /api/v1/parties/{id}":                   writeRecords,
	"GET /api/v1/parties/{id}/units":             readRecords,
	"GET /api/v1/parties/{id}/history":           readRecords,
	"GET /api/v1/parties/{id}/history/{version}": readRecords,

	"GET /api/v1/situations":                        readRecords,
	"POST /api/v1/situations":                       writeRecords,
	"GET /api/v1/situations/{id}":                   readRecords,
	"PUT /api/v1/situations/{id}":                   writeRecords,
	"GET /api/v1/situations/{id}/history":           readRecords,
	"GET /api/v1/situations/{id}/history/{version}": readRecords,

	"GET /api/v1/sources":                        readRecords,
	"POST /api/v1/sources":                       writeRecords,
	"GET /api/v1/sources/{id}":                   readRecords,
	"PUT /api/v1/sources/{id}":                   writeRecords,
	"GET /api/v1/sources/{id}/history":           readRecords,
	"GET /api/v1/sources/{id}/history/{version}": readRecords,

	"POST /api/v1/import": writeRecords,
	"GET /api/v1/export":  readRecords, // the reference records and the incidents of the caller's cases

	"GET /api/v1/statistics": readAggregates, // counts of the caller's cases, small ones suppressed

	// Accounts, cases and tokens (internal/api/accounts.go). A token's
	// secret is answered once, by the route that creates it.
	"GET /api/v1/users":                        manageUsers,
	"POST /api/v1/users":                       manageUsers,
	"GET /api/v1/users/{id}":                   manageUsers,
	"PATCH /api/v1/users/{id}":                 manageUsers,
	"POST /api/v1/users/{id}/password":         manageUsers,
	"POST /api/v1/users/{id}/totp":             manageUsers,
	"DELETE /api/v1/users/{id}/totp":           manageUsers,
	"GET /api/v1/users/{id}/tokens":            manageUsers,
	"POST /api/v1/users/{id}/tokens":           manageUsers,
	"GET /api/v1/tokens":                       manageUsers,
	"POST /api/v1/tokens/{id}/revoke":          manageUsers,
	"GET /api/v1/users/{id}/oidc":              manageUsers, // identities at the single sign-on provider
	"POST /api/v1/users/{id}/oidc":             manageUsers,
	"POST /api/v1/users/{id}/oidc/unlink":      manageUsers,
	"GET /api/v1/cases":                        manageUsers,
	"POST /api/v1/cases":                       manageUsers,
	"GET /api/v1/cases/{id}":                   manageUsers,
	"POST /api/v1/cases/{id}/members":          manageUsers,
	"DELETE /api/v1/cases/{id}/members/{user}": manageUsers,
	// The caller's own account: the handlers reach only the caller's own
	// tokens and sessions (another's is not found).
	"GET /api/v1/account":                       loggedIn.evenBeforePasswordChange(), // says whether a change is due
	"POST /api/v1/account/password":             loggedIn.evenBeforePasswordChange(),
	"GET /api/v1/account/tokens":                loggedIn,
	"POST /api/v1/account/tokens":               loggedIn.bySessionOnly(), // no wider than the caller's role
	"POST /api/v1/account/tokens/{id}/revoke":   loggedIn,
	"GET /api/v1/account/sessions":              loggedIn,
	"POST /api/v1/account/sessions/{id}/revoke": loggedIn,

	// The audit log: its signed head and proofs are hashes, for anyone
	// logged in who must check a bundle or a checkpoint; its entries say
	// who did what to which record, for auditors.
	"GET /api/v1/log":                       loggedIn,
	"GET /api/v1/log/checkpoint":            loggedIn,
	"POST /api/v1/log/checkpoints":          readAuditLog,
	"GET /api/v1/log/entries":               readAuditLog,
	"GET /api/v1/log/entries/{index}/proof": loggedIn,
	"GET /api/v1/log/consistency":           loggedIn,

	"GET /api/v1/evidence":                        readEvidence,
	"POST /api/v1/evidence":                       manageEvidence,
	"GET /api/v1/evidence/{id}":                   readEvidence.on(Evidence),
	"PATCH /api/v1/evidence/{id}":                 manageEvidence.on(Evidence),
	"GET /api/v1/evidence/{id}/content":           readEvidence.on(Evidence),
	"GET /api/v1/evidence/{id}/thumbnail":         readEvidence.on(Evidence),
	"GET /api/v1/evidence/{id}/custody":           readEvidence.on(Evidence),
	"POST /api/v1/evidence/{id}/custody":          manageEvidence.on(Evidence),
	"GET /api/v1/evidence/{id}/custody.csv":       readEvidence.on(Evidence),
	"GET /api/v1/evidence/{id}/history":           readEvidence.on(Evidence),
	"GET /api/v1/evidence/{id}/history/{version}": readEvidence.on(Evidence),

	// Survivors (internal/survivor): pseudonymous facts, consent and
	// interviews for readers and writers of the record; their sealed
	// identity and testimony only with the see-identities grant, which the
	// survivor store checks again on every read it records.
	"GET /api/v1/survivors":                                               readRecords,
	"POST /api/v1/survivors":                                              writeRecords,
	"POST /api/v1/survivors/search":                                       readIdentities,
	"GET /api/v1/survivors/{id}":                                          readRecords,
	"PUT /api/v1/survivors/{id}":                                          writeRecords,
	"GET /api/v1/survivors/{id}/history":                                  readRecords,
	"GET /api/v1/survivors/{id}/history/{version}":                        readRecords,
	"PATCH /api/v1/survivors/{id}/identity":                               writeIdentities,
	"POST /api/v1/survivors/{id}/identity/reveal":                         readIdentities,
	"GET /api/v1/survivors/{id}/consent":                                  readRecords,
	"POST /api/v1/survivors/{id}/consent":                                 writeRecords,
	"GET /api/v1/survivors/{id}/interviews":                               readRecords,
	"POST /api/v1/survivors/{id}/interviews":                              writeRecords,
	"GET /api/v1/survivors/{id}/interviews/{interview}":                   readRecords,
	"PUT /api/v1/survivors/{id}/interviews/{interview}":                   writeRecords,
	"POST /api/v1/survivors/{id}/interviews/{interview}/complete":         writeRecords,
	"POST /api/v1/survivors/{id}/interviews/{interview}/testimony/reveal": readIdentities,
	"GET /api/v1/survivors/{id}/reads":                                    readAuditLog, // who read sealed fields, when, why
	"POST /api/v1/survivors/{id}/erase":                                   writeIdentities,

	// Web interface (internal/web): logging in and out, and the account.
	"GET /static/":                          public,
	"POST /language":                        public, // the login page switches language too
	"GET /login":                            public,
	"POST /login":                           public,
	"GET /login/code":                       public, // the second factor; needs the pending-login cookie
	"POST /login/code":                      public,
	"GET /login/oidc":                       public,   // single sign-on: off to the OpenID provider (404 when none is configured)
	"GET /login/oidc/callback":              public,   // back from the provider; needs the sign-in cookie and its state
	"POST /logout":                          public,   // ends whatever session the cookie names, if any
	"GET /account":                          loggedIn, // the caller's own tokens and sessions, as the API's
	"GET /account/password":                 loggedIn.evenBeforePasswordChange(),
	"POST /account/password":                loggedIn.evenBeforePasswordChange(),
	"POST /account/tokens":                  loggedIn.bySessionOnly(), // scoped no wider than the caller's role
	"POST /account/tokens/{id}/revoke":      loggedIn,
	"POST /account/sessions/{id}/revoke":    loggedIn,
	"GET /{$}":                              loggedIn, // to the first section the caller may use
	"/":                                     loggedIn, // any other path: "not found", once logged in
	"GET /incidents":                        readRecords,
	"GET /incidents/new":                    writeRecords,
	"POST /incidents/new":                   writeRecords,
	"GET /incidents/{id}":                   readRecords.on(Incident),
	"GET /incidents/{id}/edit":              writeRecords.on(Incident),
	"POST /incidents/{id}/edit":             writeRecords.on(Incident),
	"GET /incidents/{id}/history":           readRecords.on(Incident),
	"GET /incidents/{id}/history/{version}": readRecords.on(Incident),

	"GET /parties":                        readRecords,
	"GET /parties/new":                    writeRecords,
	"POST /parties/new":                   writeRecords,
	"GET /parties/{id}":                   readRecords,
	"GET /parties/{id}/edit":              writeRecords,
	"POST /parties/{id}/edit":             writeRecords,
	"GET /parties/{id}/history":           readRecords,
	"GET /parties/{id}/history/{version}": readRecords,

	"GET /situations":                        readRecords,
	"GET /situations/new":                    writeRecords,
	"POST /situations/new":                   writeRecords,
	"GET /situations/{id}":                   readRecords,
	"GET /situations/{id}/edit":              writeRecords,
	"POST /situations/{id}/edit":             writeRecords,
	"GET /situations/{id}/history":           readRecords,
	"GET /situations/{id}/history/{version}": readRecords,

	"GET /sources":                        readRecords,
	"GET /sources/new":                    writeRecords,
	"POST /sources/new":                   writeRecords,
	"GET /sources/{id}":                   readRecords,
	"GET /sources/{id}/edit":              writeRecords,
	"POST /sources/{id}/edit":             writeRecords,
	"GET /sources/{id}/history":           readRecords,
	"GET /sources/{id}/history/{version}": readRecords,

	"GET /statistics": readAggregates,

	// Administration (internal/web/admin*.go): accounts, tokens and cases.
	"GET /admin":                                   manageUsers,
	"GET /admin/users":                             manageUsers,
	"GET /admin/users/new":                         manageUsers,
	"POST /admin/users/new":                        manageUsers,
	"GET /admin/users/{id}":                        manageUsers,
	"POST /admin/users/{id}":                       manageUsers,
	"POST /admin/users/{id}/status":                manageUsers,
	"POST /admin/users/{id}/password":              manageUsers,
	"POST /admin/users/{id}/totp":                  manageUsers,
	"POST /admin/users/{id}/totp/remove":           manageUsers,
	"POST /admin/users/{id}/identities":            manageUsers,
	"POST /admin/users/{id}/tokens":                manageUsers,
	"POST /admin/users/{id}/tokens/{token}/revoke": manageUsers,
	"POST /admin/users/{id}/oidc":                  manageUsers,
	"POST /admin/users/{id}/oidc/unlink":           manageUsers,
	"GET /admin/cases":                             manageUsers,
	"POST /admin/cases":                            manageUsers,
	"GET /admin/cases/{id}":                        manageUsers,
	"POST /admin/cases/{id}/members":               manageUsers,
	"POST /admin/cases/{id}/members/{user}/remove": manageUsers,

	"GET /transfer":        readRecords,
	"POST /transfer":       writeRecords,
	"GET /transfer/export": readRecords,

	"GET /log":                    readAuditLog,
	"GET /log/key.txt":            loggedIn, // the log's public key
	"GET /log/checkpoint.txt":     loggedIn,
	"GET /log/checkpoints/{file}": loggedIn,
	"POST /log/checkpoints":       readAuditLog,
	"GET /log/entries":            readAuditLog,
	"GET /log/entries/{index}":    readAuditLog,
	"GET /verify":                 readAuditLog,
	"POST /verify":                readAuditLog,
	"POST /verify/checkpoint":     readAuditLog,

	"GET /survivors":                                       readRecords,
	"POST /survivors/search":                               readIdentities,
	"GET /survivors/new":                                   writeRecords,
	"POST /survivors/new":                                  writeRecords,
	"GET /survivors/{id}":                                  readRecords,
	"GET /survivors/{id}/edit":                             writeRecords,
	"POST /survivors/{id}/edit":                            writeRecords,
	"POST /survivors/{id}/reveal":                          readIdentities,
	"POST /survivors/{id}/consent":                         writeRecords,
	"POST /survivors/{id}/erase":                           writeIdentities,
	"GET /survivors/{id}/reads":                            readAuditLog,
	"GET /survivors/{id}/interviews/new":                   writeRecords,
	"POST /survivors/{id}/interviews/new":                  writeRecords,
	"GET /survivors/{id}/interviews/{interview}":           readRecords,
	"GET /survivors/{id}/interviews/{interview}/edit":      writeRecords,
	"POST /survivors/{id}/interviews/{interview}/edit":     writeRecords,
	"POST /survivors/{id}/interviews/{interview}/complete": writeRecords,
	"POST /survivors/{id}/interviews/{interview}/reveal":   readIdentities,

	"GET /evidence":                   readEvidence,
	"GET /evidence/new":               manageEvidence,
	"POST /evidence/new":              manageEvidence,
	"/uploads/":                       manageEvidence, // resumable uploads (tus): every method
	"GET /evidence/{id}":              readEvidence.on(Evidence),
	"POST /evidence/{id}/custody":     manageEvidence.on(Evidence),
	"POST /evidence/{id}/survivor":    manageEvidence.on(Evidence), // seals the files again: tying needs to reach the survivor, untying the grant (the store checks)
	"GET /evidence/{id}/custody":      readEvidence.on(Evidence),
	"GET /evidence/{id}/custody.csv":  readEvidence.on(Evidence),
	"GET /evidence/{id}/custody.html": readEvidence.on(Evidence),
	"GET /evidence/{id}/content":      readEvidence.on(Evidence),
	"GET /evidence/{id}/thumbnail":    readEvidence.on(Evidence),
}

// Table returns a copy of the table: route pattern → rule.
func Table() map[string]Rule { return maps.Clone(table) }
