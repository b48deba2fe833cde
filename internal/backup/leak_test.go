package backup_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/backup"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
)

// TestBackupHoldsNoSurvivorInClear writes a synthetic survivor's identity,
// testimony and a testimony file, takes a backup, and searches every byte
// of it: sealed values and evidence files travel encrypted, and the
// key-encryption key is not in it. The survivor's code, stored in clear,
// must be found, so the search is known to see what it looks for.
func TestBackupHoldsNoSurvivorInClear(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			ctx := record.WithActor(context.Background(), "test")
			cfg := app.Config{DataDir: t.TempDir(), DatabaseURL: e.url(t)}
			a, err := app.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			secrets := []string{"Oriel Synthwaite", "+000 555 0199", "the blue door behind the Quenmarsh well",
				"At the Quenmarsh checkpoint the guards took the synthetic witness aside"}
			admin := survivor.Administrator(ctx)
			sv := &survivor.Survivor{Code: "SYN-BACKUP-0001", Synthetic: true}
			if err := a.Survivors.Create(ctx, admin, sv, survivor.Identity{Name: secrets[0], Contact: secrets[1], Residence: secrets[2]}); err != nil {
				t.Fatal(err)
			}
			iv := &survivor.Interview{SurvivorID: sv.ID, HeldOn: "2024-02-01", Interviewer: "Farah", InterviewerSex: incident.Female, Language: "en"}
			if err := a.Survivors.AddInterview(ctx, admin, iv, secrets[3]); err != nil {
				t.Fatal(err)
			}
			file := strings.Repeat("Transcript: "+secrets[3]+"\n", 50)
			if _, err := a.Evidence.Ingest(ctx, strings.NewReader(file), "", &evidence.Item{Filename: "transcript.txt", Type: evidence.SurvivorTestimony}); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := backup.Write(ctx, a, &buf, backup.Options{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL, IncludeSigningKeys: true}); err != nil {
				t.Fatal(err)
			}
			all := buf.Bytes()
			if !bytes.Contains(all, []byte("SYN-BACKUP-0001")) {
				t.Fatal("the survivor's code is not in the backup: the search is blind")
			}
			for _, s := range append(secrets, "Synthwaite", "Quenmarsh", "Transcript:") {
				if bytes.Contains(all, []byte(s)) || bytes.Contains(bytes.ToLower(all), []byte(strings.ToLower(s))) {
					t.Errorf("the backup holds %q in clear", s)
				}
			}
			if bytes.Contains(all, []byte("primaryKeyId")) {
				t.Error("the backup holds the key-encryption key")
			}
		})
	}
}
