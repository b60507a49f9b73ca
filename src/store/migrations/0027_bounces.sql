-- 0027_bounces: a delivery status notification (notify/dsn.c) that came
-- back to mail_bounce_address marks a sent message bounced. 0025's CHECK on
-- outbox.status cannot be altered in place, so the bounce is kept beside
-- the status: bounced_at (when the report was read) and bounce_reason (its
-- Status and Diagnostic-Code, one line of printable ASCII). A delivery
-- whose message has bounced_at set reads as status "bounced"
-- (store/sqlite_distribution.c); only a message whose status is 'sent' is
-- ever marked.
ALTER TABLE outbox ADD COLUMN bounced_at BIGINT;
ALTER TABLE outbox ADD COLUMN bounce_reason TEXT;
