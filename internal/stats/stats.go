// Package stats counts the record's acts for people who may see only
// aggregates: every table goes through internal/disclosure, and acts whose
// survivor has not consented to anonymised statistics are left out.
package stats

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/disclosure"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
)

// Dimension is a way of grouping acts.
type Dimension string

const (
	Situation Dimension = "situation" // the incident's situation
	Violation Dimension = "violation" // the family of the act's violation type (gang rape counts as rape)
	Sex       Dimension = "sex"       // the victim's sex
	AgeGroup  Dimension = "age_group" // the victim's age group
	Year      Dimension = "year"      // the year the incident began, when its date is known to the year
	Status    Dimension = "status"    // the incident's monitoring status
)

// Dimensions lists every dimension, in the order forms offer them.
var Dimensions = []Dimension{Situation, Violation, Sex, AgeGroup, Year, Status}

// Codes for acts a dimension cannot place: an incident of no situation, a
// date not known to the year.
const (
	NoSituation = "none"
	UnknownYear = "unknown"
)

// By names the dimensions of a table's rows and columns.
type By struct {
	Rows, Cols Dimension
}

// Filter narrows what is counted and says how it is protected.
type Filter struct {
	SituationID string // only acts of incidents in this situation
	// Threshold is the smallest count published (disclosure's default, 5,
	// when zero).
	Threshold int64
}

// LeftOut says how many acts were not counted for want of their
// survivors' consent, as safely as the table itself: rounded to the
// threshold, or only "some" when fewer than the threshold.
type LeftOut struct {
	Some bool `json:"some"`
	// About is the number rounded to the nearest multiple of the threshold;
	// 0 when Some is false or the number is under the threshold.
	About int64 `json:"about,omitempty"`
}

// String says it in a sentence.
func (l LeftOut) String() string {
	switch {
	case !l.Some:
		return "no acts were left out for lack of consent"
	case l.About == 0:
		return "some acts were left out for lack of consent to anonymised statistics"
	}
	return "about " + strconv.FormatInt(l.About, 10) + " acts were left out for lack of consent to anonymised statistics"
}

// Result is a published table of acts and what was left out of it.
type Result struct {
	*disclosure.Published
	LeftOut LeftOut `json:"left_out"`
	// Labels names situations, whose codes in the table are their IDs.
	Labels map[string]string `json:"labels"`
}

// ErrInvalid wraps every refusal of a request: an unknown dimension, the
// same one twice, a bad threshold or situation.
var ErrInvalid = errors.New("invalid statistics request")

// FieldError is a refusal naming the parameter at fault.
type FieldError struct {
	Field, Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }
func (e *FieldError) Unwrap() error { return ErrInvalid }
func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Check reports the first problem with the request, naming its field.
func (b By) Check() error {
	for _, d := range []struct {
		field string
		dim   Dimension
	}{{"rows", b.Rows}, {"cols", b.Cols}} {
		if d.dim == "" {
			return invalid(d.field, "is required: one of %v", Dimensions)
		}
		if !slices.Contains(Dimensions, d.dim) {
			return invalid(d.field, "%q is not a dimension: one of %v", d.dim, Dimensions)
		}
	}
	if b.Rows == b.Cols {
		return invalid("cols", "is %s, like rows: choose two different dimensions", b.Cols)
	}
	return nil
}

// Count counts the acts of the caller's cases (the context's case scope,
// as incident lists are cut) by two dimensions, and publishes the table
// under the disclosure rule. An act of a counted group counts as its
// number of victims.
func Count(ctx context.Context, a *app.App, by By, f Filter) (*Result, error) {
	if err := by.Check(); err != nil {
		return nil, err
	}
	if f.Threshold != 0 && (f.Threshold < 3 || f.Threshold > 1000) {
		return nil, invalid("threshold", "must be from 3 to 1000")
	}
	if f.SituationID != "" && !record.ValidID(f.SituationID) {
		return nil, invalid("situation", "%q is not a record ID", f.SituationID)
	}
	threshold := f.Threshold
	if threshold == 0 {
		threshold = disclosure.DefaultThreshold
	}
	consent, err := survivor.NewConsentIndex(ctx, a.DB, survivor.Statistics)
	if err != nil {
		return nil, err
	}
	type key struct{ row, col string }
	counts := map[key]int64{}
	seen := map[Dimension]map[string]bool{by.Rows: {}, by.Cols: {}}
	var leftOut int64
	err = a.Incidents.Each(ctx, func(in *incident.Incident) error {
		if f.SituationID != "" && in.SituationID != f.SituationID {
			return nil
		}
		for i := range in.Acts {
			act := &in.Acts[i]
			n := int64(max(act.Victim.Count, 1))
			if !consent.Check(act.Victim.Code).Allowed {
				leftOut += n
				continue
			}
			k := key{valueOf(by.Rows, in, act), valueOf(by.Cols, in, act)}
			seen[by.Rows][k.row], seen[by.Cols][k.col] = true, true
			counts[k] += n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	result := &Result{Labels: map[string]string{}}
	rows, err := values(ctx, a, by.Rows, seen[by.Rows], result.Labels)
	if err != nil {
		return nil, err
	}
	cols, err := values(ctx, a, by.Cols, seen[by.Cols], result.Labels)
	if err != nil {
		return nil, err
	}
	t, err := disclosure.NewTable(rows, cols)
	if err != nil {
		return nil, err
	}
	for k, n := range counts {
		if err := t.Add(k.row, k.col, n); err != nil {
			return nil, err
		}
	}
	if result.Published, err = t.Publish(disclosure.Rule{Threshold: threshold}); err != nil {
		return nil, err
	}
	result.LeftOut = Rounded(leftOut, threshold)
	return result, nil
}

// Rounded reports n left out without giving a small number away.
func Rounded(n, threshold int64) LeftOut {
	switch {
	case n == 0:
		return LeftOut{}
	case n < threshold:
		return LeftOut{Some: true}
	}
	return LeftOut{Some: true, About: (n + threshold/2) / threshold * threshold}
}

// valueOf places an act on one dimension.
func valueOf(d Dimension, in *incident.Incident, act *incident.Act) string {
	switch d {
	case Situation:
		if in.SituationID == "" {
			return NoSituation
		}
		return in.SituationID
	case Violation:
		return string(act.ViolationType.Family())
	case Sex:
		if act.Victim.Sex == "" {
			return string(incident.UnknownSex)
		}
		return string(act.Victim.Sex)
	case AgeGroup:
		if act.Victim.AgeGroup == "" {
			return string(incident.UnknownAge)
		}
		return string(act.Victim.AgeGroup)
	case Year:
		switch in.Date.Precision {
		case record.DateDay, record.DateMonth, record.DateYear:
			if len(in.Date.Start) >= 4 {
				return in.Date.Start[:4]
			}
		}
		return UnknownYear
	case Status:
		return string(in.Status)
	}
	return ""
}

// values is a dimension's values, in the order shown: the whole
// vocabulary for closed lists; for situations and years, those counted
// (the situation's name goes to labels).
func values(ctx context.Context, a *app.App, d Dimension, seen map[string]bool, labels map[string]string) (disclosure.Dimension, error) {
	dim := disclosure.Dimension{Name: string(d)}
	switch d {
	case Violation:
		for _, v := range incident.ViolationTypes {
			if v.Family() == v {
				dim.Values = append(dim.Values, string(v))
			}
		}
	case Sex:
		dim.Values = strings(incident.Sexes)
	case AgeGroup:
		dim.Values = strings(incident.AgeGroups)
	case Status:
		dim.Values = strings(incident.Statuses)
	case Year:
		var years []int
		for y := range seen {
			if n, err := strconv.Atoi(y); err == nil && y != UnknownYear {
				years = append(years, n)
			}
		}
		if len(years) > 0 {
			for y := slices.Min(years); y <= slices.Max(years); y++ {
				dim.Values = append(dim.Values, strconv.Itoa(y))
			}
		}
		if seen[UnknownYear] || len(dim.Values) == 0 {
			dim.Values = append(dim.Values, UnknownYear)
		}
	case Situation:
		all, err := a.Situations.List(ctx)
		if err != nil {
			return dim, err
		}
		for _, s := range all { // by name
			if seen[s.ID] {
				dim.Values = append(dim.Values, s.ID)
				labels[s.ID] = s.Name
			}
		}
		if seen[NoSituation] || len(dim.Values) == 0 {
			dim.Values = append(dim.Values, NoSituation)
		}
	}
	return dim, nil
}

func strings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
