package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/integrity"
	"github.com/dossier-org/dossier/internal/record"
)

// The audit log's pages show what the log holds and let an investigator, an
// auditor or a legal adviser check it from a browser: its signed
// checkpoints and witnesses, every entry with an inclusion proof spelled out
// step by step, and a full verification of the store.

// routeTable is where the interface registers its routes.
type routeTable interface {
	HandleFunc(pattern string, fn func(http.ResponseWriter, *http.Request))
}

func (h *handler) logRoutes(mux routeTable) {
	mux.HandleFunc("GET /log", h.logPage)
	mux.HandleFunc("GET /log/key.txt", h.logKeyText)
	mux.HandleFunc("GET /log/checkpoint.txt", h.logCheckpointText)
	mux.HandleFunc("GET /log/checkpoints/{file}", h.logKeptCheckpointText)
	mux.HandleFunc("POST /log/checkpoints", h.logSign)
	mux.HandleFunc("GET /log/entries", h.logEntries)
	mux.HandleFunc("GET /log/entries/{index}", h.logEntry)
	mux.HandleFunc("GET /verify", h.verifyPage)
	mux.HandleFunc("POST /verify", h.verifyRun)
	mux.HandleFunc("POST /verify/checkpoint", h.verifyAgainst)
}

const (
	// logNewest is how many entries /log shows; /log/entries pages on.
	logNewest = 20
	// logPageSize is how many entries a page of /log/entries shows.
	logPageSize = 50
	// keptCheckpointsShown is how many kept checkpoints /log lists at first;
	// the server keeps one a minute while the log grows.
	keptCheckpointsShown    = 10
	maxKeptCheckpointsShown = 1000
	// maxCheckpointUpload bounds a checkpoint pasted or uploaded to check the
	// log against: a note with a few dozen cosignatures is a few KiB.
	maxCheckpointUpload = 64 << 10
)

// logKinds are the kinds of record the log vouches for whose pages this
// interface shows.
var logKinds = map[string]recordKind{
	string(record.KindIncident):  incidentKind,
	string(record.KindParty):     partyKind,
	string(record.KindSituation): situationKind,
	string(record.KindSource):    sourceKind,
}

// eventSubjects are kinds of event whose subject is a record: a court
// bundle is exported for an incident.
var eventSubjects = map[string]recordKind{
	"bundle": incidentKind,
}

// evidenceLogKind is the kind of items of evidence, which have pages when
// the Dossier keeps evidence files. Their custody events name them too.
var evidenceLogKind = recordKind{kind: evidence.Kind, section: "evidence",
	title: func(ctx context.Context, h *handler, id string) (string, error) {
		it, err := h.evidence.Get(ctx, id)
		if err != nil {
			return "", err
		}
		return it.Filename, nil
	}}

// subjectKind is the kind of record an entry is about, if it has a page.
func (h *handler) subjectKind(kind string) (recordKind, bool) {
	if k, ok := logKinds[kind]; ok {
		return k, true
	}
	if k, ok := eventSubjects[kind]; ok {
		return k, true
	}
	if h.evidence != nil && (kind == string(evidence.Kind) || kind == evidence.AuditKind) {
		return evidenceLogKind, true
	}
	return recordKind{}, false
}

// mayRead reports whether the viewer may read records of the kind: a
// record's title is its content.
func mayRead(ctx context.Context, k recordKind) bool {
	p, ok := account.PrincipalFrom(ctx)
	if !ok {
		return true // pages without access control (tests)
	}
	if k.kind == evidence.Kind {
		return p.Can(account.ReadEvidence)
	}
	return p.Can(account.ReadRecords)
}

// subjectURL is the page of the record an entry is about, or "" when the
// entry is about something without a page here.
func (h *handler) subjectURL(kind, subject string) string {
	k, ok := h.subjectKind(kind)
	if !ok || !record.ValidID(subject) {
		return ""
	}
	return "/" + k.section + "/" + subject
}

// logHead is the log as it stands.
type logHead struct {
	KeyLoaded   bool
	Origin      string
	VerifierKey string
	Size        int
	Root        string // base64, as checkpoints write it
	RootHex     string
}

func (h *handler) readHead(ctx context.Context) (logHead, error) {
	head, err := audit.CurrentHead(ctx, h.app.DB)
	if err != nil {
		return logHead{}, err
	}
	out := logHead{Size: int(head.Size), Root: base64.StdEncoding.EncodeToString(head.Root), RootHex: hex.EncodeToString(head.Root)}
	if k := h.app.LogKey; k != nil {
		out.KeyLoaded, out.Origin, out.VerifierKey = true, k.Origin(), k.Public
	}
	return out, nil
}

// checkpointView is a kept checkpoint as the pages show it.
type checkpointView struct {
	Size         int
	IssuedAt     time.Time
	Root         string // base64
	RootHex      string
	Text         string // the signed note with the witnesses' cosignatures
	Cosignatures int
	URL          string // its text, to download
}

func (h *handler) checkpointView(ctx context.Context, cp audit.Checkpoint, withText bool) (checkpointView, error) {
	v := checkpointView{Size: int(cp.Size), IssuedAt: cp.IssuedAt, Root: base64.StdEncoding.EncodeToString(cp.Root),
		RootHex: hex.EncodeToString(cp.Root), URL: fmt.Sprintf("/log/checkpoints/%d.txt", cp.Size)}
	if withText {
		cosigs, err := audit.Cosignatures(ctx, h.app.DB, cp.Size)
		if err != nil {
			return v, err
		}
		v.Text, v.Cosignatures = audit.WithCosignatures(cp, cosigs), len(cosigs)
	}
	return v, nil
}

// entryView is one log entry as the pages show it.
type entryView struct {
	audit.Entry
	Number      int // Index, for the localised number
	KindLabel   string
	ActionLabel string
	SubjectURL  string
	ShortHash   string
	URL         string
}

func (h *handler) newEntryView(l *localizer, e audit.Entry) entryView {
	return entryView{Entry: e, Number: int(e.Index),
		KindLabel:   labelOr(l, "log.kind."+e.Kind, e.Kind),
		ActionLabel: labelOr(l, "log.action."+e.Action, e.Action),
		SubjectURL:  h.subjectURL(e.Kind, e.Subject),
		ShortHash:   shortHash(e.ContentHash),
		URL:         fmt.Sprintf("/log/entries/%d", e.Index)}
}

// shortHash keeps the first 12 hex digits of a hash: enough to tell entries
// apart by eye; the page gives the whole hash beside it.
func shortHash(h string) string {
	if len(h) <= 12 {
		return h
	}
	return h[:12] + "…"
}

// ---- /log

// witnessView is a witness with its published size as a number to show.
type witnessView struct {
	audit.Witness
	Published int
}

type logPage struct {
	base
	Head            logHead
	Latest          *checkpointView
	Checkpoints     []checkpointView
	MoreCheckpoints string // link showing more kept checkpoints
	Witnesses       []witnessView
	WitnessFailures int
	Entries         []entryView
	OlderURL        string
	Problem         string // catalog key: why an action could not run
}

func (h *handler) logPage(w http.ResponseWriter, r *http.Request) {
	shown := keptCheckpointsShown
	if s := r.URL.Query().Get("checkpoints"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			h.notFound(w, r)
			return
		}
		shown = min(n, maxKeptCheckpointsShown)
	}
	data, err := h.logData(r, shown)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "log", "log", data)
}

func (h *handler) logData(r *http.Request, shown int) (*logPage, error) {
	ctx := r.Context()
	l := h.localizer(r)
	head, err := h.readHead(ctx)
	if err != nil {
		return nil, err
	}
	data := &logPage{Head: head}
	kept, err := audit.Checkpoints(ctx, h.app.DB, shown+1)
	if err != nil {
		return nil, err
	}
	if len(kept) > shown {
		kept = kept[:shown]
		if shown < maxKeptCheckpointsShown {
			data.MoreCheckpoints = fmt.Sprintf("/log?checkpoints=%d#checkpoints-title", min(shown*10, maxKeptCheckpointsShown))
		}
	}
	for i, cp := range kept {
		v, err := h.checkpointView(ctx, cp, i == 0)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			data.Latest = &v
		}
		data.Checkpoints = append(data.Checkpoints, v)
	}
	witnesses, err := audit.Witnesses(ctx, h.app.DB)
	if err != nil {
		return nil, err
	}
	for _, wit := range witnesses {
		data.Witnesses = append(data.Witnesses, witnessView{Witness: wit, Published: int(wit.PublishedSize)})
		if wit.LastError != "" {
			data.WitnessFailures++
		}
	}
	end := uint64(head.Size)
	begin := end - min(end, logNewest)
	entries, err := audit.Entries(ctx, h.app.DB, begin, end)
	if err != nil {
		return nil, err
	}
	for _, e := range slices.Backward(entries) {
		data.Entries = append(data.Entries, h.newEntryView(l, e))
	}
	if begin > 0 {
		data.OlderURL = fmt.Sprintf("/log/entries?before=%d", begin)
	}
	return data, nil
}

// logKeyText serves the public key checkpoints verify with, to publish or
// to hand to whoever will check the log.
func (h *handler) logKeyText(w http.ResponseWriter, r *http.Request) {
	if h.app.LogKey == nil {
		h.notFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("Content-Disposition", `attachment; filename="log-key.txt"`)
	hd.Set("X-Content-Type-Options", "nosniff")
	io.WriteString(w, h.app.LogKey.Public+"\n")
}

// logCheckpointText serves the newest checkpoint as the signed note itself,
// with the witnesses' cosignatures: what an auditor keeps and checks.
func (h *handler) logCheckpointText(w http.ResponseWriter, r *http.Request) {
	cp, err := audit.LatestCheckpoint(r.Context(), h.app.DB)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.serveCheckpoint(w, r, cp)
}

// logKeptCheckpointText serves a kept checkpoint by its size: SIZE.txt.
func (h *handler) logKeptCheckpointText(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".txt")
	size, err := strconv.ParseUint(name, 10, 64)
	if !ok || err != nil {
		h.notFound(w, r)
		return
	}
	cp, err := audit.CheckpointAt(r.Context(), h.app.DB, size)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.serveCheckpoint(w, r, cp)
}

func (h *handler) serveCheckpoint(w http.ResponseWriter, r *http.Request, cp audit.Checkpoint) {
	cosigs, err := audit.Cosignatures(r.Context(), h.app.DB, cp.Size)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="checkpoint-%d.txt"`, cp.Size))
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Content-Type-Options", "nosniff")
	io.WriteString(w, audit.WithCosignatures(cp, cosigs))
}

// logSign signs a checkpoint of the log as it stands, publishes it to the
// witnesses (retrying those that failed before) and returns to the page it
// was asked from.
func (h *handler) logSign(w http.ResponseWriter, r *http.Request) {
	back := "/log"
	if next := r.PostFormValue("next"); strings.HasPrefix(next, "/log/") {
		back = localPath(next)
	}
	if h.app.LogKey == nil {
		data, err := h.logData(r, keptCheckpointsShown)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		data.Problem = "log.problem.no_key"
		h.render(w, r, http.StatusServiceUnavailable, "log", "log", data)
		return
	}
	ctx := r.Context()
	previous, err := audit.LatestCheckpoint(ctx, h.app.DB)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		h.fail(w, r, err)
		return
	}
	hadOne := err == nil
	cp, err := audit.Issue(ctx, h.app.DB, h.app.LogKey)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	witnesses, err := audit.Publish(ctx, h.app.DB, cp, nil)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, wit := range witnesses {
		if wit.LastError != "" {
			// Named without the checkpoint's content: the page shows the error.
			slog.Warn("web: witness did not take the checkpoint", "witness", wit.Name, "size", cp.Size)
		}
	}
	flash := "checkpoint_signed"
	if hadOne && previous.Size == cp.Size {
		flash = "checkpoint_current"
	}
	setFlash(w, r, flash)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// ---- /log/entries

type logEntriesPage struct {
	base
	Head       logHead
	Entries    []entryView
	Subject    string
	Kind       string // of the subject's entries, when they are about a record
	Title      string // the record's title, when it still exists
	RecordURL  string
	Gone       bool // a record the log speaks of is not in the database
	First      int  // numbers of the entries shown, for the pager
	Last       int
	NewerURL   string
	NewestURL  string
	OlderURL   string
	IndexValue string
	IndexError string // translated message beside the "open entry" field
}

func (h *handler) logEntries(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l := h.localizer(r)
	q := r.URL.Query()
	head, err := h.readHead(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := &logEntriesPage{Head: head}

	// The "open entry" form: go to the entry, or say why not.
	if s, ok := q["index"]; ok && q.Get("subject") == "" {
		data.IndexValue = strings.TrimSpace(s[0])
		n, err := strconv.ParseUint(data.IndexValue, 10, 64)
		switch {
		case err != nil:
			data.IndexError = l.T("log.error.index_number")
		case n >= uint64(head.Size):
			data.IndexError = l.T("log.error.index_beyond", "last", l.Number(max(head.Size-1, 0)))
		default:
			http.Redirect(w, r, fmt.Sprintf("/log/entries/%d", n), http.StatusSeeOther)
			return
		}
	}

	if subject := q.Get("subject"); subject != "" {
		if len(subject) > 200 {
			h.notFound(w, r)
			return
		}
		entries, err := audit.EntriesFor(ctx, h.app.DB, subject)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		data.Subject = subject
		for _, e := range entries {
			data.Entries = append(data.Entries, h.newEntryView(l, e))
		}
		if len(entries) > 0 {
			data.Kind = entries[0].Kind
			if k, ok := h.subjectKind(data.Kind); ok && record.ValidID(subject) {
				// The record is named only to whoever may read it, within
				// their cases (the store answers "not found" outside them);
				// it is "gone" only when no revision of it is left.
				title, err := "", db.ErrNotFound
				if mayRead(ctx, k) {
					title, err = k.title(ctx, h, subject)
				}
				if errors.Is(err, db.ErrNotFound) {
					var revs []record.Revision
					revs, err = record.History(ctx, h.app.DB, k.kind, subject)
					data.Gone = err == nil && len(revs) == 0
				}
				switch {
				case err == nil && title != "":
					data.Title, data.RecordURL = title, h.subjectURL(data.Kind, subject)
				case err == nil:
				default:
					h.fail(w, r, err)
					return
				}
			}
		}
		h.render(w, r, http.StatusOK, "log_entries", "log", data)
		return
	}

	// Newest first, a page at a time, counted back from ?before=.
	before := uint64(head.Size)
	if s := q.Get("before"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			h.notFound(w, r)
			return
		}
		before = min(n, before)
	}
	begin := before - min(before, logPageSize)
	entries, err := audit.Entries(ctx, h.app.DB, begin, before)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, e := range slices.Backward(entries) {
		data.Entries = append(data.Entries, h.newEntryView(l, e))
	}
	data.First, data.Last = int(begin), int(before)-1
	if begin > 0 {
		data.OlderURL = fmt.Sprintf("/log/entries?before=%d", begin)
	}
	if before < uint64(head.Size) {
		data.NewestURL = "/log/entries"
		if newer := before + logPageSize; newer < uint64(head.Size) {
			data.NewerURL = fmt.Sprintf("/log/entries?before=%d", newer)
		} else {
			data.NewerURL = data.NewestURL
		}
	}
	status := http.StatusOK
	if data.IndexError != "" {
		status = http.StatusBadRequest
	}
	h.render(w, r, status, "log_entries", "log", data)
}

// ---- /log/entries/{index}

type logEntryPage struct {
	base
	Head     logHead
	Entry    entryView
	Leaf     string
	LeafHash string // hex
	Content  *contentCheck
	PrevURL  string
	NextURL  string

	// The inclusion proof against the newest checkpoint, when one covers
	// the entry.
	Checkpoint    *checkpointView
	NoCheckpoint  bool // none was ever signed
	AfterNewest   bool // the entry came after the newest checkpoint
	SignatureOK   bool // the checkpoint verifies with the log's key
	ProofOK       bool // the proof leads from the leaf to the checkpoint's root
	ProofError    string
	Steps         []proofStep
	ProofURL      string // the API's proof, for checking elsewhere
	SiteURL       string // this site's address, for the commands shown
	CheckpointURL string
}

// contentCheck compares an entry's content hash with the version of the
// record it vouches for, as Dossier keeps it today.
type contentCheck struct {
	Label      string // the record's kind
	Version    int
	VersionURL string
	Hash       string // SHA-256 of the version as kept today
	Matches    bool
	Missing    bool // the version is no longer in the database
}

func (h *handler) logEntry(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l := h.localizer(r)
	index, err := strconv.ParseUint(r.PathValue("index"), 10, 64)
	if err != nil {
		h.notFound(w, r)
		return
	}
	head, err := h.readHead(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if index >= uint64(head.Size) {
		h.notFound(w, r)
		return
	}
	entries, err := audit.Entries(ctx, h.app.DB, index, index+1)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(entries) != 1 {
		h.fail(w, r, fmt.Errorf("audit log: entry %d is missing", index))
		return
	}
	e := entries[0]
	leaf := e.Leaf()
	data := &logEntryPage{Head: head, Entry: h.newEntryView(l, e), Leaf: string(leaf),
		LeafHash: hex.EncodeToString(leafHash(leaf)), SiteURL: siteURL(r)}
	if index > 0 {
		data.PrevURL = fmt.Sprintf("/log/entries/%d", index-1)
	}
	if index+1 < uint64(head.Size) {
		data.NextURL = fmt.Sprintf("/log/entries/%d", index+1)
	}
	if data.Content, err = h.checkContent(ctx, l, e); err != nil {
		h.fail(w, r, err)
		return
	}

	cp, err := audit.LatestCheckpoint(ctx, h.app.DB)
	switch {
	case errors.Is(err, db.ErrNotFound):
		data.NoCheckpoint = true
	case err != nil:
		h.fail(w, r, err)
		return
	case index >= cp.Size:
		data.AfterNewest = true
	default:
		v, err := h.checkpointView(ctx, cp, false)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		data.Checkpoint = &v
		data.ProofURL = fmt.Sprintf("/api/v1/log/entries/%d/proof?size=%d", index, cp.Size)
		data.CheckpointURL = v.URL
		// The proof is checked against the root the checkpoint signed, as
		// someone holding only its text would check it.
		root := cp.Root
		if k := h.app.LogKey; k != nil {
			got, _, err := audit.OpenCheckpoint([]byte(cp.Note), k.Verifier())
			data.SignatureOK = err == nil && got.Size == cp.Size
			if data.SignatureOK {
				root = got.Root
			}
		}
		data.Checkpoint.Root, data.Checkpoint.RootHex = base64.StdEncoding.EncodeToString(root), hex.EncodeToString(root)
		proof, err := audit.InclusionProof(ctx, h.app.DB, index, cp.Size)
		if err != nil {
			// A proof that cannot be built (a stored node gone) is itself a
			// finding: say so, and leave the cause to verification.
			data.ProofError = err.Error()
			break
		}
		steps, reached := inclusionSteps(index, cp.Size, leaf, proof)
		data.Steps = steps
		verr := audit.VerifyInclusion(index, cp.Size, leaf, proof, root)
		data.ProofOK = verr == nil && bytes.Equal(reached, root)
		if verr != nil {
			data.ProofError = verr.Error()
		}
	}
	h.render(w, r, http.StatusOK, "log_entry", "log", data)
}

// checkContent hashes the version of the record an entry vouches for, as
// it is kept today; nil for entries about something other than a record.
func (h *handler) checkContent(ctx context.Context, l *localizer, e audit.Entry) (*contentCheck, error) {
	k, ok := logKinds[e.Kind]
	isEvidence := h.evidence != nil && e.Kind == string(evidence.Kind)
	if isEvidence {
		k, ok = evidenceLogKind, true
	}
	if !ok || e.Version < 1 || !record.ValidID(e.Subject) {
		return nil, nil
	}
	c := &contentCheck{Label: labelOr(l, "log.kind."+e.Kind, e.Kind), Version: e.Version}
	if !isEvidence {
		// Items of evidence have no page per version.
		c.VersionURL = fmt.Sprintf("/%s/%s/history/%d", k.section, e.Subject, e.Version)
	}
	rev, err := record.RevisionAt(ctx, h.app.DB, k.kind, e.Subject, e.Version)
	// A record deleted outside Dossier has no current version to read:
	// that is what the page reports.
	if errors.Is(err, db.ErrNotFound) || (err == nil && len(rev.Snapshot) == 0) {
		c.Missing = true
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(rev.Snapshot)
	c.Hash = hex.EncodeToString(sum[:])
	c.Matches = c.Hash == e.ContentHash
	return c, nil
}

// proofStep is one hash of an inclusion proof, combined with the hash so
// far: what someone checking by hand computes next.
type proofStep struct {
	Number  int
	Sibling string // hex
	OnLeft  bool   // the sibling goes first: SHA-256(0x01 ‖ sibling ‖ so far)
	Result  string // hex
}

// leafHash is RFC 6962's hash of a leaf: SHA-256(0x00 ‖ leaf).
func leafHash(leaf []byte) []byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(leaf)
	return h.Sum(nil)
}

// nodeHash is RFC 6962's hash of an interior node: SHA-256(0x01 ‖ l ‖ r).
func nodeHash(left, right []byte) []byte {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(left)
	h.Write(right)
	return h.Sum(nil)
}

// inclusionSteps walks an inclusion proof from the leaf up, as RFC 9162
// §2.1.3.2 verifies it, and returns each step with the root it arrives at.
// The page shows the steps so that anyone can redo them with sha256sum;
// whether the proof holds is decided by audit.VerifyInclusion.
func inclusionSteps(index, size uint64, leaf []byte, proof [][]byte) ([]proofStep, []byte) {
	fn, sn := index, size-1
	r := leafHash(leaf)
	steps := make([]proofStep, 0, len(proof))
	for i, p := range proof {
		step := proofStep{Number: i + 1, Sibling: hex.EncodeToString(p)}
		if fn&1 == 1 || fn == sn {
			step.OnLeft = true
			r = nodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = nodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
		step.Result = hex.EncodeToString(r)
		steps = append(steps, step)
	}
	return steps, r
}

// siteURL is this site's address as the browser reached it, for commands
// to copy.
func siteURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// ---- /verify

type verifyPage struct {
	base
	KeyLoaded bool
	Report    *verifyReport
	RunError  string // catalog key: verification could not run
	Against   *againstResult
	FormError string // catalog key: the checkpoint form's problem
	Pasted    string
}

type verifyReport struct {
	OK          bool
	LogEntries  int
	Checkpoints int
	Records     int
	Revisions   int
	Blobs       int
	Took        string
	At          time.Time
	Problems    []problemView
	// Shredded: evidence files destroyed at their survivor's request, by
	// design, not altered.
	Shredded []integrity.ShreddedFile
}

type problemView struct {
	What   string
	Detail string
	URL    string // where to look, when the page can tell
}

type againstResult struct {
	OK         bool
	Signed     bool // the text is a checkpoint signed by this log's key
	Origin     string
	Size       int
	LogSize    int
	Root       string
	ProofLen   int
	Detail     string // why it failed, in the words of the check (English)
	IssuedHere bool   // Dossier kept this very checkpoint
}

func (h *handler) verifyPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "log_verify", "log", &verifyPage{KeyLoaded: h.app.LogKey != nil})
}

// verifySlot lets one verification run at a time: on a large store each
// re-reads every record and evidence file, and two at once would each take
// twice as long while slowing every write.
var verifySlot = make(chan struct{}, 1)

// verifyRun re-derives everything the store vouches for, in the request:
// there are no background jobs, so the page says it may take a while.
func (h *handler) verifyRun(w http.ResponseWriter, r *http.Request) {
	data := &verifyPage{KeyLoaded: h.app.LogKey != nil}
	if !data.KeyLoaded {
		data.RunError = "verify.problem.no_key"
		h.render(w, r, http.StatusServiceUnavailable, "log_verify", "log", data)
		return
	}
	select {
	case verifySlot <- struct{}{}:
		defer func() { <-verifySlot }()
	case <-r.Context().Done():
		return
	}
	at := time.Now()
	report, err := integrity.Verify(r.Context(), h.app)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l := h.localizer(r)
	v := &verifyReport{OK: report.OK(), LogEntries: int(report.LogEntries), Checkpoints: report.Checkpoints,
		Records: report.Records, Revisions: report.Revisions, Blobs: report.Blobs,
		Took: formatDuration(l, report.Took), At: at}
	for _, p := range report.Problems {
		v.Problems = append(v.Problems, problemView{What: p.What, Detail: p.Detail, URL: h.problemURL(p.What)})
	}
	v.Shredded = report.Shredded
	data.Report = v
	h.render(w, r, http.StatusOK, "log_verify", "log", data)
}

// verifyAgainst proves the log extends a checkpoint kept outside, pasted
// or uploaded.
func (h *handler) verifyAgainst(w http.ResponseWriter, r *http.Request) {
	data := &verifyPage{KeyLoaded: h.app.LogKey != nil}
	if !data.KeyLoaded {
		data.RunError = "verify.problem.no_key"
		h.render(w, r, http.StatusServiceUnavailable, "log_verify", "log", data)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 2*maxCheckpointUpload)
	if err := r.ParseMultipartForm(maxCheckpointUpload); err != nil {
		data.FormError = "verify.problem.too_large"
		var tooBig *http.MaxBytesError
		if !errors.As(err, &tooBig) {
			data.FormError = "verify.problem.no_checkpoint"
		}
		h.render(w, r, http.StatusBadRequest, "log_verify", "log", data)
		return
	}
	defer r.MultipartForm.RemoveAll()
	text := r.FormValue("checkpoint")
	if f, _, err := r.FormFile("checkpoint_file"); err == nil {
		b, err := io.ReadAll(io.LimitReader(f, maxCheckpointUpload+1))
		f.Close()
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if len(b) > maxCheckpointUpload {
			data.FormError = "verify.problem.too_large"
			h.render(w, r, http.StatusRequestEntityTooLarge, "log_verify", "log", data)
			return
		}
		if len(bytes.TrimSpace(b)) > 0 {
			text = string(b)
		}
	}
	data.Pasted = text
	if strings.TrimSpace(text) == "" {
		data.FormError = "verify.problem.no_checkpoint"
		h.render(w, r, http.StatusBadRequest, "log_verify", "log", data)
		return
	}
	signed := []byte(normalizeNote(text))
	ctx := r.Context()
	cp, proof, err := audit.VerifyAgainst(ctx, h.app.DB, h.app.LogKey, signed)
	head, herr := audit.CurrentHead(ctx, h.app.DB)
	if herr != nil {
		h.fail(w, r, herr)
		return
	}
	res := &againstResult{OK: err == nil, Signed: cp.Origin != "", Origin: cp.Origin, Size: int(cp.Size),
		LogSize: int(head.Size), Root: base64.StdEncoding.EncodeToString(cp.Root), ProofLen: len(proof)}
	if err != nil {
		res.Detail = err.Error()
	}
	if res.Signed {
		if kept, err := audit.CheckpointAt(ctx, h.app.DB, cp.Size); err == nil && bytes.Equal(kept.Root, cp.Root) {
			res.IssuedHere = true
		}
	}
	data.Against = res
	h.render(w, r, http.StatusOK, "log_verify", "log", data)
}

// normalizeNote undoes what pasting into a form does to a signed note: a
// browser sends a text area's lines ending in CR LF and may drop the final
// line break, and an editor may have added a byte-order mark or blank lines.
func normalizeNote(s string) string {
	s = strings.TrimPrefix(s, "\ufeff")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimSpace(s) + "\n"
}

// formatDuration says how long verification took, in seconds with the
// language's decimal sign and digits.
func formatDuration(l *localizer, d time.Duration) string {
	s := strconv.FormatFloat(d.Seconds(), 'f', 1, 64)
	if d < 100*time.Millisecond {
		s = strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
	}
	switch l.lang.Code {
	case "fr":
		s = strings.Replace(s, ".", ",", 1)
	case "ar":
		s = strings.Replace(s, ".", "٫", 1)
	}
	return l.T("verify.seconds", "n", l.digits(s))
}

var (
	problemEntry   = regexp.MustCompile(`^audit log entry (\d+)$`)
	problemEntries = regexp.MustCompile(`^audit log entries (\d+)–(\d+)$`)
	problemRecord  = regexp.MustCompile(`^([a-z]+) ([0-9a-f-]{36})(?: version (\d+))?$`)
)

// problemURL is the page to look at for a problem verification named, when
// it names an entry or a record this interface shows.
func (h *handler) problemURL(what string) string {
	if m := problemEntry.FindStringSubmatch(what); m != nil {
		return "/log/entries/" + m[1]
	}
	if m := problemEntries.FindStringSubmatch(what); m != nil {
		last, err := strconv.ParseUint(m[2], 10, 64)
		if err != nil {
			return ""
		}
		return fmt.Sprintf("/log/entries?before=%d", last+1)
	}
	if m := problemRecord.FindStringSubmatch(what); m != nil {
		if !record.ValidID(m[2]) {
			return ""
		}
		if k, ok := logKinds[m[1]]; ok {
			if m[3] != "" {
				return "/" + k.section + "/" + m[2] + "/history"
			}
			return "/" + k.section + "/" + m[2]
		}
		return h.subjectURL(m[1], m[2])
	}
	return ""
}
