package bundle_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/blob/blobtest"
	"github.com/dossier-org/dossier/internal/bundle"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// exported builds a store with an incident and two evidence files, and
// writes its bundle.
func exported(t *testing.T, d *db.DB) (*app.App, string, string) {
	t.Helper()
	ctx := record.WithActor(context.Background(), "test")
	a := app.New(d).WithBlobs(blobtest.Local(t))
	var err error
	if a.LogKey, err = audit.LoadKey(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	in := &incident.Incident{Title: "Attack on a camp", Place: incident.Place{Name: "Camp", Country: "SD"},
		Date: record.Date{Start: "2023-06-15", Precision: record.DateDay},
		Acts: []incident.Act{{ViolationType: "rape", Victim: incident.Victim{Code: "SYN-0001"}}}}
	if err := a.Incidents.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"statement.txt", "photo & notes (1).txt"} {
		content := bytes.Repeat([]byte(fmt.Sprintf("synthetic evidence %d\n", i)), 500)
		it := &evidence.Item{Filename: name, Type: evidence.Document, Links: []evidence.Link{{Kind: evidence.LinkIncident, ID: in.ID}}}
		if _, err := a.Evidence.Ingest(ctx, bytes.NewReader(content), "", it); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "bundle")
	m, err := bundle.Write(ctx, a, in.ID, dir, bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Evidence) != 2 {
		t.Fatalf("manifest lists %d evidence files", len(m.Evidence))
	}
	return a, in.ID, dir
}

func TestBundleVerifiesOfflineAndWithStandardTools(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		a, id, dir := exported(t, d)
		r, err := bundle.VerifyDir(dir, a.LogKey.Public)
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() || r.Incident != id || r.Evidence != 2 || r.Entries < 7 || r.KeySource != "given" {
			t.Fatalf("an intact bundle: %+v", r)
		}
		// The export is in each file's chain of custody.
		page, err := a.Evidence.List(context.Background(), evidence.Filter{IncidentID: id})
		if err != nil {
			t.Fatal(err)
		}
		events, err := a.Evidence.Custody(context.Background(), page.Items[0].ID)
		if err != nil || events[len(events)-1].Kind != evidence.Exported {
			t.Fatalf("custody after the export: %+v (%v)", events, err)
		}

		run := func(name string, args ...string) string {
			t.Helper()
			if _, err := exec.LookPath(name); err != nil {
				if os.Getenv("CI") == "true" {
					t.Fatalf("%s is required in CI: %v", name, err)
				}
				t.Skipf("SKIPPING the %s check: %v", name, err)
			}
			cmd := exec.Command(name, args...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s %v: %v\n%s", name, args, err, out)
			}
			return string(out)
		}
		if out := run("sha256sum", "-c", "SHA256SUMS"); strings.Contains(out, "FAILED") || !strings.Contains(out, "records/incident.json: OK") {
			t.Fatalf("sha256sum -c:\n%s", out)
		}
		if out := run("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "log/log-key.pem", "-rawin",
			"-in", "log/checkpoint.body", "-sigfile", "log/checkpoint.sig"); !strings.Contains(out, "Signature Verified Successfully") {
			t.Fatalf("openssl:\n%s", out)
		}
		for n := range r.Entries {
			out := run("sh", "check-proof.sh", "log/proofs.json", fmt.Sprint(n))
			var computed, signed string
			for _, line := range strings.Split(out, "\n") {
				if v, ok := strings.CutPrefix(line, "computed root:   "); ok {
					computed = v
				}
				if v, ok := strings.CutPrefix(line, "checkpoint root: "); ok {
					signed = v
				}
			}
			if computed == "" || computed != signed {
				t.Fatalf("check-proof.sh on entry %d:\n%s", n, out)
			}
		}
		// The README names the key to compare with.
		readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
		if !strings.Contains(string(readme), a.LogKey.Public) {
			t.Fatal("the README does not give the log's key")
		}
	})
}

func TestVerifyBundleNamesWhatWasAltered(t *testing.T) {
	a, _, dir := exported(t, dbtest.SQLite(t))
	base := fstest.MapFS{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		base[filepath.ToSlash(rel)] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var evidenceFile string
	for name := range base {
		if strings.HasPrefix(name, "evidence/") {
			evidenceFile = name
		}
	}
	// resum rewrites SHA256SUMS for the files as they now are, as a careful
	// forger would.
	resum := func(fsys fstest.MapFS) {
		var lines []string
		for name, f := range fsys {
			if name == "SHA256SUMS" || strings.HasPrefix(name, "log/") {
				continue
			}
			sum := sha256.Sum256(f.Data)
			lines = append(lines, hex.EncodeToString(sum[:])+"  "+name)
		}
		fsys["SHA256SUMS"] = &fstest.MapFile{Data: []byte(strings.Join(lines, "\n") + "\n")}
	}
	cases := []struct {
		name   string
		tamper func(fsys fstest.MapFS)
		key    string
		want   string
	}{
		{"an evidence file altered", func(fsys fstest.MapFS) {
			b := bytes.Clone(fsys[evidenceFile].Data)
			b[10] ^= 1
			fsys[evidenceFile] = &fstest.MapFile{Data: b}
		}, "", evidenceFile + ": its SHA-256 is"},
		{"an evidence file altered and the sums rewritten", func(fsys fstest.MapFS) {
			b := bytes.Clone(fsys[evidenceFile].Data)
			b[10] ^= 1
			fsys[evidenceFile] = &fstest.MapFile{Data: b}
			resum(fsys)
		}, "", "SHA256SUMS: no log entry of this export vouches for it"},
		{"the incident rewritten", func(fsys fstest.MapFS) {
			fsys["records/incident.json"] = &fstest.MapFile{Data: bytes.Replace(fsys["records/incident.json"].Data, []byte("Attack on a camp"), []byte("Nothing happened"), 1)}
			resum(fsys)
		}, "", "records/incident.json: its SHA-256 is not the content hash"},
		{"a file added", func(fsys fstest.MapFS) {
			fsys["evidence/extra.txt"] = &fstest.MapFile{Data: []byte("planted")}
		}, "", "evidence/extra.txt: not listed"},
		{"a log entry altered", func(fsys fstest.MapFS) {
			fsys["log/proofs.json"] = &fstest.MapFile{Data: bytes.Replace(fsys["log/proofs.json"].Data, []byte(`\"action\":\"create\"`), []byte(`\"action\":\"update\"`), 1)}
		}, "", "its inclusion proof does not lead to the signed root"},
		{"another log's key", func(fstest.MapFS) {}, otherKey(t), "log/checkpoint.txt: its signature does not verify"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for k, v := range base {
				fsys[k] = &fstest.MapFile{Data: bytes.Clone(v.Data)}
			}
			tc.tamper(fsys)
			key := tc.key
			if key == "" {
				key = a.LogKey.Public
			}
			r, err := bundle.Verify(fsys, key)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, p := range r.Problems {
				lines = append(lines, p.String())
			}
			if all := strings.Join(lines, "\n"); !strings.Contains(all, tc.want) {
				t.Fatalf("problems do not name %q:\n%s", tc.want, all)
			}
		})
	}
}

func otherKey(t *testing.T) string {
	k, err := audit.LoadKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return k.Public
}

// fixture is a small real bundle kept in testdata, so that the fuzz target
// needs no database: UPDATE_FIXTURE=1 go test -run TestFixture rewrites it.
const fixture = "testdata/fixture"

func TestFixture(t *testing.T) {
	if os.Getenv("UPDATE_FIXTURE") == "1" {
		_, _, dir := exported(t, dbtest.SQLite(t))
		if err := os.RemoveAll(fixture); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(fixture, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := bundle.VerifyDir(fixture, "")
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Evidence != 2 || r.KeySource != "bundle" {
		t.Fatalf("the fixture: %+v", r)
	}
}

// FuzzVerifyBundle feeds arbitrary bytes in place of each metadata file of
// a real bundle: verification may find problems but must never panic.
func FuzzVerifyBundle(f *testing.F) {
	base := fstest.MapFS{}
	var names []string
	err := filepath.WalkDir(fixture, func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(fixture, p)
		rel = filepath.ToSlash(rel)
		base[rel] = &fstest.MapFile{Data: b}
		if !strings.HasPrefix(rel, "evidence/") {
			names = append(names, rel)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	sort.Strings(names)
	for i, n := range names {
		f.Add(uint8(i), base[n].Data)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		fsys := fstest.MapFS{}
		for k, v := range base {
			fsys[k] = v
		}
		fsys[names[int(which)%len(names)]] = &fstest.MapFile{Data: data}
		if _, err := bundle.Verify(fsys, ""); err != nil {
			return
		}
	})
}

// An item about one survivor's act goes into a bundle only with their
// consent to use in legal proceedings.
func TestBundleLeavesOutWhatASurvivorDidNotConsentTo(t *testing.T) {
	ctx := record.WithActor(context.Background(), "test")
	a, id, _ := exported(t, dbtest.SQLite(t))
	in, err := a.Incidents.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	it := &evidence.Item{Filename: "testimony.txt", Type: evidence.SurvivorTestimony,
		Links: []evidence.Link{{Kind: evidence.LinkAct, ID: in.Acts[0].ID}}}
	if _, err := a.Evidence.Ingest(ctx, strings.NewReader("synthetic testimony"), "", it); err != nil {
		t.Fatal(err)
	}
	m, err := bundle.Write(ctx, a, id, filepath.Join(t.TempDir(), "b"), bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Evidence) != 2 || len(m.Excluded) != 1 || m.Excluded[0].ID != it.ID || !strings.Contains(m.Excluded[0].Reason, "SYN-0001") {
		t.Fatalf("without consent: %d in, excluded %+v", len(m.Evidence), m.Excluded)
	}
	sv := &survivor.Survivor{Code: "SYN-0001", Synthetic: true}
	if err := a.Survivors.Create(ctx, survivor.Administrator(ctx), sv, survivor.Identity{}); err != nil {
		t.Fatal(err)
	}
	if err := a.Survivors.RecordConsent(ctx, &survivor.Consent{SurvivorID: sv.ID, Use: survivor.LegalProceedings,
		Decision: survivor.Given, On: "2026-01-05", Language: "en", TakenBy: "synthetic interviewer"}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "c")
	if m, err = bundle.Write(ctx, a, id, dir, bundle.Options{}); err != nil {
		t.Fatal(err)
	}
	if len(m.Evidence) != 3 || len(m.Excluded) != 0 {
		t.Fatalf("with consent: %d in, excluded %+v", len(m.Evidence), m.Excluded)
	}
	if r, err := bundle.VerifyDir(dir, a.LogKey.Public); err != nil || !r.OK() {
		t.Fatalf("%+v %v", r, err)
	}
}

// Files tied to survivors go into a bundle with the survivor's consent to
// legal proceedings, and only for an exporter who may see them; a file
// destroyed at the survivor's request is listed as withheld, with why.
func TestBundleWithholdsSurvivorFiles(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := record.WithActor(context.Background(), "test")
			cfg := app.Config{DataDir: t.TempDir()}
			if engine == "postgres" {
				cfg.DatabaseURL = dbtest.PostgresDatabase(t)
			}
			a, err := app.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			in := &incident.Incident{Title: "Attack on a camp", Date: record.Date{Start: "2023-06-15", Precision: record.DateDay}}
			if err := a.Incidents.Create(ctx, in); err != nil {
				t.Fatal(err)
			}
			newSurvivor := func(code string, consented bool) *survivor.Survivor {
				sv := &survivor.Survivor{Code: code, Synthetic: true}
				if err := a.Survivors.Create(ctx, survivor.Administrator(ctx), sv, survivor.Identity{}); err != nil {
					t.Fatal(err)
				}
				if consented {
					if err := a.Survivors.RecordConsent(ctx, &survivor.Consent{SurvivorID: sv.ID, Use: survivor.LegalProceedings,
						Decision: survivor.Given, On: "2026-01-05", Language: "en", TakenBy: "synthetic interviewer"}); err != nil {
						t.Fatal(err)
					}
				}
				return sv
			}
			consented, refused, erased := newSurvivor("SYN-0011", true), newSurvivor("SYN-0012", false), newSurvivor("SYN-0013", true)
			add := func(name, survivorID string) *evidence.Item {
				it := &evidence.Item{Filename: name, Type: evidence.SurvivorTestimony, SurvivorID: survivorID,
					Links: []evidence.Link{{Kind: evidence.LinkIncident, ID: in.ID}}}
				if _, err := a.Evidence.Ingest(ctx, strings.NewReader("synthetic "+name), "", it); err != nil {
					t.Fatal(err)
				}
				return it
			}
			plain, ofConsented, ofRefused, ofErased := add("scene.txt", ""), add("a.txt", consented.ID), add("b.txt", refused.ID), add("c.txt", erased.ID)
			if _, err := a.Survivors.Erase(ctx, erased.ID, survivor.Erasure{Reason: survivor.ErasureRequest, On: "2026-01-06",
				Language: "en", TakenBy: "synthetic interviewer"}); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "b")
			m, err := bundle.Write(ctx, a, in.ID, dir, bundle.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var bundled []string
			for _, e := range m.Evidence {
				bundled = append(bundled, e.ID)
			}
			sort.Strings(bundled)
			want := []string{plain.ID, ofConsented.ID}
			sort.Strings(want)
			if strings.Join(bundled, ",") != strings.Join(want, ",") {
				t.Errorf("bundled %v, want %v", bundled, want)
			}
			reasons := map[string]string{}
			for _, x := range m.Excluded {
				reasons[x.ID] = x.Reason
			}
			if len(reasons) != 2 || !strings.Contains(reasons[ofRefused.ID], "SYN-0012") ||
				!strings.Contains(reasons[ofErased.ID], "destroyed at the survivor's request (crypto-shredded on ") {
				t.Errorf("withheld: %v", reasons)
			}
			readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
			if err != nil || !strings.Contains(string(readme), ofErased.ID) || !strings.Contains(string(readme), "crypto-shredded") {
				t.Errorf("the README does not say what was withheld and why: %v", err)
			}
			if r, err := bundle.VerifyDir(dir, a.LogKey.Public); err != nil || !r.OK() {
				t.Fatalf("%+v %v", r, err)
			}

			// An exporter without the see-identities grant gets no survivor's file.
			analyst := account.WithPrincipal(ctx, &account.Principal{User: account.User{Name: "analyst"}})
			m, err = bundle.Write(analyst, a, in.ID, filepath.Join(t.TempDir(), "c"), bundle.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Evidence) != 1 || m.Evidence[0].ID != plain.ID || len(m.Excluded) != 3 {
				t.Errorf("without the grant: %+v, withheld %+v", m.Evidence, m.Excluded)
			}
		})
	}
}
