package transfer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
)

// refIndex resolves references to one kind of record (situations, parties
// or sources) made by ID or, in hand-made files, by exact name, against the
// records of the file being imported and those already stored. It holds only
// the small kinds, never incidents.
type refIndex struct {
	noun   string
	load   func() ([]named, error) // the records already stored
	loaded bool
	byName map[string][]*ref
	byID   map[string]*ref // the file's records
}

// ref is one record that a name may refer to.
type ref struct {
	id       string
	where    string // "parties.csv row 4"; empty for a stored record
	rejected bool
}

// named is a stored record with the names it may be referred to by.
type named struct {
	id    string
	names []string
}

func newRefIndex(noun string, load func() ([]named, error)) *refIndex {
	return &refIndex{noun: noun, load: load, byName: map[string][]*ref{}, byID: map[string]*ref{}}
}

// add registers a record of the file. It returns where an earlier record of
// the file with the same ID was read, if any.
func (ix *refIndex) add(id, where string, names ...string) (r *ref, duplicateOf string) {
	if prev, ok := ix.byID[id]; ok {
		return prev, prev.where
	}
	r = &ref{id: id, where: where}
	ix.byID[id] = r
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(ix.byName[n], r) {
			ix.byName[n] = append(ix.byName[n], r)
		}
	}
	return r, ""
}

// prefetch reads the stored records now, for an import that must not read
// outside its transaction once it has begun (Options.Alone).
func (ix *refIndex) prefetch() error {
	stored, err := ix.load()
	if err != nil {
		return err
	}
	ix.load = func() ([]named, error) { return stored, nil }
	return nil
}

// resolve turns a reference into an ID, or says why it cannot.
func (ix *refIndex) resolve(value string) (id string, problem string, err error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return "", "", nil
	}
	if record.ValidID(value) {
		id = strings.ToLower(value)
		if r, ok := ix.byID[id]; ok && r.rejected {
			return "", fmt.Sprintf("%s %s (%s) was rejected", ix.noun, id, r.where), nil
		}
		// Whether a stored record has this ID is checked when writing.
		return id, "", nil
	}
	if !ix.loaded {
		stored, err := ix.load()
		if err != nil {
			return "", "", err
		}
		for _, s := range stored {
			if _, inFile := ix.byID[s.id]; inFile {
				continue // the file's record of the same ID is rejected as a duplicate
			}
			r := &ref{id: s.id}
			for _, n := range s.names {
				if n != "" && !slices.Contains(ix.byName[n], r) {
					ix.byName[n] = append(ix.byName[n], r)
				}
			}
		}
		ix.loaded = true
	}
	var found []*ref
	for _, r := range ix.byName[value] {
		if !slices.ContainsFunc(found, func(f *ref) bool { return f.id == r.id }) {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Sprintf("no %s has the ID or exact name %q", ix.noun, value), nil
	case 1:
		if found[0].rejected {
			return "", fmt.Sprintf("%s %q (%s) was rejected", ix.noun, value, found[0].where), nil
		}
		return found[0].id, "", nil
	}
	places := make([]string, len(found))
	for i, r := range found {
		if r.where != "" {
			places[i] = r.id + " in " + r.where
		} else {
			places[i] = r.id + " already stored"
		}
	}
	return "", fmt.Sprintf("%q is ambiguous: %d %s records have that name (%s); use the ID", value, len(found), ix.noun,
		strings.Join(places, ", ")), nil
}

func (im *importer) storeSituations() ([]named, error) {
	list, err := im.a.Situations.List(im.ctx)
	if err != nil {
		return nil, err
	}
	out := make([]named, len(list))
	for i, s := range list {
		out[i] = named{id: s.ID, names: []string{s.Name}}
	}
	return out, nil
}

func (im *importer) storeParties() ([]named, error) {
	list, err := im.a.Parties.List(im.ctx, party.Filter{})
	if err != nil {
		return nil, err
	}
	out := make([]named, len(list))
	for i, p := range list {
		out[i] = named{id: p.ID, names: partyNames(&p)}
	}
	return out, nil
}

func (im *importer) storeSources() ([]named, error) {
	list, err := im.a.Sources.List(im.ctx)
	if err != nil {
		return nil, err
	}
	out := make([]named, len(list))
	for i, s := range list {
		out[i] = named{id: s.ID, names: []string{s.Title}}
	}
	return out, nil
}

// partyNames are the names a party may be referred to by: its name, its
// abbreviation and any of its other names and aliases.
func partyNames(p *party.Party) []string {
	names := []string{p.Name, p.Abbreviation}
	for _, n := range p.Names {
		names = append(names, n.Text)
	}
	return names
}
