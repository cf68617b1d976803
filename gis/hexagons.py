"""H3 hexagons for maps of figures: which cell a point falls in, and a cell's outline as a
GeoJSON polygon. Pure (the ``h3`` package), EPSG:4326 degrees."""

from __future__ import annotations

import h3

#: Resolutions a map may use: 6 (about 36 km² a cell) to 10 (about 0.015 km²).
RESOLUTIONS = range(6, 11)


def cell_of(lon: float, lat: float, resolution: int) -> str:
    if resolution not in RESOLUTIONS:
        raise ValueError(f"`resolution` must be from {RESOLUTIONS[0]} to {RESOLUTIONS[-1]}")
    return h3.latlng_to_cell(lat, lon, resolution)


def cell_polygon(cell: str) -> dict:
    """The cell's outline as a GeoJSON Polygon (lon, lat; closed ring)."""
    ring = [[round(lng, 7), round(lat, 7)] for lat, lng in h3.cell_to_boundary(cell)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def cell_ints(lon: float, lat: float, resolutions) -> list[int]:
    """The point's cells at each of ``resolutions``, as the h3 index's 64-bit integer (what
    the database stores and groups by)."""
    return [h3.str_to_int(cell_of(lon, lat, r)) for r in resolutions]


def cell_name(value: int) -> str:
    """The hexadecimal name of a cell stored as an integer."""
    return h3.int_to_str(int(value))
