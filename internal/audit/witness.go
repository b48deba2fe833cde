package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/dossier-org/dossier/internal/db"
)

// A log proves it was never rewritten only to someone who kept one of its
// old checkpoints. Witnesses keep them: a directory (for partners and courts
// to collect), or a server speaking the C2SP tlog-witness protocol (another
// Dossier, or any witness of that protocol), which checks each new checkpoint
// is consistent with the last it saw and cosigns it.

// Witness is a place checkpoints are published to.
type Witness struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// VerifierKey checks a witness server's cosignatures (note vkey of a
	// cosignature/v1 key); empty for a directory.
	VerifierKey   string    `json:"verifier_key,omitempty"`
	PublishedSize uint64    `json:"published_size"`
	PublishedAt   time.Time `json:"published_at,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
}

var witnessName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// AddWitness registers a witness: file:///dir, or http(s)://… of a witness
// server with the verifier key of its cosignatures.
func AddWitness(ctx context.Context, d *db.DB, w Witness) error {
	if !witnessName.MatchString(w.Name) {
		return fmt.Errorf("witness name %q: use letters, digits, '.', '_' or '-'", w.Name)
	}
	u, err := url.Parse(w.URL)
	if err != nil {
		return fmt.Errorf("witness URL: %w", err)
	}
	switch u.Scheme {
	case "file":
		if u.Path == "" || !filepath.IsAbs(u.Path) {
			return errors.New("witness URL: a directory witness is file:///absolute/path")
		}
	case "http", "https":
		if w.VerifierKey == "" {
			return errors.New("witness key: a witness server needs the verifier key of its cosignatures")
		}
		if _, err := fnote.NewVerifierForCosignatureV1(w.VerifierKey); err != nil {
			if _, err2 := note.NewVerifier(w.VerifierKey); err2 != nil {
				return fmt.Errorf("witness key: %w", err)
			}
		}
	default:
		return fmt.Errorf("witness URL: scheme %q is neither file nor http(s)", u.Scheme)
	}
	return d.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO audit_witnesses (name, url, verifier_key, added_at) VALUES ($1, $2, $3, $4)`,
			w.Name, w.URL, w.VerifierKey, db.FormatTime(db.Now()))
		if errors.Is(db.Explain(err), db.ErrDuplicate) {
			return fmt.Errorf("a witness named %q exists already: %w", w.Name, db.ErrDuplicate)
		}
		return err
	})
}

// RemoveWitness stops publishing to a witness.
func RemoveWitness(ctx context.Context, d *db.DB, name string) error {
	return d.Write(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM audit_witnesses WHERE name = $1`, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("witness %q: %w", name, db.ErrNotFound)
		}
		return nil
	})
}

// Witnesses lists the registered witnesses.
func Witnesses(ctx context.Context, q db.Querier) ([]Witness, error) {
	rows, err := q.Query(ctx, `SELECT name, url, verifier_key, published_size, published_at, last_error FROM audit_witnesses ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("read witnesses: %w", err)
	}
	defer rows.Close()
	var out []Witness
	for rows.Next() {
		var w Witness
		var size int64
		var at string
		if err := rows.Scan(&w.Name, &w.URL, &w.VerifierKey, &size, &at, &w.LastError); err != nil {
			return nil, err
		}
		w.PublishedSize = uint64(size)
		if at != "" {
			w.PublishedAt, _ = db.ParseTime(at)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// Cosignatures reads the witnesses' cosignature lines of a checkpoint.
func Cosignatures(ctx context.Context, q db.Querier, size uint64) ([]string, error) {
	return db.Column[string](q.Query(ctx, `SELECT signature FROM audit_cosignatures WHERE size = $1 ORDER BY witness`, int64(size)))
}

// WithCosignatures is the checkpoint's note with the witnesses' signature
// lines added: one text a client checks against the log's key and the keys
// of the witnesses it trusts.
func WithCosignatures(cp Checkpoint, cosignatures []string) string {
	return cp.Note + strings.Join(cosignatures, "")
}

// Publish sends the checkpoint to every witness, returning them as they now
// stand; a witness that fails keeps its error and does not stop the others.
func Publish(ctx context.Context, d *db.DB, cp Checkpoint, client *http.Client) ([]Witness, error) {
	witnesses, err := Witnesses(ctx, d)
	if err != nil {
		return nil, err
	}
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	for i := range witnesses {
		w := &witnesses[i]
		if cp.Size < w.PublishedSize {
			continue
		}
		var cosig string
		var perr error
		if strings.HasPrefix(w.URL, "file:") {
			perr = publishToDirectory(w, cp)
		} else {
			cosig, perr = publishToServer(ctx, d, client, w, cp)
		}
		w.LastError = ""
		if perr != nil {
			w.LastError = perr.Error()
		} else {
			w.PublishedSize, w.PublishedAt = cp.Size, db.Now()
		}
		err := d.Write(ctx, func(tx *db.Tx) error {
			if perr == nil && cosig != "" {
				if _, err := tx.Exec(ctx, `INSERT INTO audit_cosignatures (size, witness, signature) VALUES ($1, $2, $3)
					ON CONFLICT (size, witness) DO UPDATE SET signature = excluded.signature`, int64(cp.Size), w.Name, cosig); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, `UPDATE audit_witnesses SET published_size = $1, published_at = $2, last_error = $3 WHERE name = $4`,
				int64(w.PublishedSize), formatOptionalTime(w.PublishedAt), w.LastError, w.Name)
			return err
		})
		if err != nil {
			return witnesses, fmt.Errorf("record publication to witness %s: %w", w.Name, err)
		}
	}
	return witnesses, nil
}

func formatOptionalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return db.FormatTime(t)
}

// publishToDirectory writes the checkpoint as DIR/checkpoint (the newest) and
// DIR/checkpoints/SIZE, each written whole before it is renamed into place.
func publishToDirectory(w *Witness, cp Checkpoint) error {
	u, err := url.Parse(w.URL)
	if err != nil {
		return err
	}
	dir := u.Path
	if err := os.MkdirAll(filepath.Join(dir, "checkpoints"), 0o755); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, "checkpoints", strconv.FormatUint(cp.Size, 10)), []byte(cp.Note)); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, "checkpoint"), []byte(cp.Note))
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// publishToServer speaks C2SP tlog-witness: POST add-checkpoint with the size
// the witness last saw, a consistency proof from it, and the checkpoint. A
// witness that saw another size says so (409 with its size); we retry once
// from there.
func publishToServer(ctx context.Context, q db.Querier, client *http.Client, w *Witness, cp Checkpoint) (string, error) {
	verifier, err := fnote.NewVerifierForCosignatureV1(w.VerifierKey)
	if err != nil {
		return "", fmt.Errorf("witness key: %w", err)
	}
	endpoint := strings.TrimSuffix(w.URL, "/") + "/add-checkpoint"
	old := w.PublishedSize
	for attempt := 0; attempt < 2; attempt++ {
		proof, err := ConsistencyProof(ctx, q, old, cp.Size)
		if err != nil {
			return "", err
		}
		var body bytes.Buffer
		fmt.Fprintf(&body, "old %d\n", old)
		for _, h := range proof {
			fmt.Fprintf(&body, "%s\n", base64.StdEncoding.EncodeToString(h))
		}
		body.WriteString("\n")
		body.WriteString(cp.Note)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, &body)
		if err != nil {
			return "", err
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", fmt.Errorf("witness %s: %w", w.Name, err)
		}
		reply, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			return checkCosignature(verifier, cp, reply)
		case http.StatusConflict:
			size, perr := strconv.ParseUint(strings.TrimSpace(string(reply)), 10, 64)
			if perr != nil || size == old {
				return "", fmt.Errorf("witness %s refused the checkpoint: %s", w.Name, strings.TrimSpace(string(reply)))
			}
			if size > cp.Size {
				return "", fmt.Errorf("witness %s has seen a checkpoint of size %d, larger than this log's %d: the log may have been rolled back", w.Name, size, cp.Size)
			}
			old = size
		default:
			return "", fmt.Errorf("witness %s answered %s: %s", w.Name, resp.Status, strings.TrimSpace(string(reply)))
		}
	}
	return "", fmt.Errorf("witness %s keeps disagreeing on the last size it saw", w.Name)
}

// checkCosignature accepts a witness's reply only if its signature line
// verifies over this checkpoint.
func checkCosignature(verifier note.Verifier, cp Checkpoint, reply []byte) (string, error) {
	for _, line := range strings.SplitAfter(string(reply), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if !strings.HasSuffix(line, "\n") {
			line += "\n"
		}
		if _, err := note.Open([]byte(cp.Note+line), note.VerifierList(verifier)); err == nil {
			return line, nil
		}
	}
	return "", fmt.Errorf("witness %s: its reply holds no valid cosignature", verifier.Name())
}

// WitnessKeyFile is where a data directory keeps the key this Dossier
// cosigns other logs' checkpoints with.
func WitnessKeyFile(dataDir string) string { return filepath.Join(dataDir, "keys", "witness.key") }

// WitnessKey is this Dossier's cosigning key, kept apart from its log key:
// vouching for another log and signing one's own are different statements.
type WitnessKey struct {
	signer *fnote.Signer
	// Public is the cosignature/v1 verifier key partners register.
	Public string
}

// LoadWitnessKey reads or creates the cosigning key.
func LoadWitnessKey(dataDir string) (*WitnessKey, error) {
	path := WitnessKeyFile(dataDir)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		skey, _, gerr := note.GenerateKey(rand.Reader, "dossier.witness/"+uuid.NewString())
		if gerr != nil {
			return nil, gerr
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		f, ferr := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if ferr != nil {
			if errors.Is(ferr, os.ErrExist) {
				return LoadWitnessKey(dataDir)
			}
			return nil, ferr
		}
		_, werr := f.WriteString(skey + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return nil, werr
		}
		b = []byte(skey)
	} else if err != nil {
		return nil, err
	}
	skey := strings.TrimSpace(string(b))
	signer, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	plain, err := ParseKey(skey)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cosigKey, err := fnote.VKeyToCosignatureV1(plain.Public)
	if err != nil {
		return nil, err
	}
	return &WitnessKey{signer: signer, Public: cosigKey}, nil
}

// CosignatureVerifier checks a witness's cosignatures by its verifier key.
func CosignatureVerifier(vkey string) (note.Verifier, error) {
	return fnote.NewVerifierForCosignatureV1(strings.TrimSpace(vkey))
}

// WitnessedLog is another log this Dossier witnesses.
type WitnessedLog struct {
	Origin      string    `json:"origin"`
	VerifierKey string    `json:"verifier_key"`
	Size        uint64    `json:"size"`
	Root        []byte    `json:"root"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// TrustLog registers another log, by the verifier key of its checkpoints,
// so that this Dossier will witness it.
func TrustLog(ctx context.Context, d *db.DB, vkey string) (WitnessedLog, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return WitnessedLog{}, fmt.Errorf("log key: %w", err)
	}
	l := WitnessedLog{Origin: v.Name(), VerifierKey: strings.TrimSpace(vkey), UpdatedAt: db.Now()}
	err = d.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO witnessed_logs (origin, verifier_key, updated_at) VALUES ($1, $2, $3)`,
			l.Origin, l.VerifierKey, db.FormatTime(l.UpdatedAt))
		if errors.Is(db.Explain(err), db.ErrDuplicate) {
			return fmt.Errorf("log %s is witnessed already: %w", l.Origin, db.ErrDuplicate)
		}
		return err
	})
	return l, err
}

// WitnessedLogs lists the logs this Dossier witnesses.
func WitnessedLogs(ctx context.Context, q db.Querier) ([]WitnessedLog, error) {
	rows, err := q.Query(ctx, `SELECT origin, verifier_key, size, root_hash, updated_at FROM witnessed_logs ORDER BY origin`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WitnessedLog
	for rows.Next() {
		var l WitnessedLog
		var size int64
		var at string
		if err := rows.Scan(&l.Origin, &l.VerifierKey, &size, &l.Root, &at); err != nil {
			return nil, err
		}
		l.Size = uint64(size)
		l.UpdatedAt, _ = db.ParseTime(at)
		out = append(out, l)
	}
	return out, rows.Err()
}

// WitnessHandler serves C2SP tlog-witness's add-checkpoint for the logs this
// Dossier trusts: it cosigns a checkpoint only if it is consistent with the
// last one it cosigned for that log, and never lets a log go back.
func WitnessHandler(d *db.DB, key *WitnessKey) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST a checkpoint", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			http.Error(w, "unreadable request", http.StatusBadRequest)
			return
		}
		status, reply := addCheckpoint(r.Context(), d, key, body)
		if status == http.StatusConflict {
			w.Header().Set("Content-Type", "text/x.tlog.size")
		} else {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
		w.WriteHeader(status)
		io.WriteString(w, reply)
	})
}

func addCheckpoint(ctx context.Context, d *db.DB, key *WitnessKey, body []byte) (int, string) {
	sc := bufio.NewScanner(bytes.NewReader(body))
	if !sc.Scan() {
		return http.StatusBadRequest, "empty request\n"
	}
	oldField, ok := strings.CutPrefix(sc.Text(), "old ")
	old, err := strconv.ParseUint(oldField, 10, 64)
	if !ok || err != nil {
		return http.StatusBadRequest, "the first line must be \"old SIZE\"\n"
	}
	consumed := len(sc.Text()) + 1
	var proof [][]byte
	for sc.Scan() {
		consumed += len(sc.Text()) + 1
		if sc.Text() == "" {
			break
		}
		h, err := base64.StdEncoding.DecodeString(sc.Text())
		if err != nil || len(h) != 32 {
			return http.StatusBadRequest, "a proof line is not a base64 hash\n"
		}
		if len(proof) == 63 {
			return http.StatusBadRequest, "too many proof lines\n"
		}
		proof = append(proof, h)
	}
	if consumed > len(body) {
		return http.StatusBadRequest, "no checkpoint after the proof\n"
	}
	signed := body[consumed:]
	origin, _, _ := strings.Cut(string(signed), "\n")

	var status int
	var reply string
	err = d.Write(ctx, func(tx *db.Tx) error {
		query := `SELECT verifier_key, size, root_hash FROM witnessed_logs WHERE origin = $1`
		if tx.Dialect() == db.Postgres {
			query += ` FOR UPDATE`
		}
		var vkey string
		var size int64
		var root []byte
		err := tx.QueryRow(ctx, query, origin).Scan(&vkey, &size, &root)
		if errors.Is(err, sql.ErrNoRows) {
			status, reply = http.StatusNotFound, "unknown log\n"
			return nil
		}
		if err != nil {
			return err
		}
		verifier, err := note.NewVerifier(vkey)
		if err != nil {
			return err
		}
		cp, n, err := OpenCheckpoint(signed, verifier)
		if err != nil {
			status, reply = http.StatusForbidden, "the checkpoint is not signed by the log's key\n"
			return nil
		}
		switch {
		case old != uint64(size):
			status, reply = http.StatusConflict, strconv.FormatInt(size, 10)+"\n"
			return nil
		case cp.Size < old:
			status, reply = http.StatusBadRequest, "the checkpoint is older than the one given as old\n"
			return nil
		case cp.Size == old && old > 0 && !bytes.Equal(cp.Root, root):
			status, reply = http.StatusConflict, strconv.FormatInt(size, 10)+"\n"
			return nil
		}
		if old > 0 && cp.Size > old {
			if err := VerifyConsistency(old, cp.Size, proof, root, cp.Root); err != nil {
				status, reply = http.StatusUnprocessableEntity, "the proof does not show the checkpoint extends the last one cosigned\n"
				return nil
			}
		}
		cosigned, err := note.Sign(&note.Note{Text: n.Text}, key.signer)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE witnessed_logs SET size = $1, root_hash = $2, updated_at = $3 WHERE origin = $4`,
			int64(cp.Size), cp.Root, db.FormatTime(db.Now()), origin); err != nil {
			return err
		}
		// The reply is the signature lines alone, after the note's blank line.
		_, sigs, _ := strings.Cut(string(cosigned), "\n\n")
		status, reply = http.StatusOK, sigs
		return nil
	})
	if err != nil {
		return http.StatusInternalServerError, "the witness could not record the checkpoint\n"
	}
	return status, reply
}
