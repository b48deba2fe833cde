package web

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/dossier-org/dossier/internal/evidence"
)

// evidenceCSP is the server's policy with WebAssembly allowed to compile
// ('wasm-unsafe-eval', which permits no eval of JavaScript): the upload
// page computes SHA-256 in the browser with hash-wasm.
var evidenceCSP = strings.Replace(contentSecurityPolicy, "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", 1)

func withPolicy(policy string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", policy)
		h.ServeHTTP(w, r)
	})
}

// emulatePrint renders the page as for printing.
func emulatePrint(media string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return chromedp.Void{}, err
	}
}

var evidencePath = regexp.MustCompile(`/evidence/([0-9a-f-]{36})$`)

func TestEvidenceBrowser(t *testing.T) {
	chromiumPath(t)
	e := newEvidenceEnv(t)
	// The content route sets its own, stricter policy over this one.
	srv := httptest.NewServer(withPolicy(evidenceCSP, e.h))
	defer srv.Close()
	b := newBrowser(t, srv.URL)

	// A photograph of 1.5 MB, sent in 256 KiB pieces so that the progress
	// bar has somewhere to go.
	dir := t.TempDir()
	photo := filepath.Join(dir, "market-square.png")
	content := noisyPNG(t, 800, 600)
	if err := os.WriteFile(photo, content, 0o600); err != nil {
		t.Fatal(err)
	}

	b.open("/incidents/" + e.darfur.ID)
	b.wantText("#evidence-title", "Evidence")
	b.navigate("add evidence from the incident", chromedp.Click(chromedp.CSS(`a[href="/evidence/new?incident=`+e.darfur.ID+`"]`)))
	b.wantText("h1", "Add evidence", "El Geneina market")
	b.do("choose the file and describe it",
		chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{photo}),
		chromedp.SetValue(chromedp.CSS("#f-type"), "photo"),
		chromedp.Click(chromedp.CSS("#f-category-crime_base")),
		chromedp.SendKeys(chromedp.CSS("#f-captured_by"), "W-17"),
		chromedp.SendKeys(chromedp.CSS("#f-capture_date"), "2023-06-12"),
		chromedp.SendKeys(chromedp.CSS("#f-capture_place"), "El Geneina"),
		chromedp.SendKeys(chromedp.CSS("#f-description"), "The market square after the attack"),
	)
	b.wantText("#upload-queue", "market-square.png", "Waiting")
	b.eval(`(document.getElementById("upload-form").dataset.chunkSize = String(256 * 1024), "")`)
	b.screenshot("20-evidence-upload-en")
	b.do("send", chromedp.Click(chromedp.CSS("#upload-submit")))
	// The page moves on to the new item once the server has stored it.
	if !b.landsOn(evidencePath, time.Minute) {
		b.screenshot("20-evidence-upload-failed")
		t.Fatalf("the upload did not land on the evidence page; the page shows %q", b.text("main"))
	}
	b.do("wait for the evidence page", chromedp.WaitVisible(chromedp.CSS("#sha256")))
	m := evidencePath.FindStringSubmatch(b.location())
	if m == nil {
		t.Fatalf("landed on %s", b.location())
	}
	id := m[1]
	it, err := e.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if it.Blob.SHA256 != sha(content) || it.Type != evidence.Photo || it.Capture.By != "W-17" || len(it.Links) != 1 {
		t.Errorf("stored %+v", it)
	}
	b.wantText("#sha256", sha(content))
	b.wantText(".provenance", "W-17", "12 June 2023", "800 × 600")
	b.wantText("#custody", "Received", "computed by Dossier; matches")
	b.screenshot("21-evidence-page-en")

	// The viewer opens on request and shows the picture.
	b.navigate("show the file", chromedp.Click(chromedp.CSS("#show-file")))
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`(function () {
		var img = document.querySelector(".viewer img");
		return img && img.complete && img.naturalWidth === 800;
	})()`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the picture does not show: %v", err)
	}
	b.screenshot("22-evidence-viewer-en")
	if events, _ := e.store.Custody(context.Background(), id); len(events) != 2 || events[1].Kind != evidence.Accessed {
		t.Errorf("viewing was not recorded: %+v", events)
	}

	// A custody event entered by hand.
	b.do("fill the custody form",
		chromedp.SetValue(chromedp.CSS("#f-kind"), "transferred"),
		chromedp.SendKeys(chromedp.CSS("#f-by"), "Field team, Adré"),
		chromedp.SendKeys(chromedp.CSS("#f-recipient"), "Office of the Prosecutor"),
		chromedp.SendKeys(chromedp.CSS("#f-place"), "The Hague"),
		chromedp.SendKeys(chromedp.CSS("#f-purpose"), "Submitted for the investigation"),
		chromedp.SendKeys(chromedp.CSS("#f-sha256"), sha(content)),
	)
	b.navigate("record it", chromedp.Click(chromedp.CSS(".custody-form button[type=submit]")))
	b.wantText(".notice--success", "The custody event was recorded.")
	b.wantText("#custody", "Transferred", "Field team, Adré", "Office of the Prosecutor", "reported by Field team, Adré; matches")
	b.screenshot("23-evidence-custody-added-en")

	// The custody report, on screen and as printed.
	b.navigate("open the custody report", chromedp.Click(chromedp.CSS(`#custody a[href="/evidence/`+id+`/custody"]`)))
	b.wantText("h1", "market-square.png")
	b.wantText(".custody-report", "Received", "Accessed", "Transferred", "The Hague")
	if visible := b.eval(`String(!document.getElementById("print-report").hidden)`); visible != "true" {
		t.Error("the print button stays hidden with the script")
	}
	b.screenshot("24-custody-report-en")
	b.do("print media", emulatePrint("print"))
	if shown := b.eval(`getComputedStyle(document.querySelector(".site-header")).display`); shown != "none" {
		t.Errorf("the printed report shows the site header (%s)", shown)
	}
	b.screenshot("25-custody-report-print")
	b.do("screen media", emulatePrint(""))

	// In Arabic, right to left.
	b.navigate("switch to Arabic", chromedp.Click(chromedp.CSS(`.lang-switch button[value="ar"]`)))
	b.wantText("h1", "market-square.png")
	b.wantText(".custody-report", "استلام", "نقل")
	b.screenshot("26-custody-report-ar")
	b.open("/evidence/" + id)
	b.wantText(".provenance", "ما سجّله الأشخاص", "ما يقوله الملف نفسه")
	b.screenshot("27-evidence-page-ar")
	b.open("/evidence")
	b.screenshot("28-evidence-list-ar")
	b.navigate("switch to English", chromedp.Click(chromedp.CSS(`.lang-switch button[value="en"]`)))
	b.open("/evidence?incident=" + e.darfur.ID)
	b.wantText("#result-count", "1 item of evidence")
	if ok := b.eval(`String(document.querySelector("img.thumb").naturalWidth > 0)`); ok != "true" {
		t.Error("the list shows no thumbnail")
	}
	b.screenshot("29-evidence-list-en")

	b.mu.Lock()
	for _, msg := range b.console {
		if strings.Contains(msg, "Content Security Policy") || strings.Contains(msg, "Refused to") {
			t.Errorf("the browser refused something under the CSP: %s", msg)
		}
	}
	b.mu.Unlock()
}

// TestEvidenceUploadProgress checks what the upload page shows while it
// sends two files: the SHA-256 computed in the browser, then the progress
// bar rising to 100 %, and a link to each stored item.
func TestEvidenceUploadProgress(t *testing.T) {
	chromiumPath(t)
	e := newEvidenceEnv(t)
	srv := httptest.NewServer(withPolicy(evidenceCSP, e.h))
	defer srv.Close()
	b := newBrowser(t, srv.URL)
	dir := t.TempDir()
	files := map[string][]byte{"ruins.png": noisyPNG(t, 600, 400), "note.txt": []byte("Interview notes, W-4.\n")}
	var paths []string
	for _, name := range []string{"ruins.png", "note.txt"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, files[name], 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	b.open("/evidence/new")
	b.do("choose", chromedp.SetUploadFiles(chromedp.CSS("#f-file"), paths))
	b.eval(`(function () {
		document.getElementById("upload-form").dataset.chunkSize = String(128 * 1024);
		window.progressSeen = [];
		var bar = document.querySelector(".upload-item__bar");
		new MutationObserver(function () {
			window.progressSeen.push([bar.value, bar.parentNode.dataset.state]);
		}).observe(bar, {attributes: true});
		return "";
	})()`)
	b.do("send", chromedp.Click(chromedp.CSS("#upload-submit")))
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`document.getElementById("upload-form").dataset.finished === "true"`,
		chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		b.screenshot("30-upload-progress-failed")
		t.Fatalf("the uploads did not finish: %v; the page shows %q", err, b.text("#upload-queue"))
	}
	b.wantText("#upload-queue", "ruins.png", "note.txt", "Stored.")
	b.screenshot("30-upload-done-en")
	var seen [][2]any
	if err := json.Unmarshal([]byte(b.eval(`JSON.stringify(window.progressSeen)`)), &seen); err != nil {
		t.Fatal(err)
	}
	states := map[string]bool{}
	var between bool
	var last float64
	for _, s := range seen {
		v, _ := s[0].(float64)
		state, _ := s[1].(string)
		states[state] = true
		if state == "uploading" && v > 0 && v < 100 {
			between = true
		}
		last = v
	}
	if !states["hashing"] || !states["uploading"] || !states["done"] || !between || last != 100 {
		t.Errorf("the progress bar went %v", seen)
	}
	hashes := b.eval(`Array.from(document.querySelectorAll(".upload-item")).map(function (li) { return li.dataset.sha256; }).join(" ")`)
	if want := sha(files["ruins.png"]) + " " + sha(files["note.txt"]); hashes != want {
		t.Errorf("the browser computed %q, want %q", hashes, want)
	}
	links := strings.Fields(b.eval(`Array.from(document.querySelectorAll(".upload-item a")).map(function (a) { return a.getAttribute("href"); }).join(" ")`))
	if len(links) != 2 {
		t.Fatalf("links %v", links)
	}
	for i, name := range []string{"ruins.png", "note.txt"} {
		m := evidencePath.FindStringSubmatch(links[i])
		if m == nil {
			t.Fatalf("link %q", links[i])
		}
		if it, err := e.store.Get(context.Background(), m[1]); err != nil || it.Blob.SHA256 != sha(files[name]) || it.Filename != name {
			t.Errorf("%s stored as %+v, %v", name, it, err)
		}
	}
}

// TestEvidenceUploadUnderStrictPolicy sends a file under the server's
// current policy, which refuses WebAssembly: the browser cannot hash, says
// so, and the upload still goes through (the server hashes it).
func TestEvidenceUploadUnderStrictPolicy(t *testing.T) {
	chromiumPath(t)
	e := newEvidenceEnv(t)
	srv := httptest.NewServer(withCSP(e.h))
	defer srv.Close()
	b := newBrowser(t, srv.URL)
	content := noisyPNG(t, 200, 100)
	path := filepath.Join(t.TempDir(), "wall.png")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	b.open("/evidence/new")
	b.do("choose", chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{path}))
	b.do("send", chromedp.Click(chromedp.CSS("#upload-submit")))
	if !b.landsOn(evidencePath, time.Minute) {
		b.screenshot("31-upload-strict-failed")
		t.Fatalf("the upload did not land on the evidence page; the page shows %q", b.text("main"))
	}
	b.do("wait", chromedp.WaitVisible(chromedp.CSS("#sha256")))
	b.wantText("#sha256", sha(content))
}

// noisyPNG is a picture that does not compress: its size is about its
// pixels' (4 bytes each).
func noisyPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// landsOn waits for the page the script navigates to, up to timeout.
func (b *browser) landsOn(path *regexp.Regexp, timeout time.Duration) bool {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if loc, err := chromedp.Run(b.ctx, chromedp.Location()); err == nil && path.MatchString(loc) {
			if err := chromedp.Do(b.ctx, chromedp.WaitReady(chromedp.CSS("body"))); err == nil {
				return true
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}
