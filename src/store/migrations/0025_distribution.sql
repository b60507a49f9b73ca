-- 0025_distribution: call sheets sent by mail, personal links, and what
-- became of each message (api/distribution.c, notify/notify.c).
--
-- outbox gains a status: queued (waiting for its first try), sending (taken
-- by the notifier and committed so before its SMTP transaction: a row left
-- `sending` by a crash is tried again with the same Message-ID), deferred
-- (a 4xx answer or no connection; tried again at next_attempt_at), sent
-- (the relay took it; `relay_answer` keeps its answer) and failed (a 5xx
-- answer, or NOTIFY_MAX_ATTEMPTS tries). A call sheet message names the
-- version and the person (callsheet_id, person_id): the notifier draws that
-- person's PDF when it sends. Its body is then JSON {text, html}, sealed
-- like every body.
ALTER TABLE outbox ADD COLUMN status TEXT NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'sending', 'deferred', 'sent', 'failed'));
ALTER TABLE outbox ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN relay_answer TEXT;
ALTER TABLE outbox ADD COLUMN callsheet_id TEXT;
ALTER TABLE outbox ADD COLUMN person_id TEXT;
UPDATE outbox SET status = 'sent' WHERE sent_at IS NOT NULL;
UPDATE outbox SET status = 'failed' WHERE sent_at IS NULL AND attempts >= 5;
UPDATE outbox SET status = 'deferred' WHERE sent_at IS NULL AND attempts BETWEEN 1 AND 4;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at, created_at);

-- One row per recipient per sending (kind: publish or reminder) of a
-- version: the message queued for them (outbox_id), or why none was
-- (reason, e.g. "no email address"). The message's status is the delivery's.
CREATE TABLE callsheet_delivery (
    id           TEXT PRIMARY KEY,
    callsheet_id TEXT NOT NULL REFERENCES callsheet (id) ON DELETE CASCADE,
    person_id    TEXT NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('publish', 'reminder')),
    outbox_id    TEXT REFERENCES outbox (id) ON DELETE SET NULL,
    reason       TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX callsheet_delivery_sheet ON callsheet_delivery (callsheet_id, created_at);
CREATE INDEX callsheet_delivery_outbox ON callsheet_delivery (outbox_id);

-- A personal link: only the SHA-256 (hex) of its 256-bit token is kept. It
-- opens one version for one person until expires_at (48 h after the shoot
-- day ends), while that version is the day's latest, the person exists
-- (cascade) and the link is not revoked.
CREATE TABLE callsheet_link (
    token_hash   TEXT PRIMARY KEY,
    callsheet_id TEXT NOT NULL REFERENCES callsheet (id) ON DELETE CASCADE,
    person_id    TEXT NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX callsheet_link_sheet ON callsheet_link (callsheet_id, person_id);
CREATE INDEX callsheet_link_person ON callsheet_link (person_id);

-- How an acknowledgement came: through the app (signed in) or a personal link.
ALTER TABLE callsheet_recipient ADD COLUMN acknowledged_via TEXT
    CHECK (acknowledged_via IN ('app', 'link'));
UPDATE callsheet_recipient SET acknowledged_via = 'app' WHERE acknowledged_at IS NOT NULL;

-- A production may turn link-only access off: a link then needs sign-in.
ALTER TABLE production ADD COLUMN link_access INTEGER NOT NULL DEFAULT 1;
