-- 0013_callsheet: published call sheets. Publishing freezes the day as one
-- numbered version; a later change needs a new version. The sheet itself
-- (JSON: names, calls, key contacts' work numbers, the day's addresses) is
-- sealed under the production key in callsheet.body (place callsheet.body.<id>).
-- The recipients are the people called that day when it was published; each
-- may acknowledge that version once.
CREATE TABLE callsheet (
    id            TEXT PRIMARY KEY,
    production_id TEXT NOT NULL REFERENCES production (id) ON DELETE CASCADE,
    day_id        TEXT NOT NULL REFERENCES shoot_day (id) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    body          TEXT NOT NULL,
    published_by  TEXT NOT NULL REFERENCES app_user (id),
    published_at  TEXT NOT NULL,
    UNIQUE (day_id, version)
);

CREATE TABLE callsheet_location (
    callsheet_id TEXT NOT NULL REFERENCES callsheet (id) ON DELETE CASCADE,
    location_id  TEXT NOT NULL REFERENCES location (id) ON DELETE CASCADE,
    PRIMARY KEY (callsheet_id, location_id)
);
CREATE INDEX callsheet_location_location ON callsheet_location (location_id);

CREATE TABLE callsheet_recipient (
    callsheet_id    TEXT NOT NULL REFERENCES callsheet (id) ON DELETE CASCADE,
    person_id       TEXT NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    acknowledged_at TEXT,
    PRIMARY KEY (callsheet_id, person_id)
);
