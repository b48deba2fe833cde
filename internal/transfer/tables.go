package transfer

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// table is one CSV file of the interchange format.
type table struct {
	file     string   // situations.csv
	columns  []string // in the order exports write them
	required []string // columns a file must have; the others may be left out
	// paths names, for the columns where it differs, the field of the
	// record's JSON form the column holds, so that a validation error on
	// "place.latitude" is reported on column "latitude" and back.
	paths    map[string]string
	columnOf map[string]string // the reverse of paths
}

func newTable(file string, columns, required []string, paths map[string]string) *table {
	t := &table{file: file, columns: columns, required: required, paths: paths, columnOf: map[string]string{}}
	for c, p := range paths {
		t.columnOf[p] = c
	}
	return t
}

// path is the record field a column holds.
func (t *table) path(column string) string {
	if p, ok := t.paths[column]; ok {
		return p
	}
	return column
}

// column is the column holding a record field (as named by validation).
func (t *table) column(field string) string {
	if c, ok := t.columnOf[field]; ok {
		return c
	}
	// tags[2] is the third tag of the tags column.
	if i := strings.IndexByte(field, '['); i > 0 {
		field = field[:i]
	}
	return field
}

var stamps = []string{"created_at", "created_by", "updated_at", "updated_by"}

var (
	situationsTable = newTable("situations.csv",
		append([]string{"id", "name", "country_code", "on_security_council_agenda", "conflict_class", "setting", "description"}, stamps...),
		[]string{"name"}, nil)
	partiesTable = newTable("parties.csv",
		append([]string{"id", "name", "abbreviation", "type", "parent_id", "country_code", "description"}, stamps...),
		[]string{"name"}, nil)
	partyNamesTable = newTable("party_names.csv",
		[]string{"party_id", "lang", "name", "alias"},
		[]string{"party_id", "name"}, nil)
	sourcesTable = newTable("sources.csv",
		append([]string{"id", "kind", "title", "organisation", "url", "document_symbol", "published_on", "language", "reliability", "description"}, stamps...),
		[]string{"title"}, nil)
	incidentsTable = newTable("incidents.csv",
		append([]string{"id", "title", "summary", "situation_id", "place_name", "place_admin_area", "place_country",
			"latitude", "longitude", "location_precision", "date_start", "date_end", "date_precision", "context", "status"}, stamps...),
		[]string{"title"}, map[string]string{
			"place_name": "place.name", "place_admin_area": "place.admin_area", "place_country": "place.country",
			"latitude": "place.latitude", "longitude": "place.longitude", "location_precision": "place.precision",
			"date_start": "date.start", "date_end": "date.end", "date_precision": "date.precision",
		})
	actsTable = newTable("acts.csv",
		[]string{"id", "incident_id", "violation_type", "tags", "victim_code", "victim_sex", "victim_age_group",
			"victim_status", "victim_count", "description"},
		[]string{"incident_id"}, map[string]string{
			"victim_code": "victim.code", "victim_sex": "victim.sex", "victim_age_group": "victim.age_group",
			"victim_status": "victim.status", "victim_count": "victim.count",
		})
	perpetratorsTable = newTable("perpetrators.csv",
		[]string{"act_id", "party_id", "description"},
		[]string{"act_id"}, nil)
	linksTable = newTable("information_links.csv",
		[]string{"id", "incident_id", "act_id", "source_id", "connection", "reliability", "reference", "notes"},
		[]string{"incident_id", "source_id"}, nil)
)

// tables lists the CSV files in the order they are imported and exported.
var tables = []*table{situationsTable, partiesTable, partyNamesTable, sourcesTable, incidentsTable, actsTable,
	perpetratorsTable, linksTable}

func tableByFile(name string) *table {
	for _, t := range tables {
		if strings.EqualFold(t.file, name) {
			return t
		}
	}
	return nil
}

func tableFiles() string {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.file
	}
	return strings.Join(names, ", ")
}

// tableByHeader recognises a CSV file whose name says nothing by its header:
// the one table that has every column and whose required columns are there.
func tableByHeader(head []byte) (*table, error) {
	r := csv.NewReader(bytes.NewReader(head))
	rec, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("cannot read a header row to tell which table the file holds: %w", err)
	}
	var fits []*table
	for _, t := range tables {
		h, problems := parseHeader(t, rec)
		if len(problems) == 0 && h != nil {
			fits = append(fits, t)
		}
	}
	switch len(fits) {
	case 1:
		return fits[0], nil
	case 0:
		return nil, fmt.Errorf("its header fits none of the tables; name the file after its table (%s)", tableFiles())
	default:
		names := make([]string, len(fits))
		for i, t := range fits {
			names[i] = t.file
		}
		return nil, fmt.Errorf("its header fits several tables (%s); name the file after its table", strings.Join(names, ", "))
	}
}

// header maps column names to their positions in one file.
type header struct {
	pos   map[string]int
	width int
}

// parseHeader reads a header row; any problem with it stops the file from
// being imported, because a misspelt column would silently lose its data.
func parseHeader(t *table, rec []string) (*header, []problem) {
	h := &header{pos: make(map[string]int, len(rec)), width: len(rec)}
	var problems []problem
	for i, name := range rec {
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff") // a byte-order mark, as spreadsheets write
		}
		name = strings.ToLower(strings.TrimSpace(name))
		switch {
		case !slices.Contains(t.columns, name):
			problems = append(problems, problem{name, fmt.Sprintf("%s has no column %q; its columns are %s",
				t.file, name, strings.Join(t.columns, ", "))})
		case h.has(name):
			problems = append(problems, problem{name, "the column appears twice"})
		default:
			h.pos[name] = i
		}
	}
	for _, c := range t.required {
		if !h.has(c) {
			problems = append(problems, problem{c, "the header has no " + c + " column, which " + t.file + " requires"})
		}
	}
	return h, problems
}

func (h *header) has(column string) bool { _, ok := h.pos[column]; return ok }

// csvRow is one record of a CSV file.
type csvRow struct {
	h    *header
	line int // where the record starts; the header is line 1
	rec  []string
	// defects are what is wrong with the line itself (bad quoting, a wrong
	// number of fields, text that is not UTF-8), found while reading it.
	defects []problem // field is a column name, or "" for the whole line
}

// get returns a column's value, or "" when the file has no such column.
func (r *csvRow) get(column string) string {
	i, ok := r.h.pos[column]
	if !ok || i >= len(r.rec) {
		return ""
	}
	return r.rec[i]
}

// key is an ID column's value as rows are matched by: trimmed, and in
// lower case as IDs are stored.
func (r *csvRow) key(column string) string { return strings.ToLower(strings.TrimSpace(r.get(column))) }

// csvReader reads the rows of one CSV file.
type csvReader struct {
	t    *table
	name string // the file's name as the user knows it
	r    *csv.Reader
	h    *header
	c    io.Closer
}

// badHeader is a file's rejected header: the row and what is wrong with it.
type badHeader struct {
	row      int
	problems []problem
}

// openCSV reads a file's header. A file with no content at all is an empty
// table; a bad header is returned as problems for the caller to report.
func openCSV(t *table, name string, rc io.ReadCloser) (*csvReader, *badHeader, error) {
	r := csv.NewReader(rc)
	rec, err := r.Read()
	if errors.Is(err, io.EOF) {
		return &csvReader{t: t, name: name, r: r, h: &header{pos: map[string]int{}}, c: rc}, nil, nil
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rc.Close()
			return nil, &badHeader{row: 1, problems: []problem{{"", "the header row is not valid CSV: " + pe.Err.Error()}}}, nil
		}
		rc.Close()
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	h, problems := parseHeader(t, rec)
	if len(problems) > 0 {
		// Count what is lost, so the report can say so.
		n := 0
		for {
			if _, err := r.Read(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				var pe *csv.ParseError
				if !errors.As(err, &pe) {
					break
				}
			}
			n++
		}
		rc.Close()
		problems = append(problems, problem{"", fmt.Sprintf("none of the file's %d data rows were imported because of its header", n)})
		return nil, &badHeader{row: 1, problems: problems}, nil
	}
	r.FieldsPerRecord = len(rec)
	return &csvReader{t: t, name: name, r: r, h: h, c: rc}, nil, nil
}

// next returns the next row, or io.EOF. A malformed line is returned as a
// row with defects (and what could be read of it), so that it is reported
// and the file read on; only a failure to read the file is an error.
func (cr *csvReader) next() (*csvRow, error) {
	rec, err := cr.r.Read()
	row := &csvRow{h: cr.h, rec: rec}
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("read %s: %w", cr.name, err)
		}
		row.line = pe.StartLine
		switch {
		case errors.Is(pe.Err, csv.ErrFieldCount):
			row.defects = append(row.defects, problem{"", fmt.Sprintf("the line has %d fields but the header has %d", len(rec), cr.h.width)})
		default:
			row.defects = append(row.defects, problem{"", fmt.Sprintf("malformed CSV at line %d, column %d: %v (quote a field holding commas, quotes or line breaks, and double the quotes inside it)",
				pe.Line, pe.Column, pe.Err)})
		}
	} else {
		row.line, _ = cr.r.FieldPos(0)
	}
	for col, i := range cr.h.pos {
		if i >= len(rec) {
			continue
		}
		switch v := rec[i]; {
		case !utf8.ValidString(v):
			row.defects = append(row.defects, problem{col, "is not UTF-8 text; save the file as UTF-8"})
		case strings.IndexByte(v, 0) >= 0:
			row.defects = append(row.defects, problem{col, "contains a NUL character"})
		}
	}
	if len(row.defects) > 1 {
		sort.Slice(row.defects, func(i, j int) bool { return cr.h.pos[row.defects[i].field] < cr.h.pos[row.defects[j].field] })
	}
	return row, nil
}

// each calls fn with every row in turn, until fn or the file fails; a nil
// reader (no file) has no rows.
func (cr *csvReader) each(fn func(*csvRow) error) error {
	if cr == nil {
		return nil
	}
	for {
		row, err := cr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

func (cr *csvReader) Close() error { return cr.c.Close() }

// tableSet is the CSV files of one import: a directory, a zip, or one file.
type tableSet struct {
	name    string // what was given, for messages
	entries map[*table]entry
	// unknown are CSV files that belong to no table: reported, since their
	// rows would otherwise be lost without a word.
	unknown []string
	close   func() error
}

type entry struct {
	name string // the file's name as the user knows it
	open func() (io.ReadCloser, error)
}

func (s *tableSet) Close() error {
	if s.close != nil {
		return s.close()
	}
	return nil
}

func dirTables(dir string) (*tableSet, error) {
	items, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	set := &tableSet{name: filepath.Base(dir), entries: map[*table]entry{}}
	for _, it := range items {
		if it.IsDir() || !strings.EqualFold(filepath.Ext(it.Name()), ".csv") {
			continue
		}
		t := tableByFile(it.Name())
		if t == nil {
			set.unknown = append(set.unknown, it.Name())
			continue
		}
		if _, dup := set.entries[t]; dup {
			return nil, fmt.Errorf("import %s: two files hold %s (names differ only in case)", dir, t.file)
		}
		p := filepath.Join(dir, it.Name())
		set.entries[t] = entry{name: it.Name(), open: func() (io.ReadCloser, error) { return os.Open(p) }}
	}
	if len(set.entries) == 0 && len(set.unknown) == 0 {
		return nil, fmt.Errorf("import %s: the directory holds none of the CSV files %s", dir, tableFiles())
	}
	return set, nil
}

// zipTables finds the CSV files in a zip, at its root or in folders.
func zipTables(zr *zip.Reader, name string) (*tableSet, error) {
	set := &tableSet{name: name, entries: map[*table]entry{}}
	for _, f := range zr.File {
		base := path.Base(f.Name)
		if f.FileInfo().IsDir() || !strings.EqualFold(path.Ext(base), ".csv") ||
			strings.HasPrefix(f.Name, "__MACOSX/") || strings.HasPrefix(base, "._") {
			continue
		}
		t := tableByFile(base)
		if t == nil {
			set.unknown = append(set.unknown, f.Name)
			continue
		}
		if prev, dup := set.entries[t]; dup {
			return nil, fmt.Errorf("import %s: both %s and %s hold %s", name, prev.name, f.Name, t.file)
		}
		set.entries[t] = entry{name: f.Name, open: f.Open}
	}
	if len(set.entries) == 0 && len(set.unknown) == 0 {
		return nil, fmt.Errorf("import %s: the archive holds none of the CSV files %s", name, tableFiles())
	}
	return set, nil
}

// singleTable is one CSV file, recognised by its name or else its header.
func singleTable(name string, open func() (io.ReadCloser, error)) (*tableSet, error) {
	base := filepath.Base(name)
	if t := tableByFile(base); t != nil {
		return &tableSet{name: base, entries: map[*table]entry{t: {name: base, open: open}}}, nil
	}
	rc, err := open()
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", base, err)
	}
	br := bufio.NewReaderSize(rc, 64<<10)
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		rc.Close()
		return nil, fmt.Errorf("import %s: %w", base, err)
	}
	t, err := tableByHeader(head)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("import %s: %w", base, err)
	}
	pending := rc
	set := &tableSet{name: base, entries: map[*table]entry{t: {name: base, open: func() (io.ReadCloser, error) {
		if pending != nil {
			// The header was peeked, not consumed: hand over the same reader.
			rc := pending
			pending = nil
			return struct {
				io.Reader
				io.Closer
			}{br, rc}, nil
		}
		return open()
	}}}}
	set.close = func() error {
		if pending != nil {
			return pending.Close()
		}
		return nil
	}
	return set, nil
}
