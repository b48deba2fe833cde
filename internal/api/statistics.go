package api

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/disclosure"
	"github.com/dossier-org/dossier/internal/stats"
)

// Statistics are the record as aggregates, for those who may see nothing
// else: every table is published under disclosure control (internal/stats).

func statisticsRoutes(a *app.App, add func(method, path string, fn handlerFunc)) {
	add("GET", "/statistics", statistics(a))
}

func statistics(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := newQuery(r, "rows", "cols", "situation", "threshold", "format")
		by := stats.By{Rows: oneOf(q, "rows", stats.Dimensions), Cols: oneOf(q, "cols", stats.Dimensions)}
		f := stats.Filter{SituationID: q.id("situation"), Threshold: int64(q.integer("threshold", disclosure.DefaultThreshold, 3, 1000))}
		format := oneOf(q, "format", []string{"json", "csv"})
		if by.Rows == "" {
			q.errs.Add("rows", "required", "is required: the dimension of the rows")
		}
		if by.Cols == "" {
			q.errs.Add("cols", "required", "is required: the dimension of the columns")
		}
		if by.Rows != "" && by.Rows == by.Cols {
			q.errs.Add("cols", "same_as_rows", "must differ from rows")
		}
		if err := q.err(); err != nil {
			return err
		}
		result, err := stats.Count(r.Context(), a, by, f)
		var fe *stats.FieldError
		switch {
		case errors.As(err, &fe):
			q.errs.Add(fe.Field, "invalid", "%s", fe.Message)
			return q.err()
		case errors.Is(err, disclosure.ErrCannotProtect), errors.Is(err, disclosure.ErrInvalid):
			return &problem{Type: typeValidation, Title: "Cannot publish this table", Status: http.StatusUnprocessableEntity,
				Detail: "No amount of suppression makes this table safe to publish, or it has too many values; " +
					"choose other dimensions or one situation."}
		case err != nil:
			return err
		}
		if format == "csv" {
			var buf bytes.Buffer
			if err := result.WriteCSV(&buf); err != nil {
				return err
			}
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="statistics-`+string(by.Rows)+`-`+string(by.Cols)+`.csv"`)
			w.Header().Set("Cache-Control", "no-store")
			_, err = w.Write(buf.Bytes())
			return err
		}
		return writeJSON(w, http.StatusOK, result)
	}
}
