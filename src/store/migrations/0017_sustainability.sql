-- 0017_sustainability: emission factors, a production's carbon settings and
-- its activity entries (domain/carbon.h has the units and the arithmetic).
--
-- A factor set is a publisher's table of a year ("uk-desnz-2024"); importing
-- a set id again with other values adds version n + 1 and keeps the old one,
-- so an entry always names the exact factor it was computed with. A
-- production's own factors (production_id set) sit in set "custom".
CREATE TABLE factor_set (
    id          TEXT NOT NULL,
    version     INTEGER NOT NULL CHECK (version > 0),
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE emission_factor (
    id            INTEGER PRIMARY KEY,
    set_id        TEXT NOT NULL,
    set_version   INTEGER NOT NULL,
    production_id TEXT REFERENCES production (id) ON DELETE CASCADE,
    key           TEXT NOT NULL,          -- the activity as a slug, without the RF marker
    category      TEXT NOT NULL,
    activity      TEXT NOT NULL,          -- as published
    unit          TEXT NOT NULL,          -- a unit code of domain/carbon.c
    kg_per_unit   TEXT NOT NULL,          -- as published, decimal text
    rf            INTEGER,                -- flights: 1 with radiative forcing, 0 without
    source        TEXT NOT NULL,
    year          INTEGER NOT NULL,
    publisher_ref TEXT NOT NULL DEFAULT '', -- the publisher's factor id or table
    notes         TEXT NOT NULL DEFAULT '',
    created_by    TEXT,
    created_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX emission_factor_set ON emission_factor
    (set_id, set_version, COALESCE(production_id, ''), key, unit, COALESCE(rf, -1));
CREATE INDEX emission_factor_production ON emission_factor (production_id, key);

-- Evidence (receipts, bills, fuel logs) is stored as an attachment that only
-- the readers of its entry reach: the general file list and download skip it.
ALTER TABLE attachment ADD COLUMN evidence INTEGER NOT NULL DEFAULT 0;

CREATE TABLE carbon_settings (
    production_id TEXT PRIMARY KEY REFERENCES production (id) ON DELETE CASCADE,
    factor_set    TEXT NOT NULL,
    include_rf    INTEGER NOT NULL DEFAULT 1,
    budget_g      INTEGER,                -- grams CO2e; NULL: no budget
    share_totals  INTEGER NOT NULL DEFAULT 0
);

-- co2e_g is quantity (converted to the factor's unit) × the factor, rounded
-- half away from zero to whole grams once, at entry; totals are exact sums.
-- (Nothing of 0017 had shipped when its sums moved to carbon_rollup.)
CREATE TABLE carbon_entry (
    id            TEXT PRIMARY KEY,
    production_id TEXT NOT NULL REFERENCES production (id) ON DELETE CASCADE,
    entry_date    TEXT NOT NULL,
    day_id        TEXT REFERENCES shoot_day (id) ON DELETE SET NULL,
    department_id TEXT NOT NULL REFERENCES department (id),
    category      TEXT NOT NULL,
    quantity      REAL NOT NULL CHECK (quantity > 0),
    unit          TEXT NOT NULL,
    factor_id     INTEGER NOT NULL REFERENCES emission_factor (id),
    co2e_g        INTEGER NOT NULL CHECK (co2e_g >= 0),
    evidence_id   TEXT REFERENCES attachment (id) ON DELETE SET NULL,
    note          TEXT NOT NULL DEFAULT '',
    entered_by    TEXT NOT NULL REFERENCES app_user (id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX carbon_entry_list ON carbon_entry (production_id, entry_date, id);

-- The report's sums, kept by the triggers below on every write to
-- carbon_entry, so a report reads one row per date × department × category ×
-- factor in use instead of every entry. Never written by anything else.
CREATE TABLE carbon_rollup (
    production_id TEXT NOT NULL REFERENCES production (id) ON DELETE CASCADE,
    entry_date    TEXT NOT NULL,
    department_id TEXT NOT NULL,
    category      TEXT NOT NULL,
    factor_id     INTEGER NOT NULL,
    co2e_g        INTEGER NOT NULL,
    entries       INTEGER NOT NULL,
    PRIMARY KEY (production_id, entry_date, department_id, category, factor_id)
) WITHOUT ROWID;

CREATE TRIGGER carbon_rollup_add AFTER INSERT ON carbon_entry BEGIN
    INSERT INTO carbon_rollup VALUES (NEW.production_id, NEW.entry_date, NEW.department_id,
                                      NEW.category, NEW.factor_id, NEW.co2e_g, 1)
    ON CONFLICT (production_id, entry_date, department_id, category, factor_id)
    DO UPDATE SET co2e_g = co2e_g + excluded.co2e_g, entries = entries + 1;
END;

CREATE TRIGGER carbon_rollup_remove AFTER DELETE ON carbon_entry BEGIN
    UPDATE carbon_rollup SET co2e_g = co2e_g - OLD.co2e_g, entries = entries - 1
     WHERE production_id = OLD.production_id AND entry_date = OLD.entry_date
       AND department_id = OLD.department_id AND category = OLD.category
       AND factor_id = OLD.factor_id;
    DELETE FROM carbon_rollup
     WHERE production_id = OLD.production_id AND entry_date = OLD.entry_date
       AND department_id = OLD.department_id AND category = OLD.category
       AND factor_id = OLD.factor_id AND entries = 0;
END;

CREATE TRIGGER carbon_rollup_change
AFTER UPDATE OF entry_date, department_id, category, factor_id, co2e_g ON carbon_entry BEGIN
    UPDATE carbon_rollup SET co2e_g = co2e_g - OLD.co2e_g, entries = entries - 1
     WHERE production_id = OLD.production_id AND entry_date = OLD.entry_date
       AND department_id = OLD.department_id AND category = OLD.category
       AND factor_id = OLD.factor_id;
    DELETE FROM carbon_rollup
     WHERE production_id = OLD.production_id AND entry_date = OLD.entry_date
       AND department_id = OLD.department_id AND category = OLD.category
       AND factor_id = OLD.factor_id AND entries = 0;
    INSERT INTO carbon_rollup VALUES (NEW.production_id, NEW.entry_date, NEW.department_id,
                                      NEW.category, NEW.factor_id, NEW.co2e_g, 1)
    ON CONFLICT (production_id, entry_date, department_id, category, factor_id)
    DO UPDATE SET co2e_g = co2e_g + excluded.co2e_g, entries = entries + 1;
END;
