package cli

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/integrity"
)

func (c *cli) logCommand() *cobra.Command {
	return group("log", "Read the tamper-evident audit log: checkpoints, entries, proofs, witnesses",
		c.logStatusCommand(),
		c.logCheckpointCommand(),
		c.logEntriesCommand(),
		c.logProveCommand(),
		c.logConsistencyCommand(),
		c.logKeyCommand(),
		c.logWitnessCommand(),
	)
}

func (c *cli) logStatusCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the log's size, root hash and newest checkpoint",
		Args:  noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			head, err := audit.CurrentHead(ctx, a.DB)
			if err != nil {
				return err
			}
			latest, err := audit.LatestCheckpoint(ctx, a.DB)
			if err != nil && !errors.Is(err, db.ErrNotFound) {
				return err
			}
			witnesses, err := audit.Witnesses(ctx, a.DB)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, map[string]any{"origin": a.LogKey.Origin(), "size": head.Size, "root": head.Root,
					"latest_checkpoint": latest, "witnesses": witnesses})
			}
			f := newFields(c.stdout)
			f.add("Origin", a.LogKey.Origin())
			f.add("Entries", strconv.FormatUint(head.Size, 10))
			f.add("Root", base64.StdEncoding.EncodeToString(head.Root))
			if latest.Note != "" {
				f.add("Checkpoint", fmt.Sprintf("%d entries, signed %s", latest.Size, latest.IssuedAt.Format("2006-01-02 15:04:05Z")))
			} else {
				f.add("Checkpoint", "none yet: run dossier log checkpoint")
			}
			for _, w := range witnesses {
				state := fmt.Sprintf("%s, published up to %d", w.URL, w.PublishedSize)
				if w.LastError != "" {
					state += "; last attempt failed: " + w.LastError
				}
				f.add("Witness "+w.Name, state)
			}
			return f.flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func (c *cli) logCheckpointCommand() *cobra.Command {
	var out string
	var publish bool
	cmd := &cobra.Command{
		Use:   "checkpoint",
		Short: "Sign a checkpoint of the log now, print it, and publish it to the witnesses",
		Long: `Sign a checkpoint of the log as it stands: its origin, size and root hash,
in the C2SP tlog-checkpoint note format, signed with the log's Ed25519 key.
Keep it, or give it to a partner or a court: "dossier verify --against FILE"
later proves the log only grew since.`,
		Args: noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			cp, err := audit.Issue(ctx, a.DB, a.LogKey)
			if err != nil {
				return err
			}
			if publish {
				witnesses, err := audit.Publish(ctx, a.DB, cp, nil)
				if err != nil {
					return err
				}
				for _, w := range witnesses {
					if w.LastError != "" {
						fmt.Fprintf(c.stderr, "dossier: witness %s: %s\n", w.Name, w.LastError)
					}
				}
			}
			cosigs, err := audit.Cosignatures(ctx, a.DB, cp.Size)
			if err != nil {
				return err
			}
			text := audit.WithCosignatures(cp, cosigs)
			if out != "" {
				return os.WriteFile(out, []byte(text), 0o644)
			}
			_, err = io.WriteString(c.stdout, text)
			return err
		}),
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the checkpoint to `FILE` instead of printing it")
	cmd.Flags().BoolVar(&publish, "publish", true, "publish it to the registered witnesses")
	return cmd
}

func (c *cli) logEntriesCommand() *cobra.Command {
	var from, to uint64
	var subject string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "entries",
		Short: "List log entries, by position or by the record they concern",
		Args:  noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			var entries []audit.Entry
			if subject != "" {
				entries, err = audit.EntriesFor(ctx, a.DB, subject)
			} else {
				if !cmd.Flags().Changed("to") {
					to = from + 100
				}
				entries, err = audit.Entries(ctx, a.DB, from, to)
			}
			if err != nil {
				return err
			}
			if asJSON {
				if entries == nil {
					entries = []audit.Entry{}
				}
				return writeJSON(c.stdout, entries)
			}
			t := newTable(c.stdout, "INDEX", "AT", "ACTOR", "KIND", "SUBJECT", "VERSION", "ACTION", "CONTENT SHA-256")
			for _, e := range entries {
				t.row(strconv.FormatUint(e.Index, 10), e.At.Format("2006-01-02 15:04:05Z"), e.Actor, e.Kind, e.Subject,
					strconv.Itoa(e.Version), e.Action, e.ContentHash)
			}
			return t.flush()
		}),
	}
	fl := cmd.Flags()
	fl.Uint64Var(&from, "from", 0, "first entry `INDEX`")
	fl.Uint64Var(&to, "to", 0, "list up to (not including) `INDEX`; default 100 entries")
	fl.StringVar(&subject, "subject", "", "only the entries about the record with this `ID`")
	fl.BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

// proofJSON is a proof as the CLI and the API give it.
type proofJSON struct {
	Index  *uint64      `json:"index,omitempty"`
	Entry  *audit.Entry `json:"entry,omitempty"`
	Leaf   string       `json:"leaf,omitempty"`
	From   *uint64      `json:"from,omitempty"`
	Size   uint64       `json:"size"`
	Root   []byte       `json:"root"`
	Hashes [][]byte     `json:"proof"`
}

func (c *cli) logProveCommand() *cobra.Command {
	var size uint64
	cmd := &cobra.Command{
		Use:   "prove INDEX",
		Short: "Print an inclusion proof of an entry in the log (JSON)",
		Long: `Print an RFC 6962 inclusion proof that entry INDEX is in the log of --size
entries (default: the newest checkpoint's size), with the entry's canonical
text and the root to check it against.`,
		Args: exactArgs("INDEX"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			index, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return usagef("INDEX must be a number, not %q", args[0])
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if !cmd.Flags().Changed("size") {
				if size, err = defaultProofSize(ctx, a.DB); err != nil {
					return err
				}
			}
			p, err := audit.InclusionProof(ctx, a.DB, index, size)
			if errors.Is(err, audit.ErrSize) {
				return notFoundf("%v", err)
			}
			if err != nil {
				return err
			}
			entries, err := audit.Entries(ctx, a.DB, index, index+1)
			if err != nil {
				return err
			}
			root, err := audit.RootAt(ctx, a.DB, size)
			if err != nil {
				return err
			}
			e := entries[0]
			return writeJSON(c.stdout, proofJSON{Index: &index, Entry: &e, Leaf: string(e.Leaf()), Size: size, Root: root, Hashes: orEmpty(p)})
		}),
	}
	cmd.Flags().Uint64Var(&size, "size", 0, "prove against the log of `N` entries")
	return cmd
}

func (c *cli) logConsistencyCommand() *cobra.Command {
	var from, to uint64
	cmd := &cobra.Command{
		Use:   "consistency",
		Short: "Print a consistency proof between two sizes of the log (JSON)",
		Args:  noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if !cmd.Flags().Changed("to") {
				head, err := audit.CurrentHead(ctx, a.DB)
				if err != nil {
					return err
				}
				to = head.Size
			}
			p, err := audit.ConsistencyProof(ctx, a.DB, from, to)
			if errors.Is(err, audit.ErrSize) {
				return usagef("%v", err)
			}
			if err != nil {
				return err
			}
			root, err := audit.RootAt(ctx, a.DB, to)
			if err != nil {
				return err
			}
			return writeJSON(c.stdout, proofJSON{From: &from, Size: to, Root: root, Hashes: orEmpty(p)})
		}),
	}
	cmd.Flags().Uint64Var(&from, "from", 0, "the older size `N`")
	cmd.Flags().Uint64Var(&to, "to", 0, "the newer size `N` (default: the whole log)")
	return cmd
}

func orEmpty(p [][]byte) [][]byte {
	if p == nil {
		return [][]byte{}
	}
	return p
}

func (c *cli) logKeyCommand() *cobra.Command {
	var witness bool
	return &cobra.Command{
		Use:   "key",
		Short: "Print the public key that checks this log's checkpoints",
		Long: `Print the verifier key (note format: name+hash+key) that checks this log's
checkpoints. Publish it: partners, witnesses and courts check checkpoints and
bundles with it. With --witness, print the key this Dossier cosigns other logs'
checkpoints with instead.`,
		Args: noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if witness {
				cfg, err := c.config(cmd)
				if err != nil {
					return err
				}
				k, err := audit.LoadWitnessKey(cfg.DataDir)
				if err != nil {
					return err
				}
				fmt.Fprintln(c.stdout, k.Public)
				return nil
			}
			a, _, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			fmt.Fprintln(c.stdout, a.LogKey.Public)
			return nil
		}),
	}
}

func (c *cli) logWitnessCommand() *cobra.Command {
	var key string
	add := &cobra.Command{
		Use:   "add NAME URL",
		Short: "Publish checkpoints to a witness: file:///DIR or a witness server's URL",
		Example: `  dossier log witness add court file:///media/usb/dossier-checkpoints
  dossier log witness add partner https://partner.example.org/witness --key dossier.witness/…+…+…`,
		Args: exactArgs("NAME", "URL"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			err = audit.AddWitness(ctx, a.DB, audit.Witness{Name: args[0], URL: args[1], VerifierKey: key})
			if err != nil && !errors.Is(err, db.ErrDuplicate) {
				return usagef("%v", err)
			}
			if err != nil {
				return &exitError{code: ExitConflict, err: err}
			}
			fmt.Fprintf(c.stdout, "Checkpoints will be published to witness %s\n", args[0])
			return nil
		}),
	}
	add.Flags().StringVar(&key, "key", "", "the witness server's cosignature verifier `KEY`")
	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Stop publishing to a witness",
		Args:  exactArgs("NAME"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			return audit.RemoveWitness(ctx, a.DB, args[0])
		}),
	}
	trust := &cobra.Command{
		Use:   "trust LOG-KEY",
		Short: "Witness another log: cosign its checkpoints, by the verifier key it publishes",
		Long: `Witness another Dossier's (or any C2SP log's) checkpoints. Its operator
registers this Dossier's witness key (dossier log key --witness) and the URL
https://THIS-HOST/witness; this Dossier then cosigns each checkpoint it is sent
only if it is consistent with the last one it cosigned.`,
		Args: exactArgs("LOG-KEY"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			l, err := audit.TrustLog(ctx, a.DB, args[0])
			if err != nil && !errors.Is(err, db.ErrDuplicate) {
				return usagef("%v", err)
			}
			if err != nil {
				return &exitError{code: ExitConflict, err: err}
			}
			fmt.Fprintf(c.stdout, "Witnessing log %s\n", l.Origin)
			return nil
		}),
	}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the witnesses this log publishes to, and the logs this Dossier witnesses",
		Args:  noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			ws, err := audit.Witnesses(ctx, a.DB)
			if err != nil {
				return err
			}
			logs, err := audit.WitnessedLogs(ctx, a.DB)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, map[string]any{"witnesses": orEmptyList(ws), "witnessed_logs": orEmptyList(logs)})
			}
			t := newTable(c.stdout, "WITNESS", "URL", "PUBLISHED", "LAST ERROR")
			for _, w := range ws {
				t.row(w.Name, w.URL, strconv.FormatUint(w.PublishedSize, 10), w.LastError)
			}
			if err := t.flush(); err != nil {
				return err
			}
			if len(logs) > 0 {
				fmt.Fprintln(c.stdout)
				t = newTable(c.stdout, "WITNESSED LOG", "COSIGNED UP TO")
				for _, l := range logs {
					t.row(l.Origin, strconv.FormatUint(l.Size, 10))
				}
				return t.flush()
			}
			return nil
		}),
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return group("witness", "Manage the witnesses checkpoints are published to", add, list, remove, trust)
}

func orEmptyList[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (c *cli) verifyCommand() *cobra.Command {
	var against []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Re-derive everything from the log and the files, and name anything altered",
		Long: `Verify re-derives everything Dossier vouches for and names what no longer
matches:
  - the audit log: every entry's leaf hash, the Merkle tree, and the root of
    every signed checkpoint (with the log's key, kept outside the database);
  - every record as it stands, and every earlier version in its history,
    against the hash the log recorded when it was written;
  - with --against, consistency with checkpoints kept outside (by a witness,
    a partner or a court): proof that the log was only ever appended to.
It exits 0 when everything matches and 6 when something was altered.`,
		Example: `  dossier verify
  dossier verify --against checkpoint-2026-11-01.txt`,
		Args: noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			// The checkpoints' sizes are read first, so that the one pass
			// over the log keeps the roots they need.
			signedFiles := make([][]byte, len(against))
			var sizes []uint64
			for i, file := range against {
				if signedFiles[i], err = os.ReadFile(file); err != nil {
					return usagef("--against: %v", err)
				}
				if a.LogKey != nil {
					if cp, _, err := audit.OpenCheckpoint(signedFiles[i], a.LogKey.Verifier()); err == nil {
						sizes = append(sizes, cp.Size)
					}
				}
			}
			report, err := integrity.Verify(ctx, a, sizes...)
			if err != nil {
				return err
			}
			for i, file := range against {
				cp, _, err := audit.VerifyAgainstRoots(ctx, a.DB, a.LogKey, signedFiles[i], report.LogRoots)
				if err != nil {
					report.Problems = append(report.Problems, audit.Problem{What: "checkpoint " + file, Detail: err.Error()})
					continue
				}
				fmt.Fprintf(c.stderr, "The log extends the checkpoint in %s (%d entries, root %s)\n", file, cp.Size, hex.EncodeToString(cp.Root))
			}
			if asJSON {
				if report.Problems == nil {
					report.Problems = []audit.Problem{}
				}
				if err := writeJSON(c.stdout, report); err != nil {
					return err
				}
			} else {
				for _, p := range report.Problems {
					fmt.Fprintf(c.stdout, "ALTERED  %s\n", p)
				}
				// Gone by design, not altered: their items and custody are checked.
				for _, sh := range report.Shredded {
					fmt.Fprintf(c.stdout, "SHREDDED evidence %s: its file (SHA-256 %s) was destroyed at the survivor's request on %s\n",
						sh.Item, sh.SHA256, sh.At.UTC().Format("2006-01-02"))
				}
				if report.AwaitingDeletion > 0 {
					fmt.Fprintf(c.stdout, "%d stored objects of erased survivors are not deleted yet (they cannot be opened; the next evidence write deletes them)\n",
						report.AwaitingDeletion)
				}
				verdict := "Everything matches"
				if !report.OK() {
					verdict = fmt.Sprintf("%d problems found", len(report.Problems))
				}
				fmt.Fprintf(c.stdout, "%s: %d log entries, %d checkpoints, %d records, %d versions, %d evidence files checked in %s.\n", verdict,
					report.LogEntries, report.Checkpoints, report.Records, report.Revisions, report.Blobs, report.Took.Round(1e6))
			}
			if !report.OK() {
				return &exitError{code: ExitAltered, err: fmt.Errorf("verification failed: %s", strings.TrimSpace(report.Problems[0].String()))}
			}
			return nil
		}),
	}
	cmd.Flags().StringArrayVar(&against, "against", nil, "also prove consistency with the signed checkpoint in `FILE` (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// defaultProofSize is the newest checkpoint's size, which is what a reader
// holding that checkpoint checks a proof against; the whole log if none.
func defaultProofSize(ctx context.Context, q db.Querier) (uint64, error) {
	cp, err := audit.LatestCheckpoint(ctx, q)
	if err == nil {
		return cp.Size, nil
	}
	if !errors.Is(err, db.ErrNotFound) {
		return 0, err
	}
	head, err := audit.CurrentHead(ctx, q)
	return head.Size, err
}
