-- 0032_production_end: a production's end (domain/closing.h, api/closing.c).
-- archived_at: when it became read-only for everyone (unix seconds), NULL while open.
-- closed_at, deletion_due: when a leader closed it and when its data keys are
-- shredded and its rows deleted (closed_at + production_close_grace_days);
-- both NULL while not closed. Only an archived production is closed, so a
-- row with deletion_due set always has archived_at set.
ALTER TABLE production ADD COLUMN archived_at BIGINT;
ALTER TABLE production ADD COLUMN closed_at BIGINT;
ALTER TABLE production ADD COLUMN deletion_due BIGINT
    CHECK (deletion_due IS NULL OR archived_at IS NOT NULL);
CREATE INDEX production_deletion_due ON production (deletion_due);
