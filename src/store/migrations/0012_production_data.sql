-- 0012_production_data: the production itself — people, locations, shoot
-- days, scenes and calls. Sealed columns (crypto/keyring.h) hold envelopes
-- "sf1.<key id>.<…>" whose plaintext is several fields joined by NUL bytes,
-- in the order the column comment gives:
--   person.work_contact      person key: work phone, work email
--   person.personal_contact  person key: personal phone, personal email
--   person.private           person key: home address, emergency contact,
--                            date of birth, dietary notes, medical notes,
--                            ID/passport numbers
--   location.site            production key: address, latitude, longitude,
--                            access notes, location contact
--   scene.synopsis           production key: the synopsis
-- Each person record has its own person key (id = person.id), so destroying
-- it erases that record in every copy of the database.
CREATE TABLE person (
    id               TEXT PRIMARY KEY,
    production_id    TEXT NOT NULL REFERENCES production (id) ON DELETE CASCADE,
    user_id          TEXT REFERENCES app_user (id) ON DELETE SET NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('crew', 'cast')),
    name             TEXT NOT NULL,
    department_id    TEXT REFERENCES department (id),
    job_title        TEXT NOT NULL DEFAULT '',
    character_name   TEXT NOT NULL DEFAULT '',
    key_contact      INTEGER NOT NULL DEFAULT 0,
    work_contact     TEXT,
    personal_contact TEXT,
    private          TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (production_id, user_id)
);
CREATE INDEX person_production ON person (production_id, name);

CREATE TABLE location (
    id               TEXT PRIMARY KEY,
    production_id    TEXT NOT NULL REFERENCES production (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    parking          TEXT NOT NULL DEFAULT '',
    nearest_hospital TEXT NOT NULL DEFAULT '',
    confidential     INTEGER NOT NULL DEFAULT 0,
    site             TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (production_id, name)
);

CREATE TABLE shoot_day (
    id            TEXT PRIMARY KEY,
    production_id TEXT NOT NULL REFERENCES production (id) ON DELETE CASCADE,
    day_date      TEXT NOT NULL,
    unit          TEXT NOT NULL,
    general_call  TEXT NOT NULL,
    wrap_estimate TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (production_id, unit, day_date)
);
CREATE INDEX shoot_day_production ON shoot_day (production_id, day_date);

CREATE TABLE day_location (
    day_id      TEXT NOT NULL REFERENCES shoot_day (id) ON DELETE CASCADE,
    location_id TEXT NOT NULL REFERENCES location (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    PRIMARY KEY (day_id, location_id)
);
CREATE INDEX day_location_location ON day_location (location_id);

CREATE TABLE scene (
    id            TEXT PRIMARY KEY,
    production_id TEXT NOT NULL REFERENCES production (id) ON DELETE CASCADE,
    number        TEXT NOT NULL,
    int_ext       TEXT NOT NULL CHECK (int_ext IN ('INT', 'EXT', 'INT/EXT')),
    day_night     TEXT NOT NULL CHECK (day_night IN ('DAY', 'NIGHT', 'DAWN', 'DUSK')),
    set_name      TEXT NOT NULL,
    eighths       INTEGER NOT NULL CHECK (eighths > 0),
    synopsis      TEXT,
    UNIQUE (production_id, number)
);

-- A scene is shot on at most one place of a day's order; it may be split over days.
CREATE TABLE day_scene (
    day_id   TEXT NOT NULL REFERENCES shoot_day (id) ON DELETE CASCADE,
    scene_id TEXT NOT NULL REFERENCES scene (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (day_id, scene_id)
);
CREATE INDEX day_scene_scene ON day_scene (scene_id);

CREATE TABLE scene_cast (
    scene_id  TEXT NOT NULL REFERENCES scene (id) ON DELETE CASCADE,
    person_id TEXT NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    PRIMARY KEY (scene_id, person_id)
);

-- One person's call on one day. Times are local "HH:MM" in the production's zone.
CREATE TABLE call (
    id            TEXT PRIMARY KEY,
    production_id TEXT NOT NULL REFERENCES production (id) ON DELETE CASCADE,
    day_id        TEXT NOT NULL REFERENCES shoot_day (id) ON DELETE CASCADE,
    person_id     TEXT NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    call_time     TEXT NOT NULL,
    pickup        TEXT NOT NULL DEFAULT '',
    hair_makeup   TEXT NOT NULL DEFAULT '',
    on_set        TEXT NOT NULL DEFAULT '',
    cast_status   TEXT NOT NULL DEFAULT '' CHECK (cast_status IN ('', 'start', 'work', 'hold', 'finish')),
    UNIQUE (day_id, person_id)
);
CREATE INDEX call_person ON call (person_id);
