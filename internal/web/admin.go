package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// The administration pages: users, their roles, status, passwords,
// two-factor enrolment, grant to see identities and API tokens, and the
// cases with their members — what "dossier user" and "dossier token" do
// on the command line, for holders of users:manage. Every change goes
// through the account store, which writes it to the audit log. A generated
// password, a token or a two-factor enrolment is shown on the page that
// answers the form, once: never in a URL, a cookie or a later page.

func init() {
	for _, name := range []string{"user_created", "user_saved", "user_disabled", "user_enabled", "password_set",
		"totp_removed", "identities_granted", "identities_revoked", "token_revoked",
		"case_created", "member_added", "member_removed", "identity_linked", "identity_unlinked"} {
		flashes["admin."+name] = "admin.flash." + name
	}
}

func (h *handler) adminRoutes(mux routeTable) {
	mux.HandleFunc("GET /admin", h.adminHome)
	mux.HandleFunc("GET /admin/users", h.adminUsers)
	mux.HandleFunc("GET /admin/users/new", h.adminUserNew)
	mux.HandleFunc("POST /admin/users/new", h.adminUserCreate)
	mux.HandleFunc("GET /admin/users/{id}", h.adminUser)
	mux.HandleFunc("POST /admin/users/{id}", h.adminUserSave)
	mux.HandleFunc("POST /admin/users/{id}/status", h.adminUserStatus)
	mux.HandleFunc("POST /admin/users/{id}/password", h.adminUserPassword)
	mux.HandleFunc("POST /admin/users/{id}/totp", h.adminUserTOTP)
	mux.HandleFunc("POST /admin/users/{id}/totp/remove", h.adminUserTOTPRemove)
	mux.HandleFunc("POST /admin/users/{id}/identities", h.adminUserIdentities)
	mux.HandleFunc("POST /admin/users/{id}/tokens", h.adminTokenCreate)
	mux.HandleFunc("POST /admin/users/{id}/tokens/{token}/revoke", h.adminTokenRevoke)
	h.adminOIDCRoutes(mux)
	h.adminCaseRoutes(mux)
}

func (h *handler) adminHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
}

// adminErrors translates the account store's refusals for a form: a
// message of the administration's own for the field and code, else for the
// code, else the record forms' translation. field maps the store's field
// names to the form's inputs where they differ.
func adminErrors(l *localizer, errs record.Errors, field map[string]string) formErrors {
	out := formErrors{ByField: map[string]string{}}
	for _, fe := range errs {
		input := fe.Field
		if f, ok := field[input]; ok {
			input = f
		}
		msg := ""
		for _, key := range []string{"admin.error." + fe.Field + "." + fe.Code, "admin.error." + fe.Code} {
			if _, ok := l.cat[key]; ok {
				msg = l.T(key)
				break
			}
		}
		if msg == "" {
			msg = errorMessage(l, fe)
		}
		label := input
		if _, ok := l.cat["admin.field."+input]; ok {
			label = l.T("admin.field." + input)
		}
		out.List = append(out.List, fieldMessage{Field: input, ID: fieldID(input), Label: label, Message: msg})
		if _, seen := out.ByField[input]; !seen {
			out.ByField[input] = msg
		}
	}
	return out
}

// oneError is a form's single problem with one input.
func oneError(l *localizer, field, code, message string) formErrors {
	var errs record.Errors
	errs.Add(field, code, "%s", message)
	return adminErrors(l, errs, nil)
}

func roleOptions(l *localizer) []option {
	out := make([]option, len(account.Roles))
	for i, r := range account.Roles {
		out[i] = option{Value: string(r), Label: l.T("role." + string(r))}
	}
	return out
}

// scopeOptions are the roles a token of a user with the role may have: it
// or a narrower one.
func scopeOptions(l *localizer, role account.Role) []option {
	var out []option
	for _, r := range account.Roles {
		if role.Includes(r) {
			out = append(out, option{Value: string(r), Label: l.T("role." + string(r))})
		}
	}
	return out
}

// formBool reads the form's value of name, "true" or "false"; anything
// else is a bad request, answered here.
func (h *handler) formBool(w http.ResponseWriter, r *http.Request, name string) (value, ok bool) {
	switch r.PostFormValue(name) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	h.renderError(w, r, http.StatusBadRequest)
	return false, false
}

// userStatus names where an account stands, for lists and badges.
func userStatus(u *account.User, now time.Time) string {
	switch {
	case u.Disabled:
		return "disabled"
	case u.Locked(now):
		return "locked"
	}
	return "active"
}

type adminUserRow struct {
	User      account.User
	RoleLabel string
	Status    string // active, disabled, locked
}

type adminUsersPage struct {
	base
	Rows []adminUserRow
}

func (h *handler) adminUsers(w http.ResponseWriter, r *http.Request) {
	users, err := h.access.Accounts.Users(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l := h.localizer(r)
	data := &adminUsersPage{}
	now := time.Now()
	for _, u := range users {
		data.Rows = append(data.Rows, adminUserRow{User: u, RoleLabel: l.T("role." + string(u.Role)), Status: userStatus(&u, now)})
	}
	h.render(w, r, http.StatusOK, "admin_users", "admin", data)
}

type adminUserForm struct {
	Name, DisplayName, Role string
}

type adminUserNewPage struct {
	base
	Form    adminUserForm
	RoleOps []option
	Errors  formErrors
}

func (h *handler) adminUserNew(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "admin_user_new", "admin",
		&adminUserNewPage{Form: adminUserForm{Role: string(account.Investigator)}, RoleOps: roleOptions(h.localizer(r))})
}

// adminSecretPage shows, once, what was just issued: a password, an API
// token or a two-factor enrolment.
type adminSecretPage struct {
	base
	User      account.User
	Password  string
	Token     string
	TokenInfo *account.Token
	// ScopeLabel names the token's role.
	ScopeLabel string
	Enrolment  *account.Enrolment
}

func (h *handler) showSecret(w http.ResponseWriter, r *http.Request, status int, data *adminSecretPage) {
	// The page holds a secret: no cache, no history entry worth keeping.
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, status, "admin_secret", "admin", data)
}

func (h *handler) adminUserCreate(w http.ResponseWriter, r *http.Request) {
	l := h.localizer(r)
	form := adminUserForm{Name: r.PostFormValue("name"), DisplayName: r.PostFormValue("display_name"), Role: r.PostFormValue("role")}
	password, generated := r.PostFormValue("password"), false
	if password == "" {
		password, generated = account.GeneratePassword(), true
	}
	u, err := h.access.Accounts.AddUser(writer(r), account.NewUser{Name: form.Name, DisplayName: form.DisplayName,
		Role: account.Role(form.Role), Password: password, MustChangePassword: generated})
	if errs, ok := record.AsErrors(err); ok {
		h.render(w, r, http.StatusUnprocessableEntity, "admin_user_new", "admin",
			&adminUserNewPage{Form: form, RoleOps: roleOptions(l), Errors: adminErrors(l, errs, nil)})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if generated {
		h.showSecret(w, r, http.StatusCreated, &adminSecretPage{User: *u, Password: password})
		return
	}
	setFlash(w, r, "admin.user_created")
	http.Redirect(w, r, "/admin/users/"+u.ID, http.StatusSeeOther)
}

type adminTokenRow struct {
	Token      account.Token
	ScopeLabel string
	Status     string // active, revoked, expired
}

type adminTokenForm struct {
	Name, Role, Days string
}

type adminUserPage struct {
	base
	User              account.User
	UserRoleLabel     string
	Status            string
	Cases             []account.Case
	RecoveryCodesLeft int
	Tokens            []adminTokenRow
	// The forms, as sent when one was refused.
	Edit      adminUserForm
	TokenForm adminTokenForm
	RoleOps   []option
	ScopeOps  []option
	Errors    formErrors
	// MaySeeIdentities: the user's role may hold the grant at all.
	MaySeeIdentities bool
	Self             bool // the administrator's own account
	// Identities are those linked at single sign-on providers; LinkForm
	// links another (admin_oidc.go); SSO names the server's provider.
	Identities []account.OIDCIdentity
	LinkForm   adminLinkForm
	SSO        string
}

// pathUser finds the user of the path's {id}, answering 404 itself.
func (h *handler) pathUser(w http.ResponseWriter, r *http.Request) (*account.User, bool) {
	id, ok := recordID(r)
	if !ok {
		h.notFound(w, r)
		return nil, false
	}
	u, err := h.access.Accounts.User(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return u, true
}

func (h *handler) adminUser(w http.ResponseWriter, r *http.Request) {
	u, ok := h.pathUser(w, r)
	if !ok {
		return
	}
	h.adminUserRender(w, r, http.StatusOK, u, nil)
}

// adminUserRender shows a user's page; refused, when given, is the page of
// a refused form, with what was sent and why. The forms not sent start as
// on a page of their own.
func (h *handler) adminUserRender(w http.ResponseWriter, r *http.Request, status int, u *account.User, refused *adminUserPage) {
	ctx := r.Context()
	l := h.localizer(r)
	data := refused
	if data == nil {
		data = &adminUserPage{}
	}
	if data.Edit == (adminUserForm{}) {
		data.Edit = adminUserForm{DisplayName: u.DisplayName, Role: string(u.Role)}
	}
	if data.TokenForm == (adminTokenForm{}) {
		data.TokenForm = adminTokenForm{Days: "90"}
	}
	data.User, data.UserRoleLabel, data.Status = *u, l.T("role."+string(u.Role)), userStatus(u, time.Now())
	data.RoleOps, data.ScopeOps = roleOptions(l), scopeOptions(l, u.Role)
	data.MaySeeIdentities = u.Role.MaySeeIdentities()
	if p, ok := account.PrincipalFrom(ctx); ok {
		data.Self = p.User.ID == u.ID
	}
	var err error
	if data.Cases, err = h.access.Accounts.CasesOf(ctx, u.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	if data.RecoveryCodesLeft, err = h.access.Accounts.RecoveryCodesLeft(ctx, u.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	tokens, err := h.access.Accounts.Tokens(ctx, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data.Tokens = tokenRows(l, tokens)
	if data.Identities, err = h.access.Accounts.OIDCIdentities(ctx, u.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	if data.LinkForm == (adminLinkForm{}) {
		if data.LinkForm.Issuer, err = h.defaultIssuer(ctx); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if h.access.OIDC != nil {
		data.SSO = h.access.OIDC.DisplayName()
	}
	h.render(w, r, status, "admin_user", "admin", data)
}

// tokenRows are tokens as the tables show them, with their status.
func tokenRows(l *localizer, tokens []account.Token) []adminTokenRow {
	var out []adminTokenRow
	now := time.Now()
	for _, t := range tokens {
		row := adminTokenRow{Token: t, ScopeLabel: l.T("role." + string(t.Role)), Status: "active"}
		switch {
		case !t.RevokedAt.IsZero():
			row.Status = "revoked"
		case !now.Before(t.ExpiresAt):
			row.Status = "expired"
		}
		out = append(out, row)
	}
	return out
}

// userQuestion asks before a destructive change to u: the catalog's
// confirm.<what>.title, .body and .button, with the user's name.
func (h *handler) userQuestion(r *http.Request, u *account.User, what string, fields ...hiddenField) confirmation {
	l := h.localizer(r)
	return confirmation{
		Title:   l.T("confirm."+what+".title", "name", u.Name),
		Body:    []string{l.T("confirm."+what+".body", "name", u.Name)},
		Button:  l.T("confirm." + what + ".button"),
		Action:  r.URL.Path,
		Fields:  fields,
		Back:    "/admin/users/" + u.ID,
		Crumbs:  []crumb{{l.T("admin.users.title"), "/admin/users"}, {u.Name, "/admin/users/" + u.ID}},
		Section: "admin",
	}
}

// refuse re-renders the user's page with a form's problems.
func (h *handler) refuse(w http.ResponseWriter, r *http.Request, u *account.User, data *adminUserPage) {
	h.adminUserRender(w, r, http.StatusUnprocessableEntity, u, data)
}

// adminUserSave changes the display name and the role.
func (h *handler) adminUserSave(w http.ResponseWriter, r *http.Request) {
	u, ok := h.pathUser(w, r)
	if !ok {
		return
	}
	l := h.localizer(r)
	form := adminUserForm{DisplayName: r.PostFormValue("display_name"), Role: r.PostFormValue("role")}
	// Both changes are checked before either is made.
	var errs record.Errors
	role, err := account.ParseRole(form.Role)
	if e, ok := record.AsErrors(err); ok {
		errs = append(errs, e...)
	}
	displayName := strings.TrimSpace(form.DisplayName)
	errs.MaxLength("display_name", displayName, 200)
	if len(errs) > 0 {
		h.refuse(w, r, u, &adminUserPage{Edit: form, Errors: adminErrors(l, errs, nil)})
		return
	}
	if role != u.Role {
		_, err = h.access.Accounts.SetRole(writer(r), u.ID, role)
	}
	if err == nil && displayName != u.DisplayName {
		_, err = h.access.Accounts.SetDisplayName(writer(r), u.ID, displayName)
	}
	switch errs, invalid := record.AsErrors(err); {
	case errors.Is(err, account.ErrLastAdministrator):
		h.refuse(w, r, u, &adminUserPage{Edit: form, Errors: oneError(l, "role", "last_administrator", err.Error())})
		return
	case invalid:
		h.refuse(w, r, u, &adminUserPage{Edit: form, Errors: adminErrors(l, errs, nil)})
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	setFlash(w, r, "admin.user_saved")
	http.Redirect(w, r, "/admin/users/"+u.ID, http.StatusSeeOther)
}

// adminUserStatus disables a user (their sessions end, their tokens stop)
// or enables them again (lifting a lock-out).
func (h *handler) adminUserStatus(w http.ResponseWriter, r *http.Request) {
	u, ok := h.pathUser(w, r)
	if !ok {
		return
	}
	disable, ok := h.formBool(w, r, "disabled")
	if !ok {
		return
	}
	if disable && !h.confirmed(w, r, h.userQuestion(r, u, "disable", hiddenField{"disabled", "true"})) {
		return
	}
	_, err := h.access.Accounts.SetDisabled(writer(r), u.ID, disable)
	if errors.Is(err, account.ErrLastAdministrator) {
		h.refuse(w, r, u, &adminUserPage{Errors: oneError(h.localizer(r), "status", "last_administrator", err.Error())})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	flash := "admin.user_enabled"
	if disable {
		flash = "admin.user_disabled"
	}
	setFlash(w, r, flash)
	http.Redirect(w, r, "/admin/users/"+u.ID, http.StatusSeeOther)
}

// adminUserPassword gives the user a new password: generated and shown
// once unless one is typed in. Every session of the user ends; a generated
// one must be replaced at the user's next login. The question page asks
// for the typed password itself.
func (h *handler) adminUserPassword(w http.ResponseWriter, r *http.Request) {
	u, ok := h.pathUser(w, r)
	if !ok {
		return
	}
	question := h.userQuestion(r, u, "password")
	question.Password = true
	if !h.confirmed(w, r, question) {
		return
	}
	password, generated := r.PostFormValue("password"), false
	set := h.access.Accounts.SetPassword
	if password == "" {
		password, generated = account.GeneratePassword(), true
		set = h.access.Accounts.SetTemporaryPassword
	}
	err := set(writer(r), u.ID, password)
	if errs, invalid := record.AsErrors(err); invalid {
		question.Errors = adminErrors(h.localizer(r), errs, nil)
		h.ask(w, r, http.StatusUnprocessableEntity, question)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if generated {
		h.showSecret(w, r, http.StatusOK, &adminSecretPage{User: *u, Password: password})
		return
	}
	setFlash(w, r, "admin.password_set")
	http.Redirect(w, r, "/admin/users/"+u.ID, http.StatusSeeOther)
}

// adminUserTOTP enrols the user in two-factor authentication at once (any
// earlier authenticator stops working) and shows the enrolment once.
func (h *handler) adminUserTOTP(w http.ResponseWriter, r *http.Request) {
	u, ok := h.pathUser(w, r)
	if !ok {
		return
	}
	if u.TOTP && !h.confirmed(w, r, h.userQuestion(r, u, "totp_replace")) {
		return
	}
	enrol, err := h.access.Accounts.EnrolTOTP(writer(r), u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if u, err = h.access.Accounts.User(r.Context(), u.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.showSecret(w, r, http.StatusOK, &adminSecretPage{User: *u, Enrolment: enrol})
}

func (h *handler) adminUserTOTPRemove(w http.ResponseWriter, r *http.Request) {
	u, ok := h.pathUser(w, r)
	if !ok {
		return
	}
	if !h.confirmed(w, r, h.userQuestion(r, u, "totp_remove")) {
		return
	}
	if _, err := h.access.Accounts.RemoveTOTP(writer(r), u.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	setFlash(w, r, "admin.totp_removed")
	http.Redirect(w, r, "/admin/users/"+u.ID, http.StatusSeeOther)
}

func (h *handler) adminUserIdentities(w http.ResponseWriter, r *http.Request) {
	u, ok := h.pathUser(w, r)
	if !ok {
		return
	}
	grant, ok := h.formBool(w, r, "grant")
	if !ok {
		return
	}
	_, err := h.access.Accounts.SetSeeIdentities(writer(r), u.ID, grant)
	if errs, invalid := record.AsErrors(err); invalid {
		h.refuse(w, r, u, &adminUserPage{Errors: adminErrors(h.localizer(r), errs, nil)})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	flash := "admin.identities_revoked"
	if grant {
		flash = "admin.identities_granted"
	}
	setFlash(w, r, flash)
	http.Redirect(w, r, "/admin/users/"+u.ID, http.StatusSeeOther)
}

// tokenQuestion asks before revoking tok, naming it.
func tokenQuestion(l *localizer, tok *account.Token, c confirmation) confirmation {
	c.Title = l.T("confirm.token_revoke.title_unnamed")
	if tok.Name != "" {
		c.Title = l.T("confirm.token_revoke.title", "token", tok.Name)
	}
	c.Body = []string{l.T("confirm.token_revoke.body", "name", tok.UserName)}
	return c
}

// maxTokenDays is the longest a token may live, in days.
var maxTokenDays = int(account.MaxTokenLifetime / (24 * time.Hour))

// tokenInputs names the form's inputs for the token store's fields.
var tokenInputs = map[string]string{"name": "token_name", "role": "token_role", "expires": "expires_in_days", "user": "token_name"}

// readTokenForm reads the form that asks for a token: 90 days unless it
// says otherwise.
func readTokenForm(r *http.Request) adminTokenForm {
	form := adminTokenForm{Name: r.PostFormValue("token_name"), Role: r.PostFormValue("token_role"), Days: strings.TrimSpace(r.PostFormValue("expires_in_days"))}
	if form.Days == "" {
		form.Days = "90"
	}
	return form
}

// createToken issues the token the form asks for, acting as the user
// userID, or says what is wrong with the form (record.Errors, of the store's
// fields: see tokenInputs).
func (h *handler) createToken(r *http.Request, userID string, form adminTokenForm) (string, *account.Token, error) {
	days, err := strconv.Atoi(form.Days)
	if err != nil || days < 1 || days > maxTokenDays {
		var errs record.Errors
		errs.Add("expires_in_days", "out_of_range", "must be between 1 and %d", maxTokenDays)
		return "", nil, errs
	}
	return h.access.Accounts.CreateToken(writer(r), userID, account.Role(form.Role), form.Name, time.Duration(days)*24*time.Hour)
}

// pathToken finds the token of the path value name, answering 404 itself
// when there is none or it is not the user userID's.
func (h *handler) pathToken(w http.ResponseWriter, r *http.Request, name, userID string) (*account.Token, bool) {
	tok, err := h.access.Accounts.Token(r.Context(), r.PathValue(name))
	if errors.Is(err, db.ErrNotFound) || (err == nil && tok.UserID != userID) {
		h.notFound(w, r)
		return nil, false
	}
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return tok, true
}

// adminTokenCreate issues an API token for the user and shows it once.
func (h *handler) adminTokenCreate(w http.ResponseWriter, r *http.Request) {
	u, ok := h.pathUser(w, r)
	if !ok {
		return
	}
	l := h.localizer(r)
	form := readTokenForm(r)
	secret, tok, err := h.createToken(r, u.ID, form)
	if errs, invalid := record.AsErrors(err); invalid {
		h.refuse(w, r, u, &adminUserPage{TokenForm: form, Errors: adminErrors(l, errs, tokenInputs)})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.showSecret(w, r, http.StatusCreated, &adminSecretPage{User: *u, Token: secret, TokenInfo: tok, ScopeLabel: l.T("role." + string(tok.Role))})
}

// adminTokenRevoke revokes one of the user's tokens; a token of someone
// else under this user's path is not found.
func (h *handler) adminTokenRevoke(w http.ResponseWriter, r *http.Request) {
	u, ok := h.pathUser(w, r)
	if !ok {
		return
	}
	tok, ok := h.pathToken(w, r, "token", u.ID)
	if !ok {
		return
	}
	if !h.confirmed(w, r, tokenQuestion(h.localizer(r), tok, h.userQuestion(r, u, "token_revoke"))) {
		return
	}
	if _, err := h.access.Accounts.RevokeTokenOf(writer(r), u.ID, tok.ID); err != nil {
		h.fail(w, r, err) // gone meanwhile: not found
		return
	}
	setFlash(w, r, "admin.token_revoked")
	http.Redirect(w, r, "/admin/users/"+u.ID, http.StatusSeeOther)
}
