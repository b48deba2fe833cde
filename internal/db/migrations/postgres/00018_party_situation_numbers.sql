-- Each party and situation gets a small number, in the order they were
-- created, as cases did (00012): the incident list's per-act rows hold it
-- instead of the 36-character ID, which made those rows and their indexes
-- three times wider (see internal/incident/facets.go). Migration 19
-- writes the rows anew with the numbers.

-- +goose Up
ALTER TABLE parties ADD COLUMN number BIGINT;
UPDATE parties SET number = r.n FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM parties) AS r
    WHERE r.id = parties.id;
CREATE UNIQUE INDEX parties_number ON parties (number);
CREATE SEQUENCE party_numbers;
SELECT setval('party_numbers', COALESCE(MAX(number), 0) + 1, false) FROM parties;
ALTER TABLE situations ADD COLUMN number BIGINT;
UPDATE situations SET number = r.n FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM situations) AS r
    WHERE r.id = situations.id;
CREATE UNIQUE INDEX situations_number ON situations (number);
CREATE SEQUENCE situation_numbers;
SELECT setval('situation_numbers', COALESCE(MAX(number), 0) + 1, false) FROM situations;

-- +goose Down
DROP SEQUENCE situation_numbers;
DROP INDEX situations_number;
ALTER TABLE situations DROP COLUMN number;
DROP SEQUENCE party_numbers;
DROP INDEX parties_number;
ALTER TABLE parties DROP COLUMN number;
