-- 0023_calendar_feed: each member's personal calendar feed (GET /feeds/{token}.ics),
-- one per user and production. Only the SHA-256 of the token is kept (crypto/token.h);
-- rotating replaces the row, revoking deletes it.
CREATE TABLE calendar_feed (
    user_id       TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    production_id TEXT NOT NULL REFERENCES production (id) ON DELETE CASCADE,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (user_id, production_id)
);
