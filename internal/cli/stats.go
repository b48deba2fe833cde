package cli

import (
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/disclosure"
	"github.com/dossier-org/dossier/internal/stats"
)

func (c *cli) statsCommand() *cobra.Command {
	var rows, cols, format string
	var threshold int64
	cmd := &cobra.Command{
		Use:   "stats --rows DIMENSION --cols DIMENSION",
		Short: "Count acts by two dimensions, small counts suppressed, as advocates see them",
		Long: `Count acts by two dimensions, under the disclosure rule of docs/disclosure.md:
counts under the threshold show as "<5", and further counts as "x" until none
can be worked out from the totals. Acts whose survivor has not consented to
anonymised statistics are left out. Dimensions: situation, violation, sex,
age_group, year, status.`,
		Args: noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			by := stats.By{Rows: stats.Dimension(rows), Cols: stats.Dimension(cols)}
			if err := by.Check(); err != nil {
				var fe *stats.FieldError
				if errors.As(err, &fe) {
					return usagef("--%s %s", fe.Field, fe.Message)
				}
				return err
			}
			if !slices.Contains([]string{"table", "csv", "json"}, format) {
				return usagef("--format %q is not one of: table, csv, json", format)
			}
			if threshold < 3 || threshold > 1000 {
				return usagef("--threshold must be from 3 to 1000")
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			result, err := stats.Count(ctx, a, by, stats.Filter{Threshold: threshold})
			if errors.Is(err, disclosure.ErrCannotProtect) {
				return fmt.Errorf("%w: choose other dimensions", err)
			}
			if err != nil {
				return err
			}
			switch format {
			case "json":
				return writeJSON(c.stdout, result)
			case "csv":
				return result.WriteCSV(c.stdout)
			}
			return c.printStats(result)
		}),
	}
	cmd.Flags().StringVar(&rows, "rows", "", "the dimension of the rows: situation, violation, sex, age_group, year or status")
	cmd.Flags().StringVar(&cols, "cols", "", "the dimension of the columns (not the same as --rows)")
	cmd.Flags().StringVar(&format, "format", "table", "print as a table, csv or json")
	cmd.Flags().Int64Var(&threshold, "threshold", disclosure.DefaultThreshold, "the smallest count shown")
	return cmd
}

// printStats prints the published table aligned, situations by name.
func (c *cli) printStats(r *stats.Result) error {
	label := func(v string) string {
		if name, ok := r.Labels[v]; ok {
			return name
		}
		return v
	}
	header := []string{r.RowDimension + " \\ " + r.ColumnDimension}
	for _, col := range r.Columns {
		header = append(header, label(col))
	}
	t := newTable(c.stdout, append(header, "total")...)
	for i, row := range r.Rows {
		cells := []string{label(row)}
		for _, cell := range r.Cells[i] {
			cells = append(cells, cell.String())
		}
		t.row(append(cells, r.RowTotals[i].String())...)
	}
	totals := []string{"total"}
	for _, cell := range r.ColumnTotals {
		totals = append(totals, cell.String())
	}
	t.row(append(totals, r.Total.String())...)
	if err := t.flush(); err != nil {
		return err
	}
	small := "<" + fmt.Sprint(r.Threshold)
	fmt.Fprintf(c.stdout, "\n%s: %s\nx: %s\n", small, r.Legend[small], r.Legend[disclosure.Withheld])
	if r.LeftOut.Some {
		fmt.Fprintf(c.stdout, "%s.\n", capitalised(r.LeftOut.String()))
	}
	return nil
}

func capitalised(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
