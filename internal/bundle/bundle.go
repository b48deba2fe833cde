// Package bundle writes a court bundle for an incident — its evidence
// files, the records that describe them, their chain of custody, the audit
// log entries that concern them with inclusion proofs, and a signed
// checkpoint — and verifies one offline.
//
// A bundle is built so that a defence expert need not trust Dossier: every
// file is listed in SHA256SUMS (checked with sha256sum -c); every record and
// custody event is written as the exact bytes whose SHA-256 the audit log
// recorded; the log entries come with RFC 6962 inclusion proofs against a
// checkpoint signed with the log's Ed25519 key, whose signature openssl can
// check; and the bundle's own export is an entry in that log, vouching for
// SHA256SUMS.
package bundle

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
)

// Format names the bundle format in its manifest.
const Format = "dossier-bundle"

// AuditKind is the kind of the log entry a bundle's export appends.
const AuditKind = "bundle"

// Paths inside a bundle.
const (
	manifestFile   = "MANIFEST.json"
	sumsFile       = "SHA256SUMS"
	readmeFile     = "README.md"
	scriptFile     = "check-proof.sh"
	incidentFile   = "records/incident.json"
	entriesFile    = "log/entries.jsonl"
	proofsFile     = "log/proofs.json"
	checkpointFile = "log/checkpoint.txt"
	bodyFile       = "log/checkpoint.body"
	sigFile        = "log/checkpoint.sig"
	keyFile        = "log/log-key.txt"
	pemFile        = "log/log-key.pem"
)

// Manifest says what a bundle holds.
type Manifest struct {
	Format        string          `json:"format"`
	FormatVersion int             `json:"format_version"`
	CreatedAt     time.Time       `json:"created_at"`
	CreatedBy     string          `json:"created_by"`
	Incident      string          `json:"incident"`
	Log           ManifestLog     `json:"log"`
	Evidence      []EvidenceEntry `json:"evidence"`
	// Excluded lists the evidence items left out, and why: the survivor they
	// concern has not consented to use in legal proceedings, their file was
	// destroyed at the survivor's request (crypto-shredded), or it
	// identifies a survivor and the exporter may not see it.
	Excluded []Exclusion `json:"excluded"`
}

// Exclusion is an evidence item a bundle leaves out, and why.
type Exclusion struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// ManifestLog names the log that vouches for the bundle.
type ManifestLog struct {
	Origin      string `json:"origin"`
	VerifierKey string `json:"verifier_key"`
}

// EvidenceEntry is one evidence file in the bundle.
type EvidenceEntry struct {
	ID       string `json:"id"`
	File     string `json:"file"`
	Record   string `json:"record"`
	Custody  string `json:"custody"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	Type     string `json:"type"`
	Filename string `json:"filename"`
}

// Proof is one log entry with its inclusion proof.
type Proof struct {
	Index uint64   `json:"index"`
	Leaf  string   `json:"leaf"`
	Proof [][]byte `json:"proof"`
}

// Proofs is log/proofs.json.
type Proofs struct {
	Size    uint64  `json:"size"`
	Root    []byte  `json:"root"`
	Entries []Proof `json:"entries"`
}

// Options shape a bundle.
type Options struct {
	// Purpose is recorded on each evidence file's custody event.
	Purpose string
}

// Write writes the bundle of an incident into dir, which must not exist or
// be empty. Exporting each evidence file is recorded in its chain of
// custody, and the bundle itself in the audit log.
func Write(ctx context.Context, a *app.App, incidentID, dir string, opts Options) (Manifest, error) {
	var m Manifest
	if a.LogKey == nil || a.Evidence == nil {
		return m, errors.New("bundle: the log key and the evidence store are needed")
	}
	in, err := a.Incidents.Get(ctx, incidentID)
	if err != nil {
		return m, err
	}
	if err := emptyDir(dir); err != nil {
		return m, err
	}
	if opts.Purpose == "" {
		opts.Purpose = "court bundle"
	}
	m = Manifest{Format: Format, FormatVersion: 1, CreatedAt: db.Now(), CreatedBy: record.Actor(ctx), Incident: in.ID,
		Log: ManifestLog{Origin: a.LogKey.Origin(), VerifierKey: a.LogKey.Public}}

	w := &writer{dir: dir}
	if err := w.json(incidentFile, in); err != nil {
		return m, err
	}
	items, err := incidentEvidence(ctx, a, in.ID)
	if err != nil {
		return m, err
	}
	consent, err := survivor.NewConsentIndex(ctx, a.DB, survivor.LegalProceedings)
	if err != nil {
		return m, err
	}
	codes := map[string]string{} // act ID → victim code
	for _, act := range in.Acts {
		codes[act.ID] = act.Victim.Code
	}
	m.Excluded = []Exclusion{}
	subjects := []string{in.ID}
	for _, it := range items {
		reason, err := withheld(ctx, a, it, codes, consent)
		if err != nil {
			return m, err
		}
		if reason != "" {
			m.Excluded = append(m.Excluded, Exclusion{ID: it.ID, Reason: reason})
			continue
		}
		subjects = append(subjects, it.ID)
		e := EvidenceEntry{ID: it.ID, SHA256: it.Blob.SHA256, Size: it.Blob.Size, Type: string(it.Type), Filename: it.Filename,
			File:    fmt.Sprintf("evidence/%s-%s", it.ID, safeName(it.Filename)),
			Record:  fmt.Sprintf("records/evidence/%s.json", it.ID),
			Custody: fmt.Sprintf("custody/%s/", it.ID)}
		if err := w.export(ctx, a, it.ID, e.File, opts.Purpose); err != nil {
			return m, err
		}
		if err := w.json(e.Record, it); err != nil {
			return m, err
		}
		events, err := a.Evidence.Custody(ctx, it.ID)
		if err != nil {
			return m, err
		}
		for _, ev := range events {
			// The bytes whose SHA-256 the log recorded: the event without its
			// own place in the log.
			ev.AuditIndex = 0
			if err := w.json(fmt.Sprintf("custody/%s/%s.json", it.ID, ev.ID), ev); err != nil {
				return m, err
			}
		}
		m.Evidence = append(m.Evidence, e)
	}
	if m.Evidence == nil {
		m.Evidence = []EvidenceEntry{}
	}
	if err := w.json(manifestFile, m); err != nil {
		return m, err
	}
	if err := w.file(readmeFile, []byte(readme(m)), 0o644); err != nil {
		return m, err
	}
	if err := w.file(scriptFile, []byte(checkProofScript), 0o755); err != nil {
		return m, err
	}
	sums := w.sums()
	if err := w.file(sumsFile, sums, 0o644); err != nil {
		return m, err
	}

	// The export is itself in the log, vouching for SHA256SUMS; the
	// checkpoint signed next covers it.
	sum := sha256.Sum256(sums)
	err = a.DB.Write(ctx, func(tx *db.Tx) error {
		_, err := audit.Append(ctx, tx, audit.Entry{Actor: record.Actor(ctx), Kind: AuditKind, Subject: in.ID,
			Action: "exported", ContentHash: hex.EncodeToString(sum[:])})
		return err
	})
	if err != nil {
		return m, err
	}
	cp, err := audit.Issue(ctx, a.DB, a.LogKey)
	if err != nil {
		return m, err
	}
	// Witnesses are told of it too; one that cannot be reached does not
	// stop the bundle.
	if _, err := audit.Publish(ctx, a.DB, cp, nil); err != nil {
		return m, err
	}
	if err := w.logFiles(ctx, a, cp, subjects); err != nil {
		return m, err
	}
	return m, nil
}

// withheld says why an item may not go into a bundle, or "": its file was
// destroyed with its survivor's key; it identifies a survivor and the
// exporter does not hold the see-identities grant; or the survivor it
// identifies, or whose act it bears on, has not consented to use in legal
// proceedings.
func withheld(ctx context.Context, a *app.App, it *evidence.Item, codes map[string]string, consent *survivor.ConsentIndex) (string, error) {
	switch err := evidence.MayOpen(ctx, it); {
	case errors.Is(err, evidence.ErrShredded):
		return "the file was destroyed at the survivor's request (crypto-shredded on " + it.ShreddedAt.Format("2006-01-02") + ")", nil
	case errors.Is(err, evidence.ErrIdentities):
		return "the file identifies a survivor: including it needs the see-identities permission", nil
	case err != nil:
		return "", err
	}
	if it.SurvivorID != "" {
		// Consent is the survivor's whichever cases the exporter works on.
		sv, err := survivor.Lookup(record.WithoutCaseScope(ctx), a.DB, it.SurvivorID)
		if err != nil {
			return "", fmt.Errorf("bundle: the survivor of evidence item %s: %w", it.ID, err)
		}
		if v := consent.Check(sv.Code); !v.Allowed {
			return "survivor " + sv.Code + ": " + v.Reason, nil
		}
	}
	return withoutConsent(it, codes, consent), nil
}

// withoutConsent says why an item may not go into a bundle: it bears on an
// act whose survivor has not consented to use in legal proceedings. Items
// about the incident as a whole concern no one survivor.
func withoutConsent(it *evidence.Item, codes map[string]string, consent *survivor.ConsentIndex) string {
	for _, l := range it.Links {
		if l.Kind != evidence.LinkAct {
			continue
		}
		if v := consent.Check(codes[l.ID]); !v.Allowed {
			return "victim " + codes[l.ID] + ": " + v.Reason
		}
	}
	return ""
}

// incidentEvidence lists every item linked to the incident or its acts.
func incidentEvidence(ctx context.Context, a *app.App, incidentID string) ([]*evidence.Item, error) {
	var out []*evidence.Item
	for offset := 0; ; offset += evidence.MaxPage {
		page, err := a.Evidence.List(ctx, evidence.Filter{IncidentID: incidentID, Limit: evidence.MaxPage, Offset: offset})
		if err != nil {
			return nil, err
		}
		// List reads whole items, links included: no need to read each again.
		for i := range page.Items {
			out = append(out, &page.Items[i])
		}
		if len(page.Items) < evidence.MaxPage {
			return out, nil
		}
	}
}

func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("bundle: %s is not empty", dir)
	}
	return nil
}

// safeName keeps a file name to characters every file system and shell
// takes without quoting.
func safeName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.Trim(b.String(), "._")
	if s == "" {
		s = "file"
	}
	return s
}

// writer writes the bundle's files and remembers their hashes.
type writer struct {
	dir    string
	hashes map[string]string
}

func (w *writer) path(name string) (string, error) {
	p := filepath.Join(w.dir, filepath.FromSlash(name))
	return p, os.MkdirAll(filepath.Dir(p), 0o755)
}

func (w *writer) remember(name string, sum []byte) {
	if w.hashes == nil {
		w.hashes = map[string]string{}
	}
	w.hashes[name] = hex.EncodeToString(sum)
}

func (w *writer) file(name string, data []byte, mode os.FileMode) error {
	p, err := w.path(name)
	if err != nil {
		return err
	}
	if err := os.WriteFile(p, data, mode); err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	w.remember(name, sum[:])
	return nil
}

// json writes v as exactly the bytes audit.HashJSON hashes.
func (w *writer) json(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return w.file(name, data, 0o644)
}

// export copies an evidence file out through the store, which checks its
// hash and records the export in its chain of custody.
func (w *writer) export(ctx context.Context, a *app.App, itemID, name, purpose string) error {
	p, err := w.path(name)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return err
	}
	h := sha256.New()
	_, exportErr := a.Evidence.Export(ctx, itemID, io.MultiWriter(f, h), evidence.Event{Purpose: purpose})
	syncErr := f.Sync()
	closeErr := f.Close()
	if err := errors.Join(exportErr, syncErr, closeErr); err != nil {
		return fmt.Errorf("bundle: evidence item %s: %w", itemID, err)
	}
	w.remember(name, h.Sum(nil))
	return nil
}

// sums is SHA256SUMS in sha256sum's format, paths in order.
func (w *writer) sums() []byte {
	names := make([]string, 0, len(w.hashes))
	for n := range w.hashes {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&b, "%s  %s\n", w.hashes[n], n)
	}
	return b.Bytes()
}

// logFiles writes the log entries about the bundle's records with their
// inclusion proofs, and the checkpoint in forms openssl can check.
func (w *writer) logFiles(ctx context.Context, a *app.App, cp audit.Checkpoint, subjects []string) error {
	var entries []audit.Entry
	for _, s := range subjects {
		es, err := audit.EntriesFor(ctx, a.DB, s)
		if err != nil {
			return err
		}
		for _, e := range es {
			if e.Index < cp.Size {
				entries = append(entries, e)
			}
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Index < entries[j].Index })
	proofs := Proofs{Size: cp.Size, Root: cp.Root, Entries: []Proof{}}
	var lines bytes.Buffer
	for _, e := range entries {
		p, err := audit.InclusionProof(ctx, a.DB, e.Index, cp.Size)
		if err != nil {
			return err
		}
		if p == nil {
			p = [][]byte{}
		}
		leaf := string(e.Leaf())
		proofs.Entries = append(proofs.Entries, Proof{Index: e.Index, Leaf: leaf, Proof: p})
		lines.WriteString(leaf + "\n")
	}
	if err := w.file(entriesFile, lines.Bytes(), 0o644); err != nil {
		return err
	}
	// Indented, one field per line, HTML characters left alone: check-proof.sh
	// reads it with sed.
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(proofs); err != nil {
		return err
	}
	if err := w.file(proofsFile, body.Bytes(), 0o644); err != nil {
		return err
	}
	cosigs, err := audit.Cosignatures(ctx, a.DB, cp.Size)
	if err != nil {
		return err
	}
	if err := w.file(checkpointFile, []byte(audit.WithCosignatures(cp, cosigs)), 0o644); err != nil {
		return err
	}
	n, err := note.Open([]byte(cp.Note), note.VerifierList(a.LogKey.Verifier()))
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(n.Sigs[0].Base64)
	if err != nil || len(sig) != 4+ed25519.SignatureSize {
		return errors.New("bundle: the checkpoint's signature is not an Ed25519 note signature")
	}
	if err := w.file(bodyFile, []byte(n.Text), 0o644); err != nil {
		return err
	}
	if err := w.file(sigFile, sig[4:], 0o644); err != nil {
		return err
	}
	if err := w.file(keyFile, []byte(a.LogKey.Public+"\n"), 0o644); err != nil {
		return err
	}
	der, err := x509.MarshalPKIXPublicKey(a.LogKey.Ed25519())
	if err != nil {
		return err
	}
	return w.file(pemFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644)
}
