package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/term"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/incident"
)

// isTerminal reports whether a stream is a terminal a person types at.
func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// editInEditor opens the incident's JSON in the person's editor and stores
// what they save. When the result cannot be stored they may edit again; if
// they give up, the file is kept, so no typing is lost.
func (c *cli) editInEditor(ctx context.Context, a *app.App, stored *incident.Incident) error {
	editor := os.Getenv("VISUAL")
	if editor == "" {
		editor = os.Getenv("EDITOR")
	}
	if strings.TrimSpace(editor) == "" {
		return usagef("set $EDITOR (or $VISUAL) to edit in an editor, or give the fields to change as flags, or --file")
	}
	tmp, err := os.CreateTemp("", "dossier-incident-*.json") // readable by its owner only
	if err != nil {
		return fmt.Errorf("create a file to edit: %w", err)
	}
	path := tmp.Name()
	keep := false
	defer func() {
		if !keep {
			os.Remove(path)
		}
	}()
	err = writeJSON(tmp, stored)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	answers := bufio.NewReader(c.stdin)
	for {
		if err := c.runEditor(editor, path); err != nil {
			keep = true
			return fmt.Errorf("%w; the incident is unchanged and your edit, if any, is kept in %s", err, path)
		}
		rec, changed, err := c.storeEdited(ctx, a, stored, path)
		if err == nil {
			if changed {
				fmt.Fprintf(c.stdout, "Updated incident %s to version %d.\n", rec.ID, rec.Version)
			} else {
				fmt.Fprintf(c.stdout, "Incident %s is unchanged (version %d).\n", rec.ID, rec.Version)
			}
			return nil
		}
		c.printError(classify(err))
		var ee *exitError
		again := errors.As(classify(err), &ee) && (ee.code == ExitInvalid || ee.code == ExitUsage)
		if again {
			fmt.Fprint(c.stderr, "Edit again? [Y/n] ")
			line, _ := answers.ReadString('\n')
			again = !strings.HasPrefix(strings.ToLower(strings.TrimSpace(line)), "n")
		}
		if !again {
			keep = true
			fmt.Fprintf(c.stderr, "Your edit is kept in %s; once it is fixed, store it with:\n  dossier incident edit %s --file %s\n",
				path, stored.ID, path)
			return err
		}
	}
}

func (c *cli) runEditor(editor, path string) error {
	// Through the shell, so that EDITOR may carry arguments ("code --wait").
	cmd := exec.Command("sh", "-c", editor+` "$1"`, "sh", path)
	if f, ok := c.stdin.(*os.File); ok {
		cmd.Stdin = f
	}
	cmd.Stdout, cmd.Stderr = c.stdout, c.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("editor %q: %w", editor, err)
	}
	return nil
}

// storeEdited reads the edited file and stores it.
func (c *cli) storeEdited(ctx context.Context, a *app.App, stored *incident.Incident, path string) (*incident.Incident, bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("read the edited file: %w", err)
	}
	rec := &incident.Incident{}
	if err := decodeJSON(path, data, rec); err != nil {
		return nil, false, err
	}
	if rec.Version == 0 {
		rec.Version = stored.Version
	}
	if err := checkReplacement(rec, stored); err != nil {
		return nil, false, err
	}
	err = resolveIncidentNames(ctx, a, rec)
	if err = problems(err, func() error { rec.Normalize(); return rec.Validate() }); err != nil {
		return nil, false, invalid("the incident", err, nil)
	}
	changed, err := c.saveIncident(ctx, a, stored, rec, nil)
	return rec, changed, err
}
