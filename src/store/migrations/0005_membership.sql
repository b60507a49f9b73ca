-- 0005_membership: departments and who belongs to a production in which role.
-- Every production-owned table carries production_id (the tenant key).
CREATE TABLE department (
    id            TEXT PRIMARY KEY,
    production_id TEXT NOT NULL REFERENCES production (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    position      INTEGER NOT NULL,
    UNIQUE (production_id, name)
);

CREATE TABLE membership (
    id            TEXT PRIMARY KEY,
    production_id TEXT NOT NULL REFERENCES production (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    role          TEXT NOT NULL,
    department_id TEXT REFERENCES department (id),
    created_at    TEXT NOT NULL,
    revoked_at    TEXT,
    UNIQUE (production_id, user_id)
);
CREATE INDEX membership_user ON membership (user_id);
