-- Subprocessor announcements (domain/subproc.h, api/subprocessors.c): one row per version of an
-- entry of the instance's subprocessor list (its content's SHA-256), written when production
-- admins and producers were told of it. It takes effect notice_days after announced_on at the
-- earliest. Rows are never deleted: they are the record that the notice was given.
CREATE TABLE subprocessor_notice (
    entry_hash    TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    announced_on  TEXT NOT NULL,
    effective_on  TEXT NOT NULL,
    recipients    INTEGER NOT NULL
);
