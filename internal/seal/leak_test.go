package seal

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/db"
)

// TestNoPlaintextInTheDatabase seals synthetic names and testimony, stores
// them as a record would (ciphertext and blind index tokens), and searches
// every byte of the database for them: the SQLite files, and a pg_dump.
// A control value stored in the clear must be found, so the search is known
// to see what it looks for.
func TestNoPlaintextInTheDatabase(t *testing.T) {
	secrets := map[string]string{
		"name":      "Zainab Synthetica Qorvalli",
		"contact":   "+249 91 555 0199",
		"residence": "مخيم الحصاحيصا السري",
		"testimony": "They came at night to the Qorvalli compound near the blue water tower and took my sister",
	}
	const control = "CONTROL-PLAINTEXT-VISIBLE"
	forEachEngineRaw(t, func(t *testing.T, d *db.DB, raw func() []byte) {
		ctx := context.Background()
		s := newSealer(t, d, t.TempDir())
		blobType := "BLOB"
		if d.Dialect == db.Postgres {
			blobType = "BYTEA"
		}
		err := d.Write(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(ctx, `CREATE TABLE seal_probe (subject TEXT, field TEXT, value `+blobType+`, tokens TEXT, note TEXT)`); err != nil {
				return err
			}
			for field, secret := range secrets {
				ct, err := s.SealTx(ctx, tx, "survivor-42", field, []byte(secret))
				if err != nil {
					return err
				}
				tokens := strings.Join(s.IndexTokens(secret), " ")
				if _, err := tx.Exec(ctx, `INSERT INTO seal_probe VALUES ($1, $2, $3, $4, $5)`,
					"survivor-42", field, ct, tokens, control); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		dump := raw()
		if !bytes.Contains(dump, []byte(control)) {
			t.Fatal("the control value is not found: the search is blind")
		}
		for field, secret := range secrets {
			needles := []string{secret, strings.ToLower(secret)}
			for _, word := range strings.Fields(secret) {
				if len(word) >= 5 {
					needles = append(needles, word, strings.ToLower(word))
				}
			}
			for _, needle := range needles {
				if bytes.Contains(dump, []byte(needle)) {
					t.Errorf("the raw database holds %q from the sealed %s", needle, field)
				}
			}
		}
	})
}
