-- The wall screen reads these every second: a crew's active ticket, and today's arrivals.
CREATE INDEX tickets_active_crew_idx ON tickets (crew_id)
    WHERE status IN ('assigned', 'accepted', 'en_route', 'on_site', 'made_safe');
CREATE INDEX tickets_received_at_idx ON tickets (received_at);
