"""The cameras' live video: a camera with a real source (RTSP, MJPEG, HLS) is relayed by
:mod:`dashboards.camera_relay`; every other camera shows video generated and served by the app
itself (no internet needed), the demo's feeds and the fallback.

    GET /video/cameras/<id>.mjpg   200 multipart/x-mixed-replace; boundary=frame — an endless
                                   MJPEG stream of 640x360 JPEG frames at ``fps`` (at most 5)
    GET /video/cameras/<id>.jpg    200 image/jpeg — one frame, for thumbnails
                                   404 {"error": "unknown_camera", "field": "camera_id", ...}
                                   503 {"error": "database_unavailable", "field": null, ...}

Each frame shows a slowly panning scene that differs per camera (colours, skyline, direction),
a vehicle crossing it, the camera's name and bearing, the server's local time (HH:MM:SS) and a
blinking LIVE mark. Text uses a system font when one is found (a CJK one first, then DejaVu or
Liberation for accented street names), else Pillow's own Latin-only font. The scene's static
background is rendered once per camera and kept (a small LRU cache per app); only the pan, the
vehicle and the text are drawn per frame (about 5 ms of CPU). The camera is read once per
request through :func:`gis.cameras.read_camera`, which closes its connection before the
first frame: a stream holds no database connection. A stream ends when the client goes away
(the server closes the generator). No SQL here.
"""

from __future__ import annotations

import colorsys
import io
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import flask
import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFont

from dashboards.camera_relay import CameraRelays, register_relay_routes
from dispatch.json_errors import error_response
from gis import cameras
from gis.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

#: Frame size in pixels (width, height).
FRAME_SIZE = (640, 360)
JPEG_QUALITY = 70
#: The most frames per second a stream may be configured to send.
MAX_FPS = 5.0
BOUNDARY = "frame"
MJPEG_CONTENT_TYPE = f"multipart/x-mixed-replace; boundary={BOUNDARY}"
#: How fast the scene pans (pixels per second) and the vehicle crosses it.
PAN_SPEED_PX_S = 12.0
VEHICLE_SPEED_PX_S = 70.0
#: Backgrounds kept per app (each is 640x360 RGB, about 0.7 MB).
BACKGROUND_CACHE_SIZE = 64

_BAR_H = 30
_NO_STORE = "no-store, no-cache, must-revalidate, max-age=0"


class UnknownCamera(LookupError):
    """A camera id that is not in the database."""


@dataclass(frozen=True)
class Camera:
    """What a frame shows of a camera: its id, name and bearing (degrees clockwise from north)."""

    id: int
    name: str
    bearing_deg: float


def local_now() -> datetime:
    """The server's current local time, timezone-aware."""
    return datetime.now().astimezone()


def video_url(camera_id: int, *, snapshot: bool = False) -> str:
    """The path camera ``camera_id``'s stream (or, with ``snapshot``, one frame) is served at."""
    return f"/video/cameras/{camera_id}.{'jpg' if snapshot else 'mjpg'}"


# --- drawing ---------------------------------------------------------------------------------


#: Fonts tried in turn (by file name, in the system's font folders) before Pillow's own, which
#: draws Latin letters only: CJK first, then fonts with the accented letters of street names.
FONT_CANDIDATES = (
    "NotoSansCJK-Regular.ttc",
    "NotoSansSC-Regular.otf",
    "wqy-microhei.ttc",
    "DejaVuSans.ttf",
    "LiberationSans-Regular.ttf",
)


@dataclass(frozen=True)
class _Fonts:
    title: Any
    small: Any

    @classmethod
    def load(cls, font_file: str | None = None) -> _Fonts:
        """``font_file`` (a path or a name in the system's font folders) at two sizes, else
        Pillow's own font (FreeType when available, else its bitmap font)."""
        if font_file is not None:
            try:
                return cls(ImageFont.truetype(font_file, 18), ImageFont.truetype(font_file, 15))
            except OSError:
                log.warning("font %s not loadable; using Pillow's own", font_file)
        return cls(ImageFont.load_default(size=18), ImageFont.load_default(size=15))


def find_font(candidates: tuple[str, ...] = FONT_CANDIDATES) -> str | None:
    """The first of ``candidates`` that loads, or ``None`` (then Pillow's own font is used)."""
    for candidate in candidates:
        try:
            ImageFont.truetype(candidate, 12)
        except OSError:
            continue
        return candidate
    return None


class FrameRenderer:
    """Draws 640x360 frames for cameras; keeps each camera's static background (LRU, at most
    ``cache_size`` cameras). Safe to share between threads."""

    def __init__(
        self,
        *,
        size: tuple[int, int] = FRAME_SIZE,
        quality: int = JPEG_QUALITY,
        cache_size: int = BACKGROUND_CACHE_SIZE,
    ) -> None:
        if cache_size < 1:
            msg = f"`cache_size` must be at least 1; got {cache_size}"
            raise ValueError(msg)
        self.size = size
        self.quality = quality
        self._cache_size = cache_size
        self._backgrounds: OrderedDict[int, Image.Image] = OrderedDict()
        self._lock = threading.Lock()
        self._font_file: str | None = None
        self._font_searched = False

    def fonts(self) -> _Fonts:
        """Fonts for one stream (FreeType fonts are not shared between threads); the font file
        is looked for on the first call only."""
        with self._lock:
            if not self._font_searched:
                self._font_file, self._font_searched = find_font(), True
            font_file = self._font_file
        return _Fonts.load(font_file)

    def background(self, camera: Camera) -> Image.Image:
        """The camera's static scene (never modified after it is made)."""
        with self._lock:
            image = self._backgrounds.get(camera.id)
            if image is not None:
                self._backgrounds.move_to_end(camera.id)
                return image
        image = _render_background(camera.id, self.size)
        with self._lock:
            self._backgrounds[camera.id] = image
            self._backgrounds.move_to_end(camera.id)
            while len(self._backgrounds) > self._cache_size:
                self._backgrounds.popitem(last=False)
        return image

    def frame(self, camera: Camera, at: datetime, fonts: _Fonts | None = None) -> Image.Image:
        """The frame camera ``camera`` shows at ``at`` (its wall-clock time is printed)."""
        fonts = fonts or self.fonts()
        width, height = self.size
        seconds = at.timestamp()
        direction = 1 if camera.id % 2 else -1
        pan = int(seconds * PAN_SPEED_PX_S * direction) % width
        image = ImageChops.offset(self.background(camera), pan, 0)
        draw = ImageDraw.Draw(image)
        _draw_vehicle(draw, camera.id, seconds, width, height)
        _draw_overlay(draw, camera, at, fonts, width, height)
        return image

    def jpeg(self, camera: Camera, at: datetime, fonts: _Fonts | None = None) -> bytes:
        """:meth:`frame` encoded as a baseline JPEG."""
        buffer = io.BytesIO()
        self.frame(camera, at, fonts).save(buffer, "JPEG", quality=self.quality)
        return buffer.getvalue()


def _rgb(hue: float, saturation: float, value: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(hue % 1.0, saturation, value)) * 255.0


def _render_background(camera_id: int, size: tuple[int, int]) -> Image.Image:
    """A sky, a skyline and a road in colours seeded by ``camera_id``; seamless left to right,
    so that panning by wrapping the image around shows no edge."""
    width, height = size
    rng = np.random.default_rng(camera_id)
    hue = rng.random()
    horizon = int(height * rng.uniform(0.52, 0.62))
    x = np.arange(width)[None, :, None]
    y = np.arange(height)[:, None, None]

    # Sky: a vertical gradient, tinted by a slow wave that repeats exactly over the width.
    top, low = _rgb(hue, 0.55, 0.45), _rgb(hue + 0.08, 0.35, 0.85)
    share = np.clip(y / max(horizon, 1), 0.0, 1.0)
    wave = np.cos(2 * np.pi * x / width * int(rng.integers(1, 3)) + rng.uniform(0, 2 * np.pi))
    sky = top * (1 - share) + low * share + 18.0 * wave
    # Ground: darker, lighter towards the viewer.
    near = np.clip((y - horizon) / max(height - horizon, 1), 0.0, 1.0)
    far_colour, near_colour = _rgb(hue + 0.5, 0.15, 0.22), _rgb(hue + 0.5, 0.1, 0.38)
    ground = far_colour * (1 - near) + near_colour * near
    pixels = np.where(y < horizon, sky, ground)  # broadcast to (height, width, 3)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")

    # A skyline with lit windows; each building is drawn twice so that it wraps around.
    draw = ImageDraw.Draw(image)
    wall = tuple(int(c) for c in _rgb(hue + 0.6, 0.3, 0.18))
    lit = tuple(int(c) for c in _rgb(0.13, 0.45, 0.95))
    for _ in range(int(rng.integers(10, 16))):
        left = int(rng.integers(0, width))
        w, h = int(rng.integers(40, 110)), int(rng.integers(40, horizon - 20))
        windows = [
            (wx, wy)
            for wy in range(horizon - h + 8, horizon - 10, 14)
            for wx in range(left + 6, left + w - 8, 12)
            if rng.random() < 0.35
        ]
        for shift in (0, -width):
            draw.rectangle((left + shift, horizon - h, left + shift + w, horizon), fill=wall)
            for wx, wy in windows:
                draw.rectangle((wx + shift, wy, wx + shift + 5, wy + 6), fill=lit)
    # A road with dashed lane markings; the dash period divides the width.
    road_top, road_bottom = horizon + 40, horizon + 95
    draw.rectangle((0, road_top, width, road_bottom), fill=(52, 54, 58))
    lane_y = (road_top + road_bottom) // 2
    for dash in range(0, width, 40):
        draw.rectangle((dash, lane_y - 1, dash + 20, lane_y + 1), fill=(220, 220, 200))
    return image


def _draw_vehicle(
    draw: ImageDraw.ImageDraw, camera_id: int, seconds: float, width: int, height: int
) -> None:
    """A box crossing the road, wrapping around; its colour and lane depend on the camera."""
    rng = np.random.default_rng(camera_id + 10_000)
    colour = tuple(int(c) for c in _rgb(rng.random(), 0.7, 0.9))
    span = width + 120
    x = int(seconds * VEHICLE_SPEED_PX_S + rng.integers(0, span)) % span - 90
    lane_top = int(height * 0.72) + int(rng.integers(0, 2)) * 22
    draw.rounded_rectangle((x, lane_top, x + 80, lane_top + 26), radius=6, fill=colour)
    draw.rectangle((x + 50, lane_top + 4, x + 72, lane_top + 13), fill=(30, 40, 55))


def _draw_overlay(
    draw: ImageDraw.ImageDraw,
    camera: Camera,
    at: datetime,
    fonts: _Fonts,
    width: int,
    height: int,
) -> None:
    """The camera's name and the LIVE mark on a top bar, bearing and local time at the bottom."""
    bar, middle = (10, 14, 20), _BAR_H // 2
    draw.rectangle((0, 0, width, _BAR_H), fill=bar)
    draw.rectangle((0, height - _BAR_H, width, height), fill=bar)
    name = _fit(draw, camera.name, fonts.title, width - 110)
    _text(draw, (10, middle), name, fonts.title, (235, 240, 245))
    if int(at.timestamp() * 2) % 2 == 0:  # blinks once a second
        draw.ellipse((width - 84, middle - 6, width - 72, middle + 6), fill=(230, 40, 40))
    _text(draw, (width - 64, middle), "LIVE", fonts.title, (255, 90, 90))
    bottom = height - middle
    label = f"CAM {camera.id}  BRG {camera.bearing_deg:05.1f}°"
    _text(draw, (10, bottom), label, fonts.small, (190, 200, 210))
    clock = at.strftime("%Y-%m-%d %H:%M:%S")
    _text(draw, (width - 10, bottom), clock, fonts.title, (235, 240, 245), right=True)


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Any, max_width: int) -> str:
    """``text``, cut short with an ellipsis when it is wider than ``max_width`` pixels."""
    if draw.textlength(text, font=font) <= max_width:
        return text
    while text and draw.textlength(text + "...", font=font) > max_width:
        text = text[:-1]
    return text.rstrip() + "..."


def _text(
    draw: ImageDraw.ImageDraw,
    at: tuple[int, int],
    text: str,
    font: Any,
    fill: tuple[int, int, int],
    *,
    right: bool = False,
) -> None:
    """``text`` vertically centred on ``at``, starting there (or ending there when ``right``).
    Placed from its bounding box, which works with bitmap fonts too (they take no anchors)."""
    left, top, end, bottom = draw.textbbox((0, 0), text, font=font)
    x = at[0] - end if right else at[0] - left
    draw.text((x, at[1] - (top + bottom) / 2), text, font=font, fill=fill)


# --- streams ---------------------------------------------------------------------------------


class VideoFeeds:
    """The video of one app instance: reads cameras, renders frames and counts open streams.

    ``read_camera(dsn, camera_id)`` defaults to :func:`gis.cameras.read_camera`, ``now``
    to the server's local time and ``sleep`` to :func:`time.sleep`; tests pass fakes.
    """

    def __init__(
        self,
        dsn: str,
        *,
        fps: float = MAX_FPS,
        read_camera: Callable[[str, int], dict[str, Any] | None] = cameras.read_camera,
        now: Callable[[], datetime] = local_now,
        sleep: Callable[[float], None] = time.sleep,
        renderer: FrameRenderer | None = None,
    ) -> None:
        if not 0 < fps <= MAX_FPS:
            msg = f"`fps` must be above 0 and at most {MAX_FPS:g}; got {fps!r}"
            raise ValueError(msg)
        self.fps = float(fps)
        self._dsn = dsn
        self._read_camera = read_camera
        self._now = now
        self._sleep = sleep
        self.renderer = renderer or FrameRenderer()
        #: The relays of cameras with a real source (set by :func:`register_video_routes`).
        self.relays: CameraRelays | None = None
        self._active = 0
        self._lock = threading.Lock()

    @property
    def active_streams(self) -> int:
        """How many MJPEG streams are being sent now."""
        with self._lock:
            return self._active

    def camera(self, camera_id: int) -> Camera:
        """Camera ``camera_id`` read now (the connection is closed on return); raises
        :class:`UnknownCamera` or :class:`~gis.errors.DatabaseUnavailable`."""
        row = self._read_camera(self._dsn, camera_id)
        if row is None:
            msg = f"`camera_id`: no camera {camera_id}"
            raise UnknownCamera(msg)
        return Camera(int(row["id"]), str(row["name"]), float(row["bearing_deg"]))

    def snapshot(self, camera: Camera) -> bytes:
        """One JPEG frame of ``camera`` as it looks now."""
        return self.renderer.jpeg(camera, self._now())

    def stream(self, camera: Camera) -> Iterator[bytes]:
        """Endless multipart parts (boundary ``frame``), one JPEG each, paced at :attr:`fps`.

        Runs until the consumer closes the generator (the server does when the client goes
        away); it touches no database."""
        fonts = self.renderer.fonts()
        interval = 1.0 / self.fps
        with self._lock:
            self._active += 1
        log.debug("camera %s: stream opened", camera.id)
        try:
            due = time.monotonic()
            while True:
                jpeg = self.renderer.jpeg(camera, self._now(), fonts)
                yield _part(jpeg)
                due += interval
                delay = due - time.monotonic()
                if delay > 0:
                    self._sleep(delay)
                else:  # fell behind (slow client or CPU): do not try to catch up
                    due = time.monotonic()
        finally:
            with self._lock:
                self._active -= 1
            log.debug("camera %s: stream closed", camera.id)


def _part(jpeg: bytes) -> bytes:
    head = (
        f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
    ).encode("ascii")
    return head + jpeg + b"\r\n"


# --- HTTP ------------------------------------------------------------------------------------


def serve_stream(
    feeds: VideoFeeds, camera_id: int, relays: CameraRelays | None = None
) -> flask.Response:
    """Camera ``camera_id``'s MJPEG stream (its relay when it has a real source, else the
    generated feed), or a JSON error."""
    try:
        source = _real_source(relays, camera_id)
        if source is not None:
            return relays.stream(source)  # type: ignore[union-attr]
        camera = feeds.camera(camera_id)
    except (UnknownCamera, DatabaseUnavailable) as exc:
        return _camera_error(camera_id, exc)
    response = flask.Response(feeds.stream(camera), content_type=MJPEG_CONTENT_TYPE)
    response.headers["Cache-Control"] = _NO_STORE
    response.headers["X-Accel-Buffering"] = "no"  # a reverse proxy must not buffer the stream
    return response


def serve_snapshot(
    feeds: VideoFeeds, camera_id: int, relays: CameraRelays | None = None
) -> flask.Response:
    """One JPEG frame of camera ``camera_id``, or a JSON error."""
    try:
        source = _real_source(relays, camera_id)
        if source is not None:
            jpeg = relays.snapshot(source)  # type: ignore[union-attr]
            if jpeg is None:
                response = error_response(
                    503, "no_signal", f"`camera_id`: camera {camera_id} sends no picture"
                )
                response.headers["Cache-Control"] = _NO_STORE
                return response
        else:
            jpeg = feeds.snapshot(feeds.camera(camera_id))
    except (UnknownCamera, DatabaseUnavailable) as exc:
        return _camera_error(camera_id, exc)
    response = flask.Response(jpeg, mimetype="image/jpeg")
    response.headers["Cache-Control"] = _NO_STORE
    return response


def _real_source(relays: CameraRelays | None, camera_id: int):
    """The camera's real source (``None``: the generated feed); raises :class:`UnknownCamera`."""
    if relays is None:
        return None
    try:
        return relays.source(camera_id)
    except LookupError:
        msg = f"`camera_id`: no camera {camera_id}"
        raise UnknownCamera(msg) from None


def _camera_error(camera_id: int, exc: UnknownCamera | DatabaseUnavailable) -> flask.Response:
    if isinstance(exc, UnknownCamera):
        response = error_response(404, "unknown_camera", str(exc), field="camera_id")
    else:
        log.warning("camera %s not served: %s", camera_id, exc)
        response = error_response(503, "database_unavailable", str(exc))
    response.headers["Cache-Control"] = _NO_STORE
    return response


def register_video_routes(
    server: flask.Flask,
    dsn: str,
    *,
    fps: float = MAX_FPS,
    read_camera: Callable[[str, int], dict[str, Any] | None] = cameras.read_camera,
    now: Callable[[], datetime] = local_now,
    relays: CameraRelays | None = None,
) -> VideoFeeds:
    """Add ``/video/cameras/<id>.mjpg`` and ``/video/cameras/<id>.jpg`` to ``server``, reading
    cameras from the database at ``dsn``; streams send ``fps`` frames per second (0 < fps <= 5).

    Returns the app's :class:`VideoFeeds` (its ``active_streams`` counts open streams). The
    routes are not public: the app's log-in guard covers them.
    """
    feeds = VideoFeeds(dsn, fps=fps, read_camera=read_camera, now=now)
    # Cameras with a real source are relayed (:mod:`dashboards.camera_relay`); a custom
    # ``read_camera`` (a test's) keeps every camera on the generated feed.
    if relays is None and read_camera is cameras.read_camera:
        relays = CameraRelays(dsn)
    feeds.relays = relays
    if relays is not None:
        register_relay_routes(server, relays)
        server.extensions["camera_relays"] = relays
    server.add_url_rule(
        "/video/cameras/<int(signed=True):camera_id>.mjpg",
        endpoint="gas_video_stream",
        view_func=lambda camera_id: serve_stream(feeds, camera_id, relays),
        methods=["GET"],
    )
    server.add_url_rule(
        "/video/cameras/<int(signed=True):camera_id>.jpg",
        endpoint="gas_video_snapshot",
        view_func=lambda camera_id: serve_snapshot(feeds, camera_id, relays),
        methods=["GET"],
    )
    return feeds
