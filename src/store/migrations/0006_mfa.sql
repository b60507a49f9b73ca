-- 0006_mfa: TOTP second factors and recovery codes; productions may require MFA.
-- The TOTP secret is base32 text here; field encryption under the keyring
-- (issue 4) will seal it like every other secret at rest.
-- last_step is the last time step accepted: a code is never accepted twice.
CREATE TABLE mfa_totp (
    user_id      TEXT PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    secret       TEXT NOT NULL,
    confirmed_at TEXT,
    last_step    BIGINT NOT NULL DEFAULT -1
);

-- Recovery codes carry 80 random bits; only their SHA-256 is kept.
CREATE TABLE mfa_recovery_code (
    user_id   TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   TEXT,
    PRIMARY KEY (user_id, code_hash)
);

ALTER TABLE production ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;
