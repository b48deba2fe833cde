// Command ingest is the Go side of the ingest benchmark (bench/ingest/ingest.sh):
//
//	ingest gen -size 2048 -seed 1 -out FILE   write SIZE MiB of deterministic pseudo-random bytes
//	ingest put -data DIR [-plain] FILE…       store each file with the blob store's Put
//	ingest upload -url URL [-token T] FILE    POST FILE as a raw evidence upload, and
//	                                          report the server's CPU time and peak memory
//	ingest freeport                           print a free TCP port on loopback
//	ingest wait -url URL                      wait until a server answers at URL
//	ingest report RESULTS                     summarise measured runs as ratios to a baseline
//
// put seals what it stores with the keys of the data directory's database,
// as Dossier does (-plain: the store keeping content in clear, for
// comparison); -store takes any location blob.Open does, so the benchmark
// can measure the local directory and S3 alike.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/seal"
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
	case "upload":
		err = upload(os.Args[2:])
	case "freeport":
		err = freePort()
	case "wait":
		err = wait(os.Args[2:])
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
	fmt.Fprintln(os.Stderr, "usage: ingest gen -size MIB -seed N -out FILE | put [-store LOCATION] -data DIR [-plain] FILE… |\n"+
		"  upload -url URL [-token T] [-server-pid PID -server-stats FILE] FILE | freeport | wait -url URL | report [-baseline LABEL] RESULTS")
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
	dataDir := fs.String("data", "", "data directory: its database holds the keys, and its blobs directory the default store")
	plain := fs.Bool("plain", false, "keep content in clear under its hash, as stores made before encryption at rest")
	fs.Parse(args)
	if fs.NArg() == 0 {
		return errors.New("put: name at least one file")
	}
	ctx := context.Background()
	var store blob.Store
	if *plain {
		var err error
		if store, err = blob.Open(ctx, *location, *dataDir); err != nil {
			return err
		}
	} else {
		if *dataDir == "" {
			return errors.New("put: -data DIR is needed for the keys")
		}
		d, err := db.Open(ctx, "", *dataDir)
		if err != nil {
			return err
		}
		defer d.Close()
		sealer, err := seal.Open(ctx, d, "", seal.Options{DataDir: *dataDir})
		if err != nil {
			return err
		}
		if store, err = blob.OpenSealed(ctx, *location, *dataDir, sealer); err != nil {
			return err
		}
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

// upload sends a file as the raw body of POST URL (an evidence upload) and
// prints the SHA-256 the server computed. With -server-pid it writes the
// server's CPU seconds spent during the upload and its peak resident memory
// (VmHWM, KiB) to -server-stats, as "CPU_S MAXRSS_KIB".
func upload(args []string) error {
	fs := flag.NewFlagSet("upload", flag.ExitOnError)
	url := fs.String("url", "", "where to POST the file")
	token := fs.String("token", "", "API token, sent as a bearer token")
	pid := fs.Int("server-pid", 0, "the server's process ID")
	statsFile := fs.String("server-stats", "", "file to write the server's CPU time and peak memory to")
	fs.Parse(args)
	if *url == "" || fs.NArg() != 1 {
		return errors.New("upload: -url URL and one FILE are required")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	var cpuBefore float64
	if *pid != 0 {
		if cpuBefore, err = processCPU(*pid); err != nil {
			return err
		}
	}
	req, err := http.NewRequest(http.MethodPost, *url, f)
	if err != nil {
		return err
	}
	req.ContentLength = info.Size()
	req.Header.Set("Content-Type", "application/octet-stream")
	if *token != "" {
		req.Header.Set("Authorization", "Bearer "+*token)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("upload: %s: %s", resp.Status, body)
	}
	var item struct {
		ID   string `json:"id"`
		Blob struct {
			SHA256 string `json:"sha256"`
			Size   int64  `json:"size"`
		} `json:"blob"`
	}
	if err := json.Unmarshal(body, &item); err != nil {
		return fmt.Errorf("upload: the reply is not an evidence item: %w", err)
	}
	if *pid != 0 && *statsFile != "" {
		cpuAfter, err := processCPU(*pid)
		if err != nil {
			return err
		}
		hwm, err := processPeakRSS(*pid)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*statsFile, fmt.Appendf(nil, "%.2f %d\n", cpuAfter-cpuBefore, hwm), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("%s  %s  %d bytes  item %s  %.3f s  %.2f GiB/s\n", item.Blob.SHA256, fs.Arg(0), item.Blob.Size, item.ID,
		elapsed.Seconds(), float64(item.Blob.Size)/(1<<30)/elapsed.Seconds())
	return nil
}

// clockTicks is USER_HZ, the unit of CPU times in /proc: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// processCPU is the user and system CPU time a process has used, in seconds.
func processCPU(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: count fields
	// after its closing parenthesis. utime and stime are fields 14 and 15.
	rest := string(data[strings.LastIndexByte(string(data), ')')+1:])
	fields := strings.Fields(rest)
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	utime, err1 := strconv.ParseFloat(fields[11], 64)
	stime, err2 := strconv.ParseFloat(fields[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return (utime + stime) / clockTicks, nil
}

// processPeakRSS is a process's peak resident set size (VmHWM), in KiB.
func processPeakRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no VmHWM", pid)
}

func freePort() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	return nil
}

// wait polls url until the server answers, for up to a minute.
func wait(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ExitOnError)
	url := fs.String("url", "", "URL to poll")
	fs.Parse(args)
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(*url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wait: no answer at %s: %w", *url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
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
