package db

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Pipeline runs fn so that, on PostgreSQL, the statements it sends through
// ExecLater travel to the server together rather than each waiting for its
// answer: a bulk import writes about ten rows per incident, and a round
// trip per row was half of its time. Dossier and the server then work at
// the same time. The statements are sent, in order, when fn returns,
// before any other statement of the transaction runs, and when 512 are
// waiting; an error names what was being stored. On SQLite, which runs in
// this process, it is fn.
//
// Whoever needs to know which row failed retries without Pipeline: an
// error surfaces at the send, after the caller that queued the statement
// has returned.
func (t *Tx) Pipeline(ctx context.Context, fn func() error) error {
	if t.db.Dialect != Postgres || t.pipelining {
		return fn()
	}
	t.pipelining = true
	err := fn()
	t.pipelining = false
	if err == nil {
		err = t.sendPending(ctx)
	}
	if t.sendErr != nil {
		err = t.sendErr
	}
	t.pending, t.sendErr = t.pending[:0], nil
	return err
}

// ExecLater runs a statement whose result nobody reads: at once, returning
// Exec's error as it is, or inside Pipeline on PostgreSQL, held back with
// the statements waiting to be sent. what names the write in an error from
// the send ("store an act").
func (t *Tx) ExecLater(ctx context.Context, what, query string, args ...any) error {
	if !t.pipelining {
		_, err := t.Exec(ctx, query, args...)
		return err
	}
	t.pending = append(t.pending, pendingExec{what, query, args})
	if len(t.pending) >= pipelineDepth {
		return t.sendPending(ctx)
	}
	return nil
}

// pipelineDepth is how many statements wait at most: enough that a round
// trip is paid rarely, few enough that an import's memory stays flat.
const pipelineDepth = 512

type pendingExec struct {
	what, query string
	args        []any
}

// sendPending sends the waiting statements in one batch and reads their
// results in order. The first error aborts the transaction on the server
// (the statements after it fail too), so it is the one returned.
func (t *Tx) sendPending(ctx context.Context) error {
	if len(t.pending) == 0 {
		return nil
	}
	statements := t.pending
	t.pending = nil
	batch := &pgx.Batch{}
	for _, s := range statements {
		batch.Queue(s.query, s.args...)
	}
	return t.conn.Raw(func(driverConn any) error {
		conn, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("pipeline: connection is a %T, not pgx's", driverConn)
		}
		results := conn.Conn().SendBatch(ctx, batch)
		var first error
		for _, s := range statements {
			if _, err := results.Exec(); err != nil && first == nil {
				first = fmt.Errorf("%s: %w", s.what, Explain(err))
			}
		}
		// Close repeats the first statement's error, if there was one.
		if err := results.Close(); err != nil && first == nil {
			first = fmt.Errorf("pipeline: %w", err)
		}
		return first
	})
}

// beginOn starts the write transaction on a connection of its own, which
// Pipeline needs to reach the driver underneath.
func beginOn(ctx context.Context, pool *sql.DB) (*sql.Conn, *sql.Tx, error) {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, tx, nil
}
