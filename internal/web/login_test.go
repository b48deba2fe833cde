package web

import (
	"net/url"
	"strings"
	"testing"
)

// The account pages name roles and permissions by keys computed from their
// values: every one must be in every catalog.
func TestAccountCatalogKeys(t *testing.T) {
	cats := mustCatalogs(t)
	for _, key := range append(roleKeys(), permissionKeys()...) {
		for _, l := range languages {
			if m, ok := cats[l.Code][key]; !ok || m.Text == "" {
				t.Errorf("%s: no message %q", l.Code, key)
			}
		}
	}
}

// After logging in (or switching language) the browser goes back only to a
// path of this site.
func TestReturnTo(t *testing.T) {
	for _, c := range []struct{ next, want string }{
		{"/incidents?q=Nova", "/incidents?q=Nova"},
		{"/evidence/0190b5a4-7c7e-7b4e-9b0e-3c1a2b3c4d5e", "/evidence/0190b5a4-7c7e-7b4e-9b0e-3c1a2b3c4d5e"},
		{"", "/"},
		{"https://evil.example/", "/"},
		{"//evil.example/", "/"},
		{"/\\evil.example/", "/"},
		{"/\t/evil.example/", "/"},
		{"/%2F/evil.example", "/"}, // decodes to //evil.example: refused to be safe
		{"javascript:alert(1)", "/"},
		{"/login", "/"},
		{"/login/code?next=/x", "/"},
		{"/logout", "/"},
	} {
		if got := returnTo(c.next); got != c.want {
			t.Errorf("returnTo(%q) = %q, want %q", c.next, got, c.want)
		}
	}
}

// FuzzReturnTo: whatever a login form is sent as its next page, the
// browser is sent back to a path of this site.
func FuzzReturnTo(f *testing.F) {
	for _, s := range []string{"/incidents?q=x", "//evil.example", "/\\evil", "https://evil.example/", "/\t/evil", "/%2F%2Fevil", "", "/login"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := returnTo(next)
		if got != "/" && got != next {
			t.Fatalf("returnTo(%q) = %q: neither the path given nor the home page", next, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") ||
			strings.ContainsAny(got, "\\\t\r\n") {
			t.Fatalf("returnTo(%q) = %q leaves the site", next, got)
		}
	})
}
