-- Survivors: the person behind a pseudonymous victim code. What identifies
-- them (name, contact, residence, identifying details) and what they said
-- (testimony) are sealed: the columns hold ciphertext under the survivor's
-- own data key (00004_seal.sql), never plaintext. In clear are only the
-- code, facts that identify nobody, consent per use, interview logistics and
-- who read what sealed field, when and why. See docs/survivors.md.

-- +goose Up
CREATE TABLE survivors (
    id                   TEXT PRIMARY KEY,
    code                 TEXT NOT NULL,
    sex                  TEXT NOT NULL,
    age_group            TEXT NOT NULL,
    child_at_interview   BOOLEAN NOT NULL DEFAULT FALSE,
    synthetic            BOOLEAN NOT NULL DEFAULT FALSE,
    -- sealed identity: ciphertext, NULL when not recorded
    sealed_name          BYTEA,
    sealed_contact       BYTEA,
    sealed_residence     BYTEA,
    sealed_details       BYTEA,
    -- preferences, shown before any interview
    pref_interviewer_sex TEXT NOT NULL DEFAULT '',
    pref_languages       TEXT NOT NULL DEFAULT '',
    pref_contact_by      TEXT NOT NULL DEFAULT '',
    pref_contact_how     TEXT NOT NULL DEFAULT '',
    pref_no_contact      BOOLEAN NOT NULL DEFAULT FALSE,
    erased_at            TEXT NOT NULL DEFAULT '',
    erasure_reason       TEXT NOT NULL DEFAULT '',
    version              INTEGER NOT NULL,
    created_at           TEXT NOT NULL,
    created_by           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    updated_by           TEXT NOT NULL
);
CREATE UNIQUE INDEX survivors_code ON survivors (code);

-- Consent per use, append-only: a withdrawal is a new entry, the history
-- stays. The current decision for a use is its latest entry by date.
CREATE TABLE survivor_consents (
    id          TEXT PRIMARY KEY,
    survivor_id TEXT NOT NULL REFERENCES survivors (id),
    seq         INTEGER NOT NULL,
    consent_use TEXT NOT NULL,
    decision    TEXT NOT NULL,
    decided_on  TEXT NOT NULL,
    language    TEXT NOT NULL,
    taken_by    TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    audit_index INTEGER NOT NULL
);
CREATE UNIQUE INDEX survivor_consents_order ON survivor_consents (survivor_id, seq);
CREATE INDEX survivor_consents_use ON survivor_consents (survivor_id, consent_use, decided_on, seq);

CREATE TABLE survivor_interviews (
    id               TEXT PRIMARY KEY,
    survivor_id      TEXT NOT NULL REFERENCES survivors (id),
    held_on          TEXT NOT NULL,
    interviewer      TEXT NOT NULL,
    interviewer_sex  TEXT NOT NULL,
    interpreter      TEXT NOT NULL DEFAULT '',
    language         TEXT NOT NULL,
    place            TEXT NOT NULL DEFAULT '',
    child            BOOLEAN NOT NULL DEFAULT FALSE,
    safeguards       TEXT NOT NULL DEFAULT '',
    further_reason   TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    sealed_testimony BYTEA,
    version          INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    updated_by       TEXT NOT NULL
);
CREATE INDEX survivor_interviews_survivor ON survivor_interviews (survivor_id, held_on, id);

-- Blind index of sealed testimony: keyed hashes of its words (seal.IndexTokens).
CREATE TABLE interview_tokens (
    token        TEXT NOT NULL,
    interview_id TEXT NOT NULL REFERENCES survivor_interviews (id) ON DELETE CASCADE,
    PRIMARY KEY (token, interview_id)
);
CREATE INDEX interview_tokens_interview ON interview_tokens (interview_id);

-- Every read of a sealed field: who, when, which fields, the stated purpose,
-- and the audit log entry that vouches for it.
CREATE TABLE sealed_reads (
    id           TEXT PRIMARY KEY,
    survivor_id  TEXT NOT NULL REFERENCES survivors (id),
    interview_id TEXT NOT NULL DEFAULT '',
    fields       TEXT NOT NULL,
    actor        TEXT NOT NULL,
    at           TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    audit_index  INTEGER NOT NULL
);
CREATE INDEX sealed_reads_survivor ON sealed_reads (survivor_id, at);

-- Acts name victims by code: find a survivor's acts without a scan.
CREATE INDEX acts_victim_code ON acts (victim_code) WHERE victim_code <> '';

-- +goose Down
DROP INDEX acts_victim_code;
DROP TABLE sealed_reads;
DROP TABLE interview_tokens;
DROP TABLE survivor_interviews;
DROP TABLE survivor_consents;
DROP TABLE survivors;
