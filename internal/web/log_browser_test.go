package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

// TestBrowserAuditLog walks the audit log pages as an auditor would: the
// log, signing a checkpoint, one entry's proof, verification of an intact
// and of a tampered store, in English and in Arabic.
func TestBrowserAuditLog(t *testing.T) {
	chromiumPath(t)
	d := dbtest.SQLite(t)
	e := newEnv(t, d)
	key := e.withLogKey()
	e.must(audit.AddWitness(e.ctx, d, audit.Witness{Name: "court-usb", URL: "file://" + t.TempDir()}))
	cosigner, err := audit.LoadWitnessKey(t.TempDir())
	e.must(err)
	e.must(audit.AddWitness(e.ctx, d, audit.Witness{Name: "partner-ngo", URL: "http://127.0.0.1:1/witness", VerifierKey: cosigner.Public}))
	b := serveTo(t, withCSP(e.h))

	b.open("/incidents")
	b.navigate("open the audit log", chromedp.Click(chromedp.CSS(`.site-nav a[href="/log"]`)))
	b.wantText("h1", "Audit log")
	b.wantText(".log-facts", "10 entries", key.Origin())
	b.wantText("#latest-title + form button, .panel-header button", "Sign a checkpoint now")

	// One click selects the whole public key, ready to copy.
	b.do("click the key", chromedp.Click(chromedp.CSS(".copyable")))
	if got := b.eval(`window.getSelection().toString().trim()`); got != key.Public {
		t.Errorf("clicking the key selects %q, not the key", got)
	}
	b.screenshot("log-01-log-en")

	b.navigate("sign a checkpoint", chromedp.Click(chromedp.CSS(`.panel-header form[action="/log/checkpoints"] button`)))
	b.wantText(".notice--success", "A checkpoint was signed and sent to the witnesses.")
	b.wantText("pre.note", key.Origin(), "\n10\n", "— "+key.Origin())
	b.wantText("#witnesses-title + p + .notice", "1 witness did not take the newest checkpoint")
	b.wantText(".witness-error", "partner-ngo")
	b.screenshot("log-02-log-signed-en")

	// The download serves the signed note as text.
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`fetch("/log/checkpoint.txt").then(r => r.headers.get("Content-Type"))`, chromedp.EvalAwaitPromise))
	if err != nil || got != "text/plain; charset=utf-8" {
		t.Errorf("the checkpoint downloads as %q (%v)", got, err)
	}

	b.navigate("open an entry", chromedp.Click(chromedp.CSS(`.log-table a[href="/log/entries/7"]`)))
	b.wantText("h1", "Entry 7")
	b.wantText("#proof-title + p + .notice--success", "The proof leads from this entry to the checkpoint’s root hash")
	b.wantText(".proof-table", "Hash of", "Proof hash")
	b.screenshot("log-03-entry-en")

	b.navigate("all entries about the incident", chromedp.Click(chromedp.CSS(`a[href^="/log/entries?subject="]`)))
	b.wantText("h1", "Nova festival site")
	b.screenshot("log-04-subject-en")

	// Open an entry by its number, as a bundle or a report cites it.
	b.open("/log/entries")
	b.do("type an entry's number", chromedp.SendKeys(chromedp.CSS("#f-index"), "3"))
	b.screenshot("log-05-entries-en")
	b.navigate("open it", chromedp.Click(chromedp.CSS(`.log-jump button`)))
	b.wantText("h1", "Entry 3")

	b.open("/verify")
	b.navigate("run verification", chromedp.Click(chromedp.CSS(`form[action="/verify"] button`)))
	b.wantText(".notice--success", "Everything matches.")
	b.screenshot("log-06-verify-ok-en")

	// Check the log against the checkpoint kept outside, pasted in.
	cp, err := audit.LatestCheckpoint(e.ctx, d)
	e.must(err)
	b.do("paste the checkpoint", chromedp.SetValue(chromedp.CSS("#f-checkpoint"), cp.Note))
	b.navigate("check against it", chromedp.Click(chromedp.CSS(`form[action="/verify/checkpoint"] button`)))
	b.wantText("#against-title + .notice--success", "The log extends this checkpoint.")
	b.screenshot("log-07-verify-against-en")

	// Alter the record behind Dossier's back: verification names it.
	ctx := context.Background()
	e.must(d.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE incidents SET title = 'rewritten' WHERE id = '`+e.darfur.ID+`'`)
		return err
	}))
	b.open("/verify")
	b.navigate("run verification again", chromedp.Click(chromedp.CSS(`form[action="/verify"] button`)))
	b.wantText(".notice--error", "Verification found 1 problem.")
	b.wantText(".problems", "incident "+e.darfur.ID, "its content no longer matches version 1")
	b.screenshot("log-08-verify-failed-en")
	b.navigate("follow the problem to the record", chromedp.Click(chromedp.CSS(`.problems a[href="/incidents/`+e.darfur.ID+`"]`)))
	b.wantText("h1", "rewritten")

	// Arabic: right to left; hashes, keys and signed texts left to right.
	b.open("/log")
	b.navigate("switch to Arabic", chromedp.Click(chromedp.CSS(`.lang-switch button[value="ar"]`)))
	if dir := b.eval("document.documentElement.dir"); dir != "rtl" {
		t.Errorf("dir = %q in Arabic", dir)
	}
	b.wantText("h1", "سجل التدقيق")
	for _, sel := range []string{".copyable", "pre.note"} {
		if got := b.eval(`getComputedStyle(document.querySelector("` + sel + `")).direction`); got != "ltr" {
			t.Errorf("%s runs %s in Arabic", sel, got)
		}
	}
	b.screenshot("log-09-log-ar")
	b.open("/log/entries/7")
	b.wantText("h1", "القيد ٧")
	b.screenshot("log-10-entry-ar")
	b.open("/verify")
	b.navigate("run verification in Arabic", chromedp.Click(chromedp.CSS(`form[action="/verify"] button`)))
	b.wantText(".notice--error", "وجد التحقق مشكلة واحدة.")
	b.screenshot("log-11-verify-failed-ar")

	// A narrow screen keeps everything within its width.
	b.do("narrow the window", chromedp.EmulateViewport(390, 844))
	for _, path := range []string{"/log", "/log/entries/7", "/log/entries"} {
		b.open(path)
		if w := b.eval(`String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
			t.Errorf("%s overflows a narrow screen sideways", path)
		}
	}
	b.open("/log")
	b.screenshot("log-12-log-ar-narrow")

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		if strings.Contains(m, "Content Security Policy") || strings.Contains(m, "Refused to") {
			t.Errorf("the browser refused something under the CSP: %s", m)
		}
	}
}
