package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"

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
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate the %s schema: %w", d.Dialect, err)
	}
	return nil
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
