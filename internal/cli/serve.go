package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/demo"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/server"
)

// metricsTokenEnv names the environment variable holding the bearer token
// /metrics asks for; a flag would show it in the process list.
const metricsTokenEnv = "DOSSIER_METRICS_TOKEN"

func (c *cli) serveCommand() *cobra.Command {
	var addr, tlsCert, tlsKey string
	var loadDemo, behindProxy, warm bool
	var sso ssoFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web interface and the API",
		Long: `Serve the web interface and the JSON API (under /api/v1/) until interrupted
(Ctrl-C or SIGTERM). Everyone logs in: until the installation has an
administrator ('dossier user add NAME --role administrator') it serves no
data, and says so.

By default only this computer can connect, over plain http. For others to
connect, either serve https yourself with --tls-cert and --tls-key, or put
an HTTPS reverse proxy (Caddy, nginx) in front and give --behind-proxy;
then --addr may name another interface (0.0.0.0:8080). Plain http to the
network is refused: passwords and sessions would cross it in clear.
docs/security.md shows both set-ups.

/metrics (Prometheus) answers only with the bearer token in the
environment variable ` + metricsTokenEnv + `.

Single sign-on with an OpenID Connect provider (Keycloak, Microsoft Entra
ID, Google…) is offered beside passwords with --oidc-issuer,
--oidc-client-id and --oidc-redirect-url; the client secret is read from
the environment variable ` + oidcSecretEnv + `. An identity at the provider
logs in only as the user it was linked to ('dossier user link'); users with
two-factor authentication still give their code, unless --oidc-trust-mfa
says to accept the provider's own second factor. docs/accounts.md has the
set-up.

While it starts, serve reads a SQLite store's file through once (--warm,
on by default), so that the system's memory holds it before the first
lists and searches need it; it does not when the file is larger than half
the memory available.

--demo loads the demonstration record set into an empty record, to try
Dossier out, and makes one demo user per role, printing their passwords
(and two-factor secrets) here, once; it never touches a record that holds
data, nor adds demo users where users exist.`,
		Example: "  dossier serve\n  dossier serve --demo --data /tmp/dossier-demo\n" +
			"  dossier serve --addr 0.0.0.0:8443 --tls-cert /etc/dossier/cert.pem --tls-key /etc/dossier/key.pem\n" +
			"  dossier serve --addr 127.0.0.1:9000 --behind-proxy --db postgres://dossier@localhost/dossier\n" +
			"  DOSSIER_OIDC_CLIENT_SECRET=… dossier serve --behind-proxy --oidc-issuer https://id.example.org/realms/ngo \\\n" +
			"      --oidc-client-id dossier --oidc-redirect-url https://dossier.example.org/login/oidc/callback",
		Args: noArgs,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if _, _, err := net.SplitHostPort(addr); err != nil {
				return usagef("--addr %q: give HOST:PORT, such as 127.0.0.1:8080", addr)
			}
			if (tlsCert == "") != (tlsKey == "") {
				return usagef("--tls-cert and --tls-key go together: give both, or neither")
			}
			oidcCfg, err := sso.config()
			if err != nil {
				return err
			}
			a, ctx, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			provider, err := c.discoverOIDC(ctx, a, oidcCfg)
			if err != nil {
				return err
			}
			if loadDemo {
				if err := c.loadDemo(ctx, a); err != nil {
					return err
				}
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			scheme := "http"
			if tlsCert != "" {
				scheme = "https"
			}
			logger := slog.New(slog.NewTextHandler(c.stderr, nil))
			if warm {
				go warmStore(ctx, a, logger)
			}
			opts := server.Options{Addr: addr, Logger: logger,
				TLSCert: tlsCert, TLSKey: tlsKey, BehindProxy: behindProxy, MetricsToken: os.Getenv(metricsTokenEnv), OIDC: provider,
				Ready: func(listening string) {
					// Said once the port is open, so the address is the real one.
					host, port, _ := net.SplitHostPort(listening)
					browse := host
					if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
						browse = "localhost"
					}
					fmt.Fprintf(c.stdout, "Dossier is running: open %s://%s/ (press Ctrl-C to stop)\n", scheme, net.JoinHostPort(browse, port))
					if browse != host {
						fmt.Fprintln(c.stdout, "It listens on every network interface: other computers can connect.")
					}
					if behindProxy {
						fmt.Fprintln(c.stdout, "It expects an HTTPS proxy in front: people use the proxy's address, never this one.")
					}
				}}
			if err := server.Run(ctx, a, opts); err != nil {
				if errors.Is(err, server.ErrPlainHTTP) {
					return usagef("--addr %v", err)
				}
				return fmt.Errorf("serve on %s: %w", addr, err)
			}
			fmt.Fprintln(c.stdout, "Dossier has stopped.")
			return nil
		}),
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "`host:port` to listen on")
	cmd.Flags().BoolVar(&loadDemo, "demo", false, "load the demonstration record set and demo users if the Dossier is empty")
	cmd.Flags().StringVar(&tlsCert, "tls-cert", "", "serve https with the certificate (chain) in this PEM `FILE`")
	cmd.Flags().StringVar(&tlsKey, "tls-key", "", "the certificate's private key, a PEM `FILE`")
	cmd.Flags().BoolVar(&behindProxy, "behind-proxy", false, "an HTTPS reverse proxy in front terminates TLS and sets X-Forwarded-For")
	cmd.Flags().BoolVar(&warm, "warm", true, "read the SQLite store through once at start, so that its first requests find it in memory")
	sso.register(cmd)
	return cmd
}

// warmStore reads the store into the system's cache beside the server
// starting up (db.DB.Warm), and logs what it did.
func warmStore(ctx context.Context, a *app.App, logger *slog.Logger) {
	budget := db.WarmBudget()
	w, err := a.DB.Warm(ctx, budget)
	switch {
	case err != nil && ctx.Err() != nil:
	case err != nil:
		logger.Warn("the store was not read into memory ahead of requests", "error", err)
	case w.NotSQLite && !w.Autoprewarm:
		logger.Info("PostgreSQL does not keep its cache across its restarts: after one, the first requests read from disk; " +
			"shared_preload_libraries = 'pg_prewarm' in postgresql.conf keeps it (docs/cli.md)")
	case w.NotSQLite:
	case w.TooLarge:
		logger.Info("the store is larger than half the memory available: it is read as requests need it",
			"size", formatSize(w.Size), "available", formatSize(2*budget))
	default:
		logger.Info("read the store into memory ahead of requests", "size", formatSize(w.Read),
			"seconds", strconv.FormatFloat(w.Took.Seconds(), 'f', 1, 64))
	}
}

// loadDemo loads the demonstration record set and makes the demo users,
// unless the record holds data.
func (c *cli) loadDemo(ctx context.Context, a *app.App) error {
	sum, err := demo.Load(ctx, a)
	if errors.Is(err, demo.ErrNotEmpty) {
		fmt.Fprintln(c.stdout, "The demo record set was not loaded: this Dossier already holds records, and demo data never mixes with them.")
		return nil
	}
	if err != nil {
		return fmt.Errorf("load the demo record set: %w", err)
	}
	fmt.Fprintf(c.stdout, "Loaded the demo record set: %s, %s, %s, %s with %s and %s, in %s.\n",
		plural(sum.Situations, "situation", "situations"), plural(sum.Parties, "party", "parties"),
		plural(sum.Sources, "source", "sources"), plural(sum.Incidents, "incident", "incidents"),
		plural(sum.Acts, "act", "acts"), plural(sum.InformationLinks, "information link", "information links"),
		plural(sum.Cases, "case", "cases"))
	// Synthetic survivor records behind some of the demo's victim codes:
	// sealed identities, consent and interviews to try out.
	var codes []string
	seen := map[string]bool{}
	if err := a.Incidents.Each(ctx, func(in *incident.Incident) error {
		for _, act := range in.Acts {
			if c := act.Victim.Code; c != "" && !seen[c] {
				seen[c] = true
				codes = append(codes, c)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if n, err := a.Survivors.LoadDemo(ctx, codes); err != nil {
		fmt.Fprintf(c.stderr, "dossier: no demo survivors: %v\n", err)
	} else {
		fmt.Fprintf(c.stdout, "Added %s (synthetic, and marked so).\n", plural(n, "demo survivor record", "demo survivor records"))
	}
	creds, err := demo.Users(ctx, a)
	if errors.Is(err, demo.ErrUsersExist) {
		fmt.Fprintln(c.stdout, "No demo users were made: this Dossier has user accounts already.")
		return nil
	}
	if err != nil {
		return fmt.Errorf("make the demo users: %w", err)
	}
	c.printDemoUsers(creds)
	return nil
}

// printDemoUsers shows the demo users' credentials on the console, once.
// They go to standard output only, never to the server's log.
func (c *cli) printDemoUsers(creds []demo.Credential) {
	w := c.stdout
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "DEMO USERS — for trying Dossier out, never for real work. Shown only this once:")
	for _, u := range creds {
		fmt.Fprintf(w, "\n  %-18s role %s", u.Name, u.Role)
		if len(u.Cases) > 0 {
			fmt.Fprintf(w, "; cases: %s", strings.Join(u.Cases, ", "))
		} else {
			fmt.Fprint(w, "; no case")
		}
		fmt.Fprintf(w, "\n    password         %s\n", u.Password)
		if u.TOTPSecret != "" {
			fmt.Fprintf(w, "    TOTP secret      %s  (type it into an authenticator app, or use a recovery code)\n", u.TOTPSecret)
			fmt.Fprintf(w, "    recovery codes   %s\n", strings.Join(u.RecoveryCodes, " "))
			fmt.Fprintln(w, "    may see survivors' identities once logged in with a code")
		}
	}
	fmt.Fprintln(w, "")
}
