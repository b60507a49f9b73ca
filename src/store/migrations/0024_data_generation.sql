-- 0024_data_generation: a counter that moves at every write of data a loop
-- thread's cache may hold, and not at the writes that change none of it
-- (src/api/cache.c, store_generation in src/store/sqlite.c). SQLite's
-- data_version moves at every commit, audit events and session touches
-- included, so it alone would make every read that is audited empty every
-- cache; it stays the cheap first check, and this row decides.
--
-- Which writes move it: a trigger on every table (insert, update, delete),
-- except audit_event (nothing cached is read from the log),
-- schema_migrations and this table itself. store_open adds the generic
-- triggers, named datagen_<table>_<insert|update|delete>, to every table
-- that lacks one (so a table a later migration creates or rebuilds is
-- covered without that migration knowing). Only the two triggers below are
-- written here, because they are not generic: an update of session that
-- changes last_seen_at and nothing else (store_session_touch) and an update
-- of api_token that changes last_used_at and nothing else
-- (store_token_touch) leave the counter alone. Any other update of those
-- tables moves it, including an update of a column added later that does
-- not also change last_seen_at / last_used_at.
CREATE TABLE data_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO data_generation (id, n) VALUES (1, 0);

CREATE TRIGGER datagen_session_update AFTER UPDATE ON session
WHEN NEW.last_seen_at IS OLD.last_seen_at OR NEW.id IS NOT OLD.id
  OR NEW.token_hash IS NOT OLD.token_hash OR NEW.user_id IS NOT OLD.user_id
  OR NEW.user_agent IS NOT OLD.user_agent OR NEW.created_at IS NOT OLD.created_at
  OR NEW.expires_at IS NOT OLD.expires_at OR NEW.revoked_at IS NOT OLD.revoked_at
BEGIN
    UPDATE data_generation SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER datagen_api_token_update AFTER UPDATE ON api_token
WHEN NEW.last_used_at IS OLD.last_used_at OR NEW.id IS NOT OLD.id
  OR NEW.token_hash IS NOT OLD.token_hash OR NEW.user_id IS NOT OLD.user_id
  OR NEW.production_id IS NOT OLD.production_id OR NEW.name IS NOT OLD.name
  OR NEW.read_write IS NOT OLD.read_write OR NEW.created_at IS NOT OLD.created_at
  OR NEW.expires_at IS NOT OLD.expires_at OR NEW.revoked_at IS NOT OLD.revoked_at
BEGIN
    UPDATE data_generation SET n = n + 1 WHERE id = 1;
END;
