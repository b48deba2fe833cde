package transfer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
)

func importCSV(ctx context.Context, a *app.App, set *tableSet, opts Options) (Report, error) {
	defer set.Close()
	return run(ctx, a, opts, func(im *importer) error {
		c := &csvImport{im: im, set: set}
		for _, name := range set.unknown {
			im.fileProblem(name, 0, problem{"", "is not one of the Dossier tables (" + tableFiles() + "); its rows were not imported"})
		}
		for _, step := range []func() error{c.situations, c.parties, c.sources, c.incidents} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
}

type csvImport struct {
	im    *importer
	set   *tableSet
	perps childRows // perpetrators.csv, once incidents are read
	// handOver hands a step to the writer while incidents are read (see
	// pipeline); nil otherwise.
	handOver func(step func() error) error
}

// write runs a step that writes or rejects records: at once, or in the
// writer's turn while incidents are read (see pipeline).
func (c *csvImport) write(step func() error) error {
	if c.handOver == nil {
		return step()
	}
	return c.handOver(step)
}

// name is what the user calls the file holding t.
func (c *csvImport) name(t *table) string {
	if e, ok := c.set.entries[t]; ok {
		return e.name
	}
	return t.file
}

// open starts reading t's file, or returns nil when there is none or its
// header is rejected (which stops the import from being committed).
func (c *csvImport) open(t *table) (*csvReader, error) {
	e, ok := c.set.entries[t]
	if !ok {
		return nil, nil
	}
	rc, err := e.open()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", e.name, err)
	}
	r, bad, err := openCSV(t, e.name, rc)
	if err != nil {
		return nil, err
	}
	if bad != nil {
		c.im.fatal = true
		for _, p := range bad.problems {
			c.im.fileProblem(e.name, bad.row, p)
		}
		return nil, nil
	}
	return r, nil
}

// rowOrigin is a record read from one CSV row.
type rowOrigin struct {
	t    *table
	file string
	row  int
	noun string
}

func (o rowOrigin) place(field string) (string, int, string) {
	return o.file, o.row, o.t.column(field)
}
func (o rowOrigin) rows() []rowRef { return []rowRef{{file: o.file, row: o.row}} }
func (o rowOrigin) what() string   { return o.noun }

// defects turns what is wrong with a row's text into problems named by
// field path (prefix is the row's place in its record, such as "acts[2].").
func defects(row *csvRow, t *table, prefix string, problems *[]problem) {
	for _, d := range row.defects {
		if d.field == "" {
			*problems = append(*problems, problem{strings.TrimSuffix(prefix, "."), d.reason})
		} else {
			*problems = append(*problems, problem{prefix + t.path(d.field), d.reason})
		}
	}
}

// Parsers of typed columns: an empty value is the zero value (the default).

func parseBool(v, field string, problems *[]problem) bool {
	v = strings.TrimSpace(v)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		*problems = append(*problems, problem{field, fmt.Sprintf("%q is not true or false", v)})
	}
	return b
}

func parseTime(v, field string, problems *[]problem) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(db.TimeLayout, v)
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, v); err != nil {
			*problems = append(*problems, problem{field, fmt.Sprintf("%q is not a time such as 2024-03-04T09:30:00.000000Z", v)})
			return time.Time{}
		}
	}
	return t
}

func parseFloat(v, field string, problems *[]problem) *float64 {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		*problems = append(*problems, problem{field, fmt.Sprintf("%q is not a number such as 31.52", v)})
		return nil
	}
	return &f
}

func parseInt(v, field string, problems *[]problem) int {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		*problems = append(*problems, problem{field, fmt.Sprintf("%q is not a whole number", v)})
	}
	return n
}

func metaFromRow(row *csvRow, problems *[]problem) record.Meta {
	return record.Meta{
		ID:        row.get("id"),
		CreatedAt: parseTime(row.get("created_at"), "created_at", problems),
		CreatedBy: row.get("created_by"),
		UpdatedAt: parseTime(row.get("updated_at"), "updated_at", problems),
		UpdatedBy: row.get("updated_by"),
	}
}

func (c *csvImport) situations() error {
	r, err := c.open(situationsTable)
	if r == nil || err != nil {
		return err
	}
	defer r.Close()
	return r.each(func(row *csvRow) error {
		var problems []problem
		defects(row, situationsTable, "", &problems)
		s := situation.Situation{
			Meta:          metaFromRow(row, &problems),
			Name:          row.get("name"),
			CountryCode:   row.get("country_code"),
			OnAgenda:      parseBool(row.get("on_security_council_agenda"), "on_security_council_agenda", &problems),
			ConflictClass: situation.ConflictClass(strings.TrimSpace(row.get("conflict_class"))),
			Setting:       situation.Setting(strings.TrimSpace(row.get("setting"))),
			Description:   row.get("description"),
		}
		o := rowOrigin{t: situationsTable, file: r.name, row: row.line, noun: "situation"}
		return c.im.importSituation(&s, o, problems)
	})
}

func (c *csvImport) sources() error {
	r, err := c.open(sourcesTable)
	if r == nil || err != nil {
		return err
	}
	defer r.Close()
	return r.each(func(row *csvRow) error {
		var problems []problem
		defects(row, sourcesTable, "", &problems)
		s := source.Source{
			Meta:           metaFromRow(row, &problems),
			Kind:           source.Kind(strings.TrimSpace(row.get("kind"))),
			Title:          row.get("title"),
			Organisation:   row.get("organisation"),
			URL:            row.get("url"),
			DocumentSymbol: row.get("document_symbol"),
			PublishedOn:    row.get("published_on"),
			Language:       row.get("language"),
			Reliability:    source.Reliability(strings.TrimSpace(row.get("reliability"))),
			Description:    row.get("description"),
		}
		o := rowOrigin{t: sourcesTable, file: r.name, row: row.line, noun: "source"}
		return c.im.importSource(&s, o, problems)
	})
}

// partyOrigin is a party read from parties.csv with its rows of
// party_names.csv.
type partyOrigin struct {
	file, namesFile string
	row             int
	nameRows        []int
	name            string
}

func (o *partyOrigin) place(field string) (string, int, string) {
	if i, rest, ok := splitIndex(field, "names"); ok && i < len(o.nameRows) {
		return o.namesFile, o.nameRows[i], partyNamesTable.column(rest)
	}
	return o.file, o.row, partiesTable.column(field)
}

func (o *partyOrigin) rows() []rowRef {
	out := []rowRef{{file: o.file, row: o.row}}
	for _, r := range o.nameRows {
		out = append(out, rowRef{file: o.namesFile, row: r, link: "party_id"})
	}
	return out
}

func (o *partyOrigin) what() string { return fmt.Sprintf("party %q", strings.TrimSpace(o.name)) }

// splitIndex splits "names[2].lang" into 2 and "lang" when name is "names".
func splitIndex(field, name string) (int, string, bool) {
	if !strings.HasPrefix(field, name+"[") {
		return 0, "", false
	}
	end := strings.IndexByte(field, ']')
	if end < 0 {
		return 0, "", false
	}
	i, err := strconv.Atoi(field[len(name)+1 : end])
	if err != nil || i < 0 {
		return 0, "", false
	}
	return i, strings.TrimPrefix(field[end+1:], "."), true
}

func (c *csvImport) parties() error {
	r, err := c.open(partiesTable)
	if err != nil {
		return err
	}
	// Parties are few: all are read before any is written, so that units
	// may come before their parents and names may refer to either.
	var entries []*partyEntry
	if r != nil {
		defer r.Close()
	}
	err = r.each(func(row *csvRow) error {
		e := &partyEntry{p: party.Party{
			Name:         row.get("name"),
			Abbreviation: row.get("abbreviation"),
			Type:         party.Type(strings.TrimSpace(row.get("type"))),
			ParentID:     row.get("parent_id"),
			CountryCode:  row.get("country_code"),
			Description:  row.get("description"),
		}}
		e.p.Meta = metaFromRow(row, &e.problems)
		defects(row, partiesTable, "", &e.problems)
		e.o = &partyOrigin{file: r.name, namesFile: c.name(partyNamesTable), row: row.line, name: e.p.Name}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return err
	}
	if err := c.partyNames(entries); err != nil {
		return err
	}
	c.im.registerParties(entries)
	return c.im.importParties(entries)
}

// partyNames attaches the rows of party_names.csv to their parties, which
// must be in parties.csv: names are imported only with their party.
func (c *csvImport) partyNames(entries []*partyEntry) error {
	r, err := c.open(partyNamesTable)
	if r == nil || err != nil {
		return err
	}
	defer r.Close()
	byID := map[string]*partyEntry{}
	byName := map[string][]*partyEntry{}
	for _, e := range entries {
		id := strings.ToLower(strings.TrimSpace(e.p.ID))
		if _, dup := byID[id]; !dup && id != "" {
			byID[id] = e
		}
		for _, n := range []string{e.p.Name, e.p.Abbreviation} {
			if n = strings.TrimSpace(n); n != "" {
				byName[n] = append(byName[n], e)
			}
		}
	}
	return r.each(func(row *csvRow) error {
		ref := strings.TrimSpace(row.get("party_id"))
		var e *partyEntry
		why := ""
		switch found := byName[ref]; {
		case ref == "":
			why = "is required: the ID or name of a party in " + c.name(partiesTable)
		case byID[strings.ToLower(ref)] != nil:
			e = byID[strings.ToLower(ref)]
		case len(found) == 1:
			e = found[0]
		case len(found) > 1:
			why = fmt.Sprintf("%q is ambiguous: %d parties in %s have that name; use the ID", ref, len(found), c.name(partiesTable))
		default:
			why = fmt.Sprintf("no party in %s has the ID or name %q (names are imported only with their party)", c.name(partiesTable), ref)
		}
		if e == nil {
			var problems []problem
			defects(row, partyNamesTable, "", &problems)
			problems = append(problems, problem{"party_id", why})
			c.im.reject(rowOrigin{t: partyNamesTable, file: r.name, row: row.line, noun: "name"}, problems)
			return nil
		}
		o := e.o.(*partyOrigin)
		prefix := index("names", len(e.p.Names)) + "."
		defects(row, partyNamesTable, prefix, &e.problems)
		n := party.Name{
			Lang:  row.get("lang"),
			Text:  row.get("name"),
			Alias: parseBool(row.get("alias"), prefix+"alias", &e.problems),
		}
		e.p.Names = append(e.p.Names, n)
		o.nameRows = append(o.nameRows, row.line)
		return nil
	})
}

// incidentOrigin is an incident read from incidents.csv with its rows of
// acts.csv, perpetrators.csv and information_links.csv.
type incidentOrigin struct {
	c        *csvImport
	row      int
	id       string
	actRows  []int
	perpRows [][]int
	linkRows []int
}

func (o *incidentOrigin) place(field string) (string, int, string) {
	c := o.c
	if i, rest, ok := splitIndex(field, "acts"); ok && i < len(o.actRows) {
		if j, rest, ok := splitIndex(rest, "perpetrators"); ok && j < len(o.perpRows[i]) {
			return c.name(perpetratorsTable), o.perpRows[i][j], perpetratorsTable.column(rest)
		}
		return c.name(actsTable), o.actRows[i], actsTable.column(rest)
	}
	if i, rest, ok := splitIndex(field, "information"); ok && i < len(o.linkRows) {
		return c.name(linksTable), o.linkRows[i], linksTable.column(rest)
	}
	return c.name(incidentsTable), o.row, incidentsTable.column(field)
}

func (o *incidentOrigin) rows() []rowRef {
	c := o.c
	out := []rowRef{{file: c.name(incidentsTable), row: o.row}}
	for i, r := range o.actRows {
		out = append(out, rowRef{file: c.name(actsTable), row: r, link: "incident_id"})
		for _, p := range o.perpRows[i] {
			out = append(out, rowRef{file: c.name(perpetratorsTable), row: p, link: "act_id"})
		}
	}
	for _, r := range o.linkRows {
		out = append(out, rowRef{file: c.name(linksTable), row: r, link: "incident_id"})
	}
	return out
}

func (o *incidentOrigin) what() string { return "incident " + o.id }

// inStep reports whether child can be read side by side with its parent
// file (see children.go). Without a parent file, every row is an orphan,
// met in file order.
func (c *csvImport) inStep(t *table, link string, parent *table, parentKey string) (bool, error) {
	e, ok := c.set.entries[t]
	if !ok {
		return true, nil
	}
	pe, ok := c.set.entries[parent]
	if !ok {
		return true, nil
	}
	return inStep(pe, e, parent, t, parentKey, link)
}

// children opens a child file: side by side with its parent file when in
// step, else through a temporary database.
func (c *csvImport) children(t *table, link string, parent *table, step bool) (childRows, error) {
	r, err := c.open(t)
	if err != nil || r == nil {
		return noRows{}, err
	}
	orphan := func(row *csvRow) error { return c.orphan(t, r.name, link, parent, row) }
	if step {
		return &stepRows{r: r, link: link, orphan: orphan}, nil
	}
	return spool(c.im.ctx, r, link, orphan)
}

// orphan rejects a child row that belongs to no parent of the file, and an
// orphan act's perpetrators with it.
func (c *csvImport) orphan(t *table, file, link string, parent *table, row *csvRow) error {
	var problems []problem
	defects(row, t, "", &problems)
	if k := row.key(link); k == "" {
		problems = append(problems, problem{link, "is required: the ID of a row of " + c.name(parent)})
	} else {
		problems = append(problems, problem{link, fmt.Sprintf("no row of %s has ID %s (a row of %s is imported only with it)",
			c.name(parent), k, t.file)})
	}
	o := &orphanOrigin{rowOrigin: rowOrigin{t: t, file: file, row: row.line, noun: "row"}}
	if k := row.key("id"); t == actsTable && k != "" {
		// Taken even so, to keep perpetrators.csv in step with acts.csv.
		for {
			p, err := c.perps.next(k)
			if err != nil {
				return err
			}
			if p == nil {
				break
			}
			o.perps = append(o.perps, rowRef{file: c.name(perpetratorsTable), row: p.line, link: "act_id"})
		}
		o.noun = "act " + k
	}
	return c.write(func() error {
		c.im.reject(o, problems)
		return nil
	})
}

// orphanOrigin is a rejected child row, with the rows that depend on it.
type orphanOrigin struct {
	rowOrigin
	perps []rowRef
}

func (o *orphanOrigin) rows() []rowRef { return append(o.rowOrigin.rows(), o.perps...) }

func (c *csvImport) incidents() error {
	actsInStep, perpsInStep, linksInStep, err := c.incidentFilesInStep()
	if err != nil {
		return err
	}
	// Perpetrators first: an act rejected while acts.csv is read takes its
	// perpetrators with it.
	if c.perps, err = c.children(perpetratorsTable, "act_id", actsTable, perpsInStep); err != nil {
		return err
	}
	defer c.perps.Close()
	acts, err := c.children(actsTable, "incident_id", incidentsTable, actsInStep)
	if err != nil {
		return err
	}
	defer acts.Close()
	links, err := c.children(linksTable, "incident_id", incidentsTable, linksInStep)
	if err != nil {
		return err
	}
	defer links.Close()
	r, err := c.open(incidentsTable)
	if err != nil {
		return err
	}
	if r != nil {
		defer r.Close()
	}
	return c.pipeline(func() error {
		if err := r.each(func(row *csvRow) error { return c.incident(row, acts, c.perps, links) }); err != nil {
			return err
		}
		// Children of no incident (or of no act) are reported, never dropped.
		for _, ch := range []struct {
			rows   childRows
			t      *table
			link   string
			parent *table
		}{{acts, actsTable, "incident_id", incidentsTable}, {c.perps, perpetratorsTable, "act_id", actsTable},
			{links, linksTable, "incident_id", incidentsTable}} {
			if err := ch.rows.rest(func(row *csvRow) error { return c.orphan(ch.t, c.name(ch.t), ch.link, ch.parent, row) }); err != nil {
				return err
			}
		}
		return nil
	})
}

// incidentFilesInStep reports which child files of incidents.csv can be
// read side by side with their parent file. Each check reads two whole
// files, so the three run at once; perpetrators.csv is checked against
// acts.csv even though it only counts when acts.csv is in step.
func (c *csvImport) incidentFilesInStep() (acts, perps, links bool, err error) {
	var wg sync.WaitGroup
	var errs [3]error
	check := func(i int, inStep *bool, t *table, link string, parent *table, parentKey string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			*inStep, errs[i] = c.inStep(t, link, parent, parentKey)
		}()
	}
	check(0, &acts, actsTable, "incident_id", incidentsTable, "id")
	check(1, &perps, perpetratorsTable, "act_id", actsTable, "id")
	check(2, &links, linksTable, "incident_id", incidentsTable, "id")
	wg.Wait()
	return acts, acts && perps, links, errors.Join(errs[:]...)
}

// pipeline runs read, which reads the incidents' files and assembles their
// records, on a goroutine of its own, while this one writes them: each
// record, and each rejection of a row, is a step that read hands over
// (c.handOver) and that runs here in the order read met it. Reading and
// assembling is a tenth of an import's CPU, and the machine's other core
// is otherwise idle while SQLite writes.
func (c *csvImport) pipeline(read func() error) error {
	steps := make(chan []func() error, 4)
	stop := make(chan struct{})
	var batch []func() error
	send := func() bool {
		select {
		case steps <- batch:
			batch = nil
			return true
		case <-stop:
			return false
		}
	}
	c.handOver = func(step func() error) error {
		batch = append(batch, step)
		if len(batch) >= pipelineBatch && !send() {
			return errPipelineStopped
		}
		return nil
	}
	go func() {
		defer close(steps)
		// A panic while reading is raised again on the writer's goroutine,
		// where it was raised before reading had one of its own (and
		// where the server's recovery sees it).
		defer func() {
			if p := recover(); p != nil {
				stack := debug.Stack()
				batch = append(batch, func() error { panic(fmt.Sprintf("%v\n\nwhile reading the import:\n%s", p, stack)) })
				send()
			}
		}()
		err := read()
		if errors.Is(err, errPipelineStopped) {
			return
		}
		if err != nil {
			batch = append(batch, func() error { return err })
		}
		send()
	}()
	// However the writer leaves (done, failed or panicking), read is told
	// to stop and waited for, as it reads files the caller closes.
	defer func() {
		close(stop)
		for range steps {
		}
		c.handOver = nil
	}()
	for b := range steps {
		for _, step := range b {
			if err := step(); err != nil {
				return err
			}
		}
	}
	return nil
}

// pipelineBatch is how many steps read hands over at a time.
const pipelineBatch = 64

// errPipelineStopped stops read once the writer has failed.
var errPipelineStopped = errors.New("the import stopped")

// incident assembles one incident from its row and its children's rows.
func (c *csvImport) incident(row *csvRow, acts, perps, links childRows) error {
	var problems []problem
	defects(row, incidentsTable, "", &problems)
	in := &incident.Incident{
		Meta:        metaFromRow(row, &problems),
		Title:       row.get("title"),
		Summary:     row.get("summary"),
		SituationID: row.get("situation_id"),
		Place: incident.Place{
			Name:      row.get("place_name"),
			AdminArea: row.get("place_admin_area"),
			Country:   row.get("place_country"),
			Latitude:  parseFloat(row.get("latitude"), "place.latitude", &problems),
			Longitude: parseFloat(row.get("longitude"), "place.longitude", &problems),
			Precision: incident.LocationPrecision(strings.TrimSpace(row.get("location_precision"))),
		},
		Date: record.Date{
			Start:     strings.TrimSpace(row.get("date_start")),
			End:       strings.TrimSpace(row.get("date_end")),
			Precision: record.DatePrecision(strings.TrimSpace(row.get("date_precision"))),
		},
		Context: incident.Context(strings.TrimSpace(row.get("context"))),
		Status:  incident.Status(strings.TrimSpace(row.get("status"))),
	}
	o := &incidentOrigin{c: c, row: row.line, id: strings.TrimSpace(in.ID)}
	key := row.key("id")
	if key == "" {
		return c.write(func() error { return c.im.importIncident(in, o, problems) })
	}
	for i := 0; ; i++ {
		ar, err := acts.next(key)
		if err != nil {
			return err
		}
		if ar == nil {
			break
		}
		prefix := index("acts", i) + "."
		defects(ar, actsTable, prefix, &problems)
		a := incident.Act{
			ID:            strings.TrimSpace(ar.get("id")),
			ViolationType: incident.ViolationType(strings.TrimSpace(ar.get("violation_type"))),
			Victim: incident.Victim{
				Code:     ar.get("victim_code"),
				Sex:      incident.Sex(strings.TrimSpace(ar.get("victim_sex"))),
				AgeGroup: incident.AgeGroup(strings.TrimSpace(ar.get("victim_age_group"))),
				Status:   incident.VictimStatus(strings.TrimSpace(ar.get("victim_status"))),
				Count:    parseInt(ar.get("victim_count"), prefix+"victim.count", &problems),
			},
			Description: ar.get("description"),
		}
		if tags := ar.get("tags"); strings.TrimSpace(tags) != "" {
			a.Tags = strings.Split(tags, ",")
		}
		o.actRows = append(o.actRows, ar.line)
		o.perpRows = append(o.perpRows, nil)
		if k := ar.key("id"); k != "" {
			for j := 0; ; j++ {
				pr, err := perps.next(k)
				if err != nil {
					return err
				}
				if pr == nil {
					break
				}
				defects(pr, perpetratorsTable, prefix+index("perpetrators", j)+".", &problems)
				a.Perpetrators = append(a.Perpetrators, incident.Perpetrator{
					PartyID:     pr.get("party_id"),
					Description: pr.get("description"),
				})
				o.perpRows[i] = append(o.perpRows[i], pr.line)
			}
		}
		in.Acts = append(in.Acts, a)
	}
	for i := 0; ; i++ {
		lr, err := links.next(key)
		if err != nil {
			return err
		}
		if lr == nil {
			break
		}
		defects(lr, linksTable, index("information", i)+".", &problems)
		in.Information = append(in.Information, incident.InformationLink{
			ID:          lr.get("id"),
			SourceID:    lr.get("source_id"),
			ActID:       lr.get("act_id"),
			Connection:  source.Connection(strings.TrimSpace(lr.get("connection"))),
			Reliability: source.Reliability(strings.TrimSpace(lr.get("reliability"))),
			Reference:   lr.get("reference"),
			Notes:       lr.get("notes"),
		})
		o.linkRows = append(o.linkRows, lr.line)
	}
	return c.write(func() error { return c.im.importIncident(in, o, problems) })
}
