package upload

import (
	"context"
	"log/slog"

	expslog "golang.org/x/exp/slog"
)

// tusLogger hands tusd (which logs through golang.org/x/exp/slog) a logger
// that passes only warnings and errors on to ours: tusd logs every request
// at the info level.
func tusLogger(l *slog.Logger) *expslog.Logger {
	return expslog.New(warnings{l: l})
}

type warnings struct {
	l     *slog.Logger
	attrs []any
}

func (w warnings) Enabled(ctx context.Context, level expslog.Level) bool {
	return level >= expslog.LevelWarn && w.l.Enabled(ctx, slog.Level(level))
}

func (w warnings) Handle(ctx context.Context, r expslog.Record) error {
	args := append([]any{}, w.attrs...)
	r.Attrs(func(a expslog.Attr) bool {
		args = append(args, a.Key, a.Value.Any())
		return true
	})
	w.l.Log(ctx, slog.Level(r.Level), "upload: "+r.Message, args...)
	return nil
}

func (w warnings) WithAttrs(as []expslog.Attr) expslog.Handler {
	attrs := append([]any{}, w.attrs...)
	for _, a := range as {
		attrs = append(attrs, a.Key, a.Value.Any())
	}
	return warnings{l: w.l, attrs: attrs}
}

// WithGroup is not used by tusd; attributes stay flat.
func (w warnings) WithGroup(string) expslog.Handler { return w }
