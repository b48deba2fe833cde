package api

import (
	"maps"

	"github.com/dossier-org/dossier/internal/evidence"
)

// The evidence vault's part of the OpenAPI document.

func sha256Schema(desc string) obj {
	return obj{"type": "string", "pattern": "^[0-9a-fA-F]{64}$", "description": desc}
}

func evidenceProps() []prop {
	return []prop{
		field("filename", textMax("The file's name as received, without directories; named after its hash when none was given.", 255)).out(),
		field("type", enum(evidence.Types, "What the item is; guessed from the content's media type when not given.")).out().defaulted(),
		field("categories", arrayOf(enum(evidence.Categories, ""), "The International Protocol categories of evidence the item serves; empty until assessed.")).out(),
		field("description", textMax("", 50000)),
		field("language", text("Language tag of the content (en, ar, he …).")),
		nested("capture", "Capture", "Who captured or recorded it, when, where and with what, as asserted.").out(),
		nested("open_source", "OpenSource", "How it was collected online; required for an open_source_capture."),
		nestedList("links", "EvidenceLink", "The records the item bears on.").out(),
		field("survivor_id", recordID("The survivor the file identifies (their testimony, a medical or forensic report, "+
			"a photograph of them): the file, its thumbnail and capture files are sealed with that survivor's own key, "+
			"reading them needs the permission identities:see, and erasing the survivor destroys them. Setting it on an "+
			"item seals its files again; changing or removing it needs identities:see.")),
	}
}

// evidenceDerivedProps are what the server derives from the content.
func evidenceDerivedProps() []prop {
	return []prop{
		field("blob", ref("BlobRef")).out(),
		field("media_type", text("The content's media type, sniffed from its bytes (never the client's word).")).out(),
		field("extracted", with(ref("Extracted"), "description", "Read from the file itself on ingest: shown as extracted, never trusted blindly.")),
		field("thumbnail", ref("BlobRef")),
		field("shredded_at", instant("When the file was destroyed with its survivor's key, at their request (survivor erasure): "+
			"it can never be read again; the item, the SHA-256 of the original and the custody remain.")),
	}
}

func evidenceSchemas(s obj) {
	parts := map[string]func(input bool) obj{
		"EvidenceLink": func(in bool) obj {
			return object("A record the item bears on.", in,
				field("kind", enum(evidence.LinkKinds, "The kind of record.")).req(),
				field("id", recordID("The record's ID.")).req())
		},
		"Capture": func(in bool) obj {
			return object("Who captured or recorded the item, when, where and with what, as people assert it.", in,
				field("by", textMax("A name, role or pseudonymous code.", 300)),
				nested("date", "Date", "When, with its uncertainty; filled from at when only that is given.").out(),
				field("at", instant("The exact instant, when known.")),
				field("place", textMax("", 300)),
				field("latitude", obj{"type": "number", "minimum": -90, "maximum": 90, "description": "Give both coordinates or neither."}),
				field("longitude", obj{"type": "number", "minimum": -180, "maximum": 180}),
				field("device", textMax("Camera, phone, recorder, capture software.", 300)))
		},
		"OpenSource": func(in bool) obj {
			blobRef := ref("BlobRef")
			if in {
				blobRef = ref("BlobRefInput")
			}
			return object("An online capture. The Berkeley Protocol's minimum for court: the URL, the page's HTML source, "+
				"a full-page capture showing the date and time, and a hash (Dossier hashes every file).", in,
				field("url", text("An http:// or https:// address.")).req(),
				field("html_source", with(blobRef, "description", "The page's HTML source, a file held in the blob store.")),
				field("full_page", with(blobRef, "description", "The full-page capture, a file held in the blob store.")),
				field("captured_at", instant("When the capture was made.")).req(),
				field("hash", text("The hash the capture tool recorded, with its algorithm (sha256:…).")),
				field("tool", textMax("The capture tool.", 200)),
				field("tool_version", textMax("", 100)))
		},
	}
	for name, fn := range parts {
		s[name] = fn(false)
		s[name+"Input"] = fn(true)
	}
	s["BlobRef"] = object("A file in the blob store, by content.", false,
		field("sha256", sha256Schema("Lowercase hex SHA-256 of the content.")).out(),
		field("size", obj{"type": "integer", "format": "int64", "minimum": 0, "description": "Bytes."}).out())
	s["BlobRefInput"] = object("A file already held in the blob store (or sent as a part of the same form).", true,
		field("sha256", sha256Schema("Hex SHA-256 of the file.")).req(),
		field("size", obj{"type": "integer", "format": "int64", "minimum": 0, "description": "Checked against the file held, if given."}))
	optionalNumber := obj{"type": "number"}
	s["Extracted"] = object("Metadata read from the file itself: embedded capture data (EXIF, container tags) and the media's shape.", false,
		field("tool", text("What read the file (imagemeta, ffprobe with its version).")).out(),
		field("error", text("Why reading failed or found nothing, if so.")),
		field("captured_at", text("The embedded capture time: RFC 3339 with the file's zone, or local time without a zone.")),
		field("make", text("")), field("model", text("")), field("serial", text("")), field("software", text("")),
		field("latitude", optionalNumber), field("longitude", optionalNumber), field("altitude", optionalNumber),
		field("width", integer("")), field("height", integer("")),
		field("orientation", integer("EXIF orientation, 1 to 8.")),
		field("duration_seconds", optionalNumber),
		field("format", text("Container format.")),
		field("streams", arrayOf(text(""), "One line per stream: video h264 1920x1080.")),
		field("tags", obj{"type": "object", "additionalProperties": obj{"type": "string"}, "description": "Other embedded tags."}),
		field("withheld", obj{"type": "boolean", "description": "The file identifies a survivor: when, where and with what it was made " +
			"(capture time, position, device, tags) was not kept in the record. It is in the file."}))

	s["Evidence"] = object("Evidence item: a file held by its SHA-256, with what is asserted and what was extracted about it.",
		false, append(append(metaProps(), evidenceDerivedProps()...), evidenceProps()...)...)
	s["EvidenceCreate"] = object("What a client says about new evidence (the metadata part of an upload). "+
		"The server sets id, version, the stamps and what it derives from the content.", true,
		append(evidenceProps(), field("sha256", sha256Schema("The SHA-256 the content must have; otherwise nothing is stored.")))...)
	patch := object("A JSON merge patch (RFC 7396) of what is asserted about the item: the fields given replace "+
		"those stored, null removes one. The content and what was derived from it cannot change.", true,
		append(editProps()[:2], evidenceProps()...)...)
	props := maps.Clone(patch["properties"].(obj))
	for name, p := range props {
		props[name] = with(p.(obj), "nullable", true)
	}
	patch["properties"] = props
	s["EvidencePatch"] = patch
	s["EvidencePage"] = object("One page of evidence items, newest first.", false,
		field("evidence", arrayOf(ref("Evidence"), "")).out(),
		field("total", integer("How many items match.")).out())

	eventProps := []prop{
		field("kind", enum(evidence.EventKinds, "What happened.")).req(),
		field("by", textMax("Who did it or held the item.", 300)).req(),
		field("recipient", textMax("To whom it went; required for transferred.", 300)),
		field("at", instant("When it happened.")).req(),
		field("place", textMax("", 300)),
		field("purpose", textMax("", 2000)),
		field("sha256", sha256Schema("The hash verified at that moment: Dossier's own for what it did, the reported one otherwise.")),
		field("notes", textMax("", 20000)),
	}
	s["CustodyEventInput"] = object("An event that happened outside Dossier, as a person reports it.", true, eventProps...)
	s["CustodyEvent"] = object("One link in the chain of custody. Events are only ever appended.", false, append([]prop{
		field("id", recordID("")).out(),
		field("evidence_id", recordID("")).out(),
		field("hash_source", enum([]evidence.HashSource{evidence.Computed, evidence.Reported},
			"computed: Dossier hashed the bytes itself; reported: a person reports the hash; absent: none verified.")),
		field("recorded_at", instant("When the event was entered.")).out(),
		field("recorded_by", text("Who entered it.")).out(),
		field("audit_index", with(integer("The event's entry in the audit log."), "minimum", 0)).out(),
	}, eventProps...)...)
	s["CustodyList"] = object("An item's chain of custody in the order things happened.", false,
		field("custody", arrayOf(ref("CustodyEvent"), "")).out())
}

// withRefusals adds the answers for a survivor's file: 403 without the
// see-identities grant, and, where the file is read, 410 once it was
// destroyed at the survivor's request.
func withRefusals(rs obj, gone bool) obj {
	rs["403"] = problemResponse("The file identifies a survivor: it needs the permission identities:see (urn:dossier:problem:forbidden).")
	if gone {
		rs["410"] = problemResponse("The file was destroyed at the survivor's request (urn:dossier:problem:shredded): it can never be read again.")
	}
	return rs
}

func evidencePaths(paths obj) {
	tags := []string{"evidence"}
	id := pathID("evidence item")
	idQuery := func(name, desc string) obj { return queryParam(name, desc, obj{"type": "string", "format": "uuid"}) }
	binary := obj{"type": "string", "format": "binary"}
	paths["/evidence"] = obj{
		"get": obj{"operationId": "listEvidence", "tags": tags, "summary": "List evidence items, newest first.",
			"parameters": []any{
				idQuery("incident", "Only items linked to this incident or to one of its acts."),
				idQuery("act", "Only items linked to this act."),
				queryParam("type", "Only items of this type.", enum(evidence.Types, "")),
				queryParam("category", "Only items serving this category.", enum(evidence.Categories, "")),
				queryParam("limit", "How many per page.", obj{"type": "integer", "minimum": 1, "maximum": evidence.MaxPage, "default": 50}),
				queryParam("offset", "How many to skip.", obj{"type": "integer", "minimum": 0, "default": 0}),
			},
			"responses": responses(obj{"200": jsonResponse("One page.", "EvidencePage", obj{"Link": linkHeader})}, 400)},
		"post": obj{"operationId": "createEvidence", "tags": tags, "summary": "Upload evidence.",
			"description": "The content streams into the blob store, hashed on the way; with a SHA-256 given, content that " +
				"hashes otherwise is refused (422) and nothing is stored. Send either the raw content as the body, described " +
				"by the query parameters (and a Content-Digest: sha-256=:…: header if wanted), or a multipart/form-data body " +
				"whose parts come in this order: metadata (JSON, EvidenceCreate; optional), html_source and full_page " +
				"(an open-source capture's files; optional), file (the content; last). Identical content is stored once, " +
				"but every upload makes a new item, as every receipt is its own link in a chain of custody; " +
				"Dossier-Duplicates names the items already holding the same content. The item's custody begins with a " +
				"received event carrying the hash Dossier computed. Resumable uploads: see /uploads.",
			"parameters": []any{
				idQuery("incident", "Raw body only: link the item to this incident."),
				idQuery("act", "Raw body only: link the item to this act."),
				queryParam("type", "Raw body only: what the item is.", enum(evidence.Types, "")),
				queryParam("category", "Raw body only: categories, comma-separated.", obj{"type": "string"}),
				queryParam("filename", "Raw body only: the file's name (or a Content-Disposition header's filename).", obj{"type": "string", "maxLength": 255}),
				queryParam("description", "Raw body only.", obj{"type": "string", "maxLength": 50000}),
				queryParam("language", "Raw body only: language tag of the content.", obj{"type": "string"}),
				queryParam("sha256", "Raw body only: the SHA-256 the content must have.", sha256Schema("")),
				idQuery("survivor", "Raw body only: the survivor the file identifies; it is sealed with their key."),
				obj{"name": "Content-Digest", "in": "header", "description": "RFC 9530: sha-256=:BASE64: — the SHA-256 the raw body must have.",
					"schema": obj{"type": "string"}},
			},
			"requestBody": obj{"required": true, "content": obj{
				"multipart/form-data": obj{
					"schema": obj{"type": "object", "required": []string{"file"}, "properties": obj{
						"metadata":    ref("EvidenceCreate"),
						"html_source": with(binary, "description", "The page's HTML source."),
						"full_page":   with(binary, "description", "The full-page capture."),
						"file":        with(binary, "description", "The content; the last part."),
					}},
					"encoding": obj{"metadata": obj{"contentType": "application/json"}},
				},
				"*/*": obj{"schema": with(binary, "description", "The content itself.")},
			}},
			"responses": responses(obj{"201": jsonResponse("The stored item.", "Evidence", obj{
				"ETag": etagHeader, "Location": locationHeader,
				"Dossier-Duplicates": header("IDs of other items holding identical content, comma-separated; absent if none.", false),
			})}, 400, 413, 422)},
	}
	paths["/evidence/{id}"] = obj{
		"parameters": []any{id},
		"get": obj{"operationId": "getEvidence", "tags": tags, "summary": "Read one evidence item.",
			"responses": responses(obj{"200": jsonResponse("The item.", "Evidence", obj{"ETag": etagHeader})}, 400, 404)},
		"patch": obj{"operationId": "patchEvidence", "tags": tags, "summary": "Change what is asserted about an item.",
			"description": `A JSON merge patch (RFC 7396). Give the version it starts from as If-Match (or "version" in the body); a stale version is refused with 409.`,
			"parameters": []any{obj{"name": "If-Match", "in": "header", "description": `The ETag the item was read with (W/"3").`,
				"schema": obj{"type": "string"}}},
			"requestBody": obj{"required": true, "content": obj{
				mergePatchType:     obj{"schema": ref("EvidencePatch")},
				"application/json": obj{"schema": ref("EvidencePatch")},
			}},
			"responses": withRefusals(responses(obj{"200": jsonResponse("The stored item.", "Evidence", obj{"ETag": etagHeader})}, 400, 404, 409, 413, 415, 422), false)},
	}
	paths["/evidence/{id}/content"] = obj{
		"parameters": []any{id},
		"get": obj{"operationId": "getEvidenceContent", "tags": tags, "summary": "Download or view the content.",
			"description": "Byte ranges are served (Range, If-Range with the ETag). Every read that hands out content is " +
				"a custody event (accessed): with the hash of what was sent when it was the whole content, or the stored " +
				"content rehashed for a partial read, recorded once per person per 10 minutes.",
			"parameters": []any{
				queryParam("download", "Always as an attachment, even for types shown inline.", obj{"type": "boolean", "default": false}),
				queryParam("purpose", "Why it is read, for the custody history.", obj{"type": "string", "maxLength": 2000}),
			},
			"responses": withRefusals(responses(obj{
				"200": obj{"description": "The content, as its sniffed media type.",
					"headers": obj{"ETag": header(`The content's SHA-256, quoted.`, true),
						"Content-Disposition": header("inline for pictures, sound, video and PDF; else attachment.", true),
						"Repr-Digest":         header("sha-256=:BASE64: of the whole content.", true)},
					"content": obj{"*/*": obj{"schema": binary}}},
				"206": obj{"description": "The requested byte ranges.", "content": obj{"*/*": obj{"schema": binary}}},
				"304": obj{"description": "Not modified (If-None-Match)."},
			}, 400, 404), true)},
	}
	paths["/evidence/{id}/thumbnail"] = obj{
		"parameters": []any{id},
		"get": obj{"operationId": "getEvidenceThumbnail", "tags": tags, "summary": "A small JPEG of a picture or a video's poster frame.",
			"responses": withRefusals(responses(obj{
				"200": obj{"description": "The thumbnail.", "content": obj{"image/jpeg": obj{"schema": binary}}},
				"304": obj{"description": "Not modified (If-None-Match)."},
			}, 400, 404), true)},
	}
	paths["/evidence/{id}/custody"] = obj{
		"parameters": []any{id},
		"get": obj{"operationId": "getCustody", "tags": tags, "summary": "The item's chain of custody.",
			"responses": responses(obj{"200": jsonResponse("Every event, in the order things happened.", "CustodyList", nil)}, 400, 404)},
		"post": obj{"operationId": "addCustodyEvent", "tags": tags, "summary": "Record an event that happened outside Dossier.",
			"description": "Events are only ever appended: a mistake is corrected by a further event. A hash given is " +
				"recorded as reported, and the report says whether it matches the item's.",
			"requestBody": jsonBody("CustodyEventInput"),
			"responses": responses(obj{"201": jsonResponse("The recorded event.", "CustodyEvent",
				obj{"Location": header("The item's custody list.", true)})}, 400, 404, 413, 415, 422)},
	}
	paths["/evidence/{id}/custody.csv"] = obj{
		"parameters": []any{id},
		"get": obj{"operationId": "getCustodyReport", "tags": tags, "summary": "The custody report as CSV.",
			"description": "One event a row, each naming the item and its SHA-256. Cells a spreadsheet would run as a formula are prefixed with an apostrophe.",
			"responses": responses(obj{"200": obj{"description": "The report, as an attachment.",
				"headers": obj{"Content-Disposition": header("attachment; filename=…", true)},
				"content": obj{"text/csv": obj{"schema": obj{"type": "string"}}}}}, 400, 404)},
	}
	paths["/evidence/{id}/history"] = obj{
		"parameters": []any{id},
		"get": obj{"operationId": "getEvidenceHistory", "tags": tags, "summary": "Every revision of the item, with what each changed.",
			"responses": responses(obj{"200": jsonResponse("The revisions, oldest first.", "History", nil)}, 400, 404)},
	}
	paths["/evidence/{id}/history/{version}"] = obj{
		"parameters": []any{id, obj{"name": "version", "in": "path", "required": true,
			"description": "The version.", "schema": obj{"type": "integer", "minimum": 1}}},
		"get": obj{"operationId": "getEvidenceRevision", "tags": tags, "summary": "The item as it stood at one version.",
			"responses": responses(obj{"200": jsonResponse("The revision.", "Revision", nil)}, 400, 404)},
	}
}
