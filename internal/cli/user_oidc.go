package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// Single sign-on: the serve flags that configure it, and the commands that
// link identities at the provider to users.

// oidcSecretEnv names the environment variable holding the client secret
// registered with the OpenID provider; a flag would show it in the process
// list.
const oidcSecretEnv = "DOSSIER_OIDC_CLIENT_SECRET"

// ssoFlags are serve's single sign-on flags.
type ssoFlags struct {
	issuer, clientID, redirectURL, name string
	trustMFA                            bool
}

func (f *ssoFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.issuer, "oidc-issuer", "", "offer single sign-on with the OpenID provider of this issuer `URL` (client secret in "+oidcSecretEnv+")")
	fl.StringVar(&f.clientID, "oidc-client-id", "", "the client `ID` registered for Dossier with the provider")
	fl.StringVar(&f.redirectURL, "oidc-redirect-url", "", "the redirect `URL` registered with the provider: https://HOST"+account.OIDCCallbackPath)
	fl.StringVar(&f.name, "oidc-name", "", "the provider's `NAME` on the login page's button (its host name by default)")
	fl.BoolVar(&f.trustMFA, "oidc-trust-mfa", false, "let the provider's second factor, when its ID token shows one, stand in for Dossier's TOTP")
}

// config is the single sign-on configuration the flags give, or nil when
// none is asked for.
func (f *ssoFlags) config() (*account.OIDCConfig, error) {
	if f.issuer == "" && f.clientID == "" && f.redirectURL == "" {
		if f.name != "" || f.trustMFA {
			return nil, usagef("--oidc-name and --oidc-trust-mfa go with --oidc-issuer, --oidc-client-id and --oidc-redirect-url")
		}
		return nil, nil
	}
	var missing []string
	for _, m := range []struct{ flag, value string }{{"--oidc-issuer", f.issuer}, {"--oidc-client-id", f.clientID},
		{"--oidc-redirect-url", f.redirectURL}} {
		if m.value == "" {
			missing = append(missing, m.flag)
		}
	}
	if len(missing) > 0 {
		return nil, usagef("single sign-on needs --oidc-issuer, --oidc-client-id and --oidc-redirect-url together: give %s too",
			strings.Join(missing, " and "))
	}
	return &account.OIDCConfig{Issuer: f.issuer, ClientID: f.clientID, ClientSecret: os.Getenv(oidcSecretEnv),
		RedirectURL: f.redirectURL, DisplayName: f.name, TrustMFA: f.trustMFA}, nil
}

var oidcFlags = flagFor(map[string]string{"issuer": "--oidc-issuer", "client_id": "--oidc-client-id",
	"client_secret": oidcSecretEnv, "redirect_url": "--oidc-redirect-url", "display_name": "--oidc-name",
	"oidc_issuer": "--oidc-issuer", "oidc_subject": "--oidc-subject"})

// discoverOIDC reads the provider's discovery document at start, so that a
// provider out of reach or misconfigured stops the server with the reason
// rather than failing the first person who tries to sign in.
func (c *cli) discoverOIDC(ctx context.Context, a *app.App, cfg *account.OIDCConfig) (*account.OIDC, error) {
	if cfg == nil {
		return nil, nil
	}
	o, err := account.DiscoverOIDC(ctx, *cfg)
	if err != nil {
		if _, ok := record.AsErrors(err); ok {
			return nil, invalid("the single sign-on configuration", err, oidcFlags)
		}
		return nil, fmt.Errorf("single sign-on: %w", err)
	}
	links, err := account.NewStore(a.DB, account.Options{}).OIDCIdentities(ctx, "")
	if err != nil {
		return nil, err
	}
	n := 0
	for _, l := range links {
		if l.Issuer == o.Issuer() {
			n++
		}
	}
	mfa := "users with two-factor authentication still give their code"
	if o.TrustsMFA() {
		mfa = "the provider's second factor stands in for Dossier's when its ID token shows one"
	}
	fmt.Fprintf(c.stdout, "Single sign-on with %s (%s): %s linked; %s.\n", o.DisplayName(), o.Issuer(),
		plural(n, "identity", "identities"), mfa)
	return o, nil
}

func (c *cli) userLinkCommand() *cobra.Command {
	var issuer, subject string
	cmd := &cobra.Command{
		Use:   "link NAME --oidc-subject SUBJECT [--oidc-issuer URL]",
		Short: "Let an identity at the single sign-on provider log in as a user",
		Long: `Link an identity at an OpenID Connect provider to a user: signing in with it
then logs in as NAME, with NAME's role, cases and second factor. Nobody
logs in through single sign-on otherwise: no account is made on first
sign-in, and none is matched by e-mail address.

The subject is the provider's identifier for the person (the ID token's
"sub" claim). Someone whose identity is not linked is shown it on the
login page, to pass on; it is also in the server's log. The issuer is the
provider's URL exactly as 'dossier serve --oidc-issuer' gives it; without
--oidc-issuer, the one issuer already linked to anyone is taken.`,
		Example: `  dossier user link amal --oidc-subject 2f6c1d0e-8a4b-4c1e-9b7a-5d3e2f1a0b9c --oidc-issuer https://id.example.org/realms/ngo
  dossier user link bashir --oidc-subject 00u1a2b3c4d5e6f7g8h9`,
		Args: exactArgs("NAME"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(subject) == "" {
				return usagef("--oidc-subject is required: the provider's identifier for the person")
			}
			a, s, ctx, u, err := c.openUser(cmd, args[0])
			if err != nil {
				return err
			}
			defer a.Close()
			if issuer == "" {
				if issuer, err = onlyIssuer(ctx, s); err != nil {
					return err
				}
			}
			id, err := s.LinkOIDC(ctx, u.ID, issuer, subject)
			if err != nil {
				return invalid("the link", err, oidcFlags)
			}
			fmt.Fprintf(c.stdout, "Linked %s to the identity %s of %s: signing in with it logs in as %s.\n",
				u.Name, id.Subject, id.Issuer, u.Name)
			if u.TOTP {
				fmt.Fprintf(c.stdout, "%s still gives a two-factor code after signing in, unless the server trusts the provider's (--oidc-trust-mfa).\n", u.Name)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&subject, "oidc-subject", "", "the person's identifier at the provider (the ID token's sub claim), `SUBJECT`")
	cmd.Flags().StringVar(&issuer, "oidc-issuer", "", "the provider's issuer `URL` (by default the one issuer already linked)")
	return cmd
}

// onlyIssuer is the issuer every linked identity is of, when there is one.
func onlyIssuer(ctx context.Context, s *account.Store) (string, error) {
	links, err := s.OIDCIdentities(ctx, "")
	if err != nil {
		return "", err
	}
	var issuers []string
	for _, l := range links {
		if !slices.Contains(issuers, l.Issuer) {
			issuers = append(issuers, l.Issuer)
		}
	}
	switch len(issuers) {
	case 0:
		return "", usagef("--oidc-issuer is required for the first link: the provider's issuer URL, as 'dossier serve --oidc-issuer' gives it")
	case 1:
		return issuers[0], nil
	}
	return "", usagef("--oidc-issuer is required: identities of several issuers are linked (%s)", strings.Join(issuers, ", "))
}

func (c *cli) userUnlinkCommand() *cobra.Command {
	var issuer, subject string
	cmd := &cobra.Command{
		Use:   "unlink NAME [--oidc-subject SUBJECT] [--oidc-issuer URL]",
		Short: "Stop identities at the single sign-on provider logging in as a user; their sessions end",
		Long: `Remove the links between a user and identities at OpenID Connect providers:
all of them, or those of one subject or issuer. Every session of the user
ends, since a session does not record whether it began with single sign-on.
The user's password keeps working.`,
		Example: "  dossier user unlink amal\n  dossier user unlink amal --oidc-subject 2f6c1d0e-8a4b-4c1e-9b7a-5d3e2f1a0b9c",
		Args:    exactArgs("NAME"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, s, ctx, u, err := c.openUser(cmd, args[0])
			if err != nil {
				return err
			}
			defer a.Close()
			n, err := s.UnlinkOIDC(ctx, u.ID, issuer, subject)
			if errors.Is(err, db.ErrNotFound) {
				return notFoundf("%s has no linked identity like that (see 'dossier user show %s')", u.Name, u.Name)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Unlinked %s from %s; their sessions have ended.\n", plural(n, "identity", "identities"), u.Name)
			return nil
		}),
	}
	cmd.Flags().StringVar(&subject, "oidc-subject", "", "only the identity with this `SUBJECT`")
	cmd.Flags().StringVar(&issuer, "oidc-issuer", "", "only identities of this issuer `URL`")
	return cmd
}

// linkedIdentities maps user IDs to their linked identities.
func linkedIdentities(ctx context.Context, s *account.Store) (map[string][]account.OIDCIdentity, error) {
	links, err := s.OIDCIdentities(ctx, "")
	if err != nil {
		return nil, err
	}
	out := map[string][]account.OIDCIdentity{}
	for _, l := range links {
		out[l.UserID] = append(out[l.UserID], l)
	}
	return out, nil
}

// ssoSummary says in a table cell which identities a user is linked to.
func ssoSummary(links []account.OIDCIdentity) string {
	switch len(links) {
	case 0:
		return "-"
	case 1:
		return truncate(links[0].Subject, 24)
	}
	return plural(len(links), "identity", "identities")
}
