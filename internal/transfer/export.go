package transfer

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
)

// Export writes the whole record to w: one JSON document, or a zip of the
// CSV files. Incidents are read in batches, so memory stays bounded. It is
// the organisation's own copy of its record, victim codes included; an
// export for a purpose that needs survivors' consent is ExportFor.
func Export(ctx context.Context, a *app.App, w io.Writer, f Format) error {
	_, err := ExportFor(ctx, a, w, f, "")
	return err
}

// Withheld says what an export for a use left out, and why.
type Withheld struct {
	Use survivor.Use `json:"use,omitempty"`
	// Codes counts the acts whose victim code was withheld, by reason.
	Codes   map[string]int `json:"codes"`
	Total   int            `json:"total"`
	Checked int            `json:"checked"`
}

// ExportFor writes the record for a use of survivor information (sharing
// with the UN, advocacy, …): the victim code of every act whose survivor
// has not consented to that use is withheld (left empty), and the report
// counts them by reason. An empty use exports everything, as Export does.
func ExportFor(ctx context.Context, a *app.App, w io.Writer, f Format, use survivor.Use) (Withheld, error) {
	redact, withheld, err := consentRedaction(ctx, a, use)
	if err != nil {
		return Withheld{}, err
	}
	switch f {
	case JSON:
		err = exportJSON(ctx, a, w, redact)
	case CSV:
		err = exportZip(ctx, a, w, redact)
	default:
		err = fmt.Errorf("export: unknown format %q (use %q or %q)", f, JSON, CSV)
	}
	return *withheld, err
}

// consentRedaction blanks the victim codes an export for use may not carry.
func consentRedaction(ctx context.Context, a *app.App, use survivor.Use) (func(*incident.Incident), *Withheld, error) {
	withheld := &Withheld{Use: use, Codes: map[string]int{}}
	if use == "" {
		return func(*incident.Incident) {}, withheld, nil
	}
	ix, err := survivor.NewConsentIndex(ctx, a.DB, use)
	if err != nil {
		return nil, nil, err
	}
	return func(in *incident.Incident) {
		for i := range in.Acts {
			code := in.Acts[i].Victim.Code
			if code == "" {
				continue
			}
			withheld.Checked++
			if v := ix.Check(code); !v.Allowed {
				in.Acts[i].Victim.Code = ""
				withheld.Codes[v.Reason]++
				withheld.Total++
			}
		}
	}, withheld, nil
}

// ExportDir writes the CSV files into dir, creating it if need be. The
// files appear only once all are written, replacing those of an earlier
// export.
func ExportDir(ctx context.Context, a *app.App, dir string) error {
	_, err := ExportDirFor(ctx, a, dir, "")
	return err
}

// ExportDirFor writes the CSV files into dir for a use of survivor
// information, as ExportFor does.
func ExportDirFor(ctx context.Context, a *app.App, dir string, use survivor.Use) (Withheld, error) {
	redact, withheld, err := consentRedaction(ctx, a, use)
	if err != nil {
		return Withheld{}, err
	}
	return *withheld, exportDir(ctx, a, dir, redact)
}

func exportDir(ctx context.Context, a *app.App, dir string, redact func(*incident.Incident)) (err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	files := map[*table]*os.File{}
	defer func() {
		for _, f := range files {
			f.Close()
			if err != nil {
				os.Remove(f.Name())
			}
		}
	}()
	buffered := map[*table]*bufio.Writer{}
	for _, t := range tables {
		// The record holds survivors' pseudonymous codes: readable by the owner only.
		f, err := os.OpenFile(filepath.Join(dir, "."+t.file+".tmp"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		files[t] = f
		buffered[t] = bufio.NewWriterSize(f, 1<<16)
	}
	w := func(t *table) io.Writer { return buffered[t] }
	if err := exportSmall(ctx, a, w, nil); err != nil {
		return err
	}
	if err := exportIncidents(ctx, a, w(incidentsTable), w(actsTable), w(perpetratorsTable), w(linksTable), redact); err != nil {
		return err
	}
	for _, t := range tables {
		if err := buffered[t].Flush(); err != nil {
			return fmt.Errorf("export %s: %w", t.file, err)
		}
		if err := files[t].Sync(); err != nil {
			return fmt.Errorf("export %s: %w", t.file, err)
		}
	}
	for _, t := range tables {
		if err := os.Rename(files[t].Name(), filepath.Join(dir, t.file)); err != nil {
			return fmt.Errorf("export %s: %w", t.file, err)
		}
	}
	return nil
}

// exportZip writes the CSV files as a zip. Zip entries are written one
// after another, so acts, perpetrators and links — written in the same pass
// over the incidents as incidents.csv — wait in temporary files.
func exportZip(ctx context.Context, a *app.App, w io.Writer, redact func(*incident.Incident)) error {
	zw := zip.NewWriter(w)
	now := time.Now()
	entries := map[*table]io.Writer{}
	create := func(t *table) (io.Writer, error) {
		e, err := zw.CreateHeader(&zip.FileHeader{Name: t.file, Method: zip.Deflate, Modified: now})
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", t.file, err)
		}
		entries[t] = e
		return e, nil
	}
	if err := exportSmall(ctx, a, nil, create); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "dossier-export-")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.RemoveAll(tmp)
	later := []*table{actsTable, perpetratorsTable, linksTable}
	files := map[*table]*os.File{}
	buffered := map[*table]*bufio.Writer{}
	for _, t := range later {
		f, err := os.Create(filepath.Join(tmp, t.file))
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer f.Close()
		files[t], buffered[t] = f, bufio.NewWriterSize(f, 1<<16)
	}
	inc, err := create(incidentsTable)
	if err != nil {
		return err
	}
	if err := exportIncidents(ctx, a, inc, buffered[actsTable], buffered[perpetratorsTable], buffered[linksTable], redact); err != nil {
		return err
	}
	for _, t := range later {
		if err := buffered[t].Flush(); err != nil {
			return fmt.Errorf("export %s: %w", t.file, err)
		}
		if _, err := files[t].Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("export %s: %w", t.file, err)
		}
		e, err := create(t)
		if err != nil {
			return err
		}
		if _, err := io.Copy(e, files[t]); err != nil {
			return fmt.Errorf("export %s: %w", t.file, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// csvWriter writes one table's rows.
type csvWriter struct {
	t   *table
	w   *csv.Writer
	row []string
}

func newCSVWriter(t *table, w io.Writer) (*csvWriter, error) {
	cw := &csvWriter{t: t, w: csv.NewWriter(w), row: make([]string, 0, len(t.columns))}
	if err := cw.w.Write(t.columns); err != nil {
		return nil, fmt.Errorf("export %s: %w", t.file, err)
	}
	return cw, nil
}

func (cw *csvWriter) write(values ...string) error {
	if err := cw.w.Write(values); err != nil {
		return fmt.Errorf("export %s: %w", cw.t.file, err)
	}
	return nil
}

func (cw *csvWriter) flush() error {
	cw.w.Flush()
	if err := cw.w.Error(); err != nil {
		return fmt.Errorf("export %s: %w", cw.t.file, err)
	}
	return nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return db.FormatTime(t)
}

func metaColumns(m record.Meta) []string {
	return []string{formatTime(m.CreatedAt), m.CreatedBy, formatTime(m.UpdatedAt), m.UpdatedBy}
}

func formatFloat(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// exportSmall writes the situations, parties (with their names) and
// sources, in that order. Each file is opened either through open (a
// directory, all files at once) or create (a zip, one after another).
func exportSmall(ctx context.Context, a *app.App, open func(*table) io.Writer, create func(*table) (io.Writer, error)) error {
	start := func(t *table) (*csvWriter, error) {
		if open != nil {
			return newCSVWriter(t, open(t))
		}
		w, err := create(t)
		if err != nil {
			return nil, err
		}
		return newCSVWriter(t, w)
	}
	sits, err := a.Situations.List(ctx)
	if err != nil {
		return fmt.Errorf("export situations: %w", err)
	}
	w, err := start(situationsTable)
	if err != nil {
		return err
	}
	for _, s := range sits {
		if err := w.write(append([]string{s.ID, s.Name, s.CountryCode, strconv.FormatBool(s.OnAgenda),
			string(s.ConflictClass), string(s.Setting), s.Description}, metaColumns(s.Meta)...)...); err != nil {
			return err
		}
	}
	if err := w.flush(); err != nil {
		return err
	}
	parties, err := a.Parties.List(ctx, party.Filter{})
	if err != nil {
		return fmt.Errorf("export parties: %w", err)
	}
	if w, err = start(partiesTable); err != nil {
		return err
	}
	for _, p := range parties {
		if err := w.write(append([]string{p.ID, p.Name, p.Abbreviation, string(p.Type), p.ParentID, p.CountryCode,
			p.Description}, metaColumns(p.Meta)...)...); err != nil {
			return err
		}
	}
	if err := w.flush(); err != nil {
		return err
	}
	if w, err = start(partyNamesTable); err != nil {
		return err
	}
	for _, p := range parties {
		for _, n := range p.Names {
			if err := w.write(p.ID, n.Lang, n.Text, strconv.FormatBool(n.Alias)); err != nil {
				return err
			}
		}
	}
	if err := w.flush(); err != nil {
		return err
	}
	sources, err := a.Sources.List(ctx)
	if err != nil {
		return fmt.Errorf("export sources: %w", err)
	}
	if w, err = start(sourcesTable); err != nil {
		return err
	}
	for _, s := range sources {
		if err := w.write(append([]string{s.ID, string(s.Kind), s.Title, s.Organisation, s.URL, s.DocumentSymbol,
			s.PublishedOn, s.Language, string(s.Reliability), s.Description}, metaColumns(s.Meta)...)...); err != nil {
			return err
		}
	}
	return w.flush()
}

// exportIncidents writes incidents.csv and, in step with it, acts.csv,
// perpetrators.csv and information_links.csv, in one pass.
func exportIncidents(ctx context.Context, a *app.App, incW, actW, perpW, linkW io.Writer, redact func(*incident.Incident)) error {
	var ws [4]*csvWriter
	for i, t := range []*table{incidentsTable, actsTable, perpetratorsTable, linksTable} {
		var err error
		if ws[i], err = newCSVWriter(t, []io.Writer{incW, actW, perpW, linkW}[i]); err != nil {
			return err
		}
	}
	inc, acts, perps, links := ws[0], ws[1], ws[2], ws[3]
	err := a.Incidents.Each(ctx, func(in *incident.Incident) error {
		redact(in)
		if err := inc.write(append([]string{in.ID, in.Title, in.Summary, in.SituationID, in.Place.Name, in.Place.AdminArea,
			in.Place.Country, formatFloat(in.Place.Latitude), formatFloat(in.Place.Longitude), string(in.Place.Precision),
			in.Date.Start, in.Date.End, string(in.Date.Precision), string(in.Context), string(in.Status)},
			metaColumns(in.Meta)...)...); err != nil {
			return err
		}
		for _, act := range in.Acts {
			if err := acts.write(act.ID, in.ID, string(act.ViolationType), strings.Join(act.Tags, ","), act.Victim.Code,
				string(act.Victim.Sex), string(act.Victim.AgeGroup), string(act.Victim.Status),
				strconv.Itoa(act.Victim.Count), act.Description); err != nil {
				return err
			}
			for _, p := range act.Perpetrators {
				if err := perps.write(act.ID, p.PartyID, p.Description); err != nil {
					return err
				}
			}
		}
		for _, l := range in.Information {
			if err := links.write(l.ID, in.ID, l.ActID, l.SourceID, string(l.Connection), string(l.Reliability),
				l.Reference, l.Notes); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("export incidents: %w", err)
	}
	for _, w := range ws {
		if err := w.flush(); err != nil {
			return err
		}
	}
	return nil
}

// exportJSON writes one document, a record to a line.
func exportJSON(ctx context.Context, a *app.App, w io.Writer, redact func(*incident.Incident)) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	first := true
	emit := func(v any) error {
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return err
		}
		if !first {
			bw.WriteString(",\n")
		}
		first = false
		_, err := bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		return err
	}
	section := func(name string, last bool, each func() error) error {
		bw.WriteString(`"` + name + `":[` + "\n")
		first = true
		if err := each(); err != nil {
			return fmt.Errorf("export %s: %w", name, err)
		}
		if !first {
			bw.WriteString("\n")
		}
		if last {
			bw.WriteString("]}\n")
		} else {
			bw.WriteString("],\n")
		}
		return nil
	}
	fmt.Fprintf(bw, `{"format":%q,"format_version":%d,`+"\n", FormatName, FormatVersion)
	if err := section("situations", false, func() error {
		list, err := a.Situations.List(ctx)
		for i := 0; err == nil && i < len(list); i++ {
			err = emit(&list[i])
		}
		return err
	}); err != nil {
		return err
	}
	if err := section("parties", false, func() error {
		list, err := a.Parties.List(ctx, party.Filter{})
		for i := 0; err == nil && i < len(list); i++ {
			err = emit(&list[i])
		}
		return err
	}); err != nil {
		return err
	}
	if err := section("sources", false, func() error {
		list, err := a.Sources.List(ctx)
		for i := 0; err == nil && i < len(list); i++ {
			err = emit(&list[i])
		}
		return err
	}); err != nil {
		return err
	}
	if err := section("incidents", true, func() error {
		return a.Incidents.Each(ctx, func(in *incident.Incident) error { redact(in); return emit(in) })
	}); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
