package api

import (
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/survivor"
)

// The survivors' part of the OpenAPI document.

func languageTag(desc string) obj {
	return with(text(desc), "pattern", `^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
}

func preferencesSchema(input bool) obj {
	list := func(items obj, desc string) obj {
		a := arrayOf(items, desc)
		if input {
			a = with(a, "nullable", true)
		}
		return a
	}
	o := object("How the survivor wishes to be approached; shown before every interview.", input,
		field("interviewer_sex", enum(survivor.InterviewerSexes, "The interviewer they ask for; no_preference if not given.")).out().defaulted(),
		prop{name: "languages", schema: func(bool) obj { return list(languageTag(""), "The languages they wish to speak, preferred first.") }, always: true},
		prop{name: "contact_by", schema: func(bool) obj {
			return list(enum(survivor.ContactRoles, ""), "Who may contact them: roles, never names.")
		}, always: true},
		prop{name: "contact_how", schema: func(bool) obj { return list(enum(survivor.Channels, ""), "How they may be contacted.") }, always: true},
		field("no_contact", boolean("They wish not to be contacted again.")).out())
	return o
}

func survivorProps() []prop {
	return []prop{
		field("code", textMax("The pseudonymous code acts use for the survivor (incident.victim.code): letters, digits and - _ . / with at least one digit; never a name.", 64)).req(),
		field("sex", enum(incident.Sexes, "unknown if not given.")).out().defaulted(),
		field("age_group", enum(incident.AgeGroups, "At the time of the acts; unknown if not given.")).out().defaulted(),
		field("child_at_interview", boolean("Under 18 when interviewed: the safeguards for children apply.")).out(),
		field("synthetic", boolean("Made up, for demonstration or training.")).out(),
		prop{name: "preferences", schema: func(input bool) obj {
			return obj{"allOf": []any{ref(variant("Preferences", input))}, "description": ""}
		}, always: true},
	}
}

// survivorStateProps are set by the server only.
func survivorStateProps() []prop {
	return []prop{
		field("sealed", arrayOf(enum(survivor.IdentityFields, ""), "The identity fields that hold a sealed value — never the values.")).out(),
		field("erased_at", instant("When the survivor's data key was destroyed; absent unless erased.")),
		field("erasure_reason", enum(survivor.ErasureReasons, "Why they were erased.")),
	}
}

func identitySchema() obj {
	return object("Sealed identity fields, in plaintext: sent only to be sealed, or answered by a reveal.", true,
		field("name", textMax("", 5000)),
		field("contact", textMax("", 5000)),
		field("residence", textMax("", 5000)),
		field("identifying_details", textMax("", 5000)))
}

func survivorSchemas(s obj) {
	s["Preferences"] = preferencesSchema(false)
	s["PreferencesInput"] = preferencesSchema(true)
	s["Identity"] = identitySchema()
	s["Survivor"] = object("Survivor: the person behind a pseudonymous victim code, without their sealed values.", false,
		append(append(metaProps(), survivorProps()...), survivorStateProps()...)...)
	s["SurvivorCreate"] = object("A new survivor. The server assigns id, version and the stamps. "+
		"identity is sealed before it is stored and needs the permission identities:see.", true,
		append(survivorProps(), field("identity", ref("Identity")))...)
	ignored := make([]prop, 0, 7)
	for _, p := range survivorStateProps() {
		ignored = append(ignored, field(p.name, with(p.schema(false), "description", "Ignored: set by the server.")))
	}
	for _, name := range []string{"consent", "consent_history", "interviews", "acts"} {
		ignored = append(ignored, field(name, obj{"description": "Ignored: read only."}))
	}
	s["SurvivorUpdate"] = object("An edit replacing the survivor's non-identifying fields and preferences. "+
		"Sealed fields change through PATCH …/identity.", true, append(append(editProps(), survivorProps()...), ignored...)...)
	s["ConsentState"] = object("Where consent to one use stands: its latest entry by date.", false,
		field("use", enum(survivor.Uses, "")).out(),
		field("decision", enum(survivor.Decisions, "Absent when nothing was recorded for the use.")),
		field("on", day("")),
		field("language", text("The language it was explained in.")),
		field("taken_by", text("Who took the decision.")))
	s["Consent"] = object("One entry of a survivor's consent history. Entries are only added.", false,
		field("id", recordID("")).out(),
		field("survivor_id", recordID("")).out(),
		field("use", enum(survivor.Uses, "")).out(),
		field("decision", enum(survivor.Decisions, "")).out(),
		field("on", day("The day the survivor decided.")).out(),
		field("language", text("The language consent was explained in.")).out(),
		field("taken_by", text("Who explained it and took the decision.")).out(),
		field("recorded_at", instant("")).out(),
		field("recorded_by", text("")).out(),
		field("audit_index", with(integer("The entry in the audit log."), "minimum", 0)).out())
	s["ConsentInput"] = object("A survivor's decision on one use. A withdrawal is refused unless consent to the use stands given.", true,
		field("use", enum(survivor.Uses, "")).req(),
		field("decision", enum(survivor.Decisions, "")).req(),
		field("on", day("The day the survivor decided; not in the future.")).req(),
		field("language", languageTag("The language it was explained in.")).req(),
		field("taken_by", textMax("Who explained it and took the decision.", 200)).req())
	s["ConsentList"] = object("Where consent to every use stands, and the whole history.", false,
		field("consent", arrayOf(ref("ConsentState"), "One per use.")).out(),
		field("history", arrayOf(ref("Consent"), "In the order recorded.")).out())
	s["VictimAct"] = object("An act recorded under the survivor's code.", false,
		field("incident_id", recordID("")).out(),
		field("incident_title", text("")).out(),
		field("date", ref("Date")).out(),
		field("status", enum(incident.Statuses, "")).out(),
		field("act_id", recordID("")).out(),
		field("violation_type", enum(incident.ViolationTypes, "")).out())
	summary := append(append(metaProps(), survivorProps()...), survivorStateProps()...)
	s["SurvivorSummary"] = object("A survivor as lists show them.", false, append(summary,
		field("consent", arrayOf(ref("ConsentState"), "")).out(),
		field("interviews", integer("How many interviews.")).out())...)
	s["SurvivorList"] = object("Every survivor, by code.", false, field("survivors", arrayOf(ref("SurvivorSummary"), "")).out())
	s["SurvivorDetail"] = object("A survivor with their consent, interviews and acts; never sealed values.", false, append(summary,
		field("consent", arrayOf(ref("ConsentState"), "")).out(),
		field("consent_history", arrayOf(ref("Consent"), "")).out(),
		field("interviews", arrayOf(ref("Interview"), "")).out(),
		field("acts", arrayOf(ref("VictimAct"), "")).out())...)
	s["IdentityPatch"] = object("Changes to sealed identity fields: a value replaces, an empty string or null removes, an absent field stays. "+
		"Needs the permission identities:see.", true,
		field("version", with(integer("The survivor's version; or give If-Match."), "minimum", 1)),
		field("name", with(textMax("", 5000), "nullable", true)),
		field("contact", with(textMax("", 5000), "nullable", true)),
		field("residence", with(textMax("", 5000), "nullable", true)),
		field("identifying_details", with(textMax("", 5000), "nullable", true)))
	purpose := textMax("Why you need to see it, 10 to 500 characters: recorded with the read.", 500)
	s["RevealRequest"] = object("A request to open sealed identity fields.", true,
		field("fields", arrayOf(enum(survivor.IdentityFields, ""), "The fields to open; all when empty.")),
		field("purpose", purpose).req())
	s["Read"] = object("A recorded read of a survivor's sealed fields.", false,
		field("id", recordID("")).out(),
		field("survivor_id", recordID("")).out(),
		field("interview_ids", arrayOf(recordID(""), "The interviews whose testimony was read or found.")).out(),
		field("fields", arrayOf(enum(append(append([]survivor.Field{}, survivor.IdentityFields...), survivor.Testimony), ""), "")).out(),
		field("actor", text("Who read.")).out(),
		field("at", instant("")).out(),
		field("purpose", text("The purpose stated.")).out(),
		field("purpose_sha256", sha256Schema("The content hash of the read's audit log entries: SHA-256 of the purpose.")).out(),
		field("outcome", enum([]survivor.Outcome{survivor.Opened, survivor.Gone, survivor.Matched}, "opened: values shown; erased: nothing left to show; matched: a search found the survivor.")).out(),
		field("audit_index", with(integer("The read's first entry in the audit log (one per field)."), "minimum", 0)).out())
	s["ReadList"] = object("The reads of a survivor's sealed fields, newest first.", false, field("reads", arrayOf(ref("Read"), "")).out())
	revealedIdentity := object("The values opened; a field absent was never recorded (or the survivor was erased).", false,
		field("name", text("")), field("contact", text("")), field("residence", text("")), field("identifying_details", text("")))
	s["Revealed"] = object("Sealed identity fields, opened for one recorded read.", false,
		field("survivor_id", recordID("")).out(),
		field("code", text("")).out(),
		field("identity", revealedIdentity).out(),
		field("fields", arrayOf(enum(survivor.IdentityFields, ""), "The fields asked for.")).out(),
		field("erased", boolean("The survivor was erased: no value can be shown.")).out(),
		field("read", ref("Read")).out())

	s["Check"] = object("One documentation safeguard as it stands for an interview.", false,
		field("safeguard", enum(survivor.Safeguards, "")).out(),
		field("source", text("The standard it comes from (WHO recommendation, Murad Code, International Protocol).")).out(),
		field("text", text("What must be true.")).out(),
		field("mandatory", boolean("An interview cannot be completed while it is unmet.")).out(),
		field("automatic", boolean("Worked out from the record (consent, preferences, earlier interviews) rather than confirmed.")).out(),
		field("met", boolean("")).out(),
		field("reason", text("Why it is not met, in English.")),
		field("problems", arrayOf(object("One reason the safeguard is not met.", false,
			field("code", obj{"type": "string", "enum": []string{survivor.NotConfirmed, survivor.NoConsent, survivor.ConsentRefused,
				survivor.ConsentWithdrawn, survivor.ConsentAfter, survivor.WrongInterviewerSex, survivor.UnpreferredLanguage,
				survivor.AskedNoContact, survivor.FurtherReasonRequired}, "description": "A stable key, for interfaces in other languages."}).out(),
			field("args", obj{"type": "object", "additionalProperties": obj{"type": "string"}, "description": "The values its sentence names."})),
			"The reasons, one by one.")))
	interviewProps := []prop{
		field("held_on", day("The day of the interview; a draft may be planned ahead.")).req(),
		field("interviewer", textMax("", 200)).req(),
		field("interviewer_sex", enum(incident.Sexes, "unknown if not given.")).out().defaulted(),
		field("interpreter", textMax("", 200)).out(),
		field("language", languageTag("The language the survivor speaks in the interview.")).req(),
		field("place", textMax("What kind of place, never an address.", 300)).out(),
		field("child", boolean("The survivor is under 18 at this interview (set too when the survivor is marked so).")).out(),
		prop{name: "safeguards", always: true, schema: func(input bool) obj {
			a := arrayOf(enum(survivor.Confirmable, ""), "The safeguards the interviewer confirms are in place.")
			if input {
				a = with(a, "nullable", true)
			}
			return a
		}},
		field("further_reason", textMax("Why a further interview of the same survivor is needed; required after the first.", 2000)).out(),
		field("status", enum(survivor.Statuses, "draft if not given; complete only when every mandatory safeguard is met.")).out().defaulted(),
	}
	interviewState := []prop{
		field("survivor_id", recordID("")).out(),
		field("has_testimony", boolean("Whether a sealed testimony is held.")).out(),
	}
	s["Interview"] = object("An interview of a survivor; its testimony is sealed.", false,
		append(append(metaProps(), interviewState...), interviewProps...)...)
	s["InterviewDetail"] = object("An interview with its safeguards and the survivor's preferences.", false,
		append(append(append(metaProps(), interviewState...), interviewProps...),
			field("checklist", arrayOf(ref("Check"), "")).out(),
			field("preferences", ref("Preferences")).out())...)
	testimony := textMax("The testimony, sealed before it is stored (needs the permission identities:see).", 500000)
	s["InterviewCreate"] = object("A new interview.", true, append(interviewProps, field("testimony", testimony))...)
	s["InterviewUpdate"] = object("An edit of a draft interview, replacing it whole; testimony absent keeps it, empty removes it.", true,
		append(append(editProps(), interviewProps...), field("testimony", testimony),
			field("survivor_id", text("Ignored.")), field("has_testimony", boolean("Ignored.")),
			field("checklist", obj{"description": "Ignored."}), field("preferences", obj{"description": "Ignored."}))...)
	s["InterviewList"] = object("A survivor's interviews, oldest first.", false, field("interviews", arrayOf(ref("Interview"), "")).out())
	s["VersionInput"] = object("The version the change starts from.", true,
		field("version", with(integer("Or give If-Match."), "minimum", 1)))
	s["PurposeInput"] = object("Why you need to see it.", true, field("purpose", purpose).req())
	s["RevealedTestimony"] = object("An interview's testimony, opened for one recorded read.", false,
		field("interview_id", recordID("")).out(),
		field("survivor_id", recordID("")).out(),
		field("text", text("Empty when none was recorded or the survivor was erased.")).out(),
		field("erased", boolean("")).out(),
		field("read", ref("Read")).out())
	s["SearchRequest"] = object("Words to find in sealed testimony, through the blind index.", true,
		field("query", textMax("Whole words; every one must occur.", 1000)).req(),
		field("purpose", purpose).req())
	s["Match"] = object("An interview whose testimony holds every word.", false,
		field("survivor_id", recordID("")).out(),
		field("code", text("")).out(),
		field("interview_id", recordID("")).out(),
		field("held_on", day("")).out())
	s["SearchResult"] = object("The interviews found; each survivor found is recorded as read.", false,
		field("matches", arrayOf(ref("Match"), "")).out())
	s["ErasureRequest"] = object("A survivor's request to be erased. It destroys their data key; it cannot be undone.", true,
		field("reason", enum(survivor.ErasureReasons, "withdrawal also withdraws every use consented to.")).req(),
		field("on", day("The day the survivor asked.")).req(),
		field("language", languageTag("The language it was discussed in.")).req(),
		field("taken_by", textMax("Who took the request.", 200)).req(),
		field("confirm", text("The survivor's code, repeated.")).req())
}

func survivorPaths(paths obj) {
	tags := []string{"survivors"}
	id := pathID("survivor")
	interview := obj{"name": "interview", "in": "path", "required": true, "description": "The interview's ID.",
		"schema": obj{"type": "string", "format": "uuid"}}
	sealedProblems := func(rs obj) obj {
		rs["401"] = problemResponse("Nobody is logged in: sealed values are refused.")
		rs["403"] = problemResponse("The caller may not see identities (permission identities:see).")
		rs["503"] = problemResponse("The server cannot open its key-encryption key.")
		return rs
	}
	ifMatch := obj{"name": "If-Match", "in": "header", "description": `The ETag read (W/"3").`, "schema": obj{"type": "string"}}
	paths["/survivors"] = obj{
		"get": obj{"operationId": "listSurvivors", "tags": tags, "summary": "List every survivor by code, with where consent stands.",
			"responses": responses(obj{"200": jsonResponse("Every survivor.", "SurvivorList", nil)}, 400)},
		"post": obj{"operationId": "createSurvivor", "tags": tags, "summary": "Add a survivor; identity, if given, is sealed.",
			"requestBody": jsonBody("SurvivorCreate"),
			"responses": sealedProblems(responses(obj{"201": jsonResponse("The stored survivor.", "Survivor",
				obj{"ETag": etagHeader, "Location": locationHeader})}, 400, 413, 415, 422))},
	}
	paths["/survivors/search"] = obj{"post": obj{"operationId": "searchTestimony", "tags": tags,
		"summary":     "Find interviews whose sealed testimony holds every word, through the blind index.",
		"description": "The words travel in the body, never in the URL. Recorded as a read of each survivor found.",
		"requestBody": jsonBody("SearchRequest"),
		"responses":   sealedProblems(responses(obj{"200": jsonResponse("The matches.", "SearchResult", nil)}, 400, 413, 415, 422))}}
	paths["/survivors/{id}"] = obj{
		"parameters": []any{id},
		"get": obj{"operationId": "getSurvivor", "tags": tags, "summary": "Read a survivor with consent, interviews and acts; never sealed values.",
			"responses": responses(obj{"200": jsonResponse("The survivor.", "SurvivorDetail", obj{"ETag": etagHeader})}, 400, 404)},
		"put": obj{"operationId": "updateSurvivor", "tags": tags, "summary": "Edit a survivor's non-identifying fields and preferences.",
			"parameters":  []any{ifMatch},
			"requestBody": jsonBody("SurvivorUpdate"),
			"responses":   responses(obj{"200": jsonResponse("The stored survivor.", "Survivor", obj{"ETag": etagHeader})}, 400, 404, 409, 413, 415, 422)},
	}
	paths["/survivors/{id}/history"] = obj{"parameters": []any{id},
		"get": obj{"operationId": "getSurvivorHistory", "tags": tags, "summary": "Every revision of the survivor (no sealed value is ever in one).",
			"responses": responses(obj{"200": jsonResponse("The revisions, oldest first.", "History", nil)}, 400, 404)}}
	paths["/survivors/{id}/history/{version}"] = obj{
		"parameters": []any{id, obj{"name": "version", "in": "path", "required": true, "description": "The version.",
			"schema": obj{"type": "integer", "minimum": 1}}},
		"get": obj{"operationId": "getSurvivorRevision", "tags": tags, "summary": "The survivor as it stood at one version.",
			"responses": responses(obj{"200": jsonResponse("The revision.", "Revision", nil)}, 400, 404)}}
	paths["/survivors/{id}/identity"] = obj{"parameters": []any{id},
		"patch": obj{"operationId": "patchSurvivorIdentity", "tags": tags, "summary": "Seal, replace or remove identity fields.",
			"parameters":  []any{ifMatch},
			"requestBody": jsonBody("IdentityPatch"),
			"responses": sealedProblems(responses(obj{"200": jsonResponse("The stored survivor.", "Survivor", obj{"ETag": etagHeader})},
				400, 404, 409, 413, 415, 422))}}
	paths["/survivors/{id}/identity/reveal"] = obj{"parameters": []any{id},
		"post": obj{"operationId": "revealSurvivorIdentity", "tags": tags,
			"summary":     "Open sealed identity fields for a stated purpose.",
			"description": "The read, with its purpose, is recorded in the audit log in the same transaction.",
			"requestBody": jsonBody("RevealRequest"),
			"responses":   sealedProblems(responses(obj{"200": jsonResponse("The values.", "Revealed", nil)}, 400, 404, 413, 415, 422))}}
	paths["/survivors/{id}/consent"] = obj{"parameters": []any{id},
		"get": obj{"operationId": "getSurvivorConsent", "tags": tags, "summary": "Where consent to each use stands, and its history.",
			"responses": responses(obj{"200": jsonResponse("The consent.", "ConsentList", nil)}, 400, 404)},
		"post": obj{"operationId": "addSurvivorConsent", "tags": tags, "summary": "Record a decision (given, refused, withdrawn) on one use.",
			"requestBody": jsonBody("ConsentInput"),
			"responses":   responses(obj{"201": jsonResponse("The entry recorded.", "Consent", nil)}, 400, 404, 413, 415, 422)}}
	paths["/survivors/{id}/interviews"] = obj{"parameters": []any{id},
		"get": obj{"operationId": "listSurvivorInterviews", "tags": tags, "summary": "The survivor's interviews, oldest first.",
			"responses": responses(obj{"200": jsonResponse("The interviews.", "InterviewList", nil)}, 400, 404)},
		"post": obj{"operationId": "addSurvivorInterview", "tags": tags, "summary": "Record an interview; its testimony is sealed.",
			"description": "Every interview after the first needs further_reason. As complete, it must meet every mandatory safeguard.",
			"requestBody": jsonBody("InterviewCreate"),
			"responses": sealedProblems(responses(obj{"201": jsonResponse("The interview.", "InterviewDetail",
				obj{"ETag": etagHeader, "Location": locationHeader})}, 400, 404, 413, 415, 422))}}
	ivPath := "/survivors/{id}/interviews/{interview}"
	paths[ivPath] = obj{"parameters": []any{id, interview},
		"get": obj{"operationId": "getSurvivorInterview", "tags": tags, "summary": "An interview with its safeguards and the survivor's preferences.",
			"responses": responses(obj{"200": jsonResponse("The interview.", "InterviewDetail", obj{"ETag": etagHeader})}, 400, 404)},
		"put": obj{"operationId": "updateSurvivorInterview", "tags": tags, "summary": "Edit a draft interview.",
			"parameters":  []any{ifMatch},
			"requestBody": jsonBody("InterviewUpdate"),
			"responses": sealedProblems(responses(obj{"200": jsonResponse("The interview.", "InterviewDetail", obj{"ETag": etagHeader})},
				400, 404, 409, 413, 415, 422))}}
	paths[ivPath+"/complete"] = obj{"parameters": []any{id, interview},
		"post": obj{"operationId": "completeSurvivorInterview", "tags": tags,
			"summary":     "Mark an interview complete, if every mandatory safeguard is met.",
			"description": "422 names each unmet safeguard (safeguards.NAME) with the reason.",
			"parameters":  []any{ifMatch},
			"requestBody": jsonBody("VersionInput"),
			"responses": responses(obj{"200": jsonResponse("The completed interview.", "InterviewDetail", obj{"ETag": etagHeader})},
				400, 404, 409, 413, 415, 422)}}
	paths[ivPath+"/testimony/reveal"] = obj{"parameters": []any{id, interview},
		"post": obj{"operationId": "revealSurvivorTestimony", "tags": tags, "summary": "Open an interview's testimony for a stated purpose.",
			"requestBody": jsonBody("PurposeInput"),
			"responses":   sealedProblems(responses(obj{"200": jsonResponse("The testimony.", "RevealedTestimony", nil)}, 400, 404, 413, 415, 422))}}
	paths["/survivors/{id}/reads"] = obj{"parameters": []any{id},
		"get": obj{"operationId": "listSurvivorReads", "tags": tags, "summary": "Who read the survivor's sealed fields, when and why.",
			"responses": responses(obj{"200": jsonResponse("The reads.", "ReadList", nil)}, 400, 404)}}
	paths["/survivors/{id}/erase"] = obj{"parameters": []any{id},
		"post": obj{"operationId": "eraseSurvivor", "tags": tags, "summary": "Erase the survivor's identity and testimony (crypto-shredding).",
			"requestBody": jsonBody("ErasureRequest"),
			"responses": responses(obj{"200": jsonResponse("The erased survivor.", "Survivor", nil),
				"503": problemResponse("The server cannot open its key-encryption key.")}, 400, 404, 413, 415, 422)}}
}
