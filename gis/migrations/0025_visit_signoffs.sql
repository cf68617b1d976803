-- Per-visit sign-offs, photos and hazard notices (issue 10, after 0014): a job re-opened after
-- it was finished is a new visit, and the customer signs for that visit's work and charges.
-- With one sign-off per ticket the second visit could never be signed for (409), and its
-- charges were lost. The visit is 1 + the times the ticket had been re-opened when the row
-- was written (as in 0014); rows written before this migration belong to the first visit.
-- Photos and hazard notices only record the visit they were taken or found on: an open
-- hazard is about the household, and keeps its gas off whatever the visit.

ALTER TABLE ticket_signoffs ADD COLUMN visit smallint NOT NULL DEFAULT 1 CHECK (visit >= 1);
ALTER TABLE ticket_charges ADD COLUMN visit smallint NOT NULL DEFAULT 1 CHECK (visit >= 1);
-- The charges' key and reference move to (ticket_id, visit) before the sign-off's key does.
ALTER TABLE ticket_charges DROP CONSTRAINT ticket_charges_ticket_id_fkey;
ALTER TABLE ticket_charges DROP CONSTRAINT ticket_charges_pkey;
ALTER TABLE ticket_signoffs DROP CONSTRAINT ticket_signoffs_pkey;
ALTER TABLE ticket_signoffs ADD PRIMARY KEY (ticket_id, visit);
ALTER TABLE ticket_charges ADD PRIMARY KEY (ticket_id, visit, line);
ALTER TABLE ticket_charges ADD CONSTRAINT ticket_charges_signoff_fkey
    FOREIGN KEY (ticket_id, visit) REFERENCES ticket_signoffs (ticket_id, visit) ON DELETE CASCADE;

ALTER TABLE ticket_photos ADD COLUMN visit smallint NOT NULL DEFAULT 1 CHECK (visit >= 1);
DROP INDEX ticket_photos_ticket_idx;
CREATE INDEX ticket_photos_ticket_idx ON ticket_photos (ticket_id, visit, id);

ALTER TABLE hazard_notices ADD COLUMN visit smallint NOT NULL DEFAULT 1 CHECK (visit >= 1);
