package transfer

import (
	"context"
	"fmt"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/survivor"
)

// WithheldCount is what an export for a use would withhold, counted by
// why, so that a person can see it before downloading: the same acts and
// the same consent rule as ExportFor, without writing the export.
type WithheldCount struct {
	Use survivor.Use `json:"use"`
	// Checked counts the acts that name a victim code; Total the codes
	// withheld, which are one of the following.
	Checked int `json:"checked"`
	Total   int `json:"total"`
	// NoSurvivor: no survivor record has the code, so nobody consented.
	NoSurvivor int `json:"no_survivor"`
	// NotAsked: the survivor's record holds no decision on the use.
	NotAsked  int `json:"not_asked"`
	Refused   int `json:"refused"`
	Withdrawn int `json:"withdrawn"`
}

// CountWithheld counts, without exporting anything, the victim codes an
// export for use made now from ctx's cases would withhold. An empty use
// withholds nothing.
func CountWithheld(ctx context.Context, a *app.App, use survivor.Use) (WithheldCount, error) {
	n := WithheldCount{Use: use}
	if use == "" {
		return n, nil
	}
	ix, err := survivor.NewConsentIndex(ctx, a.DB, use)
	if err != nil {
		return n, err
	}
	err = a.Incidents.Each(ctx, func(in *incident.Incident) error {
		for _, act := range in.Acts {
			if act.Victim.Code == "" {
				continue
			}
			n.Checked++
			v := ix.Check(act.Victim.Code)
			if v.Allowed {
				continue
			}
			n.Total++
			switch {
			case !v.Known:
				n.NoSurvivor++
			case v.Consent.Decision == survivor.Refused:
				n.Refused++
			case v.Consent.Decision == survivor.Withdrawn:
				n.Withdrawn++
			default:
				n.NotAsked++
			}
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("count withheld victim codes: %w", err)
	}
	return n, nil
}
