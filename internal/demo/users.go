package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/record"
)

// Demo users: one per role, each a member of the cases a person in that
// role might work on, so that trying Dossier shows need-to-know at work —
// the analyst sees Sudan only, the administrator sees no incident at all.
// Those who may see survivors' identities are enrolled in two-factor
// authentication and given the grant. Their passwords are generated and
// shown once, to whoever started the demo.

// Credential is what a demo user logs in with, shown once.
type Credential struct {
	Name     string       `json:"name"`
	Role     account.Role `json:"role"`
	Password string       `json:"password"`
	Cases    []string     `json:"cases,omitempty"`
	// TOTPSecret and RecoveryCodes are set for users enrolled in two-factor
	// authentication.
	TOTPSecret    string   `json:"totp_secret,omitempty"`
	TOTPURI       string   `json:"totp_uri,omitempty"`
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
	SeeIdentities bool     `json:"see_identities,omitempty"`
}

// demoUser describes one demo account.
type demoUser struct {
	name  string
	role  account.Role
	cases []string
}

var demoUsers = []demoUser{
	{"demo-admin", account.Administrator, nil},
	{"demo-investigator", account.Investigator, Cases},
	{"demo-sea", account.SEAFocalPoint, []string{CaseSEA}},
	{"demo-legal", account.LegalAdvisor, []string{CaseOctober7, CaseSudan}},
	{"demo-analyst", account.Analyst, []string{CaseSudan}},
	{"demo-advocate", account.Advocate, nil},
	{"demo-auditor", account.Auditor, nil},
	{"demo-public", account.Public, nil},
}

// ErrUsersExist is returned by Users when the installation has accounts
// already: demo accounts, with passwords printed on a console, never join
// real ones.
var ErrUsersExist = errors.New("this Dossier has user accounts already; demo users are made only for an installation with none")

// Users makes the demo users, in the demo's cases (Load makes them), and
// returns their credentials. TOTP secrets are sealed by the App's account
// store as any other.
func Users(ctx context.Context, a *app.App) ([]Credential, error) {
	existing, err := a.Accounts.Users(ctx)
	if err != nil {
		return nil, err
	}
	if len(existing) > 0 {
		return nil, ErrUsersExist
	}
	ctx = record.WithActor(ctx, Actor)
	var out []Credential
	for _, du := range demoUsers {
		c := Credential{Name: du.name, Role: du.role, Password: account.GeneratePassword(), Cases: du.cases}
		u, err := a.Accounts.AddUser(ctx, account.NewUser{Name: du.name, DisplayName: "Demo " + string(du.role),
			Role: du.role, Password: c.Password})
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", du.name, err)
		}
		for _, name := range du.cases {
			cs, err := a.Accounts.Case(ctx, name)
			if err != nil {
				return nil, fmt.Errorf("demo case %q for %s: %w", name, du.name, err)
			}
			if err := a.Accounts.AddToCase(ctx, u.ID, cs.ID); err != nil {
				return nil, fmt.Errorf("add %s to %q: %w", du.name, name, err)
			}
		}
		if du.role.MaySeeIdentities() {
			enrol, err := a.Accounts.EnrolTOTP(ctx, u.ID)
			if err != nil {
				return nil, fmt.Errorf("enrol %s in two-factor authentication: %w", du.name, err)
			}
			c.TOTPSecret, c.TOTPURI, c.RecoveryCodes = enrol.Secret, enrol.URI, enrol.RecoveryCodes
			if _, err := a.Accounts.SetSeeIdentities(ctx, u.ID, true); err != nil {
				return nil, fmt.Errorf("grant %s the sight of identities: %w", du.name, err)
			}
			c.SeeIdentities = true
		}
		out = append(out, c)
	}
	return out, nil
}
