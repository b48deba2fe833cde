-- Sealed fields: the keys behind them. Key-encryption keys (KEKs) live outside
-- the database; here are only their names, where to find them, and the data
-- keys they wrap. See docs/sealing.md.

-- +goose Up
CREATE TABLE seal_keks (
    id         TEXT PRIMARY KEY,
    uri        TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    retired_at TEXT
);

-- One data key per subject (a survivor). A shredded subject keeps its row,
-- without the key, so nothing is sealed for it again.
CREATE TABLE data_keys (
    subject     TEXT PRIMARY KEY,
    key_id      TEXT NOT NULL,
    wrapped     BLOB,
    kek_id      TEXT REFERENCES seal_keks (id),
    created_at  TEXT NOT NULL,
    shredded_at TEXT,
    CHECK ((wrapped IS NULL) = (shredded_at IS NOT NULL))
);
CREATE INDEX data_keys_kek ON data_keys (kek_id) WHERE wrapped IS NOT NULL;

-- Keys of the whole deployment: the blind index, blob names, blob contents.
CREATE TABLE deployment_keys (
    purpose    TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL,
    wrapped    BLOB NOT NULL,
    kek_id     TEXT NOT NULL REFERENCES seal_keks (id),
    created_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE deployment_keys;
DROP TABLE data_keys;
DROP TABLE seal_keks;
