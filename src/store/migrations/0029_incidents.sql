-- 0029_incidents: the incident register (GDPR Articles 33 and 34,
-- domain/incidents.h). One row per incident, never deleted (Article 33(5):
-- the triggers refuse it). The free text (nature, categories, numbers,
-- consequences, measures, contact point, the authority's reference, a late
-- notification's reason) is one JSON object sealed under the instance key
-- in `details`; the columns in the clear are what the clock and /metrics
-- need: status and times. `affected` holds ids only (person and production
-- ids, JSON), never a name. Every change is a row of incident_history (its
-- own sealed JSON of what changed) beside its event in the audit log.
CREATE TABLE incident (
    id             TEXT PRIMARY KEY,
    status         TEXT NOT NULL CHECK (status IN ('open', 'contained', 'notified', 'closed')),
    discovered_at  TEXT NOT NULL,
    aware_at       TEXT NOT NULL,
    aware_epoch    BIGINT NOT NULL,
    notified_at    TEXT,
    notified_epoch BIGINT,
    details        TEXT NOT NULL,
    affected       TEXT,
    opened_by      TEXT,
    opened_at      TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

CREATE TABLE incident_history (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT NOT NULL REFERENCES incident (id),
    at          TEXT NOT NULL,
    actor       TEXT,
    change      TEXT NOT NULL
);
CREATE INDEX incident_history_of ON incident_history (incident_id, seq);

CREATE TRIGGER incident_kept BEFORE DELETE ON incident
BEGIN
    SELECT RAISE(ABORT, 'an incident is never deleted');
END;
CREATE TRIGGER incident_history_kept BEFORE DELETE ON incident_history
BEGIN
    SELECT RAISE(ABORT, 'an incident''s history is never deleted');
END;
CREATE TRIGGER incident_history_fixed BEFORE UPDATE ON incident_history
BEGIN
    SELECT RAISE(ABORT, 'an incident''s history is never changed');
END;
