package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/survivor"
)

// TestEvidenceSurvivorBrowser drives, in Chromium under the server's
// content security policy, the upload of a survivor's testimony recording
// tied to them from the upload form; the item's page as the investigator
// (who may see identities) and as an analyst (who may not) sees it; and,
// once the survivor is erased, the page saying the file was destroyed at
// their request, in English and Arabic.
func TestEvidenceSurvivorBrowser(t *testing.T) {
	chromiumPath(t)
	v := newSurvivorVault(t)
	// The incident is filed in the Sudan case, which the investigator and
	// the analyst both work on.
	ctx := record.WithActor(context.Background(), "test")
	sudan := &situation.Situation{Name: "Sudan", ConflictClass: "NIAC", Setting: "conflict"}
	if err := v.a.Situations.Create(ctx, sudan); err != nil {
		t.Fatal(err)
	}
	v.in.SituationID = sudan.ID
	if err := v.a.Incidents.Update(ctx, v.in); err != nil {
		t.Fatal(err)
	}
	h, users := behindLogin(t, v.a)
	b := serveTo(t, withPolicy(evidenceCSP, h))
	b.login(users[account.Investigator])

	dir := t.TempDir()
	photo := filepath.Join(dir, "injuries-2023-06-12.png")
	content := noisyPNG(t, 640, 480)
	if err := os.WriteFile(photo, content, 0o600); err != nil {
		t.Fatal(err)
	}
	b.open("/evidence/new?incident=" + v.in.ID)
	b.wantText("h1", "Add evidence", "Synthetic incident behind SYN-0042")
	b.wantText("#f-survivor", "SYN-0042")
	b.do("choose the file, the survivor and the type",
		chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{photo}),
		chromedp.SetValue(chromedp.CSS("#f-type"), "medical_forensic_record"),
		chromedp.SetValue(chromedp.CSS("#f-survivor"), v.sv.ID),
		chromedp.SendKeys(chromedp.CSS("#f-description"), "Photographs of injuries taken at the clinic"),
	)
	b.screenshot("evidence-survivor-upload-en")
	b.do("send", chromedp.Click(chromedp.CSS("#upload-submit")))
	if !b.landsOn(evidencePath, time.Minute) {
		b.screenshot("evidence-survivor-upload-failed")
		t.Fatalf("the upload did not land on the evidence page; the page shows %q", b.text("main"))
	}
	b.do("wait for the evidence page", chromedp.WaitVisible(chromedp.CSS("#sha256")))
	id := evidencePath.FindStringSubmatch(b.location())[1]
	it, err := v.a.Evidence.Get(context.Background(), id)
	if err != nil || it.SurvivorID != v.sv.ID || it.Blob.SHA256 != sha(content) {
		t.Fatalf("stored %+v, %v", it, err)
	}
	b.wantText("#survivor", "This file identifies survivor SYN-0042", "sealed with the survivor’s own key")
	b.navigate("show the file", chromedp.Click(chromedp.CSS("#show-file")))
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`(function () {
		var img = document.querySelector(".viewer img");
		return img && img.complete && img.naturalWidth === 640;
	})()`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the survivor's picture does not show with the grant: %v", err)
	}
	b.screenshot("evidence-survivor-page-en")

	// An analyst of the same case sees the item, not the file.
	analyst := newBrowser(t, b.base)
	analyst.login(users[account.Analyst])
	analyst.open("/evidence/" + id)
	analyst.wantText("#closed", "This file identifies a survivor: seeing it needs the permission to see identities.")
	if n := analyst.eval(`String(document.querySelectorAll('a[href$="/content?download=1"], #show-file, img.thumb').length)`); n != "0" {
		t.Errorf("the analyst is offered the survivor's file (%s links)", n)
	}
	analyst.screenshot("evidence-survivor-closed-en")

	// Erased at their request: the file is destroyed, the item stays.
	if _, err := v.a.Survivors.Erase(ctx, v.sv.ID, survivor.Erasure{Reason: survivor.FullWithdrawal, On: time.Now().UTC().Format("2006-01-02"),
		Language: "ar", TakenBy: "WPA Darfur 2"}); err != nil {
		t.Fatal(err)
	}
	b.open("/evidence/" + id)
	b.wantText("#shredded", "Destroyed at the survivor’s request", "The file was destroyed at the survivor’s request on")
	b.wantText("#sha256", sha(content))
	b.wantText("#custody", "Destroyed", "crypto-shredded")
	if n := b.eval(`String(document.querySelectorAll('a[href$="/content?download=1"], #show-file, #tie-survivor, #untie-survivor').length)`); n != "0" {
		t.Errorf("the destroyed file is still offered (%s controls)", n)
	}
	b.screenshot("evidence-survivor-shredded-en")
	b.navigate("switch to Arabic", chromedp.Click(chromedp.CSS(`.lang-switch button[value="ar"]`)))
	b.wantText("#shredded", "أُتلف بطلب من الناجي")
	if dir := b.eval(`document.documentElement.dir`); dir != "rtl" {
		t.Errorf("dir %q in Arabic", dir)
	}
	b.screenshot("evidence-survivor-shredded-ar")
	b.open("/evidence")
	b.wantText("main", "أُتلف بطلب من الناجي")
	b.screenshot("evidence-survivor-list-ar")

	for _, br := range []*browser{b, analyst} {
		br.mu.Lock()
		for _, msg := range br.console {
			if strings.Contains(msg, "Content Security Policy") || strings.Contains(msg, "Refused to") {
				t.Errorf("the browser refused something under the CSP: %s", msg)
			}
		}
		br.mu.Unlock()
	}
}
