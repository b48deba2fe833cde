package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"time"

	"github.com/pressly/goose/v3"
)

// Each engine has its own ordered migrations; a change to the schema adds a
// numbered file to both folders, or registers one Go migration for both
// (RegisterMigration) when the change needs Go code.
//
//go:embed migrations
var migrations embed.FS

func (d *DB) migrate(ctx context.Context) error {
	dialect := goose.DialectSQLite3
	if d.Dialect == Postgres {
		dialect = goose.DialectPostgres
	}
	dir, err := fs.Sub(migrations, "migrations/"+string(d.Dialect))
	if err != nil {
		return err
	}
	// Migrations written side by side may land out of number order; a data
	// directory that already has a later one still takes an earlier one.
	opts := []goose.ProviderOption{goose.WithAllowOutofOrder(true)}
	for _, m := range registered {
		up := m.up
		opts = append(opts, goose.WithGoMigrations(goose.NewGoMigration(m.version,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return up(ctx, tx, d.Dialect) }}, nil)))
	}
	p, err := goose.NewProvider(dialect, d.write, dir, opts...)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	// Only an Open that reports an upgrade asks what it would be.
	report, _ := ctx.Value(upgradeReportKey{}).(func(Upgrade))
	var upgrade *Upgrade
	if report != nil {
		if upgrade, err = pendingUpgrade(ctx, p); err != nil {
			return fmt.Errorf("read the %s schema's version: %w", d.Dialect, err)
		}
	}
	if upgrade != nil {
		report(*upgrade)
	}
	start := time.Now()
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate the %s schema: %w", d.Dialect, err)
	}
	if upgrade != nil {
		upgrade.Took, upgrade.Done = time.Since(start), true
		report(*upgrade)
	}
	return nil
}

// Upgrade describes migrations about to run on (or, once Done, just
// applied to) a store that already had a schema. A new store's first
// migrations are not an upgrade.
type Upgrade struct {
	From, To int64 // the newest schema version applied before, and the newest known
	Pending  int   // how many migrations run
	Done     bool
	Took     time.Duration // once Done
}

type upgradeReportKey struct{}

// WithUpgradeReport has Open call report before it upgrades an existing
// store's schema and again once it is done. Some migrations rewrite every
// incident (about five minutes at a million): whoever waits is told why.
func WithUpgradeReport(ctx context.Context, report func(Upgrade)) context.Context {
	return context.WithValue(ctx, upgradeReportKey{}, report)
}

// pendingUpgrade is the upgrade p.Up would make, or nil for a new store
// or one that is up to date.
func pendingUpgrade(ctx context.Context, p *goose.Provider) (*Upgrade, error) {
	// One query, where Status asks for each migration in turn.
	if pending, err := p.HasPending(ctx); err != nil || !pending {
		return nil, err
	}
	statuses, err := p.Status(ctx)
	if err != nil {
		return nil, err
	}
	var u Upgrade
	for _, s := range statuses {
		v := s.Source.Version
		u.To = max(u.To, v)
		if s.State == goose.StateApplied {
			u.From = max(u.From, v)
		} else {
			u.Pending++
		}
	}
	if u.From == 0 || u.Pending == 0 {
		return nil, nil
	}
	return &u, nil
}

// SchemaVersion is the newest migration applied.
func (d *DB) SchemaVersion(ctx context.Context) (int64, error) {
	var v int64
	err := d.QueryRow(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&v)
	return v, err
}

type goMigration struct {
	version int64
	up      func(ctx context.Context, tx *sql.Tx, d Dialect) error
}

var registered []goMigration

// RegisterMigration adds a migration written in Go, for both engines, to be
// applied in number order with the SQL files. A domain package whose schema
// change needs its own code (text folded for the full-text index, keys it
// computes) registers it from init, so the migration and the code that
// writes the same rows later share one implementation. Its number must not
// be used by a file in either folder.
func RegisterMigration(version int64, up func(ctx context.Context, tx *sql.Tx, d Dialect) error) {
	for _, m := range registered {
		if m.version == version {
			panic(fmt.Sprintf("migration %d registered twice", version))
		}
	}
	registered = append(registered, goMigration{version, up})
	sort.Slice(registered, func(i, j int) bool { return registered[i].version < registered[j].version })
}
