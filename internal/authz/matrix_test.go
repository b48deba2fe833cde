package authz_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/authz"
	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/seal"
	"github.com/dossier-org/dossier/internal/server"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
	"github.com/dossier-org/dossier/internal/survivor"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// The access matrix: who may use every route of the server, written out
// here by hand, apart from the table in routes.go that the server enforces,
// so that a change to either without the other fails.

const (
	administrator = account.Administrator
	investigator  = account.Investigator
	seaFocalPoint = account.SEAFocalPoint
	legalAdvisor  = account.LegalAdvisor
	analyst       = account.Analyst
	advocate      = account.Advocate
	auditor       = account.Auditor
	public        = account.Public
)

var (
	everyRole = []account.Role{administrator, investigator, seaFocalPoint, legalAdvisor, analyst, advocate, auditor, public}
	readers   = []account.Role{investigator, seaFocalPoint, legalAdvisor, analyst}
	writers   = []account.Role{investigator, seaFocalPoint}
	auditors  = []account.Role{administrator, auditor}
	// Those with aggregates:read: every role but the auditor and the public.
	aggregateReaders = []account.Role{administrator, investigator, seaFocalPoint, legalAdvisor, analyst, advocate}
	// Those who hold the see-identities grant in this test (with TOTP):
	// every role that may hold it.
	identityHolders = []account.Role{investigator, seaFocalPoint, legalAdvisor}
	// Those with users:manage.
	admins = []account.Role{administrator}
)

// expect is who may use a route.
type expect struct {
	anyone  bool           // public: the guard lets everyone through
	machine bool           // its own credentials: a person's make no difference
	roles   []account.Role // logged-in callers of these roles
	// identities: the caller must also see identities (a session that passed
	// the second factor; never an API token).
	identities bool
	// inCase: the route is about an incident or evidence item, which must be
	// in one of the caller's cases, else 404.
	inCase bool
	// sessionOnly: API tokens are refused (403), whatever their role.
	sessionOnly bool
}

func only(roles ...[]account.Role) expect {
	var all []account.Role
	for _, rs := range roles {
		all = append(all, rs...)
	}
	return expect{roles: all}
}

func (e expect) inCases() expect          { e.inCase = true; return e }
func (e expect) seeingIdentities() expect { e.identities = true; return e }
func (e expect) bySessionOnly() expect    { e.sessionOnly = true; return e }

var (
	anyone   = expect{anyone: true}
	machine  = expect{machine: true}
	loggedIn = expect{roles: everyRole}
)

// expectations: every route, by its pattern as registered.
var expectations = map[string]expect{
	"GET /healthz":                 anyone,
	"GET /metrics":                 machine,
	"POST /witness/add-checkpoint": machine,

	"GET /api/v1/openapi.json":                     anyone,
	"GET /api/v1/vocabularies":                     loggedIn,
	"GET /api/v1/incidents":                        only(readers),
	"POST /api/v1/incidents":                       only(writers),
	"GET /api/v1/incidents/{id}":                   only(readers).inCases(),
	"PUT /api/v1/incidents/{id}":                   only(writers).inCases(),
	"GET /api/v1/incidents/{id}/history":           only(readers).inCases(),
	"GET /api/v1/incidents/{id}/history/{version}": only(readers).inCases(),
	"GET /api/v1/incidents/{id}/bundle":            only(readers).inCases(),

	"GET /api/v1/parties":                        only(readers),
	"POST /api/v1/parties":                       only(writers),
	"GET /api/v1/parties/{id}":                   only(readers),
	"PUT /api/v1/parties/{id}":                   only(writers),
	"GET /api/v1/parties/{id}/units":             only(readers),
	"GET /api/v1/parties/{id}/history":           only(readers),
	"GET /api/v1/parties/{id}/history/{version}": only(readers),

	"GET /api/v1/situations":                        only(readers),
	"POST /api/v1/situations":                       only(writers),
	"GET /api/v1/situations/{id}":                   only(readers),
	"PUT /api/v1/situations/{id}":                   only(writers),
	"GET /api/v1/situations/{id}/history":           only(readers),
	"GET /api/v1/situations/{id}/history/{version}": only(readers),

	"GET /api/v1/sources":                        only(readers),
	"POST /api/v1/sources":                       only(writers),
	"GET /api/v1/sources/{id}":                   only(readers),
	"PUT /api/v1/sources/{id}":                   only(writers),
	"GET /api/v1/sources/{id}/history":           only(readers),
	"GET /api/v1/sources/{id}/history/{version}": only(readers),

	"POST /api/v1/import": only(writers),
	"GET /api/v1/export":  only(readers),

	"GET /api/v1/statistics": only(aggregateReaders),

	"GET /api/v1/users":                         only(admins),
	"POST /api/v1/users":                        only(admins),
	"GET /api/v1/users/{id}":                    only(admins),
	"PATCH /api/v1/users/{id}":                  only(admins),
	"POST /api/v1/users/{id}/password":          only(admins),
	"POST /api/v1/users/{id}/totp":              only(admins),
	"DELETE /api/v1/users/{id}/totp":            only(admins),
	"GET /api/v1/users/{id}/tokens":             only(admins),
	"POST /api/v1/users/{id}/tokens":            only(admins),
	"GET /api/v1/tokens":                        only(admins),
	"POST /api/v1/tokens/{id}/revoke":           only(admins),
	"GET /api/v1/users/{id}/oidc":               only(admins),
	"POST /api/v1/users/{id}/oidc":              only(admins),
	"POST /api/v1/users/{id}/oidc/unlink":       only(admins),
	"GET /api/v1/cases":                         only(admins),
	"POST /api/v1/cases":                        only(admins),
	"GET /api/v1/cases/{id}":                    only(admins),
	"POST /api/v1/cases/{id}/members":           only(admins),
	"DELETE /api/v1/cases/{id}/members/{user}":  only(admins),
	"GET /api/v1/account":                       loggedIn,
	"POST /api/v1/account/password":             loggedIn,
	"GET /api/v1/account/tokens":                loggedIn,
	"POST /api/v1/account/tokens":               loggedIn.bySessionOnly(),
	"POST /api/v1/account/tokens/{id}/revoke":   loggedIn,
	"GET /api/v1/account/sessions":              loggedIn,
	"POST /api/v1/account/sessions/{id}/revoke": loggedIn,

	"GET /api/v1/log":                       loggedIn,
	"GET /api/v1/log/checkpoint":            loggedIn,
	"POST /api/v1/log/checkpoints":          only(auditors),
	"GET /api/v1/log/entries":               only(auditors),
	"GET /api/v1/log/entries/{index}/proof": loggedIn,
	"GET /api/v1/log/consistency":           loggedIn,

	"GET /api/v1/evidence":                        only(readers),
	"POST /api/v1/evidence":                       only(writers),
	"GET /api/v1/evidence/{id}":                   only(readers).inCases(),
	"PATCH /api/v1/evidence/{id}":                 only(writers).inCases(),
	"GET /api/v1/evidence/{id}/content":           only(readers).inCases(),
	"GET /api/v1/evidence/{id}/thumbnail":         only(readers).inCases(),
	"GET /api/v1/evidence/{id}/custody":           only(readers).inCases(),
	"POST /api/v1/evidence/{id}/custody":          only(writers).inCases(),
	"GET /api/v1/evidence/{id}/custody.csv":       only(readers).inCases(),
	"GET /api/v1/evidence/{id}/history":           only(readers).inCases(),
	"GET /api/v1/evidence/{id}/history/{version}": only(readers).inCases(),

	"GET /api/v1/survivors":                                               only(readers),
	"POST /api/v1/survivors":                                              only(writers),
	"POST /api/v1/survivors/search":                                       only(identityHolders).seeingIdentities(),
	"GET /api/v1/survivors/{id}":                                          only(readers),
	"PUT /api/v1/survivors/{id}":                                          only(writers),
	"GET /api/v1/survivors/{id}/history":                                  only(readers),
	"GET /api/v1/survivors/{id}/history/{version}":                        only(readers),
	"PATCH /api/v1/survivors/{id}/identity":                               only(writers).seeingIdentities(),
	"POST /api/v1/survivors/{id}/identity/reveal":                         only(identityHolders).seeingIdentities(),
	"GET /api/v1/survivors/{id}/consent":                                  only(readers),
	"POST /api/v1/survivors/{id}/consent":                                 only(writers),
	"GET /api/v1/survivors/{id}/interviews":                               only(readers),
	"POST /api/v1/survivors/{id}/interviews":                              only(writers),
	"GET /api/v1/survivors/{id}/interviews/{interview}":                   only(readers),
	"PUT /api/v1/survivors/{id}/interviews/{interview}":                   only(writers),
	"POST /api/v1/survivors/{id}/interviews/{interview}/complete":         only(writers),
	"POST /api/v1/survivors/{id}/interviews/{interview}/testimony/reveal": only(identityHolders).seeingIdentities(),
	"GET /api/v1/survivors/{id}/reads":                                    only(auditors),
	"POST /api/v1/survivors/{id}/erase":                                   only(writers).seeingIdentities(),

	"GET /static/":                       anyone,
	"POST /language":                     anyone,
	"GET /login":                         anyone,
	"POST /login":                        anyone,
	"GET /login/code":                    anyone,
	"POST /login/code":                   anyone,
	"GET /login/oidc":                    anyone,
	"GET /login/oidc/callback":           anyone,
	"POST /logout":                       anyone,
	"GET /account":                       loggedIn,
	"GET /account/password":              loggedIn,
	"POST /account/password":             loggedIn,
	"POST /account/tokens":               loggedIn.bySessionOnly(),
	"POST /account/tokens/{id}/revoke":   loggedIn,
	"POST /account/sessions/{id}/revoke": loggedIn,
	"GET /{$}":                           loggedIn,
	"/":                                  loggedIn,

	"GET /incidents":                        only(readers),
	"GET /incidents/new":                    only(writers),
	"POST /incidents/new":                   only(writers),
	"GET /incidents/{id}":                   only(readers).inCases(),
	"GET /incidents/{id}/edit":              only(writers).inCases(),
	"POST /incidents/{id}/edit":             only(writers).inCases(),
	"GET /incidents/{id}/history":           only(readers).inCases(),
	"GET /incidents/{id}/history/{version}": only(readers).inCases(),

	"GET /parties":                        only(readers),
	"GET /parties/new":                    only(writers),
	"POST /parties/new":                   only(writers),
	"GET /parties/{id}":                   only(readers),
	"GET /parties/{id}/edit":              only(writers),
	"POST /parties/{id}/edit":             only(writers),
	"GET /parties/{id}/history":           only(readers),
	"GET /parties/{id}/history/{version}": only(readers),

	"GET /situations":                        only(readers),
	"GET /situations/new":                    only(writers),
	"POST /situations/new":                   only(writers),
	"GET /situations/{id}":                   only(readers),
	"GET /situations/{id}/edit":              only(writers),
	"POST /situations/{id}/edit":             only(writers),
	"GET /situations/{id}/history":           only(readers),
	"GET /situations/{id}/history/{version}": only(readers),

	"GET /sources":                        only(readers),
	"GET /sources/new":                    only(writers),
	"POST /sources/new":                   only(writers),
	"GET /sources/{id}":                   only(readers),
	"GET /sources/{id}/edit":              only(writers),
	"POST /sources/{id}/edit":             only(writers),
	"GET /sources/{id}/history":           only(readers),
	"GET /sources/{id}/history/{version}": only(readers),

	"GET /statistics": only(aggregateReaders),

	"GET /admin":                                   only(admins),
	"GET /admin/users":                             only(admins),
	"GET /admin/users/new":                         only(admins),
	"POST /admin/users/new":                        only(admins),
	"GET /admin/users/{id}":                        only(admins),
	"POST /admin/users/{id}":                       only(admins),
	"POST /admin/users/{id}/status":                only(admins),
	"POST /admin/users/{id}/password":              only(admins),
	"POST /admin/users/{id}/totp":                  only(admins),
	"POST /admin/users/{id}/totp/remove":           only(admins),
	"POST /admin/users/{id}/identities":            only(admins),
	"POST /admin/users/{id}/tokens":                only(admins),
	"POST /admin/users/{id}/tokens/{token}/revoke": only(admins),
	"POST /admin/users/{id}/oidc":                  only(admins),
	"POST /admin/users/{id}/oidc/unlink":           only(admins),
	"GET /admin/cases":                             only(admins),
	"POST /admin/cases":                            only(admins),
	"GET /admin/cases/{id}":                        only(admins),
	"POST /admin/cases/{id}/members":               only(admins),
	"POST /admin/cases/{id}/members/{user}/remove": only(admins),

	"GET /transfer":        only(readers),
	"POST /transfer":       only(writers),
	"GET /transfer/export": only(readers),

	"GET /log":                    only(auditors),
	"GET /log/key.txt":            loggedIn,
	"GET /log/checkpoint.txt":     loggedIn,
	"GET /log/checkpoints/{file}": loggedIn,
	"POST /log/checkpoints":       only(auditors),
	"GET /log/entries":            only(auditors),
	"GET /log/entries/{index}":    only(auditors),
	"GET /verify":                 only(auditors),
	"POST /verify":                only(auditors),
	"POST /verify/checkpoint":     only(auditors),

	"GET /survivors":                                       only(readers),
	"POST /survivors/search":                               only(identityHolders).seeingIdentities(),
	"GET /survivors/new":                                   only(writers),
	"POST /survivors/new":                                  only(writers),
	"GET /survivors/{id}":                                  only(readers),
	"GET /survivors/{id}/edit":                             only(writers),
	"POST /survivors/{id}/edit":                            only(writers),
	"POST /survivors/{id}/reveal":                          only(identityHolders).seeingIdentities(),
	"POST /survivors/{id}/consent":                         only(writers),
	"POST /survivors/{id}/erase":                           only(writers).seeingIdentities(),
	"GET /survivors/{id}/reads":                            only(auditors),
	"GET /survivors/{id}/interviews/new":                   only(writers),
	"POST /survivors/{id}/interviews/new":                  only(writers),
	"GET /survivors/{id}/interviews/{interview}":           only(readers),
	"GET /survivors/{id}/interviews/{interview}/edit":      only(writers),
	"POST /survivors/{id}/interviews/{interview}/edit":     only(writers),
	"POST /survivors/{id}/interviews/{interview}/complete": only(writers),
	"POST /survivors/{id}/interviews/{interview}/reveal":   only(identityHolders).seeingIdentities(),

	"GET /evidence":                   only(readers),
	"GET /evidence/new":               only(writers),
	"POST /evidence/new":              only(writers),
	"/uploads/":                       only(writers),
	"GET /evidence/{id}":              only(readers).inCases(),
	"POST /evidence/{id}/custody":     only(writers).inCases(),
	"POST /evidence/{id}/survivor":    only(writers).inCases(),
	"GET /evidence/{id}/custody":      only(readers).inCases(),
	"GET /evidence/{id}/custody.csv":  only(readers).inCases(),
	"GET /evidence/{id}/custody.html": only(readers).inCases(),
	"GET /evidence/{id}/content":      only(readers).inCases(),
	"GET /evidence/{id}/thumbnail":    only(readers).inCases(),
}

// caller is who a request is made as.
type caller struct {
	name      string
	role      account.Role // "" for nobody
	client    *http.Client // keeps the session cookie
	bearer    string       // an API token, instead of the session
	inCaseA   bool         // member of the case holding the records asked for
	sessionOK bool         // has a session that passed the second factor, if the role may
}

// world is a server with one user per role, an investigator outside the
// case, and records inside and outside the case.
type world struct {
	t   *testing.T
	srv *httptest.Server
	h   *server.Handler
	a   *app.App

	incidentA, incidentB string // in the users' case, and in another
	evidenceA, evidenceB string
	party, situation     string
	source, survivor     string
	// The user and case the account routes act on: nobody who calls, so
	// that resetting, disabling or re-enrolling them changes no caller.
	targetUser, targetCase string
}

func newWorld(t *testing.T) (*world, []*caller) {
	t.Helper()
	ctx := record.WithActor(context.Background(), "cli:test")
	dir := t.TempDir()
	d := dbtest.SQLite(t)
	blobs, err := blob.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(d).WithBlobs(blobs)
	if a.LogKey, err = audit.LoadKey(dir); err != nil {
		t.Fatal(err)
	}
	if a.WitnessKey, err = audit.LoadWitnessKey(dir); err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.Open(ctx, d, "", seal.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	a.WithSealer(sealer)
	h, err := server.New(a, server.Options{InsecureCookies: true, MetricsToken: "metrics-token",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, h: h, a: a, srv: httptest.NewServer(h)}
	t.Cleanup(w.srv.Close)

	caseA, err := a.Accounts.CreateCase(ctx, "Case A", "")
	must(t, err)
	caseB, err := a.Accounts.CreateCase(ctx, "Case B", "")
	must(t, err)
	sit := &situation.Situation{Name: "Sudan"}
	must(t, a.Situations.Create(ctx, sit))
	p := &party.Party{Name: "Rapid Support Forces", Type: party.StateAffiliatedMilitia}
	must(t, a.Parties.Create(ctx, p))
	src := &source.Source{Kind: source.UNReport, Title: "Report"}
	must(t, a.Sources.Create(ctx, src))
	inA := &incident.Incident{Title: "In case A", CaseID: caseA.ID, SituationID: sit.ID}
	must(t, a.Incidents.Create(ctx, inA))
	inB := &incident.Incident{Title: "In case B", CaseID: caseB.ID}
	must(t, a.Incidents.Create(ctx, inB))
	ingest := func(in *incident.Incident) string {
		// A picture, so that the item has a thumbnail to ask for.
		img := image.NewRGBA(image.Rect(0, 0, 64, 48))
		img.Set(1, 1, color.RGBA{R: 200, A: 255})
		var file bytes.Buffer
		must(t, png.Encode(&file, img))
		it := &evidence.Item{Filename: "photo.png", Links: []evidence.Link{{Kind: evidence.LinkIncident, ID: in.ID}}}
		_, err := a.Evidence.Ingest(ctx, &file, "", it)
		must(t, err)
		if it.Thumbnail == nil {
			t.Fatal("the test picture got no thumbnail")
		}
		return it.ID
	}
	sv := &survivor.Survivor{Code: "SYN-0001", Sex: incident.Female, AgeGroup: incident.Adult, Synthetic: true}
	must(t, a.Survivors.Create(ctx, survivor.Administrator(ctx), sv, survivor.Identity{}))
	w.incidentA, w.incidentB = inA.ID, inB.ID
	w.evidenceA, w.evidenceB = ingest(inA), ingest(inB)
	w.party, w.situation, w.source, w.survivor = p.ID, sit.ID, src.ID, sv.ID
	target, err := a.Accounts.AddUser(ctx, account.NewUser{Name: "target", Role: analyst, Password: "a long password for the target"})
	must(t, err)
	targetCase, err := a.Accounts.CreateCase(ctx, "Target case", "")
	must(t, err)
	w.targetUser, w.targetCase = target.ID, targetCase.ID

	var callers []*caller
	addUser := func(name string, role account.Role, c *account.Case) *caller {
		password := "a long password for " + name
		u, err := a.Accounts.AddUser(ctx, account.NewUser{Name: name, Role: role, Password: password})
		must(t, err)
		must(t, a.Accounts.AddToCase(ctx, u.ID, c.ID))
		secret := ""
		if role.MaySeeIdentities() {
			enrol, err := a.Accounts.EnrolTOTP(ctx, u.ID)
			must(t, err)
			secret = enrol.Secret
			_, err = a.Accounts.SetSeeIdentities(ctx, u.ID, true)
			must(t, err)
		}
		browser := w.login(name, password, secret)
		token, _, err := a.Accounts.CreateToken(ctx, u.ID, role, "matrix", time.Hour)
		must(t, err)
		callers = append(callers, &caller{name: name + " (session)", role: role, client: browser, inCaseA: c == caseA, sessionOK: true},
			&caller{name: name + " (API token)", role: role, client: w.client(), bearer: token, inCaseA: c == caseA})
		return callers[len(callers)-2]
	}
	for _, role := range everyRole {
		addUser(string(role), role, caseA)
	}
	addUser("outsider", investigator, caseB)
	return w, append(callers, &caller{name: "nobody", client: w.client()})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// client keeps cookies and shows redirects rather than following them.
func (w *world) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// login logs in through the web pages, with a TOTP code when secret is set.
func (w *world) login(name, password, secret string) *http.Client {
	w.t.Helper()
	c := w.client()
	res, err := c.PostForm(w.srv.URL+"/login", url.Values{"name": {name}, "password": {password}})
	must(w.t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		w.t.Fatalf("login %s: %s", name, res.Status)
	}
	if secret != "" {
		if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/login/code") {
			w.t.Fatalf("login %s: no second factor asked (%s)", name, loc)
		}
		code, err := totp.GenerateCode(secret, time.Now())
		must(w.t, err)
		res, err = c.PostForm(w.srv.URL+"/login/code", url.Values{"code": {code}})
		must(w.t, err)
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
			w.t.Fatalf("second factor of %s: %s %s", name, res.Status, res.Header.Get("Location"))
		}
	}
	return c
}

// path fills a route's pattern with IDs: records in the callers' case, or
// (outside) in the other one.
func (w *world) path(pattern string, outside bool) (method, path string) {
	method, path, found := strings.Cut(pattern, " ")
	if !found {
		method, path = "GET", pattern
	}
	switch path {
	case "/":
		return method, "/nowhere"
	case "/{$}":
		return method, "/"
	case "/static/":
		return method, "/static/account.css"
	case "/api/v1/statistics":
		return method, path + "?rows=violation&cols=sex"
	}
	id := ""
	switch {
	case strings.Contains(path, "/incidents/{id}"):
		id = pick(outside, w.incidentA, w.incidentB)
	case strings.Contains(path, "/evidence/{id}"):
		id = pick(outside, w.evidenceA, w.evidenceB)
	case strings.Contains(path, "/parties/{id}"):
		id = w.party
	case strings.Contains(path, "/situations/{id}"):
		id = w.situation
	case strings.Contains(path, "/sources/{id}"):
		id = w.source
	case strings.Contains(path, "/survivors/{id}"):
		id = w.survivor
	case strings.Contains(path, "/users/{id}"):
		id = w.targetUser
	case strings.Contains(path, "/cases/{id}"):
		id = w.targetCase
	default:
		// Tokens and sessions: one that does not exist, so that no caller
		// loses theirs; allowed is "not found", refused is 401 or 403.
		id = record.NewID()
	}
	path = strings.NewReplacer("{id}", id, "{user}", w.targetUser, "{token}", record.NewID(), "{version}", "1", "{interview}", record.NewID(), "{index}", "0",
		"{file}", "1.txt").Replace(path)
	return method, path
}

func pick(outside bool, in, out string) string {
	if outside {
		return out
	}
	return in
}

type answer struct {
	status   int
	location string
	body     string
}

func (w *world) do(c *caller, method, path string) answer {
	w.t.Helper()
	var body io.Reader
	contentType := ""
	if method != "GET" && method != "HEAD" {
		if strings.HasPrefix(path, "/api/") {
			body, contentType = strings.NewReader("{}"), "application/json"
		} else {
			body, contentType = strings.NewReader(""), "application/x-www-form-urlencoded"
		}
	}
	req, err := http.NewRequest(method, w.srv.URL+path, body)
	must(w.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	res, err := c.client.Do(req)
	must(w.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	return answer{status: res.StatusCode, location: res.Header.Get("Location"), body: string(b)}
}

// refusedAsAnonymous: the answer of a route that needs someone logged in.
func refusedAsAnonymous(api bool, method string, a answer) bool {
	if api {
		return a.status == http.StatusUnauthorized && strings.Contains(a.body, "urn:dossier:problem:unauthenticated")
	}
	if method == "GET" {
		return a.status == http.StatusSeeOther && strings.HasPrefix(a.location, "/login")
	}
	return a.status == http.StatusUnauthorized
}

func TestAccessMatrix(t *testing.T) {
	w, callers := newWorld(t)
	routes := w.h.Routes()
	table := authz.Table()

	// Every route the muxes registered has a rule and an expectation; every
	// expectation and rule is of a route that exists.
	registered := map[string]bool{}
	for _, rt := range routes {
		registered[rt.Pattern] = true
		if !rt.Declared {
			t.Errorf("route %q has no access rule: nobody may use it. Add it to the table in internal/authz/routes.go, e.g.\n\t%q: readRecords, // or writeRecords, readEvidence.on(Evidence), loggedIn, public …", rt.Pattern, rt.Pattern)
		}
		if _, ok := expectations[rt.Pattern]; !ok {
			t.Errorf("route %q has no entry in the access matrix. Add to expectations in internal/authz/matrix_test.go who may use it, e.g.\n\t%q: only(readers), // or only(writers), only(readers).inCases(), loggedIn, anyone …", rt.Pattern, rt.Pattern)
		}
	}
	for pattern := range expectations {
		if !registered[pattern] {
			t.Errorf("the access matrix expects route %q, which no mux registers: remove it from internal/authz/matrix_test.go", pattern)
		}
	}
	for pattern := range table {
		if !registered[pattern] {
			t.Errorf("internal/authz/routes.go declares %q, which no mux registers: remove it", pattern)
		}
	}

	// Logging out ends the session: it goes last.
	sort.SliceStable(routes, func(i, j int) bool { return routes[j].Pattern == "POST /logout" && routes[i].Pattern != "POST /logout" })
	checked := 0
	for _, rt := range routes {
		want, ok := expectations[rt.Pattern]
		if !ok {
			continue
		}
		api := strings.Contains(rt.Pattern, "/api/")
		var machineAnswer *answer
		for _, c := range callers {
			if c.bearer != "" && !api {
				continue // tokens are for the API
			}
			outsides := []bool{false}
			if want.inCase {
				outsides = append(outsides, true)
			}
			for _, outside := range outsides {
				method, path := w.path(rt.Pattern, outside)
				got := w.do(c, method, path)
				checked++
				where := fmt.Sprintf("%s %s (%s) as %s", method, path, rt.Pattern, c.name)
				switch {
				case want.machine:
					// A person's credentials make no difference.
					if machineAnswer == nil {
						machineAnswer = &got
					} else if got.status != machineAnswer.status {
						t.Errorf("%s: %d, but %d for another caller", where, got.status, machineAnswer.status)
					}
				case want.anyone:
					if got.status == http.StatusForbidden {
						t.Errorf("%s: 403 on a public route", where)
					}
				case c.role == "":
					if !refusedAsAnonymous(api, method, got) {
						t.Errorf("%s: %d %s, want it refused for want of a login", where, got.status, got.location)
					}
				default:
					allowed := slices.Contains(want.roles, c.role) && (!want.identities || (c.sessionOK && c.bearer == "")) &&
						(!want.sessionOnly || c.bearer == "")
					// The records of the first case, or of the other.
					reached := outside != c.inCaseA
					switch {
					case !allowed && got.status != http.StatusForbidden:
						t.Errorf("%s: %d, want 403", where, got.status)
					case allowed && want.inCase && !reached && got.status != http.StatusNotFound:
						t.Errorf("%s: %d for a record outside the caller's cases, want 404", where, got.status)
					case allowed && (got.status == http.StatusUnauthorized || got.status == http.StatusForbidden ||
						strings.HasPrefix(got.location, "/login")):
						t.Errorf("%s: %d %s, want it allowed", where, got.status, got.location)
					case allowed && want.inCase && reached && got.status == http.StatusNotFound:
						t.Errorf("%s: 404 for a record in the caller's case", where)
					}
				}
			}
		}
	}
	t.Logf("%d routes, %d callers, %d requests checked", len(routes), len(callers), checked)
}

// A user whose password was generated for them (a reset, a new account)
// may use nothing but the routes that replace it until they do: every
// other route refuses their session and their token alike — the API with a
// problem saying so, the web interface by sending them to the form.
func TestPasswordChangeGate(t *testing.T) {
	w, _ := newWorld(t)
	ctx := record.WithActor(context.Background(), "cli:test")
	a := w.a
	password := account.GeneratePassword()
	u, err := a.Accounts.AddUser(ctx, account.NewUser{Name: "newcomer", Role: investigator, Password: password, MustChangePassword: true})
	must(t, err)
	cases, err := a.Accounts.Cases(ctx)
	must(t, err)
	for _, c := range cases {
		must(t, a.Accounts.AddToCase(ctx, u.ID, c.ID))
	}
	token, _, err := a.Accounts.CreateToken(ctx, u.ID, "", "script", time.Hour)
	must(t, err)
	callers := []*caller{
		{name: "newcomer (session)", role: investigator, client: w.login("newcomer", password, "")},
		{name: "newcomer (API token)", role: investigator, client: w.client(), bearer: token},
	}
	table := authz.Table()
	routes := w.h.Routes()
	sort.SliceStable(routes, func(i, j int) bool { return routes[j].Pattern == "POST /logout" && routes[i].Pattern != "POST /logout" })
	open := 0
	for _, rt := range routes {
		rule := table[rt.Pattern]
		api := strings.Contains(rt.Pattern, "/api/")
		for _, c := range callers {
			if c.bearer != "" && !api {
				continue
			}
			method, path := w.path(rt.Pattern, false)
			got := w.do(c, method, path)
			where := fmt.Sprintf("%s %s as %s", method, path, c.name)
			held := got.status == http.StatusForbidden && strings.Contains(got.body, "urn:dossier:problem:password-change-required") ||
				got.status == http.StatusSeeOther && strings.HasPrefix(got.location, "/account/password") ||
				got.status == http.StatusForbidden && strings.Contains(got.body, `id="password-form"`)
			switch {
			case rule.Public || rule.Machine:
				if held {
					t.Errorf("%s: a public route held back for the password change", where)
				}
			case rule.DuringPasswordChange:
				open++
				if held || got.status == http.StatusUnauthorized || got.status == http.StatusForbidden {
					t.Errorf("%s: %d, want it open before the password change", where, got.status)
				}
			case !held:
				t.Errorf("%s: %d %s, want it held back until the password is changed", where, got.status, got.location)
			case api && got.status != http.StatusForbidden:
				t.Errorf("%s: %d, want 403", where, got.status)
			case !api && method == "GET" && got.location != "/account/password?next="+url.QueryEscape(path) && path != "/":
				t.Errorf("%s: sent to %q", where, got.location)
			}
		}
	}
	// GET /api/v1/account and POST /api/v1/account/password, by session
	// and by token; GET and POST /account/password, by session.
	if open != 6 {
		t.Errorf("%d requests reached the routes open during a password change, want 6", open)
	}
}
