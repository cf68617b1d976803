"""The cameras' generated video over real HTTP, against the Helsinki demo territory's cameras."""

from __future__ import annotations

import contextlib
import io
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.client import HTTPResponse
from http.cookiejar import CookieJar

import flask
import pytest
from PIL import Image, ImageChops
from werkzeug.serving import make_server

from dashboards.app import create_app
from dashboards.video import (
    FRAME_SIZE,
    MAX_FPS,
    MJPEG_CONTENT_TYPE,
    Camera,
    FrameRenderer,
    VideoFeeds,
    register_video_routes,
    video_url,
)
from dispatch.cli import DEMO_PASSWORD
from gis.cameras import read_camera
from gis.database import connect

DEAD_DSN = "postgresql://postgres@127.0.0.1:1/x"
UNKNOWN_CAMERA = 999_999


@contextlib.contextmanager
def serving(server: flask.Flask) -> Iterator[str]:
    """``server`` on a free local port in a thread; yields its base URL."""
    http = make_server("127.0.0.1", 0, server, threaded=True)
    thread = threading.Thread(target=http.serve_forever, name="video-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(timeout=10)
        http.server_close()


@dataclass(frozen=True)
class VideoServer:
    url: str
    feeds: VideoFeeds
    dsn: str


@pytest.fixture(scope="module")
def video(demo_template, make_database) -> Iterator[VideoServer]:
    """A bare Flask app with only the video routes, over a private copy of the demo territory
    (so that nothing else holds connections to its database)."""
    dsn = make_database(template=demo_template)
    server = flask.Flask("video-test")
    feeds = register_video_routes(server, dsn)
    with serving(server) as url:
        yield VideoServer(url, feeds, dsn)


def get(url: str, opener=None) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a GET, whatever the status."""
    request = urllib.request.Request(url, headers={"Accept": "image/jpeg"})
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


def open_stream(url: str) -> HTTPResponse:
    return urllib.request.urlopen(url, timeout=10)


def read_frames(response: HTTPResponse, count: int) -> list[bytes]:
    """The next ``count`` JPEGs of a ``multipart/x-mixed-replace; boundary=frame`` body."""
    frames = []
    while len(frames) < count:
        line = response.readline()
        assert line, "stream ended"
        if line.strip() != b"--frame":
            continue
        headers = {}
        while (line := response.readline().strip()) != b"":
            name, _, value = line.decode("ascii").partition(":")
            headers[name.strip().lower()] = value.strip()
        assert headers["content-type"] == "image/jpeg"
        frames.append(response.read(int(headers["content-length"])))
    return frames


def decode(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    image.load()  # raises on a truncated or corrupt JPEG
    return image


def wait_until(condition, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def connections_to(dsn: str) -> int:
    """Sessions on ``dsn``'s database other than the one asking."""
    conn = connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return cur.fetchone()[0]
    finally:
        conn.close()


# --- snapshots ---------------------------------------------------------------------------------


def test_the_demo_cameras_point_at_the_apps_own_video_route(demo_dsn):
    camera = read_camera(demo_dsn, 1)
    assert camera is not None
    assert camera["stream_url"] == video_url(1) == "/video/cameras/1.mjpg"
    assert set(camera) == {"id", "name", "stream_url", "bearing_deg"}
    assert 0 <= camera["bearing_deg"] < 360
    assert read_camera(demo_dsn, UNKNOWN_CAMERA) is None


def test_a_snapshot_is_a_640x360_jpeg_that_changes_with_time(video):
    status, headers, first = get(f"{video.url}{video_url(1, snapshot=True)}")
    assert status == 200, first[:300]
    assert headers["Content-Type"] == "image/jpeg"
    assert "no-store" in headers["Cache-Control"]
    image = decode(first)
    assert (image.format, image.size, image.mode) == ("JPEG", FRAME_SIZE, "RGB")

    time.sleep(1.1)  # the clock shows another second, the scene has panned
    _, _, second = get(f"{video.url}{video_url(1, snapshot=True)}")
    assert ImageChops.difference(image, decode(second)).getbbox() is not None


def test_two_cameras_show_different_pictures_at_the_same_moment():
    renderer = FrameRenderer()
    at = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone(timedelta(hours=8)))
    one = renderer.frame(Camera(1, "CAM-01", 10.0), at)
    two = renderer.frame(Camera(2, "CAM-01", 10.0), at)
    assert ImageChops.difference(one, two).getbbox() is not None


def test_a_frame_is_drawn_from_the_cached_background_without_changing_it():
    renderer = FrameRenderer(cache_size=1)
    camera = Camera(3, "CAM-03", 90.0)
    background = renderer.background(camera)
    before = background.tobytes()
    renderer.frame(camera, datetime.now().astimezone())
    assert renderer.background(camera) is background
    assert background.tobytes() == before
    renderer.background(Camera(4, "CAM-04", 0.0))  # evicts camera 3 (cache of one)
    assert renderer.background(camera) is not background


# --- streams -----------------------------------------------------------------------------------


def test_the_stream_sends_at_least_three_valid_jpegs_within_three_seconds(video):
    started = time.monotonic()
    with open_stream(f"{video.url}{video_url(2)}") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == MJPEG_CONTENT_TYPE
        assert response.headers["Content-Type"].startswith("multipart/x-mixed-replace")
        assert "boundary=frame" in response.headers["Content-Type"]
        assert "no-store" in response.headers["Cache-Control"]
        frames = read_frames(response, 3)
    assert time.monotonic() - started < 3.0
    for frame in frames:
        image = decode(frame)
        assert (image.format, image.size) == ("JPEG", FRAME_SIZE)


def test_the_stream_is_paced_at_no_more_than_five_frames_a_second(video):
    with open_stream(f"{video.url}{video_url(2)}") as response:
        read_frames(response, 1)
        started = time.monotonic()
        read_frames(response, 5)
        elapsed = time.monotonic() - started
    assert elapsed >= 5 / MAX_FPS - 0.25


def test_a_stream_holds_no_database_connection_and_stops_when_the_client_leaves(video):
    assert wait_until(lambda: video.feeds.active_streams == 0)
    response = open_stream(f"{video.url}{video_url(1)}")
    try:
        read_frames(response, 2)
        assert video.feeds.active_streams == 1
        assert connections_to(video.dsn) == 0
    finally:
        response.close()
    assert wait_until(lambda: video.feeds.active_streams == 0), "the stream's generator ran on"


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("snapshot", [True, False], ids=["jpg", "mjpg"])
def test_an_unknown_camera_is_a_404_naming_the_field(video, snapshot):
    status, headers, body = get(f"{video.url}{video_url(UNKNOWN_CAMERA, snapshot=snapshot)}")
    assert status == 404
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert payload["error"] == "unknown_camera"
    assert payload["field"] == "camera_id"
    assert str(UNKNOWN_CAMERA) in payload["detail"]


def test_an_unreachable_database_is_a_503_with_a_reason():
    server = flask.Flask("video-dead-db")
    register_video_routes(server, DEAD_DSN)
    with serving(server) as url:
        status, _, body = get(f"{url}{video_url(1, snapshot=True)}")
    assert status == 503
    payload = json.loads(body)
    assert payload["error"] == "database_unavailable"
    assert "127.0.0.1:1" in payload["detail"]


@pytest.mark.parametrize("fps", [0, -1, MAX_FPS + 0.1])
def test_a_frame_rate_outside_the_limit_is_refused(fps):
    with pytest.raises(ValueError, match=r"`fps` must be above 0 and at most 5"):
        register_video_routes(flask.Flask("video-fps"), DEAD_DSN, fps=fps)


def test_a_background_cache_of_no_cameras_is_refused():
    with pytest.raises(ValueError, match=r"`cache_size` must be at least 1"):
        FrameRenderer(cache_size=0)


# --- behind the log-in, in the control room app ------------------------------------------------


def test_in_the_control_room_app_video_needs_a_log_in(fresh_demo_dsn):
    app = create_app(fresh_demo_dsn, secret_key="test-secret-key")
    if "gas_video_snapshot" not in app.server.view_functions:  # until create_app wires it in
        register_video_routes(app.server, fresh_demo_dsn)
    with serving(app.server) as url:
        status, _, body = get(f"{url}{video_url(1, snapshot=True)}")
        assert status == 401, body[:300]
        assert json.loads(body)["error"] == "unauthenticated"

        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        form = urllib.parse.urlencode({"username": "dispatcher", "password": DEMO_PASSWORD})
        opener.open(f"{url}/login", data=form.encode(), timeout=30).close()
        status, _, body = get(f"{url}{video_url(1, snapshot=True)}", opener)
        assert status == 200
        assert decode(body).size == FRAME_SIZE
