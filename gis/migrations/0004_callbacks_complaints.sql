-- Aftercare: the daily callback sample (回访) with the customers' answers, and complaints (投诉)
-- tracked to closure with their append-only event log.

-- One row per day a sample was drawn: the seed makes the draw reproducible, and the primary
-- key makes it happen once a day even when two people press "draw" at the same moment.
CREATE TABLE callback_draws (
    sampled_on   date PRIMARY KEY,
    seed         bigint NOT NULL,
    window_lo    smallint NOT NULL CHECK (window_lo >= 0),
    window_hi    smallint NOT NULL CHECK (window_hi >= window_lo),
    drawn_by     text NOT NULL,
    drawn_at     timestamptz NOT NULL,
    by_type      jsonb NOT NULL DEFAULT '{}',   -- type -> [selected, eligible]
    by_worker    jsonb NOT NULL DEFAULT '{}'    -- worker -> calls
);

CREATE TABLE callbacks (
    id           bigserial PRIMARY KEY,
    ticket_id    bigint NOT NULL REFERENCES tickets (id),
    worker       text NOT NULL CHECK (worker <> ''),   -- the crew code the call is about
    sampled_on   date NOT NULL REFERENCES callback_draws (sampled_on),
    finished_at  timestamptz NOT NULL,                -- the ticket's closed_at when drawn
    status       text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'done', 'unreachable')),
    attitude     smallint CHECK (attitude BETWEEN 1 AND 10),   -- 服务态度
    skill        smallint CHECK (skill BETWEEN 1 AND 10),      -- 专业能力
    attire       text CHECK (attire IN ('good', 'fair', 'poor')),
    punctuality  text CHECK (punctuality IN ('good', 'fair', 'poor')),
    issues       text NOT NULL DEFAULT '',
    called_by    text,
    called_at    timestamptz,
    follow_up    boolean NOT NULL DEFAULT false,
    reopened     boolean NOT NULL DEFAULT false,      -- the answer re-opened the ticket
    UNIQUE (ticket_id, sampled_on),
    -- An answered call has both scores; a pending one has no answer at all.
    CHECK (status <> 'done' OR (attitude IS NOT NULL AND skill IS NOT NULL)),
    CHECK (status = 'done' OR (attitude IS NULL AND skill IS NULL AND attire IS NULL
        AND punctuality IS NULL)),
    CHECK ((status = 'pending') = (called_at IS NULL)),
    CHECK ((called_at IS NULL) = (called_by IS NULL))
);
CREATE INDEX callbacks_sampled_on_idx ON callbacks (sampled_on);
CREATE INDEX callbacks_called_at_idx ON callbacks (called_at) WHERE status = 'done';

CREATE TABLE complaints (
    id                 bigserial PRIMARY KEY,
    channel            text NOT NULL CHECK (channel IN ('counter', 'hotline', 'account_manager',
        'website', 'letter', 'visit', 'media', 'government_hotline', 'head_office')),
    level              smallint NOT NULL CHECK (level IN (1, 2)),
    fault_class        text CHECK (fault_class IN ('A', 'B', 'C')),
    department         text,
    worker             text,
    customer_name      text,     -- personal data: masked for roles that do not need it
    customer_phone     text,     -- personal data
    account_no         text,
    ticket_id          bigint REFERENCES tickets (id),   -- the job complained about, if any
    description        text NOT NULL CHECK (description <> ''),
    taken_by           text NOT NULL,
    received_at        timestamptz NOT NULL,
    reply_due_at       timestamptz NOT NULL,
    status             text NOT NULL DEFAULT 'intake' CHECK (status IN ('intake', 'dispatched',
        'investigating', 'replied', 'callback_done', 'closed')),
    reply              text,
    replied_at         timestamptz,
    callback_result    text,
    closed_at          timestamptz,
    overdue_raised_at  timestamptz,   -- set once, when the reply deadline passed unanswered
    CHECK (reply_due_at >= received_at),
    CHECK ((reply IS NULL) = (replied_at IS NULL)),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
    CHECK (status IN ('intake', 'dispatched', 'investigating') OR replied_at IS NOT NULL),
    CHECK (status NOT IN ('callback_done', 'closed') OR callback_result IS NOT NULL),
    CHECK (status = 'intake' OR department IS NOT NULL)
);
CREATE INDEX complaints_open_idx ON complaints (reply_due_at) WHERE status <> 'closed';
CREATE INDEX complaints_received_idx ON complaints (received_at);

-- The complaint event log is append-only, like ticket_events.
CREATE TABLE complaint_events (
    id            bigserial PRIMARY KEY,
    complaint_id  bigint NOT NULL REFERENCES complaints (id),
    at            timestamptz NOT NULL DEFAULT now(),
    actor         text NOT NULL,
    event_type    text NOT NULL,
    from_status   text,
    to_status     text,
    detail        text,
    data          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX complaint_events_complaint_idx ON complaint_events (complaint_id, at);
-- "Overdue" is raised once per complaint, whatever the races between checkers.
CREATE UNIQUE INDEX complaint_events_one_overdue ON complaint_events (complaint_id)
    WHERE event_type = 'complaint_overdue';

CREATE FUNCTION complaint_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'complaint_events is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER complaint_events_append_only BEFORE UPDATE OR DELETE ON complaint_events
    FOR EACH ROW EXECUTE FUNCTION complaint_events_append_only();
