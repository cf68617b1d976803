"""Building a whole demo territory from an OSM extract: pure computation, no database.

The result holds one GeoDataFrame per table, in EPSG:4326, with ids assigned here so that the
same extract and seed always give the same rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gis.demo import customers, lay_mains, operations, streets
from gis.errors import OsmDataError
from gis.osm_source import OsmExtract

STORAGE_CRS = "EPSG:4326"


@dataclass
class DemoTerritory:
    name: str
    source: str
    seed: int
    outline: shapely.MultiPolygon
    tables: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.tables.items()}


class Progress:
    """Prints one line per step with its duration, so long loads show they are moving."""

    def __init__(self, total: int, write: Callable[[str], None] | None) -> None:
        self.total, self.write, self.step = total, write, 0
        self.started = self.last = time.perf_counter()

    def __call__(self, label: str) -> None:
        now = time.perf_counter()
        self.step += 1
        if self.write:
            self.write(f"[{self.step}/{self.total}] {label} ({now - self.last:.1f} s)")
        self.last = now


def build_territory(
    extract: OsmExtract,
    *,
    seed: int = 7,
    name: str | None = None,
    depots: int | None = None,
    crews: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoTerritory:
    """Lay the gas network, customers, districts, depots, crews and cameras on ``extract``.

    ``depots`` and ``crews`` fix how many there are; by default they follow the territory's
    area (see :func:`operations.depots` and :func:`operations.crews`)."""
    for label, value in (("depots", depots), ("crews", crews)):
        if value is not None and value < 1:
            raise ValueError(f"`{label}`: must be at least 1, got {value}")
    step = Progress(6, progress)
    rng = np.random.default_rng(seed)
    crs = extract.roads.estimate_utm_crs()
    roads = extract.roads.to_crs(crs)
    chains = streets.merge_segments(roads)
    keep = streets.largest_component(
        chains.frame["start"].to_numpy(), chains.frame["end"].to_numpy(), len(chains.node_ids)
    )
    keep &= ~chains.frame["highway"].str.startswith("motorway").to_numpy()
    keep = _largest_after_filter(chains, keep)
    if keep.sum() == 0:
        raise OsmDataError(f"`--osm`: {extract.source} has no connected drivable streets")
    step(f"merged {len(roads)} road segments into {len(chains.frame)} street chains")

    gas = lay_mains.lay_network(chains, keep, rng)
    step(
        f"laid {len(gas.mains)} mains, {len(gas.valves)} valves, "
        f"{len(gas.stations)} regulator stations"
    )

    people = customers.connect_customers(extract.buildings.to_crs(crs), gas.mains, rng)
    step(f"connected {len(people.meters)} meters in {len(people.service_pipes)} premises")

    outline = operations.territory_outline(gas.mains)
    district_frame = operations.districts(outline, extract.places.to_crs(crs), gas, rng)
    step(
        f"outlined the territory ({outline.area / 1e6:.1f} km²) and {len(district_frame)} districts"
    )

    depot_frame = operations.depots(gas, outline, rng, depots)
    crew_frame, fixes = operations.crews(depot_frame, gas, rng, crews)
    camera_frame = operations.cameras(gas, rng)
    step(f"placed {len(depot_frame)} depots, {len(crew_frame)} crews, {len(camera_frame)} cameras")

    street_frame = chains.frame.drop(columns=["start", "end"]).reset_index(drop=True)
    street_frame.insert(0, "id", np.arange(1, len(street_frame) + 1))
    mains = gas.mains.copy()
    mains["district_id"] = _district_of(
        mains.geometry.interpolate(0.5, normalized=True), district_frame
    )
    meters = people.meters.copy()
    meters["district_id"] = _district_of(meters.geometry, district_frame)
    depot_frame["district_id"] = _district_of(depot_frame.geometry, district_frame)

    tables = {
        "districts": district_frame,
        "streets": street_frame,
        "buildings": people.buildings.drop(columns=["amenity"]),
        "pipe_nodes": gas.nodes,
        "gas_mains": mains,
        "regulator_stations": gas.stations,
        "valves": gas.valves,
        "service_pipes": people.service_pipes,
        "customer_meters": meters,
        "depots": depot_frame.drop(columns=["node_id"]),
        "cameras": camera_frame,
        "crews": crew_frame,
        "crew_positions": fixes,
    }
    territory = DemoTerritory(
        name=name or _territory_name(extract),
        source=extract.source,
        seed=seed,
        outline=_to_storage(gpd.GeoSeries([outline], crs=crs)).iloc[0],
        tables={k: _to_storage(v) for k, v in tables.items()},
    )
    step("projected to EPSG:4326")
    return territory


def _largest_after_filter(chains: streets.Chains, keep: np.ndarray) -> np.ndarray:
    """Dropping motorways can split the network; keep its largest connected piece."""
    idx = np.flatnonzero(keep)
    frame = chains.frame.iloc[idx]
    sub = streets.largest_component(
        frame["start"].to_numpy(), frame["end"].to_numpy(), len(chains.node_ids)
    )
    out = np.zeros(len(keep), dtype=bool)
    out[idx[sub]] = True
    return out


def _district_of(points: gpd.GeoSeries, district_frame: gpd.GeoDataFrame) -> list[int | None]:
    if len(district_frame) == 0 or len(points) == 0:
        return [None] * len(points)
    tree = shapely.STRtree(district_frame.geometry.values)
    # Points outside every district (rounding at the edge) take the nearest one.
    nearest = tree.query_nearest(points.values, all_matches=False)
    ids = district_frame["id"].to_numpy()
    out = np.zeros(len(points), dtype=np.int64)
    out[nearest[0]] = ids[nearest[1]]
    return out.tolist()


def _territory_name(extract: OsmExtract) -> str:
    """``place:Name`` sources keep their name; files are named after their stem."""
    if extract.source.startswith("place:"):
        return extract.source.removeprefix("place:")
    return Path(extract.source).name.split(".")[0].replace("-", " ").replace("_", " ").title()


def _to_storage(frame):
    return frame.to_crs(STORAGE_CRS) if getattr(frame, "crs", None) is not None else frame
