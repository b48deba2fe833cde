package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/blob/blobtest"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/seal"
	"github.com/dossier-org/dossier/internal/survivor"
)

// TestEvidenceOfSurvivors: a file tied to a survivor, through every route
// that touches it — uploaded raw and as a form, read back only with the
// see-identities grant, tied and untied by patch, and gone (410) once the
// survivor is erased. Every exchange is held to the OpenAPI document.
func TestEvidenceOfSurvivors(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := record.WithActor(context.Background(), "test")
		sealer, err := seal.Open(ctx, d, "", seal.Options{DataDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		a := app.New(d).WithSealer(sealer).WithBlobs(blob.NewSealedStore(blobtest.LocalBackend(t), sealer))
		h := New(a)
		seeing := &client{t: t, a: a, h: asPrincipal(h, investigator)}
		blind := &client{t: t, a: a, h: asPrincipal(h, analyst)}
		in := &incident.Incident{Title: "Attack"}
		if err := a.Incidents.Create(ctx, in); err != nil {
			t.Fatal(err)
		}
		sv := &survivor.Survivor{Code: "SYN-0051", Synthetic: true}
		if err := a.Survivors.Create(ctx, survivor.Administrator(ctx), sv, survivor.Identity{}); err != nil {
			t.Fatal(err)
		}
		other := &survivor.Survivor{Code: "SYN-0052", Synthetic: true}
		if err := a.Survivors.Create(ctx, survivor.Administrator(ctx), other, survivor.Identity{}); err != nil {
			t.Fatal(err)
		}
		content := testPNG(t)

		// Anyone who may add evidence may tie it to a survivor: it narrows
		// who may see it.
		var it evidence.Item
		blind.raw("/api/v1/evidence?incident="+in.ID+"&type=photo&survivor="+sv.ID, "image/png", content).
			expect(t, http.StatusCreated).decode(t, &it)
		if it.SurvivorID != sv.ID || it.Thumbnail == nil {
			t.Fatalf("item %+v", it)
		}
		base := "/api/v1/evidence/" + it.ID
		for _, path := range []string{base + "/content", base + "/thumbnail"} {
			if p := blind.get(path).expect(t, http.StatusForbidden).problem(t); p.Type != typeForbidden {
				t.Errorf("%s without the grant: %+v", path, p)
			}
		}
		if res := seeing.get(base+"/content").expect(t, http.StatusOK); string(res.body) != string(content) {
			t.Error("the survivor's file does not read back with the grant")
		}
		seeing.get(base+"/thumbnail").expect(t, http.StatusOK)

		metaJSON, _ := json.Marshal(map[string]any{"survivor_id": other.ID, "type": "survivor_testimony",
			"links": []map[string]string{{"kind": "incident", "id": in.ID}}})
		body, ct := multipartBody(t, formPart{"metadata", "", "application/json", metaJSON},
			formPart{"file", "interview.txt", "text/plain", []byte("synthetic transcript, not a real person")})
		var form evidence.Item
		blind.raw("/api/v1/evidence", ct, body).expect(t, http.StatusCreated).decode(t, &form)
		if form.SurvivorID != other.ID {
			t.Errorf("the form's item: %+v", form)
		}
		p := blind.raw("/api/v1/evidence?incident="+in.ID+"&survivor="+record.NewID(), "image/png", content).
			expect(t, http.StatusUnprocessableEntity).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"survivor_id:not_found"}) {
			t.Errorf("an unknown survivor: %v", fieldCodes(p))
		}

		patch := func(c *client, path, body, version string) *response {
			return c.do(request{method: "PATCH", path: path, body: body,
				headers: []string{"Content-Type", "application/merge-patch+json", "If-Match", version}})
		}
		// Moving the file away from the survivor's key needs the grant.
		if p := patch(blind, base, `{"survivor_id": null}`, `W/"1"`).expect(t, http.StatusForbidden).problem(t); p.Type != typeForbidden {
			t.Errorf("untying without the grant: %+v", p)
		}
		var moved evidence.Item
		patch(seeing, base, `{"survivor_id": "`+other.ID+`"}`, `W/"1"`).expect(t, http.StatusOK).decode(t, &moved)
		if moved.SurvivorID != other.ID || moved.Version != 2 {
			t.Errorf("moved to another survivor: %+v", moved)
		}
		p = patch(seeing, base, `{"shredded_at": "2024-01-01T00:00:00Z"}`, `W/"2"`).expect(t, http.StatusBadRequest).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"shredded_at:read_only"}) {
			t.Errorf("setting shredded_at: %v", fieldCodes(p))
		}
		var events struct{ Custody []evidence.Event }
		seeing.get(base+"/custody").expect(t, http.StatusOK).decode(t, &events)
		if len(events.Custody) < 2 || events.Custody[len(events.Custody)-1].Kind != evidence.Copied {
			t.Errorf("custody after the move: %+v", events.Custody)
		}

		if _, err := a.Survivors.Erase(ctx, other.ID, survivor.Erasure{Reason: survivor.ErasureRequest, On: "2024-05-01",
			Language: "ar", TakenBy: "WPA Darfur 2"}); err != nil {
			t.Fatal(err)
		}
		var gone evidence.Item
		blind.get(base).expect(t, http.StatusOK).decode(t, &gone)
		if gone.ShreddedAt == nil || gone.Thumbnail != nil || gone.Blob != it.Blob {
			t.Errorf("the erased survivor's item: %+v", gone)
		}
		for _, path := range []string{base + "/content", base + "/thumbnail", "/api/v1/evidence/" + form.ID + "/content"} {
			if p := seeing.get(path).expect(t, http.StatusGone).problem(t); p.Type != typeShredded {
				t.Errorf("%s after the erasure: %+v", path, p)
			}
		}
		p = patch(seeing, base, `{"survivor_id": "`+sv.ID+`"}`, `W/"3"`).expect(t, http.StatusUnprocessableEntity).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"survivor_id:shredded"}) {
			t.Errorf("tying the destroyed file again: %v", fieldCodes(p))
		}
		p = blind.raw("/api/v1/evidence?incident="+in.ID+"&survivor="+other.ID, "image/png", content).
			expect(t, http.StatusUnprocessableEntity).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"survivor_id:erased"}) {
			t.Errorf("a file for the erased survivor: %v", fieldCodes(p))
		}
	})
}
