package account

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// SecretSealer encrypts the TOTP secrets the server must keep readable.
// *seal.Sealer (envelope encryption under the installation's key-encryption
// key, one data key per subject) has exactly these methods. Without a
// sealer, secrets are stored as they are, and a stolen database yields them.
type SecretSealer interface {
	// SealTx encrypts plaintext for subject's field inside the caller's
	// write transaction; Open decrypts it for the same subject and field.
	SealTx(ctx context.Context, tx *db.Tx, subject, field string, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, subject, field string, ciphertext []byte) ([]byte, error)
}

// A TOTP secret is sealed for the subject "account/<user ID>", field
// "totp_secret"; users.totp_sealer says whether it was ("seal") or not ("").
const (
	sealedBy   = "seal"
	totpField  = "totp_secret"
	sealPrefix = "account/"
)

// TOTP states in users.totp_state.
const (
	totpNone    = ""
	totpPending = "pending" // enrolment begun, not yet confirmed with a code
	totpActive  = "active"
)

// TOTP parameters: those every authenticator app understands.
const (
	totpPeriod = 30
	totpSkew   = 1 // one step either side, for clocks that drift
	totpDigits = otp.DigitsSix
)

// RecoveryCodeCount is how many recovery codes an enrolment issues.
const RecoveryCodeCount = 10

// ErrNoTOTP means the user has no TOTP enrolment in the state asked for.
var ErrNoTOTP = errors.New("no two-factor enrolment")

// Enrolment is what a user needs to set up an authenticator: shown once.
type Enrolment struct {
	// URI is the otpauth:// URI to show as a QR code or to paste.
	URI string `json:"uri"`
	// Secret is the base32 secret, for typing into an app by hand.
	Secret string `json:"secret"`
	// RecoveryCodes each complete one login without the authenticator.
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
}

func (s *Store) newTOTPKey(name string) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{Issuer: s.opts.Issuer, AccountName: name, Period: totpPeriod,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1, SecretSize: 20})
}

func (s *Store) sealSecret(ctx context.Context, tx *db.Tx, userID, secret string) ([]byte, string, error) {
	if s.opts.Sealer == nil {
		return []byte(secret), "", nil
	}
	sealed, err := s.opts.Sealer.SealTx(ctx, tx, sealPrefix+userID, totpField, []byte(secret))
	if err != nil {
		return nil, "", fmt.Errorf("seal the TOTP secret: %w", err)
	}
	return sealed, sealedBy, nil
}

// totpSecret reads and opens the user's TOTP secret in the given state.
func (s *Store) totpSecret(ctx context.Context, q db.Querier, userID, state string) (secret string, lastStep int64, err error) {
	var stored []byte
	var sealer, got string
	err = q.QueryRow(ctx, `SELECT totp_secret, totp_sealer, totp_state, totp_last_step FROM users WHERE id = $1`, userID).
		Scan(&stored, &sealer, &got, &lastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, db.ErrNotFound
	}
	if err != nil {
		return "", 0, fmt.Errorf("read the TOTP secret: %w", err)
	}
	if got != state || len(stored) == 0 {
		return "", 0, ErrNoTOTP
	}
	switch {
	case sealer == "":
		return string(stored), lastStep, nil
	case sealer != sealedBy || s.opts.Sealer == nil:
		return "", 0, fmt.Errorf("the TOTP secret is sealed (%q) and no sealer is configured", sealer)
	}
	plain, err := s.opts.Sealer.Open(ctx, sealPrefix+userID, totpField, stored)
	if err != nil {
		return "", 0, fmt.Errorf("open the TOTP secret: %w", err)
	}
	return string(plain), lastStep, nil
}

// isTOTPCode reports whether code has the form of a TOTP code.
func isTOTPCode(code string) bool {
	if len(code) != totpDigits.Length() {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// matchTOTP returns the time step code is valid for near now, if it is
// later than lastStep: a code already used, or one older than it, is
// refused even while its step lasts.
func matchTOTP(secret, code string, lastStep int64, now time.Time) (int64, bool) {
	if !isTOTPCode(code) {
		return 0, false
	}
	current := now.Unix() / totpPeriod
	opts := hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}
	for step := current - totpSkew; step <= current+totpSkew; step++ {
		if step <= lastStep || step < 0 {
			continue
		}
		if ok, err := hotp.ValidateCustom(code, uint64(step), secret, opts); err == nil && ok {
			return step, true
		}
	}
	return 0, false
}

// BeginTOTP starts enrolling the user in TOTP from their own settings: it
// returns the secret to load into an authenticator, and ConfirmTOTP then
// activates it with a first code. Until then logins do not ask for codes.
// A user with an active enrolment must have it removed first.
func (s *Store) BeginTOTP(ctx context.Context, userID string) (*Enrolment, error) {
	var enrol *Enrolment
	_, err := s.update(ctx, userID, TOTPStarted, func(tx *db.Tx, u *User) (string, []any, error) {
		if u.TOTP {
			var errs record.Errors
			errs.Add("totp", "active", "%s already has an active authenticator; remove it first", u.Name)
			return "", nil, errs
		}
		key, err := s.newTOTPKey(u.Name)
		if err != nil {
			return "", nil, err
		}
		sealed, sealer, err := s.sealSecret(ctx, tx, u.ID, key.Secret())
		if err != nil {
			return "", nil, err
		}
		enrol = &Enrolment{URI: key.URL(), Secret: key.Secret()}
		return `totp_state = $2, totp_secret = $3, totp_sealer = $4, totp_last_step = 0`,
			[]any{totpPending, sealed, sealer}, nil
	})
	return enrol, err
}

// ConfirmTOTP activates a begun enrolment with a code from the
// authenticator, proving it was set up, and returns the recovery codes.
// The user's other sessions end: they were opened without the factor.
func (s *Store) ConfirmTOTP(ctx context.Context, userID, code, keepSession string) ([]string, error) {
	secret, lastStep, err := s.totpSecret(ctx, s.db, userID, totpPending)
	if err != nil {
		return nil, err
	}
	step, ok := matchTOTP(secret, strings.TrimSpace(code), lastStep, s.now())
	if !ok {
		var errs record.Errors
		errs.Add("code", "wrong", "is not the code the authenticator shows now")
		return nil, errs
	}
	codes := newRecoveryCodes()
	_, err = s.update(ctx, userID, TOTPEnrolled, func(tx *db.Tx, u *User) (string, []any, error) {
		if err := s.replaceRecoveryCodes(ctx, tx, u.ID, codes); err != nil {
			return "", nil, err
		}
		if err := s.revokeSessionsTx(ctx, tx, u.ID, keepSession); err != nil {
			return "", nil, err
		}
		u.TOTP = true
		return `totp_state = $2, totp_last_step = $3`, []any{totpActive, step}, nil
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// EnrolTOTP enrols the user at once, as an administrator handing over an
// authenticator does: any previous enrolment and recovery codes are
// replaced, the user's sessions end, and their next login asks for a code.
func (s *Store) EnrolTOTP(ctx context.Context, userID string) (*Enrolment, error) {
	codes := newRecoveryCodes()
	var enrol *Enrolment
	_, err := s.update(ctx, userID, TOTPEnrolled, func(tx *db.Tx, u *User) (string, []any, error) {
		key, err := s.newTOTPKey(u.Name)
		if err != nil {
			return "", nil, err
		}
		sealed, sealer, err := s.sealSecret(ctx, tx, u.ID, key.Secret())
		if err != nil {
			return "", nil, err
		}
		if err := s.replaceRecoveryCodes(ctx, tx, u.ID, codes); err != nil {
			return "", nil, err
		}
		if err := s.revokeSessionsTx(ctx, tx, u.ID, ""); err != nil {
			return "", nil, err
		}
		u.TOTP = true
		enrol = &Enrolment{URI: key.URL(), Secret: key.Secret(), RecoveryCodes: codes}
		return `totp_state = $2, totp_secret = $3, totp_sealer = $4, totp_last_step = 0`,
			[]any{totpActive, sealed, sealer}, nil
	})
	return enrol, err
}

// RemoveTOTP deletes the user's enrolment and recovery codes. The
// identities grant goes with it, since it requires TOTP, and the user's
// sessions end.
func (s *Store) RemoveTOTP(ctx context.Context, userID string) (*User, error) {
	return s.update(ctx, userID, TOTPRemoved, func(tx *db.Tx, u *User) (string, []any, error) {
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, u.ID); err != nil {
			return "", nil, fmt.Errorf("delete recovery codes: %w", err)
		}
		if err := s.revokeSessionsTx(ctx, tx, u.ID, ""); err != nil {
			return "", nil, err
		}
		u.TOTP, u.SeeIdentities = false, false
		return `totp_state = '', totp_secret = NULL, totp_sealer = '', totp_last_step = 0, see_identities = $2`,
			[]any{false}, nil
	})
}

// NewRecoveryCodes replaces the user's recovery codes, for someone who has
// used or lost theirs. Shown once.
func (s *Store) NewRecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	codes := newRecoveryCodes()
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var state string
		if err := tx.QueryRow(ctx, `SELECT totp_state FROM users WHERE id = $1`, userID).Scan(&state); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return db.ErrNotFound
			}
			return err
		}
		if state != totpActive {
			return ErrNoTOTP
		}
		return s.replaceRecoveryCodes(ctx, tx, userID, codes)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at = ''`, userID).Scan(&n)
	return n, err
}

func (s *Store) replaceRecoveryCodes(ctx context.Context, tx *db.Tx, userID string, codes []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("delete recovery codes: %w", err)
	}
	for _, c := range codes {
		hash, _ := recoveryCodeHash(c)
		if _, err := tx.Exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)`, userID, hash); err != nil {
			return fmt.Errorf("store recovery codes: %w", err)
		}
	}
	return s.event(ctx, tx, RecoveryCodesIssued, userID, map[string]int{"recovery_codes": len(codes)})
}

// Recovery codes are 16 base32 characters (80 bits), shown in groups of
// four: "abcd-efgh-ijkl-mnop". 80 bits make a stolen table of their
// SHA-256 hashes useless to brute force.
var recoveryEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

const recoveryCodeLen = 16

func newRecoveryCodes() []string {
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		b := make([]byte, 10)
		rand.Read(b)
		c := recoveryEncoding.EncodeToString(b)
		codes[i] = c[0:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16]
	}
	return codes
}

// recoveryCodeHash normalises a typed recovery code (case, dashes and
// spaces do not matter) and returns its stored hash.
func recoveryCodeHash(code string) (string, bool) {
	code = strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, code)
	if len(code) != recoveryCodeLen {
		return "", false
	}
	if _, err := recoveryEncoding.DecodeString(code); err != nil {
		return "", false
	}
	return hashSecret("recovery:" + code), true
}
