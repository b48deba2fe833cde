package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/seal"
)

func (c *cli) keysCommand() *cobra.Command {
	return group("keys", "Show, rotate and destroy the key-encryption keys that wrap survivors' and evidence keys",
		c.keysStatusCommand(), c.keysRotateCommand(), c.keysDestroyCommand())
}

func sealerOf(a *app.App) (*seal.Sealer, error) {
	if a.Sealer == nil {
		return nil, errors.New("the key-encryption key could not be opened: see docs/sealing.md (DOSSIER_KEK or DATA/keys/kek.json)")
	}
	return a.Sealer, nil
}

func (c *cli) keysStatusCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the key-encryption keys, how many keys each wraps, and what old backups expose",
		Args:  noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			s, err := sealerOf(a)
			if err != nil {
				return err
			}
			st, err := s.Status(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, st)
			}
			t := newTable(c.stdout, "KEK", "WHERE", "ADDED", "RETIRED", "KEYS IT WRAPS")
			for _, k := range st.KEKs {
				retired := ""
				if !k.RetiredAt.IsZero() {
					retired = k.RetiredAt.Format(time.DateTime)
				}
				id := k.ID
				if k.ID == st.Current {
					id += " (current)"
				}
				t.row(id, k.URI, k.AddedAt.Format(time.DateTime), retired, strconv.Itoa(k.Keys))
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "\n%d survivors' data keys live, %d shredded.\n", st.DataKeys, st.Shredded)
			if st.Rotating {
				fmt.Fprintln(c.stdout, "A rotation is unfinished: run dossier keys rotate again to finish it.")
			}
			if w := st.Exposure.Warning(); w != "" {
				fmt.Fprintln(c.stdout, w)
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func (c *cli) keysRotateCommand() *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Re-wrap every data key under a new key-encryption key, while Dossier keeps serving",
		Long: `Re-wrap every data key (survivors' and the deployment's) under a new key-encryption
key. Sealed data is not touched, only the small wrapped keys, in batches, each in
its own transaction: a running server keeps serving and opens the new key from
where the database records it. Without --to a new key file is created in the
data directory's keys/. An interrupted rotation is finished by running it again.
Afterwards, once no backup made before must stay readable, destroy the old key
with dossier keys destroy: that is what makes shredded survivors' data
unrecoverable from older backups too.`,
		Example: `  dossier keys rotate
  dossier keys rotate --to env://DOSSIER_KEK_NEW`,
		Args: noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			cfg, err := c.config(cmd)
			if err != nil {
				return err
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			s, err := sealerOf(a)
			if err != nil {
				return err
			}
			if to == "" {
				name := "kek-" + time.Now().UTC().Format("20060102-150405") + ".json"
				if err := seal.CreateKEKFile(filepath.Join(cfg.DataDir, "keys", name)); err != nil {
					return err
				}
				to = "file:keys/" + name
			}
			kek, err := seal.OpenKEK(ctx, to, cfg.DataDir)
			if err != nil {
				return usagef("--to: %v", err)
			}
			if err := s.Rotate(ctx, kek); err != nil {
				return err
			}
			if err := logKeyEvent(ctx, a, kek.ID(), "rotated-to"); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Every key is now wrapped by %s (%s). Back it up apart from the data; destroy the old one with dossier keys destroy once no older backup must stay readable.\n", kek.ID(), to)
			return nil
		}),
	}
	cmd.Flags().StringVar(&to, "to", "", "the new key-encryption key's `URI` (file:…, env://NAME, or a KMS URI); default: a new key file")
	return cmd
}

func (c *cli) keysDestroyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "destroy KEK-ID",
		Short: "Destroy a retired key-encryption key, so that backups wrapped by it can no longer be read",
		Args:  exactArgs("KEK-ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			s, err := sealerOf(a)
			if err != nil {
				return err
			}
			if err := s.DestroyKEK(ctx, args[0]); err != nil {
				return err
			}
			if err := logKeyEvent(ctx, a, args[0], "destroyed"); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Destroyed key-encryption key %s.\n", args[0])
			return nil
		}),
	}
}

// logKeyEvent records a key-management event in the audit log: which key,
// what happened, by whom; never key material.
func logKeyEvent(ctx context.Context, a *app.App, kekID, action string) error {
	return a.DB.Write(ctx, func(tx *db.Tx) error {
		_, err := audit.Append(ctx, tx, audit.Entry{Actor: record.Actor(ctx), Kind: "key", Subject: kekID, Action: action})
		return err
	})
}
