-- 0034_person_order: the people list reads a production's people in the
-- order it answers them (name, then id: store_person_list's ORDER BY). The
-- index of 0012 held (production_id, name) and so ordered equal names by
-- rowid; SQLite then passed every row, envelopes and all, through a
-- temporary sorter to order it by id, copying each record twice. With id
-- in the index the rows come out of it already in order.
DROP INDEX person_production;
CREATE INDEX person_production ON person (production_id, name, id);
