package web

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/authz"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/demo"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
)

// behindLogin serves a's pages behind access control, as the server does:
// the demo's cases and users are made, the record's incidents filed in the
// demo's cases (Sudan's in "Sudan 2022", the others in "7 October 2023"),
// and every page asks for a login. It returns the handler and the demo
// users' credentials by role.
func behindLogin(t *testing.T, a *app.App) (http.Handler, map[account.Role]demo.Credential) {
	t.Helper()
	ctx := record.WithActor(context.Background(), "test:seed")
	ids := map[string]string{}
	for _, name := range demo.Cases {
		c, err := a.Accounts.CreateCase(ctx, name, "")
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = c.ID
	}
	sudan := map[string]bool{}
	sits, err := a.Situations.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sits {
		sudan[s.ID] = s.Name == "Sudan"
	}
	var unfiled []*incident.Incident
	if err := a.Incidents.Each(ctx, func(in *incident.Incident) error {
		if in.CaseID == "" {
			unfiled = append(unfiled, in)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, in := range unfiled {
		in.CaseID = ids[demo.CaseOctober7]
		if sudan[in.SituationID] {
			in.CaseID = ids[demo.CaseSudan]
		}
		if err := a.Incidents.Update(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	creds, err := demo.Users(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	byRole := map[account.Role]demo.Credential{}
	for _, c := range creds {
		byRole[c.Role] = c
	}
	// The browser reaches the test server over plain http.
	opts := account.Options{InsecureCookies: true}
	if a.Sealer != nil {
		opts.Sealer = a.Sealer
	}
	accounts := account.NewStore(a.DB, opts)
	h, err := NewGuarded(a, Access{Guard: authz.NewGuard(a, nil), Accounts: accounts})
	if err != nil {
		t.Fatal(err)
	}
	return accounts.Authenticate(h), byRole
}

// login logs the browser in as a demo user through the login page, with a
// code from their authenticator when they have one.
func (b *browser) login(c demo.Credential) {
	b.t.Helper()
	b.open("/login")
	b.do("type the name and password",
		chromedp.SendKeys(chromedp.CSS("#login-name"), c.Name),
		chromedp.SendKeys(chromedp.CSS("#login-password"), c.Password))
	b.navigate("log in", chromedp.Click(chromedp.CSS(`.login__form button[type="submit"]`)))
	if c.TOTPSecret != "" {
		if !strings.Contains(b.location(), "/login/code") {
			b.t.Fatalf("%s was not asked for a code: %s", c.Name, b.location())
		}
		code, err := totp.GenerateCode(c.TOTPSecret, time.Now())
		if err != nil {
			b.t.Fatal(err)
		}
		b.do("type the code", chromedp.SendKeys(chromedp.CSS("#login-code"), code))
		b.navigate("send the code", chromedp.Click(chromedp.CSS(`.login__form button[type="submit"]`)))
	}
	if strings.Contains(b.location(), "/login") {
		b.t.Fatalf("%s is not logged in: %s, %q", c.Name, b.location(), b.text("main"))
	}
}

// viewportShot saves what the window shows. A page shorter than the window
// is captured this way: Chromium's full-page capture shifts a short right
// to left page sideways.
func (b *browser) viewportShot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// TestLoginBrowser logs in and out in Chromium under the server's content
// security policy: the login page in English and Arabic, a refused
// password, the second factor, the account menu and page, what a role
// may not open, and an incident of another case, which is not found.
func TestLoginBrowser(t *testing.T) {
	chromiumPath(t)
	e := newEnv(t, dbtest.SQLite(t))
	h, users := behindLogin(t, e.a)
	b := serveTo(t, withCSP(h))

	b.open("/incidents/" + e.nova.ID)
	if loc := b.location(); !strings.Contains(loc, "/login?next=%2Fincidents%2F"+e.nova.ID) {
		t.Fatalf("an anonymous visit was not sent to log in: %s", loc)
	}
	b.screenshot("login-01-login-en")

	analyst := users[account.Analyst]
	b.do("type a wrong password",
		chromedp.SendKeys(chromedp.CSS("#login-name"), analyst.Name),
		chromedp.SendKeys(chromedp.CSS("#login-password"), "not the password at all"))
	b.navigate("log in", chromedp.Click(chromedp.CSS(`.login__form button[type="submit"]`)))
	b.wantText("#login-error", "Wrong name or password")
	if got := b.eval(`document.querySelector("#login-password").value`); got != "" {
		t.Error("the refused password was sent back to the page")
	}
	b.screenshot("login-02-refused-en")

	// The analyst works on Sudan only: another case's incident is not found.
	b.login(analyst)
	b.wantText(".account-menu", "Demo analyst", "Analyst")
	b.wantText(".site-nav", "Incidents")
	b.open("/incidents")
	b.wantText("#result-count", "1 incident")
	b.screenshot("login-03-analyst-list-en")
	b.open("/incidents/" + e.nova.ID)
	b.wantText("h1", "Page not found")
	b.open("/incidents/new")
	b.wantText("main", "Not allowed", "Add and edit records")
	b.screenshot("login-04-not-allowed-en")
	b.navigate("log out", chromedp.Click(chromedp.CSS(".account-menu__logout")))
	b.wantText(".notice--success", "You are logged out.")
	b.open("/incidents")
	if !strings.Contains(b.location(), "/login") {
		t.Errorf("after logging out /incidents is at %s", b.location())
	}

	// The investigator passes the second factor and may see identities.
	b.navigate("switch to Arabic", chromedp.Click(chromedp.CSS(`.lang-switch button[value="ar"]`)))
	if dir := b.eval("document.documentElement.dir"); dir != "rtl" {
		t.Errorf("the login page runs %s in Arabic", dir)
	}
	b.wantText("h1", "تسجيل الدخول")
	b.viewportShot("login-05-login-ar")
	investigator := users[account.Investigator]
	b.do("type the investigator's name and password",
		chromedp.SendKeys(chromedp.CSS("#login-name"), investigator.Name),
		chromedp.SendKeys(chromedp.CSS("#login-password"), investigator.Password))
	b.navigate("log in", chromedp.Click(chromedp.CSS(`.login__form button[type="submit"]`)))
	b.wantText("h1", "التحقق بخطوتين")
	b.viewportShot("login-06-code-ar")
	code, err := totp.GenerateCode(investigator.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.do("type the code", chromedp.SendKeys(chromedp.CSS("#login-code"), code))
	b.navigate("send the code", chromedp.Click(chromedp.CSS(`.login__form button[type="submit"]`)))
	b.open("/account")
	b.wantText(".account-facts", "محقق", demo.CaseOctober7, demo.CaseSudan, "يمكنك رؤيتها في هذه الجلسة")
	b.screenshot("login-07-account-ar")
	b.navigate("switch to English", chromedp.Click(chromedp.CSS(`.lang-switch button[value="en"]`)))
	b.wantText(".account-facts", "Investigator", "You may see them in this session")
	b.screenshot("login-08-account-en")
	b.open("/incidents/" + e.nova.ID)
	b.wantText(".facts", demo.CaseOctober7)
	b.screenshot("login-09-incident-with-case-en")

	b.do("narrow the window", chromedp.EmulateViewport(390, 844))
	b.open("/incidents")
	if w := b.eval(`String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
		t.Errorf("the page with the account menu overflows a narrow screen sideways")
	}
	b.screenshot("login-10-narrow-en")

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		if strings.Contains(m, "Content Security Policy") || strings.Contains(m, "Refused to") {
			t.Errorf("the browser refused something under the CSP: %s", m)
		}
	}
}
