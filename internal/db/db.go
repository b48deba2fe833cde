// Package db opens Dossier's database — embedded SQLite by default, PostgreSQL
// when given a URL — migrates it, and runs every write in a transaction.
//
// Queries are written once, in PostgreSQL's numbered-placeholder style ($1, $2);
// for SQLite they are rewritten to its equivalent (?1, ?2), so each aggregate's
// storage code has a single SQL path for both engines.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

var (
	// ErrNotFound means no record has the requested ID.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the record changed since the caller read it.
	ErrConflict = errors.New("the record was changed by someone else; reload it and apply your change again")
)

// DB is an open, migrated database. Writes go through one connection on
// SQLite (its single-writer model), a pool on PostgreSQL; reads outside a
// write go through a separate pool.
type DB struct {
	Dialect Dialect
	write   *sql.DB
	read    *sql.DB
	path    string // SQLite file, empty for PostgreSQL
}

// readConns is the size of SQLite's pool of readers.
const readConns = 8

// busyTimeoutMS is how long a SQLite connection waits for a lock.
const busyTimeoutMS = 10000

// SQLiteFile is the database file's name inside a data directory.
const SQLiteFile = "dossier.db"

// Open opens the database named by url, or the SQLite database inside dataDir
// when url is empty, and brings its schema up to date.
func Open(ctx context.Context, url, dataDir string) (*DB, error) {
	var d *DB
	var err error
	switch {
	case url == "":
		d, err = openSQLite(filepath.Join(dataDir, SQLiteFile))
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		d, err = openPostgres(url)
	case strings.HasPrefix(url, "sqlite:"):
		d, err = openSQLite(strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//"))
	default:
		return nil, fmt.Errorf("database URL %q: use postgres://… for PostgreSQL, or leave it empty for SQLite in the data directory", url)
	}
	if err != nil {
		return nil, err
	}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func openSQLite(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	// Pragmas in deliberate order: WAL first so readers never block the writer;
	// synchronous=FULL so an acknowledged commit survives power loss, not only a
	// crash of the process; foreign keys on because SQLite defaults them off.
	pragmas := fmt.Sprintf("_pragma=busy_timeout(%d)&", busyTimeoutMS) + "_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=foreign_keys(1)&_pragma=cache_size(-65536)"
	uri := fileURI(path)
	write, err := sql.Open("sqlite", uri+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open SQLite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	if err := write.Ping(); err != nil {
		write.Close()
		return nil, fmt.Errorf("open SQLite %s: %w", path, err)
	}
	// Readers map the file into memory: a page read is then a memory
	// access rather than a system call, which halved the p50 of word
	// searches at a million incidents. The driver's SQLite is built to map
	// at most the first 2 GiB (SQLITE_MAX_MMAP_SIZE); pages past that are
	// read with system calls. The cost: a disk error under a mapped page
	// stops the process instead of failing one query.
	read, err := sql.Open("sqlite", uri+"?"+pragmas+"&_pragma=query_only(1)&_pragma=mmap_size(2147418112)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open SQLite %s: %w", path, err)
	}
	read.SetMaxOpenConns(readConns)
	read.SetMaxIdleConns(readConns)
	return &DB{Dialect: SQLite, write: write, read: read, path: path}, nil
}

func openPostgres(url string) (*DB, error) {
	config, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL: %w", err)
	}
	write := stdlib.OpenDB(*config)
	write.SetMaxOpenConns(8)
	write.SetMaxIdleConns(4)
	write.SetConnMaxIdleTime(5 * time.Minute)
	// Statements are prepared once per connection, and after five runs
	// PostgreSQL may plan them for any value. Lists and searches are only
	// fast when planned for theirs: a word's rows number from one to half
	// a million. For a rare word with "woman" (520,000 incidents), the plan
	// for any value merged the two words' rows and took 84 ms; planned for
	// the words, it probed the common word's rows once per row of the rare
	// one: 1.8 ms. Reads are planned for their values every time; writes
	// are not, as planning every insert slowed an import by a third. A URL
	// that sets plan_cache_mode keeps its own.
	reads := config.Copy()
	if _, ok := reads.RuntimeParams["plan_cache_mode"]; !ok {
		reads.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	read := stdlib.OpenDB(*reads)
	read.SetMaxOpenConns(16)
	read.SetMaxIdleConns(8)
	read.SetConnMaxIdleTime(5 * time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, pool := range []*sql.DB{write, read} {
		if err := pool.PingContext(ctx); err != nil {
			write.Close()
			read.Close()
			return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
		}
	}
	return &DB{Dialect: Postgres, write: write, read: read}, nil
}

// Close releases every connection.
func (d *DB) Close() error {
	err := d.write.Close()
	if d.read != d.write {
		err = errors.Join(err, d.read.Close())
	}
	return err
}

// Path is the SQLite file, or "" for PostgreSQL.
func (d *DB) Path() string { return d.path }

// Pools returns the connection pools by role ("read", "write"; one shared
// pool on PostgreSQL is reported once), for metrics.
func (d *DB) Pools() map[string]*sql.DB {
	if d.read == d.write {
		return map[string]*sql.DB{"shared": d.read}
	}
	return map[string]*sql.DB{"read": d.read, "write": d.write}
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.read.PingContext(ctx) }

// Querier reads: a DB through its read pool, or a Tx seeing its own writes.
type Querier interface {
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// Query runs a read query.
func (d *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.read.QueryContext(ctx, d.rebind(query), args...)
}

// Column reads the one column of a query's rows as values of T. It takes
// the query's own results, so that a call wraps the query:
// db.Column[string](q.Query(ctx, …)).
func Column[T any](rows *sql.Rows, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// QueryRow runs a read query that returns at most one row.
func (d *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return d.read.QueryRowContext(ctx, d.rebind(query), args...)
}

// Vacuum, on PostgreSQL, marks the pages of tables that a bulk load has
// just filled as visible to all and refreshes their statistics. Until it
// has, an index-only scan (every walk of the incident list) visits the
// table for each entry; autovacuum would get there, minutes later. It must
// run outside a transaction. SQLite needs nothing: its ANALYZE ran inside
// the load (Tx.WithoutIndexes).
func (d *DB) Vacuum(ctx context.Context, tables ...string) error {
	if d.Dialect != Postgres {
		return nil
	}
	if _, err := d.write.ExecContext(ctx, `VACUUM (ANALYZE) `+strings.Join(tables, `, `)); err != nil {
		return fmt.Errorf("vacuum %s: %w", strings.Join(tables, ", "), err)
	}
	return nil
}

// Write runs fn in a write transaction, committing if fn returns nil.
func (d *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	conn, tx, err := beginOn(ctx, d.write)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer conn.Close()
	t := &Tx{tx: tx, conn: conn, db: d}
	defer t.closeStatements()
	err = fn(t)
	if err == nil {
		err = t.flush(ctx)
	}
	if err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("roll back: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// WriteAlone is Write for one very large transaction that the operator
// runs on the data directory (an import into an empty store from the
// command line). When no other connection has the SQLite database open, it
// runs the transaction with a rollback journal instead of the WAL, and
// returns to WAL afterwards: in WAL mode every page a transaction of
// gigabytes spills from its cache is appended to the WAL, and every later
// read of such a page searches the WAL's index, whose cost grows with the
// WAL. At a million incidents that search was a quarter of the import's
// time. Readers in other processes wait while it runs. Elsewhere (on
// PostgreSQL, or with another connection open) it is Write.
func (d *DB) WriteAlone(ctx context.Context, fn func(*Tx) error) error {
	if d.Dialect != SQLite {
		return d.Write(ctx, fn)
	}
	// This process's own idle readers would keep the WAL in use.
	d.read.SetMaxIdleConns(0)
	defer d.read.SetMaxIdleConns(readConns)
	// A connection elsewhere is not waited for: the write goes on in WAL.
	conn, err := d.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	var mode string
	_, err = conn.ExecContext(ctx, `PRAGMA busy_timeout = 0`)
	if err == nil {
		if conn.QueryRowContext(ctx, `PRAGMA journal_mode = DELETE`).Scan(&mode) != nil {
			mode = "wal" // busy: another connection has the database open
		}
		_, err = conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, busyTimeoutMS))
	}
	conn.Close()
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if mode != "delete" {
		return d.Write(ctx, fn)
	}
	err = d.Write(ctx, fn)
	if werr := d.write.QueryRowContext(context.WithoutCancel(ctx), `PRAGMA journal_mode = WAL`).Scan(&mode); werr != nil || mode != "wal" {
		err = errors.Join(err, fmt.Errorf("return to WAL mode (now %q): %w", mode, werr))
	}
	return err
}

// Tx is a write transaction. It keeps its prepared statements, because a bulk
// import runs the same few statements millions of times.
type Tx struct {
	tx       *sql.Tx
	conn     *sql.Conn
	db       *DB
	stmts    map[string]*sql.Stmt
	known    map[string]bool
	queues   []*queue
	deferred map[string]Deferred

	// pipelining is set inside Pipeline; pending are the statements it
	// has not sent yet, and sendErr the failure of a send that a QueryRow
	// could not report.
	pipelining bool
	pending    []pendingExec
	sendErr    error
}

// Dialect is the engine behind the transaction.
func (t *Tx) Dialect() Dialect { return t.db.Dialect }

// NextNumber is the SQL expression for the small number a new row of
// table takes (its column number, which stands for the row where an ID
// would make indexes wide): the next value of sequence on PostgreSQL, one
// past the largest on SQLite, whose single writer makes that safe.
func (t *Tx) NextNumber(table, sequence string) string {
	if t.Dialect() == Postgres {
		return `nextval('` + sequence + `')`
	}
	return `(SELECT COALESCE(MAX(number), 0) + 1 FROM ` + table + `)`
}

func (t *Tx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := t.stmts[query]; ok {
		return s, nil
	}
	s, err := t.tx.PrepareContext(ctx, t.db.rebind(query))
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = make(map[string]*sql.Stmt)
	}
	t.stmts[query] = s
	return s, nil
}

func (t *Tx) closeStatements() {
	for _, s := range t.stmts {
		s.Close()
	}
}

// Exec runs a statement inside the transaction.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := t.sendPending(ctx); err != nil {
		return nil, err
	}
	s, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// Query runs a query inside the transaction, seeing its uncommitted writes.
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := t.sendPending(ctx); err != nil {
		return nil, err
	}
	s, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// QueryRow runs a query that returns at most one row inside the transaction.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if err := t.sendPending(ctx); err != nil && t.sendErr == nil {
		// The transaction is aborted: the query fails too, and Pipeline
		// returns this, the cause.
		t.sendErr = err
	}
	s, err := t.stmt(ctx, query)
	if err != nil {
		// Surface the preparation error through Scan, as database/sql does.
		return t.tx.QueryRowContext(ctx, t.db.rebind(query), args...)
	}
	return s.QueryRowContext(ctx, args...)
}

var placeholder = regexp.MustCompile(`\$(\d+)`)

var rebound sync.Map // query → SQLite form

// rebind turns $1-style placeholders into SQLite's forms: plain ? when
// they come in order, each once, as in a multi-row insert; ?1 otherwise.
// The driver asks SQLite for each parameter's name when it binds it, and a
// numbered name is found by a walk through the statement's list of names:
// with a thousand numbered parameters, binding cost more than the insert.
func (d *DB) rebind(query string) string {
	if d.Dialect != SQLite {
		return query
	}
	if q, ok := rebound.Load(query); ok {
		return q.(string)
	}
	form := "?$1"
	if inOrder(query) {
		form = "?"
	}
	q := placeholder.ReplaceAllString(query, form)
	rebound.Store(query, q)
	return q
}

// inOrder reports whether the query's placeholders are $1, $2, … $n, in
// that order, each once.
func inOrder(query string) bool {
	for i, m := range placeholder.FindAllStringSubmatch(query, -1) {
		if m[1] != strconv.Itoa(i+1) {
			return false
		}
	}
	return true
}

// Placeholders returns "$from, $from+1, …" for n arguments, for IN lists.
func Placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", from+i)
	}
	return b.String()
}

// TimeLayout is how instants are stored: UTC, fixed width, so that text order
// is time order on both engines.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// FormatTime renders t for storage.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime reads a stored instant.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

// Now is the current instant at the precision stored.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Exists reports whether table has a row with this id, remembering the
// answer for the rest of the transaction: an import checks the same few
// situations and parties for every row.
func (t *Tx) Exists(ctx context.Context, table, id string) (bool, error) {
	key := table + "\x00" + id
	if t.known[key] {
		return true, nil
	}
	var one int
	err := t.QueryRow(ctx, `SELECT 1 FROM `+table+` WHERE id = $1`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up %s %s: %w", table, id, err)
	}
	if t.known == nil {
		t.known = make(map[string]bool)
	}
	t.known[key] = true
	return true, nil
}

// Savepoint runs fn so that, if it fails, only its own writes are undone and
// the transaction can go on: a partial import skips a bad row this way.
// PostgreSQL otherwise aborts the whole transaction at the first error.
func (t *Tx) Savepoint(ctx context.Context, fn func() error) error {
	// Queued rows are written first, so that a rollback to this savepoint
	// drops exactly the rows queued inside it.
	if err := t.flush(ctx); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, "SAVEPOINT row_savepoint"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	err := fn()
	if err == nil {
		// A statement the savepoint's writes left waiting fails inside it.
		err = t.sendPending(ctx)
	}
	if err != nil {
		if _, rbErr := t.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT row_savepoint"); rbErr != nil {
			return errors.Join(err, fmt.Errorf("roll back to savepoint: %w", rbErr))
		}
		// What was learnt or queued inside the savepoint is undone with it.
		clear(t.known)
		t.pending, t.sendErr = t.pending[:0], nil
		for _, q := range t.queues {
			q.rows = q.rows[:0]
		}
		for _, d := range t.deferred {
			d.Discard()
		}
		return err
	}
	if _, err := t.tx.ExecContext(ctx, "RELEASE SAVEPOINT row_savepoint"); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// NullIfEmpty stores an empty optional reference as NULL, which foreign keys
// require.
func NullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// queue holds rows waiting to be written together.
type queue struct {
	name  string
	rows  [][]any
	max   int
	flush func(ctx context.Context, tx *Tx, rows [][]any) error
}

// Queue holds row back to be written together with others of its kind
// (name) by flush: when max rows are waiting, before a savepoint, and before
// the transaction commits. SQLite's FTS5 index flushes its pending terms at
// every statement savepoint, so inserting index rows one by one among other
// writes builds one tiny segment per row; written in batches it stays fast.
func (t *Tx) Queue(ctx context.Context, name string, max int, flush func(ctx context.Context, tx *Tx, rows [][]any) error, row ...any) error {
	var q *queue
	for _, candidate := range t.queues {
		if candidate.name == name {
			q = candidate
		}
	}
	if q == nil {
		q = &queue{name: name, max: max, flush: flush}
		t.queues = append(t.queues, q)
	}
	q.rows = append(q.rows, row)
	if len(q.rows) >= q.max {
		return t.flushQueue(ctx, q)
	}
	return nil
}

// FlushQueue writes the rows waiting in the named queue now, for a reader
// in the same transaction that needs them all.
func (t *Tx) FlushQueue(ctx context.Context, name string) error {
	for _, q := range t.queues {
		if q.name == name {
			return t.flushQueue(ctx, q)
		}
	}
	return nil
}

func (t *Tx) flushQueue(ctx context.Context, q *queue) error {
	if len(q.rows) == 0 {
		return nil
	}
	rows := q.rows
	q.rows = nil
	return q.flush(ctx, t, rows)
}

// Deferred is state a transaction keeps in memory and writes once, late:
// Flush writes it (before a savepoint and before the commit), and Discard
// forgets what was not flushed when a savepoint rolls back. The audit log
// keeps its tree head this way, so that a bulk import does not rewrite the
// head at every record.
type Deferred interface {
	Flush(ctx context.Context, tx *Tx) error
	Discard()
}

// Deferred returns the transaction's state under key, made by create on
// first use.
func (t *Tx) Deferred(key string, create func() Deferred) Deferred {
	if d, ok := t.deferred[key]; ok {
		return d
	}
	if t.deferred == nil {
		t.deferred = make(map[string]Deferred)
	}
	d := create()
	t.deferred[key] = d
	return d
}

// flush writes queued rows, then deferred state (which may queue nothing).
func (t *Tx) flush(ctx context.Context) error {
	if err := t.sendPending(ctx); err != nil {
		return err
	}
	if err := t.flushQueues(ctx); err != nil {
		return err
	}
	keys := make([]string, 0, len(t.deferred))
	for k := range t.deferred {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := t.deferred[k].Flush(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tx) flushQueues(ctx context.Context) error {
	for _, q := range t.queues {
		if err := t.flushQueue(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// ValuesList renders n rows of width placeholders for a multi-row INSERT:
// ($1, $2), ($3, $4), … A batched insert asks for the same few shapes over
// and over, so each is rendered once.
func ValuesList(n, width int) string {
	key := [2]int{n, width}
	if v, ok := valuesLists.Load(key); ok {
		return v.(string)
	}
	v := renderValuesList(n, width)
	valuesLists.Store(key, v)
	return v
}

var valuesLists sync.Map // [rows, width] → ValuesList

func renderValuesList(n, width int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(")
		b.WriteString(Placeholders(i*width+1, width))
		b.WriteString(")")
	}
	return b.String()
}

// WithoutIndexes runs fn with the non-unique secondary indexes of tables
// set aside, then builds them again, all inside the transaction. Building an
// index once over sorted keys is far cheaper than keeping it up to date
// through a million random inserts, so a bulk load into empty tables goes
// this way. Unique indexes stay, so uniqueness is still checked row by row.
// On PostgreSQL it just runs fn.
func (t *Tx) WithoutIndexes(ctx context.Context, tables []string, fn func() error) error {
	if t.db.Dialect != SQLite {
		return fn()
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT i.name, i.sql FROM sqlite_schema i
		WHERE i.type = 'index' AND i.sql IS NOT NULL AND i.tbl_name IN (`+Placeholders(1, len(tables))+`)
		AND NOT EXISTS (SELECT 1 FROM pragma_index_list(i.tbl_name) l WHERE l.name = i.name AND l."unique")`,
		anySlice(tables)...)
	if err != nil {
		return fmt.Errorf("list indexes: %w", err)
	}
	var names, ddl []string
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			rows.Close()
			return err
		}
		names, ddl = append(names, name), append(ddl, sql)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := t.tx.ExecContext(ctx, `DROP INDEX "`+name+`"`); err != nil {
			return fmt.Errorf("set index %s aside: %w", name, err)
		}
	}
	// Statements prepared against the old schema are re-prepared by SQLite;
	// dropping them keeps the cache honest.
	t.closeStatements()
	clear(t.stmts)
	fnErr := fn()
	if fnErr == nil {
		fnErr = t.flushQueues(ctx)
	}
	for i, sql := range ddl {
		if _, err := t.tx.ExecContext(ctx, sql); err != nil {
			return errors.Join(fnErr, fmt.Errorf("rebuild index %s: %w", names[i], err))
		}
	}
	if fnErr != nil {
		return fnErr
	}
	// After a bulk load the query planner's statistics are stale or absent.
	// A sampled ANALYZE misjudges skewed columns (a party's share of acts),
	// so the whole tables are read: about a tenth of the load's time.
	if _, err := t.tx.ExecContext(ctx, "ANALYZE "+strings.Join(tables, "; ANALYZE ")); err != nil {
		return fmt.Errorf("refresh planner statistics: %w", err)
	}
	return nil
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
