-- The regulators' records and the manager's reports.
--
-- A day's leak log is reviewed by a supervisor the next working day (by 10:00, a setting);
-- a day left unreviewed raises one alarm. Both tables carry their territory.
CREATE TABLE leak_log_reviews (
    territory_id  smallint NOT NULL DEFAULT 1,
    day           date NOT NULL,              -- the log's local day in the territory's zone
    reviewed_by   text NOT NULL,
    reviewed_role text NOT NULL,
    reviewed_at   timestamptz NOT NULL,
    PRIMARY KEY (territory_id, day)
);

CREATE TABLE leak_log_alarms (
    territory_id  smallint NOT NULL DEFAULT 1,
    day           date NOT NULL,
    due_at        timestamptz NOT NULL,       -- when the review was due
    raised_at     timestamptz NOT NULL,
    PRIMARY KEY (territory_id, day)
);

-- Reports read tickets by type and time of the call (the daily leak log, the monthly buckets,
-- the response-time map over a date range).
CREATE INDEX tickets_type_received_idx ON tickets (ticket_type, received_at);

-- The outbox carries report alarms too. Any lower-case topic is allowed from here on, so a
-- new kind of news needs no new migration of this constraint.
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_topic_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_topic_check CHECK (topic ~ '^[a-z][a-z_]*$');
