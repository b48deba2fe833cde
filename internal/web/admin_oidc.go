package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/dossier-org/dossier/internal/record"
)

// A user's identities at single sign-on providers, on their page: what
// "dossier user link" and "unlink" do. Only a linked identity logs in, and
// only as its user (docs/accounts.md); the store writes both changes to
// the audit log, and unlinking ends the user's sessions.

func (h *handler) adminOIDCRoutes(mux routeTable) {
	mux.HandleFunc("POST /admin/users/{id}/oidc", h.adminOIDCLink)
	mux.HandleFunc("POST /admin/users/{id}/oidc/unlink", h.adminOIDCUnlink)
}

// adminLinkForm is the form that links an identity, as sent.
type adminLinkForm struct {
	Issuer, Subject string
}

// defaultIssuer is the issuer a new link is of unless the form says
// otherwise: the provider the server signs in with, or else the one issuer
// every identity linked so far is of.
func (h *handler) defaultIssuer(ctx context.Context) (string, error) {
	if h.access.OIDC != nil {
		return h.access.OIDC.Issuer(), nil
	}
	issuers, err := h.access.Accounts.LinkedIssuers(ctx)
	if err != nil || len(issuers) != 1 {
		return "", err
	}
	return issuers[0], nil
}

func (h *handler) adminOIDCLink(w http.ResponseWriter, r *http.Request) {
	u, ok := h.pathUser(w, r)
	if !ok {
		return
	}
	form := adminLinkForm{Issuer: strings.TrimSpace(r.PostFormValue("oidc_issuer")), Subject: strings.TrimSpace(r.PostFormValue("oidc_subject"))}
	issuer := form.Issuer
	if issuer == "" {
		var err error
		if issuer, err = h.defaultIssuer(r.Context()); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	_, err := h.access.Accounts.LinkOIDC(writer(r), u.ID, issuer, form.Subject)
	if errs, invalid := record.AsErrors(err); invalid {
		if form.Issuer == "" {
			form.Issuer = issuer
		}
		h.refuse(w, r, u, &adminUserPage{LinkForm: form, Errors: adminErrors(h.localizer(r), errs, nil)})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	setFlash(w, r, "admin.identity_linked")
	http.Redirect(w, r, "/admin/users/"+u.ID+"#sso", http.StatusSeeOther)
}

// adminOIDCUnlink removes one link, named by its issuer and subject, once
// confirmed.
func (h *handler) adminOIDCUnlink(w http.ResponseWriter, r *http.Request) {
	u, ok := h.pathUser(w, r)
	if !ok {
		return
	}
	issuer, subject := r.PostFormValue("oidc_issuer"), r.PostFormValue("oidc_subject")
	if issuer == "" || subject == "" {
		// The store would take an empty value for "every one".
		h.renderError(w, r, http.StatusBadRequest)
		return
	}
	l := h.localizer(r)
	question := h.userQuestion(r, u, "unlink", hiddenField{"oidc_issuer", issuer}, hiddenField{"oidc_subject", subject})
	question.Body = []string{l.T("confirm.unlink.body", "name", isolate(u.Name), "subject", isolate(subject), "issuer", isolate(issuer))}
	if !h.confirmed(w, r, question) {
		return
	}
	if _, err := h.access.Accounts.UnlinkOIDC(writer(r), u.ID, issuer, subject); err != nil {
		h.fail(w, r, err) // no such link (any more): not found
		return
	}
	setFlash(w, r, "admin.identity_unlinked")
	http.Redirect(w, r, "/admin/users/"+u.ID+"#sso", http.StatusSeeOther)
}
