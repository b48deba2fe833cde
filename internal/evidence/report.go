package evidence

import (
	"context"
	_ "embed"
	"encoding/csv"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/db"
)

// Report is an item's chain of custody as a document: for a court, a
// partner, a defence expert. The web UI renders its own page from Rows;
// WriteCSV and WriteHTML give files.
type Report struct {
	Item        *Item
	GeneratedAt time.Time
	GeneratedBy string
	Rows        []ReportRow
}

// ReportRow is one custody event with what the report says of its hash.
type ReportRow struct {
	Event
	N     int    // 1, 2, 3 … in the order things happened
	Label string // the event kind's English name
	// Matches is whether the hash verified at that moment is the item's;
	// nil when no hash was verified.
	Matches *bool
	// Verification says the same in words: "computed by Dossier; matches".
	Verification string
}

// Mismatch reports whether the event verified a hash other than the item's.
func (row ReportRow) Mismatch() bool { return row.Matches != nil && !*row.Matches }

// CustodyReport builds an item's custody report.
func (s *Store) CustodyReport(ctx context.Context, itemID string, generatedBy string) (*Report, error) {
	it, err := s.Get(ctx, itemID)
	if err != nil {
		return nil, err
	}
	events, err := custody(ctx, s.db, itemID)
	if err != nil {
		return nil, err
	}
	r := &Report{Item: it, GeneratedAt: db.Now(), GeneratedBy: generatedBy, Rows: make([]ReportRow, len(events))}
	for i, e := range events {
		r.Rows[i] = ReportRow{Event: e, N: i + 1, Label: e.Kind.Label(), Matches: e.Matches(it), Verification: verification(e, it)}
	}
	return r, nil
}

func verification(e Event, it *Item) string {
	if e.SHA256 == "" {
		return "not verified"
	}
	who := "computed by Dossier"
	if e.HashSource == Reported {
		who = "reported by " + e.By
	}
	if e.SHA256 == it.Blob.SHA256 {
		return who + "; matches"
	}
	return who + "; DOES NOT MATCH the item's SHA-256"
}

// Altered reports whether any event verified a hash other than the item's.
func (r *Report) Altered() bool {
	for _, row := range r.Rows {
		if row.Mismatch() {
			return true
		}
	}
	return false
}

// csvHeader names the report's CSV columns.
var csvHeader = []string{"n", "evidence_id", "evidence_sha256", "at", "event", "by", "recipient", "place", "purpose",
	"sha256", "hash_source", "hash_matches", "notes", "recorded_at", "recorded_by", "audit_index", "event_id"}

// WriteCSV writes the report as CSV, one event a row, each row naming the
// item and its SHA-256 so that a row read alone still says what it is about.
// Text that a spreadsheet would run as a formula (=, +, -, @ first) is
// prefixed with an apostrophe.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, row := range r.Rows {
		matches := ""
		if row.Matches != nil {
			matches = strconv.FormatBool(*row.Matches)
		}
		rec := []string{strconv.Itoa(row.N), r.Item.ID, r.Item.Blob.SHA256, formatInstant(row.At), string(row.Kind),
			inert(row.By), inert(row.Recipient), inert(row.Place), inert(row.Purpose), row.SHA256, string(row.HashSource),
			matches, inert(row.Notes), formatInstant(row.RecordedAt), inert(row.RecordedBy),
			strconv.FormatUint(row.AuditIndex, 10), row.ID}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func formatInstant(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// inert keeps a spreadsheet from running a cell as a formula.
func inert(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

//go:embed report.html
var reportHTML string

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"instant": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"size":    func(n int64) string { return strconv.FormatInt(n, 10) },
}).Parse(reportHTML))

// WriteHTML writes the report as a self-contained, printable HTML page.
func (r *Report) WriteHTML(w io.Writer) error {
	return reportTemplate.Execute(w, r)
}
