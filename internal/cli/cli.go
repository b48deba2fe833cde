// Package cli is Dossier's command line: it opens a data directory (or a
// PostgreSQL database), adds, lists, shows and edits records through the
// domain stores, imports and exports files, and serves the web UI and API.
//
// Every command prints for people by default and, with --json, the records
// in the same JSON shape as the Go types, for scripts. Exit codes say what
// went wrong (see exitHelp).
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// Version is the release, set at build time:
// -ldflags "-X github.com/dossier-org/dossier/internal/cli.Version=v1.2.3".
var Version = "dev"

// Main runs the command line with args (without the program name) and
// returns the process's exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	defer func() {
		// A bug must not print a stack trace full of internals at a user.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "dossier: internal error: %v\n", r)
			code = ExitFailure
		}
	}()
	root := c.rootCommand()
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return ExitOK
	}
	return c.report(cmd, err)
}

// cli holds what every command shares: the streams and the global flags.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	dataDir        string
	databaseURL    string
	blobURL        string
}

const (
	defaultDataDir = "dossier-data"
	envDataDir     = "DOSSIER_DATA"
	envDatabaseURL = "DOSSIER_DB"
	envBlobURL     = "DOSSIER_BLOBS"
)

func (c *cli) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "dossier",
		Short: "Document conflict-related sexual violence and turn the record into accountability",
		Long: `Dossier keeps a record of incidents of conflict-related sexual violence and of
sexual exploitation and abuse: situations, the parties acts are attributed to,
the sources that told of them, and every revision of every record.

Data lives in a directory (SQLite, the default: ./` + defaultDataDir + `) or in a
PostgreSQL database named by --db postgres://….` + "\n\n" + exitHelp,
		Version:       Version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetUsageTemplate(usageTemplate)
	root.SetVersionTemplate("dossier {{.Version}}\n")
	root.SetIn(c.stdin)
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &exitError{code: ExitUsage, err: err}
	})
	root.CompletionOptions.HiddenDefaultCmd = true

	flags := root.PersistentFlags()
	flags.StringVar(&c.dataDir, "data", defaultDataDir, "keep the data in `DIR` (env "+envDataDir+")")
	flags.StringVar(&c.blobURL, "blobs", "", "keep evidence files at `URL`: file:///dir or s3://bucket/prefix?endpoint=host:port (env "+envBlobURL+"; default DIR/blobs)")
	flags.StringVar(&c.databaseURL, "db", "", "use the PostgreSQL database at `URL` (postgres://…) instead of SQLite in the data directory (env "+envDatabaseURL+")")

	root.AddCommand(
		c.serveCommand(),
		c.initCommand(),
		c.incidentCommand(),
		c.partyCommand(),
		c.situationCommand(),
		c.sourceCommand(),
		c.evidenceCommand(),
		c.importCommand(),
		c.exportCommand(),
		c.logCommand(),
		c.verifyCommand(),
		c.backupCommand(),
		c.keysCommand(),
		c.bundleCommand(),
		c.verifyBundleCommand(),
		c.restoreCommand(),
		c.userCommand(),
		c.tokenCommand(),
		c.survivorCommand(),
		c.statsCommand(),
	)
	return root
}

// usageTemplate is cobra's, except that a group of commands such as
// "dossier incident" shows only "dossier incident [command]": it runs only
// to refuse a command it does not have.
const usageTemplate = `Usage:{{if and .Runnable (not .HasAvailableSubCommands)}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if gt (len .Aliases) 0}}

Aliases:
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

Available Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Flags:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

Global Flags:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableSubCommands}}

Use "{{.CommandPath}} [command] --help" for more information about a command.{{end}}
`

// group makes a command that only holds others.
func group(use, short string, cmds ...*cobra.Command) *cobra.Command {
	g := &cobra.Command{Use: use, Short: short, Args: groupArgs, RunE: groupRun, SuggestionsMinimumDistance: 2}
	g.AddCommand(cmds...)
	return g
}

// groupArgs refuses a command a group does not have.
func groupArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	return usagef("%s", msg)
}

// groupRun shows a group's help when it is run without a command.
func groupRun(cmd *cobra.Command, args []string) error { return cmd.Help() }

// config says where the data is: flags first, then the environment, then
// the default directory.
func (c *cli) config(cmd *cobra.Command) (app.Config, error) {
	cfg := app.Config{DataDir: c.dataDir, DatabaseURL: c.databaseURL, BlobURL: c.blobURL}
	if !cmd.Flags().Changed("blobs") {
		cfg.BlobURL = os.Getenv(envBlobURL)
	}
	if !cmd.Flags().Changed("data") {
		if v := os.Getenv(envDataDir); v != "" {
			cfg.DataDir = v
		}
	}
	if !cmd.Flags().Changed("db") {
		cfg.DatabaseURL = os.Getenv(envDatabaseURL)
	}
	if u := cfg.DatabaseURL; u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") &&
		!strings.HasPrefix(u, "sqlite:") {
		// The URL may hold a password: do not repeat it.
		return cfg, usagef("--db must be a PostgreSQL URL (postgres://user@host/database) or sqlite:FILE; leave it empty to use SQLite in the data directory")
	}
	if cfg.DatabaseURL == "" && cfg.DataDir == "" {
		return cfg, usagef("--data must name a directory")
	}
	return cfg, nil
}

// open opens the Dossier the flags name. The context it returns names the
// person at the keyboard as the author of every write.
func (c *cli) open(cmd *cobra.Command) (*app.App, context.Context, error) {
	cfg, err := c.config(cmd)
	if err != nil {
		return nil, nil, err
	}
	ctx := record.WithActor(cmd.Context(), actor())
	a, err := app.Open(db.WithUpgradeReport(ctx, c.reportUpgrade(cfg)), cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", describeStore(cfg), err)
	}
	return a, ctx, nil
}

// reportUpgrade tells whoever waits that the store's schema is being
// upgraded, which can take minutes on a large store, and then how long it
// took.
func (c *cli) reportUpgrade(cfg app.Config) func(db.Upgrade) {
	return func(u db.Upgrade) {
		if u.Done {
			fmt.Fprintf(c.stderr, "dossier: upgraded in %s\n", u.Took.Round(time.Second/10))
			return
		}
		migrations := "1 migration"
		if u.Pending != 1 {
			migrations = fmt.Sprintf("%d migrations", u.Pending)
		}
		fmt.Fprintf(c.stderr, "dossier: upgrading %s from schema version %d to %d (%s); on a large store this can take several minutes\n",
			describeStore(cfg), u.From, u.To, migrations)
	}
}

// describeStore names where the data is without repeating a database URL,
// which may carry a password.
func describeStore(cfg app.Config) string {
	if cfg.DatabaseURL != "" {
		return "the database named by --db or DOSSIER_DB"
	}
	return "the data directory " + absDir(cfg.DataDir)
}

func absDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// actor names the person running the command, for the revision history.
func actor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	for _, v := range []string{"USER", "USERNAME", "LOGNAME"} {
		if name := os.Getenv(v); name != "" {
			return "cli:" + name
		}
	}
	return "cli:unknown"
}

// run adapts a command's function so that every error it returns carries
// its exit code; an error without one can then only come from parsing the
// command line itself.
func run(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := fn(cmd, args); err != nil {
			return classify(err)
		}
		return nil
	}
}

// exactArgs requires n arguments, naming them in the error.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return usagef("missing %s", strings.Join(names[len(args):], " and "))
		case len(args) > len(names):
			return usagef("unexpected argument %q", args[len(names)])
		}
		return nil
	}
}

// noArgs refuses arguments to a command that takes only flags.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q (this command takes only flags)", args[0])
	}
	return nil
}
