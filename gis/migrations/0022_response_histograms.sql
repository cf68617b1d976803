-- The response-time map from pre-aggregated histograms: per H3 cell (at each resolution the
-- map offers), local day of the call, work-order type and priority, the number of reached jobs
-- and how many of them fall in each 1-minute bucket of call-to-arrival time (bucket b holds
-- [b, b+1) minutes for b = 0..179, bucket 180 everything from 180 minutes on). A year's map
-- sums a few thousand of these rows instead of grouping a million tickets; the median and the
-- 90th percentile are read from the summed histogram, to within the bucket width (1 minute;
-- see dispatch.kpis.histogram_percentile).
--
-- Kept incrementally, exactly once per ticket: each row of ticket_h3_cells records what its
-- ticket currently contributes (counted_day, counted_type, counted_priority, counted_bucket;
-- counted_bucket NULL: nothing, e.g. not reached yet, a linked duplicate, a phone-only type).
-- Whatever changes that record (the cells computed, the arrival recorded, moved or cleared by
-- a re-opening, the ticket moved, deleted) goes through one statement-level trigger that takes
-- the old contribution out of the histograms and puts the new one in, in the same transaction.
-- A re-opened ticket is counted once: its record is replaced, never added to.
-- dispatch.manager_repository.rebuild_histograms recomputes everything (back-fill, a change
-- of the territory's timezone).

CREATE TABLE response_histograms (
    territory_id  smallint NOT NULL DEFAULT 1,
    resolution    smallint NOT NULL,
    cell          bigint NOT NULL,          -- the h3 index as a bigint, as in ticket_h3_cells
    day           date NOT NULL,            -- the local day (territory's timezone) of the call
    ticket_type   text NOT NULL,
    priority      smallint NOT NULL,
    jobs          integer NOT NULL CHECK (jobs >= 0),
    counts        integer[] NOT NULL CHECK (cardinality(counts) = 181),
    PRIMARY KEY (resolution, day, cell, ticket_type, priority, territory_id)
);

ALTER TABLE ticket_h3_cells
    ADD COLUMN counted_day       date,
    ADD COLUMN counted_type      text,
    ADD COLUMN counted_priority  smallint,
    ADD COLUMN counted_bucket    smallint;

-- The 1-minute bucket of a ticket's response time, or NULL when the map does not count it.
CREATE FUNCTION response_bucket(category text, parent_ticket_id bigint,
    received_at timestamptz, arrived_at timestamptz) RETURNS smallint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN category <> 'non_field' AND parent_ticket_id IS NULL
        AND arrived_at IS NOT NULL AND received_at IS NOT NULL
        THEN least(180, greatest(0, floor(extract(epoch FROM arrived_at - received_at) / 60)))
        END::smallint
$$;

-- The local day of a call in the territory's time zone (``zone``: territory_zone(), read once
-- per statement; a plain expression, so the planner inlines it).
CREATE FUNCTION territory_zone() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT timezone FROM territory LIMIT 1), 'UTC')
$$;
CREATE FUNCTION response_day(received_at timestamptz, zone text) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT (received_at AT TIME ZONE zone)::date
$$;

-- A histogram of 181 buckets from parallel arrays of buckets and counts.
CREATE FUNCTION response_hist_of(buckets smallint[], ns integer[]) RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    h integer[] := array_fill(0, ARRAY[181]);
BEGIN
    FOR i IN 1 .. coalesce(cardinality(buckets), 0) LOOP
        h[buckets[i] + 1] := h[buckets[i] + 1] + ns[i];
    END LOOP;
    RETURN h;
END $$;

CREATE FUNCTION response_hist_add(a integer[], b integer[]) RETURNS integer[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i)
    FROM unnest(a, b) WITH ORDINALITY AS u(x, y, i)
$$;

-- Add (n = 1) or take out (n = -1) contributions, given as parallel arrays, at every stored
-- resolution; rows left with no job are deleted.
CREATE FUNCTION response_hist_apply(territory smallint[], r7 bigint[], r8 bigint[],
    r9 bigint[], days date[], types text[], prios smallint[], buckets smallint[],
    ns integer[]) RETURNS void LANGUAGE plpgsql AS $$
#variable_conflict use_variable
BEGIN  -- PL/pgSQL, not SQL: its statements' plans are kept for the session
    WITH d AS (
        SELECT * FROM unnest(territory, r7, r8, r9, days, types, prios, buckets, ns)
            AS d(territory_id, r7, r8, r9, day, ticket_type, priority, bucket, n)
    ), per_bucket AS (
        SELECT d.territory_id, c.resolution, c.cell, d.day, d.ticket_type, d.priority,
            d.bucket, sum(d.n)::int AS n
        FROM d CROSS JOIN LATERAL (VALUES (7::smallint, d.r7), (8::smallint, d.r8),
            (9::smallint, d.r9)) AS c(resolution, cell)
        GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(d.n) <> 0
    ), delta AS (
        SELECT territory_id, resolution, cell, day, ticket_type, priority, sum(n)::int AS jobs,
            response_hist_of(array_agg(bucket), array_agg(n)) AS counts
        FROM per_bucket GROUP BY 1, 2, 3, 4, 5, 6
    ), updated AS (
        -- rows already there first: an INSERT's row is checked (jobs >= 0) before ON
        -- CONFLICT could turn it into an update, so a job taken out must not go that way
        UPDATE response_histograms h
        SET jobs = h.jobs + d.jobs, counts = (SELECT array_agg(x + y ORDER BY i)
            FROM unnest(h.counts, d.counts) WITH ORDINALITY AS u(x, y, i))
        FROM delta d
        WHERE (h.resolution, h.day, h.cell, h.ticket_type, h.priority, h.territory_id)
            = (d.resolution, d.day, d.cell, d.ticket_type, d.priority, d.territory_id)
        RETURNING h.resolution, h.day, h.cell, h.ticket_type, h.priority, h.territory_id
    )
    INSERT INTO response_histograms AS h (territory_id, resolution, cell, day, ticket_type,
        priority, jobs, counts)
    SELECT d.* FROM delta d
    WHERE NOT EXISTS (SELECT 1 FROM updated u
        WHERE (u.resolution, u.day, u.cell, u.ticket_type, u.priority, u.territory_id)
            = (d.resolution, d.day, d.cell, d.ticket_type, d.priority, d.territory_id))
    -- another transaction inserted the row meanwhile
    ON CONFLICT (resolution, day, cell, ticket_type, priority, territory_id) DO UPDATE
        SET jobs = h.jobs + EXCLUDED.jobs, counts = response_hist_add(h.counts, EXCLUDED.counts);


    -- a separate statement: rows updated above are invisible to a DELETE of the same one
    DELETE FROM response_histograms h
    USING (
        SELECT DISTINCT d.territory_id, c.resolution, c.cell, d.day, d.ticket_type, d.priority
        FROM unnest(territory, r7, r8, r9, days, types, prios, ns)
            AS d(territory_id, r7, r8, r9, day, ticket_type, priority, n)
        CROSS JOIN LATERAL (VALUES (7::smallint, d.r7), (8::smallint, d.r8),
            (9::smallint, d.r9)) AS c(resolution, cell)
        WHERE d.n < 0
    ) k
    WHERE h.jobs = 0 AND (h.resolution, h.day, h.cell, h.ticket_type, h.priority,
        h.territory_id) = (k.resolution, k.day, k.cell, k.ticket_type, k.priority,
        k.territory_id);
END $$;

CREATE FUNCTION response_hist_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('dispatch.rebuilding_histograms', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM response_hist_apply(array_agg(territory_id), array_agg(r7), array_agg(r8),
            array_agg(r9), array_agg(counted_day), array_agg(counted_type),
            array_agg(counted_priority), array_agg(counted_bucket), array_agg(-1))
        FROM old_cells WHERE counted_bucket IS NOT NULL HAVING count(*) > 0;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM response_hist_apply(array_agg(territory_id), array_agg(r7), array_agg(r8),
            array_agg(r9), array_agg(counted_day), array_agg(counted_type),
            array_agg(counted_priority), array_agg(counted_bucket), array_agg(1))
        FROM new_cells WHERE counted_bucket IS NOT NULL HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_cells_hist_insert AFTER INSERT ON ticket_h3_cells
    REFERENCING NEW TABLE AS new_cells FOR EACH STATEMENT
    EXECUTE FUNCTION response_hist_changed();
CREATE TRIGGER ticket_cells_hist_update AFTER UPDATE ON ticket_h3_cells
    REFERENCING OLD TABLE AS old_cells NEW TABLE AS new_cells FOR EACH STATEMENT
    EXECUTE FUNCTION response_hist_changed();
CREATE TRIGGER ticket_cells_hist_delete AFTER DELETE ON ticket_h3_cells
    REFERENCING OLD TABLE AS old_cells FOR EACH STATEMENT
    EXECUTE FUNCTION response_hist_changed();

-- A ticket whose arrival, call time, type, priority or link changes re-records what its cells
-- row counts (no row yet: sync_cells records it when it computes the cells).
CREATE FUNCTION ticket_response_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ticket_h3_cells SET received_at = NEW.received_at,
        counted_day = response_day(NEW.received_at, territory_zone()), counted_type = NEW.ticket_type,
        counted_priority = NEW.priority,
        counted_bucket = response_bucket(NEW.category, NEW.parent_ticket_id, NEW.received_at,
            NEW.arrived_at)
    WHERE ticket_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER tickets_response_changed AFTER UPDATE ON tickets FOR EACH ROW
    WHEN (OLD.arrived_at IS DISTINCT FROM NEW.arrived_at
        OR OLD.received_at IS DISTINCT FROM NEW.received_at
        OR OLD.ticket_type IS DISTINCT FROM NEW.ticket_type
        OR OLD.priority IS DISTINCT FROM NEW.priority
        OR OLD.parent_ticket_id IS DISTINCT FROM NEW.parent_ticket_id)
    EXECUTE FUNCTION ticket_response_changed();

-- A report "as of" a past moment leaves out arrivals recorded after it: they are found here
-- (normally none) and taken out of the summed histograms.
CREATE INDEX tickets_field_arrived_idx ON tickets (arrived_at)
    INCLUDE (received_at, ticket_type, priority)
    WHERE geom IS NOT NULL AND category <> 'non_field' AND parent_ticket_id IS NULL;

-- Back-fill what is already there (the triggers above see nothing of it).
UPDATE ticket_h3_cells c SET counted_day = response_day(t.received_at, z.zone),
    counted_type = t.ticket_type, counted_priority = t.priority,
    counted_bucket = response_bucket(t.category, t.parent_ticket_id, t.received_at, t.arrived_at)
FROM tickets t, (SELECT territory_zone() AS zone) z WHERE t.id = c.ticket_id;
