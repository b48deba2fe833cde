package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/demo"
	"github.com/dossier-org/dossier/internal/server"
)

func (c *cli) serveCommand() *cobra.Command {
	var addr string
	var loadDemo bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web interface and the API",
		Long: `Serve the web interface and the JSON API (under /api/v1/) until interrupted
(Ctrl-C or SIGTERM). By default only this computer can connect: give --addr
0.0.0.0:8080 to listen on every network interface, and put the server behind
an HTTPS proxy before anyone else connects.

--demo loads the demonstration record set into an empty record, to try
Dossier out; it never touches a record that holds data.`,
		Example: "  dossier serve\n  dossier serve --demo --data /tmp/dossier-demo\n  dossier serve --addr 127.0.0.1:9000 --db postgres://dossier@localhost/dossier",
		Args:    noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if _, _, err := net.SplitHostPort(addr); err != nil {
				return usagef("--addr %q: give HOST:PORT, such as 127.0.0.1:8080", addr)
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if loadDemo {
				if err := c.loadDemo(ctx, a); err != nil {
					return err
				}
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			opts := server.Options{Addr: addr, Logger: slog.New(slog.NewTextHandler(c.stderr, nil)), Ready: func(listening string) {
				// Said once the port is open, so the address is the real one.
				host, port, _ := net.SplitHostPort(listening)
				browse := host
				if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
					browse = "localhost"
				}
				fmt.Fprintf(c.stdout, "Dossier is running: open http://%s/ (press Ctrl-C to stop)\n", net.JoinHostPort(browse, port))
				if browse != host {
					fmt.Fprintln(c.stdout, "It listens on every network interface: other computers can connect.")
				}
			}}
			if err := server.Run(ctx, a, opts); err != nil {
				return fmt.Errorf("serve on %s: %w", addr, err)
			}
			fmt.Fprintln(c.stdout, "Dossier has stopped.")
			return nil
		}),
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "`host:port` to listen on")
	cmd.Flags().BoolVar(&loadDemo, "demo", false, "load the demonstration record set if the record is empty")
	return cmd
}

// loadDemo loads the demonstration record set, unless the record holds data.
func (c *cli) loadDemo(ctx context.Context, a *app.App) error {
	sum, err := demo.Load(ctx, a)
	if errors.Is(err, demo.ErrNotEmpty) {
		fmt.Fprintln(c.stdout, "The demo record set was not loaded: this Dossier already holds records, and demo data never mixes with them.")
		return nil
	}
	if err != nil {
		return fmt.Errorf("load the demo record set: %w", err)
	}
	fmt.Fprintf(c.stdout, "Loaded the demo record set: %s, %s, %s, %s with %s and %s.\n",
		plural(sum.Situations, "situation", "situations"), plural(sum.Parties, "party", "parties"),
		plural(sum.Sources, "source", "sources"), plural(sum.Incidents, "incident", "incidents"),
		plural(sum.Acts, "act", "acts"), plural(sum.InformationLinks, "information link", "information links"))
	return nil
}
