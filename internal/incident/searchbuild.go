package incident

import (
	"bufio"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/textsearch"
)

// A bulk load into SQLite builds its full-text index beside the store, in
// a scratch database (db.Scratch) of its own, on a goroutine of its own:
// SQLite lets one connection write to a database at a time, so the index
// built inside the load's transaction waited for everything else the
// writer did, while the second core stood idle. The load hands each
// incident's text and facets to the goroutine, which folds them into a
// plain file as the writer goes on; once the last incident is written it
// stages them in key order and builds the index while the writer builds
// the list's indexes, and the writer then copies the finished index into
// the store. At a million incidents, building the index in the store took
// 80–115 s of the writer's time; the copy takes 10–18.
//
// The copy is of FTS5's own tables (its "shadow tables"), and of the list
// of the index's words (searchwords.go): the two indexes are declared
// alike (searchTable) by the same SQLite, so their tables hold the same
// rows. The store's index is created anew just before: FTS5 keeps
// an index's layout in memory on a connection that has read it, and a new
// table has none to go stale.

// searchShadowTables are the tables FTS5 keeps incident_search in.
var searchShadowTables = []string{"incident_search_data", "incident_search_idx", "incident_search_docsize", "incident_search_config"}

// searchDoc is what the full-text row of one incident is made from.
type searchDoc struct {
	key                                  int64
	title, summary, placeName, placeArea string
	// facets are kind-prefixed values, as facetWords takes them.
	facets []string
}

// searchBuild is a bulk load's full-text index in the making. It is the
// transaction's db.Deferred: the documents of the incidents written since
// the last savepoint wait in pending, and go to the builder only when the
// next savepoint begins, so that none of a rolled-back savepoint does.
type searchBuild struct {
	scratch *db.Scratch
	docs    chan []searchDoc
	pending []searchDoc
	staged  int
	// closed is set once docs is closed and the index is being built;
	// copied once it is in the store; abandoned if the builder was
	// stopped (end) before.
	closed, copied, abandoned bool
	done                      chan error    // the builder's outcome, once
	quit                      chan struct{} // closed when the builder has stopped
	result                    error
	stopped, ended            sync.Once
	cancel                    context.CancelFunc
}

// startSearchBuild opens the scratch database and starts its builder; nil
// when the store has no file to put one beside.
func startSearchBuild(ctx context.Context, tx *db.Tx) (*searchBuild, error) {
	scratch, err := tx.OpenScratch(ctx)
	if err != nil || scratch == nil {
		return nil, err
	}
	buildCtx, cancel := context.WithCancel(ctx)
	b := &searchBuild{scratch: scratch, docs: make(chan []searchDoc, 16), done: make(chan error, 1), quit: make(chan struct{}),
		cancel: cancel}
	go func() {
		b.done <- b.build(buildCtx)
		close(b.quit)
	}()
	return b, nil
}

// add holds an incident's document back until its savepoint is over.
func (b *searchBuild) add(doc searchDoc) { b.pending = append(b.pending, doc) }

// Flush, before a savepoint, sends the documents of the writes that came
// through the last one to the builder; before the commit, once the last
// incident is written (finishRows), it waits for the index and copies it.
func (b *searchBuild) Flush(ctx context.Context, tx *db.Tx) error {
	switch {
	case b.abandoned:
		return errors.New("build the full-text index: stopped before the transaction ended")
	case !b.closed:
		// A builder that stopped before the last document failed: the
		// load stops now rather than at its end.
		select {
		case <-b.quit:
			return b.wait()
		default:
		}
		if len(b.pending) == 0 {
			return nil
		}
		select {
		case b.docs <- b.pending:
		case <-b.quit: // while the writer waited to hand over
			return b.wait()
		case <-ctx.Done():
			return ctx.Err()
		}
		b.staged += len(b.pending)
		b.pending = nil
		return nil
	case b.copied:
		return nil
	}
	b.copied = true
	err := b.wait()
	if err == nil {
		err = b.copyInto(ctx, tx)
	}
	return errors.Join(err, b.end())
}

// Discard forgets the documents of a rolled-back savepoint's writes.
func (b *searchBuild) Discard() { b.pending = nil }

// finishRows hands over the last documents: the builder then builds.
func (b *searchBuild) finishRows(ctx context.Context, tx *db.Tx) error {
	if err := b.Flush(ctx, tx); err != nil {
		return err
	}
	b.closed = true
	close(b.docs)
	return nil
}

// wait returns the builder's outcome once it has stopped.
func (b *searchBuild) wait() error {
	b.stopped.Do(func() { b.result = <-b.done })
	return b.result
}

// end stops the builder, if it still runs, and removes the scratch
// database. It can be called more than once.
func (b *searchBuild) end() error {
	var err error
	b.ended.Do(func() {
		b.cancel()
		if !b.closed {
			b.closed = true
			close(b.docs)
		}
		// Ended before the copy, the load must not commit without its
		// index.
		b.abandoned = !b.copied
		b.wait()
		err = b.scratch.Close()
	})
	return err
}

// besideHashBytes is FTS5's build buffer beside the store: smaller than in
// it (searchHashBytes), because the build runs while the writer sorts for
// the list's indexes, and the two buffers together would take the import
// past 500 MiB at a million incidents (544 MiB with 64 MiB here). The build
// is slower with less, but it finishes well before the writer does.
const besideHashBytes = 16 << 20

// stagingBatchDocs is how many documents the builder stages with one
// statement.
const stagingBatchDocs = 128

// stagingFault, when set (by tests), is what staging fails with.
var stagingFault error

// docAt is where a folded document lies in the builder's file.
type docAt struct {
	key, offset int64
	length      int
}

// build folds the documents as they come, as the store's rows are
// (indexSQLite), and appends them to a plain file: while the load goes on
// the builder runs no SQL, because two connections at work at once in one
// process slow each other (two index builds took 72 and 73 s side by side
// in one process, 57 and 62 s in two; the driver's memory allocator has a
// single lock).
// Once the last has come it stages them in key order and builds the index
// from them in one statement.
func (b *searchBuild) build(ctx context.Context) error {
	f, err := b.scratch.File("docs")
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var (
		index  []docAt
		offset int64
		record []byte
	)
	for docs := range b.docs {
		if stagingFault != nil {
			return stagingFault
		}
		for _, d := range docs {
			record = record[:0]
			for _, field := range []string{textsearch.Document(d.title), textsearch.Document(d.summary),
				textsearch.Document(d.placeName, d.placeArea), facetWords(d.facets)} {
				record = binary.AppendUvarint(record, uint64(len(field)))
				record = append(record, field...)
			}
			if _, err := w.Write(record); err != nil {
				return fmt.Errorf("stage the full-text index: %w", err)
			}
			index = append(index, docAt{key: d.key, offset: offset, length: len(record)})
			offset += int64(len(record))
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("stage the full-text index: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	slices.SortFunc(index, func(a, b docAt) int { return cmp.Compare(a.key, b.key) })
	conn, err := b.scratch.Conn(ctx)
	if err != nil {
		return fmt.Errorf("build the full-text index: %w", err)
	}
	defer conn.Close()
	// Rows staged in key order under their keys are read back in that
	// order with no sort.
	for _, q := range []string{`BEGIN`, `CREATE TABLE staging (list_key INTEGER PRIMARY KEY, title TEXT NOT NULL,
		summary TEXT NOT NULL, place TEXT NOT NULL, facets TEXT NOT NULL)`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("build the full-text index: %w", err)
		}
	}
	insert := func(n int) string {
		return `INSERT INTO staging (list_key, title, summary, place, facets) VALUES ` +
			strings.TrimSuffix(strings.Repeat(`(?, ?, ?, ?, ?), `, n), `, `)
	}
	full, err := conn.PrepareContext(ctx, insert(stagingBatchDocs))
	if err != nil {
		return fmt.Errorf("build the full-text index: %w", err)
	}
	defer full.Close()
	args := make([]any, 0, 5*stagingBatchDocs)
	for i, at := range index {
		if cap(record) < at.length {
			record = make([]byte, at.length)
		}
		record = record[:at.length]
		if _, err := f.ReadAt(record, at.offset); err != nil {
			return fmt.Errorf("stage the full-text index: %w", err)
		}
		args = append(args, at.key)
		for rest := record; len(rest) > 0; {
			n, size := binary.Uvarint(rest)
			args = append(args, string(rest[size:size+int(n)]))
			rest = rest[size+int(n):]
		}
		if len(args) < cap(args) && i < len(index)-1 {
			continue
		}
		if len(args) == cap(args) {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = conn.ExecContext(ctx, insert(len(args)/5), args...)
		}
		if err != nil {
			return fmt.Errorf("stage the full-text index: %w", err)
		}
		args = args[:0]
	}
	if err := recreateSearch(ctx, conn.ExecContext); err != nil {
		return fmt.Errorf("build the full-text index: %w", err)
	}
	if err := buildSearch(ctx, conn.ExecContext, `SELECT list_key, title, summary, place, facets FROM staging ORDER BY list_key`,
		besideHashBytes); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return fmt.Errorf("build the full-text index: %w", err)
	}
	return nil
}

// copyInto puts the built index in the store, in place of its empty one.
func (b *searchBuild) copyInto(ctx context.Context, tx *db.Tx) error {
	if b.staged == 0 {
		return nil
	}
	// The store was empty when the load began; an incident written
	// beside it since (before its transaction began) is in the index,
	// which the copy would replace.
	var indexed bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM incident_search_docsize)`).Scan(&indexed); err != nil {
		return fmt.Errorf("copy the full-text index: %w", err)
	}
	if indexed {
		return errors.New("copy the full-text index: the store's index is no longer empty (incidents were written beside the import); import again")
	}
	if err := recreateSearch(ctx, tx.Exec); err != nil {
		return fmt.Errorf("copy the full-text index: %w", err)
	}
	for _, table := range searchShadowTables {
		if _, err := tx.Exec(ctx, `DELETE FROM `+table); err != nil {
			return fmt.Errorf("copy the full-text index: %w", err)
		}
		if err := tx.CopyFrom(ctx, b.scratch, table); err != nil {
			return fmt.Errorf("copy the full-text index: %w", err)
		}
	}
	// recreateSearch left the list of words empty.
	if err := tx.CopyFrom(ctx, b.scratch, "search_words"); err != nil {
		return fmt.Errorf("copy the full-text index's words: %w", err)
	}
	return nil
}
