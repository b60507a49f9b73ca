-- 0033_incident_notice: telling the people an incident affects (GDPR
-- Article 34, domain/incident_notice.c). One row per affected person of an
-- incident (incident.affected's {person_id, production_id}): a draft of the
-- message to them, or why they cannot be told (not_notifiable, `reason`:
-- no email address, the record is gone), until it is queued in the mail
-- outbox (`outbox_id`), whose status then is the notice's (sent, failed,
-- bounced, ...). `content` is JSON {to, subject, body} sealed under the
-- person's own key (the address and the text are their personal data:
-- shredding the key erases the draft with the person). A queued notice is
-- never drafted again, so a second sending sends nothing twice.
CREATE TABLE incident_notice (
    id            TEXT PRIMARY KEY,
    incident_id   TEXT NOT NULL REFERENCES incident (id),
    person_id     TEXT NOT NULL,
    production_id TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('draft', 'not_notifiable', 'queued')),
    content       TEXT,
    reason        TEXT,
    outbox_id     TEXT,
    drafted_at    TEXT NOT NULL,
    queued_at     TEXT,
    UNIQUE (incident_id, person_id, production_id)
);
CREATE INDEX incident_notice_outbox ON incident_notice (outbox_id);
