package survivor

import (
	"context"
	"errors"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/record"
)

// Access is who is asking for sealed values, and whether they may see
// survivors' identities. Every read (and write) of a sealed value takes
// one, and permit is the one place it is judged.
type Access struct {
	// Actor names who reads, in the audit log and the list of reads.
	Actor string
	// SeeIdentities: they hold the see-identities grant (with its second
	// factor). Without it no sealed value is shown or changed.
	SeeIdentities bool
	// LoggedIn: a principal (user or token) was identified. Without one,
	// nobody is asking and nothing is shown.
	LoggedIn bool
}

var (
	// ErrNotLoggedIn: a request with no principal asked for sealed values.
	ErrNotLoggedIn = errors.New("log in to see or change survivors' identities and testimony")
	// ErrNotPermitted: the principal does not hold the see-identities grant.
	ErrNotPermitted = errors.New("seeing or changing survivors' identities and testimony needs the see-identities permission")
)

// permit is the one rule of access to sealed values.
func (a Access) permit() error {
	switch {
	case !a.LoggedIn:
		return ErrNotLoggedIn
	case !a.SeeIdentities:
		return ErrNotPermitted
	}
	return nil
}

// Permitted reports whether the access may see and change sealed values,
// for interfaces deciding what to offer.
func (a Access) Permitted() bool { return a.permit() == nil }

// AccessFrom is the access of the principal a request acts for (the
// account package puts it in the context). A request with no principal may
// see nothing sealed.
func AccessFrom(ctx context.Context) Access {
	p, ok := account.PrincipalFrom(ctx)
	if !ok {
		return Access{Actor: record.Actor(ctx)}
	}
	return Access{Actor: p.Actor(), SeeIdentities: p.SeeIdentities, LoggedIn: true}
}

// Administrator is the access of someone working directly on the data
// directory (the command line): whoever can read the key-encryption key
// can open everything anyway, so the store does not pretend otherwise;
// their reads are recorded all the same.
func Administrator(ctx context.Context) Access {
	return Access{Actor: record.Actor(ctx), SeeIdentities: true, LoggedIn: true}
}
