package cli

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestDocsCoverEveryCommand keeps docs/cli.md in step with the command
// line: every command and every flag must be described there, and the exit
// codes must be the ones the code returns.
func TestDocsCoverEveryCommand(t *testing.T) {
	data, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	docs := string(data)
	c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		if cmd.Hidden || cmd.Name() == "help" || cmd.Name() == "completion" {
			return
		}
		if cmd.Runnable() && !cmd.HasSubCommands() {
			if !strings.Contains(docs, cmd.CommandPath()) {
				t.Errorf("docs/cli.md does not show %q", cmd.CommandPath())
			}
			cmd.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
				if f.Name != "help" && !strings.Contains(docs, "--"+f.Name) {
					t.Errorf("docs/cli.md does not describe %s --%s", cmd.CommandPath(), f.Name)
				}
			})
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	root := c.rootCommand()
	walk(root)
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		if !strings.Contains(docs, "--"+f.Name) {
			t.Errorf("docs/cli.md does not describe the global flag --%s", f.Name)
		}
	})
	for code, meaning := range map[int]string{
		ExitOK: "success", ExitFailure: "failure", ExitUsage: "usage error", ExitInvalid: "invalid input",
		ExitNotFound: "not found", ExitConflict: "conflict", ExitAltered: "altered",
	} {
		row := "| " + string(rune('0'+code)) + " | " + meaning
		if !strings.Contains(docs, row) {
			t.Errorf("docs/cli.md has no exit code row %q", row)
		}
		if !strings.Contains(exitHelp, string(rune('0'+code))+"  "+meaning) {
			t.Errorf("dossier --help does not give exit code %d as %q", code, meaning)
		}
	}
}
