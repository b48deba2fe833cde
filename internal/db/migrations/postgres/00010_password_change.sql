-- A password an administrator generated (a reset, or a new account) has been
-- seen by someone other than its user: until the user chooses their own, the
-- account may do nothing but that (users.must_change_password). Sessions
-- record how they were opened, 'password' or 'oidc': one opened through
-- single sign-on sets the new password without the generated one, which its
-- user may never have been given.

-- +goose Up
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE sessions ADD COLUMN login_method TEXT NOT NULL DEFAULT 'password';

-- +goose Down
ALTER TABLE sessions DROP COLUMN login_method;
ALTER TABLE users DROP COLUMN must_change_password;
