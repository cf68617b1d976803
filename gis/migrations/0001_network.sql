-- The gas network, the territory it serves and the OSM base data it is laid on.
-- Storage is EPSG:4326; lengths are metres computed on the spheroid (geography).

CREATE TABLE territory (
    id          smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),  -- one territory per database
    name        text NOT NULL,
    source      text NOT NULL,           -- the OSM file or place it was built from
    seed        integer NOT NULL,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    counts      jsonb NOT NULL DEFAULT '{}',
    geom        geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom))
);

CREATE TABLE districts (
    id    integer PRIMARY KEY,
    name  text NOT NULL,
    geom  geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
);
CREATE INDEX districts_geom_idx ON districts USING gist (geom);

CREATE TABLE streets (
    id          integer PRIMARY KEY,
    osm_way_id  bigint NOT NULL,
    name        text,
    highway     text NOT NULL,
    oneway      boolean NOT NULL DEFAULT false,
    geom        geometry(LineString, 4326) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    length_m    double precision GENERATED ALWAYS AS (ST_Length(geom::geography)) STORED
);
CREATE INDEX streets_geom_idx ON streets USING gist (geom);

CREATE TABLE buildings (
    id        integer PRIMARY KEY,
    osm_id    bigint NOT NULL,
    building  text NOT NULL,
    name      text,
    address   text,
    levels    smallint CHECK (levels BETWEEN 0 AND 200),
    geom      geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
);
CREATE INDEX buildings_geom_idx ON buildings USING gist (geom);

-- Pipe topology: every main runs from one node to another.
CREATE TABLE pipe_nodes (
    id    integer PRIMARY KEY,
    kind  text NOT NULL CHECK (kind IN ('junction', 'end', 'split', 'bend')),
    geom  geometry(Point, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX pipe_nodes_geom_idx ON pipe_nodes USING gist (geom);

CREATE TABLE gas_mains (
    id              integer PRIMARY KEY,
    from_node       integer NOT NULL REFERENCES pipe_nodes (id),
    to_node         integer NOT NULL REFERENCES pipe_nodes (id),
    material        text NOT NULL
        CHECK (material IN ('pe', 'steel', 'cast_iron', 'ductile_iron', 'copper', 'other')),
    diameter_mm     integer NOT NULL CHECK (diameter_mm BETWEEN 15 AND 1500),
    pressure_class  text NOT NULL CHECK (pressure_class IN
        ('low', 'medium_b', 'medium_a', 'sub_high_b', 'sub_high_a', 'high_b', 'high_a')),
    install_year    smallint CHECK (install_year BETWEEN 1850 AND 2100),
    status          text NOT NULL DEFAULT 'in_service'
        CHECK (status IN ('in_service', 'out_of_service', 'planned', 'abandoned')),
    district_id     integer REFERENCES districts (id),
    street_name     text,
    geom            geometry(LineString, 4326) NOT NULL
        CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    length_m        double precision GENERATED ALWAYS AS (ST_Length(geom::geography)) STORED,
    CHECK (from_node <> to_node OR ST_IsClosed(geom))
);
CREATE INDEX gas_mains_geom_idx ON gas_mains USING gist (geom);
CREATE INDEX gas_mains_from_node_idx ON gas_mains (from_node);
CREATE INDEX gas_mains_to_node_idx ON gas_mains (to_node);

CREATE TABLE regulator_stations (
    id                      integer PRIMARY KEY,
    name                    text NOT NULL,
    node_id                 integer NOT NULL REFERENCES pipe_nodes (id),
    inlet_pressure_class    text NOT NULL CHECK (inlet_pressure_class IN
        ('low', 'medium_b', 'medium_a', 'sub_high_b', 'sub_high_a', 'high_b', 'high_a')),
    outlet_pressure_class   text NOT NULL CHECK (outlet_pressure_class IN
        ('low', 'medium_b', 'medium_a', 'sub_high_b', 'sub_high_a', 'high_b', 'high_a')),
    capacity_m3h            integer CHECK (capacity_m3h > 0),
    geom                    geometry(Point, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX regulator_stations_geom_idx ON regulator_stations USING gist (geom);

-- A valve sits on one main, next to one of its end nodes when it guards a junction;
-- closing it cuts that main.
CREATE TABLE valves (
    id              integer PRIMARY KEY,
    main_id         integer NOT NULL REFERENCES gas_mains (id),
    node_id         integer REFERENCES pipe_nodes (id),
    valve_type      text NOT NULL CHECK (valve_type IN ('gate', 'ball', 'plug', 'butterfly')),
    normally_open   boolean NOT NULL DEFAULT true,
    currently_open  boolean NOT NULL DEFAULT true,
    operable        boolean NOT NULL DEFAULT true,
    access_note     text,
    geom            geometry(Point, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX valves_geom_idx ON valves USING gist (geom);
CREATE INDEX valves_main_idx ON valves (main_id);

CREATE TABLE service_pipes (
    id              integer PRIMARY KEY,
    main_id         integer NOT NULL REFERENCES gas_mains (id),
    building_id     integer REFERENCES buildings (id),
    material        text NOT NULL
        CHECK (material IN ('pe', 'steel', 'cast_iron', 'ductile_iron', 'copper', 'other')),
    diameter_mm     integer NOT NULL CHECK (diameter_mm BETWEEN 15 AND 300),
    pressure_class  text NOT NULL CHECK (pressure_class IN
        ('low', 'medium_b', 'medium_a', 'sub_high_b', 'sub_high_a', 'high_b', 'high_a')),
    install_year    smallint CHECK (install_year BETWEEN 1850 AND 2100),
    status          text NOT NULL DEFAULT 'in_service'
        CHECK (status IN ('in_service', 'out_of_service', 'planned', 'abandoned')),
    geom            geometry(LineString, 4326) NOT NULL
        CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    length_m        double precision GENERATED ALWAYS AS (ST_Length(geom::geography)) STORED
);
CREATE INDEX service_pipes_geom_idx ON service_pipes USING gist (geom);
CREATE INDEX service_pipes_main_idx ON service_pipes (main_id);

-- Customer meters carry personal data (name, phone, address): read them only through
-- code paths that check the reader's role.
CREATE TABLE customer_meters (
    id               integer PRIMARY KEY,
    meter_no         text NOT NULL UNIQUE,
    account_no       text NOT NULL UNIQUE,
    customer_name    text NOT NULL,
    phone            text NOT NULL CHECK (phone ~ '^\+?[0-9 -]{6,20}$'),
    address          text NOT NULL,
    category         text NOT NULL CHECK (category IN ('residential', 'commercial', 'industrial',
        'public', 'hospital', 'school', 'care_home', 'life_support')),
    building_id      integer REFERENCES buildings (id),
    service_pipe_id  integer REFERENCES service_pipes (id),
    district_id      integer REFERENCES districts (id),
    geom             geometry(Point, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX customer_meters_geom_idx ON customer_meters USING gist (geom);
CREATE INDEX customer_meters_service_pipe_idx ON customer_meters (service_pipe_id);
CREATE INDEX customer_meters_phone_idx ON customer_meters (phone);

CREATE TABLE depots (
    id           integer PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    address      text,
    district_id  integer REFERENCES districts (id),
    geom         geometry(Point, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX depots_geom_idx ON depots USING gist (geom);

CREATE TABLE cameras (
    id                     integer PRIMARY KEY,
    name                   text NOT NULL,
    stream_url             text NOT NULL,
    bearing_deg            double precision NOT NULL CHECK (bearing_deg >= 0 AND bearing_deg < 360),
    fov_deg                double precision NOT NULL CHECK (fov_deg > 0 AND fov_deg <= 360),
    range_m                double precision NOT NULL CHECK (range_m > 0),
    regulator_station_id   integer REFERENCES regulator_stations (id),
    node_id                integer REFERENCES pipe_nodes (id),
    geom                   geometry(Point, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX cameras_geom_idx ON cameras USING gist (geom);
