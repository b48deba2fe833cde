package web

import (
	"errors"
	"net/http"
	"slices"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// The cases (investigations) and who is a member of each: membership is
// what lets a user reach a case's records, as far as their role allows.

func (h *handler) adminCaseRoutes(mux routeTable) {
	mux.HandleFunc("GET /admin/cases", h.adminCases)
	mux.HandleFunc("POST /admin/cases", h.adminCaseCreate)
	mux.HandleFunc("GET /admin/cases/{id}", h.adminCase)
	mux.HandleFunc("POST /admin/cases/{id}/members", h.adminMemberAdd)
	mux.HandleFunc("POST /admin/cases/{id}/members/{user}/remove", h.adminMemberRemove)
}

type adminCaseRow struct {
	Case    account.Case
	Members int
}

type adminCaseForm struct {
	Name, Description string
}

type adminCasesPage struct {
	base
	Rows   []adminCaseRow
	Form   adminCaseForm
	Errors formErrors
}

func (h *handler) adminCases(w http.ResponseWriter, r *http.Request) {
	h.adminCasesRender(w, r, http.StatusOK, &adminCasesPage{})
}

func (h *handler) adminCasesRender(w http.ResponseWriter, r *http.Request, status int, data *adminCasesPage) {
	ctx := r.Context()
	cases, err := h.access.Accounts.Cases(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, c := range cases {
		members, err := h.access.Accounts.CaseMembers(ctx, c.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		data.Rows = append(data.Rows, adminCaseRow{Case: c, Members: len(members)})
	}
	h.render(w, r, status, "admin_cases", "admin", data)
}

func (h *handler) adminCaseCreate(w http.ResponseWriter, r *http.Request) {
	form := adminCaseForm{Name: r.PostFormValue("case_name"), Description: r.PostFormValue("description")}
	c, err := h.access.Accounts.CreateCase(writer(r), form.Name, form.Description)
	if errs, invalid := record.AsErrors(err); invalid {
		h.adminCasesRender(w, r, http.StatusUnprocessableEntity,
			&adminCasesPage{Form: form, Errors: adminErrors(h.localizer(r), errs, map[string]string{"name": "case_name"})})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	setFlash(w, r, "admin.case_created")
	http.Redirect(w, r, "/admin/cases/"+c.ID, http.StatusSeeOther)
}

type adminMemberRow struct {
	User      account.User
	RoleLabel string
}

type adminCasePage struct {
	base
	Case    account.Case
	Members []adminMemberRow
	// UserOps are the users who are not members yet.
	UserOps []option
	UserID  string
	Errors  formErrors
}

// pathCase finds the case of the path's {id}, answering 404 itself.
func (h *handler) pathCase(w http.ResponseWriter, r *http.Request) (*account.Case, bool) {
	id, ok := recordID(r)
	if !ok {
		h.notFound(w, r)
		return nil, false
	}
	c, err := h.access.Accounts.Case(r.Context(), id)
	if err == nil && c.ID != id {
		err = db.ErrNotFound // a case merely named like this ID
	}
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return c, true
}

func (h *handler) adminCase(w http.ResponseWriter, r *http.Request) {
	c, ok := h.pathCase(w, r)
	if !ok {
		return
	}
	h.adminCaseRender(w, r, http.StatusOK, c, &adminCasePage{})
}

func (h *handler) adminCaseRender(w http.ResponseWriter, r *http.Request, status int, c *account.Case, data *adminCasePage) {
	ctx := r.Context()
	l := h.localizer(r)
	members, err := h.access.Accounts.CaseMembers(ctx, c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	users, err := h.access.Accounts.Users(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data.Case = *c
	var ids []string
	for _, m := range members {
		data.Members = append(data.Members, adminMemberRow{User: m, RoleLabel: l.T("role." + string(m.Role))})
		ids = append(ids, m.ID)
	}
	for _, u := range users {
		if slices.Contains(ids, u.ID) {
			continue
		}
		label := u.Name + " · " + l.T("role."+string(u.Role))
		if u.DisplayName != "" {
			label = u.DisplayName + " (" + u.Name + ") · " + l.T("role."+string(u.Role))
		}
		data.UserOps = append(data.UserOps, option{Value: u.ID, Label: label})
	}
	h.render(w, r, status, "admin_case", "admin", data)
}

func (h *handler) adminMemberAdd(w http.ResponseWriter, r *http.Request) {
	c, ok := h.pathCase(w, r)
	if !ok {
		return
	}
	l := h.localizer(r)
	userID := r.PostFormValue("user_id")
	var errs record.Errors
	switch {
	case userID == "":
		errs.Add("user_id", "required", "is required")
	case !record.ValidID(userID):
		errs.Add("user_id", "not_found", "no user has this ID")
	}
	if len(errs) == 0 {
		err := h.access.Accounts.AddToCase(writer(r), userID, c.ID)
		switch {
		case errors.Is(err, db.ErrNotFound):
			errs.Add("user_id", "not_found", "no user has this ID")
		case err != nil:
			h.fail(w, r, err)
			return
		}
	}
	if len(errs) > 0 {
		h.adminCaseRender(w, r, http.StatusUnprocessableEntity, c, &adminCasePage{UserID: userID, Errors: adminErrors(l, errs, nil)})
		return
	}
	setFlash(w, r, "admin.member_added")
	http.Redirect(w, r, "/admin/cases/"+c.ID, http.StatusSeeOther)
}

func (h *handler) adminMemberRemove(w http.ResponseWriter, r *http.Request) {
	c, ok := h.pathCase(w, r)
	if !ok {
		return
	}
	userID := r.PathValue("user")
	members, err := h.access.Accounts.CaseMembers(r.Context(), c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	i := slices.IndexFunc(members, func(u account.User) bool { return u.ID == userID })
	if i < 0 {
		h.notFound(w, r) // not a member
		return
	}
	l := h.localizer(r)
	name := isolate(members[i].Name)
	if !h.confirmed(w, r, confirmation{
		Title:   l.T("confirm.member_remove.title", "name", name, "case", isolate(c.Name)),
		Body:    []string{l.T("confirm.member_remove.body", "name", name)},
		Button:  l.T("confirm.member_remove.button"),
		Action:  r.URL.Path,
		Back:    "/admin/cases/" + c.ID,
		Crumbs:  []crumb{{l.T("admin.cases.title"), "/admin/cases"}, {c.Name, "/admin/cases/" + c.ID}},
		Section: "admin",
	}) {
		return
	}
	if err := h.access.Accounts.RemoveFromCase(writer(r), userID, c.ID); err != nil {
		h.fail(w, r, err) // not a member (any more): not found
		return
	}
	setFlash(w, r, "admin.member_removed")
	http.Redirect(w, r, "/admin/cases/"+c.ID, http.StatusSeeOther)
}
