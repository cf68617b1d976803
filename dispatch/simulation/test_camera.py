"""A local RTSP test camera for the demo, the tests and the camera benchmark, offline.

ffmpeg draws a moving test pattern (``testsrc2``) with the wall-clock time printed on it and,
along its top 32 pixel rows, the time in milliseconds (mod 2**24) as 24 black/white blocks of
26 pixels (bit 0 left), so a viewer can tell how old a frame is (:func:`frame_time_ms`). It
encodes H.264 and publishes RTP to a local UDP port; ffmpeg cannot serve RTSP itself, so
GStreamer's gst-rtsp-server (Debian: gir1.2-gst-rtsp-server-1.0, run by the system Python in
:mod:`dispatch.simulation.rtsp_server_gst`) serves it as ``rtsp://127.0.0.1:PORT/cam``, one
shared stream, optionally behind a user name and password.

    python -m dispatch.simulation.test_camera --port 8554 [--user u --password p]
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
GST_SERVER = Path(__file__).with_name("rtsp_server_gst.py")
BAR_BITS, BAR_BLOCK_PX, BAR_HEIGHT_PX = 24, 26, 32


def pattern_filter(width: int = 640, height: int = 360, fps: int = 10) -> str:
    """The ffmpeg filter graph of the test pattern with the time bar."""
    bit = f"floor(X/{BAR_BLOCK_PX})"
    return (
        f"testsrc2=s={width}x{height}:r={fps},format=yuv420p,settb=1/1000,"
        "setpts=RTCTIME/(TB*1000000),"
        f"drawtext=text=%{{localtime}}:x=10:y={height - 30}:fontsize=20:fontcolor=white:"
        "box=1:boxcolor=black,split[a][b];"
        f"[b]crop={width}:{BAR_HEIGHT_PX}:0:0,"
        f"geq=lum='255*mod(floor(floor(T*1000)/pow(2\\,{bit}))\\,2)':cb=128:cr=128[bar];"
        "[a][bar]overlay=0:0"
    )


def frame_time_ms(image, now_ms: int) -> int:
    """The wall-clock time (ms since the epoch) a frame was drawn, read from its time bar;
    ``image`` is a PIL image scaled to any width, ``now_ms`` resolves the 2**24 wrap."""
    grey = image.convert("L")
    scale = grey.width / 640
    code = 0
    for i in range(BAR_BITS):
        x = int((i * BAR_BLOCK_PX + BAR_BLOCK_PX / 2) * scale)
        code |= (grey.getpixel((x, int(BAR_HEIGHT_PX / 2 * scale))) > 128) << i
    wrap = 1 << BAR_BITS
    base = now_ms - now_ms % wrap
    value = base + code
    return value - wrap if value > now_ms + 1000 else value


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TestCamera:
    """The two processes; :meth:`start` waits until the RTSP server answers."""

    __test__ = False  # not a pytest class

    def __init__(
        self,
        port: int | None = None,
        *,
        user: str | None = None,
        password: str | None = None,
        ffmpeg: str = "ffmpeg",
        path: str = "/cam",
    ) -> None:
        self.port = port or free_port()
        self.udp_port = free_port(socket.SOCK_DGRAM)
        self.user, self.password, self.ffmpeg, self.path = user, password, ffmpeg, path
        self._server: subprocess.Popen | None = None
        self._encoder: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The camera's URL without credentials."""
        return f"rtsp://127.0.0.1:{self.port}{self.path}"

    def start(self, timeout_s: float = 10.0) -> TestCamera:
        args = [SYSTEM_PYTHON, str(GST_SERVER), "--port", str(self.port), "--path", self.path]
        args += ["--udp-port", str(self.udp_port)]
        if self.user:
            args += ["--user", self.user, "--password", self.password or ""]
        self._server = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent
        )
        self.start_encoder()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if self._server.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        msg = "the RTSP test server did not start (is gir1.2-gst-rtsp-server-1.0 installed?)"
        raise RuntimeError(msg)

    def start_encoder(self) -> None:
        """(Re)start publishing the pattern: the picture comes back after :meth:`stop_encoder`."""
        args = [self.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-re"]
        args += ["-f", "lavfi", "-i", pattern_filter(), "-c:v", "libx264", "-preset", "ultrafast"]
        args += ["-tune", "zerolatency", "-g", "10", "-x264-params", "repeat-headers=1"]
        args += ["-f", "rtp", f"rtp://127.0.0.1:{self.udp_port}"]
        self._encoder = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent
        )

    def stop_encoder(self) -> None:
        """The camera goes dark: the server stays up but no picture arrives."""
        _end(self._encoder)
        self._encoder = None

    def stop(self) -> None:
        self.stop_encoder()
        _end(self._server)
        self._server = None

    def __enter__(self) -> TestCamera:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _die_with_parent() -> None:
    """In a child (``preexec_fn``): get SIGTERM when the parent process ends (Linux)."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _end(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="serve a local RTSP test camera")
    parser.add_argument("--port", type=int, default=8554)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument(
        "--exit-with-parent", action="store_true", help="end when the starting process ends"
    )
    args = parser.parse_args(argv)
    if args.exit_with_parent:
        _die_with_parent()
    # SIGTERM (the parent gone, or a kill) ends the camera's processes too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    camera = TestCamera(args.port, user=args.user, password=args.password).start()
    print(f"test camera: {camera.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        camera.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
