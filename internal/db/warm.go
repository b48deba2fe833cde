package db

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Warmth is what Warm did.
type Warmth struct {
	Size int64         // of the store's files
	Read int64         // bytes read into the operating system's cache
	Took time.Duration // how long reading took
	// Why nothing was read, if nothing was: the files are larger than the
	// budget, or the store is PostgreSQL's.
	TooLarge, NotSQLite bool
	// On PostgreSQL: whether the server's pg_prewarm module saves its cache
	// and loads it again at a restart.
	Autoprewarm bool
}

// Warm reads the SQLite store's files once from start to end, so that the
// operating system holds them in its cache before the first requests need
// them. A page SQLite then reads is a copy from memory. Without it, after a
// restart each list and search reads its pages from disk one at a time, out
// of order: at a million incidents, p99 latencies of up to 690 ms in the
// first hundred requests of a kind, against under 50 ms once the files had
// been read through, which took 10 s (bench/README.md, "Warming the
// store").
//
// Nothing is read when the files are larger than budget bytes: reading
// them would push out of the cache what it already holds, for pages that
// could not all stay. PostgreSQL keeps its own cache, restored across
// restarts by its pg_prewarm module (docs/cli.md, "dossier serve"): Warm
// only says whether the server has it on.
func (d *DB) Warm(ctx context.Context, budget int64) (Warmth, error) {
	if d.Dialect != SQLite {
		w := Warmth{NotSQLite: true}
		// The setting exists only once the module is loaded, at the
		// server's start (shared_preload_libraries).
		var on sql.NullString
		if err := d.read.QueryRowContext(ctx, `SELECT current_setting('pg_prewarm.autoprewarm', true)`).Scan(&on); err != nil {
			return w, fmt.Errorf("ask PostgreSQL about pg_prewarm: %w", err)
		}
		w.Autoprewarm = on.String == "on"
		return w, nil
	}
	files := []string{d.path, d.path + "-wal"}
	var w Warmth
	for _, name := range files {
		info, err := os.Stat(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return Warmth{}, fmt.Errorf("warm the store: %w", err)
		}
		w.Size += info.Size()
	}
	if w.Size > budget {
		w.TooLarge = true
		return w, nil
	}
	start := time.Now()
	buf := make([]byte, 1<<20)
	for _, name := range files {
		n, err := readThrough(ctx, name, buf)
		w.Read += n
		if err != nil {
			return w, fmt.Errorf("warm the store: %w", err)
		}
	}
	w.Took = time.Since(start)
	return w, nil
}

// readThrough reads the file to its end, giving up when ctx ends.
func readThrough(ctx context.Context, name string, buf []byte) (int64, error) {
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := f.Read(buf)
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// WarmBudget is how much of the store Warm may read: half the memory the
// system reports available (Linux's MemAvailable), leaving the rest to the
// programs beside it. Where the system does not say, 1 GiB.
func WarmBudget() int64 {
	if kib, ok := memAvailableKiB("/proc/meminfo"); ok {
		return kib * 1024 / 2
	}
	return 1 << 30
}

func memAvailableKiB(meminfo string) (int64, bool) {
	f, err := os.Open(meminfo)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		// "MemAvailable:   23682160 kB"
		rest, ok := strings.CutPrefix(lines.Text(), "MemAvailable:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, false
		}
		kib, err := strconv.ParseInt(fields[0], 10, 64)
		return kib, err == nil && kib > 0
	}
	return 0, false
}
