-- Accounts: users and their roles, the cases they work on, sessions, API
-- tokens and two-factor recovery codes. Secrets are stored only as hashes
-- (argon2id for passwords, SHA-256 for random tokens and codes), except the
-- TOTP secret, which the server must read back: it is kept in a column of
-- its own, sealed when a sealer is configured (totp_sealer names it).

-- +goose Up
CREATE TABLE users (
    id                  TEXT COLLATE "C" PRIMARY KEY,
    name                TEXT COLLATE "C" NOT NULL,
    display_name        TEXT NOT NULL DEFAULT '',
    role                TEXT NOT NULL,
    see_identities      BOOLEAN NOT NULL DEFAULT FALSE,
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash       TEXT NOT NULL,
    password_changed_at TEXT COLLATE "C" NOT NULL,
    totp_state          TEXT NOT NULL DEFAULT '',  -- '', 'pending' or 'active'
    totp_secret         BYTEA,
    totp_sealer         TEXT NOT NULL DEFAULT '',
    totp_last_step      BIGINT NOT NULL DEFAULT 0, -- last time step used: a code is never accepted twice
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    locked_until        TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at          TEXT COLLATE "C" NOT NULL,
    created_by          TEXT NOT NULL,
    updated_at          TEXT COLLATE "C" NOT NULL,
    updated_by          TEXT NOT NULL
);
CREATE UNIQUE INDEX users_name ON users (name);

CREATE TABLE recovery_codes (
    user_id   TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT COLLATE "C" NOT NULL,
    used_at   TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE cases (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT COLLATE "C" NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE UNIQUE INDEX cases_name ON cases (name);

CREATE TABLE case_members (
    user_id  TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    case_id  TEXT COLLATE "C" NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    added_at TEXT COLLATE "C" NOT NULL,
    added_by TEXT NOT NULL,
    PRIMARY KEY (user_id, case_id)
);
CREATE INDEX case_members_case ON case_members (case_id);

CREATE TABLE sessions (
    id            TEXT COLLATE "C" PRIMARY KEY,
    token_hash    TEXT COLLATE "C" NOT NULL,
    user_id       TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    pending       BOOLEAN NOT NULL DEFAULT FALSE, -- password given, second factor still awaited
    second_factor BOOLEAN NOT NULL DEFAULT FALSE, -- the login included a TOTP or recovery code
    created_at    TEXT COLLATE "C" NOT NULL,
    last_seen_at  TEXT COLLATE "C" NOT NULL,
    expires_at    TEXT COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX sessions_token ON sessions (token_hash);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT COLLATE "C" PRIMARY KEY,
    token_hash   TEXT COLLATE "C" NOT NULL,
    user_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL DEFAULT '',
    role         TEXT NOT NULL,
    created_at   TEXT COLLATE "C" NOT NULL,
    created_by   TEXT NOT NULL,
    expires_at   TEXT COLLATE "C" NOT NULL,
    last_used_at TEXT COLLATE "C" NOT NULL DEFAULT '',
    revoked_at   TEXT COLLATE "C" NOT NULL DEFAULT '',
    revoked_by   TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE case_members;
DROP TABLE cases;
DROP TABLE recovery_codes;
DROP TABLE users;
