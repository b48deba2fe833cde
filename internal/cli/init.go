package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (c *cli) initCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Create the data directory (or database) and bring its schema up to date",
		Long: `Create the data directory and its SQLite database, or prepare the PostgreSQL
database named by --db, and apply any schema changes a new version of Dossier
brings. Every other command does this too when it opens the data; init does
only that, and says where the data is.`,
		Example: "  dossier init --data /srv/dossier\n  dossier init --db postgres://dossier@localhost/dossier",
		Args:    noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			version, err := a.DB.SchemaVersion(ctx)
			if err != nil {
				return fmt.Errorf("read the schema version: %w", err)
			}
			empty, err := a.Empty(ctx)
			if err != nil {
				return err
			}
			cfg, _ := c.config(cmd)
			if path := a.DB.Path(); path != "" {
				if cfg.DatabaseURL == "" {
					fmt.Fprintf(c.stdout, "Dossier data directory: %s\n", absDir(cfg.DataDir))
				}
				fmt.Fprintf(c.stdout, "SQLite database: %s (schema version %d)\n", absDir(path), version)
			} else {
				fmt.Fprintf(c.stdout, "PostgreSQL database ready (schema version %d).\n", version)
			}
			if empty {
				fmt.Fprintln(c.stdout, "The record is empty: add a situation with 'dossier situation add', import a file with 'dossier import', or try 'dossier serve --demo'.")
			}
			return nil
		}),
	}
}
