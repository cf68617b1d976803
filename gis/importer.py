"""Import of utility GIS data: pipes, valves, meters and cameras from GeoPackage, Shapefile or
GeoJSON, through a field-mapping file, reprojected to EPSG:4326.

A file that cannot be used at all (unreadable, no CRS, a mapped field missing) is refused
whole. Otherwise every feature is validated; good ones are imported, bad ones listed in the
reject report with the reason, all in one transaction: nothing half-imported stays.

Mapping file (JSON or TOML)::

    [fields]            # our column = the file's field
    id = "ASSET_ID"
    pressure_class = "PRESS"
    [values.pressure_class]   # the file's codes = ours
    LP = "low"
    MP = "medium_b"
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg2
import shapely
from scipy.spatial import cKDTree

from gis import cameras
from gis.database import transaction
from gis.errors import GisError

PRESSURE_CLASSES = ("low", "medium_b", "medium_a", "sub_high_b", "sub_high_a", "high_b", "high_a")
MATERIALS = ("pe", "steel", "cast_iron", "ductile_iron", "copper", "other")
VALVE_TYPES = ("gate", "ball", "plug", "butterfly")
CATEGORIES = (
    "residential",
    "commercial",
    "industrial",
    "public",
    "hospital",
    "school",
    "care_home",
    "life_support",
)
#: Pipe ends closer than this share one node; a valve this close to a main sits on it (metres).
NODE_SNAP_M = 0.5
VALVE_SNAP_M = 2.0

# kind -> (geometry types, required columns, optional columns with defaults, enums)
KINDS: dict[str, dict] = {
    "pipes": {
        "geometry": ("LineString",),
        "required": ("id", "pressure_class", "diameter_mm"),
        "defaults": {"material": "other", "install_year": None, "status": "in_service"},
        "enums": {"pressure_class": PRESSURE_CLASSES, "material": MATERIALS},
    },
    "valves": {
        "geometry": ("Point",),
        "required": ("id",),
        "defaults": {
            "valve_type": "gate",
            "operable": True,
            "currently_open": True,
            "access_note": None,
        },
        "enums": {"valve_type": VALVE_TYPES},
    },
    "meters": {
        "geometry": ("Point",),
        "required": ("id", "meter_no", "account_no", "customer_name", "phone", "address"),
        "defaults": {"category": "residential"},
        "enums": {"category": CATEGORIES},
    },
    "cameras": {
        "geometry": ("Point",),
        # A camera has a stream_url (an image stream the browser may open as it is) or a
        # source_url the server relays (rtsp, MJPEG, HLS; credentials by credentials_ref).
        "required": ("id", "name"),
        "defaults": {
            "bearing_deg": 0.0,
            "fov_deg": 90.0,
            "range_m": 100.0,
            "stream_url": None,
            "source_url": None,
            "credentials_ref": None,
        },
        "enums": {},
    },
}


class ImportRefused(GisError, ValueError):
    """The whole file cannot be used; nothing was imported."""


@dataclass
class ImportReport:
    kind: str
    file: str
    source_crs: str
    read: int = 0
    imported: int = 0
    rejected: list[dict] = field(default_factory=list)

    def write_rejects(self, path: Path) -> None:
        pd.DataFrame(self.rejected, columns=["feature", "id", "reason"]).to_csv(path, index=False)


def load_mapping(path: str | Path | None) -> dict:
    if path is None:
        return {"fields": {}, "values": {}}
    path = Path(path)
    if not path.is_file():
        raise ImportRefused(f"`--mapping`: file not found: {path}")
    try:
        data = (
            tomllib.loads(path.read_text())
            if path.suffix == ".toml"
            else json.loads(path.read_text())
        )
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ImportRefused(f"`--mapping`: {path.name} is not valid TOML/JSON: {exc}") from exc
    return {"fields": dict(data.get("fields", {})), "values": dict(data.get("values", {}))}


def import_file(
    dsn: str,
    path: str | Path,
    kind: str,
    *,
    mapping: dict | None = None,
    layer: str | None = None,
    crs: str | None = None,
) -> ImportReport:
    """Import one layer of ``kind`` (pipes, valves, meters or cameras) from ``path``."""
    if kind not in KINDS:
        raise ImportRefused(f"`kind` must be one of {', '.join(KINDS)}")
    frame = _read(Path(path), layer, crs)
    spec, mapping = KINDS[kind], mapping or {"fields": {}, "values": {}}
    report = ImportReport(kind, str(path), str(frame.crs), read=len(frame))
    rows = _mapped(frame, spec, mapping, Path(path))
    geoms = np.array(frame.to_crs("EPSG:4326").geometry.values, dtype=object)
    good = _validate(rows, geoms, spec, report)
    try:
        with transaction(dsn) as conn, conn.cursor() as cur:
            report.imported = _WRITERS[kind](cur, rows.loc[good], geoms[good], report)
    except psycopg2.Error as exc:  # a row the checks above let through: refuse the file
        detail = (str(exc).strip().splitlines() or ["database error"])[0]
        raise ImportRefused(
            f"`file`: {Path(path).name} refused, nothing imported: {detail}"
        ) from exc
    return report


def _read(path: Path, layer: str | None, crs: str | None) -> gpd.GeoDataFrame:
    if not path.exists():
        raise ImportRefused(f"`file`: not found: {path}")
    try:
        frame = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio raises many kinds of errors for unreadable files
        raise ImportRefused(f"`file`: {path.name} is not a readable GIS file ({exc})") from exc
    if len(frame) == 0:
        raise ImportRefused(f"`file`: {path.name} has no features")
    if frame.crs is None:
        if crs is None:
            raise ImportRefused(
                f"`file`: {path.name} has no coordinate reference system; "
                "give it with --crs (e.g. EPSG:4547)"
            )
        frame = frame.set_crs(crs)
    return frame


def _mapped(frame: gpd.GeoDataFrame, spec: dict, mapping: dict, path: Path) -> pd.DataFrame:
    fields, values = mapping["fields"], mapping["values"]
    out = {}
    for column in (*spec["required"], *spec["defaults"]):
        source = fields.get(column, column)
        if source in frame.columns:
            series = frame[source].astype(object).where(frame[source].notna(), None)
            codes = values.get(column)
            out[column] = series.map(
                lambda v, c=codes: c.get(str(v), v) if c and v is not None else v
            )
        elif column in spec["required"]:
            raise ImportRefused(
                f"`file`: {path.name} has no field {source!r} for `{column}` "
                "(map it in the mapping file)"
            )
        else:
            out[column] = pd.Series([spec["defaults"][column]] * len(frame), dtype=object)
    return pd.DataFrame(out).reset_index(drop=True)


def _validate(
    rows: pd.DataFrame, geoms: np.ndarray, spec: dict, report: ImportReport
) -> np.ndarray:
    good = np.ones(len(rows), dtype=bool)
    seen: set = set()

    def reject(i: int, reason: str) -> None:
        good[i] = False
        report.rejected.append({"feature": i, "id": rows["id"].iloc[i], "reason": reason})

    for i in range(len(rows)):
        geom = geoms[i]
        if geom is None or geom.is_empty:
            reject(i, "empty geometry")
            continue
        if geom.geom_type == "MultiLineString" and len(geom.geoms) == 1:
            geoms[i] = geom = geom.geoms[0]
        if geom.geom_type not in spec["geometry"]:
            reject(i, f"geometry is {geom.geom_type}, expected {spec['geometry'][0]}")
            continue
        if not geom.is_valid or not np.isfinite(shapely.get_coordinates(geom)).all():
            reject(i, f"invalid geometry ({shapely.is_valid_reason(geom)})")
            continue
        row = rows.iloc[i]
        missing = [c for c in spec["required"] if row[c] is None or str(row[c]).strip() == ""]
        if missing:
            reject(i, f"`{missing[0]}` is empty")
            continue
        bad = [
            (c, row[c])
            for c, allowed in spec["enums"].items()
            if row[c] is not None and row[c] not in allowed
        ]
        if bad:
            reject(i, f"unknown `{bad[0][0]}` {bad[0][1]!r}")
            continue
        problem = _check_numbers(row, spec)
        if problem:
            reject(i, problem)
            continue
        if row["id"] in seen:
            reject(i, f"duplicate id {row['id']!r}")
            continue
        seen.add(row["id"])
    return good


def _check_numbers(row: pd.Series, spec: dict) -> str | None:
    for column, (lo, hi) in spec.get("ranges", {}).items():
        value = row.get(column)
        if value is None:
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            return f"`{column}` must be a number, got {value!r}"
        if not (math.isfinite(number) and lo <= number <= hi):
            return f"`{column}` {value!r} is outside {lo:g}..{hi:g}"
    return None


def _pipes(cur, rows: pd.DataFrame, geoms: np.ndarray, report: ImportReport) -> int:
    """Pipes become mains; their ends join existing nodes within NODE_SNAP_M or new nodes."""
    if not len(rows):
        return 0
    cur.execute("SELECT id, ST_X(geom), ST_Y(geom) FROM pipe_nodes")
    existing = np.array(cur.fetchall(), dtype=float).reshape(-1, 3)
    ends = np.array([[g.coords[0], g.coords[-1]] for g in geoms]).reshape(-1, 2)
    lat0 = math.radians(float(np.mean(ends[:, 1])))
    scale = np.array([111_320.0 * math.cos(lat0), 110_574.0])
    all_points = np.vstack([existing[:, 1:], ends]) * scale
    tree = cKDTree(all_points)
    pairs = tree.query_pairs(NODE_SNAP_M, output_type="ndarray")
    parent = np.arange(len(all_points))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Existing nodes win as representatives so imported pipes join the present network.
    for a, b in sorted(pairs.tolist()):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    next_node = _next_id(cur, "pipe_nodes")
    node_of: dict[int, int] = {i: int(existing[i, 0]) for i in range(len(existing))}
    n_old = len(existing)
    for k in range(len(ends)):
        root = find(n_old + k)
        if root not in node_of:
            node_of[root] = next_node
            lon, lat = all_points[root] / scale
            cur.execute(
                "INSERT INTO pipe_nodes (id, kind, geom) VALUES"
                " (%s, 'end', ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
                (next_node, float(lon), float(lat)),
            )
            next_node += 1
    next_main = _next_id(cur, "gas_mains")
    count = 0
    for k, (row, geom) in enumerate(zip(rows.itertuples(index=False), geoms, strict=True)):
        a, b = node_of[find(n_old + 2 * k)], node_of[find(n_old + 2 * k + 1)]
        if a == b:
            report.rejected.append(
                {"feature": None, "id": row.id, "reason": "both ends meet at one node"}
            )
            continue
        cur.execute(
            "INSERT INTO gas_mains (id, from_node, to_node, material, diameter_mm,"
            " pressure_class, install_year, status, geom)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, ST_GeomFromText(%s, 4326))",
            (
                next_main,
                a,
                b,
                row.material or "other",
                int(float(row.diameter_mm)),
                row.pressure_class,
                _int_or_none(row.install_year),
                row.status or "in_service",
                geom.wkt,
            ),
        )
        next_main += 1
        count += 1
    return count


def _valves(cur, rows: pd.DataFrame, geoms: np.ndarray, report: ImportReport) -> int:
    next_id = _next_id(cur, "valves")
    count = 0
    for row, geom in zip(rows.itertuples(index=False), geoms, strict=True):
        cur.execute(
            "SELECT id, ST_Distance(geom::geography, p::geography) FROM gas_mains,"
            " (SELECT ST_SetSRID(ST_MakePoint(%s, %s), 4326) AS p) q ORDER BY geom <-> p LIMIT 1",
            (geom.x, geom.y),
        )
        hit = cur.fetchone()
        if hit is None or hit[1] > VALVE_SNAP_M:
            report.rejected.append(
                {
                    "feature": None,
                    "id": row.id,
                    "reason": f"not on a main (nearest {hit[1]:.1f} m away)"
                    if hit
                    else "no mains to sit on",
                }
            )
            continue
        cur.execute(
            "INSERT INTO valves (id, main_id, valve_type, operable, currently_open, access_note,"
            " geom) VALUES (%s, %s, %s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
            (
                next_id,
                hit[0],
                row.valve_type or "gate",
                _bool(row.operable, True),
                _bool(row.currently_open, True),
                row.access_note,
                geom.x,
                geom.y,
            ),
        )
        next_id += 1
        count += 1
    return count


def _meters(cur, rows: pd.DataFrame, geoms: np.ndarray, report: ImportReport) -> int:
    next_id = _next_id(cur, "customer_meters")
    cur.execute("SELECT meter_no, account_no FROM customer_meters")
    taken = {v for r in cur.fetchall() for v in r}
    count = 0
    for row, geom in zip(rows.itertuples(index=False), geoms, strict=True):
        if str(row.meter_no) in taken or str(row.account_no) in taken:
            report.rejected.append(
                {"feature": None, "id": row.id, "reason": "meter or account number already exists"}
            )
            continue
        cur.execute(
            "INSERT INTO customer_meters (id, meter_no, account_no, customer_name, phone,"
            " address, category, geom) VALUES (%s, %s, %s, %s, %s, %s, %s,"
            " ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
            (
                next_id,
                str(row.meter_no),
                str(row.account_no),
                row.customer_name,
                str(row.phone),
                row.address,
                row.category or "residential",
                geom.x,
                geom.y,
            ),
        )
        taken |= {str(row.meter_no), str(row.account_no)}
        next_id += 1
        count += 1
    return count


def _cameras(cur, rows: pd.DataFrame, geoms: np.ndarray, report: ImportReport) -> int:
    next_id = _next_id(cur, "cameras")
    count = 0
    for row, geom in zip(rows.itertuples(index=False), geoms, strict=True):
        try:
            bearing = float(row.bearing_deg) % 360
            fov, reach = float(row.fov_deg), float(row.range_m)
        except (TypeError, ValueError):
            report.rejected.append(
                {
                    "feature": None,
                    "id": row.id,
                    "reason": "bearing, field of view and range must be numbers",
                }
            )
            continue
        if not (0 < fov <= 360 and reach > 0):
            report.rejected.append(
                {
                    "feature": None,
                    "id": row.id,
                    "reason": "field of view must be in (0, 360], range > 0",
                }
            )
            continue
        source = _camera_source(row, report)
        if source is False:
            continue
        url, kind, ref = source or (None, None, None)
        stream_url = cameras.relay_path(next_id) if url else str(row.stream_url)
        cur.execute(
            "INSERT INTO cameras (id, name, stream_url, bearing_deg, fov_deg, range_m, geom,"
            " source_url, source_kind, credentials_ref)"
            " VALUES (%s, %s, %s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326),"
            " %s, %s, %s)",
            (next_id, row.name, stream_url, bearing, fov, reach, geom.x, geom.y, url, kind, ref),
        )
        next_id += 1
        count += 1
    return count


def _camera_source(row, report: ImportReport):
    """``(url, kind, credentials_ref)`` of a camera row, ``None`` without a source_url, or
    ``False`` when the row is rejected (recorded in ``report``)."""
    url = _blank_to_none(row.source_url)
    stream = _blank_to_none(row.stream_url)
    reason = None
    if url is None and stream is None:
        reason = "needs a stream_url or a source_url"
    elif url is not None:
        try:
            kind = cameras.classify_source_url(url)
            ref = cameras.check_credentials_ref(_blank_to_none(row.credentials_ref))
        except ValueError as exc:
            reason = f"source_url/credentials_ref {exc}"
    if reason is not None:
        report.rejected.append({"feature": None, "id": row.id, "reason": reason})
        return False
    return None if url is None else (url.strip(), kind, ref)


def _blank_to_none(value):
    """``None`` for a missing value (``None``, NaN as files read give it, blank text)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return None if str(value).strip() == "" else str(value)


_WRITERS = {"pipes": _pipes, "valves": _valves, "meters": _meters, "cameras": _cameras}


def _next_id(cur, table: str) -> int:
    # Table names come from this module, never from input.
    cur.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
    return int(cur.fetchone()[0])


def _int_or_none(value) -> int | None:
    try:
        return None if value is None else int(float(value))
    except (TypeError, ValueError):
        return None


def _bool(value, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "t")
    return bool(value)
