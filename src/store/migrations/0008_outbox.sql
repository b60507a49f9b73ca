-- 0008_outbox: mail waiting to be sent, and password-reset links.
-- An outbox row is written in the same transaction as the change it tells
-- of, so a message is sent exactly when its change committed. Once sent,
-- its body (which may carry a link) is wiped; the row stays as a record.
CREATE TABLE outbox (
    id         TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    to_addr    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    sent_at    BIGINT,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX outbox_pending ON outbox (sent_at, created_at);

-- A reset link is single-use and short-lived; only its SHA-256 is kept.
CREATE TABLE password_reset (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX password_reset_user ON password_reset (user_id, created_at);
