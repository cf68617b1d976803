-- The hotline's customer search (dispatch/customer_search.py): one box finds a customer by a
-- fragment of the phone, account or meter number, or by an address with typos. Trigram GIN
-- indexes answer substring (LIKE '%..%') and similarity (%, <%) queries over half a million
-- customers in milliseconds; the phone is indexed by its digits only, so "139 1234-5678",
-- "+86 13912345678" and "13912345678" are one number. No new table: the rows stay in
-- customer_meters.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX customer_meters_phone_digits_trgm_idx ON customer_meters
    USING gin ((regexp_replace(phone, '[^0-9]', '', 'g')) gin_trgm_ops);
CREATE INDEX customer_meters_account_trgm_idx ON customer_meters
    USING gin (account_no gin_trgm_ops);
CREATE INDEX customer_meters_meter_trgm_idx ON customer_meters
    USING gin (meter_no gin_trgm_ops);
CREATE INDEX customer_meters_address_trgm_idx ON customer_meters
    USING gin (address gin_trgm_ops);
-- A customer's file lists every past ticket of the meter or the account.
CREATE INDEX IF NOT EXISTS tickets_meter_idx ON tickets (meter_id) WHERE meter_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS tickets_account_idx ON tickets (account_no) WHERE account_no IS NOT NULL;
