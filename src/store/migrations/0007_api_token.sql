-- 0007_api_token: tokens for integrations, scoped to one production and to
-- read or read-write, with an expiry. Only the SHA-256 of the token is kept.
CREATE TABLE api_token (
    id            TEXT PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    production_id TEXT NOT NULL REFERENCES production (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    read_write    INTEGER NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX api_token_user ON api_token (user_id);
