-- Single sign-on with OpenID Connect. An identity at a provider (its issuer
-- and the subject it gives the person) logs in only as the Dossier user an
-- administrator linked it to: nobody is created or matched by e-mail.
-- oidc_logins holds the sign-ins under way, by the SHA-256 of their state,
-- so that each callback is accepted once; the secrets that go with them (the
-- nonce and the PKCE verifier) stay in the browser's cookie.

-- +goose Up
CREATE TABLE oidc_identities (
    issuer        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at     TEXT NOT NULL,
    linked_by     TEXT NOT NULL,
    last_login_at TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (issuer, subject)
) WITHOUT ROWID;
CREATE INDEX oidc_identities_user ON oidc_identities (user_id);

CREATE TABLE oidc_logins (
    state_hash TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX oidc_logins_expiry ON oidc_logins (expires_at);

-- +goose Down
DROP TABLE oidc_logins;
DROP TABLE oidc_identities;
