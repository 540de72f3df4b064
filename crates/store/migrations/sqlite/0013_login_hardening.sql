-- Login hardening (issue 12, part 4). Keep in step with the other backend's
-- 0013_login_hardening.sql.
--
-- The per-account lock-out (failed_logins, locked_until) is replaced by progressive delays:
-- each failed attempt is a row here, once under the username text as typed ('u:' || name,
-- whether or not such a user exists) and once under the client address ('a:' || address).
-- Only failures inside the window count, so they decay; older rows are pruned.
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX login_failures_subject_idx ON login_failures (subject, at);
CREATE INDEX login_failures_at_idx ON login_failures (at);

-- Addresses from which a user has signed in successfully: the account's delay does not apply
-- to them, so failures from elsewhere cannot keep the user out.
CREATE TABLE login_addresses (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    last_success_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, address)
);

ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until;

-- Idle timeout and what an operator sees of a session.
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN client_addr TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
UPDATE sessions SET last_seen_at = created_at;
