package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// Exit codes. Scripts rely on them: change none.
const (
	ExitOK       = 0 // success
	ExitFailure  = 1 // the data could not be read or written
	ExitUsage    = 2 // the command line is wrong
	ExitInvalid  = 3 // a record or an import row failed validation
	ExitNotFound = 4 // no record has the ID or name given
	ExitConflict = 5 // the record changed since it was read
	ExitAltered  = 6 // verification found something altered
)

const exitHelp = `Exit codes:
  0  success
  1  failure: the data could not be read or written (I/O, database)
  2  usage error: unknown command or flag, a missing argument, a flag value
     that cannot be read
  3  invalid input: a record or an import row failed validation; each
     problem is printed as "field: message"
  4  not found: no record has the ID or name given
  5  conflict: the record was changed by someone else since it was read;
     show it again and redo the change
  6  altered: verification found data that no longer matches the audit log
     or its hash; each problem is printed as "ALTERED  what: detail"`

// exitError is an error with the exit code it calls for.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usagef reports a mistake in the command line: name the flag or argument.
func usagef(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// notFoundf reports that a record named on the command line does not exist.
func notFoundf(format string, args ...any) error {
	return &exitError{code: ExitNotFound, err: fmt.Errorf(format, args...)}
}

// classify gives err the exit code its cause calls for.
func classify(err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	code := ExitFailure
	if _, ok := record.AsErrors(err); ok {
		code = ExitInvalid
	} else if errors.Is(err, db.ErrNotFound) {
		code = ExitNotFound
	} else if errors.Is(err, db.ErrConflict) {
		code = ExitConflict
	}
	return &exitError{code: code, err: err}
}

// invalidError is a record's validation errors, with the flag that sets
// each field so the message says what to fix on the command line.
type invalidError struct {
	what string                    // "the incident"
	errs record.Errors             // what is wrong
	flag func(field string) string // the flag setting field, or ""
}

func (e *invalidError) Error() string { return e.what + " is invalid: " + e.errs.Error() }
func (e *invalidError) Unwrap() error { return e.errs }

// invalid explains err's validation errors, if it has any, as problems
// with what; flag (may be nil) names the flag for a field.
func invalid(what string, err error, flag func(string) string) error {
	errs, ok := record.AsErrors(err)
	if !ok {
		return err
	}
	return &exitError{code: ExitInvalid, err: &invalidError{what: what, errs: errs, flag: flag}}
}

// report prints err for a person and returns the exit code.
func (c *cli) report(cmd *cobra.Command, err error) int {
	code := c.printError(err)
	if code == ExitUsage && cmd != nil {
		fmt.Fprintf(c.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// printError prints err on standard error and returns its exit code.
func (c *cli) printError(err error) int {
	var ee *exitError
	if !errors.As(err, &ee) {
		// Only the parsing of the command line fails without a code.
		ee = &exitError{code: ExitUsage, err: err}
	}
	var inv *invalidError
	if errors.As(ee.err, &inv) {
		fmt.Fprintf(c.stderr, "dossier: %s is invalid:\n", inv.what)
		c.printFieldErrors(inv.errs, inv.flag)
	} else if errs, ok := record.AsErrors(ee.err); ok {
		fmt.Fprintln(c.stderr, "dossier: invalid input:")
		c.printFieldErrors(errs, nil)
	} else {
		fmt.Fprintf(c.stderr, "dossier: %s\n", ee.err)
	}
	return ee.code
}

func (c *cli) printFieldErrors(errs record.Errors, flag func(string) string) {
	for _, fe := range errs {
		line := "  " + fe.Field + ": " + fe.Message
		if flag != nil {
			if f := flag(fe.Field); f != "" {
				line += " (" + f + ")"
			}
		}
		fmt.Fprintln(c.stderr, line)
	}
}

// flagFor builds a lookup from field names (or prefixes of them, ending in
// ".") to the flags that set them.
func flagFor(flags map[string]string) func(string) string {
	return func(field string) string {
		if f, ok := flags[field]; ok {
			return f
		}
		best := ""
		for prefix := range flags {
			if strings.HasSuffix(prefix, ".") && strings.HasPrefix(field, prefix) && len(prefix) > len(best) {
				best = prefix
			}
		}
		return flags[best]
	}
}
