"""The HTTP side of the real camera feeds: one process's relays served as MJPEG to wall tiles.

    GET /video/cameras/<id>.mjpg          a camera with a source: its relay (one upstream
                                          connection shared by every viewer in this process);
                                          beyond ``[cameras] max_relays``: one frame saying so
    GET /video/cameras/status.json?ids=1,2&lang=zh
                                          200 {"cameras": [{"id", "state", "since", "text"}]}
                                          state: live | starting | no_signal | refused | idle |
                                          demo; ``text`` is the tile's words in ``lang``
    GET /video/cameras/<id>/hls/<file>    an HLS camera's playlist (``_source.m3u8``) and
                                          segments, fetched once for every viewer
    GET /video/player/hls.light.min.js    the HLS player (hls.js, dashboards/vendor)
    GET /video/stills/<id>.jpg            a still kept with a ticket (evidence)

While a source sends nothing, a tile keeps its last frame (it is sent again every couple of
seconds, which also tells the server when a viewer has gone) and ``status.json`` says
"no signal since HH:MM:SS"; ``assets/camera_tiles.js`` writes that on the tile. No source URL
or credential is ever part of an answer. No SQL here: :mod:`gis.cameras` reads.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import flask
from PIL import Image, ImageDraw, ImageFont

from dashboards.i18n import ZH, format_clock, normalize_language, t
from dispatch import repository as repo
from dispatch.camera_sources import (
    CameraSource,
    Credentials,
    NoSource,
    RelayLimit,
    RelayOptions,
    RelayPool,
    grab_still,
)
from dispatch.hls_proxy import SOURCE_PLAYLIST, BadName, HlsProxy
from dispatch.json_errors import error_response
from dispatch.settings import CamerasSection, current
from dispatch.unit_of_work import UnitOfWork
from gis import cameras
from gis.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

#: A frame is sent again this often while the source sends nothing (keeps the tile, and
#: notices a viewer that left).
RESEND_S = 2.0
#: A camera's signal is written to the database at most this often (station alarms).
SIGNAL_WRITE_S = 10.0
#: How long a refusal is remembered for the tile's status.
REFUSAL_SHOWN_S = 30.0
#: An HLS playlist that has not changed for this long means the camera sends nothing.
HLS_STALE_S = 12.0
VENDOR_DIR = Path(__file__).resolve().parent / "vendor"
PLAYER_FILE = "hls.light.min.js"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: How long the tiles' status trusts a camera's source read from the database.
SOURCE_CACHE_S = 10.0
_UNKNOWN = object()
_NO_STORE = "no-store, no-cache, must-revalidate, max-age=0"
_FONT_FILES = ("NotoSansCJK-Regular.ttc", "wqy-microhei.ttc", "DejaVuSans.ttf")


class CameraRelays:
    """The relays of this web process and what their tiles say."""

    def __init__(self, dsn: str, settings: CamerasSection | None = None) -> None:
        settings = settings or current().cameras
        self.dsn = dsn
        self.options = RelayOptions.from_settings(settings)
        self.credentials = Credentials(settings.secrets_file)
        self._sources: dict[int, CameraSource] = {}
        self._refused: dict[int, tuple[float, int]] = {}  # camera: (when, the limit then)
        self._checked: dict[int, tuple[float, object]] = {}  # camera: (when, source read)
        self._signal_written: dict[int, float] = {}
        self._lock = threading.Lock()
        self._zone: str | None = None
        self.hls = HlsProxy(self.credentials)
        self.pool = RelayPool(
            lambda camera_id: self._sources.get(camera_id),
            self.options,
            self.credentials,
            on_frame=self._record_signal,
        )

    # --- sources ---

    def source(self, camera_id: int) -> CameraSource | None:
        """The camera's real source, read now; ``None`` for a demo camera. Raises
        :class:`LookupError` for an unknown camera, ``DatabaseUnavailable``."""
        row = cameras.read_source(self.dsn, camera_id)
        found: CameraSource | None = None
        if row is not None and row["source_url"]:
            found = CameraSource(
                int(row["id"]), row["source_url"], row["source_kind"], row["credentials_ref"]
            )
        with self._lock:
            self._checked[camera_id] = (time.monotonic(), found if row is not None else _UNKNOWN)
            if found is not None:
                self._sources[camera_id] = found
        if row is None:
            raise LookupError(camera_id)
        return found

    def _recent_source(self, camera_id: int) -> CameraSource | None:
        """:meth:`source`, read at most every :data:`SOURCE_CACHE_S` (the tiles ask every two
        seconds; a wall with nothing new should not read the database each time)."""
        now = time.monotonic()
        with self._lock:
            known = self._checked.get(camera_id)
        if known is not None and now - known[0] < SOURCE_CACHE_S:
            if known[1] is _UNKNOWN:
                raise LookupError(camera_id)
            return known[1]
        return self.source(camera_id)

    def _record_signal(self, camera_id: int, at: datetime) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._signal_written.get(camera_id, -SIGNAL_WRITE_S) < SIGNAL_WRITE_S:
                return
            self._signal_written[camera_id] = now
        try:
            cameras.record_signal(self.dsn, camera_id, at)
        except DatabaseUnavailable as exc:
            log.warning("camera %s: %s", camera_id, exc)

    # --- streams ---

    def stream(self, source: CameraSource) -> flask.Response:
        """The relay's MJPEG for one viewer, or a frame saying the relay limit is reached."""
        from dashboards.video import MJPEG_CONTENT_TYPE, _part

        try:
            relay = self.pool.acquire(source.camera_id)
        except RelayLimit as exc:
            with self._lock:
                self._refused[source.camera_id] = (time.monotonic(), exc.limit)
            log.info("camera %s: relay refused (limit %s)", source.camera_id, exc.limit)
            body = _part(message_frame(_refusal_lines(exc.limit), self.options.width))
            return _no_store(flask.Response(body, content_type=MJPEG_CONTENT_TYPE))
        except NoSource:  # the source was removed meanwhile
            return _no_store(error_response(404, "unknown_camera", "no source", field="camera_id"))
        with self._lock:
            self._refused.pop(source.camera_id, None)

        def frames() -> Iterator[bytes]:
            seq, last = 0, None
            try:
                while not relay.stopped:
                    got = relay.next_frame(seq, RESEND_S)
                    if got is not None:
                        seq, last = got
                        yield _part(last)
                    elif last is not None:
                        yield _part(last)  # no signal: the last frame stays on the tile
                    else:
                        yield b"\r\n"  # nothing yet: a byte that notices a viewer gone
            finally:
                self.pool.release(relay)

        response = flask.Response(frames(), content_type=MJPEG_CONTENT_TYPE)
        response.headers["X-Accel-Buffering"] = "no"
        return _no_store(response)

    def snapshot(self, source: CameraSource) -> bytes | None:
        """The relay's newest frame when one runs here, else one grabbed now."""
        relay = self.pool.get(source.camera_id)
        if relay is not None and relay.frame is not None and relay.live():
            return relay.frame
        return grab_still(source, self.credentials, self.options)

    # --- tile status ---

    def status(self, camera_id: int, lang: str | None) -> dict:
        """What camera ``camera_id``'s tile says now (no source URL, no credential); an HLS
        camera's answer also names the app's own playlist of it (``hls``), for the player."""
        with self._lock:
            refused_at, limit = self._refused.get(camera_id, (None, 0))
        relay = self.pool.get(camera_id)
        refused = refused_at is not None and time.monotonic() - refused_at < REFUSAL_SHOWN_S
        if refused and relay is None:
            return _state(camera_id, "refused", None, _refusal_text(limit, lang))
        try:
            source = self._recent_source(camera_id)
        except LookupError:
            return _state(camera_id, "unknown", None, "")
        if source is None:
            return _state(camera_id, "demo", None, t("video.live", lang))
        seen = []  # (state, last frame) from the MJPEG relay and from the HLS playlist
        if relay is not None:
            seen.append((relay.status()["state"], relay.last_frame_at))
        if source.kind == "hls":
            changed = self.hls.changed_at.get(camera_id)
            if changed is not None:
                age = (datetime.now(UTC) - changed).total_seconds()
                seen.append(("live" if age <= self._hls_live_s() else "no_signal", changed))
            elif relay is None:
                seen.append(("starting", None))
        if not seen:
            return _state(camera_id, "idle", None, "")
        live = [s for s in seen if s[0] == "live"]
        state, since = live[0] if live else max(seen, key=lambda s: s[1] or _EPOCH)
        if state == "live":
            text = t("video.live", lang)
        elif state == "starting":
            text = t("video.relay_connecting", lang)
        elif since is None:
            text = t("video.no_signal", lang)
        else:
            clock = format_clock(since, self._timezone(), lang)
            text = t("video.no_signal_since", lang, time=clock)
        answer = _state(camera_id, state, since, text)
        if source.kind == "hls":
            answer["hls"] = hls_path(camera_id)
        return answer

    def _hls_live_s(self) -> float:
        """A playlist unchanged this long means no signal (players poll every few seconds)."""
        return max(self.options.no_signal_after_s, HLS_STALE_S)

    def serve_hls(self, camera_id: int, name: str) -> flask.Response:
        """A file of an HLS camera through :class:`~dispatch.hls_proxy.HlsProxy`."""
        try:
            source = self._recent_source(camera_id)
            if source is None or source.kind != "hls":  # perhaps changed since: read it now
                source = self.source(camera_id)
        except LookupError:
            source = None
        if source is None or source.kind != "hls":
            return _no_store(
                error_response(
                    404,
                    "unknown_camera",
                    f"`camera_id`: no HLS camera {camera_id}",
                    field="camera_id",
                )
            )
        try:
            body, kind = self.hls.get(source, name)
        except BadName:
            return _no_store(
                error_response(400, "invalid_input", "`name`: not a file", field="name")
            )
        except OSError as exc:
            return _no_store(error_response(502, "camera_unavailable", str(exc)))
        if name == SOURCE_PLAYLIST:
            changed = self.hls.changed_at.get(camera_id)
            if changed is not None:
                self._record_signal(camera_id, changed)
        return _no_store(flask.Response(body, content_type=kind))

    def _timezone(self) -> str | None:
        """The territory's time zone (the wall's clock), read once."""
        if self._zone is None:
            try:
                with UnitOfWork(self.dsn) as uow:
                    self._zone = repo.territory_timezone(uow.cur)
            except DatabaseUnavailable:
                return None
        return self._zone

    def close(self) -> None:
        self.pool.close()


def hls_path(camera_id: int) -> str:
    """The app's own playlist of an HLS camera (what the tile's player opens)."""
    return f"/video/cameras/{int(camera_id)}/hls/{SOURCE_PLAYLIST}"


def serve_player() -> flask.Response:
    """hls.js, served by the app (no CDN); cached a day."""
    response = flask.send_from_directory(VENDOR_DIR, PLAYER_FILE, mimetype="text/javascript")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def _state(camera_id: int, state: str, since: datetime | None, text: str) -> dict:
    return {
        "id": camera_id,
        "state": state,
        "since": since.isoformat() if since else None,
        "text": text,
    }


def _refusal_text(limit: int, lang: str | None) -> str:
    return t("video.relay_refused", lang, limit=limit)


def _refusal_lines(limit: int) -> list[str]:
    return [_refusal_text(limit, ZH), _refusal_text(limit, "en")]


def _no_store(response: flask.Response) -> flask.Response:
    response.headers["Cache-Control"] = _NO_STORE
    return response


def message_frame(lines: list[str], width: int = 640) -> bytes:
    """A dark 16:9 JPEG with ``lines`` of text centred on it (a tile that has no picture)."""
    height = max(1, width * 9 // 16)
    image = Image.new("RGB", (width, height), (24, 26, 32))
    draw = ImageDraw.Draw(image)
    font = _font(max(12, width // 32))
    y = height // 2 - len(lines) * font.size * 3 // 4
    for line in lines:
        box = draw.textbbox((0, 0), line, font=font)
        draw.text(((width - (box[2] - box[0])) // 2, y), line, font=font, fill=(250, 200, 80))
        y += font.size * 3 // 2
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _font(size: int):
    for name in _FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


# --- routes -------------------------------------------------------------------------------------


def serve_status(relays: CameraRelays) -> flask.Response:
    raw = flask.request.args.get("ids", "")
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        return _no_store(
            error_response(400, "invalid_input", "`ids`: camera ids, comma-separated", field="ids")
        )
    if len(ids) > 64:
        return _no_store(error_response(400, "invalid_input", "`ids`: at most 64", field="ids"))
    # The page's language is kept in the session; ``lang`` overrides it.
    lang = normalize_language(flask.request.args.get("lang") or flask.session.get("lang"))
    try:
        body = {"cameras": [relays.status(camera_id, lang) for camera_id in ids]}
    except DatabaseUnavailable as exc:
        return _no_store(error_response(503, "database_unavailable", str(exc)))
    return _no_store(flask.jsonify(body))


def serve_still(dsn: str, still_id: int) -> flask.Response:
    try:
        jpeg = cameras.read_still(dsn, still_id)
    except DatabaseUnavailable as exc:
        return _no_store(error_response(503, "database_unavailable", str(exc)))
    if jpeg is None:
        return _no_store(
            error_response(
                404, "unknown_still", f"`still_id`: no still {still_id}", field="still_id"
            )
        )
    return _no_store(flask.Response(jpeg, mimetype="image/jpeg"))


def register_relay_routes(server: flask.Flask, relays: CameraRelays) -> None:
    """``status.json`` and the stills (the streams go through :mod:`dashboards.video`)."""
    server.add_url_rule(
        "/video/cameras/status.json",
        endpoint="gas_video_status",
        view_func=lambda: serve_status(relays),
        methods=["GET"],
    )
    server.add_url_rule(
        "/video/cameras/<int(signed=True):camera_id>/hls/<path:name>",
        endpoint="gas_video_hls",
        view_func=lambda camera_id, name: relays.serve_hls(camera_id, name),
        methods=["GET"],
    )
    server.add_url_rule(
        f"/video/player/{PLAYER_FILE}",
        endpoint="gas_video_player",
        view_func=serve_player,
        methods=["GET"],
    )
    server.add_url_rule(
        "/video/stills/<int:still_id>.jpg",
        endpoint="gas_video_still",
        view_func=lambda still_id: serve_still(relays.dsn, still_id),
        methods=["GET"],
    )
