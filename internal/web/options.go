package web

import (
	"context"
	"errors"
	"strings"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
)

// option is one choice of a <select>.
type option struct {
	Value string
	Label string
}

// indent marks a unit under its party, or a sub-type under its family, in a
// <select>, where nothing but text can show the hierarchy.
func indent(depth int) string {
	if depth == 0 {
		return ""
	}
	return strings.Repeat("\u2003", depth-1) + "\u2003– "
}

// partyTree is every party ordered as a tree: each party followed by its
// units, by name at every level.
type partyTree struct {
	all      []party.Party
	byID     map[string]*party.Party
	children map[string][]*party.Party
}

func (h *handler) partyTree(ctx context.Context) (*partyTree, error) {
	all, err := h.app.Parties.List(ctx, party.Filter{})
	if err != nil {
		return nil, err
	}
	t := &partyTree{all: all, byID: map[string]*party.Party{}, children: map[string][]*party.Party{}}
	for i := range all {
		t.byID[all[i].ID] = &all[i]
	}
	for i := range all {
		p := &all[i]
		parent := p.ParentID
		if _, ok := t.byID[parent]; !ok {
			parent = ""
		}
		t.children[parent] = append(t.children[parent], p)
	}
	return t, nil
}

// walk visits the tree depth first, skipping the subtree rooted at skip.
func (t *partyTree) walk(skip string, fn func(p *party.Party, depth int)) {
	seen := map[string]bool{}
	var visit func(parent string, depth int)
	visit = func(parent string, depth int) {
		for _, p := range t.children[parent] {
			if p.ID == skip || seen[p.ID] {
				continue
			}
			seen[p.ID] = true
			fn(p, depth)
			visit(p.ID, depth+1)
		}
	}
	visit("", 0)
}

// options lists the parties for a <select>, named in the interface language.
func (t *partyTree) options(l *localizer, skip string) []option {
	var out []option
	t.walk(skip, func(p *party.Party, depth int) {
		label := p.NameIn(l.lang.Code)
		if p.Abbreviation != "" && p.Abbreviation != label {
			label += " (" + p.Abbreviation + ")"
		}
		out = append(out, option{Value: p.ID, Label: indent(depth) + label})
	})
	return out
}

// violationOptions lists the violation types with each family's forms
// indented under it.
func violationOptions(l *localizer) []option {
	var out []option
	for _, v := range incident.ViolationTypes {
		if v.Family() != v {
			continue
		}
		out = append(out, option{Value: string(v), Label: l.Enum("violation_type", v)})
		for _, form := range incident.ViolationTypes {
			if form != v && form.Family() == v {
				out = append(out, option{Value: string(form), Label: indent(1) + l.Enum("violation_type", form)})
			}
		}
	}
	return out
}

// enumOptions lists an enumeration's values, labelled.
func enumOptions[T ~string](l *localizer, kind string, values []T) []option {
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{Value: string(v), Label: l.Enum(kind, v)}
	}
	return out
}

func (h *handler) situationOptions(ctx context.Context) ([]option, map[string]string, error) {
	sits, err := h.app.Situations.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := make([]option, len(sits))
	names := make(map[string]string, len(sits))
	for i, s := range sits {
		out[i] = option{Value: s.ID, Label: s.Name}
		names[s.ID] = s.Name
	}
	return out, names, nil
}

func (h *handler) sourceOptions(ctx context.Context) ([]option, error) {
	srcs, err := h.app.Sources.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]option, len(srcs))
	for i, s := range srcs {
		label := s.Title
		if s.DocumentSymbol != "" {
			label = s.DocumentSymbol + " — " + label
		}
		out[i] = option{Value: s.ID, Label: label}
	}
	return out, nil
}

// sourceTitles names the sources an incident links to.
func (h *handler) sourceTitles(ctx context.Context, ids []string) (map[string]*source.Source, error) {
	out := map[string]*source.Source{}
	for _, id := range ids {
		if _, done := out[id]; done || id == "" {
			continue
		}
		s, err := h.app.Sources.Get(ctx, id)
		if errors.Is(err, db.ErrNotFound) {
			continue // shown by its ID
		}
		if err != nil {
			return nil, err
		}
		out[id] = s
	}
	return out, nil
}

// situationNames maps situation IDs to names for lists of incidents.
func (h *handler) situationNames(ctx context.Context) (map[string]*situation.Situation, error) {
	sits, err := h.app.Situations.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*situation.Situation, len(sits))
	for i := range sits {
		out[sits[i].ID] = &sits[i]
	}
	return out, nil
}
