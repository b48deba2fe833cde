package api

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"golang.org/x/mod/sumdb/note"
)

// A client that trusts only the published verifier key checks an entry's
// inclusion and the log's growth from the API's answers alone.
func TestLogProofsCheckOutAgainstTheSignedCheckpoint(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c := newClient(t, d)
		key, err := audit.LoadKey(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		c.a.LogKey = key
		for _, name := range []string{"Sudan", "Ukraine", "Mali"} {
			c.post("/api/v1/situations", map[string]any{"name": name, "conflict_class": "NIAC", "setting": "conflict"}).expect(t, 201)
		}
		c.get("/api/v1/log/checkpoint").expect(t, 404)
		var issued audit.Checkpoint
		c.post("/api/v1/log/checkpoints", nil).expect(t, 201).decode(t, &issued)
		if issued.Size != 3 {
			t.Fatalf("checkpoint of %d entries, want 3", issued.Size)
		}
		c.post("/api/v1/situations", map[string]any{"name": "DRC", "conflict_class": "NIAC", "setting": "conflict"}).expect(t, 201)

		var status logStatusBody
		c.get("/api/v1/log").expect(t, 200).decode(t, &status)
		if status.Size != 4 || status.Checkpoint == nil || status.Checkpoint.Size != 3 {
			t.Fatalf("status %+v", status)
		}
		verifier, err := note.NewVerifier(status.VerifierKey)
		if err != nil {
			t.Fatal(err)
		}
		signed := c.get("/api/v1/log/checkpoint").expect(t, 200)
		cp, _, err := audit.OpenCheckpoint(signed.body, verifier)
		if err != nil {
			t.Fatalf("the served checkpoint does not verify with the published key: %v", err)
		}

		var inc proofBody
		c.get("/api/v1/log/entries/1/proof").expect(t, 200).decode(t, &inc)
		if inc.Size != cp.Size || inc.Entry.Kind != "situation" {
			t.Fatalf("proof %+v", inc)
		}
		if err := audit.VerifyInclusion(1, cp.Size, []byte(inc.Leaf), inc.Proof, cp.Root); err != nil {
			t.Fatalf("the inclusion proof does not check out: %v", err)
		}
		if err := audit.VerifyInclusion(1, cp.Size, []byte(strings.Replace(inc.Leaf, "situation", "incident", 1)), inc.Proof, cp.Root); err == nil {
			t.Fatal("the proof checked out for an altered entry")
		}

		var cons proofBody
		c.get("/api/v1/log/consistency?from="+strconv.FormatUint(cp.Size, 10)).expect(t, 200).decode(t, &cons)
		if cons.Size != 4 {
			t.Fatalf("consistency to %d, want 4", cons.Size)
		}
		if err := audit.VerifyConsistency(cp.Size, cons.Size, cons.Proof, cp.Root, status.Root); err != nil {
			t.Fatalf("the consistency proof does not check out: %v", err)
		}

		var page logEntriesBody
		res := c.get("/api/v1/log/entries?limit=2").expect(t, 200)
		res.decode(t, &page)
		if len(page.Entries) != 2 || page.Size != 4 || !strings.Contains(res.header.Get("Link"), "from=2") {
			t.Fatalf("entries page %+v, Link %q", page, res.header.Get("Link"))
		}
		c.get("/api/v1/log/entries/9/proof").expect(t, 404)
		c.get("/api/v1/log/consistency").expect(t, http.StatusBadRequest)
		c.get("/api/v1/log/entries?from=x").expect(t, http.StatusBadRequest)
	})
}
