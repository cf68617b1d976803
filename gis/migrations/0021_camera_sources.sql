-- Real camera feeds (issue 15): where a camera's picture comes from, its signal, and stills
-- kept as evidence with emergency tickets.
--
-- `source_url` never holds credentials: they are resolved on the server from
-- `credentials_ref` ("env:NAME" or "file:KEY" in the secrets file named by the settings).
-- A camera without a source keeps `stream_url` pointing at the app's generated demo feed.
ALTER TABLE cameras
    ADD COLUMN source_url       text,
    ADD COLUMN source_kind      text CHECK (source_kind IN ('rtsp', 'mjpeg', 'hls')),
    ADD COLUMN credentials_ref  text,
    ADD COLUMN signal_at        timestamptz,  -- the last frame any relay or probe saw
    ADD COLUMN checked_at       timestamptz,  -- the last time the signal was looked at
    ADD COLUMN dark_since       timestamptz,  -- the first look that found no picture (reset by one)
    ADD CONSTRAINT cameras_source_complete CHECK ((source_url IS NULL) = (source_kind IS NULL)),
    ADD CONSTRAINT cameras_source_without_password CHECK (source_url !~ '^[a-z]+://[^/]*@');

-- One open alarm per station camera without signal; cleared when the signal is back.
CREATE TABLE camera_signal_alarms (
    territory_id  smallint NOT NULL DEFAULT 1,
    camera_id     integer NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    lost_since    timestamptz,                -- the last frame seen before the loss (null: never)
    raised_at     timestamptz NOT NULL,
    cleared_at    timestamptz,
    id            bigserial PRIMARY KEY
);
CREATE UNIQUE INDEX camera_signal_alarms_open_idx
    ON camera_signal_alarms (camera_id) WHERE cleared_at IS NULL;

-- A still from each camera that sees an emergency when its ticket opens.
CREATE TABLE camera_stills (
    territory_id  smallint NOT NULL DEFAULT 1,
    id            bigserial PRIMARY KEY,
    ticket_id     bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    camera_id     integer NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    taken_at      timestamptz NOT NULL,
    image         bytea NOT NULL CHECK (substring(image from 1 for 2) = '\xffd8'::bytea),
    UNIQUE (ticket_id, camera_id)
);
-- Emergencies whose stills were looked for (found or not), so the ticker tries each once.
ALTER TABLE tickets ADD COLUMN stills_checked_at timestamptz;
