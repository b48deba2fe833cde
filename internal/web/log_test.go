package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/source"
)

// withLogKey gives the seeded Dossier a signing key, as app.Open does.
func (e *env) withLogKey() *audit.Key {
	e.t.Helper()
	key, err := audit.LoadKey(e.t.TempDir())
	e.must(err)
	e.a.LogKey = key
	return key
}

// containsText checks the page's text, with the character references
// html/template writes (&#43; for +, &#39; for ') read back.
func (r response) containsText(t *testing.T, wants ...string) {
	t.Helper()
	text := strings.ReplaceAll(html.UnescapeString(r.body), "\u00a0", " ")
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("page lacks %q; body:\n%s", w, excerpt(r.body))
		}
	}
	if path := os.Getenv("DOSSIER_DUMP_PAGE"); path != "" {
		os.WriteFile(path, []byte(r.body), 0o644)
	}
}

// seededEntries is how many log entries newEnv's records make.
const seededEntries = 10

// sign presses "Sign a checkpoint now" and returns the notice it leads to.
func (e *env) sign(next string) response {
	e.t.Helper()
	form := url.Values{}
	if next != "" {
		form.Set("next", next)
	}
	r := e.post("/log/checkpoints", "en", form)
	r.wantStatus(e.t, http.StatusSeeOther)
	return r
}

// follow fetches where a redirect leads, with the cookies it set.
func (e *env) follow(r response, lang string) response {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodGet, r.header.Get("Location"), nil)
	req.Header.Set("Accept-Language", lang)
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		req.AddCookie(c)
	}
	return e.do(req)
}

func TestLogPageShowsTheLogCheckpointsAndWitnesses(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		key := e.withLogKey()

		page := e.get("/log", "en")
		page.wantStatus(t, http.StatusOK)
		page.containsText(t, key.Origin(), key.Public)
		page.contains(t, "<h1>Audit log</h1>", "10 entries",
			"No checkpoint has been signed yet.", `action="/log/checkpoints"`, "Sign a checkpoint now",
			"No witness is registered yet.",
			// The newest entries, newest first, linking to their records.
			`<a href="/log/entries/9" aria-label="Entry 9">9</a>`, `href="/incidents/`+e.darfur.ID+`"`,
			`href="/parties/`+e.hamas.ID+`"`, `href="/situations/`+e.sudan.ID+`"`, `href="/sources/`+e.report.ID+`"`,
			"test:seed", "Incident", "created", `aria-current="page">Audit log</a>`)
		if strings.Index(page.body, `href="/log/entries/9"`) > strings.Index(page.body, `href="/log/entries/0"`) {
			t.Error("the newest entries are not listed first")
		}
		page.lacks(t, "Older entries", "Download the checkpoint")

		// Register a directory witness and one that cannot be reached.
		dir := t.TempDir()
		e.must(audit.AddWitness(e.ctx, d, audit.Witness{Name: "court-usb", URL: "file://" + dir}))
		cosigner, err := audit.LoadWitnessKey(t.TempDir())
		e.must(err)
		e.must(audit.AddWitness(e.ctx, d, audit.Witness{Name: "partner", URL: "http://127.0.0.1:1/witness", VerifierKey: cosigner.Public}))

		r := e.sign("")
		if r.header.Get("Location") != "/log" || !strings.Contains(r.header.Get("Set-Cookie"), flashCookie+"=checkpoint_signed") {
			t.Fatalf("signing led to %q with cookies %q", r.header.Get("Location"), r.header.Get("Set-Cookie"))
		}
		page = e.follow(r, "en")
		page.wantStatus(t, http.StatusOK)
		cp, err := audit.LatestCheckpoint(e.ctx, d)
		e.must(err)
		if cp.Size != seededEntries {
			t.Fatalf("signed a checkpoint of %d entries, want %d", cp.Size, seededEntries)
		}
		page.containsText(t, cp.Note)
		page.contains(t, "A checkpoint was signed and sent to the witnesses.",
			"It covers the first 10 entries; signed", `href="/log/checkpoint.txt" download`,
			`<th scope="row" class="numeric">10</th>`, `href="/log/checkpoints/10.txt"`,
			"court-usb", "file://"+dir, "partner", "http://127.0.0.1:1/witness",
			"1 witness did not take the newest checkpoint", "witness partner")
		if b, err := os.ReadFile(filepath.Join(dir, "checkpoint")); err != nil || string(b) != cp.Note {
			t.Errorf("the directory witness holds %q, %v", b, err)
		}

		// Signing again without new writes says so.
		r = e.sign("")
		if !strings.Contains(r.header.Get("Set-Cookie"), flashCookie+"=checkpoint_current") {
			t.Errorf("a second signing set %q", r.header.Get("Set-Cookie"))
		}
		e.follow(r, "en").contains(t, "The newest checkpoint already covers the whole log")

		// The checkpoint downloads as the signed note, which verifies with
		// the public key the page shows.
		for _, path := range []string{"/log/checkpoint.txt", "/log/checkpoints/10.txt"} {
			txt := e.get(path, "")
			txt.wantStatus(t, http.StatusOK)
			if ct := txt.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("%s: Content-Type %q", path, ct)
			}
			if cd := txt.header.Get("Content-Disposition"); cd != `attachment; filename="checkpoint-10.txt"` {
				t.Errorf("%s: Content-Disposition %q", path, cd)
			}
			verifier, err := note.NewVerifier(key.Public)
			e.must(err)
			got, _, err := audit.OpenCheckpoint([]byte(txt.body), verifier)
			if err != nil || got.Size != seededEntries {
				t.Errorf("%s does not verify with the published key: %+v %v", path, got, err)
			}
		}
		if k := e.get("/log/key.txt", ""); k.status != http.StatusOK || k.body != key.Public+"\n" || k.header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("/log/key.txt: %d %q %q", k.status, k.header.Get("Content-Type"), k.body)
		}
		e.get("/log/checkpoints/9.txt", "").wantStatus(t, http.StatusNotFound)
		e.get("/log/checkpoints/ten.txt", "").wantStatus(t, http.StatusNotFound)
		e.get("/log/checkpoints/10", "").wantStatus(t, http.StatusNotFound)
	})
}

func TestLogPageListsKeptCheckpointsAPageAtATime(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	e.withLogKey()
	for i := range keptCheckpointsShown + 2 {
		e.must(e.a.Sources.Create(e.ctx, &source.Source{Kind: source.MediaReport, Title: fmt.Sprintf("Report %d", i), Reliability: source.Medium}))
		e.sign("")
	}
	page := e.get("/log", "en")
	page.contains(t, `href="/log/checkpoints/22.txt"`, `href="/log/checkpoints/13.txt"`, "Show older checkpoints", `href="/log?checkpoints=100#checkpoints-title"`)
	page.lacks(t, `href="/log/checkpoints/12.txt"`)
	all := e.get("/log?checkpoints=100", "en")
	all.contains(t, `href="/log/checkpoints/12.txt"`, `href="/log/checkpoints/11.txt"`)
	all.lacks(t, "Show older checkpoints")
	e.get("/log?checkpoints=0", "en").wantStatus(t, http.StatusNotFound)
}

func TestLogEntriesPagesAndSubjects(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	e.withLogKey()
	for i := range 55 {
		e.must(e.a.Sources.Create(e.ctx, &source.Source{Kind: source.MediaReport, Title: fmt.Sprintf("Report %d", i), Reliability: source.Medium}))
	}
	const size = seededEntries + 55

	// Newest first, fifty at a time.
	page := e.get("/log/entries", "en")
	page.wantStatus(t, http.StatusOK)
	page.contains(t, "65 entries", "Entries 15–64, newest first", `href="/log/entries/64"`, `href="/log/entries/15"`,
		`href="/log/entries?before=15" rel="next">Older entries`, `aria-disabled="true">Newer entries`)
	page.lacks(t, `href="/log/entries/14"`)
	older := e.get("/log/entries?before=15", "en")
	older.contains(t, "Entries 0–14, newest first", `href="/log/entries/0"`, `href="/log/entries" rel="prev">Newer entries`,
		`aria-disabled="true">Older entries`)
	older.lacks(t, `href="/log/entries/15"`)
	e.get("/log/entries?before=5", "en").contains(t, `href="/log/entries?before=55" rel="prev"`)
	e.get("/log/entries?before=9999", "en").contains(t, "Entries 15–64")
	e.get("/log/entries?before=x", "en").wantStatus(t, http.StatusNotFound)
	e.get("/log", "en").contains(t, `href="/log/entries?before=45">Older entries`)

	// Every entry about one record, with its title and a way back to it.
	renamed, err := e.a.Incidents.Get(e.ctx, e.nova.ID)
	e.must(err)
	renamed.Title = "Nova festival site, Re'im"
	e.must(e.a.Incidents.Update(e.ctx, renamed))
	subject := e.get("/log/entries?subject="+e.nova.ID, "en")
	subject.wantStatus(t, http.StatusOK)
	subject.contains(t, "Log entries about one record", "<bdi>Nova festival site, Re&#39;im</bdi>", "2 entries in the log",
		`href="/incidents/`+e.nova.ID+`">Open the record`, "created", "changed")
	if n := strings.Count(subject.body, `<a href="/incidents/`+e.nova.ID+`"><code dir="ltr">`); n != 2 {
		t.Errorf("the subject's page lists %d entries about it, want 2", n)
	}
	subject.lacks(t, e.kibbutz.ID)
	e.get("/log/entries?subject=nobody", "en").contains(t, "The log holds no entry about this.")

	// The record's history links to its entries.
	e.get("/incidents/"+e.nova.ID+"/history", "en").contains(t, `href="/log/entries?subject=`+e.nova.ID+`">Audit log entries`)

	// Opening an entry by number.
	r := e.get("/log/entries?index=+12+", "en")
	r.wantStatus(t, http.StatusSeeOther)
	if r.header.Get("Location") != "/log/entries/12" {
		t.Errorf("opening entry 12 led to %q", r.header.Get("Location"))
	}
	bad := e.get("/log/entries?index=twelve", "en")
	bad.wantStatus(t, http.StatusBadRequest)
	bad.contains(t, "Write the entry’s number, a whole number.", `value="twelve"`, `aria-invalid="true"`)
	beyond := e.get(fmt.Sprintf("/log/entries?index=%d", size+1), "fr")
	beyond.wantStatus(t, http.StatusBadRequest)
	beyond.contains(t, "Les entrées du journal sont numérotées de 0 à 65.")
}

func TestLogEntryShowsItsProofAndHowToCheckIt(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.withLogKey()
		const index = 7 // the first incident, Nova
		path := fmt.Sprintf("/log/entries/%d", index)

		page := e.get(path, "en")
		page.wantStatus(t, http.StatusOK)
		page.contains(t, "<h1>Entry 7</h1>", "Incident", "created", `href="/incidents/`+e.nova.ID+`"`,
			`href="/log/entries?subject=`+e.nova.ID+`">Every entry about it`,
			"still hashes to this content hash", `href="/incidents/`+e.nova.ID+`/history/1">View version 1`,
			"No checkpoint has been signed yet: sign one", `name="next" value="/log/entries/7"`,
			`href="/log/entries/6" rel="prev"`, `href="/log/entries/8" rel="next"`)
		page.lacks(t, "Check it yourself")

		entries, err := audit.Entries(e.ctx, d, index, index+1)
		e.must(err)
		leaf := entries[0].Leaf()
		page.containsText(t, string(leaf))
		page.contains(t, hex.EncodeToString(leafHash(leaf)))

		// Signing from the entry comes back to it, now with its proof.
		r := e.sign(path)
		if r.header.Get("Location") != path {
			t.Fatalf("signing from the entry led to %q", r.header.Get("Location"))
		}
		page = e.follow(r, "en")
		cp, err := audit.LatestCheckpoint(e.ctx, d)
		e.must(err)
		page.contains(t, "The proof leads from this entry to the checkpoint’s root hash",
			"The checkpoint’s signature verifies with the log’s public key.",
			"Against the newest checkpoint, which covers the first 10 entries",
			hex.EncodeToString(cp.Root), "Check it yourself, without trusting this server",
			`href="/api/v1/log/entries/7/proof?size=10"`)
		page.containsText(t, "curl -s 'http://example.com/api/v1/log/entries/7/proof?size=10' > proof.json",
			"curl -s http://example.com/log/checkpoints/10.txt > checkpoint.txt",
			"(printf '\\000'; cat leaf.txt) | sha256sum")
		// Entry 7 of 10 has siblings 6, 4–5, 0–3 and 8–9: four steps, the
		// last arriving at the root.
		steps := regexp.MustCompile(`<th scope="row" class="numeric">(\d)</th>`).FindAllStringSubmatch(page.body, -1)
		if len(steps) != 5 {
			t.Fatalf("the proof table has %d rows, want the leaf and 4 steps", len(steps))
		}
		last := strings.LastIndex(page.body, `<td><code dir="ltr" class="hash">`)
		if !strings.HasPrefix(page.body[last:], `<td><code dir="ltr" class="hash">`+hex.EncodeToString(cp.Root)+`</code>`) {
			t.Error("the last step of the proof does not arrive at the checkpoint's root")
		}

		// A later write is not covered until the next checkpoint.
		e.must(e.a.Sources.Create(e.ctx, &source.Source{Kind: source.MediaReport, Title: "Later", Reliability: source.Low}))
		e.get("/log/entries/10", "en").contains(t, "This entry was written after the newest checkpoint")
		e.get("/log/entries/11", "en").wantStatus(t, http.StatusNotFound)
		e.get("/log/entries/x", "en").wantStatus(t, http.StatusNotFound)

		// In Arabic, right to left, hashes and commands left to right.
		ar := e.get(path, "ar")
		ar.contains(t, `dir="rtl"`, "القيد ٧", "إثبات التضمين", `<pre class="command" dir="ltr"`)
	})
}

// The steps the entry page shows are those of RFC 9162's verification:
// for every entry of logs of many sizes, they arrive at the root.
func TestInclusionStepsArriveAtTheRoot(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	for i := range 37 {
		err := d.Write(ctx, func(tx *db.Tx) error {
			_, err := audit.Append(ctx, tx, audit.Entry{Actor: "test", Kind: "test", Subject: fmt.Sprint(i), Action: "append"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for size := uint64(1); size <= 37; size++ {
		root, err := audit.RootAt(ctx, d, size)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := audit.Entries(ctx, d, 0, size)
		if err != nil {
			t.Fatal(err)
		}
		for index := uint64(0); index < size; index++ {
			proof, err := audit.InclusionProof(ctx, d, index, size)
			if err != nil {
				t.Fatal(err)
			}
			leaf := entries[index].Leaf()
			steps, got := inclusionSteps(index, size, leaf, proof)
			if !bytes.Equal(got, root) {
				t.Fatalf("entry %d of %d: the steps arrive at %x, not the root %x", index, size, got, root)
			}
			if len(steps) != len(proof) || (len(steps) > 0 && steps[len(steps)-1].Result != hex.EncodeToString(root)) {
				t.Fatalf("entry %d of %d: %d steps for %d proof hashes", index, size, len(steps), len(proof))
			}
			if err := audit.VerifyInclusion(index, size, leaf, proof, root); err != nil {
				t.Fatalf("entry %d of %d: %v", index, size, err)
			}
			// An altered entry arrives elsewhere.
			if _, other := inclusionSteps(index, size, append(leaf[:len(leaf):len(leaf)], ' '), proof); bytes.Equal(other, root) {
				t.Fatalf("entry %d of %d: an altered leaf arrives at the root", index, size)
			}
		}
	}
}

func TestVerifyPageRunsVerificationAndNamesWhatWasAltered(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.withLogKey()
		e.sign("")

		page := e.get("/verify", "en")
		page.wantStatus(t, http.StatusOK)
		page.contains(t, "<h1>Verify the record</h1>", `action="/verify"`, "on a large store this takes minutes",
			`action="/verify/checkpoint"`, `enctype="multipart/form-data"`, `<label for="f-checkpoint">`, `<label for="f-checkpoint-file">`)

		ok := e.post("/verify", "en", nil)
		ok.wantStatus(t, http.StatusOK)
		ok.contains(t, `class="notice notice--success" role="status"`, "Everything matches.",
			`<th scope="row">Log entries</th><td class="numeric">10</td>`,
			`<th scope="row">Checkpoints</th><td class="numeric">1</td>`,
			`<th scope="row">Records</th><td class="numeric">10</td>`,
			`<th scope="row">Versions in the history</th><td class="numeric">10</td>`)
		ok.lacks(t, "notice--error")
		if !regexp.MustCompile(`it took [0-9.]+ s\.`).MatchString(ok.body) {
			t.Errorf("the report does not say how long it took:\n%s", excerpt(ok.body))
		}

		// Rewrite an incident's title in the database, behind Dossier's back,
		// and a log entry's text.
		ctx := context.Background()
		for _, q := range []string{
			`UPDATE incidents SET title = 'rewritten' WHERE id = '` + e.darfur.ID + `'`,
			`UPDATE audit_log SET entry = REPLACE(entry, '"actor":"test:seed"', '"actor":"someone"') WHERE idx = 2`,
		} {
			e.must(d.Write(ctx, func(tx *db.Tx) error { _, err := tx.Exec(ctx, q); return err }))
		}
		bad := e.post("/verify", "en", nil)
		bad.wantStatus(t, http.StatusOK)
		bad.contains(t, `class="notice notice--error" role="alert"`, "Verification found 4 problems.", "audit log head",
			`<a href="/incidents/`+e.darfur.ID+`">incident `+e.darfur.ID+`</a>`,
			"its content no longer matches version 1 as the audit log recorded it: it was altered outside Dossier",
			`<a href="/log/entries/2">audit log entry 2</a>`, "its text no longer matches its leaf hash",
			"checkpoint 10", "no longer hash to the root it signed")
		bad.lacks(t, "Everything matches.")

		// The entry of the altered incident says so too, and the altered
		// entry's proof no longer leads to the root the checkpoint signed.
		e.get("/log/entries/9", "en").contains(t, "no longer hashes to this content hash: it was altered after it was written")
		altered := e.get("/log/entries/2", "en")
		altered.contains(t, `class="notice notice--error" role="status"`, "The proof does not lead to the checkpoint’s root hash: the log was altered.",
			"The checkpoint’s signature verifies with the log’s public key.")
		altered.containsText(t, `"actor":"someone"`)
		altered.lacks(t, "The proof leads from this entry")

		// In Arabic, the problems keep their English words, left to right.
		ar := e.post("/verify", "ar", nil)
		ar.contains(t, "وجد التحقق ٤ مشكلات.", `<td lang="en" dir="ltr">its text no longer matches its leaf hash`)
	})
}

// postCheckpoint sends the "check against a checkpoint" form.
func (e *env) postCheckpoint(pasted, file string, lang string) response {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	e.must(mw.WriteField("checkpoint", pasted))
	if file != "" {
		fw, err := mw.CreateFormFile("checkpoint_file", "checkpoint.txt")
		e.must(err)
		fw.Write([]byte(file))
	}
	e.must(mw.Close())
	req := httptest.NewRequest(http.MethodPost, "/verify/checkpoint", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept-Language", lang)
	return e.do(req)
}

func TestVerifyAgainstACheckpointKeptOutside(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	e.withLogKey()
	e.sign("")
	kept := e.get("/log/checkpoint.txt", "").body
	e.must(e.a.Sources.Create(e.ctx, &source.Source{Kind: source.MediaReport, Title: "Later", Reliability: source.Low}))

	// Pasted into a text area, as a browser sends it: CR LF, no final break.
	pasted := strings.TrimSpace(strings.ReplaceAll(kept, "\n", "\r\n"))
	r := e.postCheckpoint(pasted, "", "en")
	r.wantStatus(t, http.StatusOK)
	r.contains(t, "The log extends this checkpoint. The checkpoint signed a log of 10 entries",
		"the log holds 11 entries today", "Consistency proof", "Dossier also kept this checkpoint")
	// Uploaded as a file.
	e.postCheckpoint("", kept, "en").contains(t, "The log extends this checkpoint.")

	// Not a checkpoint of this log.
	skey, _, err := note.GenerateKey(rand.Reader, "dossier.log/another")
	e.must(err)
	signer, err := note.NewSigner(skey)
	e.must(err)
	foreign, err := note.Sign(&note.Note{Text: "dossier.log/another\n10\n" + strings.Split(kept, "\n")[2] + "\n"}, signer)
	e.must(err)
	r = e.postCheckpoint(string(foreign), "", "en")
	r.contains(t, "This is not a checkpoint signed by this log’s key.")
	r.lacks(t, "The log extends")
	e.postCheckpoint("hello", "", "fr").contains(t, "Ce n’est pas un point de contrôle signé par la clé de ce journal.")

	// Nothing given.
	empty := e.postCheckpoint("  ", "", "en")
	empty.wantStatus(t, http.StatusBadRequest)
	empty.contains(t, "Paste a signed checkpoint, or choose its file.")

	// The log rewritten since: an entry the checkpoint covers altered.
	ctx := context.Background()
	e.must(e.a.DB.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE audit_log SET entry = REPLACE(entry, '"actor":"test:seed"', '"actor":"someone"') WHERE idx = 4`)
		return err
	}))
	r = e.postCheckpoint(kept, "", "en")
	r.contains(t, "The log does NOT extend this checkpoint", "no longer hash to its head")
	r.lacks(t, "The log extends")
}

func TestLogPagesWithoutTheSigningKey(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	page := e.get("/log", "en")
	page.wantStatus(t, http.StatusOK)
	page.contains(t, "10 entries", "The log’s signing key is not loaded here")
	page.lacks(t, "Sign a checkpoint now", "Public key")
	r := e.post("/log/checkpoints", "en", nil)
	r.wantStatus(t, http.StatusServiceUnavailable)
	r.contains(t, "No checkpoint was signed: the log’s signing key is not loaded here.")
	v := e.post("/verify", "en", nil)
	v.wantStatus(t, http.StatusServiceUnavailable)
	v.contains(t, "Verification cannot run")
	e.get("/log/checkpoint.txt", "en").wantStatus(t, http.StatusNotFound)
	e.get("/log/key.txt", "en").wantStatus(t, http.StatusNotFound)
	e.get("/log/entries/3", "en").contains(t, "No checkpoint has been signed yet")
}

func TestLogPagesInEveryLanguage(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	e.withLogKey()
	e.sign("")
	for _, tc := range []struct {
		lang  string
		wants []string
	}{
		{"en", []string{`lang="en" dir="ltr"`, "Newest signed checkpoint", "10 entries"}},
		{"fr", []string{`lang="fr" dir="ltr"`, "Dernier point de contrôle signé", "10 entrées", "Journal d’audit"}},
		{"ar", []string{`lang="ar" dir="rtl"`, "أحدث نقطة تحقق موقّعة", "١٠ قيود", "سجل التدقيق", `<pre class="note" dir="ltr"`}},
	} {
		for _, path := range []string{"/log", "/log/entries", "/log/entries/3", "/verify"} {
			r := e.get(path, tc.lang)
			r.wantStatus(t, http.StatusOK)
			if path == "/log" {
				r.contains(t, tc.wants...)
			}
			if tc.lang != "en" {
				// Every visible word of the log pages is translated: no
				// English heading is left.
				r.lacks(t, "<h1>Audit log</h1>", "<h2>Witnesses</h2>", ">Verify everything<", ">Inclusion proof<")
			}
		}
	}
}

func TestProblemURL(t *testing.T) {
	id := "0190c5a4-7b2e-7c1d-9a3f-2b8c4d5e6f70"
	tests := []struct{ what, want string }{
		{"audit log entry 1234", "/log/entries/1234"},
		{"audit log entries 256–511", "/log/entries?before=512"},
		{"incident " + id, "/incidents/" + id},
		{"party " + id + " version 2", "/parties/" + id + "/history"},
		{"situation " + id, "/situations/" + id},
		{"source " + id, "/sources/" + id},
		{"checkpoint 5000", ""},
		{"audit log head", ""},
		{"evidence file 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", ""},
		{"account " + id, ""},
		{"evidence " + id, ""}, // no evidence pages without an evidence store
		{"incident not-an-id", ""},
	}
	h := &handler{}
	for _, tt := range tests {
		if got := h.problemURL(tt.what); got != tt.want {
			t.Errorf("problemURL(%q) = %q, want %q", tt.what, got, tt.want)
		}
	}
}

func TestNormalizeNote(t *testing.T) {
	want := "origin\n3\nroot=\n\n— origin sig\n"
	for _, in := range []string{
		want,
		"origin\r\n3\r\nroot=\r\n\r\n— origin sig",
		"\ufeff  origin\n3\nroot=\n\n— origin sig\n\n\n",
	} {
		if got := normalizeNote(in); got != want {
			t.Errorf("normalizeNote(%q) = %q", in, got)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	cats := mustCatalogs(t)
	for _, tt := range []struct {
		lang string
		d    time.Duration
		want string
	}{
		{"en", 1234 * time.Millisecond, "1.2 s"},
		{"en", 42 * time.Millisecond, "0.042 s"},
		{"fr", 95 * time.Second, "95,0 s"},
		{"ar", 2500 * time.Millisecond, "٢٫٥ ث"},
	} {
		l, _ := findLanguage(tt.lang)
		if got := formatDuration(&localizer{lang: l, cat: cats[tt.lang]}, tt.d); got != tt.want {
			t.Errorf("%s %v: %q, want %q", tt.lang, tt.d, got, tt.want)
		}
	}
}

// The labels log.go computes are in every catalog.
func TestLogKeysInEveryCatalog(t *testing.T) {
	cats := mustCatalogs(t)
	keys := []string{"log.error.index_number", "log.error.index_beyond", "log.problem.no_key", "verify.problem.no_key",
		"verify.problem.no_checkpoint", "verify.problem.too_large", "verify.seconds"}
	for _, k := range []string{"situation", "party", "incident", "source", "evidence", "custody", "account", "bundle"} {
		keys = append(keys, "log.kind."+k)
	}
	for _, a := range []string{"create", "update", "collected", "received", "transferred", "accessed", "copied",
		"analysed", "exported", "returned", "destroyed"} {
		keys = append(keys, "log.action."+a)
	}
	for kind := range logKinds {
		keys = append(keys, "log.kind."+kind)
	}
	for _, l := range languages {
		for _, k := range keys {
			if _, ok := cats[l.Code][k]; !ok {
				t.Errorf("%s: missing %q", l.Code, k)
			}
		}
	}
}

// With an evidence store, entries about items of evidence and their custody
// link to the item's page, and its content is checked like a record's.
func TestLogLinksEvidenceAndCustody(t *testing.T) {
	e := newEvidenceEnv(t)
	e.withLogKey()
	it := e.ingest("bentiu-statement.png", picture(t, 3), nil)

	page := e.get("/log", "en")
	page.wantStatus(t, http.StatusOK)
	page.contains(t, "Evidence item", "Custody event", "received")
	if n := strings.Count(page.body, `<a href="/evidence/`+it.ID+`"><code dir="ltr">`+it.ID+`</code></a>`); n < 2 {
		t.Errorf("%d entries link to the item, want its creation and its custody", n)
	}

	subject := e.get("/log/entries?subject="+it.ID, "en")
	subject.contains(t, "<bdi>bentiu-statement.png</bdi>", `href="/evidence/`+it.ID+`">Open the record`)

	entries, err := audit.EntriesFor(e.ctx, e.a.DB, it.ID)
	e.must(err)
	checked := 0
	for _, en := range entries {
		if en.Kind != string(evidence.Kind) {
			continue
		}
		entry := e.get(fmt.Sprintf("/log/entries/%d", en.Index), "en")
		entry.contains(t, "version 1 of the record (Evidence item) still hashes to this content hash")
		entry.lacks(t, "/evidence/"+it.ID+"/history")
		checked++
	}
	if checked != 1 {
		t.Errorf("the log holds %d entries of the item's creation, want 1: %+v", checked, entries)
	}

	// An item altered behind Dossier's back is named, and linked to.
	ctx := context.Background()
	e.must(e.a.DB.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE evidence_items SET description = 'rewritten' WHERE id = '`+it.ID+`'`)
		return err
	}))
	e.post("/verify", "en", nil).contains(t, `<a href="/evidence/`+it.ID+`">evidence `+it.ID+`</a>`)
}
