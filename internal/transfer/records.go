package transfer

import (
	"fmt"
	"strings"

	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/party"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/situation"
	"github.com/dossier-org/dossier/internal/source"
)

// This file writes records whatever format they were read from: the readers
// turn rows or JSON values into domain records, each with its origin and
// the problems found while reading it.

// describe names where a record was read, for messages that point at it.
func describe(o origin) string {
	file, row, column := o.place("")
	if column != "" {
		return column + " of " + file
	}
	return fmt.Sprintf("%s row %d", file, row)
}

func (im *importer) importSituation(s *situation.Situation, o origin, problems []problem) error {
	prepareMeta(&s.Meta, &problems)
	r, dup := im.situations.add(s.ID, describe(o), strings.TrimSpace(s.Name))
	if dup != "" {
		problems = append(problems, problem{"id", "the same ID is used by " + dup})
	}
	if len(problems) == 0 {
		var err error
		if problems, err = im.write(func() error { return situation.Insert(im.ctx, im.tx, s) }); err != nil {
			return err
		}
	} else {
		s.Normalize()
		problems = merge(problems, s.Validate())
	}
	if len(problems) > 0 {
		if dup == "" {
			r.rejected = true
		}
		im.reject(o, problems)
		return nil
	}
	im.imported.Situations++
	return nil
}

func (im *importer) importSource(s *source.Source, o origin, problems []problem) error {
	prepareMeta(&s.Meta, &problems)
	r, dup := im.sources.add(s.ID, describe(o), strings.TrimSpace(s.Title))
	if dup != "" {
		problems = append(problems, problem{"id", "the same ID is used by " + dup})
	}
	if len(problems) == 0 {
		var err error
		if problems, err = im.write(func() error { return source.Insert(im.ctx, im.tx, s) }); err != nil {
			return err
		}
	} else {
		s.Normalize()
		problems = merge(problems, s.Validate())
	}
	if len(problems) > 0 {
		if dup == "" {
			r.rejected = true
		}
		im.reject(o, problems)
		return nil
	}
	im.imported.Sources++
	return nil
}

// partyEntry is a party read from the file, waiting for its parent.
type partyEntry struct {
	p        party.Party
	o        origin
	problems []problem
	ref      *ref
	dup      bool // another party of the file has its ID
	done     bool
}

// registerParties makes the file's parties known by ID and name before any
// is written, so that a unit may come before its parent in the file.
func (im *importer) registerParties(entries []*partyEntry) {
	for _, e := range entries {
		prepareMeta(&e.p.Meta, &e.problems)
		for i, n := range e.p.Names {
			if strings.TrimSpace(n.Lang) == "" && strings.TrimSpace(n.Text) == "" {
				// Normalize would drop it without a word.
				e.problems = append(e.problems, problem{index("names", i) + ".name", "is required"})
			}
		}
		r, dup := im.parties.add(e.p.ID, describe(e.o), partyNames(&e.p)...)
		e.ref = r
		if dup != "" {
			e.dup = true
			e.problems = append(e.problems, problem{"id", "the same ID is used by " + dup})
		}
	}
}

// importParties writes parties parents first (a topological order that
// otherwise keeps the file's order); parties in a cycle are rejected.
func (im *importer) importParties(entries []*partyEntry) error {
	byID := map[string]*partyEntry{}
	for _, e := range entries {
		if !e.dup {
			byID[e.p.ID] = e
		}
		parent, why, err := im.parties.resolve(e.p.ParentID)
		if err != nil {
			return err
		}
		e.p.ParentID = parent
		if why != "" {
			e.problems = append(e.problems, problem{"parent_id", why})
		}
	}
	waiting := map[string][]*partyEntry{} // parent ID → units read before it
	var process func(e *partyEntry) error
	process = func(e *partyEntry) error {
		e.done = true
		if err := im.tick(); err != nil {
			return err
		}
		if err := im.writeParty(e); err != nil {
			return err
		}
		units := waiting[e.p.ID]
		delete(waiting, e.p.ID)
		for _, u := range units {
			if !u.done {
				if err := process(u); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, e := range entries {
		if e.done {
			continue
		}
		if parent, inFile := byID[e.p.ParentID]; inFile && !parent.done {
			waiting[parent.p.ID] = append(waiting[parent.p.ID], e)
			continue
		}
		if err := process(e); err != nil {
			return err
		}
	}
	// What still waits is in a cycle of parents, or under one.
	for _, e := range entries {
		if e.done {
			continue
		}
		e.done = true
		chain := []string{e.p.Name}
		cycle := false
		seen := map[string]bool{e.p.ID: true}
		for p := byID[e.p.ParentID]; p != nil; p = byID[p.p.ParentID] {
			chain = append(chain, p.p.Name)
			if p.p.ID == e.p.ID {
				cycle = true
				break
			}
			if seen[p.p.ID] {
				break
			}
			seen[p.p.ID] = true
		}
		why := "is under a cycle of parents: " + strings.Join(chain, " → ")
		if cycle {
			why = "the parents form a cycle: " + strings.Join(chain, " → ")
		}
		e.problems = append(e.problems, problem{"parent_id", why})
		if !e.dup {
			e.ref.rejected = true
		}
		im.reject(e.o, e.problems)
	}
	return nil
}

func (im *importer) writeParty(e *partyEntry) error {
	problems := e.problems
	if parent, ok := im.parties.byID[e.p.ParentID]; ok && parent.rejected && !hasField(problems, "parent_id") {
		problems = append(problems, problem{"parent_id", fmt.Sprintf("its parent, party %s (%s), was rejected", parent.id, parent.where)})
	}
	if len(problems) == 0 {
		var err error
		if problems, err = im.write(func() error { return party.Insert(im.ctx, im.tx, &e.p) }); err != nil {
			return err
		}
	} else {
		e.p.Normalize()
		problems = merge(problems, e.p.Validate())
	}
	if len(problems) > 0 {
		if !e.dup {
			e.ref.rejected = true
		}
		im.reject(e.o, problems)
		return nil
	}
	im.imported.Parties++
	return nil
}

// importIncident writes one incident with its acts and links, or rejects
// it whole.
func (im *importer) importIncident(in *incident.Incident, o origin, problems []problem) error {
	if err := im.tick(); err != nil {
		return err
	}
	prepareMeta(&in.Meta, &problems)
	resolve := func(ix *refIndex, value *string, field string) error {
		id, why, err := ix.resolve(*value)
		if err != nil {
			return err
		}
		if why != "" {
			problems = append(problems, problem{field, why})
			return nil
		}
		*value = id
		return nil
	}
	if err := resolve(im.situations, &in.SituationID, "situation_id"); err != nil {
		return err
	}
	for i := range in.Acts {
		a := &in.Acts[i]
		checkID(&a.ID, index("acts", i)+".id", &problems)
		for j := range a.Perpetrators {
			if err := resolve(im.parties, &a.Perpetrators[j].PartyID, index("acts", i)+"."+index("perpetrators", j)+".party_id"); err != nil {
				return err
			}
		}
	}
	for i := range in.Information {
		l := &in.Information[i]
		checkID(&l.ID, index("information", i)+".id", &problems)
		checkID(&l.ActID, index("information", i)+".act_id", &problems)
		if err := resolve(im.sources, &l.SourceID, index("information", i)+".source_id"); err != nil {
			return err
		}
	}
	in.Normalize()
	if len(problems) > 0 {
		im.reject(o, merge(problems, in.Validate()))
		return nil
	}
	if err := in.Validate(); err != nil {
		im.reject(o, validation(err))
		return nil
	}
	im.pending = append(im.pending, pendingIncident{in, o})
	if len(im.pending) >= incidentBatch {
		return im.flushIncidents()
	}
	return nil
}

// incidentBatch is how many incidents share a savepoint. On SQLite a
// savepoint copies every page it changes: one per incident slowed an import
// by a third, and batches of thousands make each statement pay for a
// longer journal; from 32 to 256 they measure alike (BenchmarkImportCSV).
const incidentBatch = 64

// pendingIncident is a valid incident waiting to be written with its batch.
type pendingIncident struct {
	in *incident.Incident
	o  origin
}

// flushIncidents writes the waiting incidents in one savepoint. When the
// database refuses one (a duplicate ID, a reference to a missing record),
// the batch is undone and written again one incident at a time, each in a
// savepoint of its own, so that exactly the refused ones are rejected.
func (im *importer) flushIncidents() error {
	batch := im.pending
	im.pending = im.pending[:0]
	if len(batch) == 0 {
		return nil
	}
	// On PostgreSQL the batch's rows are sent together (Tx.Pipeline); the
	// one-by-one retry below runs without, so that each refusal is put
	// down to its row and field.
	err := im.tx.Savepoint(im.ctx, func() error {
		return im.tx.Pipeline(im.ctx, func() error {
			for _, p := range batch {
				if err := incident.Insert(im.ctx, im.tx, p.in); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err == nil {
		for _, p := range batch {
			im.imported.Incidents++
			im.imported.Acts += len(p.in.Acts)
		}
		return nil
	}
	if _, ok := record.AsErrors(err); !ok && !rowError(err) {
		return err
	}
	if err := im.releaseSavepoint(); err != nil {
		return err
	}
	for _, p := range batch {
		problems, err := im.write(func() error { return incident.Insert(im.ctx, im.tx, p.in) })
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			im.reject(p.o, problems)
			continue
		}
		im.imported.Incidents++
		im.imported.Acts += len(p.in.Acts)
	}
	return nil
}
