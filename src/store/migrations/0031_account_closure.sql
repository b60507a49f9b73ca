-- 0031_account_closure: an account closed by its person or by an instance administrator
-- (issue 22). A closed account is also disabled (disabled_at): it cannot sign in, and every
-- session, API token and reset link it had ended when it closed. deletion_due (Unix seconds)
-- is when the deletion job (backup/erasure.c) deletes it with every person record linked to
-- it and shreds their keys; closed_by_self says the person closed it, so that signing in
-- with the right password (and second factor) may reopen it before then. An account an
-- administrator closed is reopened by an administrator only.
ALTER TABLE app_user ADD COLUMN closed_at BIGINT;
ALTER TABLE app_user ADD COLUMN deletion_due BIGINT;
ALTER TABLE app_user ADD COLUMN closed_by_self INTEGER NOT NULL DEFAULT 0;
CREATE INDEX app_user_deletion_due ON app_user (deletion_due) WHERE deletion_due IS NOT NULL;
