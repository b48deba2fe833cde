package web

import (
	"bytes"
	"context"
	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/audit"
	"net/http"
	"net/url"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/blob/blobtest"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/seal"
	"github.com/dossier-org/dossier/internal/survivor"
)

// survivorVault is a site whose evidence files are sealed with the keys of
// its own database, so that they can be sealed for survivors, with one
// survivor and one incident.
type survivorVault struct {
	*survivorSite
	sv *survivor.Survivor
	in *incident.Incident
}

func newSurvivorVault(t *testing.T) *survivorVault {
	t.Helper()
	d := dbtest.SQLite(t)
	ctx := record.WithActor(context.Background(), "test")
	sealer, err := seal.Open(ctx, d, "", seal.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(d).WithSealer(sealer).WithBlobs(blob.NewSealedStore(blobtest.LocalBackend(t), sealer))
	h, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	v := &survivorVault{survivorSite: &survivorSite{t: t, a: a, h: h}}
	v.in = &incident.Incident{Title: "Synthetic incident behind SYN-0042", Date: record.Date{Start: "2023-06-12"},
		Acts: []incident.Act{{ViolationType: incident.Rape, Victim: incident.Victim{Code: "SYN-0042"}}}}
	if err := a.Incidents.Create(ctx, v.in); err != nil {
		t.Fatal(err)
	}
	v.sv = &survivor.Survivor{Code: "SYN-0042", Synthetic: true}
	if err := a.Survivors.Create(ctx, survivor.Administrator(ctx), v.sv, survivor.Identity{}); err != nil {
		t.Fatal(err)
	}
	return v
}

func (v *survivorVault) ingest(name string, content []byte, survivorID string) *evidence.Item {
	v.t.Helper()
	it := &evidence.Item{Filename: name, Type: evidence.Photo, SurvivorID: survivorID,
		Links: []evidence.Link{{Kind: evidence.LinkIncident, ID: v.in.ID}}}
	if _, err := v.a.Evidence.Ingest(record.WithActor(context.Background(), "test"), bytes.NewReader(content), "", it); err != nil {
		v.t.Fatal(err)
	}
	return it
}

// TestEvidenceOfSurvivorPages: the upload form offers the survivors; a
// survivor's file is shown only to those who may see identities, and its
// thumbnail is not in the list; an item is tied and untied from its page;
// once the survivor is erased, the page says the file was destroyed at
// their request, and the file answers 410.
func TestEvidenceOfSurvivorPages(t *testing.T) {
	v := newSurvivorVault(t)
	ofSurvivor := v.ingest("injuries.png", picture(t, 7), v.sv.ID)
	plain := v.ingest("market.png", picture(t, 8), "")

	r := v.get(webInvestigator, "/evidence/new", "en")
	r.wantStatus(t, http.StatusOK)
	r.contains(t, `name="survivor"`, `<option value="`+v.sv.ID+`">SYN-0042</option>`, "Survivor the file identifies",
		"never put a name in them")

	// Without the grant: the item, not the file.
	r = v.get(webAnalyst, "/evidence/"+ofSurvivor.ID, "en")
	r.wantStatus(t, http.StatusOK)
	r.contains(t, "This file identifies a survivor: seeing it needs the permission to see identities.", ofSurvivor.Blob.SHA256,
		`href="/survivors/`+v.sv.ID+`"`)
	r.lacks(t, "/content?download=1", `id="show-file"`, `id="untie-survivor"`)
	for _, path := range []string{"/content", "/thumbnail"} {
		v.get(webAnalyst, "/evidence/"+ofSurvivor.ID+path, "en").wantStatus(t, http.StatusForbidden)
	}
	r = v.get(webAnalyst, "/evidence", "en")
	r.contains(t, "identifies a survivor", `src="/evidence/`+plain.ID+`/thumbnail"`)
	r.lacks(t, `src="/evidence/`+ofSurvivor.ID+`/thumbnail"`)
	// With it: the file, and the untie form.
	r = v.get(webInvestigator, "/evidence/"+ofSurvivor.ID, "en")
	r.contains(t, `id="show-file"`, "/content?download=1", `id="untie-survivor"`, "sealed with the survivor’s own key")
	if got := v.get(webInvestigator, "/evidence/"+ofSurvivor.ID+"/content", "en"); got.status != http.StatusOK || got.body != string(picture(t, 7)) {
		t.Errorf("the survivor's file with the grant: %d", got.status)
	}
	r = v.post(webAnalyst, "/evidence/"+ofSurvivor.ID+"/survivor", "en", url.Values{"action": {"untie"}, "version": {"1"}})
	r.wantStatus(t, http.StatusForbidden)
	r.contains(t, "seeing it needs the permission to see identities")

	// Tying the plain item, from its page, in French.
	r = v.get(webAnalyst, "/evidence/"+plain.ID, "fr")
	r.contains(t, "Ce fichier n’est lié à aucun survivant", `id="tie-survivor"`)
	r = v.post(webAnalyst, "/evidence/"+plain.ID+"/survivor", "fr", url.Values{"version": {"1"}})
	r.wantStatus(t, http.StatusUnprocessableEntity)
	r.contains(t, "Choisissez un survivant.")
	r = v.post(webAnalyst, "/evidence/"+plain.ID+"/survivor", "fr", url.Values{"survivor": {v.sv.ID}, "version": {"1"}})
	if to := location(t, r); to != "/evidence/"+plain.ID+"#survivor" {
		t.Fatalf("tied: to %s", to)
	}
	tied, err := v.a.Evidence.Get(context.Background(), plain.ID)
	if err != nil || tied.SurvivorID != v.sv.ID {
		t.Fatalf("the tied item: %+v, %v", tied, err)
	}
	r = v.post(webInvestigator, "/evidence/"+plain.ID+"/survivor", "en", url.Values{"action": {"untie"}, "version": {"1"}})
	r.wantStatus(t, http.StatusConflict)

	// Erased: the file is gone for good, and the page says so.
	ctx := record.WithActor(context.Background(), "test")
	if _, err := v.a.Survivors.Erase(ctx, v.sv.ID, survivor.Erasure{Reason: survivor.ErasureRequest, On: "2024-05-01",
		Language: "ar", TakenBy: "WPA Darfur 2"}); err != nil {
		t.Fatal(err)
	}
	gone, err := v.a.Evidence.Get(ctx, ofSurvivor.ID)
	if err != nil || !gone.Shredded() {
		t.Fatalf("after the erasure: %+v, %v", gone, err)
	}
	for _, lang := range []string{"en", "fr", "ar"} {
		r = v.get(webInvestigator, "/evidence/"+ofSurvivor.ID, lang)
		r.wantStatus(t, http.StatusOK)
		r.lacks(t, `id="show-file"`, "/content?download=1", `id="tie-survivor"`, `id="untie-survivor"`)
		r.contains(t, `id="shredded"`, gone.Blob.SHA256)
	}
	v.get(webInvestigator, "/evidence/"+ofSurvivor.ID, "en").contains(t, "Destroyed at the survivor’s request",
		"The file was destroyed at the survivor’s request on", "Its record, the SHA-256 of the original and its chain of custody remain.")
	for _, path := range []string{"/content", "/content?download=1", "/thumbnail"} {
		r = v.get(webInvestigator, "/evidence/"+ofSurvivor.ID+path, "en")
		r.wantStatus(t, http.StatusGone)
		r.contains(t, "destroyed at the survivor’s request")
	}
	v.get(webInvestigator, "/evidence", "en").contains(t, "destroyed at the survivor’s request")
	// The verification page lists the file as destroyed, not as altered.
	auditor := &account.Principal{User: account.User{Name: "aziz"}, Role: account.Auditor,
		Permissions: []account.Permission{account.ReadAuditLog}}
	if v.a.LogKey, err = audit.LoadKey(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	r = v.post(auditor, "/verify", "en", url.Values{})
	r.wantStatus(t, http.StatusOK)
	r.contains(t, "2 evidence files destroyed at a survivor’s request", `href="/evidence/`+ofSurvivor.ID+`"`, gone.Blob.SHA256)
	r.lacks(t, "problems-caption")
	if gone.Version != 2 {
		t.Errorf("the shredded item is at version %d", gone.Version)
	}
}
