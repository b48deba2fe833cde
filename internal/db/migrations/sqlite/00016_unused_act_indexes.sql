-- The incident list filters acts by violation and age group through its
-- per-act rows (internal/incident/facets.go), and nothing else looks acts
-- up by either: these two indexes only cost every write, and a bulk import
-- a sort of every act each.

-- +goose Up
DROP INDEX acts_violation;
DROP INDEX acts_age_group;

-- +goose Down
CREATE INDEX acts_violation ON acts (violation_type, incident_id);
CREATE INDEX acts_age_group ON acts (victim_age_group, incident_id);
