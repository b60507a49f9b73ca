-- 0028_backup_sentinel: the row a restore drill writes for the purpose
-- (backup/backup.c, "THE SENTINEL"). One row, id 1, replaced by every
-- drill in one write transaction on the live database: a fresh random
-- nonce (hex) and the row count of every table as read inside that same
-- transaction (a JSON object, this row included), so a restore up to
-- exactly that commit must hold the same nonce and the same counts.
CREATE TABLE backup_sentinel (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	nonce       TEXT NOT NULL,
	counts_json TEXT NOT NULL,
	written_at  TEXT NOT NULL
);
