-- Each case gets a small number, in the order cases were created: the
-- incident list's per-act rows hold it instead of the case's ID, so that
-- their indexes can carry it and stay narrow (see internal/incident/facets.go).

-- +goose Up
ALTER TABLE cases ADD COLUMN number INTEGER;
UPDATE cases SET number = (SELECT n FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM cases) AS r
    WHERE r.id = cases.id);
CREATE UNIQUE INDEX cases_number ON cases (number);

-- +goose Down
DROP INDEX cases_number;
ALTER TABLE cases DROP COLUMN number;
