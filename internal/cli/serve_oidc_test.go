//go:build unix

package cli_test

import (
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/account/oidctest"
)

// TestServeOIDC starts "dossier serve" with single sign-on against a
// provider running in the test: discovery happens at start, and the
// console says what the operator chose.
func TestServeOIDC(t *testing.T) {
	idp := oidctest.Start(t, "dossier", "the client secret")
	t.Setenv("DOSSIER_OIDC_CLIENT_SECRET", "the client secret")
	out := serve(t, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--oidc-issuer", idp.Issuer,
		"--oidc-client-id", "dossier", "--oidc-redirect-url", "http://127.0.0.1:8080/login/oidc/callback",
		"--oidc-name", "Test IdP", "--oidc-trust-mfa")
	want := "Single sign-on with Test IdP (" + idp.Issuer + "): 0 identities linked; " +
		"the provider's second factor stands in for Dossier's when its ID token shows one.\n"
	if !strings.Contains(out, want) {
		t.Errorf("serve printed:\n%s\nwant the line:\n%s", out, want)
	}
	if strings.Contains(out, "the client secret") {
		t.Error("serve printed the client secret")
	}
}
