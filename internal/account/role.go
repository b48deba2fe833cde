// Package account holds who may use Dossier and what each of them may do:
// users and their roles, the cases they belong to, passwords (argon2id),
// sessions, two-factor authentication (TOTP with recovery codes), API tokens
// for scripts, login rate limiting and lock-out, and the HTTP middleware
// that turns a session cookie or a bearer token into a Principal.
//
// Need-to-know is built from three parts: a role grants permissions; case
// membership says which investigations a user works on; and the separate
// grant "see identities", given per user and only with TOTP enrolled, is
// needed before any sealed survivor field is shown, even inside a case.
//
// Every change to an account is appended to the audit log in the same
// transaction. Secrets (passwords, tokens, TOTP secrets, recovery codes)
// never leave this package except once, to the person they are issued to.
package account

import (
	"slices"
	"strings"

	"github.com/dossier-org/dossier/internal/record"
)

// Role is what a user does in the organisation; it decides their permissions.
type Role string

const (
	Administrator Role = "administrator"   // manages users, cases and the installation
	Investigator  Role = "investigator"    // documents incidents, survivors and evidence
	Analyst       Role = "analyst"         // reads and analyses the record, pseudonymised
	LegalAdvisor  Role = "legal_advisor"   // assesses the record for proceedings
	Advocate      Role = "advocate"        // aggregates only
	SEAFocalPoint Role = "sea_focal_point" // receives and documents SEA allegations
	Auditor       Role = "auditor"         // reads the audit log
	Public        Role = "public"          // published outputs only
)

// Roles lists every role, most powerful first.
var Roles = []Role{Administrator, Investigator, SEAFocalPoint, LegalAdvisor, Analyst, Advocate, Auditor, Public}

// Permission is one thing a principal may do. Routes and pages ask for
// permissions, never for roles, so the table below is the one place where
// a role's reach is decided.
type Permission string

const (
	ReadRecords    Permission = "records:read"    // incidents, parties, sources, situations of the user's cases
	WriteRecords   Permission = "records:write"   // add and edit them
	SeeIdentities  Permission = "identities:see"  // open sealed survivor fields (per-user grant, TOTP required)
	ReadEvidence   Permission = "evidence:read"   // view evidence items and their custody
	ManageEvidence Permission = "evidence:manage" // ingest evidence, record custody events
	ReadAuditLog   Permission = "audit:read"      // the tamper-evident log and reads of sealed fields
	ManageUsers    Permission = "users:manage"    // accounts, roles, cases, tokens of others
	ReadAggregates Permission = "aggregates:read" // disclosure-controlled statistics
	ReadPublished  Permission = "published:read"  // what the organisation has published
)

// Permissions lists every permission.
var Permissions = []Permission{ReadRecords, WriteRecords, SeeIdentities, ReadEvidence, ManageEvidence,
	ReadAuditLog, ManageUsers, ReadAggregates, ReadPublished}

// rolePermissions is the role→permission table. SeeIdentities is never
// granted by a role: it is a per-user grant on top, allowed only for the
// roles in identityRoles. The administrator manages accounts but does not
// read the record: running the installation is not a need to know.
var rolePermissions = map[Role][]Permission{
	Administrator: {ManageUsers, ReadAuditLog, ReadAggregates, ReadPublished},
	Investigator:  {ReadRecords, WriteRecords, ReadEvidence, ManageEvidence, ReadAggregates, ReadPublished},
	SEAFocalPoint: {ReadRecords, WriteRecords, ReadEvidence, ManageEvidence, ReadAggregates, ReadPublished},
	LegalAdvisor:  {ReadRecords, ReadEvidence, ReadAggregates, ReadPublished},
	Analyst:       {ReadRecords, ReadEvidence, ReadAggregates, ReadPublished},
	Advocate:      {ReadAggregates, ReadPublished},
	Auditor:       {ReadAuditLog, ReadPublished},
	Public:        {ReadPublished},
}

// identityRoles may be granted SeeIdentities: those who meet survivors or
// must weigh their testimony. Analysts work on pseudonymised data.
var identityRoles = []Role{Investigator, SEAFocalPoint, LegalAdvisor}

// ParseRole reads a role name as typed on a command line or in a form.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_"))
	if !r.Valid() {
		names := make([]string, len(Roles))
		for i, r := range Roles {
			names[i] = string(r)
		}
		var errs record.Errors
		errs.Add("role", "not_allowed", "%q is not one of: %s", s, strings.Join(names, ", "))
		return "", errs
	}
	return r, nil
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := rolePermissions[r]; return ok }

// Permissions returns the permissions the role grants, without the
// per-user SeeIdentities.
func (r Role) Permissions() []Permission { return slices.Clone(rolePermissions[r]) }

// Has reports whether the role grants p.
func (r Role) Has(p Permission) bool { return slices.Contains(rolePermissions[r], p) }

// MaySeeIdentities reports whether users of this role may be granted
// SeeIdentities at all.
func (r Role) MaySeeIdentities() bool { return slices.Contains(identityRoles, r) }

// Includes reports whether r grants everything other grants: an API token
// may be scoped to a role its user's role includes, never to a wider one.
func (r Role) Includes(other Role) bool {
	for _, p := range rolePermissions[other] {
		if !r.Has(p) {
			return false
		}
	}
	return other.Valid()
}
