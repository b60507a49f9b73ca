-- 0011_attachment: uploaded files, stored encrypted (crypto/stream.c) under
-- DATA/uploads/<stored_name>. The file's own key is sealed under the
-- production key (place attachment.file_key.<id>); the user's file name is
-- sealed too and never used on disk; stored_name is random.
CREATE TABLE attachment (
    id            TEXT PRIMARY KEY,
    production_id TEXT NOT NULL REFERENCES production (id) ON DELETE CASCADE,
    name_sealed   TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    stored_name   TEXT NOT NULL UNIQUE,
    file_key      TEXT NOT NULL,
    created_by    TEXT NOT NULL REFERENCES app_user (id),
    created_at    TEXT NOT NULL
);
CREATE INDEX attachment_production ON attachment (production_id, created_at);
