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
-- The strong matches of a number (exact, prefix, the end of a phone) come first and are
-- looked up through b-trees; the trigram indexes above serve a fragment inside a number.
CREATE INDEX customer_meters_phone_digits_prefix_idx ON customer_meters
    ((regexp_replace(phone, '[^0-9]', '', 'g')) text_pattern_ops);
CREATE INDEX customer_meters_phone_digits_suffix_idx ON customer_meters
    ((reverse(regexp_replace(phone, '[^0-9]', '', 'g'))) text_pattern_ops);
CREATE INDEX customer_meters_account_prefix_idx ON customer_meters
    (account_no text_pattern_ops);
CREATE INDEX customer_meters_meter_prefix_idx ON customer_meters
    ((upper(meter_no)) text_pattern_ops);
CREATE INDEX customer_meters_meter_digits_prefix_idx ON customer_meters
    ((regexp_replace(meter_no, '[^0-9]', '', 'g')) text_pattern_ops);

-- Address search in two steps, so a misspelt street never means a similarity computed over
-- every customer of every similar street: first the street names (a few thousand rows, kept
-- here by triggers; the street is the address up to its first digit), then the customers on
-- the best streets by an indexed prefix.
CREATE TABLE customer_streets (
    territory_id  smallint NOT NULL DEFAULT 1,
    street        text PRIMARY KEY CHECK (street <> '')
);
-- fastupdate off: a new street is searchable at once, not after the next vacuum.
CREATE INDEX customer_streets_trgm_idx ON customer_streets USING gin (street gin_trgm_ops)
    WITH (fastupdate = off);
CREATE INDEX customer_meters_address_prefix_idx ON customer_meters (address text_pattern_ops);
CREATE FUNCTION customer_street(address text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN btrim(regexp_replace(address, '[0-9].*$', ''), ' ,');
CREATE FUNCTION customer_streets_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customer_streets (street)
    SELECT DISTINCT customer_street(address) FROM new_rows
    WHERE customer_street(address) <> ''
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER customer_streets_on_insert AFTER INSERT ON customer_meters
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_streets_add();
CREATE TRIGGER customer_streets_on_update AFTER UPDATE ON customer_meters
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_streets_add();
INSERT INTO customer_streets (street)
SELECT DISTINCT customer_street(address) FROM customer_meters
WHERE customer_street(address) <> '' ON CONFLICT DO NOTHING;

-- A customer's file lists every past ticket of the meter or the account.
CREATE INDEX IF NOT EXISTS tickets_meter_idx ON tickets (meter_id) WHERE meter_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS tickets_account_idx ON tickets (account_no) WHERE account_no IS NOT NULL;

-- A work order records its customer (DOMAIN.md: account, name, phone, address) apart from
-- who called: a neighbour may report a leak at a customer's flat. Filled from the customer
-- found by account or meter number, else from the caller.
ALTER TABLE tickets
    ADD COLUMN customer_name   text,
    ADD COLUMN customer_phone  text,
    -- A call that could not be answered at once is promised a reply (promised_reply_at);
    -- the reply given is recorded here, and the ticker raises an alarm once when the promise
    -- passes without one.
    ADD COLUMN replied_at      timestamptz,
    ADD COLUMN replied_by      text,
    ADD CONSTRAINT tickets_replied_by_check CHECK ((replied_at IS NULL) = (replied_by IS NULL));
CREATE INDEX tickets_promised_reply_idx ON tickets (promised_reply_at)
    WHERE promised_reply_at IS NOT NULL AND replied_at IS NULL;
