package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/dossier-org/dossier/internal/record"
)

// PasswordParams are argon2id's cost parameters. Raising them in the Store's
// Options upgrades each stored hash the next time its owner logs in.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultPasswordParams follow RFC 9106's second recommended option (64 MiB,
// three passes), which costs about 130 ms per hash on the project's machines.
var DefaultPasswordParams = PasswordParams{Memory: 64 * 1024, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32}

// Password length limits: long enough to resist guessing, bounded so that a
// megabyte "password" cannot be used to burn CPU.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// ErrMalformedHash means a stored password hash is not an argon2id PHC string.
var ErrMalformedHash = errors.New("malformed argon2id hash")

var b64 = base64.RawStdEncoding

// phc is a parsed argon2id hash in PHC string format:
// $argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>, base64 without padding.
type phc struct {
	params PasswordParams
	salt   []byte
	key    []byte
}

// Limits on what a stored hash may ask for, so that a tampered or corrupt row
// cannot make a login allocate gigabytes or spin for minutes.
const (
	maxHashMemory  = 4 * 1024 * 1024 // KiB: 4 GiB
	maxHashTime    = 64
	maxHashSaltLen = 64
	maxHashKeyLen  = 128
)

func parsePHC(s string) (phc, error) {
	var h phc
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, ErrMalformedHash
	}
	if parts[2] != "v=19" {
		return h, fmt.Errorf("%w: version %q is not v=19", ErrMalformedHash, parts[2])
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return h, fmt.Errorf("%w: parameters %q", ErrMalformedHash, parts[3])
	}
	for i, want := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(params[i], want)
		if !ok {
			return h, fmt.Errorf("%w: parameters %q", ErrMalformedHash, parts[3])
		}
		bits := 32
		if want == "p=" {
			bits = 8
		}
		n, err := strconv.ParseUint(v, 10, bits)
		if err != nil || n == 0 || (len(v) > 1 && v[0] == '0') {
			return h, fmt.Errorf("%w: parameter %s%s", ErrMalformedHash, want, v)
		}
		switch want {
		case "m=":
			h.params.Memory = uint32(n)
		case "t=":
			h.params.Time = uint32(n)
		case "p=":
			h.params.Threads = uint8(n)
		}
	}
	if h.params.Memory > maxHashMemory || h.params.Time > maxHashTime || h.params.Memory < 8*uint32(h.params.Threads) {
		return h, fmt.Errorf("%w: parameters %q out of range", ErrMalformedHash, parts[3])
	}
	var err error
	if h.salt, err = b64.Strict().DecodeString(parts[4]); err != nil || len(h.salt) < 8 || len(h.salt) > maxHashSaltLen {
		return h, fmt.Errorf("%w: salt", ErrMalformedHash)
	}
	if h.key, err = b64.Strict().DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > maxHashKeyLen {
		return h, fmt.Errorf("%w: hash", ErrMalformedHash)
	}
	h.params.SaltLen = uint32(len(h.salt))
	h.params.KeyLen = uint32(len(h.key))
	return h, nil
}

func (h phc) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.Memory, h.params.Time, h.params.Threads, b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// hasher computes argon2id hashes, at most a few at once: each one holds
// Memory KiB, and a burst of logins must not exhaust the server's memory.
type hasher struct {
	params PasswordParams
	slots  chan struct{}
}

func newHasher(params PasswordParams, concurrent int) *hasher {
	if concurrent < 1 {
		concurrent = 1
	}
	return &hasher{params: params, slots: make(chan struct{}, concurrent)}
}

func (h *hasher) derive(ctx context.Context, password string, p PasswordParams, salt []byte) ([]byte, error) {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-h.slots }()
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen), nil
}

// hash returns the PHC string of password under the current parameters.
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	rand.Read(salt)
	key, err := h.derive(ctx, password, h.params, salt)
	if err != nil {
		return "", err
	}
	return phc{params: h.params, salt: salt, key: key}.String(), nil
}

// verify reports whether password matches the PHC string encoded, and
// whether the hash should be recomputed under stronger current parameters.
func (h *hasher) verify(ctx context.Context, password, encoded string) (ok, stale bool, err error) {
	stored, err := parsePHC(encoded)
	if err != nil {
		return false, false, err
	}
	key, err := h.derive(ctx, password, stored.params, stored.salt)
	if err != nil {
		return false, false, err
	}
	ok = subtle.ConstantTimeCompare(key, stored.key) == 1
	p := stored.params
	stale = p.Memory < h.params.Memory || p.Time < h.params.Time || p.Threads != h.params.Threads ||
		p.SaltLen < h.params.SaltLen || p.KeyLen < h.params.KeyLen
	return ok, stale, nil
}

// checkPassword enforces the length limits, counting characters.
func checkPassword(password string) error {
	var errs record.Errors
	switch {
	case !utf8.ValidString(password):
		errs.Add("password", "invalid", "is not valid UTF-8")
	case utf8.RuneCountInString(password) < MinPasswordLength:
		errs.Add("password", "too_short", "must have at least %d characters", MinPasswordLength)
	case len(password) > MaxPasswordLength:
		errs.Add("password", "too_long", "must have at most %d bytes", MaxPasswordLength)
	}
	return errs.Err()
}

// GeneratePassword returns a random password of 26 base32 characters (128
// bits), for accounts created without one.
func GeneratePassword() string { return rand.Text() }
