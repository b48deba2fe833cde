package transfer_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/synth"
	"github.com/dossier-org/dossier/internal/transfer"
)

var benchIncidents = flag.Int("incidents", 2000, "incidents in the synthetic record set the benchmarks import")

// benchSet writes the synthetic CSV set once per benchmark.
func benchSet(b *testing.B) (string, synth.Counts) {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "csv")
	counts, err := synth.WriteDir(dir, synth.Options{Incidents: *benchIncidents, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return dir, counts
}

// BenchmarkImportCSV imports a synthetic CSV set of -incidents incidents
// into a fresh SQLite store, in one all-or-nothing transaction, as the
// command line does (Options.Alone).
func BenchmarkImportCSV(b *testing.B) {
	dir, counts := benchSet(b)
	benchImport(b, dir, counts, transfer.Options{Alone: true}, sqliteStore)
}

// BenchmarkImportCSVInWAL is the same import as the server runs it, in
// the WAL (without Options.Alone).
func BenchmarkImportCSVInWAL(b *testing.B) {
	dir, counts := benchSet(b)
	benchImport(b, dir, counts, transfer.Options{}, sqliteStore)
}

// BenchmarkImportCSVPartial is the same import with Options.Partial, which
// writes incidents in batches under savepoints.
func BenchmarkImportCSVPartial(b *testing.B) {
	dir, counts := benchSet(b)
	benchImport(b, dir, counts, transfer.Options{Partial: true}, sqliteStore)
}

// BenchmarkImportCSVPostgres imports the set into PostgreSQL.
func BenchmarkImportCSVPostgres(b *testing.B) {
	dir, counts := benchSet(b)
	benchImport(b, dir, counts, transfer.Options{}, func(b *testing.B) *app.App { return app.New(dbtest.Postgres(b)) })
}

// BenchmarkImportCSVFurther imports 2,000 incidents into a SQLite store
// that already holds the -incidents set: the indexes, per-act rows and
// full-text index are then kept up to date row by row, as every import but
// the first does.
func BenchmarkImportCSVFurther(b *testing.B) { benchFurther(b, sqliteStore) }

// BenchmarkImportCSVFurtherPostgres is the same into PostgreSQL.
func BenchmarkImportCSVFurtherPostgres(b *testing.B) {
	benchFurther(b, func(b *testing.B) *app.App { return app.New(dbtest.Postgres(b)) })
}

func benchFurther(b *testing.B, store func(*testing.B) *app.App) {
	dir, _ := benchSet(b)
	more := filepath.Join(b.TempDir(), "further")
	counts, err := synth.WriteDir(more, synth.Options{Incidents: 2000, Seed: 1, Further: 2})
	if err != nil {
		b.Fatal(err)
	}
	benchImport(b, more, counts, transfer.Options{Alone: true}, func(b *testing.B) *app.App {
		a := store(b)
		rep, err := transfer.ImportFile(ctx, a, dir, transfer.Options{Alone: true})
		mustImport(b, rep, err)
		return a
	})
}

func sqliteStore(b *testing.B) *app.App { return app.New(dbtest.SQLite(b)) }

// BenchmarkImportJSON imports the same set as one JSON document.
func BenchmarkImportJSON(b *testing.B) {
	dir, counts := benchSet(b)
	a := app.New(dbtest.SQLite(b))
	rep, err := transfer.ImportFile(ctx, a, dir, transfer.Options{})
	mustImport(b, rep, err)
	doc := filepath.Join(b.TempDir(), "record.json")
	f, err := os.Create(doc)
	if err != nil {
		b.Fatal(err)
	}
	if err := transfer.Export(ctx, a, f, transfer.JSON); err != nil {
		b.Fatal(err)
	}
	f.Close()
	benchImport(b, doc, counts, transfer.Options{}, sqliteStore)
}

func benchImport(b *testing.B, path string, counts synth.Counts, opts transfer.Options, store func(*testing.B) *app.App) {
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		a := store(b)
		b.StartTimer()
		rep, err := transfer.ImportFile(ctx, a, path, opts)
		mustImport(b, rep, err)
		if rep.Imported.Incidents != counts.Incidents || rep.Imported.Acts != counts.Acts {
			b.Fatalf("imported %+v, want %d incidents and %d acts", rep.Imported, counts.Incidents, counts.Acts)
		}
	}
	b.ReportMetric(float64(counts.Incidents*b.N)/b.Elapsed().Seconds(), "incidents/s")
	b.ReportMetric(float64(counts.Acts*b.N)/b.Elapsed().Seconds(), "acts/s")
}

// BenchmarkExportCSV exports the set as a zip of CSV files.
func BenchmarkExportCSV(b *testing.B) {
	dir, counts := benchSet(b)
	a := app.New(dbtest.SQLite(b))
	rep, err := transfer.ImportFile(ctx, a, dir, transfer.Options{})
	mustImport(b, rep, err)
	out := filepath.Join(b.TempDir(), "export")
	b.ResetTimer()
	for range b.N {
		if err := transfer.ExportDir(ctx, a, out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(counts.Incidents*b.N)/b.Elapsed().Seconds(), "incidents/s")
}
