package api

import "github.com/dossier-org/dossier/internal/stats"

// The statistics part of the OpenAPI document.

func statisticsSchemas(s obj) {
	count := obj{"oneOf": []any{
		obj{"type": "integer", "minimum": 0},
		obj{"type": "string", "description": `"<5" (fewer than the threshold) or "x" (withheld so that a small count cannot be worked out).`},
	}}
	s["Statistics"] = object("Acts counted by two dimensions, published under disclosure control (docs/disclosure.md).", false,
		field("row_dimension", enum(stats.Dimensions, "What the rows are.")).out(),
		field("rows", arrayOf(text(""), "The rows' values: vocabulary codes, years, or situation IDs (named in labels); "+
			"none and unknown for acts a dimension cannot place.")).out(),
		field("column_dimension", enum(stats.Dimensions, "What the columns are.")).out(),
		field("columns", arrayOf(text(""), "The columns' values.")).out(),
		field("cells", arrayOf(arrayOf(count, ""), "cells[i][j] counts the acts of rows[i] and columns[j].")).out(),
		field("row_totals", arrayOf(count, "")).out(),
		field("column_totals", arrayOf(count, "")).out(),
		field("total", count).out(),
		field("threshold", integer("The smallest count shown.")).out(),
		field("zeros_suppressed", boolean("Whether zeros are suppressed too.")).out(),
		field("legend", obj{"type": "object", "additionalProperties": obj{"type": "string"},
			"description": "What each marker means."}).out(),
		field("left_out", object("Acts left out because their survivor has not consented to anonymised statistics.", false,
			field("some", boolean("Whether any act was left out.")).out(),
			field("about", integer("How many, rounded to the nearest multiple of the threshold; absent when fewer than the threshold.")))).out(),
		field("labels", obj{"type": "object", "additionalProperties": obj{"type": "string"},
			"description": "The name of each situation ID among rows or columns."}).out())
}

func statisticsPaths(paths obj) {
	paths["/statistics"] = obj{"get": obj{"operationId": "getStatistics", "tags": []string{"statistics"},
		"summary": "Count the acts of the caller's cases by two dimensions, under disclosure control.",
		"description": "Counts from 1 to threshold-1 are shown as \"<5\", and further counts as \"x\" until none can be " +
			"worked out (docs/disclosure.md). Acts of a counted group count as its number of victims. Acts whose survivor has " +
			"not consented to anonymised statistics are left out; left_out says so without a small number. Years are those " +
			"of incidents dated to the year or finer; others are unknown. Needs aggregates:read.",
		"parameters": []any{
			with(queryParam("rows", "The dimension of the rows.", enum(stats.Dimensions, "")), "required", true),
			with(queryParam("cols", "The dimension of the columns; not the same as rows.", enum(stats.Dimensions, "")), "required", true),
			queryParam("situation", "Only acts of incidents in this situation.", obj{"type": "string", "format": "uuid"}),
			queryParam("threshold", "The smallest count shown.", obj{"type": "integer", "minimum": 3, "maximum": 1000, "default": 5}),
			queryParam("format", "json (the default) or csv.", obj{"type": "string", "enum": []string{"json", "csv"}}),
		},
		"responses": responses(obj{"200": obj{"description": "The published table.",
			"content": obj{
				"application/json": obj{"schema": ref("Statistics")},
				"text/csv":         obj{"schema": obj{"type": "string"}},
			}},
			"422": problemResponse("No amount of suppression makes the table safe, or a dimension has too many values."),
		}, 400)}}
}
