"""Real camera feeds end to end: a local RTSP camera (ffmpeg publishing a moving test pattern,
served by gst-rtsp-server behind a password), registered with the admin command, relayed by
the app to a wall tile in headless Chromium."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import io
import json
import logging
import os
import re
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from dispatch import camera_command
from dispatch.api import Api
from dispatch.camera_watch import CameraWatch
from dispatch.cli import DEMO_PASSWORD
from dispatch.settings import defaults
from dispatch.simulation.test_camera import SYSTEM_PYTHON, TestCamera
from gis.cameras import cameras_for
from gis.database import connect
from tests.dbutil import execute, fetch_value
from tests.e2e.test_map_page import log_in

USER, PASSWORD = "viewer", "Pw-9f3kQz!camera"
SECRET_VAR = "CAMERA_TEST_CREDENTIALS"
OPEN_ALARMS = "SELECT count(*) FROM camera_signal_alarms WHERE cleared_at IS NULL"
LEAK = {
    "type": "gas_leak",
    "lon": 24.9466,
    "lat": 60.1712,
    "caller_name": "王伟",
    "caller_phone": "13812345678",
    "address": "Kaisaniemenkatu 5",
}


def _gst_ready() -> bool:
    if not (shutil.which("ffmpeg") and Path(SYSTEM_PYTHON).exists()):
        return False
    import subprocess

    probe = "import gi; gi.require_version('GstRtspServer', '1.0')"
    return subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(
    not _gst_ready(), reason="needs ffmpeg and gir1.2-gst-rtsp-server-1.0 (./run installs them)"
)


class Captured(logging.Handler):
    """Every log line of the process while the module runs, at every level."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclasses.dataclass
class Rig:
    base: str
    dsn: str
    camera: TestCamera
    camera_id: int
    other_id: int
    relays: object
    answers: list[str]  # every text answer a test saw, checked for the password at the end
    logs: Captured


@pytest.fixture(scope="module")
def rig(demo_template, make_database):
    os.environ[SECRET_VAR] = f"{USER}:{PASSWORD}"
    logs = Captured()
    root = logging.getLogger()
    level = root.level
    root.addHandler(logs)
    root.setLevel(logging.DEBUG)
    dsn = make_database(template=demo_template)
    conn = connect(dsn)
    with conn, conn.cursor() as cur:
        shown = [c["id"] for c in cameras_for(cur, LEAK["lon"], LEAK["lat"])]
    conn.close()
    camera_id, other_id = shown[0], shown[1]
    # The first camera the wall shows for the leak sees it whatever its bearing.
    execute(dsn, f"UPDATE cameras SET fov_deg = 360, range_m = 5000 WHERE id = {camera_id}")
    answers: list[str] = []
    with TestCamera(user=USER, password=PASSWORD) as camera:
        said: list[str] = []
        for cam in (camera_id, other_id):
            args = _source_args(cam, camera.url, f"env:{SECRET_VAR}")
            assert camera_command.run(dsn, args, said.append) == 0
        assert said == [f"camera {c}: source {camera.url}" for c in (camera_id, other_id)]
        answers += said
        with _serving(dsn) as (base, relays):
            yield Rig(base, dsn, camera, camera_id, other_id, relays, answers, logs)
    root.removeHandler(logs)
    root.setLevel(level)
    os.environ.pop(SECRET_VAR, None)


def _source_args(camera_id, url, ref):
    import argparse

    return argparse.Namespace(
        cameras_command="source", camera_id=camera_id, url=url, credentials=ref, none=False
    )


def _relays(rig: Rig):
    """The app's relays (registered on its Flask server)."""
    return rig.relays


@contextlib.contextmanager
def _serving(dsn: str):
    """The control room app on a free port; yields its URL and its camera relays."""
    import threading

    from werkzeug.serving import make_server

    from dashboards.app import create_app

    app = create_app(dsn, secret_key="test-secret-key", api=Api(dsn))
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    relays = app.server.extensions["camera_relays"]
    try:
        yield f"http://127.0.0.1:{server.server_port}", relays
    finally:
        relays.close()
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.server.extensions["event_feed"].stop()


def _opener(base: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    form = urllib.parse.urlencode({"username": "dispatcher", "password": DEMO_PASSWORD})
    opener.open(f"{base}/login", data=form.encode(), timeout=30).close()
    return opener


def _read_frames(response, count: int) -> list[bytes]:
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
        frames.append(response.read(int(headers["content-length"])))
    return frames


def _ffmpeg_readers(port: int) -> int:
    """ffmpeg processes connected to the camera's RTSP port: the upstream connections."""
    count = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            cmdline
            and cmdline[0].endswith(b"ffmpeg")
            and any(f"127.0.0.1:{port}/".encode() in part for part in cmdline)
        ):
            count += 1
    return count


def _wait(condition, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _post_json(base, path, body, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _token(base, user="hotline"):
    return _post_json(base, "/api/v1/auth/token", {"username": user, "password": DEMO_PASSWORD})[
        "token"
    ]


def _get_text(base, path, token) -> str:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode()


# --- one upstream, many viewers ------------------------------------------------------------------


def test_eight_viewers_of_one_camera_make_one_upstream_connection(rig):
    relays = _relays(rig)
    relays.pool.options = dataclasses.replace(relays.pool.options, idle_stop_s=1.0)
    opener = _opener(rig.base)
    streams = [
        opener.open(f"{rig.base}/video/cameras/{rig.camera_id}.mjpg", timeout=20) for _ in range(8)
    ]
    try:
        for stream in streams:
            assert stream.headers["Content-Type"].startswith("multipart/x-mixed-replace")
            first, _ = (Image.open(io.BytesIO(f)) for f in _read_frames(stream, 2))
            assert first.size == (640, 360)  # scaled to the tile's width (relay_width)
        assert _ffmpeg_readers(rig.camera.port) == 1
        relay = relays.pool.get(rig.camera_id)
        assert (relay.viewers, relay.connections) == (8, 1)
    finally:
        for stream in streams:
            stream.close()
    # The last viewer gone, the relay stops after idle_stop_s (1 s here) and so does ffmpeg.
    assert _wait(lambda: relays.pool.get(rig.camera_id) is None, 15)
    assert _wait(lambda: _ffmpeg_readers(rig.camera.port) == 0, 5)


def test_beyond_the_relay_limit_the_tile_says_why(rig):
    relays = _relays(rig)
    relays.pool.options = dataclasses.replace(relays.pool.options, max_relays=1)
    opener = _opener(rig.base)
    try:
        with opener.open(f"{rig.base}/video/cameras/{rig.camera_id}.mjpg", timeout=20) as one:
            _read_frames(one, 1)
            with opener.open(f"{rig.base}/video/cameras/{rig.other_id}.mjpg", timeout=20) as two:
                refusal = Image.open(io.BytesIO(_read_frames(two, 1)[0]))
                assert refusal.size == (640, 360)
            url = f"{rig.base}/video/cameras/status.json?ids={rig.camera_id},{rig.other_id}&lang=en"
            with opener.open(url, timeout=20) as response:
                text = response.read().decode()
            rig.answers.append(text)
            states = {c["id"]: c for c in json.loads(text)["cameras"]}
            assert states[rig.camera_id]["state"] == "live"
            assert states[rig.camera_id]["text"] == "LIVE"
            assert states[rig.other_id]["state"] == "refused"
            assert states[rig.other_id]["text"] == "Relay limit reached (1 cameras): feed paused"
    finally:
        relays.pool.options = dataclasses.replace(relays.pool.options, max_relays=16)


# --- evidence ------------------------------------------------------------------------------------


def test_an_emergency_keeps_a_still_from_the_camera_that_sees_it(rig):
    created = _post_json(rig.base, "/api/v1/tickets", LEAK, _token(rig.base))
    ticket_id = created["ticket"]["id"]
    taken = CameraWatch(rig.dsn, defaults().cameras).run()["stills"]
    assert [(s["ticket_id"], s["camera_id"]) for s in taken] == [(ticket_id, rig.camera_id)]
    assert CameraWatch(rig.dsn, defaults().cameras).run()["stills"] == []  # once per ticket

    token = _token(rig.base, "dispatcher")
    history = _get_text(rig.base, f"/api/v1/tickets/{ticket_id}/events", token)
    rig.answers.append(history)
    stills = [e for e in json.loads(history)["events"] if e["event_type"] == "camera_still"]
    assert len(stills) == 1
    image_path = stills[0]["data"]["image"]
    assert image_path == f"/video/stills/{taken[0]['id']}.jpg"
    with _opener(rig.base).open(rig.base + image_path, timeout=20) as response:
        assert response.headers["Content-Type"] == "image/jpeg"
        still = Image.open(io.BytesIO(response.read()))
    assert (still.format, still.size) == ("JPEG", (640, 360))
    rig.answers.append(_get_text(rig.base, f"/api/v1/tickets/{ticket_id}", token))


# --- the tile in a real browser ---------------------------------------------------------------


_GRAB = """(id) => {
    const img = document.querySelector(`.video-tile img[src*="/video/cameras/${id}.mjpg"]`);
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
    canvas.getContext("2d").drawImage(img, 0, 0);
    return canvas.toDataURL("image/png");
}"""


def _grab(page, camera_id: int) -> Image.Image:
    data = page.evaluate(_GRAB, camera_id)
    return Image.open(io.BytesIO(base64.b64decode(data.split(",", 1)[1]))).convert("RGB")


def test_the_tile_plays_the_camera_then_says_no_signal_and_a_station_camera_raises_the_alarm(
    rig, browser, artifacts_dir
):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    log_in(page, rig.base)
    # A second call about the same leak is linked to the first: select whichever is shown.
    _post_json(rig.base, "/api/v1/tickets", LEAK, _token(rig.base))
    row = page.locator(".queue-row:not(.queue-head)").filter(has_text=LEAK["address"]).first
    for _ in range(5):  # the queue is redrawn every second: a click may miss
        row.click()
        with contextlib.suppress(AssertionError):
            expect(page.locator(".panel-title")).not_to_be_empty(timeout=3_000)
            break
    tile = page.locator(f'.video-tile:has(img[src*="/video/cameras/{rig.camera_id}.mjpg"])')
    expect(tile).to_have_count(1, timeout=10_000)
    page.wait_for_function(
        """(id) => { const img = document.querySelector(
            `.video-tile img[src*="/video/cameras/${id}.mjpg"]`);
            return img && img.complete && img.naturalWidth === 640; }""",
        arg=rig.camera_id,
        timeout=20_000,
    )
    expect(tile.locator(".video-status")).to_have_text("实时", timeout=10_000)
    first = _grab(page, rig.camera_id)
    time.sleep(1.5)
    second = _grab(page, rig.camera_id)
    assert ImageChops.difference(first, second).getbbox() is not None, "the picture is frozen"
    page.screenshot(path=str(artifacts_dir / "camera_tile_live_1920x1080.png"))

    execute(
        rig.dsn,
        "UPDATE cameras SET regulator_station_id = (SELECT min(id) FROM regulator_stations)"
        f" WHERE id = {rig.camera_id}",
    )
    rig.camera.stop_encoder()
    try:
        # The last frame's time on the wall's clock (the territory's zone).
        expect(tile.locator(".video-status")).to_have_text(
            re.compile(r"^无信号，自 \d\d:\d\d:\d\d 起$"), timeout=20_000
        )
        expect(tile).to_have_attribute("data-camera-state", "no_signal")
        assert _grab(page, rig.camera_id).size == (640, 360)  # the last frame stays
        quick = defaults().cameras.model_copy(
            update={"station_alarm_after_s": 1.0, "probe_every_s": 1.0}
        )
        time.sleep(1.2)
        changes = CameraWatch(rig.dsn, quick).check_stations()
        assert changes == [{"camera_id": rig.camera_id, "alarm": "raised"}]
        name = fetch_value(rig.dsn, f"SELECT name FROM cameras WHERE id = {rig.camera_id}")
        expect(page.locator(".alarm-banner")).to_contain_text(
            f"场站摄像头无信号: {name}", timeout=10_000
        )
        page.screenshot(path=str(artifacts_dir / "camera_tile_no_signal_1920x1080.png"))
        rig.answers.append(page.content())
    finally:
        rig.camera.start_encoder()
    # The picture back, the alarm clears at the next look.
    expect(tile.locator(".video-status")).to_have_text("实时", timeout=30_000)
    page.set_viewport_size({"width": 3840, "height": 2160})  # the wall's 4K screens
    expect(tile.locator(".video-status")).to_be_visible()
    box, label = tile.bounding_box(), tile.locator(".video-status").bounding_box()
    assert box["x"] <= label["x"] and label["x"] + label["width"] <= box["x"] + box["width"]
    page.screenshot(path=str(artifacts_dir / "camera_tile_live_3840x2160.png"))
    time.sleep(1.2)
    assert _wait(
        lambda: (
            CameraWatch(rig.dsn, quick).check_stations()
            == [{"camera_id": rig.camera_id, "alarm": "cleared"}]
            or fetch_value(
                rig.dsn, "SELECT count(*) FROM camera_signal_alarms WHERE cleared_at IS NULL"
            )
            == 0
        ),
        15,
    )
    page.close()


# --- HLS: the app's own player, one fetch per file for every viewer ---------------------------


HLS_USER, HLS_PASSWORD = "hls", "Hls-4kQ!pass"
HLS_VAR = "CAMERA_TEST_HLS_CREDENTIALS"


@pytest.fixture
def hls_camera(rig, tmp_path):
    """ffmpeg writing a live HLS feed (moving pattern, H.264) served over HTTP behind basic auth;
    camera ``rig.other_id`` plays it. Yields the served directory's request log."""
    import functools
    import http.server
    import subprocess
    import threading

    writer = subprocess.Popen(
        [
            "ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi",
            "-i", "testsrc2=s=640x360:r=10", "-c:v", "libx264", "-preset", "ultrafast",
            "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-g", "10",
            "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
            "-hls_flags", "delete_segments", str(tmp_path / "index.m3u8"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    expected = "Basic " + base64.b64encode(f"{HLS_USER}:{HLS_PASSWORD}".encode()).decode()
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            if self.headers.get("Authorization") != expected:
                self.send_error(401)
                return
            requests.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(tmp_path))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ[HLS_VAR] = f"{HLS_USER}:{HLS_PASSWORD}"
    assert _wait(lambda: (tmp_path / "index.m3u8").exists(), 15)
    url = f"http://127.0.0.1:{server.server_port}/index.m3u8"
    said: list[str] = []
    assert camera_command.run(rig.dsn, _source_args(rig.other_id, url, f"env:{HLS_VAR}"),
                              said.append) == 0  # fmt: skip
    rig.answers += said
    try:
        yield requests
    finally:
        server.shutdown()
        server.server_close()
        writer.terminate()
        writer.wait(timeout=10)
        os.environ.pop(HLS_VAR, None)


def test_an_hls_camera_is_fetched_once_per_file_for_every_viewer(rig, hls_camera):
    import concurrent.futures

    opener = _opener(rig.base)
    playlist_path = f"/video/cameras/{rig.other_id}/hls/_source.m3u8"

    def get(path):
        with opener.open(rig.base + path, timeout=20) as response:
            return response.headers["Content-Type"], response.read()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(get, [playlist_path] * 8))
    assert {kind for kind, _ in answers} == {"application/vnd.apple.mpegurl"}
    assert len({body for _, body in answers}) == 1
    assert hls_camera.count("/index.m3u8") == 1
    playlist = answers[0][1].decode()
    rig.answers.append(playlist)
    segment = next(line for line in playlist.splitlines() if line.endswith(".ts"))
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(get, [f"/video/cameras/{rig.other_id}/hls/{segment}"] * 8))
    assert {kind for kind, _ in bodies} == {"video/mp2t"} and bodies[0][1][:1] == b"G"
    assert hls_camera.count(f"/{segment}") == 1
    for bad in ("..%2F..%2Fetc%2Fpasswd", "http:%2F%2Fexample.org%2Fx.ts"):
        with pytest.raises(urllib.error.HTTPError) as caught:
            get(f"/video/cameras/{rig.other_id}/hls/{bad}")
        assert caught.value.code in (400, 404)
        caught.value.close()


def test_an_hls_camera_plays_in_the_tile_with_the_apps_own_player(
    rig, hls_camera, browser, artifacts_dir
):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    log_in(page, rig.base)
    row = page.locator(".queue-row:not(.queue-head)").filter(has_text=LEAK["address"]).first
    if not row.count():
        _post_json(rig.base, "/api/v1/tickets", LEAK, _token(rig.base))
    for _ in range(5):
        row.click()
        with contextlib.suppress(AssertionError):
            expect(page.locator(".panel-title")).not_to_be_empty(timeout=3_000)
            break
    video = page.locator(f'video.video-hls[data-camera-id="{rig.other_id}"]')
    expect(video).to_have_count(1, timeout=15_000)
    page.wait_for_function(
        """(id) => { const v = document.querySelector(`video.video-hls[data-camera-id="${id}"]`);
            return v && v.readyState >= 2 && v.currentTime > 0.5; }""",
        arg=rig.other_id,
        timeout=30_000,
    )
    grab = """(id) => { const v = document.querySelector(`video.video-hls[data-camera-id="${id}"]`);
        const c = document.createElement("canvas");
        c.width = v.videoWidth; c.height = v.videoHeight;
        c.getContext("2d").drawImage(v, 0, 0); return c.toDataURL("image/png"); }"""

    def frame():
        # The video wall may be redrawn between two grabs (the selection reaching the server
        # late on a loaded machine): wait for the tile's player to be playing again.
        page.wait_for_function(
            """(id) => {
                const v = document.querySelector(`video.video-hls[data-camera-id="${id}"]`);
                return v && v.readyState >= 2 && v.videoWidth > 0; }""",
            arg=rig.other_id,
            timeout=30_000,
        )
        data = page.evaluate(grab, rig.other_id)
        return Image.open(io.BytesIO(base64.b64decode(data.split(",", 1)[1]))).convert("RGB")

    first = frame()
    time.sleep(1.5)
    second = frame()
    assert first.size == (640, 360)
    assert ImageChops.difference(first, second).getbbox() is not None, "the video is frozen"
    tile = page.locator(f'.video-tile:has(video[data-camera-id="{rig.other_id}"])')
    expect(tile.locator(".video-status")).to_have_text("实时", timeout=10_000)
    assert any(u.endswith("/video/player/hls.light.min.js") for u in scripts)
    # Offline: every script from the app (hls.js starts its worker from a blob of itself).
    elsewhere = [u for u in scripts if not u.startswith((rig.base, f"blob:{rig.base}"))]
    assert elsewhere == []
    page.screenshot(path=str(artifacts_dir / "camera_tile_hls_1920x1080.png"))
    rig.answers.append(page.content())
    page.close()


# --- the password -------------------------------------------------------------------------------


def test_the_password_appears_in_no_answer_and_no_log_line(rig):
    token = _token(rig.base, "dispatcher")
    opener = _opener(rig.base)
    for path in ("/wall", f"/video/cameras/status.json?ids={rig.camera_id}"):
        with opener.open(rig.base + path, timeout=20) as response:
            rig.answers.append(response.read().decode())
    rig.answers.append(_get_text(rig.base, "/api/v1/tickets", token))
    said: list[str] = []
    camera_command.run(rig.dsn, _namespace_list(), said.append, said.append)
    assert any(rig.camera.url in line for line in said)
    rig.answers += said
    secrets = (
        PASSWORD,
        urllib.parse.quote(PASSWORD, safe=""),
        HLS_PASSWORD,
        base64.b64encode(f"{HLS_USER}:{HLS_PASSWORD}".encode()).decode(),
    )
    assert len(rig.answers) >= 6 and rig.logs.lines, "nothing was captured"
    for text in [*rig.answers, *rig.logs.lines]:
        for secret in secrets:
            assert secret not in text
    # The source did use the password: an RTSP client without it is refused (401).
    assert fetch_value(rig.dsn, "SELECT count(*) FROM camera_stills") >= 1


def _namespace_list():
    import argparse

    return argparse.Namespace(cameras_command="list")
