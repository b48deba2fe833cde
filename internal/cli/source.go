package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/source"
)

func (c *cli) sourceCommand() *cobra.Command {
	return group("source", "Add, list and show sources: reports, witnesses, media",
		c.sourceAddCommand(),
		c.sourceListCommand(),
		c.sourceShowCommand(),
	)
}

func (c *cli) sourceAddCommand() *cobra.Command {
	var s source.Source
	var kind, reliability, file string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Add a source",
		Long: `Add a source of information. Incidents link to it with
'dossier incident add|edit --source', saying how the source knows what it
reports and how reliable that piece of information is.`,
		Example: `  dossier source add --kind un_report --title "Conflict-related sexual violence: Report of the Secretary-General" \
    --symbol S/2025/389 --organisation "United Nations" --published 2025-08-14 --reliability high
  dossier source add --kind witness --title "Witness W-12" --reliability medium`,
		Args: noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if file != "" && anyChanged(cmd, "kind", "title", "organisation", "url", "symbol", "published", "language", "reliability", "description") {
				return usagef("--file gives the whole source: give either --file or the field flags, not both")
			}
			hint := flagFor(map[string]string{"kind": "--kind", "title": "--title", "organisation": "--organisation",
				"url": "--url", "document_symbol": "--symbol", "published_on": "--published", "language": "--language",
				"reliability": "--reliability", "description": "--description"})
			if file != "" {
				s = source.Source{}
				if err := c.readJSONFile(file, &s); err != nil {
					return err
				}
				hint = nil
			} else {
				s.Kind = source.Kind(strings.TrimSpace(kind))
				s.Reliability = source.Reliability(strings.TrimSpace(reliability))
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.Sources.Create(ctx, &s); err != nil {
				return invalid("the source", err, hint)
			}
			if asJSON {
				return writeJSON(c.stdout, s)
			}
			fmt.Fprintf(c.stdout, "Added source %s: %s\n", s.ID, s.Title)
			return nil
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&kind, "kind", "", "what the source is: "+enumNames(source.Kinds))
	fl.StringVar(&s.Title, "title", "", "the source's `TITLE`")
	fl.StringVar(&s.Organisation, "organisation", "", "who published or holds it")
	fl.StringVar(&s.URL, "url", "", "where it can be read (https://…)")
	fl.StringVar(&s.DocumentSymbol, "symbol", "", "UN document `SYMBOL`, such as S/2024/292")
	fl.StringVar(&s.PublishedOn, "published", "", "publication `DATE`, YYYY-MM-DD")
	fl.StringVar(&s.Language, "language", "", "language tag (en, ar, he …)")
	fl.StringVar(&reliability, "reliability", "", "how far it can be relied on: "+enumNames(source.Reliabilities))
	fl.StringVar(&s.Description, "description", "", "what the source is")
	fl.StringVarP(&file, "file", "f", "", "read the whole source as JSON from `FILE` (- for standard input)")
	fl.BoolVar(&asJSON, "json", false, "print the stored source as JSON")
	return cmd
}

func (c *cli) sourceListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List sources, newest publication first",
		Args:  noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			all, err := a.Sources.List(ctx)
			if err != nil {
				return err
			}
			if all == nil {
				all = []source.Source{}
			}
			if asJSON {
				return writeJSON(c.stdout, all)
			}
			if len(all) == 0 {
				fmt.Fprintln(c.stdout, "No sources yet: add one with 'dossier source add'.")
				return nil
			}
			t := newTable(c.stdout, "ID", "PUBLISHED", "KIND", "SYMBOL", "TITLE", "RELIABILITY")
			for _, s := range all {
				t.row(s.ID, s.PublishedOn, string(s.Kind), s.DocumentSymbol, truncate(s.Title, 60), string(s.Reliability))
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s.\n", plural(len(all), "source", "sources"))
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the sources as JSON")
	return cmd
}

func (c *cli) sourceShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "show ID|SYMBOL|TITLE",
		Short:   "Show a source",
		Example: "  dossier source show S/2024/292",
		Args:    exactArgs("ID, document symbol or title"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			s, err := sourceArg(ctx, a, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, s)
			}
			f := newFields(c.stdout)
			f.add("Source", s.ID)
			f.add("Title", s.Title)
			f.add("Kind", string(s.Kind))
			f.add("Symbol", s.DocumentSymbol)
			f.add("Organisation", s.Organisation)
			f.add("Published", s.PublishedOn)
			f.add("Language", s.Language)
			f.add("URL", s.URL)
			f.add("Reliability", string(s.Reliability))
			f.add("Version", fmt.Sprintf("%d, updated %s by %s", s.Version, formatTime(s.UpdatedAt), s.UpdatedBy))
			f.add("Created", fmt.Sprintf("%s by %s", formatTime(s.CreatedAt), s.CreatedBy))
			if err := f.flush(); err != nil {
				return err
			}
			if s.Description != "" {
				fmt.Fprintln(c.stdout, "\nDescription")
				indent(c.stdout, s.Description, "  ")
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the source as JSON")
	return cmd
}
