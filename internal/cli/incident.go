package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/source"
)

func (c *cli) incidentCommand() *cobra.Command {
	return group("incident", "Add, list, show and edit incidents",
		c.incidentAddCommand(),
		c.incidentListCommand(),
		c.incidentShowCommand(),
		c.incidentEditCommand(),
		c.incidentHistoryCommand(),
	)
}

func (c *cli) incidentAddCommand() *cobra.Command {
	var in incidentInput
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Record a new incident",
		Long: `Record a new incident, from flags or from a JSON file.

An act is one violation against one victim, or against a counted group of
victims. --act takes comma-separated key=value pairs:
  violation    ` + wrap(enumNames(incident.ViolationTypes), 62, "               ") + `
  sex          ` + enumNames(incident.Sexes) + `
  age          ` + enumNames(incident.AgeGroups) + `
  status       ` + wrap(enumNames(incident.VictimStatuses), 62, "               ") + `
  count        number of victims (1 unless given)
  code         the victim's pseudonymous code, never a name
  party        a perpetrating party or unit: its ID or any of its names
  perpetrator  what is known of the perpetrator (describes the party
               before it, or an unidentified perpetrator)
  tag          a term from another vocabulary, repeatable
  description  what was done
Values may contain commas ("perpetrator=men in uniform, armed").

--source links a source that told of the incident: its ID, document symbol
or title, then
  connection   ` + wrap(enumNames(source.Connections), 62, "               ") + `
  reliability  ` + enumNames(source.Reliabilities) + `
  reference    page, paragraph or timestamp in the source
  act          N: the act the information is about, as 'incident show' numbers it
  notes        anything else

--case files the incident in a case (an investigation, 'dossier user
cases' lists them): through the server only the case's members see it, and
an incident of no case is seen by nobody there.

With --file, the incident is read whole in the JSON shape 'incident show
--json' prints; situation_id, case_id, party_id and source_id may hold names.`,
		Example: `  dossier incident add --title "Attack on the Nova festival" --situation "Israel and the State of Palestine" \
    --case "7 October 2023" --date 2023-10-07 --place "Re'im" --country IL --context during_attack --status under_review \
    --act "violation=rape,sex=female,age=adult,party=Hamas" \
    --act "violation=sexual_violence_against_corpse,count=2,perpetrator=armed men in uniform"
  dossier incident add --file incident.json`,
		Args: noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if in.file != "" && in.changed(cmd.Flags()) {
				return usagef("--file gives the whole incident: give either --file or the field flags, not both")
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			rec := &incident.Incident{}
			var hint func(string) string
			if in.file != "" {
				if err := c.readJSONFile(in.file, rec); err != nil {
					return err
				}
				err = resolveIncidentNames(ctx, a, rec)
			} else {
				hint, err = in.apply(ctx, a, cmd.Flags(), rec)
			}
			if err = problems(err, func() error { rec.Normalize(); return rec.Validate() }); err != nil {
				return invalid("the incident", err, hint)
			}
			if err := a.Incidents.Create(ctx, rec); err != nil {
				return invalid("the incident", err, hint)
			}
			if asJSON {
				return writeJSON(c.stdout, rec)
			}
			fmt.Fprintf(c.stdout, "Added incident %s: %s\n", rec.ID, rec.Title)
			return nil
		}),
	}
	in.register(cmd.Flags(), false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the stored incident as JSON")
	return cmd
}

// resolveIncidentNames lets a hand-written JSON file name its situation,
// parties and sources instead of giving their IDs.
func resolveIncidentNames(ctx context.Context, a *app.App, rec *incident.Incident) error {
	refs := &references{ctx: ctx, app: a}
	byName := func(ref string) bool { return ref != "" && !record.ValidID(ref) }
	if byName(rec.SituationID) {
		rec.SituationID = refs.situation("situation_id", rec.SituationID)
	}
	if byName(rec.CaseID) {
		rec.CaseID = refs.caseOf("case_id", rec.CaseID)
	}
	for i := range rec.Acts {
		for j := range rec.Acts[i].Perpetrators {
			p := &rec.Acts[i].Perpetrators[j]
			if byName(p.PartyID) {
				p.PartyID = refs.party(fmt.Sprintf("acts[%d].perpetrators[%d].party_id", i, j), p.PartyID)
			}
		}
	}
	for i := range rec.Information {
		if l := &rec.Information[i]; byName(l.SourceID) {
			l.SourceID = refs.source(fmt.Sprintf("information[%d].source_id", i), l.SourceID)
		}
	}
	return refs.done()
}

func (c *cli) incidentListCommand() *cobra.Command {
	var f struct {
		situation, party, violation, ageGroup, from, to, status, search, sort, cursor string
		limit                                                                         int
	}
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List incidents, filtered and sorted",
		Long: `List incidents, newest first unless --sort says otherwise, one page at a
time (--limit, at most 500); the last line gives the --cursor of the next page.

An incident matches --party when any of its acts is attributed to that party
or to one of its units, and --violation when an act is of that type or one
of its forms (rape finds gang rape). --violation, --age-group and --party
must hold for the same act. --from and --to keep incidents whose date may
fall within the period.`,
		Example: `  dossier incident list --situation Sudan --violation rape --age-group child
  dossier incident list --party Hamas --from 2023-10-07 --to 2023-10-08 --json
  dossier incident list --search "Kibbutz Re'im" --sort date`,
		Args: noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			filter := incident.Filter{
				ViolationType: incident.ViolationType(f.violation),
				AgeGroup:      incident.AgeGroup(f.ageGroup),
				Status:        incident.Status(f.status),
				Text:          f.search,
				Sort:          incident.Sort(f.sort),
				Limit:         f.limit,
				Cursor:        f.cursor,
			}
			var ok bool
			if filter.From, ok = periodBound(f.from, false); !ok {
				return usagef("--from %q: use YYYY-MM-DD, YYYY-MM or YYYY", f.from)
			}
			if filter.To, ok = periodBound(f.to, true); !ok {
				return usagef("--to %q: use YYYY-MM-DD, YYYY-MM or YYYY", f.to)
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if f.situation != "" {
				s, err := situationArg(ctx, a, f.situation)
				if err != nil {
					return err
				}
				filter.SituationID = s.ID
			}
			if f.party != "" {
				p, err := partyArg(ctx, a, f.party)
				if err != nil {
					return err
				}
				filter.PartyID = p.ID
			}
			page, err := a.Incidents.List(ctx, filter)
			if errs, ok := record.AsErrors(err); ok {
				// The filter is the command line: a bad value is a usage error.
				return &exitError{code: ExitUsage, err: &invalidError{what: "the filter", errs: errs, flag: flagFor(map[string]string{
					"sort": "--sort", "violation_type": "--violation", "age_group": "--age-group", "status": "--status",
					"from": "--from", "to": "--to", "limit": "--limit", "cursor": "--cursor",
				})}}
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, page)
			}
			return c.printIncidents(ctx, a, page)
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&f.situation, "situation", "", "only this `SITUATION`: its ID or exact name")
	fl.StringVar(&f.party, "party", "", "only acts attributed to this `PARTY` or its units: ID or name")
	fl.StringVar(&f.violation, "violation", "", "only this violation `TYPE` (and its forms)")
	fl.StringVar(&f.ageGroup, "age-group", "", "only victims of this age group: "+enumNames(incident.AgeGroups))
	fl.StringVar(&f.from, "from", "", "only incidents that may have happened on or after this `DATE`")
	fl.StringVar(&f.to, "to", "", "only incidents that may have happened on or before this `DATE`")
	fl.StringVar(&f.status, "status", "", "only this status: "+enumNames(incident.Statuses))
	fl.StringVar(&f.search, "search", "", "words in the title, summary or place (any script)")
	fl.StringVar(&f.sort, "sort", string(incident.NewestFirst), "order: "+enumNames(incident.Sorts))
	fl.IntVar(&f.limit, "limit", 50, "incidents per page, at most 500")
	fl.StringVar(&f.cursor, "cursor", "", "continue from where the previous page ended")
	fl.BoolVar(&asJSON, "json", false, "print the page as JSON")
	return cmd
}

// periodBound reads a --from or --to date; a month or year stands for its
// first day (from) or its last (to).
func periodBound(s string, last bool) (string, bool) {
	if s == "" {
		return "", true
	}
	first, end, _, ok := dateBounds(s)
	if last {
		return end, ok
	}
	return first, ok
}

func (c *cli) printIncidents(ctx context.Context, a *app.App, page incident.Page) error {
	if len(page.Incidents) == 0 {
		fmt.Fprintln(c.stdout, "No incidents match.")
		return nil
	}
	names, err := situationNames(ctx, a)
	if err != nil {
		return err
	}
	t := newTable(c.stdout, "ID", "DATE", "TITLE", "SITUATION", "VIOLATIONS", "VICTIMS", "STATUS")
	for _, in := range page.Incidents {
		violations := make([]string, 0, len(in.Acts))
		for _, v := range in.ViolationTypes() {
			violations = append(violations, string(v))
		}
		t.row(in.ID, formatDate(in.Date), truncate(in.Title, 60), truncate(names[in.SituationID], 30),
			strings.Join(violations, ", "), fmt.Sprint(in.VictimCount()), string(in.Status))
	}
	if err := t.flush(); err != nil {
		return err
	}
	total := fmt.Sprint(page.Total)
	if page.TotalCapped {
		total = "more than " + total
	}
	if page.Next != "" {
		fmt.Fprintf(c.stdout, "%d of %s incidents shown; next page: --cursor %s\n", len(page.Incidents), total, page.Next)
	} else if len(page.Incidents) < page.Total {
		fmt.Fprintf(c.stdout, "Last %d of %s incidents.\n", len(page.Incidents), total)
	} else {
		fmt.Fprintf(c.stdout, "%s.\n", plural(page.Total, "incident", "incidents"))
	}
	return nil
}

func situationNames(ctx context.Context, a *app.App) (map[string]string, error) {
	all, err := a.Situations.List(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(all))
	for _, s := range all {
		names[s.ID] = s.Name
	}
	return names, nil
}

func (c *cli) incidentShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "show ID",
		Short:   "Show an incident with its acts and sources",
		Example: "  dossier incident show 0192f6c4-7e0a-7b3e-9c1d-2f4a5b6c7d8e --json > incident.json",
		Args:    exactArgs("ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			in, err := getIncident(ctx, a, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, in)
			}
			return c.printIncident(ctx, a, in)
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the incident as JSON")
	return cmd
}

func getIncident(ctx context.Context, a *app.App, id string) (*incident.Incident, error) {
	in, err := a.Incidents.Get(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, notFoundf("no incident has ID %q (see 'dossier incident list')", id)
	}
	return in, err
}

func (c *cli) printIncident(ctx context.Context, a *app.App, in *incident.Incident) error {
	w := c.stdout
	names := nameCache{ctx: ctx, app: a}
	f := newFields(w)
	f.add("Incident", in.ID)
	f.add("Title", in.Title)
	f.add("Status", string(in.Status))
	if in.SituationID != "" {
		f.add("Situation", names.situation(in.SituationID))
	}
	if in.CaseID != "" {
		f.add("Case", names.caseName(in.CaseID))
	} else {
		f.add("Case", "none (nobody sees it through the server until it is filed in one)")
	}
	f.add("Date", describeDate(in.Date))
	f.add("Place", describePlace(in.Place))
	f.add("Context", string(in.Context))
	f.add("Version", fmt.Sprintf("%d, updated %s by %s", in.Version, formatTime(in.UpdatedAt), in.UpdatedBy))
	f.add("Created", fmt.Sprintf("%s by %s", formatTime(in.CreatedAt), in.CreatedBy))
	if err := f.flush(); err != nil {
		return err
	}
	if in.Summary != "" {
		fmt.Fprintln(w, "\nSummary")
		indent(w, in.Summary, "  ")
	}
	fmt.Fprintf(w, "\nActs (%d, %s)\n", len(in.Acts), plural(in.VictimCount(), "victim", "victims"))
	if len(in.Acts) == 0 {
		fmt.Fprintln(w, "  none recorded yet")
	}
	actNumber := map[string]int{}
	for i, act := range in.Acts {
		actNumber[act.ID] = i + 1
		victim := describeVictim(act.Victim)
		fmt.Fprintf(w, "  %d. %s: %s\n", i+1, act.ViolationType, victim)
		for _, p := range act.Perpetrators {
			who := "unidentified"
			if p.PartyID != "" {
				who = names.party(p.PartyID)
			}
			if p.Description != "" {
				who += ": " + p.Description
			}
			fmt.Fprintf(w, "     perpetrator: %s\n", oneLine(who))
		}
		if len(act.Tags) > 0 {
			fmt.Fprintf(w, "     tags: %s\n", strings.Join(act.Tags, ", "))
		}
		if act.Description != "" {
			indent(w, act.Description, "     ")
		}
	}
	if len(in.Information) > 0 {
		fmt.Fprintf(w, "\nSources (%d)\n", len(in.Information))
		for i, l := range in.Information {
			line := fmt.Sprintf("%d. %s: %s, reliability %s", i+1, names.source(l.SourceID), l.Connection, l.Reliability)
			if l.Reference != "" {
				line += ", at " + l.Reference
			}
			if n := actNumber[l.ActID]; n > 0 {
				line += fmt.Sprintf(", about act %d", n)
			}
			fmt.Fprintln(w, "  "+oneLine(line))
			if l.Notes != "" {
				indent(w, l.Notes, "     ")
			}
		}
	}
	return names.err
}

func describePlace(p incident.Place) string {
	var parts []string
	for _, s := range []string{p.Name, p.AdminArea, p.Country} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	place := strings.Join(parts, ", ")
	if p.Latitude != nil && p.Longitude != nil {
		coords := fmt.Sprintf("%g, %g", *p.Latitude, *p.Longitude)
		if p.Precision != "" {
			coords += ", " + string(p.Precision)
		}
		place = strings.TrimSpace(place + " (" + coords + ")")
	}
	return place
}

// describeVictim says what is known of an act's victims, leaving out what
// is not: "1 victim: female, adult, hostage, code SYN-1".
func describeVictim(v incident.Victim) string {
	var known []string
	if v.Sex != incident.UnknownSex {
		known = append(known, string(v.Sex))
	}
	if v.AgeGroup != incident.UnknownAge {
		known = append(known, string(v.AgeGroup))
	}
	if v.Status != incident.UnknownStatus {
		known = append(known, string(v.Status))
	}
	if v.Code != "" {
		known = append(known, "code "+v.Code)
	}
	s := plural(v.Count, "victim", "victims")
	if len(known) > 0 {
		s += ": " + strings.Join(known, ", ")
	}
	return s
}

// nameCache names the records an incident refers to, reading each once.
type nameCache struct {
	ctx   context.Context
	app   *app.App
	names map[string]string
	err   error
}

func (n *nameCache) lookup(id string, get func() (string, error)) string {
	if s, ok := n.names[id]; ok {
		return s
	}
	name, err := get()
	switch {
	case errors.Is(err, db.ErrNotFound):
		name = id + " (missing)"
	case err != nil:
		n.err = err
		return id
	default:
		name += " (" + id + ")"
	}
	if n.names == nil {
		n.names = map[string]string{}
	}
	n.names[id] = name
	return name
}

func (n *nameCache) situation(id string) string {
	return n.lookup(id, func() (string, error) {
		s, err := n.app.Situations.Get(n.ctx, id)
		if err != nil {
			return "", err
		}
		return s.Name, nil
	})
}

func (n *nameCache) caseName(id string) string {
	return n.lookup(id, func() (string, error) {
		c, err := n.app.Accounts.Case(n.ctx, id)
		if err != nil {
			return "", err
		}
		return c.Name, nil
	})
}

func (n *nameCache) party(id string) string {
	return n.lookup(id, func() (string, error) {
		p, err := n.app.Parties.Get(n.ctx, id)
		if err != nil {
			return "", err
		}
		return p.Name, nil
	})
}

func (n *nameCache) source(id string) string {
	return n.lookup(id, func() (string, error) {
		s, err := n.app.Sources.Get(n.ctx, id)
		if err != nil {
			return "", err
		}
		if s.DocumentSymbol != "" {
			return s.DocumentSymbol + " " + s.Title, nil
		}
		return s.Title, nil
	})
}

func (c *cli) incidentEditCommand() *cobra.Command {
	var in incidentInput
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "edit ID",
		Short: "Change an incident",
		Long: `Change an incident: the flags given change those fields of the stored
incident and leave the rest as they are; --act adds an act and --remove-act
removes one. An empty value clears a field (--summary "").

--file replaces the whole incident with the JSON in FILE, as 'incident show
--json' prints it; its "version" must be the version that was read, so that
a change someone made in between is not overwritten (exit code 5).

Run on a terminal without flags, edit opens the incident's JSON in $VISUAL
or $EDITOR.`,
		Example: `  dossier incident edit ID --status verified --source "S/2024/292,connection=investigation_finding"
  dossier incident edit ID --act "violation=gang_rape,count=3,party=Nukhba force" --remove-act 1
  dossier incident show ID --json > i.json && $EDITOR i.json && dossier incident edit ID --file i.json`,
		Args: exactArgs("ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			id := args[0]
			flagsGiven := in.changed(cmd.Flags())
			if in.file != "" && flagsGiven {
				return usagef("--file replaces the whole incident: give either --file or the field flags, not both")
			}
			interactive := in.file == "" && !flagsGiven
			if interactive && !isTerminal(c.stdin) {
				return usagef("nothing to change: give the fields to change as flags (such as --status verified) or the whole incident with --file")
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			stored, err := getIncident(ctx, a, id)
			if err != nil {
				return err
			}
			var rec *incident.Incident
			var hint func(string) string
			switch {
			case interactive:
				return c.editInEditor(ctx, a, stored)
			case in.file != "":
				rec = &incident.Incident{}
				if err := c.readJSONFile(in.file, rec); err != nil {
					return err
				}
				if err := checkReplacement(rec, stored); err != nil {
					return err
				}
				err = resolveIncidentNames(ctx, a, rec)
			default:
				rec = cloneIncident(stored)
				hint, err = in.apply(ctx, a, cmd.Flags(), rec)
			}
			if err = problems(err, func() error { rec.Normalize(); return rec.Validate() }); err != nil {
				return invalid("the incident", err, hint)
			}
			changed, err := c.saveIncident(ctx, a, stored, rec, hint)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, rec)
			}
			if !changed {
				fmt.Fprintf(c.stdout, "Incident %s is unchanged (version %d).\n", rec.ID, rec.Version)
				return nil
			}
			fmt.Fprintf(c.stdout, "Updated incident %s to version %d.\n", rec.ID, rec.Version)
			return nil
		}),
	}
	in.register(cmd.Flags(), true)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the stored incident as JSON")
	return cmd
}

// checkReplacement makes sure a whole incident read from a file replaces
// the right one, starting from a version that was read.
func checkReplacement(rec, stored *incident.Incident) error {
	if rec.ID == "" {
		rec.ID = stored.ID
	}
	if rec.ID != stored.ID {
		return usagef("the file holds incident %s, not %s", rec.ID, stored.ID)
	}
	if rec.Version == 0 {
		return &exitError{code: ExitInvalid, err: &invalidError{what: "the incident", errs: record.Errors{{
			Field: "version", Code: "required",
			Message: "give the version the change starts from ('incident show ID --json' prints it), so that nobody's change is overwritten",
		}}}}
	}
	return nil
}

// saveIncident stores rec unless it is the same as stored; it reports
// whether it wrote a new version.
func (c *cli) saveIncident(ctx context.Context, a *app.App, stored, rec *incident.Incident, hint func(string) string) (bool, error) {
	if rec.Version == stored.Version && sameIncident(stored, rec) {
		return false, nil
	}
	read := rec.Version
	if err := a.Incidents.Update(ctx, rec); err != nil {
		return false, updateError("incident", rec.ID, read, err, hint)
	}
	return true, nil
}

// updateError explains why a record could not be updated.
func updateError(kind, id string, read int, err error, hint func(string) string) error {
	switch {
	case errors.Is(err, db.ErrConflict):
		return &exitError{code: ExitConflict, err: fmt.Errorf(
			"%s %s was changed by someone else after version %d was read; show it again and redo your change", kind, id, read)}
	case errors.Is(err, db.ErrNotFound):
		return notFoundf("%s %s no longer exists", kind, id)
	}
	return invalid("the "+kind, err, hint)
}

// sameIncident compares what a person can change, ignoring bookkeeping.
func sameIncident(x, y *incident.Incident) bool {
	a, b := cloneIncident(x), cloneIncident(y)
	a.Normalize()
	b.Normalize()
	a.Meta, b.Meta = record.Meta{}, record.Meta{}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

func cloneIncident(in *incident.Incident) *incident.Incident {
	data, err := json.Marshal(in)
	if err != nil {
		panic(fmt.Sprintf("copy incident: %v", err)) // an Incident always marshals
	}
	out := &incident.Incident{}
	if err := json.Unmarshal(data, out); err != nil {
		panic(fmt.Sprintf("copy incident: %v", err))
	}
	return out
}

// revision is one entry of a record's history with what it changed.
type revision struct {
	record.Revision
	Changes []record.Change `json:"changes"`
}

func (c *cli) incidentHistoryCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "history ID",
		Short: "Show who changed an incident, when, and what",
		Args:  exactArgs("ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if _, err := getIncident(ctx, a, args[0]); err != nil {
				return err
			}
			revs, err := history(ctx, a, record.KindIncident, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, revs)
			}
			printHistory(c.stdout, revs)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the revisions, with their snapshots and changes, as JSON")
	return cmd
}

func history(ctx context.Context, a *app.App, kind record.Kind, id string) ([]revision, error) {
	revs, err := record.History(ctx, a.DB, kind, id)
	if err != nil {
		return nil, err
	}
	out := make([]revision, len(revs))
	var previous json.RawMessage
	for i, r := range revs {
		out[i] = revision{Revision: r, Changes: []record.Change{}}
		if i > 0 {
			changes, err := record.Diff(previous, r.Snapshot)
			if err != nil {
				return nil, fmt.Errorf("compare versions %d and %d of %s %s: %w", i, r.Version, kind, id, err)
			}
			out[i].Changes = append(out[i].Changes, changes...)
		}
		previous = r.Snapshot
	}
	return out, nil
}

func printHistory(w io.Writer, revs []revision) {
	for _, r := range revs {
		action := "created"
		if r.Action == record.Updated {
			action = "changed " + plural(len(r.Changes), "field", "fields")
		}
		fmt.Fprintf(w, "Version %d  %s  %s  %s\n", r.Version, formatTime(r.At), r.Actor, action)
		for _, ch := range r.Changes {
			switch {
			case ch.Old == "":
				fmt.Fprintf(w, "  %s: set to %s\n", ch.Path, quoteValue(ch.New))
			case ch.New == "":
				fmt.Fprintf(w, "  %s: cleared (was %s)\n", ch.Path, quoteValue(ch.Old))
			default:
				fmt.Fprintf(w, "  %s: %s → %s\n", ch.Path, quoteValue(ch.Old), quoteValue(ch.New))
			}
		}
	}
}

func quoteValue(s string) string { return fmt.Sprintf("%q", truncate(s, 70)) }
