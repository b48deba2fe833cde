package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
)

func (c *cli) survivorInterviewCommand() *cobra.Command {
	return group("interview", "Interviews of a survivor: add, edit a draft, complete, list, show",
		c.interviewAddCommand(),
		c.interviewEditCommand(),
		c.interviewCompleteCommand(),
		c.interviewListCommand(),
		c.interviewShowCommand(),
	)
}

var interviewFlagNames = map[string]string{
	"held_on": "--date", "interviewer": "--interviewer", "interviewer_sex": "--interviewer-sex",
	"interpreter": "--interpreter", "language": "--language", "place": "--place", "further_reason": "--further-reason",
	"safeguards": "--safeguards", "safeguards.": "--safeguards", "testimony": "--testimony-stdin", "child": "--child",
}

// interviewFlags bind the flags that set an interview's fields.
type interviewFlags struct {
	date, interviewer, interviewerSex, interpreter, language, place, safeguards, furtherReason string
	child                                                                                      bool
}

func (f *interviewFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.date, "date", "", "the `DATE` of the interview (YYYY-MM-DD)")
	fl.StringVar(&f.interviewer, "interviewer", "", "who interviews (`NAME` or role)")
	fl.StringVar(&f.interviewerSex, "interviewer-sex", "", "the interviewer's sex: "+enumNames(incident.Sexes))
	fl.StringVar(&f.interpreter, "interpreter", "", "the interpreter, if any (`NAME` or role)")
	fl.StringVar(&f.language, "language", "", "the `LANG` the survivor speaks in the interview (ar, fr …)")
	fl.StringVar(&f.place, "place", "", "what kind of place, never an address (\"partner clinic, Adré\")")
	fl.StringVar(&f.safeguards, "safeguards", "", "the safeguards you confirm are in place, comma-separated (all: every one): "+
		wrap(enumNames(survivor.Confirmable), 60, "    "))
	fl.StringVar(&f.furtherReason, "further-reason", "", "why a further interview of the same survivor is needed (required after the first)")
	fl.BoolVar(&f.child, "child", false, "the survivor is under 18 at this interview")
}

func (f *interviewFlags) apply(cmd *cobra.Command, iv *survivor.Interview) {
	fl := cmd.Flags()
	set := func(name string, dst *string, v string) {
		if fl.Changed(name) {
			*dst = v
		}
	}
	set("date", &iv.HeldOn, f.date)
	set("interviewer", &iv.Interviewer, f.interviewer)
	set("interpreter", &iv.Interpreter, f.interpreter)
	set("language", &iv.Language, f.language)
	set("place", &iv.Place, f.place)
	set("further-reason", &iv.FurtherReason, f.furtherReason)
	if fl.Changed("interviewer-sex") {
		iv.InterviewerSex = incident.Sex(strings.TrimSpace(f.interviewerSex))
	}
	if fl.Changed("safeguards") {
		if strings.TrimSpace(f.safeguards) == "all" {
			iv.Safeguards = append([]survivor.Safeguard(nil), survivor.Confirmable...)
		} else {
			iv.Safeguards = splitValues[survivor.Safeguard](f.safeguards)
		}
	}
	if fl.Changed("child") {
		iv.Child = f.child
	}
}

func (c *cli) interviewAddCommand() *cobra.Command {
	var f interviewFlags
	var testimonyStdin, complete, asJSON bool
	cmd := &cobra.Command{
		Use:   "add CODE|ID --date DATE --interviewer NAME --interviewer-sex SEX --language LANG",
		Short: "Record an interview of a survivor (a draft unless --complete)",
		Long: `Record an interview. The survivor's preferences are shown first. The
testimony is sealed and read from standard input with --testimony-stdin
(never from a flag); its words are indexed for 'dossier survivor search'.

Survivors are not interviewed again without need: every interview after the
first must give --further-reason. The documentation safeguards (WHO's eight
recommendations, the Murad Code, the International Protocol) are listed
after the interview is stored; --complete stores it as complete, which is
refused while a mandatory safeguard is unmet.`,
		Example: `  dossier survivor interview add SYN-0042 --date 2024-03-02 --interviewer "WPA team 2" --interviewer-sex female \
      --language ar --place "partner clinic" --safeguards all --testimony-stdin < testimony.txt`,
		Args: exactArgs("CODE|ID"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			var testimony string
			if testimonyStdin {
				var err error
				if testimony, err = c.readSealedText("testimony"); err != nil {
					return err
				}
				if testimony == "" {
					return usagef("--testimony-stdin: standard input holds no testimony")
				}
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
			fmt.Fprintf(c.stderr, "Before the interview — %s asked for:\n", sv.Code)
			printPreferences(c.stderr, sv.Preferences)
			iv := &survivor.Interview{SurvivorID: sv.ID}
			f.apply(cmd, iv)
			if complete {
				iv.Status = survivor.Complete
			}
			if err := a.Survivors.AddInterview(ctx, survivor.Administrator(ctx), iv, testimony); err != nil {
				return survivorError("the interview", err, interviewFlagNames)
			}
			if asJSON {
				return writeJSON(c.stdout, iv)
			}
			fmt.Fprintf(c.stdout, "Added interview %s of %s (%s).\n", iv.ID, sv.Code, iv.Status)
			if iv.Status == survivor.Draft {
				checks, err := a.Survivors.Checklist(ctx, *iv)
				if err != nil {
					return err
				}
				c.printChecklist(checks)
			}
			return nil
		}),
	}
	f.bind(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&testimonyStdin, "testimony-stdin", false, "read the testimony (sealed) from standard input")
	fl.BoolVar(&complete, "complete", false, "store the interview as complete (refused while a mandatory safeguard is unmet)")
	fl.BoolVar(&asJSON, "json", false, "print the stored interview as JSON (never the testimony)")
	return cmd
}

func (c *cli) interviewEditCommand() *cobra.Command {
	var f interviewFlags
	var testimonyStdin, clearTestimony, asJSON bool
	cmd := &cobra.Command{
		Use:   "edit INTERVIEW",
		Short: "Change a draft interview (a completed interview is final)",
		Long: `Change what the flags give; everything else stays. --testimony-stdin replaces
the sealed testimony; --clear-testimony removes it.`,
		Args: exactArgs("INTERVIEW"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if testimonyStdin && clearTestimony {
				return usagef("give --testimony-stdin or --clear-testimony, not both")
			}
			var testimony *string
			if testimonyStdin {
				text, err := c.readSealedText("testimony")
				if err != nil {
					return err
				}
				if text == "" {
					return usagef("--testimony-stdin: standard input holds no testimony (to remove it: --clear-testimony)")
				}
				testimony = &text
			}
			if clearTestimony {
				empty := ""
				testimony = &empty
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			iv, err := findInterview(ctx, a, args[0])
			if err != nil {
				return err
			}
			f.apply(cmd, iv)
			if err := a.Survivors.UpdateInterview(ctx, survivor.Administrator(ctx), iv, testimony); err != nil {
				return survivorError("the interview", err, interviewFlagNames)
			}
			if asJSON {
				return writeJSON(c.stdout, iv)
			}
			fmt.Fprintf(c.stdout, "Saved interview %s (version %d).\n", iv.ID, iv.Version)
			return nil
		}),
	}
	f.bind(cmd)
	cmd.Flags().BoolVar(&testimonyStdin, "testimony-stdin", false, "replace the testimony (sealed) with standard input")
	cmd.Flags().BoolVar(&clearTestimony, "clear-testimony", false, "remove the testimony")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the stored interview as JSON")
	return cmd
}

func (c *cli) interviewCompleteCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "complete INTERVIEW",
		Short: "Mark an interview complete, if every mandatory safeguard is met",
		Long: `Check the documentation safeguards and mark the interview complete. While a
mandatory safeguard is unmet the interview stays a draft, and each unmet
safeguard is printed with the reason (exit code 3). Confirm safeguards with
'dossier survivor interview edit INTERVIEW --safeguards …'; record consent
with 'dossier survivor consent'.`,
		Args: exactArgs("INTERVIEW"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			iv, err := findInterview(ctx, a, args[0])
			if err != nil {
				return err
			}
			done, err := a.Survivors.CompleteInterview(ctx, iv.ID, iv.Version)
			if err != nil {
				if _, ok := record.AsErrors(err); ok {
					return &exitError{code: ExitInvalid, err: &invalidError{what: "the interview cannot be completed: it",
						errs: mustErrors(err), flag: nil}}
				}
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, done)
			}
			fmt.Fprintf(c.stdout, "Interview %s is complete: every mandatory safeguard is met.\n", done.ID)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the completed interview as JSON")
	return cmd
}

func mustErrors(err error) record.Errors {
	errs, _ := record.AsErrors(err)
	return errs
}

func (c *cli) interviewListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list CODE|ID",
		Short: "List a survivor's interviews, oldest first",
		Args:  exactArgs("CODE|ID"),
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
			list, err := a.Survivors.Interviews(ctx, sv.ID)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(c.stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintf(c.stdout, "%s has not been interviewed.\n", sv.Code)
				return nil
			}
			t := newTable(c.stdout, "ID", "HELD ON", "STATUS", "INTERVIEWER", "LANGUAGE", "TESTIMONY")
			for _, iv := range list {
				t.row(iv.ID, iv.HeldOn, string(iv.Status), iv.Interviewer, iv.Language, testimonyState(iv, sv.Erased()))
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s.\n", plural(len(list), "interview", "interviews"))
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the interviews as JSON")
	return cmd
}

func (c *cli) interviewShowCommand() *cobra.Command {
	var purpose string
	var reveal, asJSON bool
	cmd := &cobra.Command{
		Use:   "show INTERVIEW",
		Short: "Show an interview and its safeguards; --reveal opens the testimony",
		Args:  exactArgs("INTERVIEW"),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if reveal != (purpose != "") {
				return usagef("--reveal and --purpose go together: opening the testimony states why")
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			iv, err := findInterview(ctx, a, args[0])
			if err != nil {
				return err
			}
			sv, err := a.Survivors.Get(ctx, iv.SurvivorID)
			if err != nil {
				return err
			}
			checks, err := a.Survivors.Checklist(ctx, *iv)
			if err != nil {
				return err
			}
			var testimony *survivor.RevealedTestimony
			if reveal {
				if testimony, err = a.Survivors.RevealTestimony(ctx, survivor.Administrator(ctx), iv.ID, purpose); err != nil {
					return survivorError("the read", err, map[string]string{"purpose": "--purpose"})
				}
			}
			if asJSON {
				return writeJSON(c.stdout, struct {
					*survivor.Interview
					Safeguards []survivor.Check            `json:"checklist"`
					Testimony  *survivor.RevealedTestimony `json:"testimony,omitempty"`
				}{iv, checks, testimony})
			}
			f := newFields(c.stdout)
			f.add("Interview", iv.ID)
			f.add("Survivor", sv.Code)
			f.add("Held on", iv.HeldOn)
			f.add("Status", string(iv.Status))
			f.add("Interviewer", iv.Interviewer+" ("+string(iv.InterviewerSex)+")")
			f.add("Interpreter", iv.Interpreter)
			f.add("Language", iv.Language)
			f.add("Place", iv.Place)
			f.add("Child", yesNo(iv.Child))
			f.add("Further interview", iv.FurtherReason)
			f.add("Testimony", testimonyState(*iv, sv.Erased()))
			if err := f.flush(); err != nil {
				return err
			}
			c.printChecklist(checks)
			if testimony != nil {
				fmt.Fprintf(c.stdout, "\nTestimony, opened for: %s (read recorded, audit log entry %d)\n", testimony.Read.Purpose, testimony.Read.AuditIndex)
				switch {
				case testimony.Erased:
					fmt.Fprintln(c.stdout, "  erased")
				case testimony.Text == "":
					fmt.Fprintln(c.stdout, "  none recorded")
				default:
					indent(c.stdout, testimony.Text, "  ")
				}
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&reveal, "reveal", false, "open the sealed testimony (needs --purpose)")
	cmd.Flags().StringVar(&purpose, "purpose", "", "why you need to read it (recorded with the read)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the interview and its checklist (and the testimony opened) as JSON")
	return cmd
}

// printChecklist prints the safeguards, unmet ones with their reason.
func (c *cli) printChecklist(checks []survivor.Check) {
	fmt.Fprintln(c.stdout, "\nSafeguards")
	blocking := 0
	for _, ch := range checks {
		mark := "[x]"
		if !ch.Met {
			mark = "[ ]"
		}
		kind := "advisory"
		if ch.Mandatory {
			kind = "mandatory"
		}
		fmt.Fprintf(c.stdout, "  %s %s — %s (%s, %s)\n", mark, ch.Safeguard, ch.Text, ch.Source, kind)
		if !ch.Met && ch.Reason != "" {
			fmt.Fprintf(c.stdout, "      %s\n", ch.Reason)
		}
		if ch.Blocks() {
			blocking++
		}
	}
	if blocking > 0 {
		fmt.Fprintf(c.stdout, "%s unmet: the interview cannot be completed yet.\n", plural(blocking, "mandatory safeguard", "mandatory safeguards"))
	} else {
		fmt.Fprintln(c.stdout, "Every mandatory safeguard is met.")
	}
}
