-- Evidence files that identify a survivor — a recording of their testimony, a
-- medical or forensic report, a photograph of them — are sealed with a key of
-- that survivor's own, so that erasing the survivor (crypto-shredding their
-- data key) makes those files unrecoverable too. See docs/sealing.md and
-- docs/evidence.md.

-- +goose Up

-- A subject's streaming key for files, wrapped by the subject's data key
-- (data_keys), not by the key-encryption key: once the data key is destroyed
-- this row cannot be unwrapped, and shredding deletes it as well.
CREATE TABLE subject_blob_keys (
    subject    TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL,
    wrapped    BYTEA NOT NULL,
    created_at TEXT NOT NULL
);

-- The survivor an item's file identifies ('' for none), and when its file was
-- destroyed with the survivor's key ('' while it is held).
ALTER TABLE evidence_items ADD COLUMN survivor_id TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE evidence_items ADD COLUMN shredded_at TEXT NOT NULL DEFAULT '';
CREATE INDEX evidence_items_survivor ON evidence_items (survivor_id) WHERE survivor_id <> '';

-- Stored copies to delete once nothing refers to them: the copy left under
-- the old key when an item moves to a survivor's key, the files of an erased
-- survivor. A row stays until the copy is gone, so an interrupted deletion
-- is taken up again. owner is '' for the deployment's key, else a survivor.
CREATE TABLE evidence_disposals (
    owner     TEXT COLLATE "C" NOT NULL,
    sha256    TEXT COLLATE "C" NOT NULL,
    queued_at TEXT NOT NULL,
    PRIMARY KEY (owner, sha256)
);

-- +goose Down
DROP TABLE evidence_disposals;
DROP INDEX evidence_items_survivor;
ALTER TABLE evidence_items DROP COLUMN shredded_at;
ALTER TABLE evidence_items DROP COLUMN survivor_id;
DROP TABLE subject_blob_keys;
