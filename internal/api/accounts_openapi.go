package api

import (
	"strconv"
	"time"

	"github.com/dossier-org/dossier/internal/account"
)

// The accounts' part of the OpenAPI document: users, cases and API tokens
// for administrators, and each caller's own account.

func userProps() []prop {
	return []prop{
		field("id", recordID("The user's ID.")).out(),
		field("name", text("The login name: lower case letters, digits, '.', '_' or '-'.")).out(),
		field("display_name", text("How the user is shown.")).out(),
		field("role", enum(account.Roles, "What the user does; it decides their permissions (docs/accounts.md).")).out(),
		field("see_identities", boolean("Holds the grant to open survivors' sealed fields (in a session that passed the second factor).")).out(),
		field("disabled", boolean("Cannot log in; their tokens do not work.")).out(),
		field("totp", boolean("Has an active authenticator: every login asks for a code.")).out(),
		field("must_change_password", boolean("The password was generated and shown to an administrator: until the user chooses their own, "+
			"their sessions and tokens may do nothing but that (POST /account/password).")).out(),
		field("locked_until", instant("Failed logins locked the account until then; absent when it never was.")),
		field("password_changed_at", instant("")).out(),
		field("created_at", instant("")).out(),
		field("created_by", text("")).out(),
		field("updated_at", instant("")).out(),
		field("updated_by", text("")).out(),
	}
}

func caseProps() []prop {
	return []prop{
		field("id", recordID("The case's ID.")).out(),
		field("name", text("Its name, unique.")).out(),
		field("description", text("What the investigation is about.")),
		field("created_at", instant("")).out(),
		field("created_by", text("")).out(),
	}
}

func tokenProps() []prop {
	return []prop{
		field("id", recordID("The token's ID (not its secret).")).out(),
		field("user_id", recordID("The user it acts as.")).out(),
		field("user_name", text("")).out(),
		field("name", text("What it is for.")).out(),
		field("role", enum(account.Roles, "Its scope: it grants what both this role and its user's current role allow.")).out(),
		field("created_at", instant("")).out(),
		field("created_by", text("")).out(),
		field("expires_at", instant("")).out(),
		field("last_used_at", instant("When it was last used, to the minute; absent if never.")),
		field("revoked_at", instant("Absent unless revoked.")),
		field("revoked_by", text("")),
		field("status", enum([]string{tokenActive, tokenRevoked, tokenExpired}, "")).out(),
	}
}

func accountSchemas(s obj) {
	maxDays := int(account.MaxTokenLifetime / (24 * time.Hour))
	s["User"] = object("A user account, without its secrets.", false, userProps()...)
	s["UserList"] = object("Every user, by name.", false, field("users", arrayOf(ref("User"), "")).out())
	s["UserDetail"] = object("A user with their cases.", false, append(userProps(),
		field("cases", arrayOf(ref("Case"), "The cases they are a member of, by name.")).out(),
		field("recovery_codes_left", integer("Unused recovery codes of their two-factor enrolment.")).out(),
		field("active_tokens", integer("API tokens of theirs that still work.")).out())...)
	s["UserCreate"] = object("A new user.", true,
		field("name", with(textMax("The login name: 1 to 64 lower case letters, digits, '.', '_' or '-'; unique.", 64), "minLength", 1)).req(),
		field("display_name", textMax("", 200)),
		field("role", enum(account.Roles, "")).req(),
		field("password", text("12 to 256 characters. Leave it out to have one generated and answered once.")))
	s["UserCreated"] = object("The new user, with the generated password when none was given: it is shown only this once.", false,
		append(userProps(), field("password", text("The generated password; absent when one was given.")))...)
	s["UserPatch"] = object("Changes to a user: each field given replaces the value, an absent one stays. "+
		"The whole request is checked before anything is written.", true,
		field("display_name", textMax("", 200)),
		field("role", enum(account.Roles, "A role that may not see identities takes that grant away.")),
		field("disabled", boolean("true ends the user's sessions and stops their tokens; false enables them again and lifts a lock-out.")),
		field("see_identities", boolean("Grant (only to investigators, SEA focal points and legal advisors with TOTP) or withdraw the sight of survivors' identities.")))
	s["PasswordReset"] = object("A new password for a user: the one given, or leave it out to have one generated.", true,
		field("password", text("12 to 256 characters.")))
	s["PasswordSet"] = object("What a password reset did. The user's sessions have ended.", false,
		field("generated", boolean("Whether the password was generated.")).out(),
		field("password", text("The generated password, shown only this once; absent when one was given.")))
	s["Enrolment"] = object("A two-factor enrolment, shown only this once: hand it to the user in person.", false,
		field("uri", text("The otpauth:// URI to load into an authenticator app.")).out(),
		field("secret", text("The base32 secret, to type in by hand.")).out(),
		field("recovery_codes", arrayOf(text(""), "Each good for one login without the authenticator.")).out())
	s["Token"] = object("An API token, without its secret.", false, tokenProps()...)
	s["TokenList"] = object("Tokens, newest first, revoked and expired ones included; never their secrets.", false,
		field("tokens", arrayOf(ref("Token"), "")).out())
	s["TokenCreate"] = object("A new API token for the user.", true,
		field("name", textMax("What it is for (\"nightly export\").", 200)),
		field("role", enum(account.Roles, "Scope it to this role, which the user's role must include; the user's role if not given.")).defaulted(),
		field("expires_in_days", obj{"type": "integer", "minimum": 0, "maximum": maxDays,
			"description": "How many days it lives: 1 to " + strconv.Itoa(maxDays) + "; " + strconv.Itoa(DefaultTokenDays) + " when 0 or not given."}))
	s["TokenCreated"] = object("The new token. token is its secret, shown only this once: Dossier keeps its hash.", false,
		append(tokenProps(), field("token", with(text("Send it as \"Authorization: Bearer dsr_…\"."), "pattern", "^dsr_[A-Za-z0-9_-]{43}$")).out())...)
	s["Case"] = object("A case: an investigation whose records its members may reach.", false, caseProps()...)
	s["Member"] = object("A member of a case.", false,
		field("id", recordID("The user's ID.")).out(),
		field("name", text("")).out(),
		field("display_name", text("")).out(),
		field("role", enum(account.Roles, "")).out(),
		field("disabled", boolean("")).out())
	s["CaseDetail"] = object("A case with its members.", false, append(caseProps(),
		field("members", arrayOf(ref("Member"), "By name.")).out())...)
	s["CaseList"] = object("Every case, by name, with its members.", false, field("cases", arrayOf(ref("CaseDetail"), "")).out())
	s["CaseCreate"] = object("A new case.", true,
		field("name", with(textMax("Unique.", 200), "minLength", 1)).req(),
		field("description", textMax("", 2000)))
	s["MemberAdd"] = object("The user to add to the case.", true, field("user_id", recordID("")).req())
	s["OwnAccount"] = object("Who the caller is and what this request may do.", false,
		field("user", ref("User")).out(),
		field("role", enum(account.Roles, "The user's role, or the token's scope.")).out(),
		field("permissions", arrayOf(enum(account.Permissions, ""), "What this request may do: identities:see only in a session that passed the second factor, never with a token.")).out(),
		field("cases", arrayOf(ref("Case"), "The cases the user is a member of.")).out(),
		field("via", enum([]string{"session", "token"}, "What authenticated the request.")).out())
	s["Session"] = object("A live session of a browser logged in as the caller.", false,
		field("id", recordID("Names the session; not its secret.")).out(),
		field("user_id", recordID("")).out(),
		field("pending", boolean("Always false here: logins awaiting their code are left out.")).out(),
		field("second_factor", boolean("The login passed two-step verification.")).out(),
		field("method", enum([]string{account.LoginPassword, account.LoginOIDC}, "How the login was made: with the password, or through single sign-on.")).out(),
		field("created_at", instant("")).out(),
		field("last_seen_at", instant("To the minute.")).out(),
		field("expires_at", instant("It ends then at the latest, used or not.")).out(),
		field("current", boolean("It is the session making this request.")).out())
	s["SessionList"] = object("The caller's live sessions, newest first.", false, field("sessions", arrayOf(ref("Session"), "")).out())
	s["OwnPasswordChange"] = object("The caller's new password.", true,
		field("current_password", text("The password the caller logs in with now. It may be left out only in a session opened "+
			"through single sign-on while the password, generated by an administrator, must be replaced.")),
		field("password", text("The new password: 12 to 256 characters, not the current one.")).req())
	oidcSchemas(s)
}

func oidcSchemas(s obj) {
	s["OIDCIdentity"] = object("An identity at an OpenID Connect provider, linked to a user: signing in with it logs in as that user.", false,
		field("issuer", text("The provider's issuer URL, exactly as its discovery document gives it.")).out(),
		field("subject", text("The provider's identifier for the person (the ID token's sub claim).")).out(),
		field("user_id", recordID("The user it logs in as.")).out(),
		field("linked_at", instant("")).out(),
		field("linked_by", text("")).out(),
		field("last_login_at", instant("The last sign-in with it; absent if never.")))
	s["OIDCIdentityList"] = object("The identities linked to a user, by issuer and subject.", false,
		field("identities", arrayOf(ref("OIDCIdentity"), "")).out())
	s["OIDCLink"] = object("The identity to link to the user.", true,
		field("issuer", text("The provider's issuer URL (https, or http to this computer), exactly as the server's --oidc-issuer "+
			"gives it. It may be left out while every identity already linked is of one issuer, which is then taken.")),
		field("subject", with(textMax("The provider's identifier for the person: printable ASCII. Someone whose identity is not "+
			"linked is shown it on the login page, to pass on.", 255), "minLength", 1)).req())
	s["OIDCUnlink"] = object("Which of the user's links to remove: a field left out matches every value, so {} removes them all.", true,
		field("issuer", text("Only identities of this issuer.")),
		field("subject", text("Only the identity with this subject.")))
	s["OIDCUnlinked"] = object("What was unlinked. Every session of the user has ended.", false,
		field("removed", integer("How many links were removed.")).out(),
		field("identities", arrayOf(ref("OIDCIdentity"), "The links left.")).out())
}

func accountPaths(paths obj) {
	tags := []string{"accounts"}
	op := func(id, summary string, rs obj, problems ...int) obj {
		return obj{"operationId": id, "tags": tags, "summary": summary, "responses": responses(rs, problems...)}
	}
	withBody := func(o obj, schema string) obj { o["requestBody"] = jsonBody(schema); return o }
	withDesc := func(o obj, desc string) obj { o["description"] = desc; return o }
	userID := pathID("user")
	pathUserParam := obj{"name": "user", "in": "path", "required": true, "description": "The user's ID.",
		"schema": obj{"type": "string", "format": "uuid"}}

	paths["/users"] = obj{
		"get": op("listUsers", "List every user, by name.", obj{"200": jsonResponse("The users.", "UserList", nil)}, 400),
		"post": withDesc(withBody(op("createUser", "Add a user.", obj{"201": jsonResponse("The new user.", "UserCreated",
			obj{"Location": locationHeader})}, 400, 413, 415, 422), "UserCreate"),
			"Without a password, a 128-bit one is generated and answered once, in this response only: hand it over in person. "+
				"The user must replace it at their first login before doing anything else."),
	}
	paths["/users/{id}"] = obj{
		"parameters": []any{userID},
		"get":        op("getUser", "Read a user, with their cases.", obj{"200": jsonResponse("The user.", "UserDetail", nil)}, 400, 404),
		"patch": withBody(op("updateUser", "Change a user's role, status, grant to see identities or display name.",
			obj{"200": jsonResponse("The user as changed.", "UserDetail", nil)}, 400, 404, 413, 415, 422), "UserPatch"),
	}
	paths["/users/{id}/password"] = obj{
		"parameters": []any{userID},
		"post": withDesc(withBody(op("resetPassword", "Give a user a new password; their sessions end.",
			obj{"200": jsonResponse("What was done.", "PasswordSet", nil)}, 400, 404, 413, 415, 422), "PasswordReset"),
			"Send {} to have a 128-bit password generated and answered once (what an administrator handing an account back "+
				"needs): the user must then replace it before doing anything else. Or give the password, which asks nothing "+
				"of the user. Every session of the user ends and a lock-out is lifted."),
	}
	paths["/users/{id}/totp"] = obj{
		"parameters": []any{userID},
		"post": withDesc(op("enrolTOTP", "Enrol a user in two-factor authentication at once.",
			obj{"200": jsonResponse("The enrolment, shown only this once.", "Enrolment", nil)}, 400, 404),
			"Any previous enrolment and recovery codes are replaced, the user's sessions end, and every login from now on asks for a code."),
		"delete": withDesc(op("removeTOTP", "Remove a user's two-factor enrolment.",
			obj{"200": jsonResponse("The user.", "UserDetail", nil)}, 400, 404),
			"The user logs in with the password alone, loses the grant to see identities, and their sessions end."),
	}
	paths["/users/{id}/tokens"] = obj{
		"parameters": []any{userID},
		"get": op("listUserTokens", "List a user's API tokens, never their secrets.",
			obj{"200": jsonResponse("The tokens.", "TokenList", nil)}, 400, 404),
		"post": withBody(op("createToken", "Create an API token for a user; its secret is answered once.",
			obj{"201": jsonResponse("The token and its secret.", "TokenCreated", nil)}, 400, 404, 413, 415, 422), "TokenCreate"),
	}
	paths["/users/{id}/oidc"] = obj{
		"parameters": []any{userID},
		"get": op("listUserIdentities", "List the identities at single sign-on providers linked to a user.",
			obj{"200": jsonResponse("The linked identities.", "OIDCIdentityList", nil)}, 400, 404),
		"post": withDesc(withBody(op("linkUserIdentity", "Let an identity at the single sign-on provider log in as the user.",
			obj{"201": jsonResponse("The link.", "OIDCIdentity", nil)}, 400, 404, 413, 415, 422), "OIDCLink"),
			"Nobody is created or matched by e-mail address on first sign-in: only a linked identity logs in, as its user, with "+
				"their role, cases and second factor. An identity links to one user; a user may have several."),
	}
	paths["/users/{id}/oidc/unlink"] = obj{
		"parameters": []any{userID},
		"post": withDesc(withBody(op("unlinkUserIdentity", "Remove links between the user and identities at single sign-on providers.",
			obj{"200": jsonResponse("What was unlinked.", "OIDCUnlinked", nil),
				"404": problemResponse("No such user, or the user has no linked identity of this issuer and subject.")}, 400, 413, 415),
			"OIDCUnlink"),
			"Every session of the user ends: a session opened through an identity must not outlive its link. The password keeps working."),
	}
	paths["/tokens"] = obj{
		"get": op("listTokens", "List every API token, newest first, never their secrets.",
			obj{"200": jsonResponse("The tokens.", "TokenList", nil)}, 400),
	}
	paths["/tokens/{id}/revoke"] = obj{
		"parameters": []any{pathID("token")},
		"post": op("revokeToken", "Revoke an API token for good; revoking a revoked one changes nothing.",
			obj{"200": jsonResponse("The token.", "Token", nil)}, 400, 404),
	}
	paths["/cases"] = obj{
		"get": op("listCases", "List every case, by name, with its members.", obj{"200": jsonResponse("The cases.", "CaseList", nil)}, 400),
		"post": withBody(op("createCase", "Create a case.", obj{"201": jsonResponse("The new case.", "CaseDetail",
			obj{"Location": locationHeader})}, 400, 413, 415, 422), "CaseCreate"),
	}
	paths["/cases/{id}"] = obj{
		"parameters": []any{pathID("case")},
		"get":        op("getCase", "Read a case with its members.", obj{"200": jsonResponse("The case.", "CaseDetail", nil)}, 400, 404),
	}
	paths["/cases/{id}/members"] = obj{
		"parameters": []any{pathID("case")},
		"post": withDesc(withBody(op("addCaseMember", "Make a user a member of the case.",
			obj{"200": jsonResponse("The case with its members.", "CaseDetail", nil)}, 400, 404, 413, 415, 422), "MemberAdd"),
			"Members reach the case's records as far as their role allows. Being a member already is not an error."),
	}
	paths["/cases/{id}/members/{user}"] = obj{
		"parameters": []any{pathID("case"), pathUserParam},
		"delete": op("removeCaseMember", "End a user's membership of the case.",
			obj{"200": jsonResponse("The case with its members.", "CaseDetail", nil), "404": problemResponse("No such case or user, or the user is not a member.")}, 400),
	}

	paths["/account"] = obj{
		"get": op("getOwnAccount", "Who the caller is, their cases and what this request may do.",
			obj{"200": jsonResponse("The caller's account.", "OwnAccount", nil)}, 400),
	}
	paths["/account/password"] = obj{
		"post": withDesc(withBody(op("changeOwnPassword", "Replace the caller's password.",
			obj{"204": obj{"description": "The password is changed; the caller's other sessions have ended."}}, 400, 401, 413, 415, 422),
			"OwnPasswordChange"),
			"A password an administrator generated (a reset or a new account) must be replaced before anything else: until then "+
				"every other operation answers 403 "+typePasswordChangeRequired+"."),
	}
	paths["/account/tokens"] = obj{
		"get": op("listOwnTokens", "List the caller's own API tokens, never their secrets.",
			obj{"200": jsonResponse("The tokens.", "TokenList", nil)}, 400),
		"post": withDesc(withBody(op("createOwnToken", "Create an API token acting as the caller; its secret is answered once.",
			obj{"201": jsonResponse("The token and its secret.", "TokenCreated", nil)}, 400, 413, 415, 422), "TokenCreate"),
			"Scoped to the caller's role, or a narrower one (a wider one is refused with 422, code too_wide). Only a browser's "+
				"session may ask: an API token is refused, so that a stolen token cannot mint itself a successor."),
	}
	paths["/account/tokens/{id}/revoke"] = obj{
		"parameters": []any{pathID("token")},
		"post": op("revokeOwnToken", "Revoke one of the caller's own API tokens.",
			obj{"200": jsonResponse("The token.", "Token", nil), "404": problemResponse("The caller has no token with this ID.")}, 400),
	}
	paths["/account/sessions"] = obj{
		"get": op("listOwnSessions", "List the caller's live sessions.",
			obj{"200": jsonResponse("The sessions.", "SessionList", nil)}, 400),
	}
	paths["/account/sessions/{id}/revoke"] = obj{
		"parameters": []any{pathID("session")},
		"post": withDesc(op("revokeOwnSession", "End one of the caller's sessions (the current one too: that browser is logged out).",
			obj{"204": obj{"description": "The session has ended."}, "404": problemResponse("The caller has no live session with this ID.")}, 400),
			"For a browser left logged in elsewhere."),
	}
}
