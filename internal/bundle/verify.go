package bundle

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/evidence"
)

// Report is what verifying a bundle found.
type Report struct {
	Incident  string          `json:"incident"`
	Files     int             `json:"files"`
	Entries   int             `json:"entries"`
	Evidence  int             `json:"evidence"`
	Size      uint64          `json:"checkpoint_size"`
	KeySource string          `json:"key_source"` // "given", or "bundle" when the bundle's own key was used
	Problems  []audit.Problem `json:"problems"`
}

// OK reports whether nothing was found wrong.
func (r Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) problem(what, format string, args ...any) {
	r.Problems = append(r.Problems, audit.Problem{What: what, Detail: fmt.Sprintf(format, args...)})
}

// maxMeta bounds the bundle's metadata files read into memory; evidence
// files are streamed.
const maxMeta = 64 << 20

// Verify checks a bundle offline, trusting only vkey, the log's published
// verifier key. With vkey empty it uses the key the bundle carries and says
// so: that proves integrity, not origin.
func Verify(bundle fs.FS, vkey string) (Report, error) {
	var r Report
	r.KeySource = "given"
	if vkey == "" {
		b, err := readSmall(bundle, keyFile)
		if err != nil {
			return r, fmt.Errorf("no key given and the bundle has none: %w", err)
		}
		vkey, r.KeySource = strings.TrimSpace(string(b)), "bundle"
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return r, fmt.Errorf("the log key: %w", err)
	}

	// The checkpoint.
	signed, err := readSmall(bundle, checkpointFile)
	if err != nil {
		return r, err
	}
	cp, _, err := audit.OpenCheckpoint(signed, verifier)
	if err != nil {
		r.problem(checkpointFile, "its signature does not verify with the log's key: %v", err)
		return r, nil
	}
	r.Size = cp.Size

	// Every listed file.
	sums, err := readSmall(bundle, sumsFile)
	if err != nil {
		return r, err
	}
	listed, err := parseSums(sums)
	if err != nil {
		r.problem(sumsFile, "%v", err)
		return r, nil
	}
	for _, name := range sortedKeys(listed) {
		r.Files++
		got, err := hashFile(bundle, name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			r.problem(name, "listed in %s but missing", sumsFile)
		case err != nil:
			r.problem(name, "unreadable: %v", err)
		case got != listed[name]:
			r.problem(name, "its SHA-256 is %s, %s lists %s: the file was altered", got, sumsFile, listed[name])
		}
	}
	if err := fs.WalkDir(bundle, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == sumsFile || strings.HasPrefix(p, "log/") {
			return err
		}
		if _, ok := listed[p]; !ok {
			r.problem(p, "not listed in %s: it was added after the export", sumsFile)
		}
		return nil
	}); err != nil {
		return r, err
	}

	// The log entries and their proofs.
	body, err := readSmall(bundle, proofsFile)
	if err != nil {
		return r, err
	}
	var proofs Proofs
	if err := json.Unmarshal(body, &proofs); err != nil {
		r.problem(proofsFile, "unreadable: %v", err)
		return r, nil
	}
	if proofs.Size != cp.Size || !bytes.Equal(proofs.Root, cp.Root) {
		r.problem(proofsFile, "it proves against a log of %d entries, the checkpoint signs %d", proofs.Size, cp.Size)
	}
	var entries []audit.Entry
	for _, p := range proofs.Entries {
		what := fmt.Sprintf("log entry %d", p.Index)
		if err := audit.VerifyInclusion(p.Index, cp.Size, []byte(p.Leaf), p.Proof, cp.Root); err != nil {
			r.problem(what, "its inclusion proof does not lead to the signed root: %v", err)
			continue
		}
		e, err := audit.ParseLeaf([]byte(p.Leaf))
		if err != nil || e.Index != p.Index {
			r.problem(what, "its text is not a log entry at that index")
			continue
		}
		entries = append(entries, e)
	}
	r.Entries = len(entries)

	// The records against the entries.
	manifestBody, err := readSmall(bundle, manifestFile)
	if err != nil {
		return r, err
	}
	var m Manifest
	if err := json.Unmarshal(manifestBody, &m); err != nil || m.Format != Format {
		r.problem(manifestFile, "not a Dossier bundle's manifest")
		return r, nil
	}
	r.Incident = m.Incident
	latest := func(kind, subject string) (audit.Entry, bool) {
		var found audit.Entry
		ok := false
		for _, e := range entries {
			if e.Kind == kind && e.Subject == subject && (!ok || e.Version >= found.Version) {
				found, ok = e, true
			}
		}
		return found, ok
	}
	vouched := func(file, kind, subject string) {
		e, ok := latest(kind, subject)
		if !ok {
			r.problem(file, "no %s entry for %s in the log entries", kind, subject)
			return
		}
		if got := listed[file]; got != e.ContentHash {
			r.problem(file, "its SHA-256 is not the content hash log entry %d recorded for version %d", e.Index, e.Version)
		}
	}
	vouched(incidentFile, "incident", m.Incident)

	bundleSum := sha256.Sum256(sums)
	found := false
	for _, e := range entries {
		if e.Kind == AuditKind && e.Subject == m.Incident && e.ContentHash == hex.EncodeToString(bundleSum[:]) {
			found = true
		}
	}
	if !found {
		r.problem(sumsFile, "no log entry of this export vouches for it: the list of files was altered")
	}

	for _, ev := range m.Evidence {
		r.Evidence++
		vouched(ev.Record, string(evidence.Kind), ev.ID)
		recordBody, err := readSmall(bundle, ev.Record)
		if err != nil {
			r.problem(ev.Record, "unreadable: %v", err)
			continue
		}
		var it evidence.Item
		if err := json.Unmarshal(recordBody, &it); err != nil {
			r.problem(ev.Record, "unreadable: %v", err)
			continue
		}
		if listed[ev.File] != it.Blob.SHA256 {
			r.problem(ev.File, "its SHA-256 is not the one its record gives (%s)", it.Blob.SHA256)
		}
		custody := map[string]bool{}
		for _, e := range entries {
			if e.Kind == evidence.AuditKind && e.Subject == ev.ID {
				custody[e.ContentHash] = true
			}
		}
		for name, sum := range listed {
			if strings.HasPrefix(name, ev.Custody) && !custody[sum] {
				r.problem(name, "no custody entry in the log vouches for this event")
			}
		}
		if len(custody) == 0 {
			r.problem(ev.Custody, "the log entries hold no chain of custody for this item")
		}
	}
	return r, nil
}

func readSmall(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxMeta+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > maxMeta {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxMeta)
	}
	return b, nil
}

func hashFile(fsys fs.FS, name string) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, f, make([]byte, 1<<20)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// parseSums reads sha256sum's format, refusing paths that leave the bundle.
func parseSums(b []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	line := 0
	for sc.Scan() {
		line++
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || !evidence.ValidSHA256(sum) {
			return nil, fmt.Errorf("line %d is not \"SHA256  path\"", line)
		}
		if !fs.ValidPath(name) || path.Clean(name) != name {
			return nil, fmt.Errorf("line %d names a path outside the bundle", line)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("line %d lists %s twice", line, name)
		}
		out[name] = sum
	}
	return out, sc.Err()
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// VerifyDir verifies a bundle in a directory.
func VerifyDir(dir, vkey string) (Report, error) { return Verify(os.DirFS(dir), vkey) }
