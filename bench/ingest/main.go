// Command ingest is the Go side of the ingest benchmark (bench/ingest/ingest.sh):
//
//	ingest gen -size 2048 -seed 1 -out FILE   write SIZE MiB of deterministic pseudo-random bytes
//	ingest put -store LOCATION FILE…          store each file with blob.Store.Put
//	ingest report RESULTS                     summarise measured runs as ratios to a baseline
//
// put takes any location blob.Open does ("" is DIR/blobs with -data DIR), so
// the benchmark can measure the local directory and S3 alike.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/blob"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "put":
		err = put(os.Args[2:])
	case "report":
		err = report(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: ingest gen -size MIB -seed N -out FILE | put [-store LOCATION] [-data DIR] FILE… | report [-baseline LABEL] RESULTS")
	os.Exit(2)
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	size := fs.Int64("size", 2048, "size in MiB")
	seed := fs.Uint64("seed", 1, "seed: the same seed and size give the same bytes")
	out := fs.String("out", "", "file to write")
	fs.Parse(args)
	if *out == "" || *size <= 0 {
		return errors.New("gen: -out FILE and a positive -size are required")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	var key [32]byte
	for i := range 8 {
		key[i] = byte(*seed >> (8 * i))
	}
	src := io.LimitReader(rand.NewChaCha8(key), *size<<20)
	if _, err := io.CopyBuffer(f, src, make([]byte, 1<<20)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func put(args []string) error {
	fs := flag.NewFlagSet("put", flag.ExitOnError)
	location := fs.String("store", "", `blob location ("" for DATA/blobs, file:///dir, s3://bucket/prefix?endpoint=…)`)
	dataDir := fs.String("data", "", "data directory, for the default location")
	fs.Parse(args)
	if fs.NArg() == 0 {
		return errors.New("put: name at least one file")
	}
	ctx := context.Background()
	store, err := blob.Open(ctx, *location, *dataDir)
	if err != nil {
		return err
	}
	for _, path := range fs.Args() {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		start := time.Now()
		ref, existed, err := store.Put(ctx, f, "")
		elapsed := time.Since(start)
		f.Close()
		if err != nil {
			return fmt.Errorf("put %s: %w", path, err)
		}
		fmt.Printf("%s  %s  %d bytes  existed=%v  %.3f s  %.2f GiB/s\n", ref.SHA256, path, ref.Size, existed,
			elapsed.Seconds(), float64(ref.Size)/(1<<30)/elapsed.Seconds())
	}
	return nil
}

// report reads lines "LABEL WALL_S CPU_S MAXRSS_KIB" (one per run) and
// prints, per label, the median and best wall time, the median CPU time,
// throughput at the best run, each as a ratio to the baseline's, the median
// wall time as a ratio to the reference's, and the highest peak RSS. On a
// shared machine the best run and the CPU time are the least disturbed by
// other work; the median shows what to expect.
func report(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	baseline := fs.String("baseline", "openssl", "label the ratios are taken against")
	reference := fs.String("reference", "sha256sum", "second label to give ratios against")
	bytes := fs.Int64("bytes", 0, "size of the input, for throughput")
	fs.Parse(args)
	if fs.NArg() != 1 {
		return errors.New("report: name the results file")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()

	type runs struct {
		wall, cpu []float64
		rssKiB    int64
	}
	byLabel := map[string]*runs{}
	var order []string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 4 {
			return fmt.Errorf("%s line %d: want LABEL WALL_S CPU_S MAXRSS_KIB", fs.Arg(0), line)
		}
		wall, err1 := strconv.ParseFloat(fields[1], 64)
		cpu, err2 := strconv.ParseFloat(fields[2], 64)
		rss, err3 := strconv.ParseInt(fields[3], 10, 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return fmt.Errorf("%s line %d: %w", fs.Arg(0), line, err)
		}
		r := byLabel[fields[0]]
		if r == nil {
			r = &runs{}
			byLabel[fields[0]] = r
			order = append(order, fields[0])
		}
		r.wall = append(r.wall, wall)
		r.cpu = append(r.cpu, cpu)
		r.rssKiB = max(r.rssKiB, rss)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	median := func(xs []float64) float64 {
		s := slices.Sorted(slices.Values(xs))
		if len(s)%2 == 1 {
			return s[len(s)/2]
		}
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	// ratio of a statistic of label's runs to the same statistic of base's.
	ratio := func(label, base string, stat func(*runs) float64) string {
		b := byLabel[base]
		if b == nil {
			return "-"
		}
		return fmt.Sprintf("%.2f×", stat(byLabel[label])/stat(b))
	}
	medWall := func(r *runs) float64 { return median(r.wall) }
	minWall := func(r *runs) float64 { return slices.Min(r.wall) }
	medCPU := func(r *runs) float64 { return median(r.cpu) }

	fmt.Printf("%-10s %4s %9s %9s %9s %7s | %-27s | %-11s | %9s\n", "", "", "wall", "wall", "CPU", "GiB/s",
		"÷ "+*baseline, "÷ "+*reference, "peak")
	fmt.Printf("%-10s %4s %9s %9s %9s %7s | %8s %8s %9s | %11s | %9s\n", "command", "runs", "median", "best", "median", "best",
		"wall med", "best", "CPU med", "wall med", "RSS")
	for _, label := range order {
		r := byLabel[label]
		rate := "-"
		if *bytes > 0 {
			rate = fmt.Sprintf("%.2f", float64(*bytes)/(1<<30)/minWall(r))
		}
		fmt.Printf("%-10s %4d %8.2fs %8.2fs %8.2fs %7s | %8s %8s %9s | %11s | %5.1f MiB\n", label, len(r.wall),
			medWall(r), minWall(r), medCPU(r), rate,
			ratio(label, *baseline, medWall), ratio(label, *baseline, minWall), ratio(label, *baseline, medCPU),
			ratio(label, *reference, medWall), float64(r.rssKiB)/1024)
	}
	return nil
}
