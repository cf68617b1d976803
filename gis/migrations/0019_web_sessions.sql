-- Server-side records of page log-ins: the signed cookie names a session, and the session is
-- live only while its row says so, so log-out (or an expiry) ends it in every web process and
-- a copied cookie stops working.
CREATE TABLE web_sessions (
    id_hash        text PRIMARY KEY,    -- sha256 of the random id in the cookie; the id is not kept
    territory_id   smallint NOT NULL DEFAULT 1,
    user_id        integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    ended_at       timestamptz,         -- log-out
    CHECK (expires_at > created_at)
);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id);
