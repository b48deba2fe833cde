-- The evidence vault: evidence items (files held by content hash in the blob
-- store, with what is asserted and what was extracted about them), their
-- links to incidents, acts and later other records, and the chain of custody
-- of each item, which is only ever appended to.

-- +goose Up
CREATE TABLE evidence_items (
    id                   TEXT COLLATE "C" PRIMARY KEY,
    blob_sha256          TEXT COLLATE "C" NOT NULL,
    blob_size            BIGINT NOT NULL,
    filename             TEXT NOT NULL,
    media_type           TEXT NOT NULL,
    type                 TEXT NOT NULL,
    categories           TEXT NOT NULL DEFAULT '',
    description          TEXT NOT NULL DEFAULT '',
    language             TEXT NOT NULL DEFAULT '',
    captured_by          TEXT NOT NULL DEFAULT '',
    capture_date_start   TEXT COLLATE "C" NOT NULL DEFAULT '',
    capture_date_end     TEXT COLLATE "C" NOT NULL DEFAULT '',
    capture_precision    TEXT NOT NULL DEFAULT '',
    captured_at          TEXT COLLATE "C" NOT NULL DEFAULT '',
    capture_place        TEXT NOT NULL DEFAULT '',
    capture_latitude     DOUBLE PRECISION,
    capture_longitude    DOUBLE PRECISION,
    capture_device       TEXT NOT NULL DEFAULT '',
    -- The open-source capture, when there is one (Berkeley Protocol: URL,
    -- HTML source, full-page capture, date and time, hash; tool and version).
    os_url               TEXT,
    os_html_sha256       TEXT COLLATE "C" NOT NULL DEFAULT '',
    os_html_size         BIGINT NOT NULL DEFAULT 0,
    os_full_page_sha256  TEXT COLLATE "C" NOT NULL DEFAULT '',
    os_full_page_size    BIGINT NOT NULL DEFAULT 0,
    os_captured_at       TEXT COLLATE "C" NOT NULL DEFAULT '',
    os_hash              TEXT NOT NULL DEFAULT '',
    os_tool              TEXT NOT NULL DEFAULT '',
    os_tool_version      TEXT NOT NULL DEFAULT '',
    -- What was read from the file itself on ingest, as JSON: shown as
    -- extracted, never merged with what people assert.
    extracted            TEXT NOT NULL DEFAULT '',
    thumbnail_sha256     TEXT COLLATE "C" NOT NULL DEFAULT '',
    thumbnail_size       BIGINT NOT NULL DEFAULT 0,
    version              INTEGER NOT NULL,
    created_at           TEXT COLLATE "C" NOT NULL,
    created_by           TEXT NOT NULL,
    updated_at           TEXT COLLATE "C" NOT NULL,
    updated_by           TEXT NOT NULL
);
CREATE INDEX evidence_items_blob ON evidence_items (blob_sha256);
CREATE INDEX evidence_items_created ON evidence_items (created_at, id);

-- A link says the item bears on another record, named by kind and ID, so
-- that new kinds (attribution claims) link without a new table.
CREATE TABLE evidence_links (
    evidence_id TEXT COLLATE "C" NOT NULL REFERENCES evidence_items (id),
    seq         INTEGER NOT NULL,
    target_kind TEXT NOT NULL,
    target_id   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (evidence_id, seq)
);
CREATE INDEX evidence_links_target ON evidence_links (target_kind, target_id, evidence_id);

CREATE TABLE custody_events (
    id           TEXT COLLATE "C" PRIMARY KEY,
    evidence_id  TEXT COLLATE "C" NOT NULL REFERENCES evidence_items (id),
    kind         TEXT NOT NULL,
    performed_by TEXT NOT NULL,
    recipient    TEXT NOT NULL DEFAULT '',
    at           TEXT COLLATE "C" NOT NULL,
    place        TEXT NOT NULL DEFAULT '',
    purpose      TEXT NOT NULL DEFAULT '',
    sha256       TEXT NOT NULL DEFAULT '',
    hash_source  TEXT NOT NULL DEFAULT '',
    notes        TEXT NOT NULL DEFAULT '',
    recorded_at  TEXT COLLATE "C" NOT NULL,
    recorded_by  TEXT NOT NULL,
    audit_index  BIGINT NOT NULL
);
CREATE INDEX custody_events_item ON custody_events (evidence_id, at, id);

-- The chain of custody is append-only: an event recorded wrongly is
-- corrected by another event, never by changing or removing it.
-- +goose StatementBegin
CREATE FUNCTION custody_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'custody events are append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER custody_events_no_change BEFORE UPDATE OR DELETE ON custody_events
    FOR EACH ROW EXECUTE FUNCTION custody_events_append_only();

-- +goose Down
DROP TRIGGER custody_events_no_change ON custody_events;
DROP FUNCTION custody_events_append_only();
DROP TABLE custody_events;
DROP TABLE evidence_links;
DROP TABLE evidence_items;
