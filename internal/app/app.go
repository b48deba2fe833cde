// Package app opens a Dossier: its database and the stores of every kind of
// record, ready for the command line, the API and the web UI to share.
package app

import (
	"context"
	"fmt"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/evidence"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/seal"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
	"github.com/dossier-org/dossier/internal/survivor"
)

// Config says where a Dossier keeps its data.
type Config struct {
	// DataDir holds the SQLite database (and, later, evidence files).
	DataDir string
	// DatabaseURL selects PostgreSQL (postgres://…); empty means SQLite in DataDir.
	DatabaseURL string
	// BlobURL selects where evidence files are kept: empty for DataDir/blobs,
	// file:///dir, or s3://bucket/prefix?endpoint=… (see docs/blob-storage.md).
	BlobURL string
}

// App is an open Dossier.
type App struct {
	DB *db.DB
	// DataDir is the data directory: keys, uploads in progress, and (by
	// default) the SQLite database and evidence files. Empty for an App
	// made by New.
	DataDir string
	// LogKey signs the audit log's checkpoints; nil for an App made by New
	// without a data directory, which then cannot issue checkpoints.
	LogKey *audit.Key
	// WitnessKey cosigns other logs' checkpoints, for partners whose logs
	// this Dossier witnesses; nil for an App made by New.
	WitnessKey *audit.WitnessKey
	// Blobs holds evidence files by content, and Evidence the items that
	// describe them; both nil for an App made by New (see WithBlobs).
	Blobs      blob.Store
	Evidence   *evidence.Store
	Situations *situation.Store
	Parties    *party.Store
	Sources    *source.Store
	Incidents  *incident.Store
	// Sealer seals survivors' identities and testimony; nil when the
	// key-encryption key could not be opened (Survivors then says why
	// whenever a sealed value is asked for) and for an App made by New
	// (see WithSealer).
	Sealer    *seal.Sealer
	Survivors *survivor.Store
	// Accounts holds users, cases, sessions and API tokens; TOTP secrets
	// are sealed by Sealer when there is one.
	Accounts *account.Store
}

// Open opens (creating and migrating if need be) the Dossier cfg describes.
func Open(ctx context.Context, cfg Config) (*App, error) {
	d, err := db.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	key, err := audit.LoadKey(cfg.DataDir)
	if err != nil {
		d.Close()
		return nil, err
	}
	witnessKey, err := audit.LoadWitnessKey(cfg.DataDir)
	if err != nil {
		d.Close()
		return nil, err
	}
	// A missing key-encryption key (a restored backup, which never holds
	// it) must not keep the rest of the record from opening: only sealed
	// values and evidence files are out of reach, and their stores say why.
	sealer, sealErr := seal.Open(ctx, d, "", seal.Options{DataDir: cfg.DataDir})
	// Evidence files are sealed at rest with the deployment's keys; files
	// an older store kept in clear stay readable (docs/blob-storage.md).
	backend, err := blob.OpenBackend(ctx, cfg.BlobURL, cfg.DataDir)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("open the evidence store: %w", err)
	}
	blobs := blob.WithoutKeys(backend, sealErr)
	if sealErr == nil {
		blobs = blob.NewSealedStore(backend, sealer)
	}
	a := New(d).WithBlobs(blobs)
	a.DataDir, a.LogKey, a.WitnessKey = cfg.DataDir, key, witnessKey
	if sealErr != nil {
		a.Survivors = survivor.NewStore(d, nil).Unavailable(sealErr)
	} else {
		a.WithSealer(sealer)
	}
	return a, nil
}

// New wraps an open database.
func New(d *db.DB) *App {
	return &App{
		DB:         d,
		Situations: situation.NewStore(d),
		Parties:    party.NewStore(d),
		Sources:    source.NewStore(d),
		Incidents:  incident.NewStore(d),
		Survivors:  survivor.NewStore(d, nil),
		Accounts:   account.NewStore(d, account.Options{}),
	}
}

// WithSealer gives the App a sealer for survivors' sealed fields.
func (a *App) WithSealer(s *seal.Sealer) *App {
	a.Sealer, a.Survivors = s, survivor.NewStore(a.DB, s)
	a.Accounts = account.NewStore(a.DB, account.Options{Sealer: s})
	return a
}

// WithBlobs gives the App an evidence store keeping its files in blobs.
func (a *App) WithBlobs(blobs blob.Store) *App {
	a.Blobs, a.Evidence = blobs, evidence.NewStore(a.DB, blobs)
	return a
}

// Close closes the database.
func (a *App) Close() error { return a.DB.Close() }

// Empty reports whether the record holds nothing yet.
func (a *App) Empty(ctx context.Context) (bool, error) {
	var n int
	err := a.DB.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM situations) + (SELECT COUNT(*) FROM parties)
		+ (SELECT COUNT(*) FROM incidents) + (SELECT COUNT(*) FROM sources)`).Scan(&n)
	return n == 0, err
}
