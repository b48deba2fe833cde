package account

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// Options tune a Store. The zero value gives the defaults documented on
// each field, which suit a server on the open internet.
type Options struct {
	// Password is the argon2id cost for new hashes (DefaultPasswordParams).
	// Hashes made with weaker parameters are upgraded at their next login.
	Password PasswordParams
	// ConcurrentHashes bounds how many argon2id hashes run at once, each
	// holding Password.Memory KiB (2).
	ConcurrentHashes int

	// IdleTimeout ends a session unused for this long (30 minutes).
	IdleTimeout time.Duration
	// SessionLifetime ends every session this long after login, used or not
	// (12 hours).
	SessionLifetime time.Duration
	// SecondFactorTimeout is how long a login may wait for its TOTP code
	// after the password was accepted (5 minutes).
	SecondFactorTimeout time.Duration

	// LockoutThreshold failed attempts in a row lock an account (10) for
	// LockoutDuration (15 minutes).
	LockoutThreshold int
	LockoutDuration  time.Duration
	// AccountRate and AccountBurst limit login attempts per account name,
	// known or not (one every 6 seconds, bursts of 5); ClientRate and
	// ClientBurst per client address (one a second, bursts of 20).
	AccountRate  rate.Limit
	AccountBurst int
	ClientRate   rate.Limit
	ClientBurst  int

	// InsecureCookies drops the Secure attribute (and the __Host- prefix)
	// from the session cookie, for a server reached over plain http on
	// localhost. Never set it for a server others reach.
	InsecureCookies bool
	// Issuer names the installation in authenticator apps ("Dossier").
	Issuer string
	// Sealer encrypts TOTP secrets at rest; nil stores them as they are.
	Sealer SecretSealer

	// Now is the clock (time.Now); tests move it.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Password == (PasswordParams{}) {
		o.Password = DefaultPasswordParams
	}
	setDefault(&o.ConcurrentHashes, 2)
	setDefault(&o.IdleTimeout, 30*time.Minute)
	setDefault(&o.SessionLifetime, 12*time.Hour)
	setDefault(&o.SecondFactorTimeout, 5*time.Minute)
	setDefault(&o.LockoutThreshold, 10)
	setDefault(&o.LockoutDuration, 15*time.Minute)
	setDefault(&o.AccountRate, rate.Every(6*time.Second))
	setDefault(&o.AccountBurst, 5)
	setDefault(&o.ClientRate, rate.Every(time.Second))
	setDefault(&o.ClientBurst, 20)
	setDefault(&o.Issuer, "Dossier")
	if o.Now == nil {
		o.Now = time.Now
	}
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Store keeps accounts, cases, sessions and tokens.
type Store struct {
	db      *db.DB
	opts    Options
	hasher  *hasher
	byName  *limiterSet
	byIP    *limiterSet
	dummyMu sync.Mutex
	dummy   string // a hash to verify against when the user does not exist
}

// NewStore returns a Store over d.
func NewStore(d *db.DB, opts Options) *Store {
	opts.defaults()
	return &Store{
		db:     d,
		opts:   opts,
		hasher: newHasher(opts.Password, opts.ConcurrentHashes),
		byName: newLimiterSet(opts.AccountRate, opts.AccountBurst),
		byIP:   newLimiterSet(opts.ClientRate, opts.ClientBurst),
	}
}

func (s *Store) now() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

var (
	// ErrInvalidCredentials is every failed login: wrong name, wrong
	// password, disabled or locked account alike, so that the answer does
	// not tell an attacker which names exist.
	ErrInvalidCredentials = errors.New("wrong name, password or code (after repeated failures an account is locked for a while)")
	// ErrThrottled means too many login attempts came too fast; see
	// ThrottledError for when to try again.
	ErrThrottled = errors.New("too many login attempts")
	// ErrLastAdministrator refuses to disable or demote the only
	// administrator left, which would leave nobody to manage accounts.
	ErrLastAdministrator = errors.New("this is the last enabled administrator; add another first")
)

// ThrottledError says how long to wait before the next login attempt.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%s: try again in %s", ErrThrottled, e.RetryAfter.Round(time.Second))
}
func (e *ThrottledError) Unwrap() error { return ErrThrottled }

// Action names what an account event did, as the audit log records it.
type Action string

const (
	UserCreated         Action = "user.create"
	UserUpdated         Action = "user.update" // display name
	UserDisabled        Action = "user.disable"
	UserEnabled         Action = "user.enable"
	RoleChanged         Action = "user.role"
	IdentitiesGranted   Action = "user.identities.grant"
	IdentitiesRevoked   Action = "user.identities.revoke"
	PasswordChanged     Action = "password.change"
	PasswordReset       Action = "password.reset"
	PasswordRehashed    Action = "password.rehash"
	LoginFailed         Action = "login.fail"
	LockedOut           Action = "login.lockout"
	SessionCreated      Action = "session.create"
	SessionPending      Action = "session.pending" // password accepted, second factor awaited
	SessionRevoked      Action = "session.revoke"
	TokenCreated        Action = "token.create"
	TokenRevoked        Action = "token.revoke"
	TOTPStarted         Action = "totp.begin"
	TOTPEnrolled        Action = "totp.enrol"
	TOTPRemoved         Action = "totp.remove"
	RecoveryCodesIssued Action = "totp.recovery_codes"
	RecoveryCodeUsed    Action = "totp.recovery_code_used"
	CaseCreated         Action = "case.create"
	CaseMemberAdded     Action = "case.member.add"
	CaseMemberRemoved   Action = "case.member.remove"
)

// AuditKind is the kind of every account event in the audit log.
const AuditKind = "account"

// event appends an account event to the audit log inside tx. content is
// what the entry vouches for, hashed: never a secret, only descriptions of
// what changed (a user's public fields, a token's name and scope).
func (s *Store) event(ctx context.Context, tx *db.Tx, action Action, subject string, content any) error {
	hash := ""
	if content != nil {
		var err error
		if hash, err = audit.HashJSON(content); err != nil {
			return err
		}
	}
	_, err := audit.Append(ctx, tx, audit.Entry{
		At:          s.now(),
		Actor:       record.Actor(ctx),
		Kind:        AuditKind,
		Subject:     subject,
		Action:      string(action),
		ContentHash: hash,
	})
	return err
}
