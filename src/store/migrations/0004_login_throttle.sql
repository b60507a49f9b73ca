-- 0004_login_throttle: failed sign-ins and the addresses an account has
-- signed in from (domain/throttle.h). account_key is the hex SHA-256 of the
-- normalised email, so the table holds no address book even for emails that
-- have no account. Rows older than an hour are deleted as new ones arrive.
CREATE TABLE login_failure (
    account_key TEXT NOT NULL,
    source      TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX login_failure_key ON login_failure (account_key, at);

CREATE TABLE login_known_source (
    account_key  TEXT NOT NULL,
    source       TEXT NOT NULL,
    last_success BIGINT NOT NULL,
    PRIMARY KEY (account_key, source)
);
