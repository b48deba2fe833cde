-- The audit log: every write, as a leaf of an RFC 6962 Merkle tree, with the
-- tree's head, the stored interior nodes, the signed checkpoints and the
-- witnesses they are published to.

-- +goose Up
CREATE TABLE audit_log (
    idx       BIGINT PRIMARY KEY,
    -- The entry exactly as hashed into the leaf; the columns beside it are
    -- copies for lookup, checked against it by verification.
    entry     TEXT NOT NULL,
    leaf_hash BYTEA NOT NULL,
    kind      TEXT NOT NULL,
    subject   TEXT COLLATE "C" NOT NULL,
    version   BIGINT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject, idx);

-- Interior nodes of perfect subtrees from level 8 (256 leaves) up; lower
-- nodes are cheaper to rehash from the leaves than to store.
CREATE TABLE audit_nodes (
    level BIGINT NOT NULL,
    idx   BIGINT NOT NULL,
    hash  BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);

-- The head: tree size and the compact range of the whole tree, so appending
-- needs no other read.
CREATE TABLE audit_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    size       BIGINT NOT NULL,
    range_hashes BYTEA NOT NULL
);
INSERT INTO audit_head (id, size, range_hashes) VALUES (1, 0, ''::bytea);

CREATE TABLE audit_checkpoints (
    size      BIGINT PRIMARY KEY,
    root_hash BYTEA NOT NULL,
    note      TEXT NOT NULL,
    issued_at TEXT NOT NULL
);

CREATE TABLE audit_witnesses (
    name           TEXT PRIMARY KEY,
    url            TEXT NOT NULL,
    verifier_key   TEXT NOT NULL DEFAULT '',
    published_size BIGINT NOT NULL DEFAULT 0,
    published_at   TEXT NOT NULL DEFAULT '',
    last_error     TEXT NOT NULL DEFAULT '',
    added_at       TEXT NOT NULL
);

CREATE TABLE audit_cosignatures (
    size      BIGINT NOT NULL,
    witness   TEXT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (size, witness)
);

-- Logs this Dossier witnesses for others: their key and the newest size it
-- has cosigned, which it never lets go back.
CREATE TABLE witnessed_logs (
    origin       TEXT PRIMARY KEY,
    verifier_key TEXT NOT NULL,
    size         BIGINT NOT NULL DEFAULT 0,
    root_hash    BYTEA NOT NULL DEFAULT ''::bytea,
    updated_at   TEXT NOT NULL
);

-- +goose Down
DROP TABLE witnessed_logs;
DROP TABLE audit_cosignatures;
DROP TABLE audit_witnesses;
DROP TABLE audit_checkpoints;
DROP TABLE audit_head;
DROP TABLE audit_nodes;
DROP TABLE audit_log;
