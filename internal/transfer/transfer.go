// Package transfer moves a Dossier record in and out of files: one JSON
// document, or a set of CSV files (one per table) as a directory or a zip.
//
// An import runs in one transaction and writes every record through its
// domain package's Insert, so it is validated and gets its revision history
// like a record typed in by hand. Every rejected row is reported with its
// file, row and field; by default a single rejection commits nothing, and
// with Options.Partial the valid records are committed and the rest
// reported. Imports and exports stream, so a record of a million incidents
// passes through in bounded memory. docs/import-export.md describes the
// formats column by column.
package transfer

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dossier-org/dossier/internal/app"
)

// Options change how an import treats rejected rows.
type Options struct {
	// Partial commits the valid records and reports the others. Without
	// it, an import with any rejected row commits nothing.
	Partial bool
	// Alone says that the operator runs the import on the data directory
	// (the command line, not the server): an import into an empty SQLite
	// store may then hold the database to itself (db.DB.WriteAlone).
	Alone bool
}

// Rejection is a row that was not imported, and why.
type Rejection struct {
	// File is the CSV file's name (acts.csv) or the JSON document's.
	File string `json:"file"`
	// Row is, for CSV, the line the row starts on, counting the header as
	// line 1; for JSON, the record's 1-based position in its array. Zero
	// means the problem is with the file as a whole.
	Row int `json:"row"`
	// Field is the CSV column, or for JSON the path from the document's
	// root (incidents[3].acts[0].victim.age_group). Empty means the whole row.
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (r Rejection) String() string {
	var b strings.Builder
	b.WriteString(r.File)
	if r.Row > 0 {
		fmt.Fprintf(&b, ":%d", r.Row)
	}
	if r.Field != "" {
		b.WriteString(": " + r.Field)
	}
	b.WriteString(": " + r.Reason)
	return b.String()
}

// Counts are numbers of records by kind.
type Counts struct {
	Situations int `json:"situations"`
	Parties    int `json:"parties"`
	Sources    int `json:"sources"`
	Incidents  int `json:"incidents"`
	Acts       int `json:"acts"`
}

// Report says what an import did.
type Report struct {
	// Imported counts the records committed: zero unless Committed.
	Imported Counts `json:"imported"`
	// Rejected lists every row not imported, in file and row order.
	Rejected []Rejection `json:"rejected"`
	// Committed is whether the import's transaction was committed.
	Committed bool `json:"committed"`
}

// Format is a kind of export.
type Format string

const (
	// JSON is one document holding the whole record.
	JSON Format = "json"
	// CSV is a zip of one CSV file per table.
	CSV Format = "csv"
)

// ImportFile imports a .json document, a .zip of CSV files, a directory of
// CSV files, or one .csv file. An error means the import could not run at
// all; rejected rows are in the Report.
func ImportFile(ctx context.Context, a *app.App, path string, opts Options) (Report, error) {
	info, err := os.Stat(path)
	if err != nil {
		return Report{}, fmt.Errorf("import: %w", err)
	}
	if info.IsDir() {
		set, err := dirTables(path)
		if err != nil {
			return Report{}, err
		}
		return importCSV(ctx, a, set, opts)
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".json":
		f, err := os.Open(path)
		if err != nil {
			return Report{}, fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		return importJSON(ctx, a, f, filepath.Base(path), opts)
	case ".zip":
		zr, err := zip.OpenReader(path)
		if err != nil {
			return Report{}, fmt.Errorf("import %s: %w", filepath.Base(path), err)
		}
		defer zr.Close()
		set, err := zipTables(&zr.Reader, filepath.Base(path))
		if err != nil {
			return Report{}, err
		}
		return importCSV(ctx, a, set, opts)
	case ".csv":
		set, err := singleTable(filepath.Base(path), func() (io.ReadCloser, error) { return os.Open(path) })
		if err != nil {
			return Report{}, err
		}
		return importCSV(ctx, a, set, opts)
	default:
		return Report{}, fmt.Errorf("import %s: cannot tell the format; give a .json, .zip or .csv file, or a directory of CSV files", filepath.Base(path))
	}
}

// ImportReader imports from r; name's extension (.json, .zip or .csv)
// picks the format, and a .csv's name (or else its header) the table.
func ImportReader(ctx context.Context, a *app.App, r io.Reader, name string, opts Options) (Report, error) {
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".json":
		return importJSON(ctx, a, r, name, opts)
	case ".zip":
		// A zip is read from its end: keep it in a private temporary file
		// rather than in memory.
		tmp, err := os.CreateTemp("", "dossier-import-*.zip")
		if err != nil {
			return Report{}, fmt.Errorf("import %s: %w", name, err)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		size, err := io.Copy(tmp, r)
		if err != nil {
			return Report{}, fmt.Errorf("import %s: %w", name, err)
		}
		zr, err := zip.NewReader(tmp, size)
		if err != nil {
			return Report{}, fmt.Errorf("import %s: %w", name, err)
		}
		set, err := zipTables(zr, name)
		if err != nil {
			return Report{}, err
		}
		return importCSV(ctx, a, set, opts)
	case ".csv":
		used := false
		set, err := singleTable(name, func() (io.ReadCloser, error) {
			if used {
				return nil, errors.New("a single CSV file read from a stream can be read only once")
			}
			used = true
			return io.NopCloser(r), nil
		})
		if err != nil {
			return Report{}, err
		}
		return importCSV(ctx, a, set, opts)
	default:
		return Report{}, fmt.Errorf("import %s: cannot tell the format; name it .json, .zip or .csv", name)
	}
}
