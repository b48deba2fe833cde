package demo_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/demo"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
)

// Every demo incident belongs to a demo case, and the demo users see what
// their cases hold: the analyst, in Sudan's case only, sees Sudan only.
func TestDemoCasesAndUsers(t *testing.T) {
	l := load(t, dbtest.SQLite(t))
	if l.summary.Cases != len(demo.Cases) {
		t.Errorf("summary counts %d cases, want %d", l.summary.Cases, len(demo.Cases))
	}
	byCase := map[string]int{}
	for _, in := range l.incidents {
		if in.CaseID == "" {
			t.Errorf("demo incident %q belongs to no case", in.Title)
			continue
		}
		c, err := l.a.Accounts.Case(l.ctx, in.CaseID)
		if err != nil {
			t.Fatalf("case of %q: %v", in.Title, err)
		}
		byCase[c.Name]++
	}
	for _, name := range demo.Cases {
		if byCase[name] == 0 {
			t.Errorf("demo case %q holds no incident", name)
		}
	}

	creds, err := demo.Users(l.ctx, l.a)
	if err != nil {
		t.Fatal(err)
	}
	roles := map[account.Role]demo.Credential{}
	for _, c := range creds {
		roles[c.Role] = c
		if c.Password == "" {
			t.Errorf("%s has no password", c.Name)
		}
		if c.Role.MaySeeIdentities() != (c.TOTPSecret != "" && len(c.RecoveryCodes) > 0 && c.SeeIdentities) {
			t.Errorf("%s (%s): TOTP %q, identities %v", c.Name, c.Role, c.TOTPSecret, c.SeeIdentities)
		}
	}
	for _, r := range account.Roles {
		if _, ok := roles[r]; !ok {
			t.Errorf("no demo user has the role %s", r)
		}
	}

	analyst := roles[account.Analyst]
	res, err := l.a.Accounts.Login(l.ctx, analyst.Name, analyst.Password, "192.0.2.1")
	if err != nil || res.NeedsSecondFactor() {
		t.Fatalf("the demo analyst cannot log in: %v", err)
	}
	cases, err := l.a.Accounts.CasesOf(l.ctx, res.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cases {
		ids = append(ids, c.ID)
	}
	page, err := l.a.Incidents.List(record.RestrictToCases(l.ctx, ids), incident.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != byCase[demo.CaseSudan] || !slices.ContainsFunc(page.Incidents, func(in incident.Incident) bool {
		return in.SituationID != "" && in.CaseID == ids[0]
	}) {
		t.Errorf("the demo analyst sees %d incidents, want Sudan's %d", page.Total, byCase[demo.CaseSudan])
	}

	if _, err := demo.Users(l.ctx, l.a); !errors.Is(err, demo.ErrUsersExist) {
		t.Errorf("demo users made twice: %v", err)
	}
}
