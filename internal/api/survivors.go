package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/survivor"
)

// The survivors' routes. Sealed values (identity, testimony) travel only in
// request bodies and in the answers of the reveal routes, which are POSTs:
// a stated purpose comes with every reveal, the read is recorded, and no
// value ends up in a URL, a cache or an access log. Sealed values are
// refused unless the caller's principal may see identities
// (survivor.AccessFrom).

func survivorRoutes(a *app.App, add func(method, path string, fn handlerFunc)) {
	add("GET", "/survivors", listSurvivors(a))
	add("POST", "/survivors", createSurvivor(a))
	add("POST", "/survivors/search", searchTestimony(a))
	add("GET", "/survivors/{id}", readSurvivor(a))
	add("PUT", "/survivors/{id}", editSurvivor(a))
	add("GET", "/survivors/{id}/history", history(a, survivor.Kind))
	add("GET", "/survivors/{id}/history/{version}", revision(a, survivor.Kind))
	add("PATCH", "/survivors/{id}/identity", patchIdentity(a))
	add("POST", "/survivors/{id}/identity/reveal", revealIdentity(a))
	add("GET", "/survivors/{id}/consent", listConsent(a))
	add("POST", "/survivors/{id}/consent", addConsent(a))
	add("GET", "/survivors/{id}/interviews", listInterviews(a))
	add("POST", "/survivors/{id}/interviews", addInterview(a))
	add("GET", "/survivors/{id}/interviews/{interview}", readInterview(a))
	add("PUT", "/survivors/{id}/interviews/{interview}", editInterview(a))
	add("POST", "/survivors/{id}/interviews/{interview}/complete", completeInterview(a))
	add("POST", "/survivors/{id}/interviews/{interview}/testimony/reveal", revealTestimony(a))
	add("GET", "/survivors/{id}/reads", listReads(a))
	add("POST", "/survivors/{id}/erase", eraseSurvivor(a))
}

// Problem types of the survivor routes; docs/survivors.md explains them.
// A refusal of sealed values shares its type with the access guard's.
const (
	typeSealedUnauthenticated = "urn:dossier:problem:unauthenticated"
	typeSealedForbidden       = "urn:dossier:problem:forbidden"
	typeErased                = "urn:dossier:problem:erased"
	typeSealingUnavailable    = "urn:dossier:problem:sealing-unavailable"
)

// survivorProblem turns the survivor store's refusals into problems; their
// texts are the package's own, never a value.
func survivorProblem(r *http.Request, err error) error {
	switch {
	case errors.Is(err, survivor.ErrNotLoggedIn):
		return &problem{Type: typeSealedUnauthenticated, Title: "Unauthenticated", Status: http.StatusUnauthorized,
			Detail: "Log in (with the second factor) to see or change survivors' identities and testimony."}
	case errors.Is(err, survivor.ErrNotPermitted):
		return &problem{Type: typeSealedForbidden, Title: "Forbidden", Status: http.StatusForbidden,
			Detail: "Seeing or changing survivors' identities and testimony needs the permission identities:see."}
	case errors.Is(err, survivor.ErrErased):
		return &problem{Type: typeErased, Title: "Erased", Status: http.StatusConflict,
			Detail: "This survivor's identity and testimony were erased; nothing sealed can be recorded for them again."}
	case errors.Is(err, survivor.ErrSealingUnavailable):
		slog.ErrorContext(r.Context(), "sealed fields unavailable", "route", r.Pattern, "cause", rootCause(err))
		return &problem{Type: typeSealingUnavailable, Title: "Sealed fields unavailable", Status: http.StatusServiceUnavailable,
			Detail: "This server cannot seal or open survivors' fields: its key-encryption key is not configured or cannot be opened."}
	}
	return err
}

// pathSurvivor reads the {id} of a survivor's path and finds the survivor.
func pathSurvivor(a *app.App, r *http.Request) (*survivor.Survivor, error) {
	sv, err := a.Survivors.Get(r.Context(), r.PathValue("id"))
	if isNotFound(err) {
		return nil, notFound("survivor")
	}
	return sv, err
}

// pathInterview finds the {interview} of a survivor's path.
func pathInterview(a *app.App, r *http.Request) (*survivor.Interview, error) {
	iv, err := a.Survivors.Interview(r.Context(), r.PathValue("interview"))
	if isNotFound(err) || (err == nil && iv.SurvivorID != r.PathValue("id")) {
		return nil, notFound("interview of this survivor")
	}
	return iv, err
}

type survivorList struct {
	Survivors []survivor.Summary `json:"survivors"`
}

func listSurvivors(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		all, err := a.Survivors.List(r.Context())
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, survivorList{all})
	}
}

// survivorCreate is a new survivor with, optionally, their sealed identity.
type survivorCreate struct {
	survivor.Survivor
	Identity *survivor.Identity `json:"identity,omitempty"`
}

// survivorServerFields are set by the server only.
var survivorServerFields = []string{"sealed", "erased_at", "erasure_reason"}

func createSurvivor(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in survivorCreate
		if _, err := readJSON(w, r, &in, createRules(survivorServerFields...)); err != nil {
			return err
		}
		var id survivor.Identity
		if in.Identity != nil {
			id = *in.Identity
		}
		sv := in.Survivor
		if err := a.Survivors.Create(r.Context(), survivor.AccessFrom(r.Context()), &sv, id); err != nil {
			return survivorProblem(r, err)
		}
		w.Header().Set("Location", Prefix+"/survivors/"+sv.ID)
		w.Header().Set("ETag", etag(sv.Version))
		return writeJSON(w, http.StatusCreated, sv)
	}
}

func readSurvivor(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		sv, err := pathSurvivor(a, r)
		if err != nil {
			return err
		}
		d, err := a.Survivors.Detail(r.Context(), sv.ID)
		if err != nil {
			return err
		}
		w.Header().Set("ETag", etag(d.Version))
		return writeJSON(w, http.StatusOK, d)
	}
}

// editSurvivor answers PUT /survivors/{id}: the non-identifying fields and
// preferences, replaced whole. Sealed fields change through PATCH …/identity.
func editSurvivor(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in survivor.Survivor
		present, err := readJSON(w, r, &in, updateRules(append(survivorServerFields, "consent", "consent_history", "interviews", "acts")...))
		if err != nil {
			return err
		}
		version, errs := editVersion(r, in.Version, present["version"])
		if present["id"] && in.ID != r.PathValue("id") {
			errs.Add("id", "mismatch", "differs from the ID in the path")
		}
		if len(errs) > 0 {
			return invalid(errs)
		}
		current, err := pathSurvivor(a, r)
		if err != nil {
			return err
		}
		if current.Version != version {
			return conflict()
		}
		in.ID, in.Version = current.ID, version
		if err := a.Survivors.Update(r.Context(), survivor.AccessFrom(r.Context()), &in, nil); err != nil {
			return survivorProblem(r, err)
		}
		w.Header().Set("ETag", etag(in.Version))
		return writeJSON(w, http.StatusOK, in)
	}
}

// identityPatch changes sealed identity fields: a field given replaces the
// value, an empty string or null removes it, an absent field stays.
type identityPatch struct {
	Version            int     `json:"version"`
	Name               *string `json:"name"`
	Contact            *string `json:"contact"`
	Residence          *string `json:"residence"`
	IdentifyingDetails *string `json:"identifying_details"`
}

func patchIdentity(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in identityPatch
		present, err := readJSON(w, r, &in, bodyRules{})
		if err != nil {
			return err
		}
		version, errs := editVersion(r, in.Version, present["version"])
		if len(errs) > 0 {
			return invalid(errs)
		}
		change := survivor.IdentityChange{}
		for name, field := range map[string]survivor.Field{"name": survivor.Name, "contact": survivor.Contact,
			"residence": survivor.Residence, "identifying_details": survivor.Details} {
			if !present[name] {
				continue
			}
			var v *string
			switch field {
			case survivor.Name:
				v = in.Name
			case survivor.Contact:
				v = in.Contact
			case survivor.Residence:
				v = in.Residence
			case survivor.Details:
				v = in.IdentifyingDetails
			}
			if v == nil {
				change.Set(field, "")
			} else {
				change[field] = v
			}
		}
		if len(change) == 0 {
			return invalid(record.Errors{{Field: "body", Code: "required", Message: "give at least one of name, contact, residence, identifying_details"}})
		}
		sv, err := pathSurvivor(a, r)
		if err != nil {
			return err
		}
		if sv.Version != version {
			return conflict()
		}
		if err := a.Survivors.Update(r.Context(), survivor.AccessFrom(r.Context()), sv, change); err != nil {
			return survivorProblem(r, err)
		}
		w.Header().Set("ETag", etag(sv.Version))
		return writeJSON(w, http.StatusOK, sv)
	}
}

type revealRequest struct {
	Fields  []survivor.Field `json:"fields"`
	Purpose string           `json:"purpose"`
}

func revealIdentity(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in revealRequest
		if _, err := readJSON(w, r, &in, bodyRules{}); err != nil {
			return err
		}
		sv, err := pathSurvivor(a, r)
		if err != nil {
			return err
		}
		out, err := a.Survivors.Reveal(r.Context(), survivor.AccessFrom(r.Context()), sv.ID, in.Purpose, in.Fields...)
		if err != nil {
			return survivorProblem(r, err)
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

type consentList struct {
	Consent []survivor.ConsentState `json:"consent"`
	History []survivor.Consent      `json:"history"`
}

func listConsent(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		sv, err := pathSurvivor(a, r)
		if err != nil {
			return err
		}
		history, err := a.Survivors.Consents(r.Context(), sv.ID)
		if err != nil {
			return err
		}
		states, err := a.Survivors.ConsentStatus(r.Context(), sv.ID)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, consentList{Consent: states, History: history})
	}
}

// consentInput is a consent entry as a client gives it.
type consentInput struct {
	Use      survivor.Use      `json:"use"`
	Decision survivor.Decision `json:"decision"`
	On       string            `json:"on"`
	Language string            `json:"language"`
	TakenBy  string            `json:"taken_by"`
}

func addConsent(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in consentInput
		if _, err := readJSON(w, r, &in, bodyRules{}); err != nil {
			return err
		}
		sv, err := pathSurvivor(a, r)
		if err != nil {
			return err
		}
		c := survivor.Consent{SurvivorID: sv.ID, Use: in.Use, Decision: in.Decision, On: in.On, Language: in.Language, TakenBy: in.TakenBy}
		if err := a.Survivors.RecordConsent(r.Context(), &c); err != nil {
			return survivorProblem(r, err)
		}
		return writeJSON(w, http.StatusCreated, c)
	}
}

type interviewList struct {
	Interviews []survivor.Interview `json:"interviews"`
}

func listInterviews(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		sv, err := pathSurvivor(a, r)
		if err != nil {
			return err
		}
		list, err := a.Survivors.Interviews(r.Context(), sv.ID)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, interviewList{list})
	}
}

// interviewDetail is an interview with its safeguards as they stand, and the
// survivor's preferences, which interviewers read first.
type interviewDetail struct {
	survivor.Interview
	Checklist   []survivor.Check     `json:"checklist"`
	Preferences survivor.Preferences `json:"preferences"`
}

func interviewBody(a *app.App, r *http.Request, iv *survivor.Interview) (interviewDetail, error) {
	checks, err := a.Survivors.Checklist(r.Context(), *iv)
	if err != nil {
		return interviewDetail{}, err
	}
	sv, err := a.Survivors.Get(r.Context(), iv.SurvivorID)
	if err != nil {
		return interviewDetail{}, err
	}
	return interviewDetail{Interview: *iv, Checklist: checks, Preferences: sv.Preferences}, nil
}

// interviewInput is an interview as a client gives it, with its testimony:
// on creation, absent or empty for none; on an edit, absent to keep it, empty
// to remove it.
type interviewInput struct {
	survivor.Interview
	Testimony *string `json:"testimony,omitempty"`
}

var interviewServerFields = []string{"survivor_id", "has_testimony"}

func addInterview(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in interviewInput
		if _, err := readJSON(w, r, &in, createRules(interviewServerFields...)); err != nil {
			return err
		}
		sv, err := pathSurvivor(a, r)
		if err != nil {
			return err
		}
		iv := in.Interview
		iv.SurvivorID = sv.ID
		testimony := ""
		if in.Testimony != nil {
			testimony = *in.Testimony
		}
		if err := a.Survivors.AddInterview(r.Context(), survivor.AccessFrom(r.Context()), &iv, testimony); err != nil {
			return survivorProblem(r, err)
		}
		body, err := interviewBody(a, r, &iv)
		if err != nil {
			return err
		}
		w.Header().Set("Location", Prefix+"/survivors/"+sv.ID+"/interviews/"+iv.ID)
		w.Header().Set("ETag", etag(iv.Version))
		return writeJSON(w, http.StatusCreated, body)
	}
}

func readInterview(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		iv, err := pathInterview(a, r)
		if err != nil {
			return err
		}
		body, err := interviewBody(a, r, iv)
		if err != nil {
			return err
		}
		w.Header().Set("ETag", etag(iv.Version))
		return writeJSON(w, http.StatusOK, body)
	}
}

func editInterview(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in interviewInput
		present, err := readJSON(w, r, &in, updateRules(append(interviewServerFields, "checklist", "preferences")...))
		if err != nil {
			return err
		}
		version, errs := editVersion(r, in.Version, present["version"])
		if present["id"] && in.ID != r.PathValue("interview") {
			errs.Add("id", "mismatch", "differs from the ID in the path")
		}
		if len(errs) > 0 {
			return invalid(errs)
		}
		current, err := pathInterview(a, r)
		if err != nil {
			return err
		}
		if current.Version != version {
			return conflict()
		}
		iv := in.Interview
		iv.ID, iv.Version, iv.SurvivorID = current.ID, version, current.SurvivorID
		if err := a.Survivors.UpdateInterview(r.Context(), survivor.AccessFrom(r.Context()), &iv, in.Testimony); err != nil {
			return survivorProblem(r, err)
		}
		body, err := interviewBody(a, r, &iv)
		if err != nil {
			return err
		}
		w.Header().Set("ETag", etag(iv.Version))
		return writeJSON(w, http.StatusOK, body)
	}
}

type versionBody struct {
	Version int `json:"version"`
}

func completeInterview(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in versionBody
		present, err := readJSON(w, r, &in, bodyRules{})
		if err != nil {
			return err
		}
		version, errs := editVersion(r, in.Version, present["version"])
		if len(errs) > 0 {
			return invalid(errs)
		}
		iv, err := pathInterview(a, r)
		if err != nil {
			return err
		}
		done, err := a.Survivors.CompleteInterview(r.Context(), iv.ID, version)
		if err != nil {
			if errs, ok := record.AsErrors(err); ok {
				return &problem{Type: typeValidation, Title: "Safeguards unmet", Status: http.StatusUnprocessableEntity,
					Detail: "The interview stays a draft until every mandatory safeguard is met; errors names each, with the reason.", Errors: redact(errs)}
			}
			return survivorProblem(r, err)
		}
		body, err := interviewBody(a, r, done)
		if err != nil {
			return err
		}
		w.Header().Set("ETag", etag(done.Version))
		return writeJSON(w, http.StatusOK, body)
	}
}

type purposeBody struct {
	Purpose string `json:"purpose"`
}

func revealTestimony(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in purposeBody
		if _, err := readJSON(w, r, &in, bodyRules{}); err != nil {
			return err
		}
		iv, err := pathInterview(a, r)
		if err != nil {
			return err
		}
		out, err := a.Survivors.RevealTestimony(r.Context(), survivor.AccessFrom(r.Context()), iv.ID, in.Purpose)
		if err != nil {
			return survivorProblem(r, err)
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

type searchRequest struct {
	Query   string `json:"query"`
	Purpose string `json:"purpose"`
}

type searchResult struct {
	Matches []survivor.Match `json:"matches"`
}

// searchTestimony answers POST /survivors/search: the words travel in the
// body, never in a URL, since they may name someone.
func searchTestimony(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in searchRequest
		if _, err := readJSON(w, r, &in, bodyRules{}); err != nil {
			return err
		}
		if len([]rune(in.Query)) > 1000 {
			return invalid(record.Errors{{Field: "query", Code: "too_long", Message: "must be at most 1000 characters"}})
		}
		matches, err := a.Survivors.Search(r.Context(), survivor.AccessFrom(r.Context()), strings.TrimSpace(in.Query), in.Purpose)
		if err != nil {
			return survivorProblem(r, err)
		}
		return writeJSON(w, http.StatusOK, searchResult{matches})
	}
}

type readList struct {
	Reads []survivor.Read `json:"reads"`
}

func listReads(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		sv, err := a.Survivors.GetForAudit(r.Context(), r.PathValue("id"))
		if isNotFound(err) {
			return notFound("survivor")
		}
		if err != nil {
			return err
		}
		reads, err := a.Survivors.Reads(r.Context(), sv.ID)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, readList{reads})
	}
}

// erasureRequest is an erasure as a client asks for it: Confirm must repeat
// the survivor's code, since erasure cannot be undone.
type erasureRequest struct {
	survivor.Erasure
	Confirm string `json:"confirm"`
}

func eraseSurvivor(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := newQuery(r).err(); err != nil {
			return err
		}
		var in erasureRequest
		if _, err := readJSON(w, r, &in, bodyRules{}); err != nil {
			return err
		}
		sv, err := pathSurvivor(a, r)
		if err != nil {
			return err
		}
		if in.Confirm != sv.Code {
			return invalid(record.Errors{{Field: "confirm", Code: "mismatch", Message: "must repeat the survivor's code: erasure cannot be undone"}})
		}
		erased, err := a.Survivors.Erase(r.Context(), sv.ID, in.Erasure)
		if err != nil && erased == nil {
			return survivorProblem(r, err)
		}
		if err != nil {
			// Shredded and committed; only flushing the old bytes failed.
			slog.WarnContext(r.Context(), "survivor erased, old key bytes not yet flushed", "cause", rootCause(err))
		}
		w.Header().Set("ETag", etag(erased.Version))
		return writeJSON(w, http.StatusOK, erased)
	}
}
