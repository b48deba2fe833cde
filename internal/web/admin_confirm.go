package web

import (
	"net/http"
)

// What cannot be taken back is asked first: disabling an account,
// resetting a password, replacing or removing an authenticator, revoking a
// token, ending a membership, unlinking a single sign-on identity. The
// form's first POST changes nothing: it answers a page that says what will
// happen, with a button that sends the same form again, confirmed, and a
// way back. The same handler does both, so no form reaches the change
// without the question, and the page needs no script (the content security
// policy allows none inline).

// confirmField is the input a confirmed form carries.
const confirmField = "confirm"

type hiddenField struct{ Name, Value string }

type crumb struct{ Label, URL string }

// confirmation is the question a destructive form asks, in the reader's
// language.
type confirmation struct {
	Title   string        // the question
	Body    []string      // what will happen, paragraph by paragraph
	Button  string        // the confirming button's label
	Action  string        // where the form goes
	Fields  []hiddenField // the form's own inputs, sent again
	Back    string        // where "Cancel" leads
	Crumbs  []crumb       // the breadcrumb before the question
	Section string        // the section of the site
	// Password asks, on the question's page itself, for the optional new
	// password of a reset, so that a typed password never travels in a
	// hidden input.
	Password bool
	Errors   formErrors
}

type confirmPage struct {
	base
	confirmation
}

// confirmed reports whether the request carries the confirmation. If it
// does not, the question is answered and the caller must stop.
func (h *handler) confirmed(w http.ResponseWriter, r *http.Request, c confirmation) bool {
	if r.PostFormValue(confirmField) == "yes" {
		return true
	}
	h.ask(w, r, http.StatusOK, c)
	return false
}

// isolate keeps a name, identifier or address in its own direction inside
// a translated sentence: a login name or a URL in an Arabic question, an
// Arabic token name in an English one (Unicode's first-strong isolate).
func isolate(s string) string { return "\u2068" + s + "\u2069" }

// ask answers the question, or asks it again with what was wrong.
func (h *handler) ask(w http.ResponseWriter, r *http.Request, status int, c confirmation) {
	h.render(w, r, status, "admin_confirm", c.Section, &confirmPage{confirmation: c})
}
