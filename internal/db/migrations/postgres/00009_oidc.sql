-- Single sign-on with OpenID Connect. An identity at a provider (its issuer
-- and the subject it gives the person) logs in only as the Dossier user an
-- administrator linked it to: nobody is created or matched by e-mail.
-- oidc_logins holds the sign-ins under way, by the SHA-256 of their state,
-- so that each callback is accepted once; the secrets that go with them (the
-- nonce and the PKCE verifier) stay in the browser's cookie.

-- +goose Up
CREATE TABLE oidc_identities (
    issuer        TEXT COLLATE "C" NOT NULL,
    subject       TEXT COLLATE "C" NOT NULL,
    user_id       TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at     TEXT COLLATE "C" NOT NULL,
    linked_by     TEXT NOT NULL,
    last_login_at TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX oidc_identities_user ON oidc_identities (user_id);

CREATE TABLE oidc_logins (
    state_hash TEXT COLLATE "C" PRIMARY KEY,
    expires_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX oidc_logins_expiry ON oidc_logins (expires_at);

-- +goose Down
DROP TABLE oidc_logins;
DROP TABLE oidc_identities;
