-- 0001_init: accounts and productions, the first tables.
-- Portable SQL: runs unchanged on SQLite 3.40 and PostgreSQL 15.
-- Ids are opaque random text; times are UTC RFC 3339 text.

CREATE TABLE app_user (
    id                   TEXT PRIMARY KEY,
    email                TEXT NOT NULL,
    email_norm           TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    is_instance_admin    INTEGER NOT NULL DEFAULT 0,
    disabled_at          TEXT,
    created_at           TEXT NOT NULL
);

CREATE TABLE production (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    timezone   TEXT NOT NULL,
    created_at TEXT NOT NULL
);
