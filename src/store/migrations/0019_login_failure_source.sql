-- 0019_login_failure_source: the per-address budget across accounts
-- (domain/throttle.h rule 3) counts one address's failures over every
-- account, and old failures are now forgotten for every account at once:
-- both want an index that does not start with the account.
CREATE INDEX login_failure_source ON login_failure (source, at);
CREATE INDEX login_failure_at ON login_failure (at);
