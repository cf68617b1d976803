"""Benchmark of the camera relay: source-to-browser delay and CPU per relayed camera.

    python -m dashboards.camera_bench [--cameras 4] [--viewers 2] [--seconds 20]

A local RTSP test camera (:mod:`dispatch.simulation.test_camera`: ffmpeg → H.264 → RTSP) draws
the wall-clock time in milliseconds into every frame as a bar of black and white blocks. The
app's relay (:class:`dashboards.camera_relay.CameraRelays`, the same code the wall uses, over
real HTTP) sends ``--cameras`` relayed cameras (each its own upstream, as for distinct
cameras) to a headless Chromium page with ``--viewers`` tiles per camera. The page draws each
tile onto a canvas every 20 ms, reads the bar and notes ``now - frame time`` for every new
frame: the delay from the source's clock to a picture in the browser (encode, RTSP, decode,
scale, JPEG, HTTP, browser decode; same machine, same clock). CPU: the relay's ffmpeg
processes plus this process (the web server and its reader threads; the browser and the test
source are not counted), as a share of one core, per camera. Needs ffmpeg, Debian's
gir1.2-gst-rtsp-server-1.0 and Chromium (``./run test`` installs them); no database.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

import flask
from werkzeug.serving import make_server

from dashboards.camera_relay import CameraRelays
from dispatch.camera_sources import CameraSource
from dispatch.settings import defaults
from dispatch.simulation.test_camera import BAR_BITS, BAR_BLOCK_PX, BAR_HEIGHT_PX, TestCamera

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TARGET_P95_S = 2.0

_PAGE = """<!doctype html><html><body style="margin:0;background:#000">{tiles}
<script>
window.delays = [];
const seen = {{}};
const canvas = document.createElement("canvas");
const ctx = canvas.getContext("2d", {{willReadFrequently: true}});
function read(img) {{
  if (!img.complete || !img.naturalWidth) return null;
  canvas.width = img.naturalWidth; canvas.height = {bar};
  ctx.drawImage(img, 0, 0);
  const scale = img.naturalWidth / 640, y = Math.floor({bar} / 2 * scale);
  const row = ctx.getImageData(0, y, img.naturalWidth, 1).data;
  let code = 0;
  for (let i = 0; i < {bits}; i++) {{
    const x = Math.floor((i * {block} + {block} / 2) * scale);
    if (row[x * 4] > 128) code += 2 ** i;
  }}
  return code;
}}
setInterval(() => {{
  const now = Date.now(), wrap = 2 ** {bits};
  document.querySelectorAll("img").forEach((img, i) => {{
    const code = read(img);
    if (code === null || seen[i] === code) return;
    seen[i] = code;
    let sent = now - (now % wrap) + code;
    if (sent > now + 1000) sent -= wrap;
    window.delays.push(now - sent);
  }});
}}, 20);
</script></body></html>"""


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _relay_ffmpegs(port: int) -> list[int]:
    pids = []
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
            pids.append(int(proc.name))
    return pids


def run(cameras: int, viewers: int, seconds: float) -> dict:
    from playwright.sync_api import sync_playwright

    settings = defaults().cameras
    with TestCamera() as source:
        relays = CameraRelays("postgresql://unused@127.0.0.1:1/none", settings)
        relays.pool._on_frame = None  # no database here: no signal is recorded
        server = flask.Flask("camera-bench")
        ids = list(range(1, cameras + 1))
        sources = {i: CameraSource(i, source.url, "rtsp") for i in ids}
        relays._sources.update(sources)
        server.add_url_rule(
            "/cam/<int:camera_id>.mjpg", "cam", lambda camera_id: relays.stream(sources[camera_id])
        )
        tiles = "".join(
            f'<img src="/cam/{i}.mjpg" style="width:{100 // max(1, cameras)}vw">'
            for i in ids
            for _ in range(viewers)
        )
        page_html = _PAGE.format(tiles=tiles, bar=BAR_HEIGHT_PX, bits=BAR_BITS, block=BAR_BLOCK_PX)
        server.add_url_rule("/", "page", lambda: page_html)
        http = make_server("127.0.0.1", 0, server, threaded=True)
        threading.Thread(target=http.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.goto(f"http://127.0.0.1:{http.server_port}/")
                page.wait_for_function("window.delays.length > 10", timeout=30_000)
                time.sleep(2)  # warm-up: the encoder's and decoders' first frames
                page.evaluate("window.delays = []")
                upstreams = _relay_ffmpegs(source.port)
                before = {pid: _cpu_seconds(pid) for pid in upstreams}
                own_before, started = time.process_time(), time.monotonic()
                time.sleep(seconds)
                elapsed = time.monotonic() - started
                own = time.process_time() - own_before
                ffmpeg = sum(_cpu_seconds(pid) - before[pid] for pid in upstreams)
                delays = page.evaluate("window.delays")
                browser.close()
        finally:
            relays.close()
            http.shutdown()
    delays_s = sorted(d / 1000 for d in delays if d >= -50)
    p95 = delays_s[int(0.95 * (len(delays_s) - 1))]
    return {
        "cameras": cameras,
        "viewers_per_camera": viewers,
        "upstream_connections": len(upstreams),
        "frames_seen": len(delays_s),
        "delay_p50_s": statistics.median(delays_s),
        "delay_p95_s": p95,
        "delay_max_s": delays_s[-1],
        "cpu_ffmpeg_per_camera": ffmpeg / elapsed / cameras,
        "cpu_server_per_camera": own / elapsed / cameras,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--viewers", type=int, default=2, help="tiles per camera")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"needs Chromium at {CHROMIUM}", file=sys.stderr)
        return 2
    r = run(args.cameras, args.viewers, args.seconds)
    settings = defaults().cameras
    print(
        f"camera relay: {r['cameras']} cameras x {r['viewers_per_camera']} viewers, "
        f"{settings.relay_fps:g} fps at {settings.relay_width} px, "
        f"{r['upstream_connections']} upstream connections, {r['frames_seen']} frames seen"
    )
    verdict = "OK" if r["delay_p95_s"] <= TARGET_P95_S else "OVER TARGET"
    print(
        f"source-to-browser delay: p50 {r['delay_p50_s']:.2f} s, p95 {r['delay_p95_s']:.2f} s "
        f"(target <= {TARGET_P95_S:g} s: {verdict}), max {r['delay_max_s']:.2f} s"
    )
    total = r["cpu_ffmpeg_per_camera"] + r["cpu_server_per_camera"]
    print(
        f"CPU per relayed camera: {100 * total:.1f} % of one core "
        f"(ffmpeg {100 * r['cpu_ffmpeg_per_camera']:.1f} %, "
        f"web server {100 * r['cpu_server_per_camera']:.1f} %) on {os.cpu_count()} cores"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
