// Package synth generates synthetic records for benchmarks: any number of
// incidents, with their acts, perpetrators and information links, written
// as Dossier's CSV interchange set. The same options always give the same
// bytes, and the writer streams, so a million incidents need no more memory
// than ten.
//
// The records look like a real documentation effort — ten situations, some
// fifty parties in up to three levels of units, every violation type, age
// group, status, context and date precision, a share of titles and summaries
// in Arabic and Hebrew — but every victim is a synthetic code (SYN-…) and
// every party is invented.
package synth

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Options says what to generate.
type Options struct {
	Incidents int    // how many incidents
	Seed      uint64 // the same seed and count give the same files
	// Further, when not 0, makes a set to import into a store that already
	// holds Seed's: its incidents are drawn from this seed and refer to
	// Seed's situations, parties and sources, whose files it leaves out.
	Further uint64
}

// Counts says how many rows each file holds.
type Counts struct {
	Situations, Parties, PartyNames, Sources, Incidents, Acts, Perpetrators, Links int
}

// Files names the CSV files WriteDir writes, in the order an import reads them.
var Files = []string{"situations.csv", "parties.csv", "party_names.csv", "sources.csv", "incidents.csv",
	"acts.csv", "perpetrators.csv", "information_links.csv"}

var headers = map[string][]string{
	"situations.csv":        strings.Split("id,name,country_code,on_security_council_agenda,conflict_class,setting,description,created_at,created_by,updated_at,updated_by", ","),
	"parties.csv":           strings.Split("id,name,abbreviation,type,parent_id,country_code,description,created_at,created_by,updated_at,updated_by", ","),
	"party_names.csv":       strings.Split("party_id,lang,name,alias", ","),
	"sources.csv":           strings.Split("id,kind,title,organisation,url,document_symbol,published_on,language,reliability,description,created_at,created_by,updated_at,updated_by", ","),
	"incidents.csv":         strings.Split("id,title,summary,situation_id,place_name,place_admin_area,place_country,latitude,longitude,location_precision,date_start,date_end,date_precision,context,status,created_at,created_by,updated_at,updated_by", ","),
	"acts.csv":              strings.Split("id,incident_id,violation_type,tags,victim_code,victim_sex,victim_age_group,victim_status,victim_count,description", ","),
	"perpetrators.csv":      strings.Split("act_id,party_id,description", ","),
	"information_links.csv": strings.Split("id,incident_id,act_id,source_id,connection,reliability,reference,notes", ","),
}

// SourceCount is how many sources every generated set holds.
const SourceCount = 250

// WriteDir writes the CSV set into dir, creating it if need be.
func WriteDir(dir string, opts Options) (Counts, error) {
	if opts.Incidents < 0 {
		return Counts{}, fmt.Errorf("incidents: must not be negative")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Counts{}, err
	}
	out := make(map[string]*table, len(Files))
	for _, name := range Files {
		if opts.Further != 0 && slices.Contains(referenceFiles, name) {
			out[name] = discard()
			continue
		}
		t, err := createTable(filepath.Join(dir, name), headers[name])
		if err != nil {
			for _, t := range out {
				t.close()
			}
			return Counts{}, err
		}
		out[name] = t
	}
	g := newGenerator(opts)
	g.writeSituations(out["situations.csv"])
	g.writeParties(out["parties.csv"], out["party_names.csv"])
	g.writeSources(out["sources.csv"])
	if opts.Further != 0 {
		g.counts = Counts{}
		g.s = newRNG(opts.Further, 0)
	}
	for i := range opts.Incidents {
		g.writeIncident(i, out["incidents.csv"], out["acts.csv"], out["perpetrators.csv"], out["information_links.csv"])
	}
	var errs []error
	for _, name := range Files {
		errs = append(errs, out[name].close())
	}
	return g.counts, errors.Join(errs...)
}

// referenceFiles hold the records incidents refer to (Options.Further).
var referenceFiles = []string{"situations.csv", "parties.csv", "party_names.csv", "sources.csv"}

// discard is a table written nowhere.
func discard() *table {
	t := &table{buf: bufio.NewWriter(io.Discard)}
	t.csv = csv.NewWriter(t.buf)
	return t
}

// table is one CSV file being written.
type table struct {
	f   *os.File
	buf *bufio.Writer
	csv *csv.Writer
	err error
}

func createTable(path string, header []string) (*table, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	t := &table{f: f, buf: bufio.NewWriterSize(f, 1<<20)}
	t.csv = csv.NewWriter(t.buf)
	t.write(header...)
	return t, nil
}

func (t *table) write(fields ...string) {
	if t.err == nil {
		t.err = t.csv.Write(fields)
	}
}

func (t *table) close() error {
	t.csv.Flush()
	if t.f == nil {
		return nil
	}
	err := errors.Join(t.err, t.csv.Error(), t.buf.Flush(), t.f.Close())
	if err != nil {
		return fmt.Errorf("write %s: %w", t.f.Name(), err)
	}
	return nil
}

// The record is entered over four years; incidents date from 2000 to 2025.
var (
	entryStart  = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	entrySpan   = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro() - entryStart
	setupStart  = time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	firstDay    = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	lastDay     = "2025-12-31"
	years       = yearWeights()
	timeLayout  = "2006-01-02T15:04:05.000000Z"
	dayLayout   = "2006-01-02"
	microPerDay = int64(24 * time.Hour / time.Microsecond)
)

func yearWeights() weighted[int] {
	var ws []weight[int]
	for y := 2000; y <= 2025; y++ {
		ws = append(ws, opt(y, uint64(y-1999))) // more recent years are better documented
	}
	return newWeighted(ws...)
}

type genSituation struct {
	def        *situationDef
	id         string
	places     []string
	placeZipf  zipf
	arabicZipf zipf
	parties    weighted[string] // IDs, units included
	partyIDs   []string
}

type generator struct {
	s       *rng
	text    text
	sits    []*genSituation
	sitPick weighted[int]
	sources []string
	srcZipf zipf
	counts  Counts
	step    int64
}

func newGenerator(opts Options) *generator {
	g := &generator{s: newRNG(opts.Seed, 0), text: newText(), srcZipf: newZipf(SourceCount, 5)}
	g.step = entrySpan
	if opts.Incidents > 0 {
		g.step = entrySpan / int64(opts.Incidents)
	}
	var picks []weight[int]
	for i := range situations {
		def := &situations[i]
		gs := &genSituation{def: def, places: append([]string{}, def.places...)}
		ps := newRNG(0x91ACE, uint64(i)+1) // place names are fixed, like the vocabulary
		seen := map[string]bool{}
		for _, p := range gs.places {
			seen[p] = true
		}
		for len(gs.places) < len(def.places)+300 {
			p := capitalize(pseudoWord(ps, 2+ps.intn(2)))
			if !seen[p] {
				seen[p] = true
				gs.places = append(gs.places, p)
			}
		}
		gs.placeZipf = newZipf(len(gs.places), 2)
		if len(def.arabicPlaces) > 0 {
			gs.arabicZipf = newZipf(len(def.arabicPlaces), 2)
		}
		g.sits = append(g.sits, gs)
		picks = append(picks, opt(i, def.weight*100))
	}
	picks = append(picks, opt(-1, 300)) // 3 % of incidents are not yet placed in a situation
	g.sitPick = newWeighted(picks...)
	return g
}

// newID returns a UUIDv7 for an instant, its random bits from the seed.
func (g *generator) newID(micros int64) string {
	ms := uint64(micros / 1000)
	r1, r2 := g.s.next(), g.s.next()
	var b [16]byte
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = 0x70 | byte(r1&0x0F)
	b[7] = byte(r1 >> 8)
	b[8] = 0x80 | byte(r2&0x3F)
	for i := 9; i < 16; i++ {
		b[i] = byte(r2 >> (8 * (i - 8)))
	}
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0x0F])
	}
	return string(out)
}

func stamp(micros int64) string { return time.UnixMicro(micros).UTC().Format(timeLayout) }

func (g *generator) actor() string { return actors[g.s.intn(len(actors))] }

func (g *generator) writeSituations(t *table) {
	at := setupStart
	for _, gs := range g.sits {
		at += int64(g.s.between(1, 3600)) * 1_000_000
		gs.id = g.newID(at)
		d := gs.def
		who := g.actor()
		t.write(gs.id, d.name, d.country, strconv.FormatBool(d.onAgenda), d.class, d.setting,
			"Synthetic benchmark data: no real incident is described.", stamp(at), who, stamp(at), who)
		g.counts.Situations++
	}
}

func (g *generator) writeParties(t, names *table) {
	at := setupStart + 86_400_000_000
	var write func(gs *genSituation, p partyDef, parent string, depth int)
	write = func(gs *genSituation, p partyDef, parent string, depth int) {
		at += int64(g.s.between(1, 3600)) * 1_000_000
		id := g.newID(at)
		who := g.actor()
		country := gs.def.country
		if p.typ == "un_peacekeeping_contingent" {
			country = ""
		}
		t.write(id, p.name, p.abbr, p.typ, parent, country, "Invented party for synthetic benchmark data.",
			stamp(at), who, stamp(at), who)
		g.counts.Parties++
		for _, n := range p.names {
			names.write(id, n.lang, n.name, strconv.FormatBool(n.alias))
			g.counts.PartyNames++
		}
		gs.partyIDs = append(gs.partyIDs, id)
		for _, u := range p.units {
			write(gs, u, id, depth+1)
		}
	}
	for _, gs := range g.sits {
		start := len(gs.partyIDs)
		for _, p := range gs.def.parties {
			write(gs, p, "", 0)
		}
		var ws []weight[string]
		for i, id := range gs.partyIDs[start:] {
			ws = append(ws, opt(id, uint64(10+20/(i+1)))) // the first parties named carry most attributions
		}
		gs.parties = newWeighted(ws...)
	}
}

func (g *generator) writeSources(t *table) {
	at := setupStart + 2*86_400_000_000
	for i := range SourceCount {
		at += int64(g.s.between(60, 86400)) * 1_000_000
		id := g.newID(at)
		g.sources = append(g.sources, id)
		kind := sourceKinds.pick(g.s)
		gs := g.sits[g.s.intn(len(g.sits))]
		year := 2010 + g.s.intn(16)
		published := firstDay.AddDate(year-2000, 0, g.s.intn(365)).Format(dayLayout)
		title, symbol, lang, url := "", "", "en", ""
		switch kind {
		case "un_report":
			symbol = fmt.Sprintf("S/%d/%d", year, 100+g.s.intn(800))
			title = "Report on conflict-related sexual violence in " + gs.def.name + " (" + strconv.Itoa(year) + ")"
		case "survivor", "witness":
			title = "Interview " + strconv.Itoa(i+1) + ", " + gs.def.name
		default:
			title = capitalize(vocabulary[g.text.english.draw(g.s)]) + " " + vocabulary[200+g.s.intn(2000)] +
				": findings from " + gs.def.name
			url = "https://reports.example.org/" + strconv.Itoa(year) + "/" + strconv.Itoa(i+1)
		}
		if gs.def.arabic > 0 && g.s.percent(30) {
			lang = "ar"
		}
		who := g.actor()
		t.write(id, kind, title, organisations[g.s.intn(len(organisations))], url, symbol, published, lang,
			reliabilities.pick(g.s), "", stamp(at), who, stamp(at), who)
		g.counts.Sources++
	}
}

// writeIncident writes incident i with its acts, perpetrators and links.
func (g *generator) writeIncident(i int, incidents, acts, perps, links *table) {
	s := g.s
	created := entryStart + int64(i)*g.step + int64(s.intn(int(max(g.step/2, 1))))
	id := g.newID(created)
	si := g.sitPick.pick(s)
	var gs *genSituation
	situationID := ""
	if si >= 0 {
		gs = g.sits[si]
		situationID = gs.id
	} else {
		gs = g.sits[s.intn(len(g.sits))]
	}
	sc := latinScript
	switch roll := s.intn(100); {
	case roll < gs.def.arabic:
		sc = arabicScript
	case roll < gs.def.arabic+gs.def.hebrew:
		sc = hebrewScript
	}

	// Place.
	def := gs.def
	country, areas := def.country, def.areas
	place := ""
	switch {
	case def.other != nil && (sc == hebrewScript || sc == latinScript && s.percent(def.other.share)):
		country, areas = def.other.country, def.other.areas
		if sc == hebrewScript {
			place = def.other.hebrewPlaces[s.intn(len(def.other.hebrewPlaces))]
		} else {
			place = def.other.places[s.intn(len(def.other.places))]
		}
	case sc == arabicScript && len(def.arabicPlaces) > 0:
		place = def.arabicPlaces[gs.arabicZipf.draw(s)]
	default:
		place = gs.places[gs.placeZipf.draw(s)]
	}
	area := ""
	if s.percent(80) {
		area = areas[s.intn(len(areas))]
	}
	lat, lon, precision := "", "", ""
	switch roll := s.intn(100); {
	case roll < 55:
		lat = formatE5(gs.def.latE5 + s.between(-200000, 200000))
		lon = formatE5(gs.def.lonE5 + s.between(-200000, 200000))
		precision = locPrecisions.pick(s)
	case roll < 70:
		precision = "country"
	case roll < 80:
		precision = "admin_area"
	}

	// Date.
	start, end, datePrecision := g.date()

	// Acts first (in memory, a handful), because the title names the first.
	context := contexts.pick(s)
	status := statuses.pick(s)
	main := gs.parties.pick(s)
	n := actsPerIncident.pick(s)
	type act struct {
		id, violation, sex, age string
		count                   int
	}
	var first act
	actIDs := make([]string, 0, 6)
	for range n {
		a := act{id: g.newID(created), violation: violationTypes.pick(s), sex: sexes.pick(s), age: ageGroups.pick(s), count: 1}
		if s.percent(12) {
			a.count = 2 + s.intn(4)*s.between(1, 10)
		}
		code := ""
		if a.count == 1 && s.percent(75) {
			code = g.victimCode()
		}
		desc := ""
		if s.percent(25) {
			var b strings.Builder
			g.text.sentences(&b, s, latinScript, 1)
			desc = b.String()
		}
		acts.write(a.id, id, a.violation, g.tags(a.violation), code, a.sex, a.age, victimStatus.pick(s),
			strconv.Itoa(a.count), desc)
		g.counts.Acts++
		named := make([]string, 0, 3)
		for range perpsPerAct.pick(s) {
			// the incident's main party mostly, another party of the
			// situation sometimes, an unidentified perpetrator at times
			party := ""
			switch roll := s.intn(100); {
			case roll < 80:
				party = main
			case roll < 90:
				party = gs.parties.pick(s)
			}
			if slices.Contains(named, party) {
				party = ""
			}
			if party == "" {
				perps.write(a.id, "", g.perpetratorNote(true))
			} else {
				named = append(named, party)
				perps.write(a.id, party, g.perpetratorNote(s.percent(20)))
			}
			g.counts.Perpetrators++
		}
		if len(actIDs) == 0 {
			first = a
		}
		actIDs = append(actIDs, a.id)
	}

	title := g.title(sc, context, place, first.violation, first.sex, first.age, first.count)
	summary := ""
	if s.percent(95) {
		summary = g.summary(sc, context, place)
	}
	updated, updatedBy := created, g.actor()
	createdBy := updatedBy
	if s.percent(35) {
		updated += int64(s.between(1, 180)) * microPerDay
		updatedBy = g.actor()
	}
	incidents.write(id, title, summary, situationID, place, area, country, lat, lon, precision,
		start, end, datePrecision, context, status, stamp(created), createdBy, stamp(updated), updatedBy)
	g.counts.Incidents++

	for range linksPerIncid.pick(s) {
		actID := ""
		if s.percent(30) {
			actID = actIDs[s.intn(len(actIDs))]
		}
		ref := ""
		if s.percent(60) {
			ref = "para. " + strconv.Itoa(s.between(1, 240))
		}
		links.write(g.newID(created), id, actID, g.sources[g.srcZipf.draw(s)], connections.pick(s),
			reliabilities.pick(s), ref, "")
		g.counts.Links++
	}
}

func (g *generator) date() (start, end, precision string) {
	s := g.s
	precision = datePrecisions.pick(s)
	if precision == "unknown" {
		return "", "", precision
	}
	day := time.Date(years.pick(s), 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, s.intn(365))
	switch precision {
	case "day":
		start = day.Format(dayLayout)
		end = start
	case "month":
		start = time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC).Format(dayLayout)
		end = time.Date(day.Year(), day.Month()+1, 0, 0, 0, 0, 0, time.UTC).Format(dayLayout)
	case "year":
		start = time.Date(day.Year(), 1, 1, 0, 0, 0, 0, time.UTC).Format(dayLayout)
		end = time.Date(day.Year(), 12, 31, 0, 0, 0, 0, time.UTC).Format(dayLayout)
	case "range":
		start = day.Format(dayLayout)
		end = day.AddDate(0, 0, s.between(1, 60)).Format(dayLayout)
	case "approximate":
		start = day.Format(dayLayout)
		end = day.AddDate(0, 0, s.between(0, 14)).Format(dayLayout)
	}
	if end > lastDay {
		end = lastDay
	}
	return start, end, precision
}

func (g *generator) title(sc script, context, place, violation, sex, age string, count int) string {
	phrase := violationPhrases[violation]
	switch sc {
	case arabicScript:
		return phrase[1] + " " + victimPhrase(sc, sex, age, count) + " في " + place
	case hebrewScript:
		return phrase[2] + " " + victimPhrase(sc, sex, age, count) + " באזור " + place
	}
	prep := []string{"in", "in", "near", "outside"}[g.s.intn(4)]
	switch context {
	case "checkpoint":
		prep = "at a checkpoint near"
	case "detention":
		prep = "in detention in"
	case "camp":
		prep = "in a camp near"
	}
	return phrase[0] + " " + victimPhrase(sc, sex, age, count) + " " + prep + " " + place
}

func (g *generator) summary(sc script, context, place string) string {
	s := g.s
	var b strings.Builder
	switch sc {
	case arabicScript:
		fmt.Fprintf(&b, arabicLeads[s.intn(len(arabicLeads))], place)
	case hebrewScript:
		fmt.Fprintf(&b, hebrewLeads[s.intn(len(hebrewLeads))], place)
	default:
		l := leads[context]
		fmt.Fprintf(&b, l[s.intn(len(l))], place)
	}
	g.text.sentences(&b, s, sc, s.between(1, 5))
	return b.String()
}

func (g *generator) tags(violation string) string {
	s := g.s
	if !s.percent(30) {
		return ""
	}
	var tags []string
	if specific := tagsByType[violation]; len(specific) > 0 {
		tags = append(tags, specific[s.intn(len(specific))])
	}
	if len(tags) == 0 || s.percent(30) {
		tags = append(tags, genericTags[s.intn(len(genericTags))])
	}
	return strings.Join(tags, ",")
}

var perpetratorNotes = []string{"Armed men in uniform", "Men in plain clothes with rifles", "Guards at the facility",
	"Fighters who spoke another language", "Soldiers at the checkpoint", "Men on motorcycles", "A commander and his escort"}

func (g *generator) perpetratorNote(want bool) string {
	if !want {
		return ""
	}
	return perpetratorNotes[g.s.intn(len(perpetratorNotes))]
}

const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func (g *generator) victimCode() string {
	r := g.s.next()
	b := []byte("SYN-")
	for range 10 {
		b = append(b, codeAlphabet[r&31])
		r >>= 5
	}
	return string(b)
}

// formatE5 renders a coordinate held in 1e-5 degrees.
func formatE5(v int) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	frac := strconv.Itoa(v % 100000)
	return sign + strconv.Itoa(v/100000) + "." + strings.Repeat("0", 5-len(frac)) + frac
}

func itoa(i int) string { return strconv.Itoa(i) }
