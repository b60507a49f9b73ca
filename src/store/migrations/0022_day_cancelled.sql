-- 0022_day_cancelled: a shoot day can be cancelled instead of deleted. A
-- cancelled day stays in the record (its call sheets, calls and their
-- acknowledgements with it); cancelled_at is the RFC 3339 UTC time it was
-- cancelled, NULL while it is on.
ALTER TABLE shoot_day ADD COLUMN cancelled_at TEXT;
