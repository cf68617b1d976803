"""The control room's settings: one TOML file read once at start into a typed, frozen object.

Layers, each laid over the one before, key by key:

1. the default file, ``data/settings.toml`` (the product's defaults, commented);
2. the file named by ``DISPATCH_SETTINGS``, when set (only the keys it changes);
3. environment variables, one key each: ``DISPATCH__<SECTION>__<KEY>[__<KEY>...]`` names the
   key ``section.key...`` (lower case; ``__`` separates the levels), e.g.
   ``DISPATCH__DISPATCH__STALE_GPS_AFTER_S=120`` sets ``[dispatch] stale_gps_after_s``. The
   value is read as a TOML value (``120``, ``true``, ``{p1 = 20}``, ``"120"``); text that is no
   TOML value is taken as it is (``henan``, ``mqtt://broker:1883``). The older variables
   ``MQTT_URL`` (``mqtt.url``) and ``DISPATCH_TIMEZONE`` (``territory.timezone``) still work,
   under any ``DISPATCH__`` variable naming the same key;
4. command-line flags that set a key (``dispatch serve --online-tiles``...), when given.

A bad value (wrong type, out of range, unknown key, a policy that does not exist) raises
:class:`SettingsError`: one line naming the key, the problem and the layer it came from. Every
value remembers its layer (:meth:`AppSettings.source_of`), for ``dispatch settings show``.

The ``dispatch`` command loads the settings and hands them to what it builds;
``dispatch serve`` also installs them (:func:`install`) for the parts that read
:func:`current` when nobody passed them a value. Without an installed object, :func:`current`
is the default file alone, so a library call or a test never depends on the environment.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import field, fields
from functools import cache
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from dispatch.errors import InvalidInput
from dispatch.ticket_model import TICKET_TYPES
from gis.config import PROJECT_DIR

#: The product's defaults: in the project, or where ``pip install .`` put a copy of it.
DEFAULT_FILES = (
    PROJECT_DIR / "data" / "settings.toml",
    Path(sys.prefix) / "share" / "gas-dispatch" / "settings.toml",
)
SETTINGS_FILE_VAR = "DISPATCH_SETTINGS"
ENV_PREFIX = "DISPATCH__"
#: Older single-purpose variables, each the override of one key.
LEGACY_VARS = {"MQTT_URL": "mqtt.url", "DISPATCH_TIMEZONE": "territory.timezone"}
DEFAULT_SOURCE = "default file"
FILE_SOURCE = f"{SETTINGS_FILE_VAR} file"
#: A jurisdiction or policy name: usable in an environment variable's name.
NAME_RE = re.compile(r"[a-z][a-z0-9_]*")


class SettingsError(InvalidInput):
    """A setting that cannot be used; ``field`` is its key (``dispatch.stale_gps_after_s``)."""

    code = "invalid_setting"


# ---------------------------------------------------------------------------------------------
# The settings' shape: every section is frozen and refuses keys it does not know.


#: How a secret's value is shown by `dispatch settings show`.
SECRET_SHOWN_AS = "(set, not shown)"


class _Section(BaseModel):
    # strict: 30 is a number, "30" is not (an override from the environment is parsed as TOML).
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Share = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]


class DispatchSection(_Section):
    duplicate_radius_m: Positive
    duplicate_window_min: Positive
    arrival_radius_m: Positive
    stale_gps_after_s: Positive
    recommendation_max_age_s: Positive
    recommendation_moved_m: Positive
    auto_dispatch: bool
    auto_dispatch_after_s: NonNegative

    @property
    def auto_dispatch_delay_s(self) -> float | None:
        """The auto-dispatch delay, or None when auto-dispatch is off."""
        return self.auto_dispatch_after_s if self.auto_dispatch else None


class PerPriority(_Section):
    """Minutes per ticket priority; a priority left out has no such clock."""

    p1: Positive | None = None
    p2: Positive | None = None
    p3: Positive | None = None
    p4: Positive | None = None

    def by_priority(self) -> dict[int, float]:
        values = (self.p1, self.p2, self.p3, self.p4)
        return {p: v for p, v in enumerate(values, start=1) if v is not None}


class PolicySection(_Section):
    """A named set of clock targets, in minutes from the call."""

    description: str = ""
    arrival_min: PerPriority
    arrival_min_by_type: dict[str, Positive] = Field(default_factory=dict)
    depart_min: PerPriority = Field(default_factory=PerPriority)
    make_safe_p1_min: Positive | None = None
    target_share: Share


class ClocksSection(_Section):
    at_risk_share: Share
    complaint_reply_working_days: Annotated[int, Field(ge=1)]
    jurisdictions: dict[str, str]
    policies: dict[str, PolicySection]


class MqttSection(_Section):
    url: str
    #: The consumer's user name and password at the broker (empty: connect anonymously, as a
    #: development broker allows). Give the password through DISPATCH__MQTT__PASSWORD.
    username: str = ""
    password: str = ""

    @field_validator("url")
    @classmethod
    def _broker_url(cls, url: str) -> str:
        broker_address(url)
        return url

    @property
    def host(self) -> str:
        return broker_address(self.url)[0]

    @property
    def port(self) -> int:
        return broker_address(self.url)[1]


class TilesSection(_Section):
    online: bool
    online_url: str

    @field_validator("online_url")
    @classmethod
    def _tile_template(cls, url: str) -> str:
        if not url.startswith(("https://", "http://")) or not all(
            part in url for part in ("{z}", "{x}", "{y}")
        ):
            raise ValueError("must be an http(s) URL with {z}, {x} and {y} in it")
        return url


class SimulatorSection(_Section):
    rate_per_hour: NonNegative
    speedup: Positive
    auto_assign_share: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
    history_calls_per_day: Positive


class TerritorySection(_Section):
    timezone: str

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        if zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError("must be an IANA time zone such as Asia/Shanghai") from None
        return zone


class WebSection(_Section):
    max_body_bytes: Annotated[int, Field(gt=0)]
    login_delay_after_failures: Annotated[int, Field(gt=0)]
    login_lock_after_failures: Annotated[int, Field(gt=0)]
    login_lock_s: Positive
    secure_cookies: bool
    session_max_age_h: Positive


class ReportsSection(_Section):
    leak_types: list[str]
    review_by_hour: Annotated[int, Field(ge=0, le=23)]
    review_lookback_days: Annotated[int, Field(ge=1, le=366)]
    min_jobs_per_hexagon: Annotated[int, Field(ge=1)]

    @field_validator("leak_types")
    @classmethod
    def _known_types(cls, types: list[str]) -> list[str]:
        from dispatch.ticket_model import TICKET_TYPES

        unknown = [t for t in types if t not in TICKET_TYPES]
        if unknown or not types:
            raise ValueError(f"must be ticket types (unknown: {', '.join(unknown) or 'none'})")
        return types


class SiteSection(_Section):
    """The crew's work on site (:mod:`dispatch.site_rules`)."""

    safe_lel_percent: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]
    photo_max_bytes: Annotated[int, Field(gt=0)]
    signature_max_bytes: Annotated[int, Field(gt=0)]


class DesksSection(_Section):
    """The call-back and complaint desks (issue 11)."""

    counter_business_share: Share
    holidays_file: str


class ServerSection(_Section):
    """The production web server of ``dispatch serve`` (:mod:`dashboards.web_server`)."""

    workers: Annotated[int, Field(ge=0, le=256)]
    threads: Annotated[int, Field(ge=1, le=1000)]
    timeout_s: Positive
    graceful_timeout_s: NonNegative


class CamerasSection(_Section):
    """Real camera feeds (:mod:`dispatch.camera_sources`, :mod:`dashboards.camera_relay`)."""

    ffmpeg: str
    secrets_file: str
    relay_fps: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)]
    relay_width: Annotated[int, Field(ge=64, le=3840)]
    max_relays: Annotated[int, Field(ge=1)]
    idle_stop_s: NonNegative
    no_signal_after_s: Positive
    station_alarm_after_s: Positive
    probe_every_s: Positive


class AppSettings(_Section):
    """Every setting of the control room (see ``data/settings.toml`` for their meaning)."""

    dispatch: DispatchSection
    clocks: ClocksSection
    mqtt: MqttSection
    tiles: TilesSection
    simulator: SimulatorSection
    territory: TerritorySection
    web: WebSection
    reports: ReportsSection
    site: SiteSection
    desks: DesksSection
    server: ServerSection
    cameras: CamerasSection

    _sources: dict[str, str] = PrivateAttr(default_factory=dict)
    _files: dict[str, str] = PrivateAttr(default_factory=dict)

    def value(self, key: str) -> Any:
        """The value at a dotted key, e.g. ``value("dispatch.stale_gps_after_s")``."""
        out: Any = self
        for part in key.split("."):
            out = out[part] if isinstance(out, Mapping) else getattr(out, part)
        return out

    def source_of(self, key: str) -> str:
        """Where the value at ``key`` came from: ``default file``, ``DISPATCH_SETTINGS file``,
        an environment variable's name or a command-line flag."""
        return self._sources.get(key, "built in")

    @property
    def files(self) -> dict[str, str]:
        """The files read: ``{"default file": path, "DISPATCH_SETTINGS file": path}``."""
        return dict(self._files)

    def entries(self) -> Iterator[tuple[str, Any, str]]:
        """Every effective value as (dotted key, value, source), in the file's order; a secret
        (a key ending in ``password``) shows only whether it is set."""
        for key, value in _flatten(self.model_dump(exclude_none=True)):
            if key.endswith("password") and value:
                value = SECRET_SHOWN_AS
            yield key, value, self.source_of(key)


# ---------------------------------------------------------------------------------------------
# Loading


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    overrides: Sequence[tuple[str, Any, str]] = (),
) -> AppSettings:
    """The effective settings: the default file, the ``DISPATCH_SETTINGS`` file, the
    environment (``os.environ`` unless given) and ``overrides`` — (dotted key, value, source)
    triples, e.g. ``("tiles.online", True, "--online-tiles")``. Raises :class:`SettingsError`."""
    env = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    files: dict[str, str] = {}

    default_file = next((p for p in DEFAULT_FILES if p.is_file()), DEFAULT_FILES[0])
    files[DEFAULT_SOURCE] = str(default_file)
    _merge(merged, _read_toml(default_file, DEFAULT_SOURCE), DEFAULT_SOURCE, sources)
    if env.get(SETTINGS_FILE_VAR):
        path = Path(env[SETTINGS_FILE_VAR])
        files[FILE_SOURCE] = str(path)
        _merge(merged, _read_toml(path, FILE_SOURCE), FILE_SOURCE, sources)
    for key, value, source in (*_from_environment(env), *overrides):
        _merge(merged, _nest(key, value), source, sources)

    try:
        settings = AppSettings.model_validate(merged)
    except ValidationError as exc:
        raise _first_problem(exc, sources, files) from None
    settings._sources = sources
    settings._files = files
    _check_references(settings, files)
    return settings


def broker_address(url: str) -> tuple[str, int]:
    """(host, port) of an ``mqtt://host:port`` URL; the port defaults to 1883."""
    parts = urlsplit(url)
    try:
        port = parts.port or 1883
    except ValueError:
        port = None
    if parts.scheme != "mqtt" or not parts.hostname or port is None:
        raise ValueError("must look like mqtt://host:port")
    if parts.username or parts.password:
        raise ValueError("must not carry a user name or password (not supported yet)")
    return parts.hostname, port


def _read_toml(path: Path, source: str) -> dict:
    name = SETTINGS_FILE_VAR if source == FILE_SOURCE else "settings"
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise SettingsError(f"settings: the {source} {path} does not exist", name) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"settings: the {source} {path} is unreadable: {exc}", name) from None


def _from_environment(env: Mapping[str, str]) -> list[tuple[str, Any, str]]:
    """(key, value, variable) of every override in the environment, legacy ones first."""
    found = [(key, env[var], var) for var, key in LEGACY_VARS.items() if env.get(var)]
    for var in sorted(env):
        if not var.startswith(ENV_PREFIX):
            continue
        parts = var[len(ENV_PREFIX) :].lower().split("__")
        if not all(parts):
            msg = f"settings: {var} names no key (DISPATCH__<SECTION>__<KEY>, e.g. "
            raise SettingsError(msg + "DISPATCH__DISPATCH__STALE_GPS_AFTER_S)", var)
        found.append((".".join(parts), _env_value(env[var]), var))
    return found


def _env_value(text: str) -> Any:
    """A TOML value (``120``, ``true``, ``{p1 = 20}``), else the text as it is."""
    if "\n" in text or "\r" in text:  # one value, never more TOML lines
        return text
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def _nest(key: str, value: Any) -> dict:
    *parents, last = key.split(".")
    out: dict = {last: value}
    for part in reversed(parents):
        out = {part: out}
    return out


def _merge(into: dict, layer: Mapping, source: str, sources: dict[str, str], prefix=()) -> None:
    """Lay ``layer`` over ``into`` key by key, noting the source of every value it sets."""
    for key, value in layer.items():
        path = (*prefix, key)
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value, source, sources, path)
            continue
        dotted = ".".join(path)
        for replaced in [k for k in sources if k == dotted or k.startswith(dotted + ".")]:
            del sources[replaced]
        into[key] = _plain(value)
        for leaf, _ in _flatten(into[key], path):
            sources[leaf] = source


def _plain(value: Any) -> Any:
    return {k: _plain(v) for k, v in value.items()} if isinstance(value, Mapping) else value


def _flatten(value: Any, prefix: tuple = ()) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping) and (value or not prefix):
        for key, inner in value.items():
            yield from _flatten(inner, (*prefix, str(key)))
    else:
        yield ".".join(prefix), value


# ---------------------------------------------------------------------------------------------
# Problems, in one line each


def _first_problem(
    exc: ValidationError, sources: dict[str, str], files: dict[str, str]
) -> SettingsError:
    errors = exc.errors()
    first = errors[0]
    key = ".".join(str(part) for part in first["loc"])
    kind, ctx = first["type"], first.get("ctx") or {}
    if kind == "extra_forbidden":
        text = f"{key} is not a known setting"
    elif kind == "missing":
        text = f"{key} is missing"
    else:
        text = f"{key} {_problem(kind, ctx, first['msg'])}, got {_render(first['input'])}"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    source = _source_near(key, sources)
    return SettingsError(f"settings: {text}{_from(source, files)}{more}", key)


def _problem(kind: str, ctx: dict, message: str) -> str:
    bound = {k: f"{v:g}" if isinstance(v, int | float) else v for k, v in ctx.items()}
    if kind == "greater_than":
        return "must be a positive number" if ctx["gt"] == 0 else f"must be more than {bound['gt']}"
    if kind == "greater_than_equal":
        return "must be zero or more" if ctx["ge"] == 0 else f"must be at least {bound['ge']}"
    if kind == "less_than_equal":
        return f"must be at most {bound['le']}"
    if kind == "less_than":
        return f"must be less than {bound['lt']}"
    if kind in ("float_type", "float_parsing"):
        return "must be a number"
    if kind == "finite_number":
        return "must be a finite number"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind == "bool_type":
        return "must be true or false"
    if kind == "string_type":
        return "must be text"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "must be a table"
    return message.removeprefix("Value error, ")


def _check_references(settings: AppSettings, files: dict[str, str]) -> None:
    """What the types cannot say: names usable in variables, known ticket types, and every
    jurisdiction mapped to a policy that exists."""
    clocks = settings.clocks

    def fail(key: str, problem: str) -> None:
        source = _source_near(key, settings._sources)
        raise SettingsError(f"settings: {key} {problem}{_from(source, files)}", key)

    for kind, names in (("jurisdictions", clocks.jurisdictions), ("policies", clocks.policies)):
        for name in names:
            if not NAME_RE.fullmatch(name):
                fail(f"clocks.{kind}.{name}", "must be named in lower case: a-z, 0-9 and _")
    for name, policy in clocks.policies.items():
        for ticket_type in policy.arrival_min_by_type:
            if ticket_type not in TICKET_TYPES:
                fail(
                    f"clocks.policies.{name}.arrival_min_by_type.{ticket_type}",
                    "is not a ticket type; known: " + ", ".join(TICKET_TYPES),
                )
    for jurisdiction, policy in clocks.jurisdictions.items():
        if policy not in clocks.policies:
            known = ", ".join(clocks.policies)
            fail(
                f"clocks.jurisdictions.{jurisdiction}",
                f"names no policy: {_render(policy)}; policies: {known}",
            )
    if "urban" not in clocks.jurisdictions:
        fail("clocks.jurisdictions.urban", "is missing (a ticket is urban when none is given)")


def _source_near(key: str, sources: Mapping[str, str]) -> str | None:
    """The layer of ``key``, else of the nearest table around it that a layer wrote into."""
    parts = key.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in sources:
            return sources[prefix]
        below = [source for k, source in sources.items() if k.startswith(prefix + ".")]
        if below:
            return below[-1]
    return None


def _from(source: str | None, files: Mapping[str, str]) -> str:
    if source is None:
        return ""
    return f" (from {source} {files[source]})" if source in files else f" (from {source})"


def _render(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


# ---------------------------------------------------------------------------------------------
# The settings of this process


_installed: AppSettings | None = None


def install(settings: AppSettings) -> None:
    """Make ``settings`` this process's (``dispatch serve`` does, once, at start)."""
    global _installed
    _installed = settings


def current() -> AppSettings:
    """The installed settings, else the product's defaults (the default file alone)."""
    return _installed if _installed is not None else defaults()


@cache
def defaults() -> AppSettings:
    """The default file alone: no ``DISPATCH_SETTINGS``, no environment."""
    return load_settings({})


T = TypeVar("T")
_SETTING = "setting"


def setting(key: str, convert: Callable[[Any], Any] | None = None) -> Any:
    """A dataclass field taking the value at ``key`` (``convert``-ed): by default from
    :func:`current`, or from a given settings object with :func:`build`."""
    return field(
        default_factory=lambda: _read(current(), key, convert), metadata={_SETTING: (key, convert)}
    )


def build(cls: type[T], settings: AppSettings, **overrides: Any) -> T:
    """An instance of the dataclass ``cls`` whose :func:`setting` fields come from
    ``settings``; ``overrides`` set fields by name."""
    values = {
        f.name: _read(settings, *f.metadata[_SETTING])
        for f in fields(cls)  # type: ignore[arg-type]
        if _SETTING in f.metadata and f.name not in overrides
    }
    return cls(**values, **overrides)


def _read(settings: AppSettings, key: str, convert: Callable[[Any], Any] | None) -> Any:
    value = settings.value(key)
    return convert(value) if convert is not None else value


# ---------------------------------------------------------------------------------------------
# Showing


def describe(settings: AppSettings) -> list[str]:
    """``dispatch settings show``: the files read, then one ``key = value  (source)`` line per
    effective value."""
    lines = [f"# {source}: {path}" for source, path in settings.files.items()]
    for key, value, source in settings.entries():
        lines.append(f"{key} = {_render(value)}  ({source})")
    return lines


def as_json(settings: AppSettings) -> dict:
    """``dispatch settings show --json``: the files read and every value with its source."""
    return {
        "files": settings.files,
        "settings": {
            key: {"value": value, "source": source} for key, value, source in settings.entries()
        },
    }
