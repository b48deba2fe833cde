package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/demo"
	"github.com/dossier-org/dossier/internal/incident"
)

// contentSecurityPolicy is the policy the server sends with every page;
// the browser tests serve it too, so that any inline style or script the
// pages relied on would break them and show in the console.
const contentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

func withCSP(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
		h.ServeHTTP(w, r)
	})
}

// chromiumPath finds the browser, or skips the test loudly — except in CI,
// where a missing browser is a failure.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("DOSSIER_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" || os.Getenv("DOSSIER_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("Chromium is required here (CI=true or DOSSIER_REQUIRE_CHROMIUM=1) but was not found at /usr/bin/chromium")
	}
	t.Skip("SKIPPING browser tests: Chromium not found at /usr/bin/chromium (install the chromium package, or set DOSSIER_CHROMIUM)")
	return ""
}

// artifactsDir is where screenshots go: $DOSSIER_ARTIFACTS, or
// test-artifacts/screenshots at the repository's root.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DOSSIER_ARTIFACTS")
	if dir == "" {
		root, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(root)
			if parent == root {
				t.Fatal("no go.mod above the test's directory")
			}
			root = parent
		}
		dir = filepath.Join(root, "test-artifacts", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser drives one headless Chromium tab.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string

	mu      sync.Mutex
	console []string
}

// serveTo serves h for the test and opens a browser on it; the browser
// closes, then the server.
func serveTo(t *testing.T, h http.Handler) *browser {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return newBrowser(t, srv.URL)
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	deadline, cancelDeadline := context.WithTimeout(context.Background(), 4*time.Minute)
	alloc, cancelAlloc := chromedp.NewExecAllocator(deadline, opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc(); cancelDeadline() })
	b := &browser{t: t, ctx: ctx, base: base, dir: artifactsDir(t)}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m.String())
			b.mu.Unlock()
		}
	}()
	return b
}

// do runs steps, failing the test with what was being done.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// navigate follows a click or a submit to the page it loads.
func (b *browser) navigate(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, steps...)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	if resp.Status >= 500 {
		b.t.Fatalf("%s: status %d", what, resp.Status)
	}
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.navigate("open "+path, chromedp.Navigate(b.base+path))
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

func (b *browser) eval(expr string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return s
}

func (b *browser) location() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// screenshot saves the whole page as a PNG.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

func (b *browser) wantText(sel string, wants ...string) {
	b.t.Helper()
	got := asRead.Replace(b.text(sel))
	for _, w := range wants {
		if !strings.Contains(got, w) {
			b.t.Errorf("%s reads %q, which lacks %q", sel, got, w)
		}
	}
}

func TestBrowser(t *testing.T) {
	chromiumPath(t)
	e := newEnv(t, dbtest.SQLite(t))
	h, users := behindLogin(t, e.a)
	b := serveTo(t, withCSP(h))
	b.login(users[account.Investigator])
	sudanCase, err := e.a.Accounts.Case(e.ctx, demo.CaseSudan)
	if err != nil {
		t.Fatal(err)
	}

	const title = "Bentiu displacement site assault"

	// Create an incident through the form, acts and perpetrators included,
	// with the form's own buttons and no script.
	b.open("/incidents/new")
	b.do("fill the incident",
		chromedp.SendKeys(chromedp.CSS("#f-title"), title),
		chromedp.SendKeys(chromedp.CSS("#f-summary"), "Two survivors described the assault near the water point."),
		chromedp.SetValue(chromedp.CSS("#f-case_id"), sudanCase.ID),
		chromedp.SetValue(chromedp.CSS("#f-situation_id"), e.sudan.ID),
		chromedp.SetValue(chromedp.CSS("#f-context"), "camp"),
		chromedp.SetValue(chromedp.CSS("#f-date-precision"), "range"),
		chromedp.SendKeys(chromedp.CSS("#f-date-start"), "2024-04-02"),
		chromedp.SendKeys(chromedp.CSS("#f-date-end"), "2024-04-04"),
		chromedp.SendKeys(chromedp.CSS("#f-place-name"), "Bentiu"),
		chromedp.SendKeys(chromedp.CSS("#f-place-admin_area"), "Unity"),
		chromedp.SetValue(chromedp.CSS("#f-acts-0-violation_type"), "gang_rape"),
		chromedp.SendKeys(chromedp.CSS("#f-acts-0-victim-code"), "BT-01"),
		chromedp.SetValue(chromedp.CSS("#f-acts-0-victim-sex"), "female"),
		chromedp.SetValue(chromedp.CSS("#f-acts-0-victim-age_group"), "child"),
		chromedp.SetValue(chromedp.CSS("#f-acts-0-victim-status"), "displaced"),
	)
	b.navigate("add a perpetrator", chromedp.Click(chromedp.CSS(`button[value="add-perpetrator:0"]`)))
	if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#f-title"))); got != title {
		t.Fatalf("the form lost its title on adding a perpetrator: %q", got)
	}
	if !strings.HasSuffix(b.location(), "#act-0-perpetrators") {
		t.Errorf("adding a perpetrator did not bring the act into view: %s", b.location())
	}
	b.do("name the perpetrator",
		chromedp.SetValue(chromedp.CSS("#f-acts-0-perpetrators-0-party_id"), e.rsf.ID),
		chromedp.SendKeys(chromedp.CSS("#f-acts-0-perpetrators-0-description"), "men in RSF uniform"),
	)
	b.navigate("add a second act", chromedp.Click(chromedp.CSS(`button[value="add-act"]`)))
	b.do("fill the second act",
		chromedp.SetValue(chromedp.CSS("#f-acts-1-violation_type"), "forced_nudity"),
		chromedp.SetValue(chromedp.CSS("#f-acts-1-victim-count"), "4"),
		chromedp.SetValue(chromedp.CSS("#f-acts-1-victim-sex"), "female"),
	)
	b.navigate("add a perpetrator to the second act", chromedp.Click(chromedp.CSS(`button[value="add-perpetrator:1"]`)))
	b.do("describe the unidentified perpetrator",
		chromedp.SendKeys(chromedp.CSS("#f-acts-1-perpetrators-0-description"), "unidentified armed men"))
	b.navigate("link a source", chromedp.Click(chromedp.CSS(`button[value="add-information"]`)))
	b.do("fill the source link",
		chromedp.SetValue(chromedp.CSS("#f-information-0-source_id"), e.report.ID),
		chromedp.SetValue(chromedp.CSS("#f-information-0-connection"), "direct_victim"),
		chromedp.SendKeys(chromedp.CSS("#f-information-0-reference"), "para. 41"),
	)
	b.screenshot("01-incident-form-en")
	b.navigate("save the incident", chromedp.Click(chromedp.CSS(`.form-toolbar button[value="save"]`)))
	if !strings.Contains(b.location(), "/incidents/") || strings.HasSuffix(b.location(), "/new") {
		t.Fatalf("saving led to %s", b.location())
	}
	b.wantText("h1", title)
	b.wantText(".notice--success", "The record was created.")
	b.wantText("#acts-title", "(2)")
	b.wantText(".facts", "2–4 April 2024", "In a camp", "5 victims")
	b.screenshot("02-incident-page-en")
	list, err := e.a.Incidents.List(e.ctx, incident.Filter{Text: "Bentiu"})
	if err != nil || list.Total != 1 || len(list.Incidents[0].Acts) != 2 ||
		list.Incidents[0].CreatedBy != "user:"+users[account.Investigator].Name || list.Incidents[0].CaseID != sudanCase.ID {
		t.Fatalf("stored: %+v, %v", list, err)
	}
	id := list.Incidents[0].ID

	// Find it by search, and open it.
	b.open("/incidents")
	b.do("search", chromedp.SendKeys(chromedp.CSS("#f-q"), "Bentiu"))
	b.navigate("apply the search", chromedp.Click(chromedp.CSS(`.filters button[type="submit"]`)))
	b.wantText("#result-count", "1 incident")
	b.screenshot("03-incident-list-search-en")
	b.navigate("open the result", chromedp.Click(chromedp.CSS(`a[href="/incidents/`+id+`"]`)))
	b.wantText("h1", title)

	// Switch to Arabic: the page turns right to left, in Arabic.
	b.navigate("switch to Arabic", chromedp.Click(chromedp.CSS(`.lang-switch button[value="ar"]`)))
	if dir := b.eval("document.documentElement.dir"); dir != "rtl" {
		t.Errorf("dir = %q in Arabic", dir)
	}
	if lang := b.eval("document.documentElement.lang"); lang != "ar" {
		t.Errorf("lang = %q in Arabic", lang)
	}
	if !strings.HasSuffix(b.location(), "/incidents/"+id) {
		t.Errorf("switching language left the page: %s", b.location())
	}
	b.wantText(".site-nav", "الحوادث", "الأطراف", "الحالات", "المصادر")
	b.wantText("#acts-title", "الأفعال")
	b.wantText(".facts", "من ٢ إلى ٤ أبريل ٢٠٢٤", "في مخيم", "٥ ضحايا")
	if align := b.eval(`getComputedStyle(document.querySelector(".site-nav")).direction`); align != "rtl" {
		t.Errorf("the navigation runs %s in Arabic", align)
	}
	b.screenshot("04-incident-page-ar")

	b.open("/incidents")
	b.wantText("#result-count", "٤ حوادث")
	b.screenshot("05-incident-list-ar")

	// Validation messages in Arabic, beside their fields and in the summary.
	b.open("/incidents/new")
	b.navigate("save an empty form", chromedp.Click(chromedp.CSS(`.form-toolbar button[value="save"]`)))
	b.wantText("#error-summary", "توجد مشكلتان", "العنوان: هذا الحقل مطلوب.", "تاريخ البداية:")
	b.wantText("#f-title-error", "هذا الحقل مطلوب.")
	b.screenshot("06-incident-form-errors-ar")

	b.open("/parties/" + e.hamas.ID)
	b.wantText("h1", "حركة المقاومة الإسلامية")
	b.screenshot("07-party-ar")

	// Back to English for the history of an edited record.
	b.navigate("switch to English", chromedp.Click(chromedp.CSS(`.lang-switch button[value="en"]`)))
	b.open("/incidents/" + id + "/edit")
	b.do("change the status", chromedp.SetValue(chromedp.CSS("#f-status"), "verified"))
	b.navigate("save the change", chromedp.Click(chromedp.CSS(`.form-actions button[value="save"]`)))
	b.wantText(".notice--success", "Your changes were saved.")
	b.open("/incidents/" + id + "/history")
	b.wantText(".timeline", "Version 2 · changed", "Status", "Draft", "Verified")
	if strings.Contains(b.text(".timeline"), "Created by") {
		t.Error("editing through the form changed the record's creation stamps")
	}
	b.screenshot("08-incident-history-en")

	b.open("/parties/" + e.nukhba.ID)
	b.wantText(".breadcrumb", "Hamas", "Izz ad-Din al-Qassam Brigades", "Nukhba force")
	b.screenshot("09-party-unit-en")

	// Import a file with bad rows: the report lists each one.
	csv := filepath.Join(t.TempDir(), "situations.csv")
	if err := os.WriteFile(csv, []byte("name,conflict_class,setting\nYemen,civil war,conflict\n,NIAC,conflict\nLibya,NIAC,conflict\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.open("/transfer")
	b.screenshot("10-transfer-en")
	b.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{csv}))
	b.navigate("import", chromedp.Click(chromedp.CSS(`.two-columns button[type="submit"]`)))
	b.wantText(".report", "Nothing was imported: 2 rows were rejected.", "situations.csv")
	b.screenshot("11-transfer-report-en")

	b.navigate("switch to French", chromedp.Click(chromedp.CSS(`.lang-switch button[value="fr"]`)))
	b.open("/incidents?violation=rape")
	b.wantText("#result-count", "3 incidents")
	b.screenshot("12-incident-list-fr")
	b.navigate("switch to English", chromedp.Click(chromedp.CSS(`.lang-switch button[value="en"]`)))

	// The keyboard reaches the skip link first, and it leads to the content.
	b.open("/incidents")
	b.do("press Tab", chromedp.KeyEvent("\t"))
	if got := b.eval("document.activeElement.className"); got != "skip-link" {
		t.Errorf("the first Tab focuses %q, not the skip link", got)
	}
	b.do("follow the skip link", chromedp.KeyEvent("\r"))
	if got := b.eval("document.activeElement.id"); got != "main" {
		t.Errorf("the skip link focuses %q, not the main content", got)
	}

	// A narrow screen, right to left.
	b.navigate("switch to Arabic", chromedp.Click(chromedp.CSS(`.lang-switch button[value="ar"]`)))
	b.do("narrow the window", chromedp.EmulateViewport(390, 844))
	b.open("/incidents")
	if w := b.eval(`String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
		t.Errorf("the list overflows a narrow screen sideways")
	}
	b.screenshot("13-incident-list-ar-narrow")
	b.open("/incidents/" + id)
	b.screenshot("14-incident-page-ar-narrow")

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		if strings.Contains(m, "Content Security Policy") || strings.Contains(m, "Refused to") {
			t.Errorf("the browser refused something under the CSP: %s", m)
		}
	}
}
