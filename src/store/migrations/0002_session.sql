-- 0002_session: server-side sessions. Only a hash of the token is stored,
-- so a copy of the database does not let anyone in.
CREATE TABLE session (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX session_user ON session (user_id);
