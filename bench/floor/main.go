// Command floor does, through the pure-Go SQLite driver Dossier uses, what
// bench/floor.sh also has the sqlite3 shell do: load a CSV set into bare
// tables, or run an SQL file. Side by side they show how much of an
// import's time no implementation on this driver can avoid.
//
//	go run ./bench/floor -db FILE -csv DIR   # each DIR/T.csv into a table T of its TEXT columns
//	go run ./bench/floor -db FILE -sql FILE  # the file's statements, each ending in ";" at a line's end
package main

import (
	"database/sql"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite"
)

func main() {
	file := flag.String("db", "", "SQLite database file")
	csvDir := flag.String("csv", "", "directory of CSV files to load into bare tables")
	script := flag.String("sql", "", "SQL file to run")
	flag.Parse()
	if *file == "" || (*csvDir == "") == (*script == "") {
		log.Fatal("usage: floor -db FILE (-csv DIR | -sql FILE)")
	}
	// The store's cache; the shell's default is 2 MiB.
	d, err := sql.Open("sqlite", "file:"+*file+"?_pragma=cache_size(-65536)")
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	d.SetMaxOpenConns(1)
	start := time.Now()
	if *csvDir != "" {
		rows, err := loadBare(d, *csvDir)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d rows loaded in %.1f s\n", rows, time.Since(start).Seconds())
		return
	}
	if err := run(d, *script); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %.1f s\n", *script, time.Since(start).Seconds())
}

// loadBare is the shell's `.import --csv` into tables it creates: every
// column TEXT, one prepared INSERT per row, all in one transaction.
func loadBare(d *sql.DB, dir string) (int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil || len(files) == 0 {
		return 0, fmt.Errorf("no CSV files in %s", dir)
	}
	tx, err := d.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	total := 0
	for _, f := range files {
		n, err := loadTable(tx, f)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", f, err)
		}
		total += n
	}
	return total, tx.Commit()
}

func loadTable(tx *sql.Tx, file string) (int, error) {
	in, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	r := csv.NewReader(in)
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return 0, err
	}
	table := strings.TrimSuffix(filepath.Base(file), ".csv")
	if _, err := tx.Exec(`CREATE TABLE "` + table + `" ("` + strings.Join(head, `" TEXT, "`) + `" TEXT)`); err != nil {
		return 0, err
	}
	insert, err := tx.Prepare(`INSERT INTO "` + table + `" VALUES (?` + strings.Repeat(", ?", len(head)-1) + `)`)
	if err != nil {
		return 0, err
	}
	defer insert.Close()
	args := make([]any, len(head))
	for n := 0; ; n++ {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		for i, v := range row {
			args[i] = v
		}
		if _, err := insert.Exec(args...); err != nil {
			return n, fmt.Errorf("row %d: %w", n+2, err)
		}
	}
}

// run executes the script's statements one by one, printing each one's time.
func run(d *sql.DB, script string) error {
	src, err := os.ReadFile(script)
	if err != nil {
		return err
	}
	for _, q := range strings.Split(string(src), ";\n") {
		if strings.TrimSpace(q) == "" {
			continue
		}
		t := time.Now()
		if _, err := d.Exec(q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		fmt.Printf("%7.1f s  %.70s\n", time.Since(t).Seconds(), strings.Join(strings.Fields(q), " "))
	}
	return nil
}
