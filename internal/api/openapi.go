package api

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
	"github.com/dossier-org/dossier/internal/survivor"
)

// The OpenAPI document is built here rather than kept as a file so that
// every enumeration comes from the domain packages themselves: a new
// violation type appears in the document without anyone remembering to add
// it. The tests check that the document is valid, that it lists exactly the
// routes the API serves, and that every request and response they make
// conforms to it.

// openAPI answers GET /openapi.json.
func openAPI(w http.ResponseWriter, r *http.Request) error {
	if err := newQuery(r).err(); err != nil {
		return err
	}
	body, err := openAPIDocument()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, err = w.Write(body)
	return err
}

var openAPIDocument = sync.OnceValues(func() ([]byte, error) {
	return json.MarshalIndent(document(), "", "  ")
})

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func text(desc string) obj { return obj{"type": "string", "description": desc} }

func textMax(desc string, n int) obj {
	return obj{"type": "string", "description": desc, "maxLength": n}
}

func recordID(desc string) obj { return obj{"type": "string", "format": "uuid", "description": desc} }

func day(desc string) obj {
	return obj{"type": "string", "format": "date", "description": desc}
}

func instant(desc string) obj {
	return obj{"type": "string", "format": "date-time", "description": desc}
}

func integer(desc string) obj { return obj{"type": "integer", "description": desc} }

func boolean(desc string) obj { return obj{"type": "boolean", "description": desc} }

func arrayOf(items obj, desc string) obj {
	return obj{"type": "array", "items": items, "description": desc}
}

func enum[T ~string](values []T, desc string) obj {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return obj{"type": "string", "enum": out, "description": desc}
}

func with(o obj, key string, value any) obj {
	c := maps.Clone(o)
	c[key] = value
	return c
}

// prop is one property of an object schema, which comes in a response
// variant (every property the server always sends is required) and a
// request variant (only what the client must give is required).
type prop struct {
	name     string
	schema   func(input bool) obj
	always   bool // present in every response
	required bool // must be given in a request
}

// field is a property whose schema is the same in both variants.
func field(name string, s obj) prop {
	return prop{name: name, schema: func(bool) obj { return s }}
}

// nested is a property holding another object that has both variants.
func nested(name, component, desc string) prop {
	return prop{name: name, schema: func(input bool) obj {
		return obj{"allOf": []any{ref(variant(component, input))}, "description": desc}
	}}
}

// nestedList is a property holding a list of such objects.
func nestedList(name, component, desc string) prop {
	return prop{name: name, schema: func(input bool) obj {
		return arrayOf(ref(variant(component, input)), desc)
	}}
}

func variant(component string, input bool) string {
	if input {
		return component + "Input"
	}
	return component
}

func (p prop) out() prop { p.always = true; return p }

// defaulted marks a property the server fills when a request leaves it out
// or sends it empty: in a request, "" (or 0) is accepted as "the default".
func (p prop) defaulted() prop {
	schema := p.schema
	p.schema = func(input bool) obj {
		s := schema(input)
		if !input {
			return s
		}
		s = maps.Clone(s)
		if values, ok := s["enum"].([]string); ok && !slices.Contains(values, "") {
			s["enum"] = append(slices.Clone(values), "")
		}
		if _, ok := s["minimum"]; ok && s["type"] == "integer" {
			s["minimum"] = 0
		}
		return s
	}
	return p
}
func (p prop) req() prop { p.required = true; p.always = true; return p }

// object renders an object schema that admits no other properties.
func object(desc string, input bool, props ...prop) obj {
	properties := obj{}
	var required []string
	for _, p := range props {
		s := p.schema(input)
		if input && s["type"] == "array" {
			// Go clients send a nil slice as null; it means an empty list.
			s = with(s, "nullable", true)
		}
		properties[p.name] = s
		if (input && p.required) || (!input && p.always) {
			required = append(required, p.name)
		}
	}
	o := obj{"type": "object", "description": desc, "properties": properties, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// metaProps are the server's bookkeeping, sent on every record.
func metaProps() []prop {
	return []prop{
		field("id", recordID("The record's ID (UUIDv7).")).out(),
		field("version", with(integer("Counts the record's revisions; send it back to edit."), "minimum", 1)).out(),
		field("created_at", instant("When the record was created.")).out(),
		field("created_by", text("Who created it.")).out(),
		field("updated_at", instant("When it last changed.")).out(),
		field("updated_by", text("Who last changed it.")).out(),
	}
}

// editProps are the bookkeeping an edit may send back: id and version are
// checked, the stamps ignored.
func editProps() []prop {
	return []prop{
		field("id", recordID("If given, must be the ID in the path.")),
		field("version", with(integer("The version the edit starts from. Required unless an If-Match header gives it."), "minimum", 1)),
		field("created_at", text("Ignored: set by the server.")),
		field("created_by", text("Ignored: set by the server.")),
		field("updated_at", text("Ignored: set by the server.")),
		field("updated_by", text("Ignored: set by the server.")),
	}
}

// recordSchemas adds a kind of record's three schemas: Name (as read),
// NameCreate (a new record) and NameUpdate (an edit).
func recordSchemas(schemas obj, name, desc string, props []prop) {
	schemas[name] = object(desc, false, append(metaProps(), props...)...)
	schemas[name+"Create"] = object("A new "+strings.ToLower(desc[:1])+desc[1:]+
		" The server assigns id, version and the stamps; sending them is an error.", true, props...)
	schemas[name+"Update"] = object("An edit replacing the whole record. Send it as read (GET), changed; "+
		"fields only the server sets are ignored.", true, append(editProps(), props...)...)
}

func situationProps() []prop {
	return []prop{
		field("name", textMax("Name of the country or context, unique.", 200)).req(),
		field("country_code", text("ISO 3166-1 alpha-2 code; empty for a region.")),
		field("on_security_council_agenda", boolean("Whether the situation is on the Security Council's agenda.")).out(),
		field("conflict_class", enum(situation.ConflictClasses, "Legal classification of the conflict; unknown if not given.")).out().defaulted(),
		field("setting", enum(situation.Settings, "How the annual report groups the situation; conflict if not given.")).out().defaulted(),
		field("description", textMax("", 20000)),
	}
}

func partyProps() []prop {
	return []prop{
		field("name", textMax("The name Dossier displays (English by convention).", 300)).req(),
		field("abbreviation", textMax("", 40)),
		field("type", enum(party.Types, "What kind of party it is.")).req(),
		field("parent_id", recordID("The party this one is a unit of.")),
		field("country_code", text("ISO 3166-1 alpha-2 code.")),
		field("description", textMax("", 20000)),
		nestedList("names", "PartyName", "Names in other languages, and aliases."),
	}
}

func partyDetailProps() []prop {
	return []prop{
		field("ancestors", arrayOf(ref("PartyRef"), "The parties this one is a unit of, immediate parent first.")).out(),
		field("units", arrayOf(ref("PartyRef"), "Its direct units.")).out(),
		field("incident_count", integer("Incidents with an act attributed to the party or any of its units.")).out(),
	}
}

func sourceProps() []prop {
	return []prop{
		field("kind", enum(source.Kinds, "What the source is.")).req(),
		field("title", textMax("", 500)).req(),
		field("organisation", textMax("", 300)),
		field("url", text("An http:// or https:// address.")),
		field("document_symbol", text("A UN document symbol such as S/2025/389.")),
		field("published_on", day("Publication date.")),
		field("language", text("Language tag.")),
		field("reliability", enum(source.Reliabilities, "How far the source can be relied on; unknown if not given.")).out().defaulted(),
		field("description", textMax("", 20000)),
	}
}

func incidentProps() []prop {
	return []prop{
		field("title", textMax("", 300)).req(),
		field("summary", textMax("", 50000)),
		field("situation_id", recordID("The situation the incident belongs to.")),
		field("case_id", recordID("The case (investigation) the incident belongs to: only the case's members reach it. "+
			"Required when creating or editing through the server, and must be one of the caller's cases; "+
			"absent for an incident of no case, which only the command line reaches.")),
		nested("place", "Place", "Where it happened.").out(),
		nested("date", "Date", "When it happened, with its uncertainty; unknown if not given.").out(),
		field("context", enum(incident.Contexts, "The setting of the incident; unknown if not given.")).out().defaulted(),
		field("status", enum(incident.Statuses, "How far the incident has been monitored; draft if not given.")).out().defaulted(),
		nestedList("acts", "Act", "The violations, in order. An edit replaces them all: keep each act's id to keep it.").out(),
		nestedList("information", "InformationLink", "Which sources told of the incident or of one of its acts."),
	}
}

// partSchemas are the objects records nest, in both variants.
func partSchemas() map[string]func(input bool) obj {
	return map[string]func(bool) obj{
		"PartyName": func(in bool) obj {
			return object("A party's name in one language, or an alias.", in,
				field("lang", text("BCP 47 language tag: en, ar, he, fr …")).req(),
				field("name", textMax("", 300)).req(),
				field("alias", boolean("Whether the name is an alias rather than the party's name in that language.")))
		},
		"Place": func(in bool) obj {
			return object("Where the incident happened.", in,
				field("name", textMax("", 300)),
				field("admin_area", textMax("", 300)),
				field("country", text("ISO 3166-1 alpha-2 code.")),
				field("latitude", with(obj{"type": "number", "minimum": -90, "maximum": 90}, "description", "Give both coordinates or neither.")),
				field("longitude", obj{"type": "number", "minimum": -180, "maximum": 180}),
				field("precision", enum(incident.LocationPrecisions, "How exactly the coordinates place the incident; required with coordinates.")))
		},
		"Date": func(in bool) obj {
			dayOrPart := day("YYYY-MM-DD.")
			if in {
				dayOrPart = with(text("YYYY-MM-DD; for a month or year precision, YYYY-MM or YYYY will do."),
					"pattern", `^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$`)
			}
			return object("A date with its uncertainty: the event happened between start and end inclusive. "+
				"When reading, end is filled from start and the precision.", in,
				field("start", dayOrPart),
				field("end", dayOrPart),
				field("precision", enum(record.DatePrecisions, "How well the date is known. If not given: unknown without dates, range when end differs, else day.")).out().defaulted())
		},
		"Victim": func(in bool) obj {
			return object("Who suffered the act, without identifying them.", in,
				field("code", textMax("Pseudonymous code of one person; empty for a counted group.", 64)),
				field("sex", enum(incident.Sexes, "unknown if not given.")).out().defaulted(),
				field("age_group", enum(incident.AgeGroups, "Age at the time of the act (child: under 18); unknown if not given.")).out().defaulted(),
				field("status", enum(incident.VictimStatuses, "unknown if not given.")).out().defaulted(),
				field("count", obj{"type": "integer", "minimum": 1, "maximum": 1000000, "description": "1 for one person (the default), more for a counted group."}).out().defaulted())
		},
		"Perpetrator": func(in bool) obj {
			return object("Who committed the act: a party or unit, or an unidentified perpetrator described.", in,
				field("party_id", recordID("The party or unit; omit for an unidentified perpetrator.")),
				field("description", textMax("What is known of the perpetrator; required without party_id.", 2000)))
		},
		"Act": func(in bool) obj {
			return object("One violation against one victim or a counted group of victims.", in,
				field("id", recordID("Assigned by the server when not given; send it back to keep the act.")).out(),
				field("violation_type", enum(incident.ViolationTypes, "The kind of act.")).req(),
				field("tags", arrayOf(textMax("", 100), "Other vocabularies' terms for the act (no commas).")),
				nested("victim", "Victim", "").out(),
				nestedList("perpetrators", "Perpetrator", "").out(),
				field("description", textMax("", 20000)))
		},
		"InformationLink": func(in bool) obj {
			return object("A source that told of the incident or of one of its acts.", in,
				field("id", recordID("Assigned by the server when not given.")).out(),
				field("source_id", recordID("The source.")).req(),
				field("act_id", recordID("The act of this incident the information is about, if one.")),
				field("connection", enum(source.Connections, "How the source came to know; unknown if not given.")).out().defaulted(),
				field("reliability", enum(source.Reliabilities, "How reliable this information is; unknown if not given.")).out().defaulted(),
				field("reference", textMax("Page, paragraph or timestamp in the source.", 500)),
				field("notes", textMax("", 5000)))
		},
	}
}

func schemas() obj {
	s := obj{}
	for name, fn := range partSchemas() {
		s[name] = fn(false)
		s[name+"Input"] = fn(true)
	}
	recordSchemas(s, "Situation", "Situation: a country or context the record is organised by.", situationProps())
	recordSchemas(s, "Party", "Party: a State or non-State party, or a unit of one.", partyProps())
	recordSchemas(s, "Source", "Source: who provided information.", sourceProps())
	recordSchemas(s, "Incident", "Incident: one event, its acts and what sources told of it.", incidentProps())

	s["PartyDetail"] = object("A party with where it sits in its organisation and how many incidents are attributed to it.",
		false, append(append(metaProps(), partyProps()...), partyDetailProps()...)...)
	updateDetail := make([]prop, 0, 3)
	for _, p := range partyDetailProps() {
		p.always = false
		updateDetail = append(updateDetail, field(p.name, with(p.schema(false), "description", "Ignored: computed by the server.")))
	}
	s["PartyUpdate"] = object("An edit replacing the whole party. Send it as read (GET), changed; "+
		"fields only the server sets are ignored.", true, append(append(editProps(), partyProps()...), updateDetail...)...)
	s["PartyRef"] = object("A related party.", false,
		field("id", recordID("")).out(),
		field("name", text("")).out(),
		field("abbreviation", text("")),
		field("type", enum(party.Types, "")).out())

	s["IncidentPage"] = object("One page of incidents.", false,
		field("incidents", arrayOf(ref("Incident"), "")).out(),
		field("next", obj{"type": "string", "nullable": true, "description": "Cursor of the next page (pass it as cursor); null on the last page."}).out(),
		field("total", integer("How many incidents match, counted up to 1000.")).out(),
		field("total_capped", boolean("True when more than 1000 match and total stops there.")).out())
	s["PartyPage"] = object("One page of parties, by name.", false,
		field("parties", arrayOf(ref("Party"), "")).out(),
		field("next_offset", obj{"type": "integer", "nullable": true, "description": "Offset of the next page; null on the last page."}).out())
	s["PartyUnits"] = object("Every unit of a party, at any depth, each after its parent.", false,
		field("units", arrayOf(ref("Party"), "")).out())
	s["SituationList"] = object("Every situation, by name.", false, field("situations", arrayOf(ref("Situation"), "")).out())
	s["SourceList"] = object("Every source, most recently published first.", false, field("sources", arrayOf(ref("Source"), "")).out())

	s["Change"] = object("A field that differs from the previous version, by its JSON path (acts[0].victim.age_group).", false,
		field("path", text("")).out(),
		field("old", text("Empty when the field was not set.")).out(),
		field("new", text("Empty when the field was removed.")).out())
	action := enum([]record.Action{record.Created, record.Updated}, "What the write did.")
	s["HistoryEntry"] = object("One revision of a record.", false,
		field("version", integer("")).out(),
		field("action", action).out(),
		field("actor", text("Who wrote it.")).out(),
		field("at", instant("")).out(),
		field("changes", arrayOf(ref("Change"), "What this revision changed; for the first, every field it set.")).out())
	s["History"] = object("Every revision of a record, oldest first.", false,
		field("history", arrayOf(ref("HistoryEntry"), "")).out())
	s["Revision"] = object("One version of a record as it stood.", false,
		field("version", integer("")).out(),
		field("action", action).out(),
		field("actor", text("Who wrote it.")).out(),
		field("at", instant("")).out(),
		field("snapshot", obj{"type": "object", "description": "The record as it stood at this version, in the shape it had then."}).out())

	vocab := obj{}
	var vocabNames []string
	for name, list := range vocabularyList() {
		values := make([]string, len(list))
		for i, t := range list {
			values[i] = t.Value
		}
		props := []prop{field("value", obj{"type": "string", "enum": values}).out()}
		switch name {
		case "violation_types":
			props = append(props, field("family", enum(incident.ViolationTypes, "The UN-definition type it is a form of (itself for those the definition names).")).out())
		case "party_types":
			props = append(props, field("category", enum([]party.Category{party.State, party.NonState, party.Other}, "The annex's heading.")).out())
		}
		vocab[name] = arrayOf(object("", false, props...), "")
		vocabNames = append(vocabNames, name)
	}
	slices.Sort(vocabNames)
	s["Vocabularies"] = obj{"type": "object", "description": "Every closed list of values, in the order forms offer them.",
		"properties": vocab, "required": vocabNames, "additionalProperties": false}

	s["FieldError"] = object("What is wrong with one field or parameter.", false,
		field("field", text("The field's JSON path (acts[1].victim.age_group), query parameter or header.")).out(),
		field("code", text("A stable key: required, not_allowed, invalid_type, unknown_field, read_only, out_of_range …")).out(),
		field("message", text("An English sentence.")).out())
	s["Rejection"] = object("A row an import refused.", false,
		field("file", text("The file (CSV) or section (JSON).")).out(),
		field("row", integer("CSV: the line number, header included. JSON: the record's index.")).out(),
		field("field", text("")),
		field("reason", text("")).out())
	s["Problem"] = object("An error (RFC 9457).", false,
		field("type", text("A URI naming the kind of problem (urn:dossier:problem:…).")).out(),
		field("title", text("")).out(),
		field("status", integer("The HTTP status.")).out(),
		field("detail", text("What went wrong, without any record's contents.")),
		field("errors", arrayOf(ref("FieldError"), "Each field or parameter at fault.")),
		field("rejections", arrayOf(ref("Rejection"), "An import's refused rows.")))
	s["Counts"] = object("Records imported, by kind.", false,
		field("situations", integer("")).out(),
		field("parties", integer("")).out(),
		field("sources", integer("")).out(),
		field("incidents", integer("")).out(),
		field("acts", integer("")).out())
	s["ImportReport"] = object("What an import did.", false,
		field("committed", boolean("Whether anything was stored.")).out(),
		field("imported", ref("Counts")).out(),
		field("rejected", arrayOf(ref("Rejection"), "Rows refused (only with partial=true, when the rest was stored).")).out())
	logSchemas(s)
	evidenceSchemas(s)
	survivorSchemas(s)
	statisticsSchemas(s)
	accountSchemas(s)
	return s
}

// Reusable parameters and responses.

func pathID(noun string) obj {
	return obj{"name": "id", "in": "path", "required": true, "description": "The " + noun + "'s ID.",
		"schema": obj{"type": "string", "format": "uuid"}}
}

func queryParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "description": desc, "schema": schema}
}

func problemResponse(desc string) obj {
	return obj{"description": desc, "content": obj{"application/problem+json": obj{"schema": ref("Problem")}}}
}

func jsonResponse(desc, schema string, headers obj) obj {
	o := obj{"description": desc, "content": obj{"application/json": obj{"schema": ref(schema)}}}
	if headers != nil {
		o["headers"] = headers
	}
	return o
}

func header(desc string, required bool) obj {
	return obj{"description": desc, "required": required, "schema": obj{"type": "string"}}
}

var (
	etagHeader     = header(`The record's version as a weak ETag (W/"3"); send it as If-Match to edit.`, true)
	linkHeader     = header(`The next page: <…>; rel="next". Absent on the last page.`, false)
	locationHeader = header("The new record's URL.", true)
)

func jsonBody(schema string) obj {
	return obj{"required": true, "content": obj{"application/json": obj{"schema": ref(schema)}}}
}

// responses adds the problems every operation may answer with.
func responses(rs obj, problems ...int) obj {
	texts := map[int]string{
		400: "Malformed JSON, a wrong type, an unknown field or a bad query parameter; errors names each.",
		404: "No record has this ID.",
		409: "The record changed since the version the edit started from.",
		413: "The body is too large.",
		415: "The body is not sent with the media type the endpoint takes.",
		422: "The record is not valid; errors names each field.",
	}
	for _, code := range problems {
		rs[strconv.Itoa(code)] = problemResponse(texts[code])
	}
	rs["default"] = problemResponse("Any other error (405 with an Allow header, 500).")
	return rs
}

type kindDoc struct {
	noun, plural, schema string
}

func document() obj {
	paths := obj{}
	kinds := []kindDoc{
		{"incident", "incidents", "Incident"},
		{"party", "parties", "Party"},
		{"situation", "situations", "Situation"},
		{"source", "sources", "Source"},
	}
	for _, k := range kinds {
		title := strings.ToUpper(k.noun[:1]) + k.noun[1:]
		plural := strings.ToUpper(k.plural[:1]) + k.plural[1:]
		read := k.schema
		if k.noun == "party" {
			read = "PartyDetail"
		}
		paths["/"+k.plural+"/{id}"] = obj{
			"parameters": []any{pathID(k.noun)},
			"get": obj{"operationId": "get" + title, "tags": []string{k.plural}, "summary": "Read one " + k.noun + ".",
				"responses": responses(obj{"200": jsonResponse("The "+k.noun+".", read, obj{"ETag": etagHeader})}, 400, 404)},
			"put": obj{"operationId": "update" + title, "tags": []string{k.plural},
				"summary":     "Edit a " + k.noun + ", replacing it whole.",
				"description": `Give the version the edit starts from as "version" in the body or as an If-Match header with the ETag read. A stale version is refused with 409.`,
				"parameters": []any{obj{"name": "If-Match", "in": "header", "description": `The ETag the record was read with (W/"3").`,
					"schema": obj{"type": "string"}}},
				"requestBody": jsonBody(k.schema + "Update"),
				"responses":   responses(obj{"200": jsonResponse("The stored "+k.noun+".", read, obj{"ETag": etagHeader})}, 400, 404, 409, 413, 415, 422)},
		}
		paths["/"+k.plural+"/{id}/history"] = obj{
			"parameters": []any{pathID(k.noun)},
			"get": obj{"operationId": "get" + title + "History", "tags": []string{k.plural},
				"summary":   "Every revision of the " + k.noun + ", with what each changed.",
				"responses": responses(obj{"200": jsonResponse("The revisions, oldest first.", "History", nil)}, 400, 404)},
		}
		paths["/"+k.plural+"/{id}/history/{version}"] = obj{
			"parameters": []any{pathID(k.noun), obj{"name": "version", "in": "path", "required": true,
				"description": "The version.", "schema": obj{"type": "integer", "minimum": 1}}},
			"get": obj{"operationId": "get" + title + "Revision", "tags": []string{k.plural},
				"summary":   "The " + k.noun + " as it stood at one version.",
				"responses": responses(obj{"200": jsonResponse("The revision.", "Revision", nil)}, 400, 404)},
		}
		paths["/"+k.plural] = obj{
			"post": obj{"operationId": "create" + title, "tags": []string{k.plural}, "summary": "Create a " + k.noun + ".",
				"requestBody": jsonBody(k.schema + "Create"),
				"responses": responses(obj{"201": jsonResponse("The stored "+k.noun+".", read,
					obj{"ETag": etagHeader, "Location": locationHeader})}, 400, 413, 415, 422)},
			"get": obj{"operationId": "list" + plural, "tags": []string{k.plural}},
		}
	}

	limit := func(max int) obj {
		return queryParam("limit", "How many per page.", obj{"type": "integer", "minimum": 1, "maximum": max, "default": 50})
	}
	listIncidents := paths["/incidents"].(obj)["get"].(obj)
	listIncidents["summary"] = "List incidents matching filters, a page at a time."
	listIncidents["description"] = "Filters combine with AND. Conditions on acts (party, violation_type, age_group) must hold for the same act. Follow next (or the Link header) for the following page, keeping the other parameters."
	listIncidents["parameters"] = []any{
		queryParam("situation", "Only incidents in this situation.", obj{"type": "string", "format": "uuid"}),
		queryParam("party", "Only incidents with an act attributed to this party or any of its units.", obj{"type": "string", "format": "uuid"}),
		queryParam("violation_type", "Only incidents with an act of this type or one of its sub-forms (rape includes gang_rape).", enum(incident.ViolationTypes, "")),
		queryParam("age_group", "Only incidents with an act against a victim of this age group.", enum(incident.AgeGroups, "")),
		queryParam("from", "Only incidents whose date may fall on or after this day.", obj{"type": "string", "format": "date"}),
		queryParam("to", "Only incidents whose date may fall on or before this day (incidents of unknown date are left out).", obj{"type": "string", "format": "date"}),
		queryParam("status", "Only incidents with this status.", enum(incident.Statuses, "")),
		queryParam("q", "Words in the title, summary or place (any script; Arabic and Hebrew marks are ignored).", obj{"type": "string", "maxLength": 500}),
		queryParam("sort", "Order: by date (-date newest first, the default), by last edit (-updated), by title, or newest entered (-created).",
			with(enum(incident.Sorts, ""), "default", string(incident.NewestFirst))),
		limit(incident.MaxPage),
		queryParam("cursor", "The next value of the previous page.", obj{"type": "string"}),
	}
	listIncidents["responses"] = responses(obj{"200": jsonResponse("One page.", "IncidentPage", obj{"Link": linkHeader})}, 400)

	listParties := paths["/parties"].(obj)["get"].(obj)
	listParties["summary"] = "List parties by name, a page at a time."
	listParties["parameters"] = []any{
		queryParam("q", "Words in any of the party's names, abbreviation or aliases.", obj{"type": "string", "maxLength": 500}),
		queryParam("type", "Only parties of this type.", enum(party.Types, "")),
		queryParam("parent", "Only direct units of this party.", obj{"type": "string", "format": "uuid"}),
		queryParam("top_level", "Only parties that are not a unit of another (not with parent).", obj{"type": "boolean"}),
		limit(maxPartyPage),
		queryParam("offset", "How many to skip.", obj{"type": "integer", "minimum": 0, "default": 0}),
	}
	listParties["responses"] = responses(obj{"200": jsonResponse("One page.", "PartyPage", obj{"Link": linkHeader})}, 400)

	listSituations := paths["/situations"].(obj)["get"].(obj)
	listSituations["summary"] = "List every situation, by name."
	listSituations["responses"] = responses(obj{"200": jsonResponse("Every situation.", "SituationList", nil)}, 400)

	listSources := paths["/sources"].(obj)["get"].(obj)
	listSources["summary"] = "List every source, most recently published first."
	listSources["responses"] = responses(obj{"200": jsonResponse("Every source.", "SourceList", nil)}, 400)

	paths["/parties/{id}/units"] = obj{
		"parameters": []any{pathID("party")},
		"get": obj{"operationId": "getPartyUnits", "tags": []string{"parties"},
			"summary":   "Every unit of the party at any depth, each after its parent.",
			"responses": responses(obj{"200": jsonResponse("The units.", "PartyUnits", nil)}, 400, 404)},
	}
	paths["/vocabularies"] = obj{"get": obj{"operationId": "getVocabularies", "tags": []string{"reference"},
		"summary":   "Every closed list of values a record's fields take, for building forms.",
		"responses": responses(obj{"200": jsonResponse("The vocabularies.", "Vocabularies", nil)}, 400)}}
	paths["/openapi.json"] = obj{"get": obj{"operationId": "getOpenAPI", "tags": []string{"reference"},
		"summary": "This document.",
		"responses": responses(obj{"200": obj{"description": "The OpenAPI document.",
			"content": obj{"application/json": obj{"schema": obj{"type": "object"}}}}}, 400)}}

	format := func(desc string) obj {
		return queryParam("format", desc, obj{"type": "string", "enum": []string{"json", "csv"}})
	}
	paths["/import"] = obj{"post": obj{"operationId": "importRecords", "tags": []string{"transfer"},
		"summary": "Import situations, parties, sources and incidents.",
		"description": "The body is a Dossier JSON document (format=json, application/json), a zip of CSV files " +
			"(format=csv, application/zip) or one CSV file (format=csv, text/csv). Without partial=true, one bad row " +
			"stores nothing; with it, the good rows are stored and the bad ones reported.",
		"parameters": []any{
			format("The body's format; taken from Content-Type when not given."),
			queryParam("partial", "Store the good rows even when some are rejected.", obj{"type": "boolean", "default": false}),
			queryParam("case", "The case (ID) to file imported incidents in when they name none; one of the caller's cases. "+
				"Through the server an incident must belong to one of the caller's cases.", obj{"type": "string", "format": "uuid"}),
		},
		"requestBody": obj{"required": true, "content": obj{
			"application/json": obj{"schema": obj{"type": "object", "description": "A Dossier JSON document (see GET /export?format=json)."}},
			"application/zip":  obj{"schema": obj{"type": "string", "format": "binary", "description": "A zip of the CSV files."}},
			"text/csv":         obj{"schema": obj{"type": "string", "format": "binary", "description": "One CSV file."}},
		}},
		"responses": responses(obj{
			"200": jsonResponse("The import was committed.", "ImportReport", nil),
			"422": problemResponse("Nothing was stored; rejections lists every refused row."),
		}, 400, 413, 415)}}
	paths["/export"] = obj{"get": obj{"operationId": "exportRecords", "tags": []string{"transfer"},
		"summary": "Export the whole record, streamed.",
		"description": "Without `for`, the organisation's own copy of its record, every victim code included. With " +
			"`for`, the export is made for that use of survivors' information: the victim code of every act whose survivor " +
			"has not consented to the use is left empty, and the HTTP trailer Dossier-Withheld says how many.",
		"parameters": []any{format("json (the default): one document; csv: a zip of the CSV files."),
			queryParam("for", "The use the export is made for.", enum(survivor.Uses, ""))},
		"responses": responses(obj{"200": obj{"description": "The export, as an attachment.",
			"headers": obj{"Content-Disposition": header("attachment; filename=…", true)},
			"content": obj{
				"application/json": obj{"schema": obj{"type": "object", "description": "A Dossier JSON document."}},
				"application/zip":  obj{"schema": obj{"type": "string", "format": "binary"}},
			}}}, 400)}}

	logPaths(paths)
	bundlePaths(paths)

	evidencePaths(paths)
	survivorPaths(paths)
	statisticsPaths(paths)
	accountPaths(paths)
	accessPaths(paths)

	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":   "Dossier API",
			"version": "1",
			"description": "The record of conflict-related sexual violence: incidents, the parties acts are attributed to, " +
				"situations and sources, with every revision. Errors are application/problem+json (RFC 9457). " +
				"Conventions — paging, filters, errors, concurrency — are in docs/api.md.",
		},
		"servers": []any{obj{"url": Prefix}},
		"tags": []any{
			obj{"name": "incidents"}, obj{"name": "parties"}, obj{"name": "situations"}, obj{"name": "sources"},
			obj{"name": "reference"}, obj{"name": "transfer"}, obj{"name": "evidence"}, obj{"name": "log"}, obj{"name": "survivors"}, obj{"name": "statistics"},
			obj{"name": "accounts"},
		},
		"paths":      paths,
		"components": obj{"schemas": schemas(), "securitySchemes": securitySchemes()},
		"security":   []any{obj{"bearer": []string{}}, obj{"session": []string{}}},
	}
}
