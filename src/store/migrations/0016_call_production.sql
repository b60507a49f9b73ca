-- Calls of a whole production (exports, the reader's own calls across days) by index.
CREATE INDEX call_production ON call (production_id);
