package db_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

func TestWarm(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w, err := d.Warm(ctx, 1<<40)
		if err != nil {
			t.Fatal(err)
		}
		if d.Dialect != db.SQLite {
			// The tests' cluster is started without pg_prewarm: the
			// setting Warm reads does not exist there.
			var libraries string
			if err := d.QueryRow(ctx, `SHOW shared_preload_libraries`).Scan(&libraries); err != nil {
				t.Fatal(err)
			}
			if !w.NotSQLite || w.Read != 0 || w.Autoprewarm != strings.Contains(libraries, "pg_prewarm") {
				t.Errorf("Warm on %s with shared_preload_libraries %q = %+v, want nothing read", d.Dialect, libraries, w)
			}
			return
		}
		// The migrated store's file and its write-ahead log.
		var size int64
		for _, name := range []string{d.Path(), d.Path() + "-wal"} {
			if info, err := os.Stat(name); err == nil {
				size += info.Size()
			}
		}
		if size < 100_000 || w.Size != size || w.Read != size || w.TooLarge || w.NotSQLite {
			t.Errorf("Warm = %+v, want %d bytes read", w, size)
		}
		if w, err := d.Warm(ctx, size-1); err != nil || !w.TooLarge || w.Read != 0 || w.Size != size {
			t.Errorf("Warm with a budget of a byte less = %+v, %v; want nothing read, as too large", w, err)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := d.Warm(cancelled, size); !errors.Is(err, context.Canceled) {
			t.Errorf("Warm after its context ended: %v", err)
		}
	})
}

func TestWarmBudget(t *testing.T) {
	b := db.WarmBudget()
	meminfo, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		if b != 1<<30 {
			t.Errorf("WarmBudget without /proc/meminfo = %d, want 1 GiB", b)
		}
		return
	}
	// Half of MemAvailable, which moves between two readings: within 10%.
	var kib int64
	for _, line := range strings.Split(string(meminfo), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "MemAvailable:" {
			if kib, err = strconv.ParseInt(f[1], 10, 64); err != nil {
				t.Fatal(err)
			}
		}
	}
	if want := kib * 512; b < want*9/10 || b > want*11/10 {
		t.Errorf("WarmBudget = %d, want about %d (half of MemAvailable)", b, want)
	}
}
