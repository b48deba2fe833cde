package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/db"
)

func (c *cli) tokenCommand() *cobra.Command {
	return group("token", "Create, list and revoke API tokens for scripts",
		c.tokenCreateCommand(),
		c.tokenListCommand(),
		c.tokenRevokeCommand(),
	)
}

// parseLifetime reads "90d", "12h" or "30m".
func parseLifetime(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(strings.TrimSpace(s), "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, usagef("--expires %q: give a number of days (90d) or hours (12h)", s)
}

func (c *cli) tokenCreateCommand() *cobra.Command {
	var userName, role, name, expires string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create --user NAME",
		Short: "Create an API token and print it once",
		Long: `Create an API token for a script acting as a user. The token is printed only
this once: Dossier keeps its hash. Scripts send it as
"Authorization: Bearer dsr_…". It may be scoped to a narrower role than the
user's (never a wider one), never sees identities, and ends when it expires,
when it is revoked, or when the user is disabled.`,
		Example: `  dossier token create --user bashir --role analyst --name "nightly export" --expires 30d`,
		Args:    noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if userName == "" {
				return usagef("--user is required: the user the token acts as")
			}
			var scope account.Role
			if role != "" {
				r, err := account.ParseRole(role)
				if err != nil {
					return accountError("the token", err)
				}
				scope = r
			}
			lifetime, err := parseLifetime(expires)
			if err != nil {
				return err
			}
			a, s, ctx, err := c.openAccounts(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			u, err := findUser(ctx, s, userName)
			if err != nil {
				return err
			}
			secret, tok, err := s.CreateToken(ctx, u.ID, scope, name, lifetime)
			if err != nil {
				return accountError("the token", err)
			}
			if asJSON {
				return writeJSON(c.stdout, struct {
					*account.Token
					Secret string `json:"token"`
				}{tok, secret})
			}
			fmt.Fprintf(c.stdout, "Created token %s for %s (role %s), valid until %s.\n", tok.ID, tok.UserName, tok.Role,
				formatTime(tok.ExpiresAt))
			fmt.Fprintf(c.stdout, "Token, shown only this once:\n  %s\n", secret)
			return nil
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&userName, "user", "", "the user (`NAME`) the token acts as")
	fl.StringVar(&role, "role", "", "scope the token to `ROLE` (default: the user's role)")
	fl.StringVar(&name, "name", "", "what the token is for (`TEXT`)")
	fl.StringVar(&expires, "expires", "90d", "how long the token lives (`DURATION`: 30d, 12h; at most 366d)")
	fl.BoolVar(&asJSON, "json", false, "print the token and its details as JSON")
	return cmd
}

func (c *cli) tokenListCommand() *cobra.Command {
	var userName string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List API tokens, newest first (never their secrets)",
		Args:  noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, s, ctx, err := c.openAccounts(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			userID := ""
			if userName != "" {
				u, err := findUser(ctx, s, userName)
				if err != nil {
					return err
				}
				userID = u.ID
			}
			tokens, err := s.Tokens(ctx, userID)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, nonNil(tokens))
			}
			if len(tokens) == 0 {
				fmt.Fprintln(c.stdout, "No API tokens: create one with 'dossier token create --user NAME'.")
				return nil
			}
			now := time.Now()
			t := newTable(c.stdout, "ID", "USER", "ROLE", "NAME", "STATUS", "EXPIRES", "LAST USED")
			for _, tok := range tokens {
				status := "active"
				switch {
				case !tok.RevokedAt.IsZero():
					status = "revoked"
				case !now.Before(tok.ExpiresAt):
					status = "expired"
				}
				t.row(tok.ID, tok.UserName, string(tok.Role), truncate(tok.Name, 30), status, formatTime(tok.ExpiresAt),
					formatTime(tok.LastUsedAt))
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s.\n", plural(len(tokens), "token", "tokens"))
			return nil
		}),
	}
	cmd.Flags().StringVar(&userName, "user", "", "only the tokens of the user `NAME`")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the tokens as JSON")
	return cmd
}

func (c *cli) tokenRevokeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API token for good",
		Args:  exactArgs("ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, s, ctx, err := c.openAccounts(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			tok, err := s.RevokeToken(ctx, args[0])
			if errors.Is(err, db.ErrNotFound) {
				return notFoundf("no API token has the ID %q (see 'dossier token list')", args[0])
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Revoked token %s of %s.\n", tok.ID, tok.UserName)
			return nil
		}),
	}
}
