-- 0009_invitation: an email invited into a production with a role (and a
-- department). The link is single-use and valid 7 days; only the SHA-256 of
-- its token is kept.
CREATE TABLE invitation (
    id            TEXT PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    production_id TEXT NOT NULL REFERENCES production (id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    role          TEXT NOT NULL,
    department_id TEXT REFERENCES department (id),
    invited_by    TEXT NOT NULL REFERENCES app_user (id),
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    accepted_at   BIGINT
);
CREATE INDEX invitation_production ON invitation (production_id);
