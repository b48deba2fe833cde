package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/seal"
)

// The account commands work directly on the data directory (or database):
// whoever can run them can read the database anyway. Their writes are
// attributed to the person at the keyboard, as every CLI write is.

func (c *cli) userCommand() *cobra.Command {
	return group("user", "Add, list and manage user accounts, their roles, two-factor authentication and cases",
		c.userAddCommand(),
		c.userListCommand(),
		c.userShowCommand(),
		c.userDisableCommand(true),
		c.userDisableCommand(false),
		c.userResetPasswordCommand(),
		c.userRoleCommand(),
		c.userTOTPCommand(),
		c.userIdentitiesCommand(),
		c.userJoinCommand(),
		c.userLeaveCommand(),
		c.userCasesCommand(),
		c.userLinkCommand(),
		c.userUnlinkCommand(),
	)
}

// openAccounts opens the data and its account store.
func (c *cli) openAccounts(cmd *cobra.Command) (*app.App, *account.Store, context.Context, error) {
	a, ctx, err := c.open(cmd)
	if err != nil {
		return nil, nil, nil, err
	}
	return a, account.NewStore(a.DB, account.Options{}), ctx, nil
}

// openUser opens the data and its account store, as openAccounts does, and
// finds the user called name there.
func (c *cli) openUser(cmd *cobra.Command, name string) (*app.App, *account.Store, context.Context, *account.User, error) {
	a, s, ctx, err := c.openAccounts(cmd)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	u, err := findUser(ctx, s, name)
	if err != nil {
		a.Close()
		return nil, nil, nil, nil, err
	}
	return a, s, ctx, u, nil
}

func findUser(ctx context.Context, s *account.Store, name string) (*account.User, error) {
	u, err := s.UserByName(ctx, name)
	if errors.Is(err, db.ErrNotFound) {
		return nil, notFoundf("no user is called %q (see 'dossier user list')", name)
	}
	return u, err
}

// accountError gives account rules that refuse a change the exit code of
// invalid input, naming the flag for a field where there is one.
func accountError(what string, err error) error {
	if errors.Is(err, account.ErrLastAdministrator) || errors.Is(err, account.ErrNoTOTP) {
		return &exitError{code: ExitInvalid, err: err}
	}
	return invalid(what, err, flagFor(map[string]string{"role": "--role", "display_name": "--display-name",
		"password": "--password-stdin", "expires": "--expires", "name": "--name"}))
}

// readPassword reads a password from the first line of standard input.
func (c *cli) readPassword() (string, error) {
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usagef("--password-stdin: standard input holds no password")
	}
	return line, nil
}

// newPassword is the password given on standard input or a generated one,
// and whether it was generated (and so must be shown).
func (c *cli) newPassword(fromStdin bool) (string, bool, error) {
	if fromStdin {
		p, err := c.readPassword()
		return p, false, err
	}
	return account.GeneratePassword(), true, nil
}

func (c *cli) userAddCommand() *cobra.Command {
	var role, displayName string
	var passwordStdin, asJSON bool
	cmd := &cobra.Command{
		Use:   "add NAME --role ROLE",
		Short: "Add a user",
		Long: `Add a user who logs in as NAME (lower case letters, digits, '.', '_', '-').
Without --password-stdin a strong password is generated and printed once:
hand it over in person. Since it was seen by whoever ran the command, the
user must choose their own at their first login before doing anything
else (on the web interface, or with POST /api/v1/account/password).

Roles: ` + roleNames() + `.
An administrator manages accounts but does not read the record; advocates
see aggregates only, auditors the audit log, the public published outputs.`,
		Example: `  dossier user add amira --role administrator
  echo 'a long passphrase' | dossier user add bashir --role investigator --password-stdin`,
		Args: exactArgs("NAME"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if role == "" {
				return usagef("--role is required: one of %s", roleNames())
			}
			r, err := account.ParseRole(role)
			if err != nil {
				return accountError("the user", err)
			}
			password, generated, err := c.newPassword(passwordStdin)
			if err != nil {
				return err
			}
			a, s, ctx, err := c.openAccounts(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			u, err := s.AddUser(ctx, account.NewUser{Name: args[0], DisplayName: displayName, Role: r, Password: password,
				MustChangePassword: generated})
			if err != nil {
				return accountError("the user", err)
			}
			if asJSON {
				out := struct {
					*account.User
					Password string `json:"password,omitempty"`
				}{User: u}
				if generated {
					out.Password = password
				}
				return writeJSON(c.stdout, out)
			}
			fmt.Fprintf(c.stdout, "Added user %s (%s).\n", u.Name, u.Role)
			if generated {
				fmt.Fprintf(c.stdout, "Password for %s, shown only this once:\n  %s\n", u.Name, password)
				fmt.Fprintf(c.stdout, "%s must choose their own password at their first login.\n", u.Name)
			}
			if u.Role.MaySeeIdentities() {
				fmt.Fprintf(c.stdout, "To let %s see survivors' identities: 'dossier user totp %s', then 'dossier user identities %s grant'.\n",
					u.Name, u.Name, u.Name)
			}
			return nil
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&role, "role", "", "the user's `ROLE`: "+roleNames())
	fl.StringVar(&displayName, "display-name", "", "how the user is shown (`NAME`)")
	fl.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input instead of generating one")
	fl.BoolVar(&asJSON, "json", false, "print the user (and a generated password) as JSON")
	return cmd
}

func roleNames() string { return enumNames(account.Roles) }

func (c *cli) userListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List users by name",
		Args:  noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, s, ctx, err := c.openAccounts(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			users, err := s.Users(ctx)
			if err != nil {
				return err
			}
			links, err := linkedIdentities(ctx, s)
			if err != nil {
				return err
			}
			if asJSON {
				type listed struct {
					account.User
					OIDCIdentities []account.OIDCIdentity `json:"oidc_identities"`
				}
				out := make([]listed, len(users))
				for i, u := range users {
					out[i] = listed{u, nonNil(links[u.ID])}
				}
				return writeJSON(c.stdout, out)
			}
			if len(users) == 0 {
				fmt.Fprintln(c.stdout, "No users yet: add an administrator with 'dossier user add NAME --role administrator'.")
				return nil
			}
			now := time.Now()
			t := newTable(c.stdout, "NAME", "ROLE", "DISPLAY NAME", "2FA", "IDENTITIES", "SSO", "STATUS", "CREATED")
			for _, u := range users {
				t.row(u.Name, string(u.Role), truncate(u.DisplayName, 40), yesNo(u.TOTP), yesNo(u.SeeIdentities),
					ssoSummary(links[u.ID]), userStatus(&u, now), formatTime(u.CreatedAt))
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s.\n", plural(len(users), "user", "users"))
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the users as JSON")
	return cmd
}

func userStatus(u *account.User, now time.Time) string {
	switch {
	case u.Disabled:
		return "disabled"
	case u.Locked(now):
		return "locked until " + u.LockedUntil.UTC().Format("15:04 UTC")
	}
	return "active"
}

func (c *cli) userShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a user, their cases and API tokens",
		Args:  exactArgs("NAME"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, s, ctx, u, err := c.openUser(cmd, args[0])
			if err != nil {
				return err
			}
			defer a.Close()
			cases, err := s.CasesOf(ctx, u.ID)
			if err != nil {
				return err
			}
			tokens, err := s.Tokens(ctx, u.ID)
			if err != nil {
				return err
			}
			codes, err := s.RecoveryCodesLeft(ctx, u.ID)
			if err != nil {
				return err
			}
			links, err := s.OIDCIdentities(ctx, u.ID)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, struct {
					*account.User
					Cases             []account.Case         `json:"cases"`
					RecoveryCodesLeft int                    `json:"recovery_codes_left"`
					OIDCIdentities    []account.OIDCIdentity `json:"oidc_identities"`
				}{u, nonNil(cases), codes, nonNil(links)})
			}
			f := newFields(c.stdout)
			f.add("User", u.Name)
			f.add("Display name", u.DisplayName)
			f.add("Role", string(u.Role))
			f.add("Status", userStatus(u, time.Now()))
			twoFA := "no"
			if u.TOTP {
				twoFA = fmt.Sprintf("TOTP, %d recovery codes left", codes)
			}
			f.add("Two-factor", twoFA)
			f.add("Identities", yesNo(u.SeeIdentities))
			if len(links) == 0 {
				f.add("Single sign-on", "no linked identity")
			}
			for _, l := range links {
				last := "never used"
				if !l.LastLoginAt.IsZero() {
					last = "last sign-in " + formatTime(l.LastLoginAt)
				}
				f.add("Single sign-on", fmt.Sprintf("%s at %s (%s)", l.Subject, l.Issuer, last))
			}
			names := make([]string, len(cases))
			for i, cs := range cases {
				names[i] = cs.Name
			}
			f.add("Cases", strings.Join(names, ", "))
			active := 0
			for _, t := range tokens {
				if t.Active(time.Now()) {
					active++
				}
			}
			f.add("API tokens", fmt.Sprintf("%d active", active))
			passwordSet := formatTime(u.PasswordChangedAt)
			if u.MustChangePassword {
				passwordSet += " (generated: to be replaced at the next login)"
			}
			f.add("Password set", passwordSet)
			f.add("Created", formatTime(u.CreatedAt)+" by "+u.CreatedBy)
			f.add("Updated", formatTime(u.UpdatedAt)+" by "+u.UpdatedBy)
			return f.flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the user as JSON")
	return cmd
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (c *cli) userDisableCommand(disable bool) *cobra.Command {
	use, short, done := "enable NAME", "Enable a disabled user again (also lifts a lock-out)", "Enabled"
	if disable {
		use, short, done = "disable NAME", "Disable a user: their sessions end and their API tokens stop working", "Disabled"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  exactArgs("NAME"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, s, ctx, u, err := c.openUser(cmd, args[0])
			if err != nil {
				return err
			}
			defer a.Close()
			if _, err := s.SetDisabled(ctx, u.ID, disable); err != nil {
				return accountError("the user", err)
			}
			fmt.Fprintf(c.stdout, "%s user %s.\n", done, u.Name)
			return nil
		}),
	}
}

func (c *cli) userResetPasswordCommand() *cobra.Command {
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "reset-password NAME",
		Short: "Give a user a new password; their sessions end",
		Long: `Give a user a new password. Without --password-stdin a strong password is
generated and printed once, and the user must choose their own at their next
login before doing anything else. Every session of the user ends; a lock-out
is lifted.`,
		Args: exactArgs("NAME"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			password, generated, err := c.newPassword(passwordStdin)
			if err != nil {
				return err
			}
			a, s, ctx, u, err := c.openUser(cmd, args[0])
			if err != nil {
				return err
			}
			defer a.Close()
			set := s.SetPassword
			if generated {
				set = s.SetTemporaryPassword
			}
			if err := set(ctx, u.ID, password); err != nil {
				return accountError("the password", err)
			}
			fmt.Fprintf(c.stdout, "New password set for %s; their sessions have ended.\n", u.Name)
			if generated {
				fmt.Fprintf(c.stdout, "Password for %s, shown only this once:\n  %s\n", u.Name, password)
				fmt.Fprintf(c.stdout, "%s must choose their own password at their next login.\n", u.Name)
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input instead of generating one")
	return cmd
}

func (c *cli) userRoleCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "role NAME ROLE",
		Short: "Change a user's role",
		Long: `Change a user's role (` + roleNames() + `).
A role that may not see identities takes that grant away; API tokens of the
user keep at most what the new role allows.`,
		Args: exactArgs("NAME", "ROLE"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			r, err := account.ParseRole(args[1])
			if err != nil {
				return accountError("the role", err)
			}
			a, s, ctx, u, err := c.openUser(cmd, args[0])
			if err != nil {
				return err
			}
			defer a.Close()
			if u, err = s.SetRole(ctx, u.ID, r); err != nil {
				return accountError("the user", err)
			}
			fmt.Fprintf(c.stdout, "%s is now %s.\n", u.Name, u.Role)
			return nil
		}),
	}
}

func (c *cli) userTOTPCommand() *cobra.Command {
	var remove, asJSON bool
	cmd := &cobra.Command{
		Use:   "totp NAME",
		Short: "Enrol a user in two-factor authentication (TOTP) and print their recovery codes",
		Long: `Enrol a user in two-factor authentication at once: print the otpauth:// URI
to load into an authenticator app (or its secret, to type in) and ten
recovery codes, each good for one login. They are shown only this once:
hand them to the user in person. Any previous enrolment is replaced, the
user's sessions end, and every login from now on asks for a code.

With --remove, delete the enrolment: the user logs in with the password
alone, and loses the grant to see identities.`,
		Args: exactArgs("NAME"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, s, ctx, u, err := c.openUser(cmd, args[0])
			if err != nil {
				return err
			}
			defer a.Close()
			if remove {
				if _, err := s.RemoveTOTP(ctx, u.ID); err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "Removed two-factor authentication for %s; they can no longer see identities.\n", u.Name)
				return nil
			}
			// The TOTP secret is sealed under the installation's key, as
			// survivors' fields are (DOSSIER_KEK, or DATADIR/keys/kek.json).
			cfg, _ := c.config(cmd)
			sealer, err := seal.Open(ctx, a.DB, "", seal.Options{DataDir: cfg.DataDir})
			if err != nil {
				return fmt.Errorf("open the key that seals TOTP secrets: %w", err)
			}
			enrol, err := account.NewStore(a.DB, account.Options{Sealer: sealer}).EnrolTOTP(ctx, u.ID)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, enrol)
			}
			fmt.Fprintf(c.stdout, "Two-factor authentication enrolled for %s; every login now asks for a code.\n", u.Name)
			fmt.Fprintf(c.stdout, "Shown only this once: hand them to %s in person.\n\n", u.Name)
			fmt.Fprintf(c.stdout, "Authenticator URI (load it into the app, or make a QR code of it):\n  %s\n", enrol.URI)
			fmt.Fprintf(c.stdout, "Secret, to type in by hand:\n  %s\n\n", enrol.Secret)
			fmt.Fprintln(c.stdout, "Recovery codes, each good for one login without the authenticator:")
			for _, code := range enrol.RecoveryCodes {
				fmt.Fprintf(c.stdout, "  %s\n", code)
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&remove, "remove", false, "remove the user's enrolment instead")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the URI, secret and recovery codes as JSON")
	return cmd
}

func (c *cli) userIdentitiesCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "identities NAME grant|revoke",
		Short: "Grant or revoke a user's right to see survivors' identities",
		Long: `Grant or revoke the right to open sealed survivor fields (names, contacts,
testimony), even inside the user's cases. Only investigators, SEA focal
points and legal advisors may hold it, and only with two-factor
authentication enrolled ('dossier user totp NAME'); it takes effect in
sessions that passed the second factor.`,
		Args: exactArgs("NAME", "grant or revoke"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			var grant bool
			switch args[1] {
			case "grant":
				grant = true
			case "revoke":
			default:
				return usagef("%q: say grant or revoke", args[1])
			}
			a, s, ctx, u, err := c.openUser(cmd, args[0])
			if err != nil {
				return err
			}
			defer a.Close()
			if u, err = s.SetSeeIdentities(ctx, u.ID, grant); err != nil {
				return accountError("the grant", err)
			}
			if grant {
				fmt.Fprintf(c.stdout, "%s may now see identities, after logging in with a second factor.\n", u.Name)
			} else {
				fmt.Fprintf(c.stdout, "%s may no longer see identities.\n", u.Name)
			}
			return nil
		}),
	}
}

func (c *cli) userJoinCommand() *cobra.Command {
	var create bool
	var description string
	cmd := &cobra.Command{
		Use:   "join NAME CASE",
		Short: "Make a user a member of a case (an investigation)",
		Long: `Make a user a member of a case, named by its name or ID: members may read
the case's records, as far as their role allows. With --new, create the
case first (a mistyped name is never created silently).`,
		Example: `  dossier user join bashir "Darfur 2023" --new --description "Sexual violence in West Darfur, 2023"
  dossier user join amal "Darfur 2023"`,
		Args: exactArgs("NAME", "CASE"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if description != "" && !create {
				return usagef("--description describes a new case: give it with --new")
			}
			a, s, ctx, u, err := c.openUser(cmd, args[0])
			if err != nil {
				return err
			}
			defer a.Close()
			var cs *account.Case
			if create {
				if cs, err = s.CreateCase(ctx, args[1], description); err != nil {
					return invalid("the case", err, flagFor(map[string]string{"description": "--description"}))
				}
				fmt.Fprintf(c.stdout, "Created case %s: %s\n", cs.ID, cs.Name)
			} else if cs, err = findCase(ctx, s, args[1]); err != nil {
				return err
			}
			if err := s.AddToCase(ctx, u.ID, cs.ID); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s is a member of %s.\n", u.Name, cs.Name)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&create, "new", false, "create the case")
	cmd.Flags().StringVar(&description, "description", "", "what the new case is about (`TEXT`)")
	return cmd
}

func findCase(ctx context.Context, s *account.Store, ref string) (*account.Case, error) {
	cs, err := s.Case(ctx, ref)
	if errors.Is(err, db.ErrNotFound) {
		return nil, notFoundf("no case is called %q (see 'dossier user cases'; create it with 'dossier user join NAME CASE --new')", ref)
	}
	return cs, err
}

func (c *cli) userLeaveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "leave NAME CASE",
		Short: "End a user's membership of a case",
		Args:  exactArgs("NAME", "CASE"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, s, ctx, u, err := c.openUser(cmd, args[0])
			if err != nil {
				return err
			}
			defer a.Close()
			cs, err := findCase(ctx, s, args[1])
			if err != nil {
				return err
			}
			if err := s.RemoveFromCase(ctx, u.ID, cs.ID); errors.Is(err, db.ErrNotFound) {
				return notFoundf("%s is not a member of %s", u.Name, cs.Name)
			} else if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s is no longer a member of %s.\n", u.Name, cs.Name)
			return nil
		}),
	}
}

func (c *cli) userCasesCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "cases [NAME]",
		Short: "List the cases, or those a user is a member of",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("unexpected argument %q", args[1])
			}
			return nil
		},
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, s, ctx, err := c.openAccounts(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			var cases []account.Case
			if len(args) == 1 {
				u, err := findUser(ctx, s, args[0])
				if err != nil {
					return err
				}
				cases, err = s.CasesOf(ctx, u.ID)
				if err != nil {
					return err
				}
			} else if cases, err = s.Cases(ctx); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, nonNil(cases))
			}
			if len(cases) == 0 {
				fmt.Fprintln(c.stdout, "No cases: create one with 'dossier user join NAME CASE --new'.")
				return nil
			}
			t := newTable(c.stdout, "ID", "NAME", "MEMBERS", "CREATED")
			for _, cs := range cases {
				members, err := s.CaseMembers(ctx, cs.ID)
				if err != nil {
					return err
				}
				names := make([]string, len(members))
				for i, m := range members {
					names[i] = m.Name
				}
				t.row(cs.ID, truncate(cs.Name, 40), truncate(strings.Join(names, ", "), 60), formatTime(cs.CreatedAt))
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s.\n", plural(len(cases), "case", "cases"))
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the cases as JSON")
	return cmd
}
