// Command dossier documents conflict-related sexual violence: it serves the
// web interface and API, and manages the record from the command line.
package main

import (
	"os"

	"github.com/dossier-org/dossier/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
