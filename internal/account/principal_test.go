package account

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/record"
)

// whoami answers with the principal's user and permissions, or "anonymous".
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p, ok := PrincipalFrom(r.Context())
	if !ok {
		w.Write([]byte("anonymous"))
		return
	}
	w.Write([]byte(p.User.Name + " " + string(p.Role) + " actor=" + record.Actor(r.Context())))
	if p.SeeIdentities {
		w.Write([]byte(" identities"))
	}
})

func serve(h http.Handler, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "/", nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func cookieHeader(cookies []*http.Cookie) http.Header {
	var parts []string
	for _, c := range cookies {
		if c.MaxAge >= 0 {
			parts = append(parts, c.Name+"="+c.Value)
		}
	}
	return http.Header{"Cookie": {strings.Join(parts, "; ")}}
}

func TestAuthenticate(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, Options{AccountBurst: 100})
		u := f.addUser(t, "mariam", Investigator)
		h := f.Authenticate(whoami)

		if w := serve(h, nil); w.Code != 200 || w.Body.String() != "anonymous" {
			t.Errorf("no credentials: %d %s", w.Code, w.Body)
		}

		res, err := f.Login(f.ctx, "mariam", testPassword, "")
		if err != nil {
			t.Fatal(err)
		}
		cookies := f.LoginCookies(res)
		if len(cookies) != 2 || cookies[0].Name != "__Host-dossier_session" || !cookies[0].Secure || !cookies[0].HttpOnly ||
			cookies[0].SameSite != http.SameSiteStrictMode || cookies[0].Path != "/" || cookies[0].Domain != "" ||
			cookies[0].MaxAge != int((12*time.Hour).Seconds()) || cookies[1].MaxAge >= 0 {
			t.Errorf("login cookies %+v %+v", cookies[0], cookies[1])
		}
		if w := serve(h, cookieHeader(cookies)); w.Body.String() != "mariam investigator actor=user:mariam" {
			t.Errorf("session cookie: %d %s", w.Code, w.Body)
		}
		// A planted second cookie of the same name makes the request anonymous.
		twice := http.Header{"Cookie": {cookies[0].Name + "=" + res.Token + "; " + cookies[0].Name + "=" + res.Token}}
		if w := serve(h, twice); w.Body.String() != "anonymous" {
			t.Errorf("cookie twice: %s", w.Body)
		}
		// An ended session's cookie is cleared and the request is anonymous.
		f.Logout(f.ctx, res.Token)
		w := serve(h, cookieHeader(cookies))
		if w.Body.String() != "anonymous" || !strings.Contains(w.Header().Get("Set-Cookie"), "__Host-dossier_session=; Path=/; Max-Age=0") {
			t.Errorf("ended session: %s, Set-Cookie %q", w.Body, w.Header().Get("Set-Cookie"))
		}

		secret, _, err := f.CreateToken(f.ctx, u.ID, Analyst, "script", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if w := serve(h, http.Header{"Authorization": {"Bearer " + secret}}); w.Body.String() != "mariam analyst actor=user:mariam" {
			t.Errorf("bearer token: %d %s", w.Code, w.Body)
		}
		if w := serve(h, http.Header{"Authorization": {"bearer " + secret}}); w.Code != 200 {
			t.Errorf("lower-case scheme: %d %s", w.Code, w.Body)
		}
		for name, header := range map[string][]string{
			"unknown token":  {"Bearer dsr_" + strings.Repeat("A", 43)},
			"malformed":      {"Bearer " + secret + "x"},
			"basic":          {"Basic bWFyaWFtOnBhc3N3b3Jk"},
			"two headers":    {"Bearer " + secret, "Bearer " + secret},
			"session token":  {"Bearer " + res.Token},
			"empty":          {""},
			"no scheme":      {secret},
			"token, nothing": {"Bearer"},
		} {
			w := serve(h, http.Header{"Authorization": header})
			var problem struct {
				Status int    `json:"status"`
				Type   string `json:"type"`
			}
			json.Unmarshal(w.Body.Bytes(), &problem)
			if w.Code != 401 || problem.Status != 401 || problem.Type != "urn:dossier:problem:unauthenticated" ||
				!strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer error=") {
				t.Errorf("%s: %d %s %v", name, w.Code, w.Body, w.Header())
			}
		}
		// A bad token is refused even alongside a good cookie: no downgrade.
		res, _ = f.Login(f.ctx, "mariam", testPassword, "")
		header := cookieHeader(f.LoginCookies(res))
		header.Set("Authorization", "Bearer dsr_"+strings.Repeat("B", 43))
		if w := serve(h, header); w.Code != 401 {
			t.Errorf("bad token with a good cookie: %d %s", w.Code, w.Body)
		}
	})
}

func TestAuthenticateSecondFactor(t *testing.T) {
	d := dbtest.SQLite(t)
	f := newFixture(t, d, Options{InsecureCookies: true})
	u := f.addUser(t, "nadia", SEAFocalPoint)
	enrol, _ := f.EnrolTOTP(f.ctx, u.ID)
	f.SetSeeIdentities(f.ctx, u.ID, true)
	h := f.Authenticate(whoami)

	res, _ := f.Login(f.ctx, "nadia", testPassword, "")
	cookies := f.LoginCookies(res)
	if len(cookies) != 1 || cookies[0].Name != "dossier_login" || cookies[0].Secure || cookies[0].MaxAge != 300 {
		t.Fatalf("pending login cookies %+v", cookies[0])
	}
	if w := serve(h, cookieHeader(cookies)); w.Body.String() != "anonymous" {
		t.Errorf("a pending login authenticates: %s", w.Body)
	}
	r := httptest.NewRequest("POST", "/login/code", nil)
	r.Header.Set("Cookie", cookieHeader(cookies).Get("Cookie"))
	pending, ok := f.PendingLoginToken(r)
	if !ok || pending != res.Token {
		t.Fatalf("PendingLoginToken = %q, %v", pending, ok)
	}
	full, err := f.LoginSecondFactor(f.ctx, pending, code(t, enrol.Secret, f.clock.Now()), "")
	if err != nil {
		t.Fatal(err)
	}
	if w := serve(h, cookieHeader(f.LoginCookies(full))); w.Body.String() != "nadia sea_focal_point actor=user:nadia identities" {
		t.Errorf("after the second factor: %s", w.Body)
	}
	// A token of the same user never sees identities.
	secret, _, _ := f.CreateToken(f.ctx, u.ID, "", "", time.Hour)
	if w := serve(h, http.Header{"Authorization": {"Bearer " + secret}}); w.Body.String() != "nadia sea_focal_point actor=user:nadia" {
		t.Errorf("token: %s", w.Body)
	}
}

func TestRequire(t *testing.T) {
	d := dbtest.SQLite(t)
	f := newFixture(t, d, Options{})
	advocate := f.addUser(t, "omar", Advocate)
	analyst := f.addUser(t, "priya", Analyst)
	h := f.Authenticate(Require(ReadRecords)(whoami))
	tokenOf := func(u *User) http.Header {
		secret, _, err := f.CreateToken(f.ctx, u.ID, "", "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return http.Header{"Authorization": {"Bearer " + secret}}
	}
	for _, tc := range []struct {
		name   string
		header http.Header
		code   int
	}{
		{"anonymous", nil, 401},
		{"advocate", tokenOf(advocate), 403},
		{"analyst", tokenOf(analyst), 200},
	} {
		if w := serve(h, tc.header); w.Code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, w.Body, tc.code)
		}
	}
}

func TestRoles(t *testing.T) {
	for _, tc := range []struct {
		role Role
		can  []Permission
	}{
		{Administrator, []Permission{ManageUsers, ReadAuditLog, ReadAggregates, ReadPublished}},
		{Investigator, []Permission{ReadRecords, WriteRecords, ReadEvidence, ManageEvidence, ReadAggregates, ReadPublished}},
		{Analyst, []Permission{ReadRecords, ReadEvidence, ReadAggregates, ReadPublished}},
		{Advocate, []Permission{ReadAggregates, ReadPublished}},
		{Auditor, []Permission{ReadAuditLog, ReadPublished}},
		{Public, []Permission{ReadPublished}},
	} {
		for _, p := range Permissions {
			want := false
			for _, c := range tc.can {
				want = want || c == p
			}
			if tc.role.Has(p) != want {
				t.Errorf("%s has %s = %v, want %v", tc.role, p, tc.role.Has(p), want)
			}
		}
	}
	for _, r := range Roles {
		if r.Has(SeeIdentities) {
			t.Errorf("role %s grants SeeIdentities by itself", r)
		}
		if !r.Includes(r) || !r.Includes(Public) && r != Administrator && r != Auditor && r != Advocate && r != Public {
			t.Errorf("%s does not include itself or public", r)
		}
	}
	if Advocate.Includes(Analyst) || !Investigator.Includes(Analyst) || Analyst.Includes("") {
		t.Error("Includes is wrong")
	}
	for in, want := range map[string]Role{"legal-advisor": LegalAdvisor, " SEA_Focal_Point ": SEAFocalPoint} {
		if got, err := ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseRole("root"); err == nil {
		t.Error("ParseRole(root) succeeded")
	}
}

func FuzzParseBearer(f *testing.F) {
	f.Add("Bearer dsr_" + strings.Repeat("A", 43))
	f.Add("bearer  dsr_" + strings.Repeat("_", 43))
	f.Add("Basic abc")
	f.Add("Bearer dsr_" + strings.Repeat("A", 42) + "B")
	f.Fuzz(func(t *testing.T, header string) {
		token, ok := parseBearer(header)
		if !ok {
			return
		}
		if !strings.HasPrefix(token, TokenPrefix) || len(token) != len(TokenPrefix)+43 || !strings.HasSuffix(header, token) {
			t.Fatalf("parseBearer(%q) accepted %q", header, token)
		}
		if b, err := b64url.DecodeString(token[len(TokenPrefix):]); err != nil || len(b) != tokenBytes ||
			b64url.EncodeToString(b) != token[len(TokenPrefix):] {
			t.Fatalf("accepted token %q is not the canonical text of 32 bytes", token)
		}
	})
}

func FuzzSessionCookie(f *testing.F) {
	f.Add("__Host-dossier_session=" + strings.Repeat("A", 43))
	f.Add("a=b; __Host-dossier_session=" + strings.Repeat("A", 43) + "; __Host-dossier_session=x")
	f.Add(`__Host-dossier_session="` + strings.Repeat("A", 43) + `"`)
	f.Fuzz(func(t *testing.T, cookie string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", cookie)
		token, ok := cookieToken(r, "__Host-dossier_session")
		if ok && !validSessionToken(token) {
			t.Fatalf("cookie %q gave token %q", cookie, token)
		}
	})
}

// FuzzAuthenticate sends arbitrary Authorization and Cookie headers through
// the middleware over a real store: the request is authenticated only when
// it carries the one valid token or session, and never panics.
func FuzzAuthenticate(f *testing.F) {
	d := dbtest.SQLite(f)
	fx := newFixture(f, d, Options{AccountBurst: 1 << 30, ClientBurst: 1 << 30})
	u, err := fx.AddUser(fx.ctx, NewUser{Name: "quentin", Role: Analyst, Password: testPassword})
	if err != nil {
		f.Fatal(err)
	}
	secret, _, err := fx.CreateToken(fx.ctx, u.ID, "", "", time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	res, err := fx.Login(fx.ctx, "quentin", testPassword, "")
	if err != nil {
		f.Fatal(err)
	}
	h := fx.Authenticate(whoami)
	f.Add("Bearer "+secret, "")
	f.Add("", "__Host-dossier_session="+res.Token)
	f.Add("Bearer "+secret[:20], "__Host-dossier_session="+res.Token[:40])
	f.Add("Bearer "+res.Token, "__Host-dossier_session="+secret)
	f.Fuzz(func(t *testing.T, authorization, cookie string) {
		header := http.Header{}
		if authorization != "" {
			header.Set("Authorization", authorization)
		}
		if cookie != "" {
			header.Set("Cookie", cookie)
		}
		w := serve(h, header)
		body := w.Body.String()
		if w.Code == 200 && body != "anonymous" {
			usedToken := authorization != "" && strings.Contains(authorization, secret)
			usedSession := authorization == "" && strings.Contains(cookie, res.Token)
			if !usedToken && !usedSession {
				t.Fatalf("Authorization %q, Cookie %q authenticated as %s", authorization, cookie, body)
			}
		}
		if w.Code != 200 && w.Code != 401 {
			t.Fatalf("Authorization %q, Cookie %q: status %d", authorization, cookie, w.Code)
		}
	})
}
