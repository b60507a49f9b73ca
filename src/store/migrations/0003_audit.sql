-- 0003_audit: the audit log, hash-chained. Each row's hash is the SHA-256 of
-- the previous row's hash and this row's fields (see src/audit/audit.c for
-- the exact layout), so removing or altering a row breaks every hash after it.
-- seq is assigned by the writer inside its write transaction: 1, 2, 3, ...
CREATE TABLE audit_event (
    seq           BIGINT PRIMARY KEY,
    at            TEXT NOT NULL,
    actor         TEXT,
    source        TEXT,
    action        TEXT NOT NULL,
    object        TEXT,
    outcome       TEXT NOT NULL,
    request_id    TEXT,
    production_id TEXT,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_event_actor ON audit_event (actor);
