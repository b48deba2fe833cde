package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

func TestPipeline(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.Write(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(ctx, `CREATE TABLE piped (id INTEGER PRIMARY KEY, label TEXT NOT NULL)`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `CREATE TABLE piped_child (id INTEGER PRIMARY KEY,
				parent INTEGER NOT NULL REFERENCES piped (id), label TEXT NOT NULL)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		insert := `INSERT INTO piped (id, label) VALUES ($1, $2)`

		// More rows than wait at once, each parent with a child queued after
		// it, then a read that must see them all.
		var seen string
		err := d.Write(ctx, func(tx *db.Tx) error {
			return tx.Pipeline(ctx, func() error {
				for i := 1; i <= 700; i++ {
					if err := tx.ExecLater(ctx, "store a row", insert, i, "row"); err != nil {
						return err
					}
					if err := tx.ExecLater(ctx, "store a child", `INSERT INTO piped_child (id, parent, label)
						VALUES ($1, $2, 'child of ' || $3)`, i+1000, i, fmt.Sprint(i)); err != nil {
						return err
					}
				}
				return tx.QueryRow(ctx, `SELECT COUNT(*) || ' ' || SUM(c.id - p.id) || ' ' || MAX(c.label) FROM piped p
					JOIN piped_child c ON c.parent = p.id AND c.label = 'child of ' || p.id`).Scan(&seen)
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if seen != "700 700000 child of 99" {
			t.Errorf("a read inside the pipeline saw %q, want the 700 rows and children written before it", seen)
		}

		// A refused row: on PostgreSQL ExecLater only queues it, and the
		// refusal comes when the pipeline is sent, named by what was being
		// stored; inside a savepoint, the transaction goes on.
		var queued error
		err = d.Write(ctx, func(tx *db.Tx) error {
			failed := tx.Savepoint(ctx, func() error {
				return tx.Pipeline(ctx, func() error {
					if err := tx.ExecLater(ctx, "store row 701", insert, 701, "new"); err != nil {
						return err
					}
					queued = tx.ExecLater(ctx, "store row 1 again", insert, 1, "again")
					return queued
				})
			})
			if !errors.Is(db.Explain(failed), db.ErrDuplicate) {
				t.Errorf("refused row: %v, want a duplicate", failed)
			}
			if d.Dialect == db.Postgres && (queued != nil || !strings.Contains(failed.Error(), "store row 1 again")) {
				t.Errorf("on PostgreSQL, ExecLater said %v and the send %v; want nil, then an error naming the row", queued, failed)
			}
			if d.Dialect == db.SQLite && queued == nil {
				t.Error("on SQLite, ExecLater ran later")
			}
			return tx.ExecLater(ctx, "store row 702", insert, 702, "after")
		})
		if err != nil {
			t.Fatal(err)
		}
		var labels string
		if err := d.QueryRow(ctx, `SELECT COUNT(*) || ' ' || MAX(id) FROM piped WHERE label <> 'row'`).Scan(&labels); err != nil {
			t.Fatal(err)
		}
		if labels != "1 702" {
			t.Errorf("rows written besides the first 700: %q, want only 702 (701 was undone with its savepoint)", labels)
		}

		// A read after a refused row reports the refusal, not the aborted
		// transaction that follows from it.
		err = d.Write(ctx, func(tx *db.Tx) error {
			return tx.Pipeline(ctx, func() error {
				if err := tx.ExecLater(ctx, "store row 2 again", insert, 2, "again"); err != nil {
					return err
				}
				var n int
				return tx.QueryRow(ctx, `SELECT COUNT(*) FROM piped`).Scan(&n)
			})
		})
		if !errors.Is(db.Explain(err), db.ErrDuplicate) {
			t.Errorf("read after a refused row: %v, want the duplicate", err)
		}
	})
}
