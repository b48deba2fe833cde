package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
	"github.com/dossier-org/dossier/internal/transfer"
)

func (c *cli) importCommand() *cobra.Command {
	var partial, asJSON bool
	var format, caseRef string
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import records from a JSON file, a zip of CSV files, a directory of CSV files or one CSV file",
		Long: `Import situations, parties, sources and incidents from FILE: a .json
document as 'dossier export --format json' writes it, a .zip or a directory
of CSV files as 'dossier export --format csv' writes them, or a single .csv
file named after its table (incidents.csv, parties.csv …). In CSV files a
reference column (situation_id, parent_id, party_id, source_id) may hold the
exact name of the record instead of its ID. FILE - reads standard input, in
the --format given.

Every rejected row is printed as file:row: field: reason. By default the
import is all or nothing: one rejected row and nothing is imported. With
--partial the valid rows are imported and the rejected ones left out.
Either way, rejected rows make the exit code 3.

--case files the imported incidents that name no case in the case given (by
ID or name): through the server, an incident of no case is seen by nobody.`,
		Example: "  dossier import record.json\n  dossier import export-dir/ --partial\n  dossier export | dossier import - --db postgres://dossier@localhost/dossier",
		Args:    exactArgs("FILE"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if path == "-" && format != "json" && format != "csv" && format != "zip" {
				return usagef("--format %q: standard input can be json, csv or zip", format)
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if caseRef != "" {
				cs, err := a.Accounts.Case(ctx, caseRef)
				if errors.Is(err, db.ErrNotFound) {
					return notFoundf("--case: no case has the name or ID %q (see 'dossier user cases')", caseRef)
				}
				if err != nil {
					return err
				}
				ctx = record.WithDefaultCase(ctx, cs.ID)
			}
			opts := transfer.Options{Partial: partial, Alone: true}
			var report transfer.Report
			if path == "-" {
				report, err = transfer.ImportReader(ctx, a, c.stdin, "stdin."+format, opts)
			} else {
				report, err = transfer.ImportFile(ctx, a, path, opts)
			}
			if err != nil {
				return err // transfer's errors name the file
			}
			if asJSON {
				if err := writeJSON(c.stdout, report); err != nil {
					return err
				}
			} else {
				c.printImport(report)
			}
			if len(report.Rejected) > 0 {
				what := "nothing was imported; fix them, or import the other rows with --partial"
				if report.Committed {
					what = "the other rows were imported"
				}
				return &exitError{code: ExitInvalid, err: fmt.Errorf("%s rejected: %s", rejectedRows(report.Rejected), what)}
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&partial, "partial", false, "import the valid rows even if others are rejected")
	cmd.Flags().StringVar(&format, "format", "json", "format of standard input (FILE -): json, csv or zip")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the import report as JSON")
	cmd.Flags().StringVar(&caseRef, "case", "", "file imported incidents that name no case in this `CASE` (ID or name)")
	return cmd
}

// rejectedRows counts the rows rejected: a row may have several problems.
func rejectedRows(rejected []transfer.Rejection) string {
	type row struct {
		file string
		n    int
	}
	rows := map[row]bool{}
	for _, r := range rejected {
		rows[row{r.File, r.Row}] = true
	}
	s := plural(len(rows), "row", "rows")
	if len(rejected) > len(rows) {
		s += fmt.Sprintf(" (%d problems)", len(rejected))
	}
	return s
}

func (c *cli) printImport(r transfer.Report) {
	for _, rej := range r.Rejected {
		fmt.Fprintln(c.stderr, rej.String())
	}
	n := r.Imported
	counts := fmt.Sprintf("%s, %s, %s, %s with %s",
		plural(n.Situations, "situation", "situations"), plural(n.Parties, "party", "parties"),
		plural(n.Sources, "source", "sources"), plural(n.Incidents, "incident", "incidents"), plural(n.Acts, "act", "acts"))
	if r.Committed {
		fmt.Fprintf(c.stdout, "Imported %s.\n", counts)
	} else {
		fmt.Fprintln(c.stdout, "Nothing was imported.")
	}
}

func (c *cli) exportCommand() *cobra.Command {
	var format, out, forUse string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export the whole record as JSON or CSV",
		Long: `Export every situation, party, source and incident. --format json writes one
document, to standard output unless --out names a file. --format csv writes
one CSV file per table: into the directory --out names, or into a zip when
--out ends in .zip. Either can be imported again with 'dossier import'.

The export holds the whole record: keep it as safe as the data directory.
With --for USE (un_sharing, advocacy, media, statistics, legal_proceedings,
documentation) it is made for that use of survivors' information: the victim
code of every act whose survivor has not consented to it is left out, and the
command says how many and why.`,
		Example: "  dossier export > record.json\n  dossier export --format csv --out record.zip\n  dossier export --format csv --out record-csv/",
		Args:    noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if format != string(transfer.JSON) && format != string(transfer.CSV) {
				return usagef("--format %q: use json or csv", format)
			}
			if format == string(transfer.CSV) && out == "" {
				return usagef("--format csv writes several files: give --out DIR for a directory or --out FILE.zip for a zip")
			}
			use := survivor.Use(forUse)
			if use != "" && !slices.Contains(survivor.Uses, use) {
				return usagef("--for %q: use one of %s", forUse, enumNames(survivor.Uses))
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			var withheld transfer.Withheld
			switch {
			case out == "":
				if withheld, err = transfer.ExportFor(ctx, a, c.stdout, transfer.JSON, use); err != nil {
					return err
				}
			case format == string(transfer.CSV) && !strings.HasSuffix(strings.ToLower(out), ".zip"):
				if withheld, err = transfer.ExportDirFor(ctx, a, out, use); err != nil {
					return fmt.Errorf("export to %s: %w", out, err)
				}
			default:
				if withheld, err = exportFile(ctx, a, out, transfer.Format(format), use); err != nil {
					return err
				}
			}
			if use != "" {
				fmt.Fprintf(c.stderr, "For %s: %d of %d victim codes withheld for lack of consent", use, withheld.Total, withheld.Checked)
				for reason, n := range withheld.Codes {
					fmt.Fprintf(c.stderr, "\n  %d: %s", n, reason)
				}
				fmt.Fprintln(c.stderr)
			}
			if out != "" {
				fmt.Fprintf(c.stdout, "Exported the record to %s.\n", absDir(out))
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&format, "format", "json", "json or csv")
	cmd.Flags().StringVarP(&out, "out", "o", "", "the `FILE` (json, or csv as .zip) or DIR (csv) to write")
	cmd.Flags().StringVar(&forUse, "for", "", "make the export for this `USE` of survivors' information, withholding victim codes without consent to it")
	return cmd
}

// exportFile writes the export next to path and renames it into place, so
// a failed export never leaves a truncated file where a good one was.
func exportFile(ctx context.Context, a *app.App, path string, f transfer.Format, use survivor.Use) (withheld transfer.Withheld, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return withheld, fmt.Errorf("export to %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".dossier-export-*") // readable by its owner only
	if err != nil {
		return withheld, fmt.Errorf("export to %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if withheld, err = transfer.ExportFor(ctx, a, tmp, f, use); err != nil {
		return withheld, fmt.Errorf("export to %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return withheld, fmt.Errorf("export to %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return withheld, fmt.Errorf("export to %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return withheld, fmt.Errorf("export to %s: %w", path, err)
	}
	return withheld, nil
}
