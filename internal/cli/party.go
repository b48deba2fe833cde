package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
)

func (c *cli) partyCommand() *cobra.Command {
	return group("party", "Add, list, show and edit the parties acts are attributed to",
		c.partyAddCommand(),
		c.partyListCommand(),
		c.partyShowCommand(),
		c.partyEditCommand(),
	)
}

// partyInput is what the flags of "party add" and "party edit" say.
type partyInput struct {
	name, typ, parent, abbreviation, country, description string
	namesIn, aliases, removeNames                         []string
	file                                                  string
}

var partyFieldFlags = []string{"name", "type", "parent", "abbreviation", "country", "description", "name-in", "alias", "remove-name"}

func (in *partyInput) register(fs *pflag.FlagSet, editing bool) {
	fs.StringVar(&in.name, "name", "", "the `NAME` Dossier displays (English by convention)")
	fs.StringVar(&in.typ, "type", "", "kind of party: "+enumNames(party.Types))
	fs.StringVar(&in.parent, "parent", "", "the `PARTY` this one is a unit of: its ID or name")
	fs.StringVar(&in.abbreviation, "abbreviation", "", "short form such as RSF")
	fs.StringVar(&in.country, "country", "", "two-letter ISO 3166 country `CODE`")
	fs.StringVar(&in.description, "description", "", "what the party is")
	fs.StringArrayVar(&in.namesIn, "name-in", nil, "the name in another language, `LANG=NAME` (ar=حماس), repeatable")
	fs.StringArrayVar(&in.aliases, "alias", nil, "another name it is known by, `LANG=NAME`, repeatable")
	if editing {
		fs.StringArrayVar(&in.removeNames, "remove-name", nil, "remove this other-language `NAME` or alias, repeatable")
	}
	fs.StringVarP(&in.file, "file", "f", "", "read the whole party as JSON from `FILE` (- for standard input)")
}

func (in *partyInput) changed(fs *pflag.FlagSet) bool {
	for _, f := range partyFieldFlags {
		if fs.Changed(f) {
			return true
		}
	}
	return false
}

var partyFlags = flagFor(map[string]string{
	"name": "--name", "type": "--type", "parent_id": "--parent", "abbreviation": "--abbreviation",
	"country_code": "--country", "description": "--description",
})

func partyFlag(field string) string {
	if strings.HasPrefix(field, "names[") {
		return "--name-in or --alias"
	}
	return partyFlags(field)
}

func (in *partyInput) apply(ctx context.Context, a *app.App, fs *pflag.FlagSet, p *party.Party) error {
	refs := &references{ctx: ctx, app: a}
	set := fs.Changed
	if set("name") {
		p.Name = in.name
	}
	if set("type") {
		p.Type = party.Type(strings.TrimSpace(in.typ))
	}
	if set("parent") {
		p.ParentID = refs.party("parent_id", strings.TrimSpace(in.parent))
	}
	if set("abbreviation") {
		p.Abbreviation = in.abbreviation
	}
	if set("country") {
		p.CountryCode = in.country
	}
	if set("description") {
		p.Description = in.description
	}
	for _, text := range in.removeNames {
		before := len(p.Names)
		p.Names = slices.DeleteFunc(p.Names, func(n party.Name) bool { return n.Text == strings.TrimSpace(text) })
		if len(p.Names) == before {
			return usagef("--remove-name %q: the party has no other name or alias written exactly so", text)
		}
	}
	for _, spec := range in.namesIn {
		lang, text, err := langText("--name-in", spec)
		if err != nil {
			return err
		}
		// One name per language: a new one replaces the old.
		i := slices.IndexFunc(p.Names, func(n party.Name) bool { return !n.Alias && n.Lang == lang })
		if i >= 0 {
			p.Names[i].Text = text
		} else {
			p.Names = append(p.Names, party.Name{Lang: lang, Text: text})
		}
	}
	for _, spec := range in.aliases {
		lang, text, err := langText("--alias", spec)
		if err != nil {
			return err
		}
		alias := party.Name{Lang: lang, Text: text, Alias: true}
		if !slices.Contains(p.Names, alias) {
			p.Names = append(p.Names, alias)
		}
	}
	return refs.done()
}

// resolvePartyNames lets a JSON file name the parent instead of giving its ID.
func resolvePartyNames(ctx context.Context, a *app.App, p *party.Party) error {
	refs := &references{ctx: ctx, app: a}
	if p.ParentID != "" && !record.ValidID(p.ParentID) {
		p.ParentID = refs.party("parent_id", p.ParentID)
	}
	return refs.done()
}

func (c *cli) partyAddCommand() *cobra.Command {
	var in partyInput
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Add a party, or a unit of one",
		Example: `  dossier party add --name Hamas --type non_state_armed_group --name-in "ar=حماس" \
    --alias "en=Harakat al-Muqawama al-Islamiya" --alias "ar=حركة المقاومة الإسلامية"
  dossier party add --name "Izz ad-Din al-Qassam Brigades" --type non_state_armed_group --parent Hamas
  dossier party add --name "Rapid Support Forces" --abbreviation RSF --type state_affiliated_militia --country SD`,
		Args: noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if in.file != "" && in.changed(cmd.Flags()) {
				return usagef("--file gives the whole party: give either --file or the field flags, not both")
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			p := &party.Party{}
			hint := partyFlag
			if in.file != "" {
				if err := c.readJSONFile(in.file, p); err != nil {
					return err
				}
				hint = nil
				err = resolvePartyNames(ctx, a, p)
			} else {
				err = in.apply(ctx, a, cmd.Flags(), p)
			}
			if err = problems(err, func() error { p.Normalize(); return p.Validate() }); err != nil {
				return invalid("the party", err, hint)
			}
			if err := a.Parties.Create(ctx, p); err != nil {
				return invalid("the party", err, hint)
			}
			if asJSON {
				return writeJSON(c.stdout, p)
			}
			fmt.Fprintf(c.stdout, "Added party %s: %s\n", p.ID, p.Name)
			return nil
		}),
	}
	in.register(cmd.Flags(), false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the stored party as JSON")
	return cmd
}

func (c *cli) partyListCommand() *cobra.Command {
	var f struct {
		search, typ, parent string
		topLevel            bool
		limit, offset       int
	}
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List parties by name",
		Example: `  dossier party list --top-level
  dossier party list --parent Hamas
  dossier party list --search حماس --json`,
		Args: noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			filter := party.Filter{Text: f.search, Type: party.Type(f.typ), TopLevel: f.topLevel, Limit: f.limit, Offset: f.offset}
			if f.typ != "" && !slices.Contains(party.Types, filter.Type) {
				return usagef("--type %q is not one of: %s", f.typ, enumNames(party.Types))
			}
			if f.limit < 0 || f.offset < 0 {
				return usagef("--limit and --offset cannot be negative")
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if f.parent != "" {
				p, err := partyArg(ctx, a, f.parent)
				if err != nil {
					return err
				}
				filter.ParentID = p.ID
			}
			parties, err := a.Parties.List(ctx, filter)
			if err != nil {
				return err
			}
			if parties == nil {
				parties = []party.Party{}
			}
			if asJSON {
				return writeJSON(c.stdout, parties)
			}
			if len(parties) == 0 {
				fmt.Fprintln(c.stdout, "No parties match.")
				return nil
			}
			names := nameCache{ctx: ctx, app: a}
			t := newTable(c.stdout, "ID", "NAME", "ABBREVIATION", "TYPE", "PART OF", "COUNTRY", "INCIDENTS")
			for _, p := range parties {
				parent := ""
				if p.ParentID != "" {
					parent = names.partyName(p.ParentID)
				}
				n, err := a.Incidents.CountForParty(ctx, p.ID)
				if err != nil {
					return err
				}
				t.row(p.ID, truncate(p.Name, 50), p.Abbreviation, string(p.Type), truncate(parent, 40), p.CountryCode, fmt.Sprint(n))
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s.\n", plural(len(parties), "party", "parties"))
			return names.err
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&f.search, "search", "", "words in any of the party's names, in any script")
	fl.StringVar(&f.typ, "type", "", "only this `TYPE` of party")
	fl.StringVar(&f.parent, "parent", "", "only the direct units of this `PARTY`: ID or name")
	fl.BoolVar(&f.topLevel, "top-level", false, "only parties that are not a unit of another")
	fl.IntVar(&f.limit, "limit", 0, "at most this many (0: all)")
	fl.IntVar(&f.offset, "offset", 0, "skip this many first")
	fl.BoolVar(&asJSON, "json", false, "print the parties as JSON")
	return cmd
}

// partyName is a party's name alone, for tables.
func (n *nameCache) partyName(id string) string {
	full := n.party(id)
	return strings.TrimSuffix(full, " ("+id+")")
}

func (c *cli) partyShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "show ID|NAME",
		Short:   "Show a party, what it is part of, and its units",
		Example: "  dossier party show Hamas\n  dossier party show RSF --json",
		Args:    exactArgs("ID or name"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			p, err := partyArg(ctx, a, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, p)
			}
			return c.printParty(ctx, a, p)
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the party as JSON")
	return cmd
}

func (c *cli) printParty(ctx context.Context, a *app.App, p *party.Party) error {
	ancestors, err := a.Parties.Ancestors(ctx, p)
	if err != nil {
		return err
	}
	units, err := a.Parties.List(ctx, party.Filter{ParentID: p.ID})
	if err != nil {
		return err
	}
	incidents, err := a.Incidents.CountForParty(ctx, p.ID)
	if err != nil {
		return err
	}
	f := newFields(c.stdout)
	f.add("Party", p.ID)
	f.add("Name", p.Name)
	f.add("Abbreviation", p.Abbreviation)
	f.add("Type", fmt.Sprintf("%s (%s)", p.Type, strings.ReplaceAll(string(p.Type.Category()), "_", "-")))
	if len(ancestors) > 0 {
		chain := make([]string, len(ancestors))
		for i, anc := range ancestors {
			chain[len(ancestors)-1-i] = anc.Name
		}
		f.add("Part of", strings.Join(chain, " > "))
	}
	f.add("Country", p.CountryCode)
	for _, n := range p.Names {
		label := "Name (" + n.Lang + ")"
		if n.Alias {
			label = "Alias (" + n.Lang + ")"
		}
		f.add(label, n.Text)
	}
	f.add("Incidents", fmt.Sprintf("%d (attributed to it or to its units)", incidents))
	f.add("Version", fmt.Sprintf("%d, updated %s by %s", p.Version, formatTime(p.UpdatedAt), p.UpdatedBy))
	f.add("Created", fmt.Sprintf("%s by %s", formatTime(p.CreatedAt), p.CreatedBy))
	if err := f.flush(); err != nil {
		return err
	}
	if p.Description != "" {
		fmt.Fprintln(c.stdout, "\nDescription")
		indent(c.stdout, p.Description, "  ")
	}
	if len(units) > 0 {
		fmt.Fprintf(c.stdout, "\nUnits (%d)\n", len(units))
		for _, u := range units {
			fmt.Fprintf(c.stdout, "  %s  %s\n", u.ID, u.Name)
		}
	}
	return nil
}

func (c *cli) partyEditCommand() *cobra.Command {
	var in partyInput
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "edit ID|NAME",
		Short: "Change a party",
		Long: `Change a party: the flags given change those fields and leave the rest.
--name-in replaces the name in that language; --alias adds an alias;
--remove-name removes a name or alias. --parent "" makes it a top-level party.

--file replaces the whole party with the JSON in FILE; its "version" must be
the version that was read (exit code 5 if someone changed it since).`,
		Example: `  dossier party edit Hamas --name-in "he=חמאס" --alias "en=Islamic Resistance Movement"
  dossier party edit "Nukhba force" --parent "Izz ad-Din al-Qassam Brigades"`,
		Args: exactArgs("ID or name"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			flagsGiven := in.changed(cmd.Flags())
			switch {
			case in.file != "" && flagsGiven:
				return usagef("--file replaces the whole party: give either --file or the field flags, not both")
			case in.file == "" && !flagsGiven:
				return usagef("nothing to change: give the fields to change as flags (such as --abbreviation) or the whole party with --file")
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			stored, err := partyArg(ctx, a, args[0])
			if err != nil {
				return err
			}
			p := &party.Party{}
			hint := partyFlag
			if in.file != "" {
				if err := c.readJSONFile(in.file, p); err != nil {
					return err
				}
				if p.ID == "" {
					p.ID = stored.ID
				}
				if p.ID != stored.ID {
					return usagef("the file holds party %s, not %s", p.ID, stored.ID)
				}
				if p.Version == 0 {
					return &exitError{code: ExitInvalid, err: &invalidError{what: "the party", errs: record.Errors{{
						Field: "version", Code: "required",
						Message: "give the version the change starts from ('party show ID --json' prints it), so that nobody's change is overwritten",
					}}}}
				}
				hint = nil
				err = resolvePartyNames(ctx, a, p)
			} else {
				*p = *stored
				p.Names = slices.Clone(stored.Names)
				err = in.apply(ctx, a, cmd.Flags(), p)
			}
			if err = problems(err, func() error { p.Normalize(); return p.Validate() }); err != nil {
				return invalid("the party", err, hint)
			}
			if p.Version == stored.Version && sameJSON(stored, p) {
				if asJSON {
					return writeJSON(c.stdout, p)
				}
				fmt.Fprintf(c.stdout, "Party %s is unchanged (version %d).\n", p.ID, p.Version)
				return nil
			}
			read := p.Version
			if err := a.Parties.Update(ctx, p); err != nil {
				return updateError("party", p.ID, read, err, hint)
			}
			if asJSON {
				return writeJSON(c.stdout, p)
			}
			fmt.Fprintf(c.stdout, "Updated party %s to version %d.\n", p.ID, p.Version)
			return nil
		}),
	}
	in.register(cmd.Flags(), true)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the stored party as JSON")
	return cmd
}

// sameJSON reports whether two records read the same.
func sameJSON(x, y any) bool {
	a, err1 := json.Marshal(x)
	b, err2 := json.Marshal(y)
	return err1 == nil && err2 == nil && string(a) == string(b)
}
