-- Per-visit site records (issue 10): a job re-opened after it was finished is a new visit of
-- the crew, whose CJJ51 checklist, gas readings and two-valve marks start afresh; the earlier
-- visits' records are kept and stay readable. The visit of a record is 1 + the number of
-- times its ticket had been re-opened when it was written (ticket_events 'reopened'); rows
-- written before this migration belong to the first visit.

ALTER TABLE site_checks ADD COLUMN visit smallint NOT NULL DEFAULT 1 CHECK (visit >= 1);
ALTER TABLE site_checks DROP CONSTRAINT site_checks_pkey;
ALTER TABLE site_checks ADD PRIMARY KEY (ticket_id, visit, item);

ALTER TABLE gas_readings ADD COLUMN visit smallint NOT NULL DEFAULT 1 CHECK (visit >= 1);
DROP INDEX gas_readings_ticket_idx;
CREATE INDEX gas_readings_ticket_idx ON gas_readings (ticket_id, visit, measured_at, id);

ALTER TABLE household_marks ADD COLUMN visit smallint NOT NULL DEFAULT 1 CHECK (visit >= 1);
ALTER TABLE household_marks DROP CONSTRAINT household_marks_pkey;
ALTER TABLE household_marks ADD PRIMARY KEY (ticket_id, visit, meter_id);

-- The re-openings of a ticket are counted for every read and write of its site record.
CREATE INDEX ticket_events_reopened_idx ON ticket_events (ticket_id) WHERE event_type = 'reopened';
