-- 0020_person_link_confirmed: whether the account linked to a person record
-- has accepted the record as its own (docs/ROLES.md, "Whose record is it").
-- A `self` scope reaches the record's sealed groups (work contact, personal
-- contact, private fields) only while this is 1. A link made by a production
-- admin or producer to a record that already holds sealed fields is 0 until
-- the linked account confirms it (POST …/people/{pid}/confirm-link); a link to
-- a record without such fields is 1 at once; clearing or changing the link
-- sets it again.
--
-- Links made before this version are 0 wherever a link exists: any of them
-- may have been made by someone else than the person (before this version
-- any person-writer could set account_email), so each linked person confirms
-- once. Unlinked records are 1 (nothing to confirm).
ALTER TABLE person ADD COLUMN link_confirmed INTEGER NOT NULL DEFAULT 0
    CHECK (link_confirmed IN (0, 1));
UPDATE person SET link_confirmed = 1 WHERE user_id IS NULL;
