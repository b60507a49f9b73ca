-- 0010_sealed_fields: personal data leaves the clear (issue 4).
-- Account emails are sealed under the account's person key and found through
-- a blind index (HMAC-SHA256 under the index key) of the normalised address;
-- invitation addresses and outbox messages are sealed under the instance key;
-- second-factor secrets under the account's person key. The columns are
-- renamed, so no constraint is lost; rows written before this version are
-- sealed by the store when it is next opened with the keystore
-- (store.c: seal_legacy_rows), in one transaction.
ALTER TABLE app_user RENAME COLUMN email TO email_sealed;
ALTER TABLE app_user RENAME COLUMN email_norm TO email_index;
ALTER TABLE invitation RENAME COLUMN email TO email_sealed;
