-- The audit view of one production (GET …/audit) reads its events newest first.
CREATE INDEX audit_event_production ON audit_event (production_id, seq);
