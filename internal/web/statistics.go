package web

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dossier-org/dossier/internal/disclosure"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/stats"
)

// The thresholds the page offers: those stats.Count accepts, as the API's
// threshold parameter and the command line's --threshold do. Below 3 a
// "<T" cell would give its count away (internal/disclosure).
const (
	minThreshold = 3
	maxThreshold = 1000
)

// The statistics page shows the acts of the viewer's cases counted by two
// dimensions, as internal/disclosure publishes them: advocates see the
// record only this way.

func (h *handler) statisticsRoutes(mux routeTable) {
	mux.HandleFunc("GET /statistics", h.statisticsPage)
}

type statisticsPage struct {
	base
	Rows, Cols string
	DimOps     []option
	// Table is the published table, rendered by disclosure.WriteHTML
	// (through html/template, so escaped).
	Table     template.HTML
	Threshold int
	LeftOut   stats.LeftOut
	About     int    // LeftOut.About, for num
	CSV       string // the same table as CSV, from the API
	Problem   string // catalog key of what went wrong
	// ThresholdText and Situation are the form's other choices, as sent;
	// SituationOps the situations to count one of.
	ThresholdText string
	Situation     string
	SituationOps  []option
	MinThreshold  int
	MaxThreshold  int
	Errors        formErrors
}

func (h *handler) statisticsPage(w http.ResponseWriter, r *http.Request) {
	l := h.localizer(r)
	data := &statisticsPage{Rows: string(stats.Violation), Cols: string(stats.Year),
		ThresholdText: strconv.Itoa(disclosure.DefaultThreshold), MinThreshold: minThreshold, MaxThreshold: maxThreshold}
	for _, d := range stats.Dimensions {
		data.DimOps = append(data.DimOps, option{Value: string(d), Label: l.T("statistics.dim." + string(d))})
	}
	situations, err := h.app.Situations.List(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, s := range situations {
		data.SituationOps = append(data.SituationOps, option{Value: s.ID, Label: s.Name})
	}
	q := r.URL.Query()
	if v := q.Get("rows"); v != "" {
		data.Rows = v
	}
	if v := q.Get("cols"); v != "" {
		data.Cols = v
	}
	if v := strings.TrimSpace(q.Get("threshold")); v != "" {
		data.ThresholdText = v
	}
	data.Situation = q.Get("situation")
	filter := stats.Filter{SituationID: data.Situation}
	var errs record.Errors
	if n, err := strconv.Atoi(data.ThresholdText); err != nil || n < minThreshold || n > maxThreshold {
		errs.Add("threshold", "out_of_range", "must be between %d and %d", minThreshold, maxThreshold)
	} else {
		filter.Threshold = int64(n)
	}
	if data.Situation != "" && !hasOption(data.SituationOps, data.Situation) {
		errs.Add("situation", "not_allowed", "is not a situation")
	}
	by := stats.By{Rows: stats.Dimension(data.Rows), Cols: stats.Dimension(data.Cols)}
	if err := by.Check(); err != nil {
		data.Problem = "statistics.problem.dimensions"
	}
	if len(errs) > 0 || data.Problem != "" {
		data.Errors = translateErrors(l, errs)
		h.render(w, r, http.StatusBadRequest, "statistics", "statistics", data)
		return
	}
	result, err := stats.Count(r.Context(), h.app, by, filter)
	switch {
	case errors.Is(err, disclosure.ErrCannotProtect), errors.Is(err, disclosure.ErrInvalid):
		data.Problem = "statistics.problem.cannot_protect"
		h.render(w, r, http.StatusUnprocessableEntity, "statistics", "statistics", data)
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	label := func(dimension, value string) string {
		switch {
		case value == "":
			return l.T("statistics.dim." + dimension)
		case dimension == string(stats.Violation):
			return l.Enum("violation_type", value)
		case dimension == string(stats.Sex), dimension == string(stats.AgeGroup), dimension == string(stats.Status):
			return l.Enum(dimension, value)
		case dimension == string(stats.Year) && value == stats.UnknownYear:
			return l.T("statistics.unknown_year")
		case dimension == string(stats.Situation) && value == stats.NoSituation:
			return l.T("statistics.no_situation")
		case dimension == string(stats.Situation):
			return result.Labels[value]
		}
		return value
	}
	var buf bytes.Buffer
	if err := result.WriteHTML(&buf, disclosure.HTMLOptions{Label: label, Total: l.T("statistics.total"),
		Caption: l.T("statistics.caption", "rows", label(data.Rows, ""), "cols", label(data.Cols, ""))}); err != nil {
		h.fail(w, r, err)
		return
	}
	// WriteHTML executes an html/template: its output is escaped.
	data.Table = template.HTML(strings.TrimSpace(buf.String()))
	data.Threshold, data.LeftOut, data.About = int(result.Threshold), result.LeftOut, int(result.LeftOut.About)
	csv := url.Values{"rows": {data.Rows}, "cols": {data.Cols}, "format": {"csv"}, "threshold": {strconv.FormatInt(filter.Threshold, 10)}}
	if data.Situation != "" {
		csv.Set("situation", data.Situation)
	}
	data.CSV = "/api/v1/statistics?" + csv.Encode()
	h.render(w, r, http.StatusOK, "statistics", "statistics", data)
}

func hasOption(ops []option, value string) bool {
	for _, o := range ops {
		if o.Value == value {
			return true
		}
	}
	return false
}
