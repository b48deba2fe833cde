package api

import (
	"net/http"
	"strings"

	"github.com/dossier-org/dossier/internal/account"
	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/record"
)

// The identities at a single sign-on provider linked to a user, for
// administrators: what "dossier user link" and "unlink" do. An identity
// logs in only as the user it is linked to (docs/accounts.md); the store
// writes every link and unlink to the audit log.

func oidcRoutes(a *app.App, add func(method, path string, fn handlerFunc)) {
	add("GET", "/users/{id}/oidc", listUserOIDC(a))
	add("POST", "/users/{id}/oidc", linkUserOIDC(a))
	add("POST", "/users/{id}/oidc/unlink", unlinkUserOIDC(a))
}

type oidcIdentityList struct {
	Identities []account.OIDCIdentity `json:"identities"`
}

func userIdentities(r *http.Request, a *app.App, userID string) (oidcIdentityList, error) {
	ids, err := a.Accounts.OIDCIdentities(r.Context(), userID)
	return oidcIdentityList{orEmpty(ids)}, err
}

func listUserOIDC(a *app.App) handlerFunc {
	return aboutUser(a, func(w http.ResponseWriter, r *http.Request, u *account.User) error {
		out, err := userIdentities(r, a, u.ID)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	})
}

// oidcIdentityRef names an identity: its issuer and subject.
type oidcIdentityRef struct {
	Issuer  string `json:"issuer"`
	Subject string `json:"subject"`
}

// identityErrors names the body's fields in the store's refusals, which
// speak of the command line's oidc_issuer and oidc_subject.
func identityErrors(err error) error {
	errs, ok := record.AsErrors(err)
	if !ok {
		return err
	}
	out := make(record.Errors, len(errs))
	for i, e := range errs {
		e.Field = strings.TrimPrefix(e.Field, "oidc_")
		out[i] = e
	}
	return out
}

// linkUserOIDC lets an identity at the provider log in as the user. The
// issuer may be left out while the identities already linked are all of
// one issuer, which is then taken.
func linkUserOIDC(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in oidcIdentityRef
		if _, err := readJSON(w, r, &in, bodyRules{readOnly: []string{"user_id", "linked_at", "linked_by", "last_login_at"}}); err != nil {
			return err
		}
		u, err := pathUser(a, r, "id")
		if err != nil {
			return err
		}
		if strings.TrimSpace(in.Issuer) == "" {
			issuers, err := a.Accounts.LinkedIssuers(r.Context())
			if err != nil {
				return err
			}
			if len(issuers) != 1 {
				var errs record.Errors
				errs.Add("issuer", "required", "is required: the provider's issuer URL, as the server's --oidc-issuer gives it "+
					"(it may be left out only while every linked identity is of one issuer)")
				return errs
			}
			in.Issuer = issuers[0]
		}
		id, err := a.Accounts.LinkOIDC(r.Context(), u.ID, in.Issuer, in.Subject)
		if err != nil {
			return identityErrors(err)
		}
		return writeJSON(w, http.StatusCreated, id)
	}
}

// oidcUnlinked says how many links went, and which are left.
type oidcUnlinked struct {
	Removed    int                    `json:"removed"`
	Identities []account.OIDCIdentity `json:"identities"`
}

// unlinkUserOIDC removes the user's links that match the body: an issuer or
// subject left out matches every one, so {} removes them all. Every session
// of the user ends, as with "dossier user unlink".
func unlinkUserOIDC(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in oidcIdentityRef
		if _, err := readJSON(w, r, &in, bodyRules{}); err != nil {
			return err
		}
		u, err := pathUser(a, r, "id")
		if err != nil {
			return err
		}
		n, err := a.Accounts.UnlinkOIDC(r.Context(), u.ID, in.Issuer, in.Subject)
		if isNotFound(err) {
			return &problem{Type: typeNotFound, Title: "Not found", Status: http.StatusNotFound,
				Detail: "The user has no linked identity of this issuer and subject."}
		}
		if err != nil {
			return err
		}
		left, err := userIdentities(r, a, u.ID)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, oidcUnlinked{Removed: n, Identities: left.Identities})
	}
}
