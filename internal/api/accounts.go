package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/record"
)

// Accounts, cases and API tokens, for administrators (users:manage), and
// each caller's own account, tokens and sessions. Every change goes through
// internal/account's store, which writes it to the audit log. Secrets — a
// generated password, a token, a TOTP secret and recovery codes — appear in
// one response only, the one that created them; lists never carry them.

func accountRoutes(a *app.App, add func(method, path string, fn handlerFunc)) {
	add("GET", "/users", listUsers(a))
	add("POST", "/users", createUser(a))
	add("GET", "/users/{id}", readUser(a))
	add("PATCH", "/users/{id}", patchUser(a))
	add("POST", "/users/{id}/password", resetPassword(a))
	add("POST", "/users/{id}/totp", enrolTOTP(a))
	add("DELETE", "/users/{id}/totp", removeTOTP(a))
	add("GET", "/users/{id}/tokens", listUserTokens(a))
	add("POST", "/users/{id}/tokens", createToken(a))
	add("GET", "/tokens", listTokens(a))
	add("POST", "/tokens/{id}/revoke", revokeToken(a))
	add("GET", "/cases", listCases(a))
	add("POST", "/cases", createCase(a))
	add("GET", "/cases/{id}", readCase(a))
	add("POST", "/cases/{id}/members", addMember(a))
	add("DELETE", "/cases/{id}/members/{user}", removeMember(a))
	oidcRoutes(a, add)

	add("GET", "/account", ownAccount(a))
	add("POST", "/account/password", changeOwnPassword(a))
	add("GET", "/account/tokens", ownTokens(a))
	add("POST", "/account/tokens", createOwnToken(a))
	add("POST", "/account/tokens/{id}/revoke", revokeOwnToken(a))
	add("GET", "/account/sessions", ownSessions(a))
	add("POST", "/account/sessions/{id}/revoke", revokeOwnSession(a))
}

// accountProblem turns the account rules that refuse a change into
// problems naming the field.
func accountProblem(err error, field string) error {
	if errors.Is(err, account.ErrLastAdministrator) {
		var errs record.Errors
		errs.Add(field, "last_administrator", "%s", account.ErrLastAdministrator.Error())
		return &problem{Type: typeValidation, Title: "Validation failed", Status: http.StatusUnprocessableEntity,
			Detail: "The change was refused; see errors.", Errors: errs}
	}
	return err
}

// pathUser finds the user named by the path value name (an ID).
func pathUser(a *app.App, r *http.Request, name string) (*account.User, error) {
	id := r.PathValue(name)
	if !record.ValidID(id) {
		return nil, notFound("user")
	}
	u, err := a.Accounts.User(r.Context(), id)
	if isNotFound(err) {
		return nil, notFound("user")
	}
	return u, err
}

// pathCase finds the case of the path's {id}.
func pathCase(a *app.App, r *http.Request) (*account.Case, error) {
	id := r.PathValue("id")
	if !record.ValidID(id) {
		return nil, notFound("case")
	}
	c, err := a.Accounts.Case(r.Context(), id)
	if isNotFound(err) || (err == nil && c.ID != id) {
		return nil, notFound("case")
	}
	return c, err
}

// aboutUser answers a request about the user of the path's {id} that takes
// no query parameters and no body.
func aboutUser(a *app.App, fn func(w http.ResponseWriter, r *http.Request, u *account.User) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		u, err := pathUser(a, r, "id")
		if err != nil {
			return err
		}
		return fn(w, r, u)
	}
}

// asCaller answers a self-service request that takes no query parameters
// and no body.
func asCaller(fn func(w http.ResponseWriter, r *http.Request, p *account.Principal) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		p, err := caller(r)
		if err != nil {
			return err
		}
		return fn(w, r, p)
	}
}

type userList struct {
	Users []account.User `json:"users"`
}

func listUsers(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		users, err := a.Accounts.Users(r.Context())
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, userList{orEmpty(users)})
	}
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// userCreate is a new account. Without a password one is generated and
// answered once.
type userCreate struct {
	Name        string       `json:"name"`
	DisplayName string       `json:"display_name"`
	Role        account.Role `json:"role"`
	Password    string       `json:"password"`
}

// userCreated is the new account, with the generated password if one was.
type userCreated struct {
	account.User
	Password string `json:"password,omitempty"`
}

func createUser(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in userCreate
		if _, err := readJSON(w, r, &in, bodyRules{}); err != nil {
			return err
		}
		password, generated := in.Password, in.Password == ""
		if generated {
			password = account.GeneratePassword()
		}
		u, err := a.Accounts.AddUser(r.Context(), account.NewUser{Name: in.Name, DisplayName: in.DisplayName,
			Role: in.Role, Password: password, MustChangePassword: generated})
		if err != nil {
			return err
		}
		out := userCreated{User: *u}
		if generated {
			out.Password = password
		}
		w.Header().Set("Location", Prefix+"/users/"+u.ID)
		return writeJSON(w, http.StatusCreated, out)
	}
}

// userDetail is a user with their cases and how many recovery codes and
// active tokens they have left.
type userDetail struct {
	account.User
	Cases             []account.Case `json:"cases"`
	RecoveryCodesLeft int            `json:"recovery_codes_left"`
	ActiveTokens      int            `json:"active_tokens"`
}

// writeUser answers the user's userDetail.
func writeUser(w http.ResponseWriter, r *http.Request, a *app.App, u *account.User) error {
	h := userDetail{User: *u}
	ctx := r.Context()
	cases, err := a.Accounts.CasesOf(ctx, u.ID)
	if err != nil {
		return err
	}
	h.Cases = orEmpty(cases)
	if h.RecoveryCodesLeft, err = a.Accounts.RecoveryCodesLeft(ctx, u.ID); err != nil {
		return err
	}
	tokens, err := a.Accounts.Tokens(ctx, u.ID)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, t := range tokens {
		if t.Active(now) {
			h.ActiveTokens++
		}
	}
	return writeJSON(w, http.StatusOK, h)
}

func readUser(a *app.App) handlerFunc {
	return aboutUser(a, func(w http.ResponseWriter, r *http.Request, u *account.User) error {
		return writeUser(w, r, a, u)
	})
}

// userPatch changes what is given of a user; an absent (or null) field
// stays as it is.
type userPatch struct {
	DisplayName   *string       `json:"display_name"`
	Role          *account.Role `json:"role"`
	Disabled      *bool         `json:"disabled"`
	SeeIdentities *bool         `json:"see_identities"`
}

// patchUser answers PATCH /users/{id}. The request is checked whole against
// the user as they stand before anything is written, so that a refused
// part does not leave the rest half-applied; each change is then its own
// entry in the audit log.
func patchUser(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in userPatch
		if _, err := readJSON(w, r, &in, bodyRules{readOnly: []string{"id", "name", "totp", "locked_until",
			"password_changed_at", "created_at", "created_by", "updated_at", "updated_by"}}); err != nil {
			return err
		}
		u, err := pathUser(a, r, "id")
		if err != nil {
			return err
		}
		role := u.Role
		var errs record.Errors
		if in.Role != nil {
			if role = *in.Role; !role.Valid() {
				record.OneOf(&errs, "role", role, account.Roles)
			}
		}
		if in.DisplayName != nil {
			errs.MaxLength("display_name", *in.DisplayName, 200)
		}
		if in.SeeIdentities != nil && *in.SeeIdentities && role.Valid() {
			switch {
			case !role.MaySeeIdentities():
				errs.Add("see_identities", "not_allowed", "the role %s may not see identities", role)
			case !u.TOTP:
				errs.Add("see_identities", "totp_required", "enrol the user in two-factor authentication (TOTP) first")
			}
		}
		if len(errs) > 0 {
			return &problem{Type: typeValidation, Title: "Validation failed", Status: http.StatusUnprocessableEntity,
				Detail: "Nothing was changed; see errors.", Errors: redact(errs)}
		}
		ctx := r.Context()
		if in.Role != nil && *in.Role != u.Role {
			if u, err = a.Accounts.SetRole(ctx, u.ID, *in.Role); err != nil {
				return accountProblem(err, "role")
			}
		}
		if in.Disabled != nil && *in.Disabled != u.Disabled {
			if u, err = a.Accounts.SetDisabled(ctx, u.ID, *in.Disabled); err != nil {
				return accountProblem(err, "disabled")
			}
		}
		if in.SeeIdentities != nil && *in.SeeIdentities != u.SeeIdentities {
			if u, err = a.Accounts.SetSeeIdentities(ctx, u.ID, *in.SeeIdentities); err != nil {
				return err
			}
		}
		if in.DisplayName != nil && *in.DisplayName != u.DisplayName {
			if u, err = a.Accounts.SetDisplayName(ctx, u.ID, *in.DisplayName); err != nil {
				return err
			}
		}
		return writeUser(w, r, a, u)
	}
}

type passwordReset struct {
	Password string `json:"password"`
}

// passwordSet says what a reset did: the password generated, once, or
// nothing of the one given.
type passwordSet struct {
	Generated bool   `json:"generated"`
	Password  string `json:"password,omitempty"`
}

// resetPassword gives the user a new password: the one given, or one
// generated and answered once, which is what an administrator handing an
// account back to its owner needs — and which the user must replace at
// their next login. Every session of the user ends and a lock-out is
// lifted.
func resetPassword(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in passwordReset
		if _, err := readJSON(w, r, &in, bodyRules{}); err != nil {
			return err
		}
		u, err := pathUser(a, r, "id")
		if err != nil {
			return err
		}
		out := passwordSet{Generated: in.Password == ""}
		password := in.Password
		if out.Generated {
			password = account.GeneratePassword()
			out.Password = password
		}
		set := a.Accounts.SetPassword
		if out.Generated {
			set = a.Accounts.SetTemporaryPassword // seen by the administrator: the user must replace it
		}
		if err := set(r.Context(), u.ID, password); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

// enrolTOTP enrols the user in two-factor authentication at once, as
// "dossier user totp" does, and answers the authenticator URI, the secret
// and the recovery codes, once.
func enrolTOTP(a *app.App) handlerFunc {
	return aboutUser(a, func(w http.ResponseWriter, r *http.Request, u *account.User) error {
		enrol, err := a.Accounts.EnrolTOTP(r.Context(), u.ID)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, enrol)
	})
}

// removeTOTP deletes the user's enrolment (and with it the identities
// grant): they log in with the password alone until enrolled again.
func removeTOTP(a *app.App) handlerFunc {
	return aboutUser(a, func(w http.ResponseWriter, r *http.Request, u *account.User) error {
		u, err := a.Accounts.RemoveTOTP(r.Context(), u.ID)
		if err != nil {
			return err
		}
		return writeUser(w, r, a, u)
	})
}

// Token status, as lists show it.
const (
	tokenActive  = "active"
	tokenRevoked = "revoked"
	tokenExpired = "expired"
)

// tokenView is a token without its secret, with its status.
type tokenView struct {
	account.Token
	Status string `json:"status"`
}

func viewToken(t account.Token, now time.Time) tokenView {
	v := tokenView{Token: t, Status: tokenActive}
	switch {
	case !t.RevokedAt.IsZero():
		v.Status = tokenRevoked
	case !now.Before(t.ExpiresAt):
		v.Status = tokenExpired
	}
	return v
}

type tokenList struct {
	Tokens []tokenView `json:"tokens"`
}

func writeTokens(w http.ResponseWriter, tokens []account.Token) error {
	out := tokenList{Tokens: []tokenView{}}
	now := time.Now()
	for _, t := range tokens {
		out.Tokens = append(out.Tokens, viewToken(t, now))
	}
	return writeJSON(w, http.StatusOK, out)
}

func listTokens(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		tokens, err := a.Accounts.Tokens(r.Context(), "")
		if err != nil {
			return err
		}
		return writeTokens(w, tokens)
	}
}

func listUserTokens(a *app.App) handlerFunc {
	return aboutUser(a, func(w http.ResponseWriter, r *http.Request, u *account.User) error {
		tokens, err := a.Accounts.Tokens(r.Context(), u.ID)
		if err != nil {
			return err
		}
		return writeTokens(w, tokens)
	})
}

// DefaultTokenDays is how long a token lives when the request does not say.
const DefaultTokenDays = 90

type tokenCreate struct {
	Name          string       `json:"name"`
	Role          account.Role `json:"role"`
	ExpiresInDays int          `json:"expires_in_days"`
}

// tokenCreated is the new token with its secret, answered once.
type tokenCreated struct {
	tokenView
	Secret string `json:"token"`
}

func createToken(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return issueToken(w, r, a, func() (string, error) {
			u, err := pathUser(a, r, "id")
			if err != nil {
				return "", err
			}
			return u.ID, nil
		})
	}
}

// createOwnToken issues a token acting as the caller, scoped no wider than
// their role (the store refuses a wider one). The access table lets only a
// browser's session ask: a token may not mint its own successor.
func createOwnToken(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return issueToken(w, r, a, func() (string, error) {
			p, err := caller(r)
			if err != nil {
				return "", err
			}
			return p.User.ID, nil
		})
	}
}

// issueToken reads a tokenCreate and issues the token for the user whose
// ID user finds, answering its secret once.
func issueToken(w http.ResponseWriter, r *http.Request, a *app.App, user func() (string, error)) error {
	if err := newQuery(r).err(); err != nil {
		return err
	}
	var in tokenCreate
	if _, err := readJSON(w, r, &in, bodyRules{}); err != nil {
		return err
	}
	maxDays := int(account.MaxTokenLifetime / (24 * time.Hour))
	var errs record.Errors
	if in.ExpiresInDays == 0 {
		in.ExpiresInDays = DefaultTokenDays
	} else if in.ExpiresInDays < 1 || in.ExpiresInDays > maxDays {
		errs.Add("expires_in_days", "out_of_range", "must be between 1 and %d", maxDays)
	}
	if in.Role != "" && !in.Role.Valid() {
		record.OneOf(&errs, "role", in.Role, account.Roles)
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	userID, err := user()
	if err != nil {
		return err
	}
	secret, tok, err := a.Accounts.CreateToken(r.Context(), userID, in.Role, in.Name, time.Duration(in.ExpiresInDays)*24*time.Hour)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, tokenCreated{tokenView: viewToken(*tok, time.Now()), Secret: secret})
}

func revokeToken(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		tok, err := a.Accounts.RevokeToken(r.Context(), r.PathValue("id"))
		if isNotFound(err) {
			return notFound("token")
		}
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, viewToken(*tok, time.Now()))
	}
}

// member is a user as a case's list of members shows them.
type member struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	DisplayName string       `json:"display_name"`
	Role        account.Role `json:"role"`
	Disabled    bool         `json:"disabled"`
}

// caseDetail is a case with its members.
type caseDetail struct {
	account.Case
	Members []member `json:"members"`
}

func loadCase(r *http.Request, a *app.App, c account.Case) (caseDetail, error) {
	users, err := a.Accounts.CaseMembers(r.Context(), c.ID)
	if err != nil {
		return caseDetail{}, err
	}
	d := caseDetail{Case: c, Members: []member{}}
	for _, u := range users {
		d.Members = append(d.Members, member{ID: u.ID, Name: u.Name, DisplayName: u.DisplayName, Role: u.Role, Disabled: u.Disabled})
	}
	return d, nil
}

// writeCase answers the case with its members.
func writeCase(w http.ResponseWriter, r *http.Request, a *app.App, c account.Case) error {
	d, err := loadCase(r, a, c)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

type caseList struct {
	Cases []caseDetail `json:"cases"`
}

func listCases(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		cases, err := a.Accounts.Cases(r.Context())
		if err != nil {
			return err
		}
		out := caseList{Cases: []caseDetail{}}
		for _, c := range cases {
			d, err := loadCase(r, a, c)
			if err != nil {
				return err
			}
			out.Cases = append(out.Cases, d)
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

type caseCreate struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func createCase(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in caseCreate
		if _, err := readJSON(w, r, &in, bodyRules{}); err != nil {
			return err
		}
		c, err := a.Accounts.CreateCase(r.Context(), in.Name, in.Description)
		if err != nil {
			return err
		}
		w.Header().Set("Location", Prefix+"/cases/"+c.ID)
		return writeJSON(w, http.StatusCreated, caseDetail{Case: *c, Members: []member{}})
	}
}

func readCase(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		c, err := pathCase(a, r)
		if err != nil {
			return err
		}
		return writeCase(w, r, a, *c)
	}
}

type memberAdd struct {
	UserID string `json:"user_id"`
}

// addMember makes a user a member of the case; being one already is not
// an error. It answers the case with its members.
func addMember(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in memberAdd
		if _, err := readJSON(w, r, &in, bodyRules{}); err != nil {
			return err
		}
		c, err := pathCase(a, r)
		if err != nil {
			return err
		}
		var errs record.Errors
		var u *account.User
		switch {
		case in.UserID == "":
			errs.Add("user_id", "required", "is required")
		case !record.ValidID(in.UserID):
			errs.Add("user_id", "not_found", "no user has this ID")
		default:
			if u, err = a.Accounts.User(r.Context(), in.UserID); isNotFound(err) {
				errs.Add("user_id", "not_found", "no user has this ID")
			} else if err != nil {
				return err
			}
		}
		if len(errs) > 0 {
			return &problem{Type: typeValidation, Title: "Validation failed", Status: http.StatusUnprocessableEntity,
				Detail: "Nobody was added; see errors.", Errors: errs}
		}
		if err := a.Accounts.AddToCase(r.Context(), u.ID, c.ID); err != nil {
			return err
		}
		return writeCase(w, r, a, *c)
	}
}

func removeMember(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		c, err := pathCase(a, r)
		if err != nil {
			return err
		}
		u, err := pathUser(a, r, "user")
		if err != nil {
			return err
		}
		if err := a.Accounts.RemoveFromCase(r.Context(), u.ID, c.ID); isNotFound(err) {
			return &problem{Type: typeNotFound, Title: "Not found", Status: http.StatusNotFound,
				Detail: "This user is not a member of this case."}
		} else if err != nil {
			return err
		}
		return writeCase(w, r, a, *c)
	}
}

// caller is the principal of a self-service request. The guard lets only
// logged-in callers through; the handlers without access control (tests
// of the handlers) answer 401 to anyone else.
func caller(r *http.Request) (*account.Principal, error) {
	p, ok := account.PrincipalFrom(r.Context())
	if !ok {
		return nil, unauthenticated()
	}
	return p, nil
}

// ownAccountView is who the caller is and what this request may do.
type ownAccountView struct {
	User account.User `json:"user"`
	// Role is the user's role, or a token's scope; Permissions what both
	// allow, with identities:see only in a session that passed the second
	// factor.
	Role        account.Role         `json:"role"`
	Permissions []account.Permission `json:"permissions"`
	Cases       []account.Case       `json:"cases"`
	Via         string               `json:"via"` // session or token
}

func ownAccount(a *app.App) handlerFunc {
	return asCaller(func(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
		cases, err := a.Accounts.CasesOf(r.Context(), p.User.ID)
		if err != nil {
			return err
		}
		out := ownAccountView{User: p.User, Role: p.Role, Permissions: orEmpty(p.Permissions), Cases: orEmpty(cases), Via: "session"}
		if p.TokenID != "" {
			out.Via = "token"
		}
		return writeJSON(w, http.StatusOK, out)
	})
}

func ownTokens(a *app.App) handlerFunc {
	return asCaller(func(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
		tokens, err := a.Accounts.Tokens(r.Context(), p.User.ID)
		if err != nil {
			return err
		}
		return writeTokens(w, tokens)
	})
}

func revokeOwnToken(a *app.App) handlerFunc {
	return asCaller(func(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
		tok, err := a.Accounts.RevokeTokenOf(r.Context(), p.User.ID, r.PathValue("id"))
		if isNotFound(err) {
			return notFound("token of yours")
		}
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, viewToken(*tok, time.Now()))
	})
}

// sessionView is a live session, marked when it is the one asking.
type sessionView struct {
	account.Session
	Current bool `json:"current"`
}

type sessionList struct {
	Sessions []sessionView `json:"sessions"`
}

func ownSessions(a *app.App) handlerFunc {
	return asCaller(func(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
		sessions, err := a.Accounts.Sessions(r.Context(), p.User.ID)
		if err != nil {
			return err
		}
		out := sessionList{Sessions: []sessionView{}}
		for _, s := range sessions {
			if s.Pending {
				continue // a login still awaiting its code is not yet a session
			}
			out.Sessions = append(out.Sessions, sessionView{Session: s, Current: s.ID == p.SessionID})
		}
		return writeJSON(w, http.StatusOK, out)
	})
}

// revokeOwnSession ends one of the caller's sessions — the asking one too,
// which logs that browser out.
func revokeOwnSession(a *app.App) handlerFunc {
	return asCaller(func(w http.ResponseWriter, r *http.Request, p *account.Principal) error {
		if err := a.Accounts.RevokeSessionOf(r.Context(), p.User.ID, r.PathValue("id")); isNotFound(err) {
			return notFound("session of yours")
		} else if err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
