package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/account/oidctest"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/server"
)

// Single sign-on through the whole server over https: the sign-in cookie
// and the session cookie carry the __Host- prefix and Secure, the
// callback's page carries the security headers, and nothing of the
// exchange reaches the log.
func TestSingleSignOn(t *testing.T) {
	ctx := record.WithActor(context.Background(), "cli:test")
	a := app.New(dbtest.SQLite(t))
	if _, err := a.Accounts.AddUser(ctx, account.NewUser{Name: "admin", Role: account.Administrator, Password: "correct horse battery admin"}); err != nil {
		t.Fatal(err)
	}
	u, err := a.Accounts.AddUser(ctx, account.NewUser{Name: "nadia", Role: account.Advocate, Password: "correct horse battery nadia"})
	if err != nil {
		t.Fatal(err)
	}
	idp := oidctest.Start(t, "dossier", "client secret")
	if _, err := a.Accounts.LinkOIDC(ctx, u.ID, idp.Issuer, "nadia@idp"); err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewUnstartedServer(nil)
	base := "https://" + srv.Listener.Addr().String()
	o, err := account.DiscoverOIDC(ctx, account.OIDCConfig{Issuer: idp.Issuer, ClientID: "dossier", ClientSecret: "client secret",
		RedirectURL: base + account.OIDCCallbackPath, DisplayName: "Org ID"})
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	h, err := server.New(a, server.Options{OIDC: o, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.StartTLS()
	defer srv.Close()

	client := srv.Client()
	client.Jar, _ = cookiejar.New(nil)
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	get := func(url string) (*http.Response, string) {
		t.Helper()
		res, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}

	if _, body := get(base + "/login"); !strings.Contains(body, "Sign in with Org ID") {
		t.Error("the login page offers no single sign-on")
	}
	idp.SignIn(oidctest.Login{Subject: "nadia@idp"})
	res, _ := get(base + "/login/oidc")
	cookie := strings.Join(res.Header.Values("Set-Cookie"), "; ")
	for _, want := range []string{"__Host-dossier_oidc=", "Secure", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("the sign-in cookie lacks %s: %s", want, cookie)
		}
	}
	res, _ = get(res.Header.Get("Location"))
	callback := res.Header.Get("Location")
	res, body := get(callback)
	if res.StatusCode != http.StatusOK || res.Header.Get("Refresh") != "0; url=/" {
		t.Fatalf("callback: %s, Refresh %q\n%s", res.Status, res.Header.Get("Refresh"), body)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"} {
		if res.Header.Get(h) == "" {
			t.Errorf("the callback's page lacks %s", h)
		}
	}
	if res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Error("the callback's page may tell the next site its URL, code included")
	}
	cookie = strings.Join(res.Header.Values("Set-Cookie"), "; ")
	for _, want := range []string{"__Host-dossier_session=", "Secure", "SameSite=Strict", "__Host-dossier_oidc=; Path=/; Max-Age=0"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("the callback's cookies lack %s: %s", want, cookie)
		}
	}
	if res, _ := get(base + "/"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/statistics" {
		t.Errorf("signed in, / sends to %s (%s), want the advocate's statistics", res.Header.Get("Location"), res.Status)
	}
	code := strings.SplitN(strings.SplitN(callback, "code=", 2)[1], "&", 2)[0]
	if strings.Contains(logs.String(), code) {
		t.Error("the server's log holds the authorization code")
	}
}
