package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/seal"
	"github.com/dossier-org/dossier/internal/survivor"
)

// Every name here is synthetic.
const (
	webName      = "Samira Synthetica Veldhollow"
	webTestimony = "At the Veldhollow checkpoint the soldiers in green uniforms stopped the minibus"
)

// survivorSite is the interface over a Dossier with a sealer, seen by one
// principal (nil: nobody logged in).
type survivorSite struct {
	t *testing.T
	a *app.App
	h http.Handler
}

func newSurvivorSite(t *testing.T, d *db.DB) *survivorSite {
	t.Helper()
	sealer, err := seal.Open(context.Background(), d, "", seal.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(d).WithSealer(sealer)
	h, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	return &survivorSite{t: t, a: a, h: h}
}

var (
	webInvestigator = &account.Principal{User: account.User{Name: "farah"}, Role: account.Investigator, SeeIdentities: true,
		Permissions: []account.Permission{account.ReadRecords, account.WriteRecords, account.SeeIdentities}}
	webAnalyst = &account.Principal{User: account.User{Name: "omar"}, Role: account.Analyst,
		Permissions: []account.Permission{account.ReadRecords}}
)

func (s *survivorSite) do(p *account.Principal, req *http.Request) response {
	s.t.Helper()
	if p != nil {
		req = req.WithContext(account.WithPrincipal(req.Context(), p))
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return response{status: rec.Code, header: rec.Result().Header, body: string(b)}
}

func (s *survivorSite) get(p *account.Principal, path, lang string) response {
	s.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept-Language", lang)
	return s.do(p, req)
}

func (s *survivorSite) post(p *account.Principal, path, lang string, form url.Values) response {
	s.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", lang)
	return s.do(p, req)
}

// location is where a redirect leads.
func location(t *testing.T, r response) string {
	t.Helper()
	if r.status != http.StatusSeeOther {
		t.Fatalf("status %d, want a redirect; body:\n%s", r.status, excerpt(r.body))
	}
	return r.header.Get("Location")
}

func TestSurvivorPages(t *testing.T) {
	s := newSurvivorSite(t, dbtest.SQLite(t))
	ctx := record.WithActor(context.Background(), "test")
	in := &incident.Incident{Title: "Checkpoint on the synthetic road", Date: record.Date{Start: "2024-01-05"},
		Acts: []incident.Act{{ViolationType: incident.SexualAssault, Victim: incident.Victim{Code: "SYN-0042"}}}}
	if err := s.a.Incidents.Create(ctx, in); err != nil {
		t.Fatal(err)
	}

	// Adding a survivor with a sealed identity.
	form := url.Values{"code": {"SYN-0042"}, "sex": {"female"}, "age_group": {"adult"}, "interviewer_sex": {"female"},
		"languages": {"ar, fr"}, "contact_by": {"protection_adviser"}, "contact_how": {"in_person"}, "synthetic": {"true"},
		"identity.name": {webName}}
	// Without the grant, the identity is refused and nothing is stored.
	r := s.post(webAnalyst, "/survivors/new", "en", form)
	r.wantStatus(t, http.StatusForbidden)
	r.contains(t, "needs the “see identities” permission")
	path := location(t, s.post(webInvestigator, "/survivors/new", "en", form))
	if !strings.HasPrefix(path, "/survivors/") {
		t.Fatalf("redirected to %s", path)
	}

	// The page shows facts, preferences, consent, acts — never the name.
	page := s.get(webInvestigator, path, "en")
	page.wantStatus(t, http.StatusOK)
	page.contains(t, "SYN-0042", "Synthetic: made up", "Sealed — hidden", "A women’s protection adviser", "Checkpoint on the synthetic road",
		"No consent recorded", `id="show-identity"`)
	page.lacks(t, "Veldhollow")
	if cc := page.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	// An analyst sees the record, no way to show the identity.
	analyst := s.get(webAnalyst, path, "en")
	analyst.contains(t, "SYN-0042", "needs the “see identities” permission")
	analyst.lacks(t, `id="show-identity"`, "Veldhollow")
	r = s.post(webAnalyst, path+"/reveal", "en", url.Values{"field": {"name"}, "purpose": {"Curious about who this is"}})
	r.wantStatus(t, http.StatusForbidden)
	r.lacks(t, "Veldhollow")

	// Showing the identity asks for a purpose, and records the read.
	r = s.post(webInvestigator, path+"/reveal", "en", url.Values{"field": {"name"}, "purpose": {"short"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.lacks(t, "Veldhollow")
	r = s.post(webInvestigator, path+"/reveal", "fr", url.Values{"field": {"name"}, "purpose": {"Preparing the referral to the legal clinic"}})
	r.wantStatus(t, http.StatusOK)
	r.contains(t, webName, "Cette consultation est enregistrée")
	reads := s.get(webInvestigator, path+"/reads", "en")
	reads.contains(t, "Preparing the referral to the legal clinic", "user:farah", "Shown")

	// Consent.
	r = s.post(webInvestigator, path+"/consent", "en", url.Values{"consent.use": {"documentation"}, "consent.decision": {"given"},
		"consent.on": {"2024-03-01"}, "consent.language": {"ar"}, "consent.taken_by": {"WPA Darfur 2"}})
	location(t, r)
	r = s.post(webInvestigator, path+"/consent", "en", url.Values{"consent.use": {"media"}, "consent.decision": {"withdrawn"},
		"consent.on": {"2024-03-01"}, "consent.language": {"ar"}, "consent.taken_by": {"WPA"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, "There is no consent to this use to withdraw.")
	s.get(webInvestigator, path, "en").contains(t, "Given on")

	// An interview: the preferences come first; completion waits for the safeguards.
	newIv := s.get(webInvestigator, path+"/interviews/new", "en")
	newIv.contains(t, "Before the interview: the survivor asked for", "A woman")
	newIv.lacks(t, `id="earlier-interviews"`)
	ivForm := url.Values{"held_on": {"2024-03-02"}, "interviewer": {"Investigator Farah"}, "interviewer_sex": {"female"},
		"language": {"ar"}, "place": {"partner clinic"}, "safeguard": {"care_available"}, "testimony": {webTestimony}, "op": {"complete"}}
	r = s.post(webInvestigator, path+"/interviews/new", "fr", ivForm)
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, "Non confirmé par la personne chargée de l’entretien.", "Un lieu sûr et privé")
	ivForm.Set("op", "save")
	ivPath := location(t, s.post(webInvestigator, path+"/interviews/new", "en", ivForm))
	iv := s.get(webInvestigator, ivPath, "en")
	iv.contains(t, "mandatory safeguards are not met", `data-safeguard="safe_private_place" data-met="false"`, `id="show-testimony"`)
	iv.lacks(t, "Veldhollow")
	r = s.post(webInvestigator, ivPath+"/complete", "en", url.Values{"version": {"1"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, "A safe and private place")
	edit := url.Values{"version": {"1"}, "held_on": {"2024-03-02"}, "interviewer": {"Investigator Farah"}, "interviewer_sex": {"female"},
		"language": {"ar"}, "place": {"partner clinic"}, "op": {"save"}}
	for _, sg := range survivor.Confirmable {
		edit.Add("safeguard", string(sg))
	}
	location(t, s.post(webInvestigator, ivPath+"/edit", "en", edit))
	location(t, s.post(webInvestigator, ivPath+"/complete", "en", url.Values{"version": {"2"}}))
	s.get(webInvestigator, ivPath, "en").contains(t, `<span id="interview-status">Complete</span>`)

	// The testimony, for a purpose.
	r = s.post(webInvestigator, ivPath+"/reveal", "ar", url.Values{"purpose": {"Drafting the witness statement"}})
	r.wantStatus(t, http.StatusOK)
	r.contains(t, webTestimony)

	// A second interview warns and needs a reason.
	second := s.get(webInvestigator, path+"/interviews/new", "en")
	second.contains(t, `id="earlier-interviews"`, "This survivor was already interviewed once:")
	r = s.post(webInvestigator, path+"/interviews/new", "en", url.Values{"held_on": {"2024-05-02"}, "interviewer": {"Analyst"},
		"language": {"ar"}, "op": {"save"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, "This survivor was already interviewed: say why a further interview is needed.")

	// Search.
	r = s.post(webInvestigator, "/survivors/search", "en", url.Values{"query": {"veldhollow MINIBUS"}, "purpose": {"Pattern analysis of checkpoint incidents"}})
	r.wantStatus(t, http.StatusOK)
	r.contains(t, "Interviews found", "SYN-0042")
	r = s.post(webAnalyst, "/survivors/search", "en", url.Values{"query": {"veldhollow"}, "purpose": {"Pattern analysis of checkpoint incidents"}})
	r.wantStatus(t, http.StatusForbidden)

	// Erasure.
	r = s.post(webInvestigator, path+"/erase", "en", url.Values{"erase.reason": {"withdrawal"}, "erase.on": {"2024-06-01"},
		"erase.language": {"ar"}, "erase.taken_by": {"WPA"}, "erase.confirm": {"SYN-0041"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	location(t, s.post(webInvestigator, path+"/erase", "en", url.Values{"erase.reason": {"withdrawal"}, "erase.on": {"2024-06-01"},
		"erase.language": {"ar"}, "erase.taken_by": {"WPA"}, "erase.confirm": {"SYN-0042"}}))
	gone := s.get(webInvestigator, path, "en")
	gone.contains(t, "Full withdrawal of consent", "the key is destroyed", "Withdrawn on")
	gone.lacks(t, `id="show-identity"`, "Veldhollow")
	r = s.post(webInvestigator, ivPath+"/reveal", "en", url.Values{"purpose": {"Checking what remains after erasure"}})
	r.lacks(t, "Veldhollow")

	// The list, in every language; no page carries inline script or style.
	inline := regexp.MustCompile(`(?i)<script|<style|\sstyle=|\son[a-z]+=`)
	for _, lang := range []string{"en", "fr", "ar"} {
		for _, p := range []string{"/survivors", "/survivors/new", path, path + "/edit", path + "/reads", path + "/interviews/new", ivPath} {
			r := s.get(webInvestigator, p, lang)
			if r.status != http.StatusOK {
				t.Errorf("%s %s: %d", lang, p, r.status)
			}
			if m := inline.FindString(r.body); m != "" {
				t.Errorf("%s %s: inline %q", lang, p, m)
			}
			if strings.Contains(r.body, "survivor.") && regexp.MustCompile(`>survivor\.[a-z_.]+<`).MatchString(r.body) {
				t.Errorf("%s %s: an untranslated key shows", lang, p)
			}
		}
	}
}

// TestSurvivorFormsLabelEveryInput: each visible input is named by a label.
func TestSurvivorFormsLabelEveryInput(t *testing.T) {
	s := newSurvivorSite(t, dbtest.SQLite(t))
	ctx := record.WithActor(context.Background(), "test")
	sv := &survivor.Survivor{Code: "SYN-0001", AgeGroup: incident.Child, ChildAtInterview: true}
	if err := s.a.Survivors.Create(ctx, survivor.Administrator(ctx), sv, survivor.Identity{Name: webName}); err != nil {
		t.Fatal(err)
	}
	input := regexp.MustCompile(`<(input|select|textarea)\b([^>]*)>`)
	idAttr := regexp.MustCompile(`\sid="([^"]+)"`)
	for _, p := range []string{"/survivors", "/survivors/new", "/survivors/" + sv.ID, "/survivors/" + sv.ID + "/edit",
		"/survivors/" + sv.ID + "/interviews/new"} {
		body := s.get(webInvestigator, p, "en").body
		for _, m := range input.FindAllStringSubmatch(body, -1) {
			if strings.Contains(m[2], `type="hidden"`) {
				continue
			}
			id := idAttr.FindStringSubmatch(m[2])
			if id == nil {
				t.Errorf("%s: %s without an id", p, m[0])
				continue
			}
			if !strings.Contains(body, `<label for="`+id[1]+`"`) {
				t.Errorf("%s: no label for #%s", p, id[1])
			}
		}
	}
	// A child's interview offers the safeguards for children as mandatory.
	s.get(webInvestigator, "/survivors/"+sv.ID+"/interviews/new", "en").contains(t,
		`data-safeguard="guardian_or_best_interest" data-met="false"`, "A guardian consented")
}

// TestSurvivorKeysTranslated checks the keys the pages compute from values.
func TestSurvivorKeysTranslated(t *testing.T) {
	cats := mustCatalogs(t)
	for _, k := range survivorKeys() {
		for _, l := range languages {
			if _, ok := cats[l.Code][k]; !ok {
				t.Errorf("%s: missing %q", l.Code, k)
			}
		}
	}
}
