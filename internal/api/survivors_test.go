package api

import (
	"bytes"
	"context"
	"encoding/hex"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/seal"
	"github.com/dossier-org/dossier/internal/survivor"
)

// asPrincipal puts p (nil: nobody) in every request's context, as the
// server's authentication does.
func asPrincipal(h http.Handler, p *account.Principal) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p != nil {
			r = r.WithContext(account.WithPrincipal(r.Context(), p))
		}
		h.ServeHTTP(w, r)
	})
}

var (
	investigator = &account.Principal{User: account.User{Name: "farah"}, Role: account.Investigator, SeeIdentities: true,
		Permissions: []account.Permission{account.ReadRecords, account.WriteRecords, account.SeeIdentities}}
	analyst = &account.Principal{User: account.User{Name: "omar"}, Role: account.Analyst,
		Permissions: []account.Permission{account.ReadRecords}}
)

// survivorClients are clients of one API over a Dossier with a sealer: as
// an investigator who may see identities, an analyst who may not, and
// nobody.
func survivorClients(t *testing.T, d *db.DB) (seeing, blind, anonymous *client) {
	t.Helper()
	sealer, err := seal.Open(context.Background(), d, "", seal.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(d).WithSealer(sealer)
	h := New(a)
	return &client{t: t, a: a, h: asPrincipal(h, investigator)},
		&client{t: t, a: a, h: asPrincipal(h, analyst)},
		&client{t: t, a: a, h: h}
}

const (
	apiName      = "Halima Synthetica Orrinvale"
	apiContact   = "Ask for Orrinvale at the Tamarisk pharmacy"
	apiTestimony = "The men from the Orrinvale garrison came at night and took us to the quarry"
)

func TestSurvivorAPI(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		c, blind, nobody := survivorClients(t, d)
		base := "/api/v1/survivors"

		// An identity is sealed only for a caller who may see identities.
		body := map[string]any{"code": "SYN-0042", "sex": "female", "age_group": "adult",
			"preferences": map[string]any{"interviewer_sex": "female", "languages": []string{"ar"}},
			"identity":    map[string]any{"name": apiName, "contact": apiContact}}
		for _, x := range []struct {
			c      *client
			status int
		}{{nobody, http.StatusUnauthorized}, {blind, http.StatusForbidden}} {
			res := x.c.post(base, body).expect(t, x.status)
			if bytes.Contains(res.body, []byte("Orrinvale")) {
				t.Errorf("a refusal quotes the identity: %s", res.body)
			}
		}
		res := c.post(base, body).expect(t, http.StatusCreated)
		var sv survivor.Survivor
		res.decode(t, &sv)
		if !slices.Equal(sv.Sealed, []survivor.Field{survivor.Name, survivor.Contact}) || bytes.Contains(res.body, []byte("Orrinvale")) {
			t.Fatalf("created %s", res.body)
		}
		path := base + "/" + sv.ID
		if res.header.Get("Location") != path || res.header.Get("ETag") != `W/"1"` {
			t.Errorf("headers %v", res.header)
		}

		// Anyone may read the non-identifying record.
		detail := blind.get(path).expect(t, http.StatusOK).object(t)
		if detail["code"] != "SYN-0042" || bytes.Contains(blind.get(path).body, []byte("Orrinvale")) {
			t.Errorf("detail %v", detail)
		}
		list := blind.get(base).expect(t, http.StatusOK).object(t)
		if n := len(list["survivors"].([]any)); n != 1 {
			t.Errorf("%d survivors listed", n)
		}

		// Revealing needs the grant and a purpose, and is recorded.
		reveal := map[string]any{"fields": []string{"name"}, "purpose": "Preparing the referral to the legal clinic"}
		blind.post(path+"/identity/reveal", reveal).expect(t, http.StatusForbidden)
		nobody.post(path+"/identity/reveal", reveal).expect(t, http.StatusUnauthorized)
		p := c.post(path+"/identity/reveal", map[string]any{"purpose": "x"}).expect(t, http.StatusUnprocessableEntity).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"purpose:too_short"}) {
			t.Errorf("a short purpose: %v", fieldCodes(p))
		}
		var rev survivor.Revealed
		c.post(path+"/identity/reveal", reveal).expect(t, http.StatusOK).decode(t, &rev)
		if rev.Identity.Name != apiName || rev.Identity.Contact != "" || rev.Read.Actor != "user:farah" {
			t.Errorf("revealed %+v", rev)
		}
		var reads readList
		blind.get(path+"/reads").expect(t, http.StatusOK).decode(t, &reads)
		if len(reads.Reads) != 1 || reads.Reads[0].Purpose != "Preparing the referral to the legal clinic" ||
			reads.Reads[0].PurposeSHA256 != survivor.PurposeHash("Preparing the referral to the legal clinic") {
			t.Errorf("reads %+v", reads)
		}

		// Identity: null removes a field.
		c.do(request{method: "PATCH", path: path + "/identity", body: map[string]any{"version": 1, "contact": nil}}).expect(t, http.StatusOK)
		var after survivor.Survivor
		c.get(path).expect(t, http.StatusOK).decode(t, &after)
		if after.Version != 2 || !slices.Equal(after.Sealed, []survivor.Field{survivor.Name}) {
			t.Errorf("after the patch %+v", after)
		}
		c.do(request{method: "PATCH", path: path + "/identity", body: map[string]any{"version": 1, "name": "x"}}).expect(t, http.StatusConflict)

		// Edit preferences.
		edit := map[string]any{"version": 2, "code": "SYN-0042", "sex": "female", "age_group": "adult",
			"preferences": map[string]any{"interviewer_sex": "female", "languages": []string{"ar", "fr"}, "contact_by": []string{"protection_adviser"}}}
		c.put(path, edit).expect(t, http.StatusOK)

		// Consent, then an interview that can be completed.
		consent := map[string]any{"use": "documentation", "decision": "given", "on": "2024-03-01", "language": "ar", "taken_by": "WPA Darfur 2"}
		c.post(path+"/consent", consent).expect(t, http.StatusCreated)
		p = c.post(path+"/consent", map[string]any{"use": "media", "decision": "withdrawn", "on": "2024-03-01", "language": "ar", "taken_by": "WPA"}).
			expect(t, http.StatusUnprocessableEntity).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"decision:nothing_to_withdraw"}) {
			t.Errorf("withdrawing nothing: %v", fieldCodes(p))
		}
		var cl consentList
		c.get(path+"/consent").expect(t, http.StatusOK).decode(t, &cl)
		if len(cl.History) != 1 || cl.Consent[0].Decision != survivor.Given {
			t.Errorf("consent %+v", cl)
		}

		iv := map[string]any{"held_on": "2024-03-02", "interviewer": "Investigator Farah", "interviewer_sex": "female",
			"language": "ar", "place": "partner clinic", "safeguards": []string{"care_available"}, "testimony": apiTestimony}
		blind.post(path+"/interviews", iv).expect(t, http.StatusForbidden)
		res = c.post(path+"/interviews", iv).expect(t, http.StatusCreated)
		var created interviewDetail
		res.decode(t, &created)
		if !created.HasTestimony || created.Preferences.InterviewerSex != survivor.FemaleInterviewer || bytes.Contains(res.body, []byte("garrison")) {
			t.Fatalf("interview %s", res.body)
		}
		ivPath := path + "/interviews/" + created.ID
		p = c.post(ivPath+"/complete", map[string]any{"version": 1}).expect(t, http.StatusUnprocessableEntity).problem(t)
		if !slices.Contains(fieldCodes(p), "safeguards.safe_private_place:safeguard_unmet") {
			t.Errorf("completing too early: %v", fieldCodes(p))
		}
		update := map[string]any{"version": 1, "held_on": "2024-03-02", "interviewer": "Investigator Farah", "interviewer_sex": "female",
			"language": "ar", "place": "partner clinic", "safeguards": survivor.Confirmable}
		c.put(ivPath, update).expect(t, http.StatusOK)
		var done interviewDetail
		c.post(ivPath+"/complete", map[string]any{"version": 2}).expect(t, http.StatusOK).decode(t, &done)
		if done.Status != survivor.Complete {
			t.Errorf("completed %+v", done.Interview)
		}

		// A second interview needs a reason.
		second := map[string]any{"held_on": "2024-05-02", "interviewer": "Analyst", "language": "ar"}
		p = c.post(path+"/interviews", second).expect(t, http.StatusUnprocessableEntity).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"further_reason:further_interview"}) {
			t.Errorf("a second interview: %v", fieldCodes(p))
		}

		// Testimony and search.
		var tm survivor.RevealedTestimony
		c.post(ivPath+"/testimony/reveal", map[string]any{"purpose": "Drafting the witness statement"}).expect(t, http.StatusOK).decode(t, &tm)
		if tm.Text != apiTestimony {
			t.Errorf("testimony %+v", tm)
		}
		blind.post(base+"/search", map[string]any{"query": "quarry", "purpose": "Pattern analysis of the quarry"}).expect(t, http.StatusForbidden)
		var found searchResult
		c.post(base+"/search", map[string]any{"query": "QUARRY garrison", "purpose": "Pattern analysis of the quarry"}).expect(t, http.StatusOK).decode(t, &found)
		if len(found.Matches) != 1 || found.Matches[0].InterviewID != created.ID {
			t.Errorf("search %+v", found)
		}

		// History holds no sealed value.
		hist := c.get(path+"/history").expect(t, http.StatusOK)
		if bytes.Contains(hist.body, []byte("Orrinvale")) {
			t.Error("the history holds a sealed value")
		}

		// Erasure.
		erase := map[string]any{"reason": "erasure_request", "on": "2024-06-01", "language": "ar", "taken_by": "WPA", "confirm": "SYN-0041"}
		p = c.post(path+"/erase", erase).expect(t, http.StatusBadRequest).problem(t)
		if !slices.Equal(fieldCodes(p), []string{"confirm:mismatch"}) {
			t.Errorf("a wrong confirmation: %v", fieldCodes(p))
		}
		erase["confirm"] = "SYN-0042"
		c.post(path+"/erase", erase).expect(t, http.StatusOK)
		var gone survivor.Revealed
		c.post(path+"/identity/reveal", reveal).expect(t, http.StatusOK).decode(t, &gone)
		if !gone.Erased || gone.Identity.Name != "" || gone.Read.Outcome != survivor.Gone {
			t.Errorf("after erasure %+v", gone)
		}
		p = c.do(request{method: "PATCH", path: path + "/identity", body: map[string]any{"version": 4, "name": "again"}}).
			expect(t, http.StatusConflict).problem(t)
		if p.Type != typeErased {
			t.Errorf("sealing after erasure: %+v", p)
		}
	})
}

// TestSurvivorAPILeaksNothing writes synthetic identities and testimony
// through the API, provokes every kind of error with them in the request —
// a name typed as a code, malformed JSON, unknown and mistyped fields,
// values too long, refusals, a server without its key — and then looks for
// them in every response body, everything the server logged, and every
// byte of the database (the SQLite files, or a pg_dump): zero hits. The
// survivor's code, stored in clear, is found, so the search is not blind.
func TestSurvivorAPILeaksNothing(t *testing.T) {
	secrets := []string{apiName, apiContact, apiTestimony, "Orrinvale", "Tamarisk", "garrison", "quarry"}
	var logged lockedBuffer
	previous := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(previous) })

	rawEngines(t, func(t *testing.T, d *db.DB, raw func() []byte) {
		c, blind, nobody := survivorClients(t, d)
		var bodies [][]byte
		keep := func(r *response) { bodies = append(bodies, r.body) }
		base := "/api/v1/survivors"
		identity := map[string]any{"name": apiName, "contact": apiContact}

		keep(c.post(base, map[string]any{"code": apiName, "identity": identity}).expect(t, http.StatusUnprocessableEntity))
		keep(c.post(base, map[string]any{"code": "SYN-L1", "sex": apiName, "identity": identity}).expect(t, http.StatusUnprocessableEntity))
		keep(c.post(base, map[string]any{"code": "SYN-L1", "identity": map[string]any{"name": strings.Repeat(apiName+" ", 300)}}).expect(t, http.StatusUnprocessableEntity))
		keep(c.post(base, map[string]any{"code": "SYN-L1", "identity": map[string]any{"nmae": apiName}}).expect(t, http.StatusBadRequest))
		keep(c.post(base, map[string]any{"code": "SYN-L1", "identity": map[string]any{"name": 42, "contact": apiContact}}).expect(t, http.StatusBadRequest))
		keep(c.post(base, `{"code": "SYN-L1", "identity": {"name": "`+apiName+`"`).expect(t, http.StatusBadRequest))
		keep(c.post(base, `{"code": "SYN-L1", "identity": {"name": "`+apiName+`" "contact": 1}}`).expect(t, http.StatusBadRequest))
		keep(nobody.post(base, map[string]any{"code": "SYN-L1", "identity": identity}).expect(t, http.StatusUnauthorized))
		keep(blind.post(base, map[string]any{"code": "SYN-L1", "identity": identity}).expect(t, http.StatusForbidden))

		res := c.post(base, map[string]any{"code": "SYN-LEAK-7", "identity": identity}).expect(t, http.StatusCreated)
		keep(res)
		var sv survivor.Survivor
		res.decode(t, &sv)
		path := base + "/" + sv.ID
		keep(c.post(path+"/consent", map[string]any{"use": "documentation", "decision": "given", "on": "2024-01-01", "language": "ar", "taken_by": "WPA"}))
		iv := map[string]any{"held_on": "2024-02-01", "interviewer": "Farah", "language": "ar", "testimony": apiTestimony}
		keep(blind.post(path+"/interviews", iv).expect(t, http.StatusForbidden))
		keep(c.post(path+"/interviews", map[string]any{"held_on": apiName, "interviewer": "Farah", "language": "ar", "testimony": apiTestimony}).expect(t, http.StatusUnprocessableEntity))
		keep(c.post(path+"/interviews", iv).expect(t, http.StatusCreated))
		keep(c.post(path+"/interviews", iv).expect(t, http.StatusUnprocessableEntity)) // a second, without a reason
		keep(c.post(base+"/search", map[string]any{"query": "garrison quarry", "purpose": "Pattern analysis of the night raids"}).expect(t, http.StatusOK))
		keep(blind.post(base+"/search", map[string]any{"query": "garrison quarry", "purpose": "Pattern analysis of the night raids"}).expect(t, http.StatusForbidden))
		keep(c.post(base+"/search", map[string]any{"query": "garrison", "purpose": apiName[:6]}).expect(t, http.StatusUnprocessableEntity))
		keep(c.do(request{method: "PATCH", path: path + "/identity", body: map[string]any{"version": 9, "name": apiName}}).expect(t, http.StatusConflict))

		// A server that cannot open its key-encryption key says so, and
		// logs why, without any value.
		unsealed := &client{t: t, a: c.a, h: asPrincipal(New(withoutSealer(c.a)), investigator)}
		keep(unsealed.post(base, map[string]any{"code": "SYN-L2", "identity": identity}).expect(t, http.StatusServiceUnavailable))

		for i, b := range bodies {
			for _, s := range secrets {
				if bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(s))) {
					t.Errorf("response %d holds %q: %s", i, s, clip(b))
				}
			}
		}
		dump := raw()
		if !bytes.Contains(dump, []byte("SYN-LEAK-7")) {
			t.Fatal("the survivor's code is not in the raw database: the search is blind")
		}
		for _, s := range secrets {
			if bytes.Contains(dump, []byte(s)) || bytes.Contains(dump, []byte(hex.EncodeToString([]byte(s)))) {
				t.Errorf("the raw database holds %q", s)
			}
		}
	})
	text := logged.String()
	if !strings.Contains(text, "sealed fields unavailable") {
		t.Fatal("nothing was logged: the search of the log is blind")
	}
	for _, s := range secrets {
		if strings.Contains(strings.ToLower(text), strings.ToLower(s)) {
			t.Errorf("the server's log holds %q", s)
		}
	}
}

// withoutSealer is the same Dossier as a server would open it without its
// key-encryption key.
func withoutSealer(a *app.App) *app.App {
	b := *a
	b.Sealer = nil
	b.Survivors = survivor.NewStore(a.DB, nil).Unavailable(os.ErrNotExist)
	return &b
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// rawEngines runs fn on each engine with every byte an attacker holding
// the database would have: the SQLite files, or a pg_dump.
func rawEngines(t *testing.T, fn func(t *testing.T, d *db.DB, raw func() []byte)) {
	t.Run("sqlite", func(t *testing.T) {
		d := dbtest.SQLite(t)
		fn(t, d, func() []byte {
			var all []byte
			for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
				b, err := os.ReadFile(d.Path() + suffix)
				if err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				all = append(all, b...)
			}
			return all
		})
	})
	t.Run("postgres", func(t *testing.T) {
		url := dbtest.PostgresDatabase(t)
		d, err := db.Open(context.Background(), url, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		fn(t, d, func() []byte {
			bin, err := exec.LookPath("pg_dump")
			if err != nil {
				matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
				if len(matches) == 0 {
					t.Fatal("pg_dump not found")
				}
				bin = matches[len(matches)-1]
			}
			out, err := exec.Command(bin, "--no-owner", "--dbname", url).Output()
			if err != nil {
				t.Fatalf("pg_dump: %v", err)
			}
			return out
		})
	})
}
