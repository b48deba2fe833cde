// Package record holds what every kind of record in Dossier shares: a stable,
// sortable ID, who made each change and when, the revision history that every
// write appends to, validation errors that name the field, and dates that
// carry their uncertainty.
package record

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/dossier-org/dossier/internal/db"
)

// NewID returns a UUIDv7: unique, and sortable by creation time.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// ValidID reports whether s has the form of a record ID.
func ValidID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// Meta is the bookkeeping every record carries. Version counts the record's
// revisions and guards against lost updates: an edit names the version it
// started from.
type Meta struct {
	ID        string    `json:"id"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

type actorKey struct{}

// WithActor names who is acting for every write made with ctx.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// HasActor reports whether ctx names who is acting.
func HasActor(ctx context.Context) bool {
	a, ok := ctx.Value(actorKey{}).(string)
	return ok && a != ""
}

// Actor is who is acting, as set by WithActor.
func Actor(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return "unknown"
}

// SetTimes reads the stored creation and update instants.
func (m *Meta) SetTimes(created, updated string) error {
	var err error
	if m.CreatedAt, err = db.ParseTime(created); err != nil {
		return err
	}
	m.UpdatedAt, err = db.ParseTime(updated)
	return err
}
