package account

import (
	"context"
	"errors"
	"strings"
	"testing"
)

var fastParams = PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashAndVerify(t *testing.T) {
	ctx := context.Background()
	h := newHasher(fastParams, 1)
	encoded, err := h.hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string with the parameters", encoded)
	}
	again, _ := h.hash(ctx, "correct horse battery staple")
	if again == encoded {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for _, tc := range []struct {
		password string
		want     bool
	}{
		{"correct horse battery staple", true},
		{"correct horse battery stapl", false},
		{"Correct horse battery staple", false},
		{"", false},
	} {
		ok, stale, err := h.verify(ctx, tc.password, encoded)
		if err != nil || ok != tc.want || stale {
			t.Errorf("verify(%q) = %v, stale %v, %v; want %v, not stale", tc.password, ok, stale, err, tc.want)
		}
	}
	// Stronger parameters make the old hash stale, though it still verifies.
	stronger := newHasher(PasswordParams{Memory: 128, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, 1)
	ok, stale, err := stronger.verify(ctx, "correct horse battery staple", encoded)
	if err != nil || !ok || !stale {
		t.Errorf("verify under stronger parameters = %v, stale %v, %v; want true, stale", ok, stale, err)
	}
}

// Hashes made by the reference implementation (phc-winner-argon2's
// src/test.c) verify, and are reproduced byte for byte: the encoding is
// the standard one.
func TestReferenceVectors(t *testing.T) {
	ctx := context.Background()
	h := newHasher(fastParams, 1)
	for _, known := range []string{
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	} {
		ok, _, err := h.verify(ctx, "password", known)
		if err != nil || !ok {
			t.Errorf("verify %s: %v, %v", known, ok, err)
		}
		if ok, _, _ := h.verify(ctx, "passwore", known); ok {
			t.Errorf("%s verifies a wrong password", known)
		}
		parsed, _ := parsePHC(known)
		key, err := h.derive(ctx, "password", parsed.params, []byte("somesalt"))
		if err != nil {
			t.Fatal(err)
		}
		if got := (phc{params: parsed.params, salt: []byte("somesalt"), key: key}).String(); got != known {
			t.Errorf("hash = %s, want %s", got, known)
		}
	}
}

func TestParsePHC(t *testing.T) {
	good := "$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHQxMjM0NTY$" + strings.Repeat("A", 43)
	if _, err := parsePHC(good); err != nil {
		t.Fatalf("parse %q: %v", good, err)
	}
	for _, bad := range []string{
		"",
		"$argon2i$v=19$m=65536,t=3,p=1$c29tZXNhbHQxMjM0NTY$" + strings.Repeat("A", 43),
		"$argon2id$v=16$m=65536,t=3,p=1$c29tZXNhbHQxMjM0NTY$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=65536,t=3$c29tZXNhbHQxMjM0NTY$" + strings.Repeat("A", 43),
		"$argon2id$v=19$t=3,m=65536,p=1$c29tZXNhbHQxMjM0NTY$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=0,t=3,p=1$c29tZXNhbHQxMjM0NTY$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=065536,t=3,p=1$c29tZXNhbHQxMjM0NTY$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=99999999,t=3,p=1$c29tZXNhbHQxMjM0NTY$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=65536,t=3,p=256$c29tZXNhbHQxMjM0NTY$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=65536,t=1000,p=1$c29tZXNhbHQxMjM0NTY$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHQxMjM0NTY=$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=65536,t=3,p=1$c2$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHQxMjM0NTY$AAAA",
		"$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHQxMjM0NTY$" + strings.Repeat("A", 43) + "$",
		"$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHQxMjM0NTY$" + strings.Repeat("A", 42) + "B", // trailing bits
	} {
		if _, err := parsePHC(bad); !errors.Is(err, ErrMalformedHash) {
			t.Errorf("parse %q: err = %v, want ErrMalformedHash", bad, err)
		}
	}
}

// FuzzParsePHC: the parser never panics, and whatever it accepts prints
// back to exactly the string it read.
func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHQxMjM0NTY$" + strings.Repeat("A", 43))
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$1D6hZAJTMpiMd4gTCPoLhE9UTXF2W7J2Xu9bdfBh0rs")
	f.Add("$argon2id$v=19$m=1,t=1,p=1$$")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parsePHC(s)
		if err != nil {
			return
		}
		if h.String() != s {
			t.Fatalf("parsed %q, prints back as %q", s, h.String())
		}
		if h.params.Memory == 0 || h.params.Time == 0 || h.params.Threads == 0 || len(h.salt) < 8 || len(h.key) < 16 {
			t.Fatalf("accepted unusable parameters from %q: %+v", s, h.params)
		}
	})
}

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		password string
		ok       bool
	}{
		{"short", false},
		{"elevenchars", false},
		{"twelve chars", true},
		{"ééééééééééé", false}, // 11 characters, 22 bytes
		{"éééééééééééé", true},
		{strings.Repeat("x", MaxPasswordLength), true},
		{strings.Repeat("x", MaxPasswordLength+1), false},
		{"valid length \xff\xfe", false},
	} {
		err := checkPassword(tc.password)
		if (err == nil) != tc.ok {
			t.Errorf("checkPassword(%q) = %v, want ok=%v", tc.password, err, tc.ok)
		}
	}
}

func TestGeneratePassword(t *testing.T) {
	a, b := GeneratePassword(), GeneratePassword()
	if a == b || checkPassword(a) != nil || len(a) < 26 {
		t.Errorf("generated passwords %q and %q", a, b)
	}
}
