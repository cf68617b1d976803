"""The two other kinds of source, read by the relay for real: an MJPEG stream over HTTP behind
basic auth (passed through byte for byte) and an HLS playlist (ffmpeg writes it from a moving
test pattern; the relay turns it into JPEGs like RTSP). No database."""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import io
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator

import flask
import pytest
from PIL import Image, ImageChops
from werkzeug.serving import make_server

from dispatch.camera_sources import (
    CameraSource,
    Credentials,
    RelayOptions,
    RelayPool,
    grab_still,
)

USER, PASSWORD = "cam", "Mj-7pass!"


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def _jpeg(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 180), (shade, 40, 200 - shade)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def mjpeg_camera():
    """An MJPEG camera: 10 frames a second, each a different colour, behind basic auth; counts
    the connections it gets."""
    app = flask.Flask("mjpeg-camera")
    frames = [_jpeg(shade) for shade in range(0, 200, 20)]
    opened = []
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    @app.get("/video.mjpg")
    def video():
        if flask.request.headers.get("Authorization") != expected:
            return flask.Response("no", status=401)
        opened.append(time.monotonic())

        def parts():
            i = 0
            while True:
                jpeg = frames[i % len(frames)]
                yield b"--f\r\nContent-Type: image/jpeg\r\n\r\n" + jpeg + b"\r\n"
                i += 1
                time.sleep(0.1)

        return flask.Response(parts(), content_type="multipart/x-mixed-replace; boundary=f")

    with serving(app) as url:
        yield url, frames, opened


def test_an_mjpeg_source_is_passed_through_once_for_every_viewer(mjpeg_camera):
    url, frames, opened = mjpeg_camera
    source = CameraSource(5, f"{url}/video.mjpg", "mjpeg", "env:CAM5")
    pool = RelayPool(
        {5: source}.get, RelayOptions(), Credentials("", {"CAM5": f"{USER}:{PASSWORD}"})
    )
    try:
        relays = [pool.acquire(5) for _ in range(8)]
        seq, first = relays[0].next_frame(0, 5.0)
        assert first in frames  # the camera's own bytes, not re-encoded
        later = relays[3].next_frame(seq, 5.0)
        assert later is not None and later[1] in frames and later[1] != first
        assert len(opened) == 1
    finally:
        pool.close()


def test_an_mjpeg_source_with_the_wrong_password_sends_nothing(mjpeg_camera):
    url, _, opened = mjpeg_camera
    source = CameraSource(5, f"{url}/video.mjpg", "mjpeg", "env:CAM5")
    wrong = Credentials("", {"CAM5": f"{USER}:not-it"})
    assert grab_still(source, wrong, RelayOptions(), timeout_s=3) is None
    assert opened == []


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_an_hls_source_is_relayed_as_moving_jpegs(tmp_path):
    writer = subprocess.Popen(
        [
            "ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi",
            "-i", "testsrc2=s=640x360:r=10", "-c:v", "libx264", "-preset", "ultrafast",
            "-g", "10", "-f", "hls", "-hls_time", "1", "-hls_list_size", "4",
            "-hls_flags", "delete_segments", str(tmp_path / "live.m3u8"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    pool = None
    try:
        deadline = time.monotonic() + 15
        while not (tmp_path / "live.m3u8").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        url = f"http://127.0.0.1:{server.server_port}/live.m3u8"
        source = CameraSource(9, url, "hls")
        pool = RelayPool({9: source}.get, RelayOptions(width=480), Credentials("", {}))
        relay = pool.acquire(9)
        got = relay.next_frame(0, 20.0)
        assert got is not None, "no frame from the HLS source"
        first = Image.open(io.BytesIO(got[1]))
        assert first.size == (480, 270)  # scaled to the tile, proportions kept
        later = relay.next_frame(got[0] + 3, 20.0)
        assert later is not None
        assert ImageChops.difference(first.convert("RGB"), _image(later[1])).getbbox()
        assert relay.connections == 1
    finally:
        if pool is not None:
            pool.close()
        server.shutdown()
        server.server_close()
        writer.terminate()
        writer.wait(timeout=10)


def _image(jpeg: bytes) -> Image.Image:
    return Image.open(io.BytesIO(jpeg)).convert("RGB")
