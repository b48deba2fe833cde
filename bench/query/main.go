// Command query measures the latency of the incident list through the real
// HTTP server: filtered, sorted pages and full-text searches, each query
// shape a few hundred times after a warm-up, one request at a time from a Go
// client on 127.0.0.1. It prints p50, p90, p99 and the largest latency per
// shape, and how many incidents the queries matched.
//
//	go run ./bench/query -data bench/out/data            # SQLite
//	go run ./bench/query -db 'postgres://…' -data DIR    # PostgreSQL (DIR holds keys; no evidence is read)
package main

import (
	"cmp"
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime/pprof"
	"slices"
	"strconv"
	"time"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/server"
	"github.com/dossier-org/dossier/internal/synth"
)

func main() {
	dataDir := flag.String("data", "", "data directory: the SQLite store, or with -db the signing keys and evidence store")
	dbURL := flag.String("db", "", "PostgreSQL URL (instead of -data)")
	requests := flag.Int("requests", 300, "timed requests per query shape")
	warmup := flag.Int("warmup", 30, "untimed requests per shape before timing")
	only := flag.String("shapes", "", "run only the shapes whose name matches this regular expression")
	seed := flag.Uint64("seed", 1, "seed for the choice of parameter values")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the timed requests (server and client) to this file")
	jsonOut := flag.String("json", "", "also write the results as JSON to this file")
	budget := flag.Duration("budget", 2*time.Minute, "stop timing a shape after this long, whatever its count (slow shapes)")
	slowest := flag.Int("slowest", 0, "after each shape, print its this many slowest requests, to look into")
	warm := flag.Bool("warm", false, "first read the SQLite store through, as dossier serve does at start (db.DB.Warm)")
	flag.Parse()
	if *dataDir == "" {
		// The server keeps its signing keys and evidence store there, also
		// with PostgreSQL.
		fmt.Fprintln(os.Stderr, "usage: query -data DIR [-db postgres://…] [-requests N] [-warmup N] [-shapes REGEXP]")
		os.Exit(2)
	}
	if err := run(*dataDir, *dbURL, *requests, *warmup, *only, *seed, *cpuprofile, *jsonOut, *budget, *slowest, *warm); err != nil {
		fmt.Fprintln(os.Stderr, "query:", err)
		os.Exit(1)
	}
}

// shape is one kind of request; params picks the parameter values of one
// request, so that a shape is measured over several values.
type shape struct {
	name   string
	params func(r *rand.Rand) url.Values
	// follow times the page after the first, reached by its cursor.
	follow bool
}

type result struct {
	Shape    string  `json:"shape"`
	Requests int     `json:"requests"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
	Mean     float64 `json:"mean_ms"`
	HitsMin  int     `json:"hits_min"`
	HitsMed  int     `json:"hits_median"`
	HitsMax  int     `json:"hits_max"`
	Capped   int     `json:"capped"` // requests whose total reached the count limit
}

func run(dataDir, dbURL string, requests, warmup int, only string, seed uint64, cpuprofile, jsonOut string, budget time.Duration, slowest int, warm bool) error {
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DataDir: dataDir, DatabaseURL: dbURL})
	if err != nil {
		return err
	}
	defer a.Close()
	if warm {
		w, err := a.DB.Warm(ctx, db.WarmBudget())
		if err != nil {
			return err
		}
		fmt.Printf("warmed: read %d of the store's %d bytes in %.1f s (too large: %v; not SQLite: %v)\n",
			w.Read, w.Size, w.Took.Seconds(), w.TooLarge, w.NotSQLite)
	}

	shapes, err := buildShapes(ctx, a)
	if err != nil {
		return err
	}
	if only != "" {
		re, err := regexp.Compile(only)
		if err != nil {
			return fmt.Errorf("-shapes: %w", err)
		}
		shapes = slices.DeleteFunc(shapes, func(s shape) bool { return !re.MatchString(s.name) })
	}

	token, err := readerToken(ctx, a)
	if err != nil {
		return err
	}
	h, err := server.New(a, server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String() + "/api/v1/incidents?"
	client := &http.Client{Transport: bearer{token, &http.Transport{MaxIdleConnsPerHost: 4}}, Timeout: 10 * time.Minute}

	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	engine := "SQLite"
	if dbURL != "" {
		engine = "PostgreSQL"
	}
	var n int
	a.DB.QueryRow(ctx, `SELECT COUNT(*) FROM incidents`).Scan(&n)
	fmt.Printf("%s, %d incidents; %d requests per shape after %d warm-up, one at a time\n\n", engine, n, requests, warmup)
	fmt.Printf("%-34s %5s %8s %8s %8s %8s   %s\n", "shape", "n", "p50 ms", "p90 ms", "p99 ms", "max ms", "matches (min / median / max)")
	var results []result
	for _, s := range shapes {
		// Seeded by the shape's name, so that -shapes leaves each shape's values alone.
		h := fnv.New64a()
		h.Write([]byte(s.name))
		r := rand.New(rand.NewPCG(seed, h.Sum64()))
		var lat []time.Duration
		var hits []int
		var timed []timedRequest
		capped := 0
		began := time.Now()
		for j := range warmup + requests {
			if time.Since(began) > budget {
				break // a slow shape: report what was measured
			}
			q := s.params(r)
			d, page, err := get(client, base+q.Encode())
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			if s.follow {
				if page.Next == nil {
					continue // a last page: nothing to follow
				}
				q.Set("cursor", *page.Next)
				if d, page, err = get(client, base+q.Encode()); err != nil {
					return fmt.Errorf("%s: %w", s.name, err)
				}
			}
			if j >= warmup {
				timed = append(timed, timedRequest{d, q.Encode()})
				lat = append(lat, d)
				hits = append(hits, page.Total)
				if page.TotalCapped {
					capped++
				}
			}
		}
		if len(lat) == 0 {
			fmt.Printf("%-34s no request had a next page\n", s.name)
			continue
		}
		res := summarise(s.name, lat, hits, capped)
		results = append(results, res)
		note := ""
		if res.Capped > 0 {
			note = fmt.Sprintf(" (%d capped at %d)", res.Capped, incident.CountLimit)
		}
		fmt.Printf("%-34s %5d %8.1f %8.1f %8.1f %8.1f   %d / %d / %d%s\n", s.name, res.Requests, res.P50, res.P90, res.P99, res.Max,
			res.HitsMin, res.HitsMed, res.HitsMax, note)
		slices.SortFunc(timed, func(a, b timedRequest) int { return cmp.Compare(b.took, a.took) })
		for _, t := range timed[:min(slowest, len(timed))] {
			fmt.Printf("    %8.1f ms  %s\n", float64(t.took.Microseconds())/1000, t.query)
		}
	}
	if jsonOut != "" {
		b, _ := json.MarshalIndent(map[string]any{"engine": engine, "incidents": n, "requests": requests,
			"warmup": warmup, "results": results}, "", "  ")
		if err := os.WriteFile(jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

type timedRequest struct {
	took  time.Duration
	query string
}

// readerToken is an API token of an analyst who is a member of every case,
// as a real reader of the whole record would be; the server also needs an
// administrator before it serves anything. Both are made once per store.
func readerToken(ctx context.Context, a *app.App) (string, error) {
	ctx = record.WithActor(ctx, "bench")
	if need, err := a.Accounts.NeedsAdmin(ctx); err != nil {
		return "", err
	} else if need {
		if _, err := a.Accounts.AddUser(ctx, account.NewUser{Name: "bench-admin", Role: account.Administrator,
			Password: crand.Text()}); err != nil {
			return "", err
		}
	}
	u, err := a.Accounts.UserByName(ctx, "bench-reader")
	if errors.Is(err, db.ErrNotFound) {
		u, err = a.Accounts.AddUser(ctx, account.NewUser{Name: "bench-reader", Role: account.Analyst, Password: crand.Text()})
	}
	if err != nil {
		return "", err
	}
	cases, err := a.Accounts.Cases(ctx)
	if err != nil {
		return "", err
	}
	mine, err := a.Accounts.CasesOf(ctx, u.ID)
	if err != nil {
		return "", err
	}
	for _, c := range cases {
		if !slices.ContainsFunc(mine, func(m account.Case) bool { return m.ID == c.ID }) {
			if err := a.Accounts.AddToCase(ctx, u.ID, c.ID); err != nil {
				return "", err
			}
		}
	}
	token, _, err := a.Accounts.CreateToken(ctx, u.ID, "", "query benchmark", time.Hour)
	return token, err
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

type page struct {
	Next        *string `json:"next"`
	Total       int     `json:"total"`
	TotalCapped bool    `json:"total_capped"`
}

// get times one request until its body is read; decoding is not timed.
func get(c *http.Client, u string) (time.Duration, page, error) {
	start := time.Now()
	resp, err := c.Get(u)
	if err != nil {
		return 0, page{}, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, page{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, page{}, fmt.Errorf("GET %s: %s: %.300s", u, resp.Status, body)
	}
	var p page
	if err := json.Unmarshal(body, &p); err != nil {
		return 0, page{}, fmt.Errorf("GET %s: %w", u, err)
	}
	return d, p, nil
}

func summarise(name string, lat []time.Duration, hits []int, capped int) result {
	slices.Sort(lat)
	slices.Sort(hits)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	at := func(p float64) time.Duration {
		i := int(p*float64(len(lat))+0.5) - 1
		return lat[max(0, min(i, len(lat)-1))]
	}
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	return result{Shape: name, Requests: len(lat), P50: ms(at(0.50)), P90: ms(at(0.90)), P99: ms(at(0.99)),
		Max: ms(lat[len(lat)-1]), Mean: ms(sum / time.Duration(len(lat))),
		HitsMin: hits[0], HitsMed: hits[len(hits)/2], HitsMax: hits[len(hits)-1], Capped: capped}
}

// buildShapes lists the query shapes, with parameter values drawn from the
// store's own situations and parties and from the synthetic vocabulary.
func buildShapes(ctx context.Context, a *app.App) ([]shape, error) {
	sits, err := a.Situations.List(ctx)
	if err != nil {
		return nil, err
	}
	parties, err := a.Parties.List(ctx, party.Filter{TopLevel: true})
	if err != nil {
		return nil, err
	}
	if len(sits) == 0 || len(parties) == 0 {
		return nil, fmt.Errorf("the store has no situations or parties: load a synthetic set first")
	}
	sitIDs := make([]string, len(sits))
	for i, s := range sits {
		sitIDs[i] = s.ID
	}
	partyIDs := make([]string, len(parties))
	for i, p := range parties {
		partyIDs[i] = p.ID
	}
	pick := func(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }
	violation := func(r *rand.Rand) string {
		return string(incident.ViolationTypes[r.IntN(len(incident.ViolationTypes))])
	}
	age := func(r *rand.Rand) string { return string(incident.AgeGroups[r.IntN(len(incident.AgeGroups))]) }
	status := func(r *rand.Rand) string { return string(incident.Statuses[r.IntN(len(incident.Statuses))]) }
	vocab := synth.Vocabulary()
	word := func(r *rand.Rand, lo, hi int) string { return vocab[lo+r.IntN(hi-lo)] }
	arabic, hebrew := synth.ArabicVocabulary(), synth.HebrewVocabulary()
	v := func(kv ...string) url.Values {
		q := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		return q
	}

	return []shape{
		{name: "newest, no filter", params: func(r *rand.Rand) url.Values { return v("sort", "-date") }},
		{name: "situation + violation, -date", params: func(r *rand.Rand) url.Values {
			return v("situation", pick(r, sitIDs), "violation_type", violation(r), "sort", "-date")
		}},
		{name: "situation + violation, page 2", follow: true, params: func(r *rand.Rand) url.Values {
			return v("situation", pick(r, sitIDs), "violation_type", violation(r), "sort", "-date")
		}},
		{name: "party (with units), -date", params: func(r *rand.Rand) url.Values {
			return v("party", pick(r, partyIDs), "sort", "-date")
		}},
		{name: "party + violation + age, -date", params: func(r *rand.Rand) url.Values {
			return v("party", pick(r, partyIDs), "violation_type", violation(r), "age_group", age(r), "sort", "-date")
		}},
		{name: "party + age, -date", params: func(r *rand.Rand) url.Values {
			return v("party", pick(r, partyIDs), "age_group", age(r), "sort", "-date")
		}},
		{name: "status + age, -date", params: func(r *rand.Rand) url.Values {
			return v("status", status(r), "age_group", age(r), "sort", "-date")
		}},
		{name: "situation + year, -date", params: func(r *rand.Rand) url.Values {
			y := strconv.Itoa(2000 + r.IntN(26))
			return v("situation", pick(r, sitIDs), "from", y+"-01-01", "to", y+"-12-31", "sort", "-date")
		}},
		{name: "situation, title", params: func(r *rand.Rand) url.Values {
			return v("situation", pick(r, sitIDs), "sort", "title")
		}},
		{name: "violation, -updated", params: func(r *rand.Rand) url.Values {
			return v("violation_type", violation(r), "sort", "-updated")
		}},
		// Ranks 0–29 are function words (the, of, and …): a worst case no
		// search box is spared, matching most of the record.
		{name: "q function word", params: func(r *rand.Rand) url.Values { return v("q", word(r, 0, 30)) }},
		{name: "q common word", params: func(r *rand.Rand) url.Values { return v("q", word(r, 30, 120)) }},
		{name: "q mid-frequency word", params: func(r *rand.Rand) url.Values { return v("q", word(r, 200, 2000)) }},
		{name: "q rare word", params: func(r *rand.Rand) url.Values { return v("q", word(r, 10000, len(vocab))) }},
		{name: "q common + rare word", params: func(r *rand.Rand) url.Values {
			return v("q", word(r, 30, 120)+" "+word(r, 10000, len(vocab)))
		}},
		{name: "q two mid-frequency words", params: func(r *rand.Rand) url.Values {
			return v("q", word(r, 50, 500)+" "+word(r, 50, 500))
		}},
		{name: "q Arabic word", params: func(r *rand.Rand) url.Values { return v("q", pick(r, arabic)) }},
		{name: "q Hebrew word", params: func(r *rand.Rand) url.Values { return v("q", pick(r, hebrew)) }},
		{name: "q mid word + situation", params: func(r *rand.Rand) url.Values {
			return v("q", word(r, 200, 2000), "situation", pick(r, sitIDs))
		}},
		{name: "q common word + violation", params: func(r *rand.Rand) url.Values {
			return v("q", word(r, 30, 120), "violation_type", violation(r))
		}},
		{name: "q common word + party", params: func(r *rand.Rand) url.Values {
			return v("q", word(r, 30, 120), "party", pick(r, partyIDs))
		}},
		{name: "q common word + party + violation", params: func(r *rand.Rand) url.Values {
			return v("q", word(r, 30, 120), "party", pick(r, partyIDs), "violation_type", violation(r))
		}},
		{name: "q common word + party + age", params: func(r *rand.Rand) url.Values {
			return v("q", word(r, 30, 120), "party", pick(r, partyIDs), "age_group", age(r))
		}},
		{name: "q common word + violation + age", params: func(r *rand.Rand) url.Values {
			return v("q", word(r, 30, 120), "violation_type", violation(r), "age_group", age(r))
		}},
	}, nil
}
