package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/evidence"
)

// evidenceCSP is the server's policy with WebAssembly allowed to compile
// ('wasm-unsafe-eval', which permits no eval of JavaScript): the upload
// page computes SHA-256 in the browser with hash-wasm.
var evidenceCSP = contentSecurityPolicy

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
	h, users := behindLogin(t, e.a)
	// The content route sets its own, stricter policy over this one.
	b := serveTo(t, withPolicy(evidenceCSP, h))
	b.login(users[account.Investigator])

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
	// The thumbnail loads after the page: wait for it, as for the viewer.
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`(function () {
		var img = document.querySelector("img.thumb");
		return img && img.complete && img.naturalWidth > 0;
	})()`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Errorf("the list shows no thumbnail: %v", err)
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
	b := serveTo(t, withPolicy(evidenceCSP, e.h))
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
	b := serveTo(t, withCSP(e.h))
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

// TestEvidenceViewers opens the viewer on a video, a recording and a PDF:
// the browser plays the first two through the content route's range
// requests, and shows the PDF in a frame of the page.
func TestEvidenceViewers(t *testing.T) {
	chromiumPath(t)
	e := newEvidenceEnv(t)
	b := serveTo(t, withPolicy(evidenceCSP, e.h))

	pdf := e.ingest("forensic-report.pdf", minimalPDF("Forensic report, page 1"), &evidence.Item{Type: evidence.MedicalForensic})
	b.open("/evidence/" + pdf.ID + "?view=1")
	if got := b.eval(`document.querySelector(".viewer iframe").getAttribute("src")`); got != "/evidence/"+pdf.ID+"/content" {
		t.Errorf("the PDF frame shows %q", got)
	}
	time.Sleep(2 * time.Second) // the browser's PDF viewer draws in its own time
	b.screenshot("32-evidence-viewer-pdf")

	wav := e.ingest("interview.wav", sineWAV(1), &evidence.Item{Type: evidence.Audio})
	b.open("/evidence/" + wav.ID + "?view=1")
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`(function () {
		var a = document.querySelector(".viewer audio");
		return a && a.readyState >= 1 && Math.abs(a.duration - 1) < 0.05;
	})()`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Errorf("the recording does not load: %v; %s (%s)", err, b.eval(`(function () {
			var a = document.querySelector(".viewer audio");
			return a ? a.readyState + " " + a.duration + " " + (a.error && a.error.message) : document.querySelector("#viewer").innerHTML;
		})()`), wav.MediaType)
	}

	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Log("SKIPPING the video viewer: ffmpeg is not installed to make a video")
	} else {
		clip := filepath.Join(t.TempDir(), "clip.webm")
		out, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=3:size=320x240:rate=10",
			"-c:v", "libvpx", "-b:v", "200k", "-y", clip).CombinedOutput()
		if err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, out)
		}
		content, err := os.ReadFile(clip)
		if err != nil {
			t.Fatal(err)
		}
		video := e.ingest("clip.webm", content, &evidence.Item{Type: evidence.Video})
		b.open("/evidence/" + video.ID + "?view=1")
		if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`(function () {
			var v = document.querySelector(".viewer video");
			return v && v.readyState >= 2 && Math.abs(v.duration - 3) < 0.2 && v.videoWidth === 320;
		})()`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Errorf("the video does not load: %v", err)
		}
		// Seeking asks for a range; the browser plays from there.
		b.eval(`(document.querySelector(".viewer video").currentTime = 2, "")`)
		if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`(function () {
			var v = document.querySelector(".viewer video");
			return !v.seeking && v.currentTime >= 2 && v.readyState >= 2;
		})()`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Errorf("the video does not seek: %v", err)
		}
		b.screenshot("33-evidence-viewer-video")
		if events, _ := e.store.Custody(context.Background(), video.ID); len(events) != 2 || events[1].Kind != evidence.Accessed {
			t.Errorf("watching is recorded as %+v", events)
		}
	}

	b.mu.Lock()
	for _, msg := range b.console {
		if strings.Contains(msg, "Content Security Policy") || strings.Contains(msg, "Refused to") {
			t.Errorf("the browser refused something under the CSP: %s", msg)
		}
	}
	b.mu.Unlock()
}

// minimalPDF is a one-page PDF saying text.
func minimalPDF(text string) []byte {
	stream := "BT /F1 18 Tf 30 100 Td (" + text + ") Tj ET"
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		"<< /Length " + strconv.Itoa(len(stream)) + " >>\nstream\n" + stream + "\nendstream",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var buf bytes.Buffer
	buf.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = buf.Len()
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return buf.Bytes()
}

// sineWAV is seconds of a 440 Hz tone, 8 kHz mono 16-bit PCM.
func sineWAV(seconds int) []byte {
	const rate = 8000
	n := rate * seconds
	var buf bytes.Buffer
	le := binary.LittleEndian
	buf.WriteString("RIFF")
	binary.Write(&buf, le, uint32(36+2*n))
	buf.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(2 * rate), uint16(2), uint16(16)} {
		binary.Write(&buf, le, v)
	}
	buf.WriteString("data")
	binary.Write(&buf, le, uint32(2*n))
	for i := range n {
		binary.Write(&buf, le, int16(8000*math.Sin(2*math.Pi*440*float64(i)/rate)))
	}
	return buf.Bytes()
}

// flakyNetwork stands between the browser and the server: it drops or
// holds chosen PATCH requests of uploads, as a failing network does, and
// counts the upload bytes that reach the server.
type flakyNetwork struct {
	h        http.Handler
	mu       sync.Mutex
	patches  int
	drop     int // the PATCH to drop, counting from 1; 0 for none
	hold     int // the PATCH to hold until released
	holding  bool
	release  chan struct{}
	received int64
}

func (f *flakyNetwork) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPatch || !strings.HasPrefix(r.URL.Path, uploadBase) {
		f.h.ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	f.patches++
	n := f.patches
	drop, hold := n == f.drop, n == f.hold
	if hold {
		f.holding = true
	}
	f.mu.Unlock()
	if drop || hold {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		if hold {
			<-f.release
		}
		conn.Close()
		return
	}
	r.Body = &countingBody{ReadCloser: r.Body, f: f}
	f.h.ServeHTTP(w, r)
}

func (f *flakyNetwork) set(drop, hold int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.patches, f.drop, f.hold, f.holding, f.received = 0, drop, hold, false, 0
	f.release = make(chan struct{})
}

func (f *flakyNetwork) state() (holding bool, received int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.holding, f.received
}

type countingBody struct {
	io.ReadCloser
	f *flakyNetwork
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.f.mu.Lock()
	c.f.received += int64(n)
	c.f.mu.Unlock()
	return n, err
}

// TestEvidenceUploadResumes drops a connection in the middle of an upload
// (the page resumes by itself), then leaves the page in the middle of
// another and comes back to send the same file again: it resumes from
// where the server got to, and no byte is sent twice.
func TestEvidenceUploadResumes(t *testing.T) {
	chromiumPath(t)
	e := newEvidenceEnv(t)
	net := &flakyNetwork{h: withPolicy(evidenceCSP, e.h)}
	b := serveTo(t, net)
	dir := t.TempDir()
	const chunk = 128 << 10
	write := func(name string, content []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	send := func(path string) {
		b.open("/evidence/new?incident=" + e.darfur.ID)
		b.do("choose", chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{path}))
		b.eval(fmt.Sprintf(`(function () {
			document.getElementById("upload-form").dataset.chunkSize = "%d";
			window.statuses = [];
			var status = document.querySelector(".upload-item__status");
			new MutationObserver(function () { window.statuses.push(status.textContent); })
				.observe(status, {childList: true, characterData: true, subtree: true});
			return "";
		})()`, chunk))
		b.do("send", chromedp.Click(chromedp.CSS("#upload-submit")))
	}

	// The third request is cut off: the page retries, asks the server where
	// it got to, and carries on.
	first := noisyPNG(t, 500, 500)
	net.set(3, 0)
	send(write("first.png", first))
	if !b.landsOn(evidencePath, time.Minute) {
		t.Fatalf("the upload did not recover from a dropped connection; the page shows %q", b.text("main"))
	}
	if _, received := net.state(); received != int64(len(first)) {
		t.Errorf("the server received %d bytes of a %d-byte file", received, len(first))
	}
	b.do("wait", chromedp.WaitVisible(chromedp.CSS("#sha256")))
	b.wantText("#sha256", sha(first))

	// The person leaves while the third piece is on its way, comes back
	// and sends the same file: it resumes.
	second := noisyPNG(t, 520, 500)
	net.set(0, 3)
	path := write("second.png", second)
	send(path)
	deadline := time.Now().Add(time.Minute)
	for holding, _ := net.state(); !holding; holding, _ = net.state() {
		if time.Now().After(deadline) {
			t.Fatalf("the upload never reached its third piece; the page shows %q", b.text("#upload-queue"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, before := net.state()
	if before != 2*chunk {
		t.Errorf("before leaving, the server had %d bytes, want %d", before, 2*chunk)
	}
	// The page asks before it lets an upload in progress go; the person
	// confirms.
	dialogs := chromedp.Events(b.ctx, cdppage.JavascriptDialogOpening)
	asked := make(chan string, 1)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			asked <- string(ev.Type)
			chromedp.Call(b.ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: true})
			return
		}
	}()
	b.open("/evidence")
	select {
	case kind := <-asked:
		if kind != "beforeunload" {
			t.Errorf("leaving asked a %s dialog", kind)
		}
	default:
		t.Error("leaving during an upload asked nothing")
	}
	close(net.release)
	send(path)
	if !b.landsOn(evidencePath, time.Minute) {
		t.Fatalf("the resumed upload did not finish; the page shows %q", b.text("main"))
	}
	if _, received := net.state(); received != int64(len(second)) {
		t.Errorf("the server received %d bytes in all of a %d-byte file: some were sent twice", received, len(second))
	}
	b.do("wait", chromedp.WaitVisible(chromedp.CSS("#sha256")))
	b.wantText("#sha256", sha(second))
	page, err := e.store.List(context.Background(), evidence.Filter{})
	if err != nil || page.Total != 2 {
		t.Errorf("%d items stored, %v", page.Total, err)
	}
}
