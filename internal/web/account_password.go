package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/authz"
	"github.com/dossier-org/dossier/internal/record"
)

// Choosing one's own password. A password an administrator generated (a
// reset, or a new account) must be replaced before anything else: the
// access guard sends every other page here until it is (Refuse).

type passwordPage struct {
	base
	// Due: the password was generated for the user, who must replace it.
	Due bool
	// AskCurrent is false only in a single sign-on session while a change
	// is due: its user may never have been given the generated password.
	AskCurrent bool
	Next       string
	Errors     formErrors
}

func (h *handler) passwordPage(p *account.Principal, next string) *passwordPage {
	return &passwordPage{Due: p.PasswordChangeDue, Next: next,
		AskCurrent: !p.PasswordChangeDue || p.LoginMethod != account.LoginOIDC || p.SessionID == ""}
}

func (h *handler) passwordForm(w http.ResponseWriter, r *http.Request) {
	p, ok := h.viewer(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "account_password", "account", h.passwordPage(p, r.URL.Query().Get("next")))
}

func (h *handler) passwordChange(w http.ResponseWriter, r *http.Request) {
	p, ok := h.viewer(w, r)
	if !ok {
		return
	}
	data := h.passwordPage(p, r.PostFormValue("next"))
	current, password := r.PostFormValue("current_password"), r.PostFormValue("password")
	var err error
	if password != "" && password != r.PostFormValue("password_repeat") {
		var errs record.Errors
		errs.Add("password_repeat", "mismatch", "is not the same as the new password")
		err = errs
	} else {
		err = h.access.Accounts.ChangeOwnPassword(writer(r), p, current, password)
	}
	if errs, invalid := record.AsErrors(err); invalid {
		data.Errors = accountErrors(h.localizer(r), errs)
		h.render(w, r, http.StatusUnprocessableEntity, "account_password", "account", data)
		return
	}
	if errors.Is(err, account.ErrSessionExpired) {
		h.Refuse(w, r, authz.Unauthenticated, nil)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	setFlash(w, r, "account.password_changed")
	if data.Due {
		// Back to what the guard turned away, now open.
		http.Redirect(w, r, returnTo(data.Next), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// accountErrors translates the password form's problems: the account's
// own messages first, then the administration's (a password's length).
func accountErrors(l *localizer, errs record.Errors) formErrors {
	var mine, theirs record.Errors
	for _, fe := range errs {
		if _, ok := l.cat["account.error."+fe.Field+"."+fe.Code]; ok {
			mine = append(mine, fe)
		} else {
			theirs = append(theirs, fe)
		}
	}
	out := adminErrors(l, theirs, nil)
	for _, fe := range mine {
		msg := l.T("account.error." + fe.Field + "." + fe.Code)
		out.List = append(out.List, fieldMessage{Field: fe.Field, ID: fieldID(fe.Field), Label: l.T("account.field." + fe.Field), Message: msg})
		if _, seen := out.ByField[fe.Field]; !seen {
			out.ByField[fe.Field] = msg
		}
	}
	return out
}

// passwordChangeTarget is where the guard sends a page it refuses because
// the viewer must first replace their password.
func passwordChangeTarget(r *http.Request) string {
	target := "/account/password"
	if here := r.URL.RequestURI(); here != "/" {
		target += "?next=" + url.QueryEscape(here)
	}
	return target
}
