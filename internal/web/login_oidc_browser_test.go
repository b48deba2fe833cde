package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/account/oidctest"
)

// waitFor waits a while for sel to show, failing with where the browser is.
func (b *browser) waitFor(what, sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		b.t.Fatalf("%s: %s did not show (at %s): %v", what, sel, b.location(), err)
	}
}

// TestLoginOIDCBrowser signs in with single sign-on in Chromium, under the
// server's content security policy, with the provider on another site
// (127.0.0.1) than Dossier (localhost), as a real provider is: the button
// on the login page, the provider's own page, the way back to the page
// first asked for with the SameSite=Strict session cookie, and the words
// an identity linked to nobody is shown.
func TestLoginOIDCBrowser(t *testing.T) {
	chromiumPath(t)
	s := newSSOSite(t, false)
	s.idp.Interactive = true
	s.user("ines", account.Analyst, "ines-at-idp")
	b := newBrowser(t, s.base)

	b.open("/incidents")
	if loc := b.location(); !strings.Contains(loc, "/login?next=%2Fincidents") {
		t.Fatalf("an anonymous visit was not sent to log in: %s", loc)
	}
	b.wantText("#login-sso", "Sign in with Test IdP")
	b.screenshot("login-oidc-01-button-en")

	s.idp.SignIn(oidctest.Login{Subject: "ines-at-idp"})
	b.navigate("follow the button", chromedp.Click(chromedp.CSS("#login-sso")))
	if loc := b.location(); !strings.HasPrefix(loc, s.idp.Issuer+"/authorize?") {
		t.Fatalf("the button led to %s, not the provider", loc)
	}
	b.navigate("sign in at the provider", chromedp.Click(chromedp.CSS("#approve")))
	b.waitFor("back from the provider", ".account-menu")
	if loc := b.location(); loc != s.base+"/incidents" {
		t.Errorf("signed in at %s, want %s/incidents", loc, s.base)
	}
	b.wantText(".account-menu", "ines", "Analyst")
	b.screenshot("login-oidc-02-signed-in-en")
	b.navigate("log out", chromedp.Click(chromedp.CSS(".account-menu__logout")))

	// An identity no administrator linked: refused, with its subject to pass on.
	s.idp.SignIn(oidctest.Login{Subject: "5f0c9a7e-3d21-4b8e-a6f4-0e1d2c3b4a59"})
	b.navigate("follow the button", chromedp.Click(chromedp.CSS("#login-sso")))
	b.navigate("sign in at the provider", chromedp.Click(chromedp.CSS("#approve")))
	b.waitFor("the refusal", "#login-error")
	b.wantText("#login-error", "This Test IdP identity is not linked to a Dossier account. Ask an administrator",
		"5f0c9a7e-3d21-4b8e-a6f4-0e1d2c3b4a59")
	b.screenshot("login-oidc-03-not-linked-en")

	b.navigate("switch to Arabic", chromedp.Click(chromedp.CSS(`.lang-switch button[value="ar"]`)))
	if loc := b.location(); loc != s.base+"/login" {
		t.Errorf("switching language went to %s, want the login page", loc)
	}
	b.wantText("#login-sso", "تسجيل الدخول عبر Test IdP")
	b.viewportShot("login-oidc-04-button-ar")

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		if strings.Contains(m, "Content Security Policy") || strings.Contains(m, "Refused to") {
			t.Errorf("the browser refused something under the CSP: %s", m)
		}
	}
}
