-- Every log-in attempt (API and pages), for throttling guessing and for the audit. Kept in the
-- database so that every web process sees the same count.
CREATE TABLE login_attempts (
    id             bigserial PRIMARY KEY,
    territory_id   smallint NOT NULL DEFAULT 1,
    at             timestamptz NOT NULL,
    username       text NOT NULL,
    client         text NOT NULL,       -- the client's address as the server saw it
    succeeded      boolean NOT NULL
);
CREATE INDEX login_attempts_user_idx ON login_attempts (username, at DESC) WHERE NOT succeeded;
CREATE INDEX login_attempts_client_idx ON login_attempts (client, at DESC) WHERE NOT succeeded;
