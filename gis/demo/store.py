"""Writing a demo territory to PostGIS in one transaction, with COPY for speed."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg2.extensions
import shapely

from gis.database import transaction
from gis.demo.territory import DemoTerritory
from gis.timezones import territory_timezone

# Tables in foreign-key order, with the columns written (geometry last, as EWKB).
COLUMNS: dict[str, list[str]] = {
    "districts": ["id", "name"],
    "streets": ["id", "way_id", "name", "highway", "oneway"],
    "buildings": ["id", "osm_id", "building", "name", "address", "levels"],
    "pipe_nodes": ["id", "kind"],
    "gas_mains": [
        "id",
        "from_node",
        "to_node",
        "material",
        "diameter_mm",
        "pressure_class",
        "install_year",
        "status",
        "district_id",
        "street_name",
    ],
    "regulator_stations": [
        "id",
        "name",
        "node_id",
        "inlet_pressure_class",
        "outlet_pressure_class",
        "capacity_m3h",
    ],
    "valves": ["id", "main_id", "node_id", "valve_type", "operable", "access_note"],
    "service_pipes": [
        "id",
        "main_id",
        "building_id",
        "material",
        "diameter_mm",
        "pressure_class",
        "install_year",
        "status",
    ],
    "customer_meters": [
        "id",
        "meter_no",
        "account_no",
        "customer_name",
        "phone",
        "address",
        "category",
        "building_id",
        "service_pipe_id",
        "district_id",
    ],
    "depots": ["id", "name", "address", "district_id"],
    "cameras": [
        "id",
        "name",
        "stream_url",
        "bearing_deg",
        "fov_deg",
        "range_m",
        "regulator_station_id",
        "node_id",
    ],
    "crews": ["id", "code", "name", "depot_id", "skills", "shift", "status", "members", "phone"],
    "crew_positions": ["crew_id", "recorded_at", "speed_mps", "heading_deg"],
}
#: Database column names that differ from the frame's.
RENAMED = {("streets", "way_id"): "osm_way_id"}
#: Geometry types the schema expects where a frame may hold single parts.
MULTI = {"districts", "buildings"}
#: Everything a reload replaces; tickets go too because they point at crews and meters.
OWNED_TABLES = [
    "assignments",
    "ticket_events",
    "tickets",
    "crew_latest_positions",
    "crew_positions",
    *reversed(COLUMNS),
    "territory",
]


def loaded_territory(dsn: str) -> dict | None:
    """The territory already in the database (name, source, seed, loaded_at), or ``None``."""
    with transaction(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT name, source, seed, loaded_at, counts FROM territory")
        row = cur.fetchone()
    if row is None:
        return None
    return dict(zip(["name", "source", "seed", "loaded_at", "counts"], row, strict=True))


def store_territory(
    dsn: str,
    territory: DemoTerritory,
    *,
    replace: bool = False,
    progress: Callable[[str], None] | None = None,
    timezone: str | None = None,
) -> None:
    """Write every table of ``territory`` in one transaction: all or nothing.

    With ``replace`` the current territory (and every ticket on it) is removed first, inside
    the same transaction. ``timezone`` (an IANA name) is the territory's; by default the one of
    its location (:func:`gis.timezones.territory_timezone`)."""
    with transaction(dsn) as conn, conn.cursor() as cur:
        cur.execute("LOCK TABLE territory IN EXCLUSIVE MODE")
        if replace:
            cur.execute("TRUNCATE " + ", ".join(OWNED_TABLES) + " RESTART IDENTITY CASCADE")
        tables = dict(territory.tables)
        # The crews' first fixes are taken now, as they report in when the demo starts.
        fixes = tables["crew_positions"]
        tables["crew_positions"] = fixes.assign(recorded_at=datetime.now(UTC).isoformat())
        for table, columns in COLUMNS.items():
            _copy(cur, table, tables[table], columns)
        cur.execute(
            "INSERT INTO territory (name, source, seed, counts, timezone, geom) "
            "VALUES (%s, %s, %s, %s, %s, ST_GeomFromEWKB(decode(%s, 'hex')))",
            (
                territory.name,
                territory.source,
                territory.seed,
                json.dumps(territory.counts()),
                territory_timezone(
                    territory.outline.centroid.x, territory.outline.centroid.y, timezone
                ),
                shapely.to_wkb(
                    shapely.set_srid(territory.outline, 4326), hex=True, include_srid=True
                ),
            ),
        )
        if progress:
            progress(f"wrote {sum(territory.counts().values())} rows in one transaction")


def _copy(
    cur: psycopg2.extensions.cursor, table: str, frame: pd.DataFrame, columns: list[str]
) -> None:
    out = pd.DataFrame({c: _column(frame[c]) for c in columns})
    targets = [RENAMED.get((table, c), c) for c in columns]
    if isinstance(frame, gpd.GeoDataFrame):
        geoms = frame.geometry.values
        if table in MULTI:
            geoms = np.asarray(
                [
                    g if g.geom_type.startswith("Multi") else shapely.MultiPolygon([g])
                    for g in geoms
                ],
                dtype=object,
            )
        out["geom"] = shapely.to_wkb(
            shapely.set_srid(np.asarray(geoms), 4326), hex=True, include_srid=True
        )
        targets.append("geom")
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, header=False, quoting=csv.QUOTE_MINIMAL, na_rep="")
    buffer.seek(0)
    cur.copy_expert(
        f"COPY {table} ({', '.join(targets)}) FROM STDIN WITH (FORMAT csv)", buffer
    )  # table and column names come from COLUMNS above, never from input


def _column(values: pd.Series) -> pd.Series:
    """Values as COPY's csv format wants them: arrays as ``{a,b}``, booleans as t/f."""
    first = next((v for v in values if v is not None and not _is_na(v)), None)
    if isinstance(first, list | tuple | np.ndarray):
        return values.map(lambda v: "{" + ",".join(v) + "}")
    if isinstance(first, bool | np.bool_):
        return values.map(lambda v: "" if _is_na(v) else ("t" if v else "f"))
    return values


def _is_na(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))
