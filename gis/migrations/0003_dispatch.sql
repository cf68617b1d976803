-- Dispatch: users and tokens, ticket clocks and callers, safe assignment, idempotent creates,
-- and the log of reads of personal data.

CREATE TABLE users (
    id             serial PRIMARY KEY,
    username       text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.-]{2,40}$'),
    role           text NOT NULL CHECK (role IN
        ('hotline_agent', 'dispatcher', 'crew_lead', 'manager', 'admin')),
    crew_id        integer REFERENCES crews (id),
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'crew_lead') = (crew_id IS NOT NULL))
);

CREATE TABLE api_tokens (
    token_hash  text PRIMARY KEY,          -- sha256 of the bearer token; the token is not kept
    user_id     integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

-- A retried create with the same Idempotency-Key returns the first ticket.
CREATE TABLE idempotency_keys (
    key         text NOT NULL,
    user_id     integer NOT NULL REFERENCES users (id),
    ticket_id   bigint NOT NULL REFERENCES tickets (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

ALTER TABLE tickets
    ADD COLUMN jurisdiction        text NOT NULL DEFAULT 'urban',
    ADD COLUMN arrival_due_at      timestamptz,
    ADD COLUMN make_safe_due_at    timestamptz,
    ADD COLUMN reply_due_at        timestamptz,
    ADD COLUMN assigned_at         timestamptz,
    ADD COLUMN accepted_at         timestamptz,
    ADD COLUMN en_route_at         timestamptz,
    ADD COLUMN on_site_at          timestamptz,
    ADD COLUMN arrived_at          timestamptz,   -- on site, or GPS within 50 m, if earlier
    ADD COLUMN made_safe_at        timestamptz,
    ADD COLUMN repaired_at         timestamptz,
    ADD COLUMN closed_at           timestamptz,
    ADD COLUMN cancelled_at        timestamptz,
    ADD COLUMN crew_id             integer REFERENCES crews (id),
    ADD COLUMN callers             integer NOT NULL DEFAULT 1 CHECK (callers >= 1);
CREATE INDEX tickets_status_idx ON tickets (status);
CREATE INDEX tickets_parent_idx ON tickets (parent_ticket_id);

-- Every caller of a ticket: the first, and those of duplicate calls linked to it.
CREATE TABLE ticket_callers (
    id             bigserial PRIMARY KEY,
    ticket_id      bigint NOT NULL REFERENCES tickets (id),
    caller_name    text,
    caller_phone   text,
    called_at      timestamptz NOT NULL,
    from_ticket_id bigint REFERENCES tickets (id)   -- the duplicate ticket it came in as
);
CREATE INDEX ticket_callers_ticket_idx ON ticket_callers (ticket_id);

ALTER TABLE assignments ADD COLUMN emergency boolean NOT NULL DEFAULT false;
-- A crew holds at most one active emergency job: the database itself refuses a second.
CREATE UNIQUE INDEX assignments_one_emergency_per_crew ON assignments (crew_id)
    WHERE released_at IS NULL AND emergency;

-- Who read unmasked personal data, when, and of which record.
CREATE TABLE personal_data_reads (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    username    text NOT NULL,
    role        text NOT NULL,
    subject     text NOT NULL,           -- e.g. 'ticket:12' or 'meter:345'
    purpose     text NOT NULL
);
