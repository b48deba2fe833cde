package record

import (
	"fmt"
	"strings"
	"time"
)

// DatePrecision says how well a date is known. Testimony often gives only a
// month ("in March"), a year, a span ("between 7 and 9 October") or an
// approximation ("around the start of Ramadan").
type DatePrecision string

const (
	DateDay         DatePrecision = "day"
	DateMonth       DatePrecision = "month"
	DateYear        DatePrecision = "year"
	DateRange       DatePrecision = "range"
	DateApproximate DatePrecision = "approximate"
	DateUnknown     DatePrecision = "unknown"
)

// DatePrecisions lists every precision, in the order forms offer them.
var DatePrecisions = []DatePrecision{DateDay, DateMonth, DateYear, DateRange, DateApproximate, DateUnknown}

// Date is a date with its uncertainty: the event happened somewhere between
// Start and End inclusive (YYYY-MM-DD). Both are stored whatever the
// precision, so that searching by period treats every kind of date alike.
type Date struct {
	Start     string        `json:"start,omitempty"`
	End       string        `json:"end,omitempty"`
	Precision DatePrecision `json:"precision"`
}

const dayLayout = "2006-01-02"

// ParseDay checks a YYYY-MM-DD date.
func ParseDay(s string) (time.Time, error) { return time.Parse(dayLayout, s) }

// Normalize fills End from Start and the precision (a month becomes its
// first to last day), so callers may give only what they know.
func (d Date) Normalize() Date {
	if d.Precision == "" {
		switch {
		case d.Start == "" && d.End == "":
			d.Precision = DateUnknown
		case d.End != "" && d.End != d.Start:
			d.Precision = DateRange
		default:
			d.Precision = DateDay
		}
	}
	start, err := parsePartial(d.Start)
	if err != nil {
		return d
	}
	switch d.Precision {
	case DateDay:
		d.Start = start.Format(dayLayout)
		if d.End == "" {
			d.End = d.Start
		}
	case DateMonth:
		d.Start = time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC).Format(dayLayout)
		d.End = time.Date(start.Year(), start.Month()+1, 0, 0, 0, 0, 0, time.UTC).Format(dayLayout)
	case DateYear:
		d.Start = time.Date(start.Year(), 1, 1, 0, 0, 0, 0, time.UTC).Format(dayLayout)
		d.End = time.Date(start.Year(), 12, 31, 0, 0, 0, 0, time.UTC).Format(dayLayout)
	case DateApproximate, DateRange:
		d.Start = start.Format(dayLayout)
		if d.End == "" {
			d.End = d.Start
		}
	}
	if end, err := parsePartial(d.End); err == nil && d.Precision != DateMonth && d.Precision != DateYear {
		d.End = end.Format(dayLayout)
	}
	return d
}

// parsePartial reads YYYY-MM-DD, YYYY-MM or YYYY.
func parsePartial(s string) (time.Time, error) {
	for _, layout := range []string{dayLayout, "2006-01", "2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
}

// Validate reports problems, naming fields under prefix (e.g. "date.").
func (d Date) Validate(prefix string) Errors {
	var errs Errors
	OneOf(&errs, prefix+"precision", d.Precision, DatePrecisions)
	if d.Precision == DateUnknown {
		if d.Start != "" || d.End != "" {
			errs.Add(prefix+"precision", "unknown_with_dates", "is unknown but dates are given")
		}
		return errs
	}
	start, err := ParseDay(d.Start)
	if err != nil {
		errs.Add(prefix+"start", "invalid_date", "%q is not a date (YYYY-MM-DD)", d.Start)
	}
	end, err2 := ParseDay(d.End)
	if err2 != nil {
		errs.Add(prefix+"end", "invalid_date", "%q is not a date (YYYY-MM-DD)", d.End)
	}
	if err == nil && err2 == nil && end.Before(start) {
		errs.Add(prefix+"end", "end_before_start", "is before the start date")
	}
	return errs
}

// String renders the date as a person would say it, in ISO form.
func (d Date) String() string {
	switch d.Precision {
	case DateDay:
		return d.Start
	case DateMonth:
		return strings.TrimSuffix(d.Start[:min(7, len(d.Start))], "-")
	case DateYear:
		return d.Start[:min(4, len(d.Start))]
	case DateRange:
		return d.Start + " – " + d.End
	case DateApproximate:
		if d.End != "" && d.End != d.Start {
			return "≈ " + d.Start + " – " + d.End
		}
		return "≈ " + d.Start
	}
	return ""
}

// Overlaps reports whether the date could fall within [from, to]; an empty
// bound is open.
func (d Date) Overlaps(from, to string) bool {
	if d.Precision == DateUnknown || d.Start == "" {
		return from == "" && to == ""
	}
	return (from == "" || d.End >= from) && (to == "" || d.Start <= to)
}
