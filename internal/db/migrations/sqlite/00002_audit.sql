-- The audit log: every write, as a leaf of an RFC 6962 Merkle tree, with the
-- tree's head, the stored interior nodes, the signed checkpoints and the
-- witnesses they are published to.

-- +goose Up
CREATE TABLE audit_log (
    idx       INTEGER PRIMARY KEY,
    -- The entry exactly as hashed into the leaf; the columns beside it are
    -- copies for lookup, checked against it by verification.
    entry     TEXT NOT NULL,
    leaf_hash BLOB NOT NULL,
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    version   INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_log_subject ON audit_log (subject, idx);

-- Interior nodes of perfect subtrees from level 8 (256 leaves) up; lower
-- nodes are cheaper to rehash from the leaves than to store.
CREATE TABLE audit_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;

-- The head: tree size and the compact range of the whole tree, so appending
-- needs no other read.
CREATE TABLE audit_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    size       INTEGER NOT NULL,
    range_hashes BLOB NOT NULL
) STRICT;
INSERT INTO audit_head (id, size, range_hashes) VALUES (1, 0, X'');

CREATE TABLE audit_checkpoints (
    size      INTEGER PRIMARY KEY,
    root_hash BLOB NOT NULL,
    note      TEXT NOT NULL,
    issued_at TEXT NOT NULL
) STRICT;

CREATE TABLE audit_witnesses (
    name           TEXT PRIMARY KEY,
    url            TEXT NOT NULL,
    verifier_key   TEXT NOT NULL DEFAULT '',
    published_size INTEGER NOT NULL DEFAULT 0,
    published_at   TEXT NOT NULL DEFAULT '',
    last_error     TEXT NOT NULL DEFAULT '',
    added_at       TEXT NOT NULL
) STRICT;

CREATE TABLE audit_cosignatures (
    size      INTEGER NOT NULL,
    witness   TEXT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (size, witness)
) STRICT;

-- Logs this Dossier witnesses for others: their key and the newest size it
-- has cosigned, which it never lets go back.
CREATE TABLE witnessed_logs (
    origin       TEXT PRIMARY KEY,
    verifier_key TEXT NOT NULL,
    size         INTEGER NOT NULL DEFAULT 0,
    root_hash    BLOB NOT NULL DEFAULT X'',
    updated_at   TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE witnessed_logs;
DROP TABLE audit_cosignatures;
DROP TABLE audit_witnesses;
DROP TABLE audit_checkpoints;
DROP TABLE audit_head;
DROP TABLE audit_nodes;
DROP TABLE audit_log;
