package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

// TestAdminBrowser drives the administration in Chromium under the
// server's content security policy: an administrator adds a user (whose
// password is shown once), creates an API token for them (shown once),
// creates a case and makes the user a member — in English, then reads the
// pages in Arabic, right to left. The statistics form and an export's
// preview are photographed on the way.
func TestAdminBrowser(t *testing.T) {
	chromiumPath(t)
	e := newEnv(t, dbtest.SQLite(t))
	h, users := behindLogin(t, e.a)
	b := serveTo(t, withCSP(h))
	b.login(users[account.Administrator])

	b.wantText(".site-nav", "Administration")
	b.navigate("open the administration", chromedp.Click(chromedp.CSS(`.site-nav a[href="/admin/users"]`)))
	b.wantText("#users", "demo-admin", "demo-investigator")
	b.screenshot("admin-01-users-en")

	// A user, with a generated password shown once.
	b.navigate("add a user", chromedp.Click(chromedp.CSS(`a[href="/admin/users/new"]`)))
	b.do("fill the new user",
		chromedp.SendKeys(chromedp.CSS("#f-name"), "kofi"),
		chromedp.SendKeys(chromedp.CSS("#f-display_name"), "Kofi Mensah"),
		chromedp.SetValue(chromedp.CSS("#f-role"), "investigator"))
	b.screenshot("admin-02-user-new-en")
	b.navigate("create the user", chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.wantText("#secret-warning", "Shown only this once", "Hand it to kofi in person now")
	password := b.text("#secret-value")
	if _, err := e.a.Accounts.Login(e.ctx, "kofi", password, "192.0.2.5"); err != nil {
		t.Errorf("the password shown does not log in: %v", err)
	}
	b.viewportShot("admin-03-password-once-en")
	b.navigate("back to the user", chromedp.Click(chromedp.CSS(`.button--primary[href^="/admin/users/"]`)))
	b.wantText("#user-facts", "Investigator", "Off: logins ask for the password only.")

	// An API token for a script, scoped narrower than the user.
	b.do("fill the token",
		chromedp.SendKeys(chromedp.CSS("#f-token_name"), "nightly export"),
		chromedp.SetValue(chromedp.CSS("#f-token_role"), "analyst"),
		chromedp.SetValue(chromedp.CSS("#f-expires_in_days"), "30"))
	b.navigate("create the token", chromedp.Click(chromedp.CSS("#create-token")))
	b.wantText("#secret-warning", "Copy it into the script that will use it now")
	token := b.text("#secret-value")
	if p, err := e.a.Accounts.AuthenticateToken(e.ctx, token); err != nil || p.User.Name != "kofi" || p.Role != account.Analyst {
		t.Errorf("the token shown: %+v, %v", p, err)
	}
	b.viewportShot("admin-04-token-once-en")
	b.navigate("back to the user", chromedp.Click(chromedp.CSS(`.button--primary[href^="/admin/users/"]`)))
	b.wantText("#token-table", "nightly export", "Analyst", "Active")
	if strings.Contains(b.text("main"), token) {
		t.Error("the user's page shows the token again")
	}
	b.screenshot("admin-05-user-en")

	// A case, and the user as its member.
	b.navigate("open the cases", chromedp.Click(chromedp.CSS(`.admin-tabs a[href="/admin/cases"], .breadcrumb a[href="/admin/users"]`)))
	b.open("/admin/cases")
	b.do("name the case",
		chromedp.SendKeys(chromedp.CSS("#f-case_name"), "Darfur 2023"),
		chromedp.SendKeys(chromedp.CSS("#f-description"), "Sexual violence in West Darfur, 2023"))
	b.navigate("create the case", chromedp.Click(chromedp.CSS("#create-case")))
	b.wantText(".notice--success", "The case was created.")
	b.wantText("h1", "Darfur 2023")
	kofi, err := e.a.Accounts.UserByName(e.ctx, "kofi")
	if err != nil {
		t.Fatal(err)
	}
	b.do("choose the member", chromedp.SetValue(chromedp.CSS("#f-user_id"), kofi.ID))
	b.navigate("add the member", chromedp.Click(chromedp.CSS("#add-member")))
	b.wantText(".notice--success", "The user is now a member of the case.")
	b.wantText("#member-table", "kofi", "Kofi Mensah", "Investigator")
	if cases, err := e.a.Accounts.CasesOf(e.ctx, kofi.ID); err != nil || len(cases) != 1 || cases[0].Name != "Darfur 2023" {
		t.Errorf("kofi's cases: %+v, %v", cases, err)
	}
	b.screenshot("admin-06-case-en")
	b.open("/admin/cases")
	b.wantText("#cases", "Darfur 2023", "West Darfur")
	b.screenshot("admin-07-cases-en")

	// In Arabic, right to left.
	b.navigate("switch to Arabic", chromedp.Click(chromedp.CSS(`.lang-switch button[value="ar"]`)))
	if dir := b.eval("document.documentElement.dir"); dir != "rtl" {
		t.Errorf("dir %q in Arabic", dir)
	}
	b.wantText("h1", "القضايا")
	b.screenshot("admin-08-cases-ar")
	b.open("/admin/users/" + kofi.ID)
	b.wantText("#user-facts", "محقق")
	b.wantText("#token-table", "nightly export", "نشط")
	b.screenshot("admin-09-user-ar")
	b.open("/admin/users/new")
	b.navigate("send an empty form", chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.wantText("#error-summary", "اسم الدخول")
	b.screenshot("admin-10-user-new-errors-ar")

	// The statistics form: threshold and situation.
	b.open("/statistics?rows=violation&cols=sex&threshold=10")
	b.wantText(".statistics__legend", "١٠")
	b.screenshot("admin-11-statistics-threshold-ar")
	b.navigate("switch to English", chromedp.Click(chromedp.CSS(`.lang-switch button[value="en"]`)))
	// The browser itself refuses a threshold under 3 in the form (min);
	// the server's own answer to one sent anyway:
	b.open("/statistics?rows=violation&cols=sex&threshold=2")
	b.wantText("#f-threshold-error", "Must be between 3 and 1,000.")
	b.screenshot("admin-12-statistics-threshold-error-en")

	// An export made for a use, as an investigator sees it before downloading.
	b.navigate("log out", chromedp.Click(chromedp.CSS(".account-menu__logout")))
	b.login(users[account.Investigator])
	b.open("/transfer")
	b.do("choose the use", chromedp.SetValue(chromedp.CSS("#f-for"), "un_sharing"))
	b.navigate("export as JSON", chromedp.Click(chromedp.CSS(`button[name="format"][value="json"]`)))
	b.wantText("#export-preview", "Before you download", "victim codes in this export will be left empty")
	b.screenshot("admin-13-export-preview-en")
	b.navigate("switch to Arabic", chromedp.Click(chromedp.CSS(`.lang-switch button[value="ar"]`)))
	b.wantText("#export-preview", "قبل التنزيل")
	b.screenshot("admin-14-export-preview-ar")

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		if strings.Contains(m, "Content Security Policy") || strings.Contains(m, "Refused to") {
			t.Errorf("the browser refused something under the CSP: %s", m)
		}
	}
}
