"""The demo simulator: a living control room within a minute of starting.

:class:`Simulator` plays the callers, part of the dispatching and every crew of a demo
territory, through the same services the people use:

- **Calls** arrive as a Poisson process: exponential gaps at ``rate_per_hour`` × ``speedup``
  calls an hour, with the first one within ``first_call_within_s`` of the start. Each is a work
  order of a type drawn from :data:`TYPE_MIX` (leaks most common, then meter, indoor-leak and
  appliance repairs; rarely a fire), at a customer's meter (found by account number, as the
  hotline does) or at a random point on a gas main under a street, with an invented caller
  (:mod:`gis.demo.people`). Opened by :func:`ticket_service.open_ticket` as
  ``Actor("simulator", "hotline_agent")``.
- **Dispatch**: a share ``auto_assign_share`` of field tickets is given at once to the first
  recommended crew that can take it (:func:`ticket_service.assign_crew`, ``automatic=True``, as
  ``Actor("simulator", "dispatcher")``). The rest wait for a person (or the server's
  auto-dispatch); an empty recommendation leaves the ticket waiting too.
- **Crews** work every assigned ticket, whoever assigned it: accepted about a minute after the
  assignment, en route right after, on site when the drive ends, made safe a few minutes later
  (emergencies), repaired 10-30 minutes later depending on the type, gas restored
  (emergencies) and closed shortly after (see :data:`REPAIR_MIN` and the ``*_AFTER_S``
  ranges). Each step is a :func:`ticket_service.transition_ticket` as
  ``Actor("simulator", "dispatcher")``, after the site records the step needs
  (:func:`keep_site_rules`): crew leads normally move their own jobs, the simulator stands in
  for them as a dispatcher may.
- **Driving** follows the road route: the recommendation's ``route`` for crews the simulator
  assigned, otherwise one routed for that crew (:meth:`routing.nearest.Router.nearest_crews`
  on the recommender's graph), or a straight line at :data:`FALLBACK_SPEED_MPS` when there is
  no road graph. The crew advances along it by elapsed time × route length / travel time, and
  reports a GPS fix every :data:`DRIVING_FIX_EVERY_S` seconds (position in EPSG:4326 degrees,
  speed in m/s, heading in degrees clockwise from north, from the route's direction). Crews
  that are not driving report where they stand every :data:`IDLE_FIX_EVERY_S` seconds so that
  they never go stale.

Fixes go through ``publish(crew_id, fix)`` (``fix`` as in :mod:`dispatch.mqtt_consumer`). By
default (:class:`DefaultPublisher`) they are published over MQTT with
:func:`dispatch.mqtt_consumer.publish_fix` when the broker (``mqtt.url``) answers, to be
stored by the server's :class:`~dispatch.mqtt_consumer.PositionConsumer`; else they are stored
directly by :func:`crew_service.record_position` (:func:`record_directly`). Posting them to the
HTTP API (``POST /api/v1/crews/<id>/positions``) would be equivalent: all three end in the same
service.

``speedup`` compresses the waiting, never the driving or the clock: calls come ``speedup``
times as often and work on site takes ``1/speedup`` as long, while crews drive at road speed
and every time stamp is the clock's, so deadlines, fix staleness and the server agree.

Time comes from ``clock`` (default: UTC now). :meth:`Simulator.step` advances everything to a
given time and is deterministic for a ``seed`` on the same database; :meth:`Simulator.start`
runs it in a daemon thread about every second. One step makes at most one fix per crew (its
position at the step's time); calls and lifecycle steps happen at their own times inside it.
"""

from __future__ import annotations

import logging
import math
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from psycopg2.pool import ThreadedConnectionPool

from dispatch import crew_service, site_rules, site_service, ticket_service
from dispatch import repository as repo
from dispatch.actor import Actor
from dispatch.errors import Conflict, DispatchError
from dispatch.ports import Ports
from dispatch.simulation import simulation_repository as sq
from dispatch.ticket_model import STEP_TIME, TICKET_TYPES, category_of
from dispatch.ticket_service import Settings
from dispatch.unit_of_work import UnitOfWork
from gis.demo.people import synthetic_mobiles, synthetic_names
from gis.errors import DatabaseUnavailable
from routing.distance import great_circle_m, segment_lengths_m

log = logging.getLogger(__name__)

#: Who opens the simulated calls.
HOTLINE = Actor("simulator", "hotline_agent")
#: Who assigns crews, moves the jobs along and reports the crews' fixes.
DISPATCHER = Actor("simulator", "dispatcher")

#: Share of each work-order type among simulated calls (sums to 1).
TYPE_MIX: dict[str, float] = {
    # emergencies, 34 %: mostly leaks and gas smells
    "gas_leak": 0.28,
    "third_party_damage": 0.04,
    "no_gas_area": 0.015,
    "fire_explosion": 0.005,
    # repairs, 41 %
    "indoor_leak_repair": 0.11,
    "meter_fault": 0.13,
    "appliance_repair": 0.11,
    "paid_repair": 0.03,
    "free_repair": 0.03,
    # scheduled services, 13 %
    "gas_on_ignition": 0.03,
    "safety_inspection": 0.04,
    "indoor_modification": 0.015,
    "appliance_installation": 0.025,
    "meter_reading": 0.02,
    # non-field, 12 %
    "consultation": 0.06,
    "complaint": 0.05,
    "suggestion": 0.01,
}
#: Types that happen on a street, at a point on a gas main; the others at a customer's meter.
STREET_TYPES = frozenset({"third_party_damage", "no_gas_area"})
#: Share of gas leaks smelt outdoors (on a main); the rest are indoors (at a meter).
OUTDOOR_LEAK_SHARE = 0.5

#: Minutes on site from arrival (emergencies: from made safe) to repaired, (low, high) uniform,
#: before ``speedup``.
REPAIR_MIN: dict[str, tuple[float, float]] = {
    "gas_leak": (15, 30),
    "third_party_damage": (20, 30),
    "fire_explosion": (25, 30),
    "no_gas_area": (20, 30),
    "indoor_leak_repair": (15, 30),
    "meter_fault": (10, 20),
    "appliance_repair": (10, 25),
    "paid_repair": (15, 30),
    "free_repair": (10, 20),
    "gas_on_ignition": (10, 20),
    "safety_inspection": (10, 20),
    "indoor_modification": (20, 30),
    "appliance_installation": (15, 30),
    "meter_reading": (5, 10),
}
#: Seconds, (low, high) uniform, before ``speedup``: assigned to accepted, accepted to en
#: route, on site to made safe (emergencies), repaired to closed.
ACCEPT_AFTER_S = (40.0, 90.0)
EN_ROUTE_AFTER_S = (5.0, 20.0)
MAKE_SAFE_AFTER_S = (180.0, 480.0)
CLOSE_AFTER_S = (60.0, 180.0)
#: Seconds between fixes of a driving crew, and of a crew that stands still.
DRIVING_FIX_EVERY_S = 5.0
IDLE_FIX_EVERY_S = 60.0
#: Speed of a straight-line drive when no road route can be had (m/s, 30 km/h).
FALLBACK_SPEED_MPS = 8.3
#: No simulated drive is faster than this on average (m/s, 126 km/h), whatever the route says.
MAX_DRIVE_SPEED_MPS = 35.0
#: A crew still busy elsewhere sets off for its next job this many seconds later at the soonest.
BUSY_RETRY_S = 30.0
#: The simulator's counters, as returned by :meth:`Simulator.step`.
COUNT_KEYS = (
    "calls",
    "duplicates",
    "auto_assigned",
    "awaiting_dispatcher",
    "no_crew",
    "transitions",
    "on_site",
    "closed",
    "fixes",
    "errors",
)

#: ``publish(crew_id, fix)``: deliver one GPS fix (see :mod:`dispatch.mqtt_consumer`).
Publish = Callable[[int, dict], None]
#: A libpq DSN (a connection per transaction) or a connection pool.
Source = str | ThreadedConnectionPool

_TRACKED = ("assigned", "accepted", "en_route", "on_site", "made_safe", "repaired", "gas_restored")
_ON_THE_JOB = ("en_route", "on_site", "made_safe")
_MAX_EVENTS_PER_STEP = 10_000


# ---------------------------------------------------------------------------------------------
# Publishers


def record_directly(dsn: Source, settings: Settings | None = None) -> Publish:
    """A publisher that stores each fix with :func:`crew_service.record_position` in its own
    transaction, as ``DISPATCHER``, taking the fix's own time as the server's (the simulator
    never reports the future). Raises what the service raises (a
    :class:`~dispatch.errors.DispatchError` for a fix it refuses)."""

    settings = settings or Settings()

    def publish(crew_id: int, fix: dict) -> None:
        at = datetime.fromisoformat(fix["time"])
        with UnitOfWork(dsn) as uow:
            crew_service.record_position(uow, crew_id, fix, DISPATCHER, at, settings)

    return publish


def broker_answers(host: str, port: int, *, timeout: float = 1.0) -> bool:
    """Whether something accepts a TCP connection at ``host``:``port`` within ``timeout`` s."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class DefaultPublisher:
    """MQTT (:func:`dispatch.mqtt_consumer.publish_fix`) when the broker (``host``:``port``,
    default: the settings' ``mqtt.url``) answers at the first fix, else
    :func:`record_directly`. A publish that fails later (``OSError``, e.g. the broker went away)
    is stored directly instead, and so are all the fixes after it. Over MQTT, someone must
    consume the fixes: ``dispatch serve`` runs a :class:`~dispatch.mqtt_consumer.PositionConsumer`.
    """

    def __init__(
        self,
        dsn: Source,
        settings: Settings | None = None,
        *,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        if host is None or port is None:
            from dispatch.settings import current

            broker = current().mqtt
            host, port = host or broker.host, port or broker.port
        self.host, self.port = host, int(port)
        self.direct = record_directly(dsn, settings)
        self.via_mqtt: bool | None = None  # decided at the first fix

    def __call__(self, crew_id: int, fix: dict) -> None:
        from dispatch.mqtt_consumer import publish_fix

        if self.via_mqtt is None:
            self.via_mqtt = broker_answers(self.host, self.port)
            how = "over MQTT" if self.via_mqtt else "to the database (no MQTT broker answers)"
            log.info("simulator: crew fixes go %s at %s:%s", how, self.host, self.port)
        if self.via_mqtt:
            try:
                publish_fix(self.host, self.port, crew_id, fix)
                return
            except OSError as exc:  # TimeoutError included
                log.warning("simulator: MQTT publish failed (%s); storing fixes directly", exc)
                self.via_mqtt = False
        self.direct(crew_id, fix)


# ---------------------------------------------------------------------------------------------
# Drives (pure)


@dataclass(frozen=True)
class Drive:
    """A crew driving a route: EPSG:4326 vertices ``lon``/``lat`` (degrees), cumulative
    length ``cum_m`` (metres), starting at ``start`` and taking ``duration_s`` seconds."""

    lon: np.ndarray
    lat: np.ndarray
    cum_m: np.ndarray
    start: datetime
    duration_s: float

    @classmethod
    def along(cls, coords: list, travel_time_s: float, start: datetime) -> Drive:
        """A drive along ``coords`` ([[lon, lat], ...]) that takes ``travel_time_s`` seconds (at
        least the route length / :data:`MAX_DRIVE_SPEED_MPS`)."""
        pts = np.asarray(coords, dtype=float).reshape(-1, 2)
        if len(pts) == 1:
            pts = np.vstack([pts, pts])
        lon, lat = pts[:, 0], pts[:, 1]
        cum = np.concatenate([[0.0], np.cumsum(segment_lengths_m(lon, lat))])
        duration = max(float(travel_time_s), float(cum[-1]) / MAX_DRIVE_SPEED_MPS, 0.0)
        return cls(lon, lat, cum, start, duration)

    @property
    def length_m(self) -> float:
        return float(self.cum_m[-1])

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration_s)

    @property
    def speed_mps(self) -> float:
        return self.length_m / self.duration_s if self.duration_s > 0 else 0.0

    def at(self, t: datetime) -> tuple[float, float, float, float | None]:
        """``(lon, lat, speed m/s, heading degrees)`` at time ``t``; speed 0 outside the drive,
        heading that of the route where the crew is (None on a route of no length)."""
        elapsed = (t - self.start).total_seconds()
        moving = 0 <= elapsed < self.duration_s
        share = 1.0 if self.duration_s <= 0 else min(max(elapsed / self.duration_s, 0.0), 1.0)
        d = share * self.length_m
        n = len(self.cum_m)
        i = int(np.clip(np.searchsorted(self.cum_m, d, side="right") - 1, 0, n - 2))
        span = self.cum_m[i + 1] - self.cum_m[i]
        f = 0.0 if span <= 0 else (d - self.cum_m[i]) / span
        lon = float(self.lon[i] + f * (self.lon[i + 1] - self.lon[i]))
        lat = float(self.lat[i] + f * (self.lat[i + 1] - self.lat[i]))
        heading = self._heading(i)
        return lon, lat, (self.speed_mps if moving else 0.0), heading

    def _heading(self, i: int) -> float | None:
        """Bearing of the first segment of some length from vertex ``i`` on (or before it)."""
        spans = np.diff(self.cum_m)
        for j in [*range(i, len(spans)), *range(i - 1, -1, -1)]:
            if spans[j] > 0:
                return bearing_deg(self.lon[j], self.lat[j], self.lon[j + 1], self.lat[j + 1])
        return None


def bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Initial bearing from point 1 to point 2, degrees clockwise from north in [0, 360)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two EPSG:4326 points."""
    return great_circle_m(lon1, lat1, lon2, lat2)


# ---------------------------------------------------------------------------------------------
# Calls (pure given the random generator and the sites)


@dataclass(frozen=True)
class Call:
    """One simulated call: when, what, where (a meter's account or a point on a main), who."""

    at: datetime
    ticket_type: str
    meter: dict | None  # {"id", "account_no", "lon", "lat"}
    main_id: int | None
    main_fraction: float
    caller_name: str
    caller_phone: str
    auto_assign: bool


@dataclass
class Sites:
    """Where calls can come from: mains (ids and lengths in metres, a main is picked with
    probability by length) and meters (see
    :func:`dispatch.simulation.simulation_repository.meter_sites`)."""

    main_ids: np.ndarray
    main_length_m: np.ndarray
    meters: list[dict]


def draw_call(
    rng: np.random.Generator, at: datetime, sites: Sites, auto_assign_share: float
) -> Call:
    """A call at ``at``; always the same draws from ``rng``, whatever the branch."""
    types = list(TYPE_MIX)
    weights = np.array(list(TYPE_MIX.values()))
    ticket_type = types[int(rng.choice(len(types), p=weights / weights.sum()))]
    outdoor = rng.random() < OUTDOOR_LEAK_SHARE
    main_pick, fraction, meter_pick = rng.random(), float(rng.random()), rng.random()
    name = synthetic_names(rng, 1)[0]
    phone = synthetic_mobiles(rng, 1)[0]
    auto = bool(rng.random() < auto_assign_share)
    on_main = ticket_type in STREET_TYPES or (ticket_type == "gas_leak" and outdoor)
    if not sites.meters:
        on_main = True
    if not len(sites.main_ids):
        on_main = False
    meter, main_id = None, None
    if on_main:
        k = int(
            np.searchsorted(np.cumsum(sites.main_length_m), main_pick * sites.main_length_m.sum())
        )
        main_id = int(sites.main_ids[min(k, len(sites.main_ids) - 1)])
    else:
        meter = sites.meters[min(int(meter_pick * len(sites.meters)), len(sites.meters) - 1)]
    return Call(at, ticket_type, meter, main_id, fraction, name, phone, auto)


# ---------------------------------------------------------------------------------------------
# The simulator


@dataclass
class _Job:
    """A ticket a simulated crew is working on, and when its next step is due."""

    ticket_id: int
    crew_id: int
    ticket_type: str
    lon: float | None
    lat: float | None
    status: str
    due: datetime | None = None
    offered_route: tuple[list, float] | None = None  # (coords, travel s) from the recommendation
    drive: Drive | None = None

    @property
    def emergency(self) -> bool:
        return category_of(self.ticket_type) == "emergency"

    def next_status(self) -> str:
        if self.status == "on_site":
            return "made_safe" if self.emergency else "repaired"
        return {
            "assigned": "accepted",
            "accepted": "en_route",
            "en_route": "on_site",
            "made_safe": "repaired",
            # An emergency's crew restores the gas it cut before it leaves.
            "repaired": "gas_restored" if self.emergency else "closed",
            "gas_restored": "closed",
        }[self.status]


def keep_site_rules(uow, ticket_id: int, to: str, at: datetime) -> None:
    """What a careful crew records on site before ``to`` (:mod:`dispatch.site_rules`): the
    warning zone and a first reading before made_safe; every household of the isolated section
    with both valves closed before gas_restored; the post-repair checks and a safe reading
    before a site job is closed."""
    if to == "made_safe":
        site_service.record_check(uow, ticket_id, {"item": "warning_zone_set"}, DISPATCHER, at)
        site_service.record_reading(uow, ticket_id, {"lel_percent": 20.0}, DISPATCHER, at)
    elif to == "gas_restored":
        for household in site_service.site_record(uow, ticket_id, DISPATCHER)["households"]:
            if household["mark"] is None:
                mark = "kept_off" if household["open_hazard"] else "valves_closed"
                site_service.mark_household(
                    uow, ticket_id, household["meter_id"], {"mark": mark}, DISPATCHER, at
                )
    elif to == "closed":
        row = uow.tickets.row(ticket_id)
        if row["category"] == "emergency" or row["made_safe_at"] is not None:
            for item in site_rules.AFTER_REPAIR:
                site_service.record_check(uow, ticket_id, {"item": item}, DISPATCHER, at)
            site_service.record_reading(uow, ticket_id, {"lel_percent": 0.0}, DISPATCHER, at)


class Simulator:
    """Calls, dispatching and crews for a demo territory (see the module docstring).

    - ``dsn``: the database, a libpq DSN (a connection per transaction: the sturdy choice, a
      database restart costs only the steps while it is down) or a connection pool (cheaper
      per transaction, but a pool keeps its broken connections after a restart).
    - ``recommender``: ``(lon, lat, skill) -> ranked crews`` with ``route`` and ``eta_s``, e.g.
      the server's :class:`dispatch.ports.Ports`: intake stores the crews recommended by road,
      the simulator assigns the first that can take the job, and the router's graph also routes
      the crews that people assign; without a router nothing is auto-assigned and crews drive
      straight lines.
    - ``rate_per_hour``: calls an hour, before ``speedup``.
    - ``auto_assign_share``: share of field tickets the simulator assigns itself (0 to 1).
    - ``speedup``: how much brisker than life calls and work on site are (> 0).
    - ``seed``: same seed and database, same calls and jobs.
    - ``clock``: returns the current aware datetime (default: UTC now).
    - ``publish``: ``(crew_id, fix) -> None`` (default: :class:`DefaultPublisher`).
    - ``settings``: the server's, for :func:`ticket_service.open_ticket` and directly stored fixes.
    - ``first_call_within_s``: the first call comes at most this many seconds after the first
      step, so a demo comes alive at once (None: a plain exponential wait).
    - ``interval_s``: wall-clock seconds between steps once started.

    ``step()`` serves one thread at a time (``start()`` runs it in one); ``totals`` holds the
    counters summed over all steps."""

    def __init__(
        self,
        dsn: Source,
        *,
        ports: Ports | None,
        rate_per_hour: float = 12.0,
        auto_assign_share: float = 0.5,
        speedup: float = 1.0,
        seed: int | None = None,
        clock: Callable[[], datetime] | None = None,
        publish: Publish | None = None,
        settings: Settings | None = None,
        first_call_within_s: float | None = 60.0,
        interval_s: float = 1.0,
    ) -> None:
        if not (math.isfinite(rate_per_hour) and rate_per_hour >= 0):
            msg = f"`rate_per_hour` must be a number of calls >= 0, got {rate_per_hour!r}"
            raise ValueError(msg)
        if not 0.0 <= auto_assign_share <= 1.0:
            msg = f"`auto_assign_share` must be between 0 and 1, got {auto_assign_share!r}"
            raise ValueError(msg)
        if not (math.isfinite(speedup) and speedup > 0):
            msg = f"`speedup` must be a positive number, got {speedup!r}"
            raise ValueError(msg)
        if not interval_s > 0:
            msg = f"`interval_s` must be a positive number of seconds, got {interval_s!r}"
            raise ValueError(msg)
        self.dsn = dsn
        self.ports = ports or Ports()
        self.rate_per_hour, self.auto_assign_share = float(rate_per_hour), auto_assign_share
        self.speedup, self.seed = float(speedup), seed
        self.settings = settings or Settings()
        self.first_call_within_s, self.interval_s = first_call_within_s, interval_s
        self.clock = clock or (lambda: datetime.now(UTC))
        self.publish = DefaultPublisher(dsn, self.settings) if publish is None else publish
        call_seed, job_seed = np.random.SeedSequence(seed).spawn(2)
        self._call_rng = np.random.default_rng(call_seed)
        self._job_rng = np.random.default_rng(job_seed)
        self.totals: Counter[str] = Counter()
        self._last: datetime | None = None
        self._next_call: datetime | None = None
        self._sites: Sites | None = None
        self._jobs: dict[int, _Job] = {}
        self._crews: dict[int, dict] = {}
        self._crew_pos: dict[int, tuple[float, float]] = {}
        self._last_fix: dict[int, datetime] = {}
        self._router = None
        self._step_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- running ------------------------------------------------------------------------------

    def start(self) -> None:
        """Step now and then every ``interval_s`` wall seconds in a daemon thread."""
        if self._thread is not None:
            msg = "the simulator is already started"
            raise RuntimeError(msg)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="dispatch-simulator", daemon=True)
        self._thread.start()
        log.info(
            "simulator started: %.3g calls/h × %.3g, %.0f %% auto-assigned",
            self.rate_per_hour,
            self.speedup,
            100 * self.auto_assign_share,
        )

    def stop(self) -> None:
        """Stop stepping and wait for the thread (up to 10 s). Safe to call twice."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except (DispatchError, DatabaseUnavailable) as exc:
                # A failed step is retried by the next one; the demo keeps going.
                log.warning("simulator: step failed: %s", exc)
            self._stop.wait(self.interval_s)

    # -- one step -----------------------------------------------------------------------------

    def step(self, now: datetime | None = None) -> dict[str, int]:
        """Advance calls, jobs and crews to ``now`` (default: the clock's time; aware). Returns
        this step's counters (:data:`COUNT_KEYS`). A refused action is logged and counted as an
        error and the step goes on; an unreachable database raises
        :class:`~gis.errors.DatabaseUnavailable`."""
        now = self.clock() if now is None else now
        if now.tzinfo is None:
            msg = "`now` must be a timezone-aware datetime"
            raise ValueError(msg)
        counts: Counter[str] = Counter()
        with self._step_lock:
            if self._last is None:
                self._last = now
                self._next_call = self._first_call(now)
            elif now < self._last:
                return {k: 0 for k in COUNT_KEYS}
            window_start = self._last
            self._sync(now)
            for _ in range(_MAX_EVENTS_PER_STEP):
                event = self._next_event(now)
                if event is None:
                    break
                at, job = event
                at = max(at, window_start)
                if job is None:
                    self._take_call(at, counts)
                else:
                    self._advance(job, at, counts)
            else:
                log.warning("simulator: more than %d events in one step", _MAX_EVENTS_PER_STEP)
            self._send_fixes(now, counts)
            self._last = now
        self.totals.update(counts)
        return {k: counts[k] for k in COUNT_KEYS}

    def _first_call(self, now: datetime) -> datetime | None:
        gap = self._gap_s()
        if gap is None:
            return None
        if self.first_call_within_s is not None:
            gap = min(gap, self.first_call_within_s)
        return now + timedelta(seconds=gap)

    def _gap_s(self) -> float | None:
        rate = self.rate_per_hour * self.speedup
        return None if rate <= 0 else float(self._call_rng.exponential(3600.0 / rate))

    def _next_event(self, now: datetime) -> tuple[datetime, _Job | None] | None:
        best: tuple[datetime, int, int] | None = None
        chosen: _Job | None = None
        if self._next_call is not None and self._next_call <= now:
            best = (self._next_call, 0, 0)
        for job in self._jobs.values():
            if job.due is not None and job.due <= now:
                key = (job.due, 1, job.ticket_id)
                if best is None or key < best:
                    best, chosen = key, job
        return None if best is None else (best[0], chosen)

    # -- the database's view ------------------------------------------------------------------

    def _sync(self, now: datetime) -> None:
        """Read the crews and the assigned tickets; take up jobs people assigned, follow
        changes people made, drop jobs that were closed, cancelled or re-opened."""
        with UnitOfWork(self.dsn) as uow:
            tickets = repo.list_tickets(uow.cur, status=list(_TRACKED), limit=10_000)
            crews = repo.list_crews(uow.cur)
        for crew in crews:
            cid = int(crew["id"])
            self._crews[cid] = crew
            ours = self._last_fix.get(cid)
            if crew["lon"] is not None and (ours is None or crew["recorded_at"] > ours):
                self._crew_pos[cid] = (float(crew["lon"]), float(crew["lat"]))
        seen = set()
        for row in tickets:
            if row["crew_id"] is None:
                continue
            tid, crew_id, status = int(row["id"]), int(row["crew_id"]), row["status"]
            seen.add(tid)
            job = self._jobs.get(tid)
            if job is None or job.crew_id != crew_id:
                job = _Job(tid, crew_id, row["ticket_type"], row["lon"], row["lat"], status)
                self._jobs[tid] = job
                entered = row.get(STEP_TIME[status]) if status != "en_route" else None
                self._enter(job, status, min(entered or now, now))
            elif job.status != status or job.due is None:
                self._enter(job, status, now)
        for tid in [t for t in self._jobs if t not in seen]:
            del self._jobs[tid]

    # -- calls --------------------------------------------------------------------------------

    def _load_sites(self) -> Sites:
        if self._sites is None:
            with UnitOfWork(self.dsn) as uow:
                mains = sq.gas_main_lengths(uow.cur)
                meters = sq.meter_sites(uow.cur)
            self._sites = Sites(
                np.array([m[0] for m in mains], dtype=np.int64),
                np.array([m[1] for m in mains], dtype=float),
                meters,
            )
        return self._sites

    def _take_call(self, at: datetime, counts: Counter) -> None:
        gap = self._gap_s()
        self._next_call = None if gap is None else at + timedelta(seconds=gap)
        sites = self._load_sites()
        if not sites.meters and not len(sites.main_ids):
            log.warning("simulator: the territory has no mains and no meters; no calls")
            self._next_call = None
            return
        call = draw_call(self._call_rng, at, sites, self.auto_assign_share)
        data = {
            "type": call.ticket_type,
            "caller_name": call.caller_name,
            "caller_phone": call.caller_phone,
            "description": f"[模拟 simulated] {TICKET_TYPES[call.ticket_type][2]}",
        }
        try:
            with UnitOfWork(self.dsn) as uow:
                if call.meter is not None:
                    data["account_no"] = call.meter["account_no"]
                    lon, lat = call.meter["lon"], call.meter["lat"]
                else:
                    point = sq.point_along_main(uow.cur, call.main_id, call.main_fraction)
                    if point is None:
                        return
                    lon, lat = point["lon"], point["lat"]
                    data.update(lon=lon, lat=lat, address=point["street_name"])
                opened = ticket_service.open_ticket(
                    uow, data, HOTLINE, at, self.settings, self.ports
                )
        except DispatchError as exc:
            log.warning("simulator: a %s call was refused: %s", call.ticket_type, exc)
            counts["errors"] += 1
            return
        counts["calls"] += 1
        if category_of(call.ticket_type) == "non_field":
            return
        if opened["duplicate_of"] is not None:
            counts["duplicates"] += 1
            return
        if not call.auto_assign:
            counts["awaiting_dispatcher"] += 1
            return
        ticket_id = opened["ticket"]["id"]
        self._auto_assign(
            ticket_id, call.ticket_type, lon, lat, at, opened["recommendations"], counts
        )

    def _auto_assign(
        self,
        ticket_id: int,
        ticket_type: str,
        lon: float,
        lat: float,
        at: datetime,
        ranked: list[dict],
        counts,
    ) -> None:
        for crew in ranked:
            try:
                with UnitOfWork(self.dsn) as uow:
                    ticket_service.assign_crew(
                        uow,
                        ticket_id,
                        crew["crew_id"],
                        DISPATCHER,
                        at,
                        automatic=True,
                        reason="simulated dispatcher: the recommended crew",
                        settings=self.settings,
                        ports=self.ports,
                    )
            except Conflict:
                continue  # taken meanwhile: the next one
            except DispatchError as exc:
                log.warning("simulator: could not assign ticket %s: %s", ticket_id, exc)
                counts["errors"] += 1
                return
            job = _Job(ticket_id, int(crew["crew_id"]), ticket_type, lon, lat, "assigned")
            travel_s = crew.get("travel_time_s", crew["eta_s"])
            if crew.get("route"):
                job.offered_route = (crew["route"], float(travel_s))
            self._jobs[ticket_id] = job
            self._enter(job, "assigned", at)
            counts["auto_assigned"] += 1
            return
        counts["no_crew"] += 1

    # -- jobs ---------------------------------------------------------------------------------

    def _advance(self, job: _Job, at: datetime, counts: Counter) -> None:
        to = job.next_status()
        if to == "en_route" and self._crew_on_another_job(job):
            job.due = at + timedelta(seconds=BUSY_RETRY_S)
            return
        if to == "on_site" and job.drive is not None:
            lon, lat, _, heading = job.drive.at(job.drive.end)
            self._send_fix(job.crew_id, at, lon, lat, 0.0, heading, counts)
        try:
            with UnitOfWork(self.dsn) as uow:
                keep_site_rules(uow, job.ticket_id, to, at)
                ticket_service.transition_ticket(uow, job.ticket_id, to, DISPATCHER, at)
        except DispatchError as exc:
            # Someone else moved the ticket: the next step's sync takes up its new state.
            log.warning("simulator: ticket %s to %s refused: %s", job.ticket_id, to, exc)
            counts["errors"] += 1
            job.due = None
            return
        counts["transitions"] += 1
        if to in ("on_site", "closed"):
            counts[to] += 1
        self._enter(job, to, at)

    def _enter(self, job: _Job, status: str, at: datetime) -> None:
        """The job is now in ``status`` since ``at``: plan its next step."""
        job.status = status
        if status != "en_route":
            job.drive = None
        if status == "assigned":
            job.due = at + self._work_s(ACCEPT_AFTER_S)
        elif status == "accepted":
            job.due = at + self._work_s(EN_ROUTE_AFTER_S)
        elif status == "en_route":
            job.drive = self._plan_drive(job, at)
            job.due = job.drive.end
        elif status == "on_site" and job.emergency:
            job.due = at + self._work_s(MAKE_SAFE_AFTER_S)
        elif status in ("on_site", "made_safe"):
            low, high = REPAIR_MIN.get(job.ticket_type, (10, 30))
            job.due = at + self._work_s((60.0 * low, 60.0 * high))
        elif status in ("repaired", "gas_restored"):
            job.due = at + self._work_s(CLOSE_AFTER_S)
        else:  # closed
            self._jobs.pop(job.ticket_id, None)

    def _work_s(self, bounds: tuple[float, float]) -> timedelta:
        return timedelta(seconds=float(self._job_rng.uniform(*bounds)) / self.speedup)

    def _crew_on_another_job(self, job: _Job) -> bool:
        return any(
            other.crew_id == job.crew_id and other is not job and other.status in _ON_THE_JOB
            for other in self._jobs.values()
        )

    def _plan_drive(self, job: _Job, start: datetime) -> Drive:
        here = self._crew_pos.get(job.crew_id)
        if job.lon is None or job.lat is None:
            coords = [list(here)] if here else [[0.0, 0.0]]
            return Drive.along(coords, 0.0, start)
        if job.offered_route is not None:
            coords, travel_s = job.offered_route
            if here is None or distance_m(*here, *coords[0]) < 200:
                return Drive.along(coords, travel_s, start)
        if here is None:
            return Drive.along([[job.lon, job.lat]], 0.0, start)
        routed = self._road_route(here, (job.lon, job.lat))
        if routed is not None:
            return Drive.along(routed[0], routed[1], start)
        straight = distance_m(*here, job.lon, job.lat)
        return Drive.along([list(here), [job.lon, job.lat]], straight / FALLBACK_SPEED_MPS, start)

    def _road_route(
        self, here: tuple[float, float], there: tuple[float, float]
    ) -> tuple[list, float] | None:
        """The fastest road route from ``here`` to ``there`` on the recommender's graph, as
        ([[lon, lat], ...], seconds), or None without a graph or a route."""
        from routing.crews import prepare_crews
        from routing.nearest import Router

        shared = self.ports.router
        graph = getattr(shared, "graph", None)
        if graph is None:
            return None
        if self._router is None:  # our own: a Router serves one thread at a time
            index = getattr(getattr(shared, "router", None), "edge_index", None)
            self._router = Router(graph, edge_index=index)
        router = self._router
        snaps = router.edge_index.snap([here[0]], [here[1]])
        crews = prepare_crews(graph, snaps, ids=[0], lon=[here[0]], lat=[here[1]])
        ranking = router.nearest_crews(router.snap_incident(*there), crews, k=1, max_fix_age_s=None)
        if not ranking.crews:
            log.info("simulator: no road route from %s to %s; driving straight", here, there)
            return None
        best = ranking.crews[0]
        return [list(p) for p in best.route(graph).coords], float(best.travel_time_s)

    # -- fixes --------------------------------------------------------------------------------

    def _send_fixes(self, now: datetime, counts: Counter) -> None:
        driving = {
            job.crew_id: job.drive
            for job in self._jobs.values()
            if job.status == "en_route" and job.drive is not None
        }
        for cid in sorted(self._crews):
            crew = self._crews[cid]
            if crew["status"] not in ("available", "busy"):
                continue
            last = self._last_fix.get(cid)
            if cid in driving:
                if last is None or (now - last).total_seconds() >= DRIVING_FIX_EVERY_S:
                    self._send_fix(cid, now, *driving[cid].at(now), counts)
                continue
            known = crew["recorded_at"]
            if known is not None and (last is None or known > last):
                last = known
            here = self._crew_pos.get(cid)
            if here is None:
                continue
            if last is None or (now - last).total_seconds() >= IDLE_FIX_EVERY_S:
                self._send_fix(cid, now, *here, 0.0, crew["heading_deg"], counts)

    def _send_fix(
        self,
        crew_id: int,
        at: datetime,
        lon: float,
        lat: float,
        speed: float,
        heading: float | None,
        counts: Counter,
    ) -> None:
        fix: dict = {
            "lon": round(lon, 7),
            "lat": round(lat, 7),
            "time": at.isoformat(),
            "speed": round(speed, 2),
        }
        if heading is not None:
            fix["heading"] = round(float(heading), 1) % 360.0
        try:
            self.publish(crew_id, fix)
        except DispatchError as exc:
            log.warning("simulator: fix of crew %s refused: %s", crew_id, exc)
            counts["errors"] += 1
            return
        self._last_fix[crew_id] = at
        self._crew_pos[crew_id] = (lon, lat)
        counts["fixes"] += 1
