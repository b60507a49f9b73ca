-- 0002_session: server-side sessions. Only the SHA-256 of the token is
-- stored, so a copy of the database lets nobody in. Times are Unix seconds
-- (this table is read on every request).
CREATE TABLE session (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    user_agent   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX session_user ON session (user_id);
