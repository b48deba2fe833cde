package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SnapshotSQLite writes a consistent copy of the SQLite database to path
// (which must not exist) while writers carry on: VACUUM INTO reads the
// database in one read transaction, which in WAL mode blocks no writer.
func (d *DB) SnapshotSQLite(ctx context.Context, path string) error {
	if d.Dialect != SQLite {
		return errors.New("a SQLite snapshot of a PostgreSQL database")
	}
	uri := fileURI(d.path)
	conn, err := sql.Open("sqlite", uri+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?1`, path); err != nil {
		return fmt.Errorf("snapshot the database: %w", err)
	}
	return nil
}

// OpenReadOnlySQLite opens a SQLite file (a snapshot) for reading only,
// without migrating it.
func OpenReadOnlySQLite(path string) (*DB, error) {
	uri := fileURI(path)
	read, err := sql.Open("sqlite", uri+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		return nil, err
	}
	if err := read.Ping(); err != nil {
		read.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &DB{Dialect: SQLite, write: read, read: read, path: path}, nil
}
