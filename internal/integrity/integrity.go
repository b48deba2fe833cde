// Package integrity re-derives everything Dossier vouches for and names what
// no longer matches: the audit log against its signed checkpoints, every
// record and every kept revision against the log, and every evidence file
// against its hash. It trusts nothing stored beside the data it checks: only
// the log's signing key, which lives outside the database.
package integrity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/record"
)

// Report is what verification checked and what it found altered.
type Report struct {
	LogEntries  uint64          `json:"log_entries"`
	Checkpoints int             `json:"checkpoints"`
	Records     int             `json:"records"`
	Revisions   int             `json:"revisions"`
	Blobs       int             `json:"blobs"`
	Problems    []audit.Problem `json:"problems"`
	// LogRoots are the log's roots rehashed at the sizes Verify was asked
	// for and at its whole size: audit.VerifyAgainstRoots takes them so that
	// proving outside checkpoints does not read the log again.
	LogRoots audit.Roots `json:"-"`
	// Shredded lists the evidence files destroyed with their survivor's key
	// at the survivor's request: gone by design, not altered. Their items,
	// hashes and custody are verified like any other.
	Shredded []ShreddedFile `json:"shredded"`
	// AwaitingDeletion counts stored objects of erased survivors not yet
	// deleted from the store: they cannot be opened (their key is gone),
	// and the evidence store deletes them at its next write.
	AwaitingDeletion int           `json:"awaiting_deletion"`
	Took             time.Duration `json:"took_ns"`

	// holders maps a stored file (its owner and SHA-256) to the evidence
	// items naming it, so a damaged file is reported with its items.
	holders map[heldFile][]string
}

// ShreddedFile is an evidence item whose file was crypto-shredded.
type ShreddedFile struct {
	Item   string    `json:"item"`
	SHA256 string    `json:"sha256"`
	At     time.Time `json:"shredded_at"`
}

// heldFile is a stored file: whose key seals it ("" for the deployment's,
// else a survivor's) and its SHA-256.
type heldFile struct{ owner, sha256 string }

// OK reports whether nothing was found altered.
func (r Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) problem(what, format string, args ...any) {
	r.Problems = append(r.Problems, audit.Problem{What: what, Detail: fmt.Sprintf(format, args...)})
}

// written is what the log says of one version of a record.
type written struct {
	hash   [sha256.Size]byte
	action string
}

type versionKey struct {
	kind, id string
	version  int
}

type recordKey struct{ kind, id string }

// Verify checks the whole store. An error means verification could not run;
// what it found altered is in the report. rootsAt are log sizes whose roots
// the report should keep (those of checkpoints kept outside).
func Verify(ctx context.Context, a *app.App, rootsAt ...uint64) (Report, error) {
	start := time.Now()
	var report Report
	if a.LogKey == nil {
		return report, errors.New("verify: the log's signing key is not loaded")
	}
	recordKinds := map[string]bool{}
	for _, k := range record.Kinds() {
		recordKinds[string(k)] = true
	}
	versions := map[versionKey]written{}
	latest := map[recordKey]int{}
	logReport, err := audit.VerifyLog(ctx, a.DB, a.LogKey, func(e audit.Entry) error {
		if !recordKinds[e.Kind] {
			return nil
		}
		var w written
		if _, err := hex.Decode(w.hash[:], []byte(e.ContentHash)); err != nil {
			report.problem(fmt.Sprintf("audit log entry %d", e.Index), "its content hash %q is not a SHA-256", e.ContentHash)
			return nil
		}
		w.action = e.Action
		versions[versionKey{e.Kind, e.Subject, e.Version}] = w
		rk := recordKey{e.Kind, e.Subject}
		if e.Version >= latest[rk] {
			latest[rk] = e.Version
		}
		return nil
	}, rootsAt...)
	if err != nil {
		return report, err
	}
	report.LogEntries, report.Checkpoints, report.LogRoots = logReport.Entries, logReport.Checkpoints, logReport.Roots
	report.Problems = append(report.Problems, logReport.Problems...)

	if err := verifyRecords(ctx, a, &report, versions, latest); err != nil {
		return report, err
	}
	if err := verifyRevisions(ctx, a, &report, versions); err != nil {
		return report, err
	}
	if err := verifyBlobs(ctx, a, &report); err != nil {
		return report, err
	}
	if report.Shredded == nil {
		report.Shredded = []ShreddedFile{}
	}
	sort.SliceStable(report.Problems, func(i, j int) bool { return report.Problems[i].What < report.Problems[j].What })
	report.Took = time.Since(start)
	return report, nil
}

// verifyRecords hashes every record as it stands against the newest version
// the log recorded of it.
func verifyRecords(ctx context.Context, a *app.App, report *Report, versions map[versionKey]written, latest map[recordKey]int) error {
	seen := make(map[recordKey]bool, len(latest))
	for _, kind := range record.Kinds() {
		err := record.EachRecord(ctx, a.DB, kind, func(id string, current any) error {
			report.Records++
			rk := recordKey{string(kind), id}
			seen[rk] = true
			what := fmt.Sprintf("%s %s", kind, id)
			version, ok := latest[rk]
			if !ok {
				report.problem(what, "the audit log has no entry for it: it was written outside Dossier")
				return nil
			}
			hash, err := audit.HashJSON(current)
			if err != nil {
				return err
			}
			if w := versions[versionKey{string(kind), id, version}]; hex.EncodeToString(w.hash[:]) != hash {
				report.problem(what, "its content no longer matches version %d as the audit log recorded it: it was altered outside Dossier", version)
			}
			if it, ok := current.(*evidence.Item); ok {
				return verifyItemFiles(ctx, a, report, what, it)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	var missing []string
	for rk := range latest {
		if !seen[rk] {
			missing = append(missing, fmt.Sprintf("%s %s", rk.kind, rk.id))
		}
	}
	sort.Strings(missing)
	for _, what := range missing {
		report.problem(what, "the audit log recorded it, but it is gone from the database: it was deleted outside Dossier")
	}
	return nil
}

// verifyRevisions checks every kept version of every record's history
// against the hash the log recorded when that version was written.
func verifyRevisions(ctx context.Context, a *app.App, report *Report, versions map[versionKey]written) error {
	rows, err := a.DB.Query(ctx, `SELECT kind, record_id, version, snapshot FROM revisions ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("verify: read revisions: %w", err)
	}
	defer rows.Close()
	counted := map[versionKey]bool{}
	for rows.Next() {
		var kind, id string
		var version int
		var snapshot *string
		if err := rows.Scan(&kind, &id, &version, &snapshot); err != nil {
			return fmt.Errorf("verify: read revisions: %w", err)
		}
		report.Revisions++
		vk := versionKey{kind, id, version}
		counted[vk] = true
		what := fmt.Sprintf("%s %s version %d", kind, id, version)
		w, ok := versions[vk]
		if !ok {
			report.problem(what, "its history has a version the audit log never recorded")
			continue
		}
		if snapshot != nil && sha256.Sum256([]byte(*snapshot)) != w.hash {
			report.problem(what, "this earlier version no longer matches what the audit log recorded: its history was altered")
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var lost []string
	for vk := range versions {
		if !counted[vk] {
			lost = append(lost, fmt.Sprintf("%s %s version %d", vk.kind, vk.id, vk.version))
		}
	}
	sort.Strings(lost)
	for _, what := range lost {
		report.problem(what, "the audit log recorded this version, but it is gone from the history")
	}
	return nil
}

// verifyBlobs re-hashes every evidence file held — the deployment's and
// every survivor's — a content-addressed file that no longer hashes to its
// name was altered or damaged in storage. The objects of erased survivors
// are counted, not opened: their key is destroyed.
func verifyBlobs(ctx context.Context, a *app.App, report *Report) error {
	if a.Blobs == nil {
		return nil
	}
	var refs []blob.Held
	var err error
	if sealed, ok := a.Blobs.(*blob.SealedStore); ok && sealed.Sealer() != nil {
		shredded := map[string]bool{}
		err = sealed.WalkAll(ctx, func(h blob.Held) error {
			if h.Subject != "" {
				gone, ok := shredded[h.Subject]
				if !ok {
					var err error
					if gone, err = sealed.Sealer().IsShredded(ctx, h.Subject); err != nil {
						return err
					}
					shredded[h.Subject] = gone
				}
				if gone {
					report.AwaitingDeletion++
					return nil
				}
			}
			refs = append(refs, h)
			return nil
		})
	} else {
		err = a.Blobs.Walk(ctx, func(r blob.Ref) error { refs = append(refs, blob.Held{Ref: r}); return nil })
	}
	// A sealed object whose index does not open cannot say which file it
	// held: it is reported by its stored name, and the others verified.
	var damaged *blob.DamagedError
	if errors.As(err, &damaged) {
		for i, name := range damaged.Objects {
			report.Blobs++
			report.problem("stored evidence object "+name, "it does not decrypt (%v): it was altered or damaged, and which file it held cannot be told", damaged.Errs[i])
		}
	} else if err != nil {
		return fmt.Errorf("verify: list the evidence files: %w", err)
	}
	buf := make([]byte, 1<<20)
	for _, ref := range refs {
		report.Blobs++
		what := "evidence file " + ref.SHA256
		if ref.Subject != "" {
			what += " sealed for survivor " + ref.Subject
		}
		altered := func(detail string) {
			if items := report.holders[heldFile{ref.Subject, ref.SHA256}]; len(items) > 0 {
				detail += "; it is the file of evidence item " + strings.Join(items, ", ")
			}
			report.problem(what, "%s", detail)
		}
		blobs, err := blob.ForSubject(a.Blobs, ref.Subject)
		if err != nil {
			return fmt.Errorf("verify: %s: %w", what, err)
		}
		obj, err := blobs.Open(ctx, ref.SHA256)
		if errors.Is(err, blob.ErrNotFound) {
			report.problem(what, "it was listed but cannot be opened: it was deleted while being verified")
			continue
		}
		// A sealed file that does not decrypt was altered where it is kept.
		if errors.Is(err, blob.ErrDamaged) {
			altered(fmt.Sprintf("the stored file was altered or damaged: it does not decrypt (%v)", err))
			continue
		}
		if err != nil {
			return fmt.Errorf("verify: %s: %w", what, err)
		}
		h := sha256.New()
		_, err = io.CopyBuffer(h, struct{ io.Reader }{obj}, buf)
		obj.Close()
		if errors.Is(err, blob.ErrDamaged) {
			altered(fmt.Sprintf("the stored file was altered or damaged: it does not decrypt (%v)", err))
			continue
		}
		if err != nil {
			return fmt.Errorf("verify: read %s: %w", what, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != ref.SHA256 {
			altered(fmt.Sprintf("its content now hashes to %s: the file was altered or damaged", got))
		}
	}
	return nil
}

// verifyItemFiles checks that every file an evidence item names is held
// with the size recorded — under its survivor's key, for a file tied to
// one: a record whose file is gone is evidence lost. A file destroyed with
// its survivor's key, at their request, is listed as shredded.
func verifyItemFiles(ctx context.Context, a *app.App, report *Report, what string, it *evidence.Item) error {
	if a.Blobs == nil {
		return nil
	}
	if it.Shredded() {
		report.Shredded = append(report.Shredded, ShreddedFile{Item: it.ID, SHA256: it.Blob.SHA256, At: *it.ShreddedAt})
		return nil
	}
	if report.holders == nil {
		report.holders = map[heldFile][]string{}
	}
	held := heldFile{it.SurvivorID, it.Blob.SHA256}
	report.holders[held] = append(report.holders[held], it.ID)
	blobs, err := blob.ForSubject(a.Blobs, it.SurvivorID)
	if err != nil {
		report.problem(what, "it is tied to survivor %s, but the evidence store does not seal files: %v", it.SurvivorID, err)
		return nil
	}
	refs := map[string]*blob.Ref{"its file": &it.Blob, "its thumbnail": it.Thumbnail}
	if it.OpenSource != nil {
		refs["its HTML source"], refs["its full-page capture"] = it.OpenSource.HTMLSource, it.OpenSource.FullPage
	}
	for role, ref := range refs {
		if ref == nil {
			continue
		}
		held, err := blobs.Stat(ctx, ref.SHA256)
		switch {
		case errors.Is(err, blob.ErrShredded):
			report.problem(what, "%s (SHA-256 %s) was sealed with the key of survivor %s, which was destroyed, but the item does not say it was shredded",
				role, ref.SHA256, it.SurvivorID)
		case errors.Is(err, blob.ErrNotFound):
			report.problem(what, "%s (SHA-256 %s) is missing from the evidence store", role, ref.SHA256)
		case errors.Is(err, blob.ErrDamaged):
			report.problem(what, "%s (SHA-256 %s) was altered or damaged in the evidence store: it does not decrypt", role, ref.SHA256)
		case err != nil:
			return fmt.Errorf("verify: %s: %w", what, err)
		case held.Size != ref.Size:
			report.problem(what, "%s is held with %d bytes, the item records %d", role, held.Size, ref.Size)
		}
	}
	return nil
}
