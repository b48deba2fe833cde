package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dossier-org/dossier/internal/backup"
)

func (c *cli) backupCommand() *cobra.Command {
	var out string
	var withKeys bool
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Write a consistent backup (database, audit log, evidence files) while Dossier runs",
		Example: `  dossier backup --out dossier-2026-11-21.tar
  dossier backup --out - | age -r age1… > dossier.tar.age`,
		Args: noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("--out is required: a file, or - for standard output")
			}
			cfg, err := c.config(cmd)
			if err != nil {
				return err
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			var w io.Writer = c.stdout
			var f *os.File
			if out != "-" {
				if f, err = os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
					return usagef("--out: %v", err)
				}
				w = f
			}
			opts := backup.Options{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL, IncludeSigningKeys: withKeys}
			if tty, ok := c.stderr.(*os.File); ok && term.IsTerminal(int(tty.Fd())) {
				opts.Progress = func(done, total int) { fmt.Fprintf(c.stderr, "\rEvidence files: %d/%d", done, total) }
			}
			m, err := backup.Write(ctx, a, w, opts)
			if f != nil {
				if err == nil {
					err = f.Sync()
				}
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					os.Remove(out)
				}
			}
			if err != nil {
				return err
			}
			if opts.Progress != nil {
				fmt.Fprintln(c.stderr)
			}
			fmt.Fprintf(c.stderr, "Backed up the database (%d log entries) and %d evidence files (%d bytes)", m.Log.Size, m.Blobs.Files, m.Blobs.Bytes)
			if !withKeys {
				fmt.Fprintf(c.stderr, "; the signing keys are not in it: keep %s safe apart from it", "keys/")
			}
			fmt.Fprintln(c.stderr)
			return nil
		}),
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the backup to `FILE` (- for standard output)")
	cmd.Flags().BoolVar(&withKeys, "include-signing-keys", false, "also copy the log's signing key and the witness key")
	return cmd
}

func (c *cli) restoreCommand() *cobra.Command {
	var keys string
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Restore a backup into an empty data directory (or empty database and blob store)",
		Args:  exactArgs("FILE"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			cfg, err := c.config(cmd)
			if err != nil {
				return err
			}
			var r io.Reader = c.stdin
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return usagef("%v", err)
				}
				defer f.Close()
				r = f
			}
			m, err := backup.Restore(cmd.Context(), r, backup.RestoreOptions{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL,
				BlobURL: cfg.BlobURL, KeysFrom: keys})
			if errors.Is(err, backup.ErrNeedsKey) {
				return &exitError{code: ExitFailure, err: fmt.Errorf("the data is restored, but %w", err)}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Restored the backup of %s: %d log entries, %d evidence files. Run dossier verify on it.\n",
				m.CreatedAt.Format("2006-01-02 15:04:05Z"), m.Log.Size, m.Blobs.Files)
			return nil
		}),
	}
	cmd.Flags().StringVar(&keys, "keys", "", "take the signing keys from `DIR` when the backup has none")
	return cmd
}
