-- 0026_auto_reminders: a production may have its call sheets' recipients
-- reminded automatically, remind_hours_before hours before general call
-- (0: never), and each version remembers when that reminder went out
-- (api/reminders.c): once per version, never twice.
ALTER TABLE production ADD COLUMN remind_hours_before INTEGER NOT NULL DEFAULT 0
    CHECK (remind_hours_before BETWEEN 0 AND 72);
ALTER TABLE callsheet ADD COLUMN auto_reminded_at BIGINT;
CREATE INDEX callsheet_auto_reminder ON callsheet (auto_reminded_at, day_id);
