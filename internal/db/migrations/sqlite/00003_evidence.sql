-- The evidence vault: evidence items (files held by content hash in the blob
-- store, with what is asserted and what was extracted about them), their
-- links to incidents, acts and later other records, and the chain of custody
-- of each item, which is only ever appended to.

-- +goose Up
CREATE TABLE evidence_items (
    id                   TEXT PRIMARY KEY,
    blob_sha256          TEXT NOT NULL,
    blob_size            INTEGER NOT NULL,
    filename             TEXT NOT NULL,
    media_type           TEXT NOT NULL,
    type                 TEXT NOT NULL,
    categories           TEXT NOT NULL DEFAULT '',
    description          TEXT NOT NULL DEFAULT '',
    language             TEXT NOT NULL DEFAULT '',
    captured_by          TEXT NOT NULL DEFAULT '',
    capture_date_start   TEXT NOT NULL DEFAULT '',
    capture_date_end     TEXT NOT NULL DEFAULT '',
    capture_precision    TEXT NOT NULL DEFAULT '',
    captured_at          TEXT NOT NULL DEFAULT '',
    capture_place        TEXT NOT NULL DEFAULT '',
    capture_latitude     REAL,
    capture_longitude    REAL,
    capture_device       TEXT NOT NULL DEFAULT '',
    -- The open-source capture, when there is one (Berkeley Protocol: URL,
    -- HTML source, full-page capture, date and time, hash; tool and version).
    os_url               TEXT,
    os_html_sha256       TEXT NOT NULL DEFAULT '',
    os_html_size         INTEGER NOT NULL DEFAULT 0,
    os_full_page_sha256  TEXT NOT NULL DEFAULT '',
    os_full_page_size    INTEGER NOT NULL DEFAULT 0,
    os_captured_at       TEXT NOT NULL DEFAULT '',
    os_hash              TEXT NOT NULL DEFAULT '',
    os_tool              TEXT NOT NULL DEFAULT '',
    os_tool_version      TEXT NOT NULL DEFAULT '',
    -- What was read from the file itself on ingest, as JSON: shown as
    -- extracted, never merged with what people assert.
    extracted            TEXT NOT NULL DEFAULT '',
    thumbnail_sha256     TEXT NOT NULL DEFAULT '',
    thumbnail_size       INTEGER NOT NULL DEFAULT 0,
    version              INTEGER NOT NULL,
    created_at           TEXT NOT NULL,
    created_by           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    updated_by           TEXT NOT NULL
) STRICT;
CREATE INDEX evidence_items_blob ON evidence_items (blob_sha256);
CREATE INDEX evidence_items_created ON evidence_items (created_at, id);

-- A link says the item bears on another record, named by kind and ID, so
-- that new kinds (attribution claims) link without a new table.
CREATE TABLE evidence_links (
    evidence_id TEXT NOT NULL REFERENCES evidence_items (id),
    seq         INTEGER NOT NULL,
    target_kind TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    PRIMARY KEY (evidence_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX evidence_links_target ON evidence_links (target_kind, target_id, evidence_id);

CREATE TABLE custody_events (
    id           TEXT PRIMARY KEY,
    evidence_id  TEXT NOT NULL REFERENCES evidence_items (id),
    kind         TEXT NOT NULL,
    performed_by TEXT NOT NULL,
    recipient    TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL,
    place        TEXT NOT NULL DEFAULT '',
    purpose      TEXT NOT NULL DEFAULT '',
    sha256       TEXT NOT NULL DEFAULT '',
    hash_source  TEXT NOT NULL DEFAULT '',
    notes        TEXT NOT NULL DEFAULT '',
    recorded_at  TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    audit_index  INTEGER NOT NULL
) STRICT;
CREATE INDEX custody_events_item ON custody_events (evidence_id, at, id);

-- The chain of custody is append-only: an event recorded wrongly is
-- corrected by another event, never by changing or removing it.
-- +goose StatementBegin
CREATE TRIGGER custody_events_no_update BEFORE UPDATE ON custody_events
BEGIN
    SELECT RAISE(ABORT, 'custody events are append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER custody_events_no_delete BEFORE DELETE ON custody_events
BEGIN
    SELECT RAISE(ABORT, 'custody events are append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER custody_events_no_delete;
DROP TRIGGER custody_events_no_update;
DROP TABLE custody_events;
DROP TABLE evidence_links;
DROP TABLE evidence_items;
