-- The departure clock of policies that have one (e.g. the crew leaves within 5 min of an
-- outdoor-leak alarm): when the crew must be on its way. Stopped by en_route_at.
ALTER TABLE tickets ADD COLUMN depart_due_at timestamptz;
