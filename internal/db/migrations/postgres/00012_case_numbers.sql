-- Each case gets a small number, in the order cases were created: the
-- incident list's per-act rows hold it instead of the case's ID, so that
-- their indexes can carry it and stay narrow (see internal/incident/facets.go).

-- +goose Up
ALTER TABLE cases ADD COLUMN number BIGINT;
UPDATE cases SET number = r.n FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM cases) AS r
    WHERE r.id = cases.id;
CREATE UNIQUE INDEX cases_number ON cases (number);
CREATE SEQUENCE case_numbers;
SELECT setval('case_numbers', COALESCE(MAX(number), 0) + 1, false) FROM cases;

-- +goose Down
DROP SEQUENCE case_numbers;
DROP INDEX cases_number;
ALTER TABLE cases DROP COLUMN number;
