package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
)

// TestSurvivorBrowser drives the survivor's page in Chromium under the
// server's content security policy: the identity stays hidden until "show
// identity" is asked for with a purpose; the interview form shows the
// preferences first and the checklist refuses completion with the reason.
func TestSurvivorBrowser(t *testing.T) {
	chromiumPath(t)
	s := newSurvivorSite(t, dbtest.SQLite(t))
	ctx := record.WithActor(context.Background(), "test")
	sv := &survivor.Survivor{Code: "SYN-0042", Sex: incident.Female, AgeGroup: incident.Adult, Synthetic: true,
		Preferences: survivor.Preferences{InterviewerSex: survivor.FemaleInterviewer, Languages: []string{"ar"},
			ContactBy: []survivor.ContactRole{survivor.ByProtectionAdviser}, ContactHow: []survivor.Channel{survivor.InPerson}}}
	if err := s.a.Survivors.Create(ctx, survivor.Administrator(ctx), sv, survivor.Identity{Name: webName, Residence: "Synthetic Camp East, block 7"}); err != nil {
		t.Fatal(err)
	}
	if err := s.a.Survivors.RecordConsent(ctx, &survivor.Consent{SurvivorID: sv.ID, Use: survivor.Documentation, Decision: survivor.Given,
		On: "2024-03-01", Language: "ar", TakenBy: "WPA Darfur 2"}); err != nil {
		t.Fatal(err)
	}
	// The survivor is within the investigator's reach through an act of
	// their case (behindLogin files the incident in "7 October 2023").
	in := &incident.Incident{Title: "Synthetic incident behind SYN-0042", Date: record.Date{Precision: record.DateUnknown},
		Acts: []incident.Act{{ViolationType: "rape", Victim: incident.Victim{Code: "SYN-0042"}}}}
	if err := s.a.Incidents.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	h, users := behindLogin(t, s.a)
	b := serveTo(t, withCSP(h))
	investigator := users[account.Investigator]
	b.login(investigator)

	b.open("/survivors/" + sv.ID)
	if strings.Contains(b.text("main"), "Veldhollow") {
		t.Fatal("the identity shows before it is asked for")
	}
	b.wantText("#identity", "Sealed — hidden")
	b.screenshot("survivor-hidden")
	b.do("state a purpose", chromedp.SendKeys(chromedp.CSS("#f-purpose"), "Preparing the referral to the legal aid clinic"))
	b.navigate("show the identity", chromedp.Click(chromedp.CSS("#show-identity")))
	b.wantText("#identity", webName, "Synthetic Camp East, block 7")
	if strings.Contains(b.location(), "Veldhollow") || strings.Contains(b.location(), "purpose") {
		t.Errorf("the URL carries what was shown: %s", b.location())
	}
	b.screenshot("survivor-shown")

	// The interview form: preferences first; completion refused with the reason.
	b.open("/survivors/" + sv.ID + "/interviews/new")
	b.wantText("#preferences", "A woman", "Arabic")
	b.do("fill the interview",
		chromedp.SendKeys(chromedp.CSS("#f-interviewer"), "Investigator Farah"),
		chromedp.SetValue(chromedp.CSS("#f-interviewer_sex"), "male"),
		chromedp.Click(chromedp.CSS("#sg-care_available")),
		chromedp.SendKeys(chromedp.CSS("#f-testimony"), webTestimony),
	)
	b.navigate("save as complete", chromedp.Click(chromedp.CSS("#save-complete")))
	b.wantText("#error-summary", "A safe and private place", "Interviewer asked for: A woman; this interviewer is recorded as: Male.")
	b.screenshot("survivor-interview-refused")

	// In Arabic, right to left.
	b.navigate("switch to Arabic", chromedp.Click(chromedp.CSS(`button[name="lang"][value="ar"]`)))
	if dir := b.eval(`document.documentElement.dir`); dir != "rtl" {
		t.Errorf("dir %q in Arabic", dir)
	}
	b.open("/survivors/" + sv.ID)
	b.wantText("h1", "SYN-0042")
	b.wantText("#consent-table", "التوثيق")
	b.screenshot("survivor-ar")

	// Who read the identity, and why, is for auditors.
	b.navigate("log out", chromedp.Click(chromedp.CSS(".account-menu__logout")))
	b.login(users[account.Auditor])
	b.open("/survivors/" + sv.ID + "/reads")
	b.wantText("#reads", "Preparing the referral to the legal aid clinic", "user:"+investigator.Name)

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		// The refused form answers 422, which the console reports; nothing else may.
		if strings.Contains(m, "Content Security Policy") || (strings.Contains(strings.ToLower(m), "error") && !strings.Contains(m, "status of 422")) {
			t.Errorf("browser console: %s", m)
		}
	}
}
