// Command gen writes a synthetic record set as Dossier's CSV files, for the
// import and query benchmarks:
//
//	go run ./bench/gen -n 1000000 -seed 1 -out bench/out/csv-1m
//	go run ./bench/gen -n 2000 -seed 1 -further 2 -out bench/out/csv-more   # for a store holding seed 1's set
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/dossier-org/dossier/internal/synth"
)

func main() {
	n := flag.Int("n", 10000, "number of incidents")
	seed := flag.Uint64("seed", 1, "seed: the same seed and count give byte-identical files")
	out := flag.String("out", "", "directory to write the CSV files into (created if missing)")
	further := flag.Uint64("further", 0, "if not 0: a further set for a store that holds -seed's, its incidents drawn from this seed and referring to -seed's situations, parties and sources")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -n INCIDENTS -seed SEED [-further SEED] -out DIR")
		os.Exit(2)
	}
	start := time.Now()
	c, err := synth.WriteDir(*out, synth.Options{Incidents: *n, Seed: *seed, Further: *further})
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s in %s: %d situations, %d parties (%d names), %d sources, %d incidents, %d acts, %d perpetrators, %d information links\n",
		*out, time.Since(start).Round(time.Millisecond), c.Situations, c.Parties, c.PartyNames, c.Sources,
		c.Incidents, c.Acts, c.Perpetrators, c.Links)
}
