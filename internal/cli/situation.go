package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/situation"
)

func (c *cli) situationCommand() *cobra.Command {
	return group("situation", "Add, list and show situations (countries or conflicts)",
		c.situationAddCommand(),
		c.situationListCommand(),
		c.situationShowCommand(),
	)
}

func (c *cli) situationAddCommand() *cobra.Command {
	var s situation.Situation
	var class, setting, file string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Add a situation",
		Long: `Add a situation: a country or context the record is organised by. Whether
it is on the Security Council's agenda decides whether its parties can be
listed in the annex of the Secretary-General's report.`,
		Example: `  dossier situation add --name Sudan --country SD --on-agenda --conflict-class NIAC
  dossier situation add --name "Israel and the State of Palestine" --on-agenda --conflict-class IAC`,
		Args: noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if file != "" && anyChanged(cmd, "name", "country", "on-agenda", "conflict-class", "setting", "description") {
				return usagef("--file gives the whole situation: give either --file or the field flags, not both")
			}
			hint := flagFor(map[string]string{"name": "--name", "country_code": "--country", "conflict_class": "--conflict-class",
				"setting": "--setting", "description": "--description"})
			if file != "" {
				s = situation.Situation{}
				if err := c.readJSONFile(file, &s); err != nil {
					return err
				}
				hint = nil
			} else {
				s.ConflictClass = situation.ConflictClass(strings.TrimSpace(class))
				s.Setting = situation.Setting(strings.TrimSpace(setting))
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.Situations.Create(ctx, &s); err != nil {
				return invalid("the situation", err, hint)
			}
			if asJSON {
				return writeJSON(c.stdout, s)
			}
			fmt.Fprintf(c.stdout, "Added situation %s: %s\n", s.ID, s.Name)
			return nil
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&s.Name, "name", "", "the situation's `NAME`, unique")
	fl.StringVar(&s.CountryCode, "country", "", "two-letter ISO 3166 country `CODE` (none for a region)")
	fl.BoolVar(&s.OnAgenda, "on-agenda", false, "the situation is on the Security Council's agenda")
	fl.StringVar(&class, "conflict-class", "", "legal classification: "+enumNames(situation.ConflictClasses))
	fl.StringVar(&setting, "setting", "", "how the annual report groups it: "+enumNames(situation.Settings))
	fl.StringVar(&s.Description, "description", "", "what the situation is")
	fl.StringVarP(&file, "file", "f", "", "read the whole situation as JSON from `FILE` (- for standard input)")
	fl.BoolVar(&asJSON, "json", false, "print the stored situation as JSON")
	return cmd
}

// anyChanged reports whether any of the named flags was given.
func anyChanged(cmd *cobra.Command, names ...string) bool {
	for _, name := range names {
		if cmd.Flags().Changed(name) {
			return true
		}
	}
	return false
}

func (c *cli) situationListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List situations by name",
		Args:  noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			all, err := a.Situations.List(ctx)
			if err != nil {
				return err
			}
			if all == nil {
				all = []situation.Situation{}
			}
			if asJSON {
				return writeJSON(c.stdout, all)
			}
			if len(all) == 0 {
				fmt.Fprintln(c.stdout, "No situations yet: add one with 'dossier situation add'.")
				return nil
			}
			t := newTable(c.stdout, "ID", "NAME", "COUNTRY", "ON AGENDA", "CONFLICT", "SETTING", "INCIDENTS")
			for _, s := range all {
				n, err := countIncidents(ctx, a, s.ID)
				if err != nil {
					return err
				}
				t.row(s.ID, truncate(s.Name, 50), s.CountryCode, yesNo(s.OnAgenda), string(s.ConflictClass), string(s.Setting), n)
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s.\n", plural(len(all), "situation", "situations"))
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the situations as JSON")
	return cmd
}

func countIncidents(ctx context.Context, a *app.App, situationID string) (string, error) {
	page, err := a.Incidents.List(ctx, incident.Filter{SituationID: situationID, Limit: 1})
	if err != nil {
		return "", err
	}
	if page.TotalCapped {
		return fmt.Sprintf("more than %d", page.Total), nil
	}
	return fmt.Sprint(page.Total), nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (c *cli) situationShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "show ID|NAME",
		Short:   "Show a situation",
		Example: "  dossier situation show Sudan",
		Args:    exactArgs("ID or name"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			s, err := situationArg(ctx, a, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, s)
			}
			n, err := countIncidents(ctx, a, s.ID)
			if err != nil {
				return err
			}
			f := newFields(c.stdout)
			f.add("Situation", s.ID)
			f.add("Name", s.Name)
			f.add("Country", s.CountryCode)
			listable := "no: parties cannot be listed in the annex"
			if s.Listable() {
				listable = "yes: parties can be listed in the annex"
			}
			f.add("On SC agenda", listable)
			f.add("Conflict", string(s.ConflictClass))
			f.add("Setting", string(s.Setting))
			f.add("Incidents", n)
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
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the situation as JSON")
	return cmd
}
