-- The call-back and complaint desks (issue 11, parts 2 and 3): crews' named members (the
-- front-line employees call-backs are balanced over and appraisals count for), own-brand
-- appliances, the call-back's charge questions and its follow-up confirmed by a supervisor,
-- complaint investigation notes, and the complaint ticket linked to its complaint.

CREATE TABLE crew_members (
    id            bigserial PRIMARY KEY,
    territory_id  smallint NOT NULL DEFAULT 1,
    crew_id       integer NOT NULL REFERENCES crews (id),
    employee_no   text NOT NULL UNIQUE CHECK (employee_no <> ''),
    name          text NOT NULL CHECK (name <> ''),
    active        boolean NOT NULL DEFAULT true
);
CREATE INDEX crew_members_crew_idx ON crew_members (crew_id) WHERE active;

-- Appliances at a customer's meter; own-brand ones (我司品牌) are called back at 100%.
CREATE TABLE appliances (
    id            bigserial PRIMARY KEY,
    territory_id  smallint NOT NULL DEFAULT 1,
    meter_id      integer REFERENCES customer_meters (id),
    brand         text NOT NULL CHECK (brand <> ''),
    model         text,
    own_brand     boolean NOT NULL DEFAULT false
);

ALTER TABLE tickets
    ADD COLUMN own_brand boolean NOT NULL DEFAULT false,      -- an own-brand appliance job
    ADD COLUMN appliance_id bigint REFERENCES appliances (id),
    ADD COLUMN counter_business boolean NOT NULL DEFAULT false; -- taken at the counter (营业厅)

ALTER TABLE callbacks
    ADD COLUMN territory_id smallint NOT NULL DEFAULT 1,
    ADD COLUMN staff text[] NOT NULL DEFAULT '{}',            -- employees of the job, when drawn
    ADD COLUMN charge_made boolean,                            -- the customer's answer
    ADD COLUMN charge_amount numeric(10, 2) CHECK (charge_amount >= 0),
    ADD COLUMN charge_recorded numeric(10, 2),                 -- the job's signed charges
    ADD COLUMN charge_mismatch boolean NOT NULL DEFAULT false,
    ADD COLUMN must_call boolean NOT NULL DEFAULT false;      -- re-closed after unsatisfied

-- A fair/poor answer on attire or punctuality: checked by a supervisor; a confirmed one
-- counts in the appraisal of the employees it names.
CREATE TABLE callback_follow_ups (
    id            bigserial PRIMARY KEY,
    territory_id  smallint NOT NULL DEFAULT 1,
    callback_id   bigint NOT NULL UNIQUE REFERENCES callbacks (id),
    ticket_id     bigint NOT NULL REFERENCES tickets (id),
    staff         text[] NOT NULL DEFAULT '{}',
    attire        text,
    punctuality   text,
    opened_at     timestamptz NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed', 'rejected')),
    employees     text[] NOT NULL DEFAULT '{}',   -- at fault, when confirmed
    decided_by    text,
    decided_at    timestamptz,
    note          text NOT NULL DEFAULT '',
    CHECK ((status = 'open') = (decided_at IS NULL)),
    CHECK (status <> 'confirmed' OR cardinality(employees) > 0)
);
CREATE INDEX callback_follow_ups_open_idx ON callback_follow_ups (opened_at) WHERE status = 'open';

CREATE TABLE complaint_notes (
    id            bigserial PRIMARY KEY,
    territory_id  smallint NOT NULL DEFAULT 1,
    complaint_id  bigint NOT NULL REFERENCES complaints (id),
    at            timestamptz NOT NULL,
    author        text NOT NULL,
    text          text NOT NULL CHECK (text <> '')
);
CREATE INDEX complaint_notes_complaint_idx ON complaint_notes (complaint_id, at);

-- A complaint phoned in as a work order of type complaint: the ticket and its complaint are
-- one record, linked once.
ALTER TABLE complaints
    ADD COLUMN territory_id smallint NOT NULL DEFAULT 1,
    ADD COLUMN intake_ticket_id bigint UNIQUE REFERENCES tickets (id);

-- The desks' roles.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('hotline_agent', 'dispatcher',
    'crew_lead', 'manager', 'admin', 'callback_agent', 'complaint_handler'));
