-- Need-to-know: every incident belongs to a case (an investigation such as
-- "7 October 2023" or "Darfur 2023"), and a user reaches only the incidents
-- of the cases they are a member of (00005_account.sql). Acts, information
-- links, evidence linked to an incident and its history follow the
-- incident. An incident of no case (NULL: recorded before cases existed,
-- or imported on the command line without one) is reached by nobody
-- through the server until it is assigned; docs/threat-model.md says why.

-- +goose Up
ALTER TABLE incidents ADD COLUMN case_id TEXT COLLATE "C" REFERENCES cases (id);
CREATE INDEX incidents_case_date ON incidents (case_id, date_start, id);

-- +goose Down
DROP INDEX incidents_case_date;
ALTER TABLE incidents DROP COLUMN case_id;
