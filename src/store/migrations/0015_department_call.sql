-- A department's call on a shoot day: the time everyone of the department
-- is called unless their own call (call.call_time, then '') says otherwise.
CREATE TABLE department_call (
    day_id        TEXT NOT NULL REFERENCES shoot_day (id) ON DELETE CASCADE,
    department_id TEXT NOT NULL REFERENCES department (id) ON DELETE CASCADE,
    call_time     TEXT NOT NULL,
    PRIMARY KEY (day_id, department_id)
);
