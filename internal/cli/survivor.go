package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/survivor"
)

// The command line works on the data directory itself, so it acts as an
// administrator: it may see identities (survivor.Administrator). Every read
// of a sealed value still states a purpose and is recorded.

func (c *cli) survivorCommand() *cobra.Command {
	return group("survivor", "Survivors: sealed identity, consent per use, preferences, interviews, reads, erasure",
		c.survivorAddCommand(),
		c.survivorListCommand(),
		c.survivorShowCommand(),
		c.survivorEditCommand(),
		c.survivorConsentCommand(),
		c.survivorWithdrawCommand(),
		c.survivorPrefsCommand(),
		c.survivorInterviewCommand(),
		c.survivorSearchCommand(),
		c.survivorReadsCommand(),
		c.survivorEraseCommand(),
	)
}

// survivorFlags are the flags that set a survivor's fields.
var survivorFlags = map[string]string{
	"code": "--code", "sex": "--sex", "age_group": "--age-group", "child_at_interview": "--child-at-interview",
	"preferences.interviewer_sex": "--interviewer-sex", "preferences.languages": "--languages",
	"preferences.contact_by": "--contact-by", "preferences.contact_how": "--contact-how",
	"preferences.no_contact": "--no-contact", "identity.": "--identity-stdin",
}

// prefFlags binds the preference flags shared by add, edit and prefs.
type prefFlags struct {
	interviewerSex, languages, contactBy, contactHow string
	noContact                                        bool
}

func (p *prefFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&p.interviewerSex, "interviewer-sex", "", "the interviewer the survivor asks for: "+enumNames(survivor.InterviewerSexes))
	fl.StringVar(&p.languages, "languages", "", "the `LANGS` the survivor wishes to speak, preferred first, comma-separated (ar,fr)")
	fl.StringVar(&p.contactBy, "contact-by", "", "who may contact them, comma-separated: "+enumNames(survivor.ContactRoles))
	fl.StringVar(&p.contactHow, "contact-how", "", "how they may be contacted, comma-separated: "+enumNames(survivor.Channels))
	fl.BoolVar(&p.noContact, "no-contact", false, "the survivor wishes not to be contacted again")
}

// apply sets the preferences whose flags were given.
func (p *prefFlags) apply(cmd *cobra.Command, prefs *survivor.Preferences) {
	fl := cmd.Flags()
	if fl.Changed("interviewer-sex") {
		prefs.InterviewerSex = survivor.InterviewerSex(strings.TrimSpace(p.interviewerSex))
	}
	if fl.Changed("languages") {
		prefs.Languages = splitValues[string](p.languages)
	}
	if fl.Changed("contact-by") {
		prefs.ContactBy = splitValues[survivor.ContactRole](p.contactBy)
	}
	if fl.Changed("contact-how") {
		prefs.ContactHow = splitValues[survivor.Channel](p.contactHow)
	}
	if fl.Changed("no-contact") {
		prefs.NoContact = p.noContact
	}
}

func (c *cli) survivorAddCommand() *cobra.Command {
	var sex, age string
	var child, synthetic, identityStdin, asJSON bool
	var prefs prefFlags
	cmd := &cobra.Command{
		Use:   "add CODE",
		Short: "Add a survivor under a pseudonymous code",
		Long: `Add the survivor behind a pseudonymous victim code: the code acts use for
them (SYN-0042), their sex and age group at the time of the acts, and their
preferences. What identifies them is sealed (encrypted with their own key
before it reaches the database) and is read from standard input, never
from flags: with --identity-stdin, "field: value" lines for name, contact,
residence and identifying_details; at a terminal, a prompt for each that
does not show what is typed.`,
		Example: `  dossier survivor add SYN-0042 --sex female --age-group adult --interviewer-sex female --languages ar,fr
  dossier survivor add SYN-0043 --sex female --age-group child --child-at-interview --identity-stdin < identity.txt`,
		Args: exactArgs("CODE"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			sv := &survivor.Survivor{Code: args[0], Sex: incident.Sex(strings.TrimSpace(sex)),
				AgeGroup: incident.AgeGroup(strings.TrimSpace(age)), ChildAtInterview: child, Synthetic: synthetic}
			prefs.apply(cmd, &sv.Preferences)
			var identity survivor.Identity
			if identityStdin {
				change, err := c.readIdentity()
				if err != nil {
					return err
				}
				for f, v := range change {
					setIdentity(&identity, f, *v)
				}
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.Survivors.Create(ctx, survivor.Administrator(ctx), sv, identity); err != nil {
				return survivorError("the survivor", err, survivorFlags)
			}
			if asJSON {
				return writeJSON(c.stdout, sv)
			}
			fmt.Fprintf(c.stdout, "Added survivor %s: %s\n", sv.ID, sv.Code)
			if len(sv.Sealed) > 0 {
				fmt.Fprintf(c.stdout, "Sealed: %s.\n", fieldList(sv.Sealed))
			}
			fmt.Fprintf(c.stdout, "Record their consent to each use with 'dossier survivor consent %s USE given|refused'.\n", sv.Code)
			return nil
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&sex, "sex", "", "sex: "+enumNames(incident.Sexes)+" (default unknown)")
	fl.StringVar(&age, "age-group", "", "age group at the time of the acts: "+enumNames(incident.AgeGroups)+" (default unknown)")
	fl.BoolVar(&child, "child-at-interview", false, "the survivor is under 18 at the time of the interview (adds the safeguards for children)")
	fl.BoolVar(&synthetic, "synthetic", false, "mark the survivor as made up (demonstration or training data)")
	fl.BoolVar(&identityStdin, "identity-stdin", false, "read sealed identity fields from standard input (or prompt at a terminal)")
	fl.BoolVar(&asJSON, "json", false, "print the stored survivor as JSON (never sealed values)")
	prefs.bind(cmd)
	return cmd
}

func setIdentity(id *survivor.Identity, f survivor.Field, v string) {
	switch f {
	case survivor.Name:
		id.Name = v
	case survivor.Contact:
		id.Contact = v
	case survivor.Residence:
		id.Residence = v
	case survivor.Details:
		id.IdentifyingDetails = v
	}
}

func fieldList(fs []survivor.Field) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = strings.ToLower(fieldLabel(f))
	}
	return strings.Join(parts, ", ")
}

func (c *cli) survivorListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List survivors by code, with where their consent stands",
		Args:  noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			all, err := a.Survivors.List(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, all)
			}
			if len(all) == 0 {
				fmt.Fprintln(c.stdout, "No survivors yet: add one with 'dossier survivor add CODE'.")
				return nil
			}
			t := newTable(c.stdout, "CODE", "SEX", "AGE GROUP", "SEALED", "CONSENTED TO", "INTERVIEWS", "ID")
			for _, s := range all {
				sealed := fieldList(s.Sealed)
				if s.Erased() {
					sealed = "erased"
				}
				code := s.Code
				if s.Synthetic {
					code += " (synthetic)"
				}
				t.row(code, string(s.Sex), string(s.AgeGroup), sealed, consentedUses(s.Consent), fmt.Sprint(s.Interviews), s.ID)
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s.\n", plural(len(all), "survivor", "survivors"))
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the survivors as JSON (never sealed values)")
	return cmd
}

func consentedUses(states []survivor.ConsentState) string {
	var out []string
	for _, s := range states {
		if s.Allows() {
			out = append(out, string(s.Use))
		}
	}
	if len(out) == 0 {
		return "nothing"
	}
	return strings.Join(out, ",")
}

func (c *cli) survivorShowCommand() *cobra.Command {
	var reveal, purpose string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show CODE|ID",
		Short: "Show a survivor: facts, preferences, consent, interviews, acts",
		Long: `Show a survivor without their sealed values: which fields are sealed, their
preferences, where consent to each use stands (and its history), their
interviews and the acts recorded under their code.

--reveal opens sealed identity fields (name, contact, residence,
identifying_details, or all) for a stated --purpose; the read, with its
purpose, is recorded in the audit log and listed by 'dossier survivor reads'.`,
		Example: `  dossier survivor show SYN-0042
  dossier survivor show SYN-0042 --reveal name,contact --purpose "Arranging the referral to the legal clinic"`,
		Args: exactArgs("CODE|ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			var fields []survivor.Field
			if reveal != "" && reveal != "all" {
				fields = splitValues[survivor.Field](reveal)
			}
			if reveal == "" && purpose != "" {
				return usagef("--purpose goes with --reveal")
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			sv, err := findSurvivor(ctx, a, args[0])
			if err != nil {
				return err
			}
			d, err := a.Survivors.Detail(ctx, sv.ID)
			if err != nil {
				return err
			}
			var revealed *survivor.Revealed
			if reveal != "" {
				revealed, err = a.Survivors.Reveal(ctx, survivor.Administrator(ctx), sv.ID, purpose, fields...)
				if err != nil {
					return survivorError("the read", err, map[string]string{"purpose": "--purpose"})
				}
			}
			if asJSON {
				return writeJSON(c.stdout, struct {
					*survivor.Detail
					Revealed *survivor.Revealed `json:"revealed,omitempty"`
				}{d, revealed})
			}
			return c.printSurvivor(ctx, a, d, revealed)
		}),
	}
	cmd.Flags().StringVar(&reveal, "reveal", "", "open these sealed `FIELDS` (comma-separated, or all); needs --purpose")
	cmd.Flags().StringVar(&purpose, "purpose", "", "why you need to see them (recorded with the read)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the survivor (and what --reveal opened) as JSON")
	return cmd
}

func (c *cli) printSurvivor(ctx context.Context, a *app.App, d *survivor.Detail, revealed *survivor.Revealed) error {
	f := newFields(c.stdout)
	f.add("Survivor", d.Code)
	f.add("ID", d.ID)
	if d.Synthetic {
		f.add("Synthetic", "yes: made up for demonstration or training; no real person")
	}
	f.add("Sex", string(d.Sex))
	f.add("Age group", string(d.AgeGroup)+" (at the time of the acts)")
	f.add("Child at interview", yesNo(d.ChildAtInterview))
	sealed := "nothing recorded"
	if len(d.Sealed) > 0 {
		sealed = fieldList(d.Sealed) + " (use --reveal with a --purpose to open)"
	}
	if d.Erased() {
		sealed = fmt.Sprintf("erased on %s (%s): the key is destroyed and nothing sealed can be opened", formatTime(*d.ErasedAt), d.Erasure)
	}
	f.add("Sealed", sealed)
	if err := f.flush(); err != nil {
		return err
	}
	if revealed != nil {
		fmt.Fprintf(c.stdout, "\nOpened for: %s (read recorded, audit log entry %d)\n", revealed.Read.Purpose, revealed.Read.AuditIndex)
		rf := newFields(c.stdout)
		for _, field := range revealed.Fields {
			v := revealed.Identity.Get(field)
			switch {
			case revealed.Erased:
				v = "erased"
			case v == "":
				v = "not recorded"
			}
			rf.add("  "+fieldLabel(field), v)
		}
		if err := rf.flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(c.stdout, "\nPreferences")
	printPreferences(c.stdout, d.Preferences)
	fmt.Fprintln(c.stdout, "\nConsent")
	t := newTable(c.stdout, "USE", "DECISION", "ON", "LANGUAGE", "TAKEN BY")
	for _, st := range d.Consent {
		decision := string(st.Decision)
		if decision == "" {
			decision = "not recorded"
		}
		t.row(string(st.Use), decision, st.On, st.Language, st.TakenBy)
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "\nInterviews: %d\n", len(d.Interviews))
	for _, iv := range d.Interviews {
		fmt.Fprintf(c.stdout, "  %s  %s  %s  by %s  %s\n", iv.ID, iv.HeldOn, iv.Status, iv.Interviewer, testimonyState(iv, d.Erased()))
	}
	fmt.Fprintf(c.stdout, "\nActs under this code: %d\n", len(d.Acts))
	for _, act := range d.Acts {
		fmt.Fprintf(c.stdout, "  %s  %s  %s  (incident %s)\n", formatDate(act.Date), act.ViolationType, truncate(act.IncidentTitle, 60), act.IncidentID)
	}
	return nil
}

func testimonyState(iv survivor.Interview, erased bool) string {
	switch {
	case !iv.HasTestimony:
		return "no testimony"
	case erased:
		return "testimony erased"
	}
	return "testimony sealed"
}

func printPreferences(w io.Writer, p survivor.Preferences) {
	f := newFields(w)
	f.add("  Interviewer", string(p.InterviewerSex))
	langs := strings.Join(p.Languages, ", ")
	if langs == "" {
		langs = "none stated"
	}
	f.add("  Languages", langs)
	switch {
	case p.NoContact:
		f.add("  Contact", "none: the survivor wishes not to be contacted again")
	default:
		by, how := joinValues(p.ContactBy), joinValues(p.ContactHow)
		if by == "" {
			by = "not stated"
		}
		if how == "" {
			how = "not stated"
		}
		f.add("  Contact by", by)
		f.add("  Contact how", how)
	}
	f.flush()
}

func joinValues[T ~string](vs []T) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = string(v)
	}
	return strings.Join(parts, ", ")
}

func (c *cli) survivorEditCommand() *cobra.Command {
	var code, sex, age, clear string
	var child, synthetic, identityStdin, asJSON bool
	var prefs prefFlags
	cmd := &cobra.Command{
		Use:   "edit CODE|ID",
		Short: "Change a survivor's facts, preferences or sealed identity",
		Long: `Change what the flags give; everything else stays. --identity-stdin replaces
the sealed fields given on standard input ("field: value" lines, or prompts
at a terminal); --clear removes sealed fields. An erased survivor's
identity cannot be recorded again.`,
		Example: `  dossier survivor edit SYN-0042 --age-group adult --languages ar
  dossier survivor edit SYN-0042 --identity-stdin < new-contact.txt
  dossier survivor edit SYN-0042 --clear contact`,
		Args: exactArgs("CODE|ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			change := survivor.IdentityChange{}
			if identityStdin {
				var err error
				if change, err = c.readIdentity(); err != nil {
					return err
				}
			}
			for _, f := range splitValues[survivor.Field](clear) {
				if _, given := change[f]; given {
					return usagef("--clear %s: the field is also given on standard input", f)
				}
				change.Set(f, "")
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			sv, err := findSurvivor(ctx, a, args[0])
			if err != nil {
				return err
			}
			fl := cmd.Flags()
			if fl.Changed("code") {
				sv.Code = code
			}
			if fl.Changed("sex") {
				sv.Sex = incident.Sex(strings.TrimSpace(sex))
			}
			if fl.Changed("age-group") {
				sv.AgeGroup = incident.AgeGroup(strings.TrimSpace(age))
			}
			if fl.Changed("child-at-interview") {
				sv.ChildAtInterview = child
			}
			if fl.Changed("synthetic") {
				sv.Synthetic = synthetic
			}
			prefs.apply(cmd, &sv.Preferences)
			flags := maps.Clone(survivorFlags)
			flags["identity."] = "--identity-stdin or --clear"
			if err := a.Survivors.Update(ctx, survivor.Administrator(ctx), sv, change); err != nil {
				return survivorError("the survivor", err, flags)
			}
			if asJSON {
				return writeJSON(c.stdout, sv)
			}
			fmt.Fprintf(c.stdout, "Saved survivor %s (version %d).\n", sv.Code, sv.Version)
			return nil
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&code, "code", "", "a new pseudonymous `CODE` (acts keep theirs: change them too)")
	fl.StringVar(&sex, "sex", "", "sex: "+enumNames(incident.Sexes))
	fl.StringVar(&age, "age-group", "", "age group at the time of the acts: "+enumNames(incident.AgeGroups))
	fl.BoolVar(&child, "child-at-interview", false, "the survivor is under 18 at the time of the interview (--child-at-interview=false to unset)")
	fl.BoolVar(&synthetic, "synthetic", false, "mark the survivor as made up (--synthetic=false to unset)")
	fl.BoolVar(&identityStdin, "identity-stdin", false, "replace the sealed fields given on standard input")
	fl.StringVar(&clear, "clear", "", "remove these sealed `FIELDS` (comma-separated)")
	fl.BoolVar(&asJSON, "json", false, "print the stored survivor as JSON")
	prefs.bind(cmd)
	return cmd
}

func (c *cli) survivorPrefsCommand() *cobra.Command {
	var prefs prefFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "prefs CODE|ID",
		Short: "Show or change how a survivor wishes to be approached",
		Long: `Without flags, show the survivor's preferences: the interviewer's sex, the
languages they wish to speak, who may contact them and how. They are shown
before every interview, and an interview that does not honour them cannot
be completed. With flags, change them.`,
		Example: `  dossier survivor prefs SYN-0042
  dossier survivor prefs SYN-0042 --interviewer-sex female --languages ar --contact-by protection_adviser --contact-how in_person`,
		Args: exactArgs("CODE|ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			sv, err := findSurvivor(ctx, a, args[0])
			if err != nil {
				return err
			}
			if anyChanged(cmd, "interviewer-sex", "languages", "contact-by", "contact-how", "no-contact") {
				prefs.apply(cmd, &sv.Preferences)
				if err := a.Survivors.Update(ctx, survivor.Administrator(ctx), sv, nil); err != nil {
					return survivorError("the preferences", err, survivorFlags)
				}
				if !asJSON {
					fmt.Fprintf(c.stdout, "Saved the preferences of %s.\n", sv.Code)
				}
			}
			if asJSON {
				return writeJSON(c.stdout, sv.Preferences)
			}
			fmt.Fprintf(c.stdout, "Preferences of %s\n", sv.Code)
			printPreferences(c.stdout, sv.Preferences)
			return nil
		}),
	}
	prefs.bind(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the preferences as JSON")
	return cmd
}

// consentFlags are the flags every consent entry needs.
type consentFlags struct{ on, language, takenBy string }

func (f *consentFlags) bind(cmd *cobra.Command, what string) {
	fl := cmd.Flags()
	fl.StringVar(&f.on, "on", "", "the `DATE` the survivor "+what+" (YYYY-MM-DD; default today)")
	fl.StringVar(&f.language, "language", "", "the `LANG` it was explained in (ar, fr, en …)")
	fl.StringVar(&f.takenBy, "taken-by", "", "who explained it and took the survivor's decision (`NAME` or role)")
}

func (f *consentFlags) date() string {
	if f.on == "" {
		return todayUTC()
	}
	return f.on
}

var consentFlagNames = map[string]string{"on": "--on", "language": "--language", "taken_by": "--taken-by", "use": "USES", "decision": "DECISION"}

func (c *cli) survivorConsentCommand() *cobra.Command {
	var cf consentFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "consent CODE|ID [USES given|refused]",
		Short: "Show or record a survivor's consent, use by use",
		Long: `Without USES, show where consent to each use stands and its whole history.
With USES (comma-separated, or all) and a decision, record the survivor's
informed decision for each: ` + enumNames(survivor.Uses) + `.
Consent to one use is never consent to another. Entries are only added:
'dossier survivor withdraw' records a withdrawal, and the history stays.`,
		Example: `  dossier survivor consent SYN-0042
  dossier survivor consent SYN-0042 documentation,legal_proceedings given --on 2024-03-01 --language ar --taken-by "WPA Darfur 2"
  dossier survivor consent SYN-0042 media refused --language ar --taken-by "WPA Darfur 2"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 && len(args) != 3 {
				return usagef("give CODE|ID alone to show consent, or CODE|ID USES given|refused to record it")
			}
			return nil
		},
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			sv, err := findSurvivor(ctx, a, args[0])
			if err != nil {
				return err
			}
			if len(args) == 3 {
				decision := survivor.Decision(strings.TrimSpace(args[2]))
				if decision != survivor.Given && decision != survivor.Refused {
					return usagef("the decision must be given or refused (to withdraw: dossier survivor withdraw)")
				}
				uses := splitValues[survivor.Use](args[1])
				if args[1] == "all" {
					uses = survivor.Uses
				}
				var added []survivor.Consent
				for _, u := range uses {
					entry := survivor.Consent{SurvivorID: sv.ID, Use: u, Decision: decision, On: cf.date(), Language: cf.language, TakenBy: cf.takenBy}
					if err := a.Survivors.RecordConsent(ctx, &entry); err != nil {
						return survivorError("the consent to "+string(u), err, consentFlagNames)
					}
					added = append(added, entry)
				}
				if asJSON {
					return writeJSON(c.stdout, added)
				}
				for _, e := range added {
					fmt.Fprintf(c.stdout, "Recorded: %s %s on %s (audit log entry %d).\n", e.Use, e.Decision, e.On, e.AuditIndex)
				}
				return nil
			}
			history, err := a.Survivors.Consents(ctx, sv.ID)
			if err != nil {
				return err
			}
			states, err := a.Survivors.ConsentStatus(ctx, sv.ID)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, struct {
					Consent []survivor.ConsentState `json:"consent"`
					History []survivor.Consent      `json:"history"`
				}{states, history})
			}
			fmt.Fprintf(c.stdout, "Consent of %s\n", sv.Code)
			t := newTable(c.stdout, "USE", "ALLOWED", "WHY")
			for _, st := range states {
				t.row(string(st.Use), yesNo(st.Allows()), st.Reason())
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "\nHistory (%s)\n", plural(len(history), "entry", "entries"))
			h := newTable(c.stdout, "ON", "USE", "DECISION", "LANGUAGE", "TAKEN BY", "RECORDED", "AUDIT")
			for _, e := range history {
				h.row(e.On, string(e.Use), string(e.Decision), e.Language, e.TakenBy, formatTime(e.RecordedAt)+" by "+e.RecordedBy, fmt.Sprint(e.AuditIndex))
			}
			return h.flush()
		}),
	}
	cf.bind(cmd, "decided")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the consent (or the entries recorded) as JSON")
	return cmd
}

func (c *cli) survivorWithdrawCommand() *cobra.Command {
	var cf consentFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "withdraw CODE|ID [USES|all]",
		Short: "Record a survivor's withdrawal of consent",
		Long: `Record that the survivor withdrew consent to the uses given (comma-separated),
or to every use they had consented to (all, the default). The withdrawal
is a new dated entry; the history of what was agreed before stays.
Downstream uses (exports, bundles, statistics) stop at once.`,
		Example: `  dossier survivor withdraw SYN-0042 media --on 2024-05-02 --language ar --taken-by "WPA Darfur 2"
  dossier survivor withdraw SYN-0042 all --language ar --taken-by "WPA Darfur 2"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usagef("give CODE|ID and, optionally, the USES to withdraw (default all)")
			}
			return nil
		},
		RunE: run(func(cmd *cobra.Command, args []string) error {
			var uses []survivor.Use
			if len(args) == 2 && args[1] != "all" {
				uses = splitValues[survivor.Use](args[1])
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			sv, err := findSurvivor(ctx, a, args[0])
			if err != nil {
				return err
			}
			added, err := a.Survivors.Withdraw(ctx, sv.ID, uses, cf.date(), cf.language, cf.takenBy)
			if err != nil {
				return survivorError("the withdrawal", err, consentFlagNames)
			}
			if asJSON {
				if added == nil {
					added = []survivor.Consent{}
				}
				return writeJSON(c.stdout, added)
			}
			if len(added) == 0 {
				fmt.Fprintf(c.stdout, "Nothing to withdraw: %s has not consented to any use.\n", sv.Code)
				return nil
			}
			for _, e := range added {
				fmt.Fprintf(c.stdout, "Withdrawn: %s on %s (audit log entry %d).\n", e.Use, e.On, e.AuditIndex)
			}
			return nil
		}),
	}
	cf.bind(cmd, "withdrew")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the entries recorded as JSON")
	return cmd
}

func (c *cli) survivorSearchCommand() *cobra.Command {
	var purpose string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "search --purpose TEXT",
		Short: "Find testimony holding every word given, without decrypting it",
		Long: `Search sealed testimony through its blind index: the words to find are read
from standard input (or typed at a terminal), never from the command line,
since they may name someone. Whole words only; case, accents and Arabic
and Hebrew vowel marks are ignored. A search tells which survivors'
testimony holds the words, so it states a purpose and is recorded as a
read of each survivor found.`,
		Example: `  echo 'checkpoint uniform' | dossier survivor search --purpose "Pattern analysis of the checkpoint incidents"`,
		Args:    noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			query, err := c.readSealedText("words to search for")
			if err != nil {
				return err
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			matches, err := a.Survivors.Search(ctx, survivor.Administrator(ctx), query, purpose)
			if err != nil {
				return survivorError("the search", err, map[string]string{"purpose": "--purpose", "query": "standard input"})
			}
			if asJSON {
				return writeJSON(c.stdout, matches)
			}
			if len(matches) == 0 {
				fmt.Fprintln(c.stdout, "No testimony holds every word given.")
				return nil
			}
			t := newTable(c.stdout, "CODE", "INTERVIEW", "HELD ON")
			for _, m := range matches {
				t.row(m.Code, m.InterviewID, m.HeldOn)
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s; the search is recorded as a read of each survivor found.\n", plural(len(matches), "interview", "interviews"))
			return nil
		}),
	}
	cmd.Flags().StringVar(&purpose, "purpose", "", "why you search (recorded with the read)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the matches as JSON")
	return cmd
}

func (c *cli) survivorReadsCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "reads CODE|ID",
		Short: "List who read the survivor's sealed fields, when and why",
		Long: `List every recorded read of the survivor's sealed fields, newest first: who,
when, which fields, the stated purpose, what it gave, and the audit log
entry that vouches for it (its content hash is the SHA-256 of the purpose:
printf '%s' "PURPOSE" | sha256sum).`,
		Args: exactArgs("CODE|ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			sv, err := findSurvivor(ctx, a, args[0])
			if err != nil {
				return err
			}
			reads, err := a.Survivors.Reads(ctx, sv.ID)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, reads)
			}
			if len(reads) == 0 {
				fmt.Fprintf(c.stdout, "Nobody has read the sealed fields of %s.\n", sv.Code)
				return nil
			}
			t := newTable(c.stdout, "AT", "WHO", "FIELDS", "OUTCOME", "AUDIT", "PURPOSE")
			for _, r := range reads {
				t.row(formatTime(r.At), r.Actor, joinValues(r.Fields), string(r.Outcome), fmt.Sprint(r.AuditIndex), r.Purpose)
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s.\n", plural(len(reads), "read", "reads"))
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the reads as JSON")
	return cmd
}

func (c *cli) survivorEraseCommand() *cobra.Command {
	var reason, confirm string
	var cf consentFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "erase CODE|ID --reason withdrawal|erasure_request --confirm CODE",
		Short: "Erase a survivor's identity and testimony for good (crypto-shredding)",
		Long: `Destroy the survivor's data key: their sealed identity and testimony, and the
evidence files tied to them (their own key goes with it), can never be
opened again, here or in any copy, once the key-encryption key is rotated
(see docs/survivors.md for what erasure reaches and what it cannot). The
code, facts that identify nobody, consent history, interviews' logistics
and the reads stay; the audit log records the erasure with hashes only.
--reason withdrawal also withdraws every use consented to. There is no undo:
--confirm must repeat the survivor's code.`,
		Example: `  dossier survivor erase SYN-0042 --reason withdrawal --on 2024-06-01 --language ar --taken-by "WPA Darfur 2" --confirm SYN-0042`,
		Args:    exactArgs("CODE|ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			sv, err := findSurvivor(ctx, a, args[0])
			if err != nil {
				return err
			}
			if confirm != sv.Code {
				return usagef("--confirm must repeat the survivor's code (%s): erasure cannot be undone", sv.Code)
			}
			erased, err := a.Survivors.Erase(ctx, sv.ID, survivor.Erasure{Reason: survivor.ErasureReason(strings.TrimSpace(reason)),
				On: cf.date(), Language: cf.language, TakenBy: cf.takenBy})
			if err != nil {
				return survivorError("the erasure", err, map[string]string{"reason": "--reason", "on": "--on", "language": "--language", "taken_by": "--taken-by"})
			}
			if asJSON {
				return writeJSON(c.stdout, erased)
			}
			fmt.Fprintf(c.stdout, "Erased %s: the data key is destroyed; the sealed identity and testimony, and the evidence files tied to them, can no longer be opened.\n", erased.Code)
			if erased.Erasure == survivor.FullWithdrawal {
				fmt.Fprintln(c.stdout, "Every use consented to is withdrawn.")
			}
			fmt.Fprintln(c.stdout, "Backups made before now still hold the key wrapped by the current key-encryption key: rotate it to reach them (docs/sealing.md).")
			return nil
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why: "+enumNames(survivor.ErasureReasons))
	cmd.Flags().StringVar(&confirm, "confirm", "", "the survivor's `CODE`, repeated")
	cf.bind(cmd, "asked")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the erased survivor as JSON")
	return cmd
}
