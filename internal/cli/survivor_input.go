package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
)

// Sealed values never come from flags, which end up in shell history and
// in the process list: they are read from standard input, or typed at a
// prompt that does not echo them.

// identityKeys are the names an identity is given by on standard input.
var identityKeys = map[string]survivor.Field{
	"name":                survivor.Name,
	"contact":             survivor.Contact,
	"residence":           survivor.Residence,
	"identifying_details": survivor.Details,
	"details":             survivor.Details,
}

// readIdentity reads sealed identity fields: at a terminal, one prompt per
// field (an empty answer leaves it out); otherwise "field: value" lines
// (name, contact, residence, identifying_details), blank lines and lines
// starting with # ignored. Errors name the line, never its content.
func (c *cli) readIdentity() (survivor.IdentityChange, error) {
	change := survivor.IdentityChange{}
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintln(c.stderr, "Type each sealed field (not shown as you type); press Enter to leave one out.")
		for _, field := range survivor.IdentityFields {
			v, err := c.promptHidden(f, fieldLabel(field))
			if err != nil {
				return nil, err
			}
			if v != "" {
				change.Set(field, v)
			}
		}
		return change, nil
	}
	sc := bufio.NewScanner(c.stdin)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		field, known := identityKeys[strings.ToLower(strings.TrimSpace(key))]
		if !ok || !known {
			return nil, usagef("standard input, line %d: expected \"FIELD: value\" with FIELD one of name, contact, residence, identifying_details", n)
		}
		change.Set(field, strings.TrimSpace(value))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read the identity from standard input: %w", err)
	}
	if len(change) == 0 {
		return nil, usagef("--identity-stdin: standard input holds no field (lines such as \"name: …\")")
	}
	return change, nil
}

// promptHidden asks for one value at the terminal without echoing it.
func (c *cli) promptHidden(f *os.File, label string) (string, error) {
	fmt.Fprintf(c.stderr, "%s: ", label)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(c.stderr)
	if err != nil {
		return "", fmt.Errorf("read %s from the terminal: %w", strings.ToLower(label), err)
	}
	return strings.TrimSpace(string(b)), nil
}

// readSealedText reads a whole text (testimony, a search) from standard
// input, or from the terminal until end of input (Ctrl-D).
func (c *cli) readSealedText(what string) (string, error) {
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(c.stderr, "Type the %s, then Ctrl-D on a line of its own:\n", what)
	}
	b, err := io.ReadAll(io.LimitReader(c.stdin, 4<<20))
	if err != nil {
		return "", fmt.Errorf("read the %s from standard input: %w", what, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func fieldLabel(f survivor.Field) string {
	switch f {
	case survivor.Name:
		return "Name"
	case survivor.Contact:
		return "Contact"
	case survivor.Residence:
		return "Residence"
	case survivor.Details:
		return "Identifying details"
	case survivor.Testimony:
		return "Testimony"
	}
	return string(f)
}

// findSurvivor finds a survivor by ID or pseudonymous code.
func findSurvivor(ctx context.Context, a *app.App, ref string) (*survivor.Survivor, error) {
	sv, err := a.Survivors.Find(ctx, ref)
	if errors.Is(err, db.ErrNotFound) {
		return nil, notFoundf("no survivor has the code or ID %q", ref)
	}
	return sv, err
}

func findInterview(ctx context.Context, a *app.App, id string) (*survivor.Interview, error) {
	iv, err := a.Survivors.Interview(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, notFoundf("no interview has the ID %q", id)
	}
	return iv, err
}

// survivorError explains a refusal of the survivor store in terms of the
// command line.
func survivorError(what string, err error, flags map[string]string) error {
	switch {
	case errors.Is(err, survivor.ErrErased):
		return &exitError{code: ExitInvalid, err: err}
	case errors.Is(err, survivor.ErrSealingUnavailable):
		return &exitError{code: ExitFailure, err: err}
	}
	if _, ok := record.AsErrors(err); ok {
		return invalid(what, err, flagFor(flags))
	}
	return err
}

// splitValues reads a comma-separated flag value.
func splitValues[T ~string](s string) []T {
	var out []T
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, T(p))
		}
	}
	return out
}

// todayUTC is today's date, the default day of consent entries.
func todayUTC() string { return time.Now().UTC().Format("2006-01-02") }
