package record

import (
	"context"
	"fmt"
	"sort"

	"github.com/dossier-org/dossier/internal/db"
)

// eachers stream every record of a kind as it stands now; verification
// hashes each against the audit log.
var eachers = map[Kind]func(ctx context.Context, q db.Querier, fn func(id string, current any) error) error{}

// RegisterEach tells verification how to read every record of a kind.
func RegisterEach(kind Kind, each func(ctx context.Context, q db.Querier, fn func(id string, current any) error) error) {
	eachers[kind] = each
}

// Kinds lists the kinds of record whose every record can be read.
func Kinds() []Kind {
	out := make([]Kind, 0, len(eachers))
	for k := range eachers {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// EachRecord calls fn with every record of kind as it stands now.
func EachRecord(ctx context.Context, q db.Querier, kind Kind, fn func(id string, current any) error) error {
	each, ok := eachers[kind]
	if !ok {
		return fmt.Errorf("no reader for every %s", kind)
	}
	return each(ctx, q, fn)
}

// EachByID reads every record of a small table one by one, through the
// kind's current-version reader.
func EachByID(kind Kind, table string) func(ctx context.Context, q db.Querier, fn func(id string, current any) error) error {
	return func(ctx context.Context, q db.Querier, fn func(id string, current any) error) error {
		rows, err := q.Query(ctx, `SELECT id FROM `+table+` ORDER BY id`)
		if err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		load := currentLoaders[kind]
		for _, id := range ids {
			current, err := load(ctx, q, id)
			if err != nil {
				return fmt.Errorf("read %s %s: %w", kind, id, err)
			}
			if err := fn(id, current); err != nil {
				return err
			}
		}
		return nil
	}
}
