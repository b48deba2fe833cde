package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/bundle"
)

func (c *cli) bundleCommand() *cobra.Command {
	var incidentID, out, purpose string
	cmd := &cobra.Command{
		Use:   "bundle",
		Short: "Write a court bundle for an incident: evidence, custody, log entries with proofs, a signed checkpoint",
		Long: `Write a court bundle for an incident into an empty directory: its evidence
files, the records that describe them, each file's chain of custody, the audit
log entries that concern them with inclusion proofs, and a signed checkpoint.
Its README explains how to check it with sha256sum, openssl and a shell alone.
Each file's export is recorded in its chain of custody.`,
		Example: `  dossier bundle --incident 0190c5a4-… --out bundle-camp-attack
  dossier verify-bundle bundle-camp-attack --key "$(dossier log key)"`,
		Args: noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if incidentID == "" || out == "" {
				return usagef("--incident and --out are required")
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if _, err := getIncident(ctx, a, incidentID); err != nil {
				return err
			}
			m, err := bundle.Write(ctx, a, incidentID, out, bundle.Options{Purpose: purpose})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Wrote the bundle of incident %s to %s: %d evidence files. Check it: dossier verify-bundle %s --key '%s'\n",
				m.Incident, out, len(m.Evidence), out, m.Log.VerifierKey)
			for _, x := range m.Excluded {
				fmt.Fprintf(c.stdout, "Left out evidence item %s: %s\n", x.ID, x.Reason)
			}
			return nil
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&incidentID, "incident", "", "the incident's `ID`")
	fl.StringVarP(&out, "out", "o", "", "write into `DIR` (new or empty)")
	fl.StringVar(&purpose, "purpose", "", "why the files are exported, for their chain of custody (default \"court bundle\")")
	return cmd
}

func (c *cli) verifyBundleCommand() *cobra.Command {
	var key string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify-bundle DIR",
		Short: "Verify a court bundle offline against the log's published key",
		Long: `Verify a court bundle offline: every file against SHA256SUMS, the checkpoint's
signature with the log's key, each log entry's inclusion proof, each record and
custody event against the hash its entry recorded, and the export's own entry.
Give the key the organisation published (--key); without it the key inside the
bundle is used, which proves integrity but not origin. Exits 6 when anything
does not match.`,
		Args: exactArgs("DIR"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			r, err := bundle.VerifyDir(args[0], key)
			if err != nil {
				return usagef("%v", err)
			}
			if asJSON {
				if err := writeJSON(c.stdout, r); err != nil {
					return err
				}
			} else {
				for _, p := range r.Problems {
					fmt.Fprintf(c.stdout, "ALTERED  %s\n", p)
				}
				if r.OK() {
					fmt.Fprintf(c.stdout, "The bundle of incident %s checks out: %d files, %d log entries proven against a checkpoint of %d entries, %d evidence files.\n",
						r.Incident, r.Files, r.Entries, r.Size, r.Evidence)
				}
				if r.KeySource == "bundle" {
					fmt.Fprintln(c.stderr, "dossier: no --key given: checked with the key inside the bundle; compare it with the key the organisation published")
				}
			}
			if !r.OK() {
				return &exitError{code: ExitAltered, err: fmt.Errorf("the bundle does not check out: %s", r.Problems[0])}
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&key, "key", "", "the log's published verifier `KEY` (dossier log key)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}
