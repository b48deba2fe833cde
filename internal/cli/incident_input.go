package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/source"
)

// incidentInput is what the flags of "incident add" and "incident edit" say
// about an incident.
type incidentInput struct {
	title, summary, situation, caseRef, date, place, adminArea, country string
	lat, lon, precision, context, status                                string
	approximate                                                         bool
	acts, sources                                                       []string
	removeActs                                                          []int
	file                                                                string
}

// fieldFlags are the flags that set a field, as opposed to --file.
var fieldFlags = []string{"title", "summary", "situation", "case", "date", "approximate", "place", "admin-area", "country",
	"lat", "lon", "precision", "context", "status", "act", "remove-act", "source"}

func (in *incidentInput) register(fs *pflag.FlagSet, editing bool) {
	fs.StringVar(&in.title, "title", "", "short `TITLE` of the incident")
	fs.StringVar(&in.summary, "summary", "", "what happened, in a few sentences (no names of survivors)")
	fs.StringVar(&in.situation, "situation", "", "the `SITUATION`: its ID or exact name")
	fs.StringVar(&in.caseRef, "case", "", "the `CASE` (investigation) it belongs to, by ID or exact name: only the case's members see it through the server")
	fs.StringVar(&in.date, "date", "", "when: 2023-10-07, 2023-10 (a month), 2023 (a year), 2023-10-07..2023-10-09 (a range), or unknown")
	fs.BoolVar(&in.approximate, "approximate", false, "the date is approximate")
	fs.StringVar(&in.place, "place", "", "place `NAME` (village, site, facility)")
	fs.StringVar(&in.adminArea, "admin-area", "", "province, district or governorate")
	fs.StringVar(&in.country, "country", "", "two-letter ISO 3166 country `CODE`")
	fs.StringVar(&in.lat, "lat", "", "latitude in decimal `DEGREES` (with --lon and --precision)")
	fs.StringVar(&in.lon, "lon", "", "longitude in decimal `DEGREES`")
	fs.StringVar(&in.precision, "precision", "", "how precise the coordinates are: "+enumNames(incident.LocationPrecisions))
	fs.StringVar(&in.context, "context", "", "setting: "+enumNames(incident.Contexts))
	fs.StringVar(&in.status, "status", "", "monitoring status: "+enumNames(incident.Statuses))
	actHelp := "an act, repeatable; `SPEC` is violation=TYPE[,sex=S][,age=A][,status=S][,count=N][,code=C][,party=P][,perpetrator=TEXT][,tag=T][,description=TEXT]"
	if editing {
		actHelp = "add an act, repeatable; `SPEC` as for 'incident add'"
	}
	fs.StringArrayVar(&in.acts, "act", nil, actHelp)
	fs.StringArrayVar(&in.sources, "source", nil, "link a source, repeatable; `SPEC` is SOURCE[,connection=C][,reliability=R][,reference=TEXT][,act=N][,notes=TEXT]")
	if editing {
		fs.IntSliceVar(&in.removeActs, "remove-act", nil, "remove act `N` (numbered as 'incident show' lists them), repeatable")
	}
	fs.StringVarP(&in.file, "file", "f", "", "read the whole incident as JSON from `FILE` (- for standard input)")
}

// changed reports whether any field flag was given.
func (in *incidentInput) changed(fs *pflag.FlagSet) bool {
	for _, f := range fieldFlags {
		if fs.Changed(f) {
			return true
		}
	}
	return false
}

var actKeys = []string{"violation", "sex", "age", "status", "count", "code", "party", "perpetrator", "tag", "description"}
var linkKeys = []string{"connection", "reliability", "reference", "act", "notes"}

// apply sets on rec what the flags say. It returns the flag that sets each
// field, for error messages, and the references that named nothing.
func (in *incidentInput) apply(ctx context.Context, a *app.App, fs *pflag.FlagSet, rec *incident.Incident) (func(string) string, error) {
	refs := &references{ctx: ctx, app: a}
	set := fs.Changed
	if set("title") {
		rec.Title = in.title
	}
	if set("summary") {
		rec.Summary = in.summary
	}
	if set("situation") {
		rec.SituationID = refs.situation("situation_id", strings.TrimSpace(in.situation))
	}
	if set("case") {
		rec.CaseID = refs.caseOf("case_id", strings.TrimSpace(in.caseRef))
	}
	switch {
	case set("date"):
		d, err := parseDateFlag(in.date, in.approximate)
		if err != nil {
			return nil, err
		}
		rec.Date = d
	case set("approximate"):
		if in.approximate {
			if rec.Date.Precision == record.DateUnknown || rec.Date.Start == "" {
				return nil, usagef("--approximate needs a date: give --date too")
			}
			rec.Date.Precision = record.DateApproximate
		} else if rec.Date.Precision == record.DateApproximate {
			rec.Date.Precision = record.DateRange
			if rec.Date.Start == rec.Date.End {
				rec.Date.Precision = record.DateDay
			}
		}
	}
	if set("place") {
		rec.Place.Name = in.place
	}
	if set("admin-area") {
		rec.Place.AdminArea = in.adminArea
	}
	if set("country") {
		rec.Place.Country = in.country
	}
	for _, c := range []struct {
		flag string
		text string
		dst  **float64
	}{{"lat", in.lat, &rec.Place.Latitude}, {"lon", in.lon, &rec.Place.Longitude}} {
		if !set(c.flag) {
			continue
		}
		if strings.TrimSpace(c.text) == "" {
			*c.dst = nil
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(c.text), 64)
		if err != nil {
			return nil, usagef("--%s %q is not a number in decimal degrees, such as 31.2546", c.flag, c.text)
		}
		*c.dst = &v
	}
	if set("precision") {
		rec.Place.Precision = incident.LocationPrecision(strings.TrimSpace(in.precision))
	}
	if set("context") {
		rec.Context = incident.Context(strings.TrimSpace(in.context))
	}
	if set("status") {
		rec.Status = incident.Status(strings.TrimSpace(in.status))
	}

	// Acts are numbered from 1 as "incident show" lists them.
	remove := slices.Clone(in.removeActs)
	slices.Sort(remove)
	remove = slices.Compact(remove)
	for i := len(remove) - 1; i >= 0; i-- {
		n := remove[i]
		if n < 1 || n > len(rec.Acts) {
			return nil, usagef("--remove-act %d: the incident has %s", n, plural(len(rec.Acts), "act", "acts"))
		}
		rec.Acts = slices.Delete(rec.Acts, n-1, n)
	}
	firstNewAct := len(rec.Acts)
	for _, spec := range in.acts {
		act, err := parseAct(spec, len(rec.Acts), refs)
		if err != nil {
			return nil, err
		}
		rec.Acts = append(rec.Acts, act)
	}
	firstNewLink := len(rec.Information)
	for _, spec := range in.sources {
		link, err := parseLink(spec, len(rec.Information), rec, refs)
		if err != nil {
			return nil, err
		}
		rec.Information = append(rec.Information, link)
	}

	flag := flagFor(map[string]string{
		"title": "--title", "summary": "--summary", "situation_id": "--situation", "case_id": "--case", "date.": "--date",
		"place.name": "--place", "place.admin_area": "--admin-area", "place.country": "--country",
		"place.latitude": "--lat", "place.longitude": "--lon", "place.precision": "--precision",
		"context": "--context", "status": "--status",
	})
	hint := func(field string) string {
		if i, ok := index(field, "acts["); ok {
			if i >= firstNewAct {
				return fmt.Sprintf("--act #%d", i-firstNewAct+1)
			}
			return fmt.Sprintf("act %d", i+1)
		}
		if i, ok := index(field, "information["); ok {
			if i >= firstNewLink {
				return fmt.Sprintf("--source #%d", i-firstNewLink+1)
			}
			return fmt.Sprintf("source link %d", i+1)
		}
		return flag(field)
	}
	return hint, refs.done()
}

// index reads the N of a field path "acts[N]…".
func index(field, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(field, prefix)
	if !ok {
		return 0, false
	}
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(rest[:end])
	return n, err == nil
}

// parseAct reads one --act. Each party= starts a perpetrator; perpetrator=
// describes the current one, or adds an unidentified one.
func parseAct(spec string, i int, refs *references) (incident.Act, error) {
	var act incident.Act
	_, pairs, err := splitSpec("--act", spec, actKeys, false)
	if err != nil {
		return act, err
	}
	described := true // whether the last perpetrator has its description
	for _, p := range pairs {
		switch p.key {
		case "violation":
			act.ViolationType = incident.ViolationType(p.value)
		case "sex":
			act.Victim.Sex = incident.Sex(p.value)
		case "age":
			act.Victim.AgeGroup = incident.AgeGroup(p.value)
		case "status":
			act.Victim.Status = incident.VictimStatus(p.value)
		case "count":
			n, err := strconv.Atoi(p.value)
			if err != nil {
				return act, usagef("--act %q: count=%s is not a whole number", spec, p.value)
			}
			act.Victim.Count = n
		case "code":
			act.Victim.Code = p.value
		case "party":
			field := fmt.Sprintf("acts[%d].perpetrators[%d].party_id", i, len(act.Perpetrators))
			act.Perpetrators = append(act.Perpetrators, incident.Perpetrator{PartyID: refs.party(field, p.value)})
			described = false
		case "perpetrator":
			if described {
				act.Perpetrators = append(act.Perpetrators, incident.Perpetrator{})
			}
			act.Perpetrators[len(act.Perpetrators)-1].Description = p.value
			described = true
		case "tag":
			act.Tags = append(act.Tags, p.value)
		case "description":
			act.Description = p.value
		}
	}
	if act.ViolationType == "" {
		return act, usagef("--act %q: give violation=TYPE, one of %s", spec, enumNames(incident.ViolationTypes))
	}
	return act, nil
}

// parseLink reads one --source: the source first, then how it told of the
// incident. act=N ties the information to one act.
func parseLink(spec string, i int, rec *incident.Incident, refs *references) (incident.InformationLink, error) {
	var link incident.InformationLink
	ref, pairs, err := splitSpec("--source", spec, linkKeys, true)
	if err != nil {
		return link, err
	}
	if ref == "" {
		return link, usagef("--source %q: name the source first (its ID, document symbol or title)", spec)
	}
	link.SourceID = refs.source(fmt.Sprintf("information[%d].source_id", i), ref)
	for _, p := range pairs {
		switch p.key {
		case "connection":
			link.Connection = source.Connection(p.value)
		case "reliability":
			link.Reliability = source.Reliability(p.value)
		case "reference":
			link.Reference = p.value
		case "notes":
			link.Notes = p.value
		case "act":
			n, err := strconv.Atoi(p.value)
			if err != nil || n < 1 || n > len(rec.Acts) {
				return link, usagef("--source %q: act=%s must be the number of one of the incident's %s", spec, p.value,
					plural(len(rec.Acts), "act", "acts"))
			}
			// A new act gets its ID now so that the link can name it.
			if rec.Acts[n-1].ID == "" {
				rec.Acts[n-1].ID = record.NewID()
			}
			link.ActID = rec.Acts[n-1].ID
		}
	}
	return link, nil
}

// parseDateFlag reads --date: a day, a month, a year, START..END (each a
// day, month or year), or "unknown".
func parseDateFlag(s string, approximate bool) (record.Date, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "unknown" {
		if approximate {
			return record.Date{}, usagef("--approximate needs a date, not %q", s)
		}
		return record.Date{Precision: record.DateUnknown}, nil
	}
	startText, endText, isRange := strings.Cut(s, "..")
	start, end, precision, ok := dateBounds(startText)
	if isRange {
		var ok2 bool
		_, end, _, ok2 = dateBounds(endText)
		ok = ok && ok2
		precision = record.DateRange
	}
	if !ok {
		return record.Date{}, usagef("--date %q: use YYYY-MM-DD, YYYY-MM, YYYY, START..END (such as 2023-10-07..2023-10-09) or unknown", s)
	}
	if approximate {
		precision = record.DateApproximate
	}
	return record.Date{Start: start, End: end, Precision: precision}, nil
}

// dateBounds returns the first and last day a day, month or year covers.
func dateBounds(s string) (first, last string, p record.DatePrecision, ok bool) {
	const day = "2006-01-02"
	s = strings.TrimSpace(s)
	if t, err := time.Parse(day, s); err == nil {
		return t.Format(day), t.Format(day), record.DateDay, true
	}
	if t, err := time.Parse("2006-01", s); err == nil {
		return t.Format(day), t.AddDate(0, 1, -1).Format(day), record.DateMonth, true
	}
	if t, err := time.Parse("2006", s); err == nil {
		return t.Format(day), t.AddDate(1, 0, -1).Format(day), record.DateYear, true
	}
	return "", "", "", false
}

// problems merges references that named nothing with the record's own
// validation errors, so that one run reports every problem.
func problems(refErr error, validate func() error) error {
	refErrs, ok := record.AsErrors(refErr)
	if !ok {
		return refErr
	}
	all := slices.Clone(refErrs)
	if errs, ok := record.AsErrors(validate()); ok {
		for _, fe := range errs {
			// A reference that named nothing also fails as a malformed ID.
			if refErrs.For(fe.Field) == nil {
				all = append(all, fe)
			}
		}
	}
	return all
}
