"""Where a real camera's picture comes from, and the one connection to it.

A camera's source is a URL without credentials (``rtsp://``, an MJPEG stream over
``http(s)://``, or an HLS playlist ``….m3u8``) and a reference to its credentials
(``env:VAR`` or ``file:name`` in the secrets file of ``[cameras] secrets_file``), resolved here
on the server only. Nothing leaves this module with a password in it except the URL handed to
the upstream reader; every line logged goes through :func:`redact`.

- :class:`Relay`: ONE upstream connection per camera (an ffmpeg process turning RTSP or HLS
  into JPEGs scaled to the tile at a few frames per second, or an MJPEG stream passed through
  as it is), read by one thread that hands each frame to every viewer through a condition.
  The reader reconnects while the relay runs; a stalled upstream is killed and reopened.
- :class:`RelayPool`: the relays of one process; a relay starts at its first viewer and stops
  ``idle_stop_s`` after its last; at most ``max_relays`` run at once (:class:`RelayLimit`).
- :func:`grab_still`: one JPEG from a source (a probe, or evidence for a ticket).

No SQL: the caller gives the pool a ``lookup`` of sources and a ``on_signal`` callback.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import re
import subprocess
import threading
import time
import tomllib
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from dispatch.errors import InvalidInput
from gis import cameras

log = logging.getLogger(__name__)

_SOI, _EOI = b"\xff\xd8", b"\xff\xd9"
#: Any URL's user-info (``user:password@``), for redaction.
_USERINFO_RE = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s'\"]+@")
_MAX_FRAME_BYTES = 8 * 1024 * 1024


class RelayLimit(RuntimeError):
    """Too many relays run already; ``limit`` is the setting."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} camera relays run at once")
        self.limit = limit


class NoSource(LookupError):
    """A camera without a real source (it shows the generated demo feed)."""


@dataclass(frozen=True)
class CameraSource:
    camera_id: int
    url: str  # never with credentials
    kind: str  # one of SOURCE_KINDS
    credentials_ref: str | None = None


# --- URLs and credentials -----------------------------------------------------------------------


def check_source_url(url: str, field: str = "source_url") -> tuple[str, str]:
    """``(url, kind)`` for a source URL holding no credentials (they belong in the secrets file
    or the environment); raises :class:`~dispatch.errors.InvalidInput` naming ``field``."""
    try:
        return url.strip(), cameras.classify_source_url(url)
    except ValueError as exc:
        raise InvalidInput(f"`{field}` {exc}", field=field) from None


def check_credentials_ref(ref: str | None, field: str = "credentials_ref") -> str | None:
    try:
        return cameras.check_credentials_ref(ref)
    except ValueError as exc:
        raise InvalidInput(f"`{field}` {exc}", field=field) from None


class Credentials:
    """Resolves ``env:VAR`` and ``file:name`` to ``(user, password)``; the secrets file is a
    TOML file of ``name = "user:password"`` lines, read at each call (so it can be rotated)."""

    def __init__(self, secrets_file: str = "", environ: Mapping[str, str] | None = None) -> None:
        self.secrets_file = secrets_file
        self.environ = os.environ if environ is None else environ

    def resolve(self, ref: str | None) -> tuple[str, str] | None:
        if not ref:
            return None
        where, _, name = ref.partition(":")
        value: str | None = None
        if where == "env":
            value = self.environ.get(name)
        elif where == "file" and self.secrets_file:
            try:
                with Path(self.secrets_file).open("rb") as handle:
                    found = tomllib.load(handle).get(name)
            except (OSError, tomllib.TOMLDecodeError) as exc:
                log.warning("camera secrets file not readable: %s", type(exc).__name__)
                found = None
            value = found if isinstance(found, str) else None
        if value is None:
            log.warning("camera credentials %s not found", ref)  # the name only, never a value
            return None
        user, _, password = value.partition(":")
        return user, password

    def secrets(self, ref: str | None) -> list[str]:
        """The strings to keep out of logs for ``ref``."""
        found = self.resolve(ref)
        return [s for s in (found[1] if found else "",) if len(s) >= 3]


def with_credentials(url: str, credentials: tuple[str, str] | None) -> str:
    """``url`` with ``user:password@`` in it (percent-encoded), for the upstream reader only."""
    if credentials is None:
        return url
    parts = urlsplit(url)
    user, password = (quote(c, safe="") for c in credentials)
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.netloc}"))


def redact(text: str, secrets: list[str] = ()) -> str:  # type: ignore[assignment]
    """``text`` with every URL's user-info and every given secret replaced by ``***``."""
    text = _USERINFO_RE.sub(r"\g<scheme>***@", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***").replace(quote(secret, safe=""), "***")
    return text


# --- upstream readers ---------------------------------------------------------------------------


def split_jpegs(buffer: bytearray) -> Iterator[bytes]:
    """Take every complete JPEG (SOI … EOI) out of ``buffer``; bytes before a SOI are dropped.
    (Inside a baseline JPEG's scan 0xFF is always stuffed, so EOI marks the end.)"""
    while True:
        start = buffer.find(_SOI)
        if start < 0:
            del buffer[: max(0, len(buffer) - 1)]
            return
        end = buffer.find(_EOI, start + 2)
        if end < 0:
            if start:
                del buffer[:start]
            if len(buffer) > _MAX_FRAME_BYTES:
                buffer.clear()
            return
        frame = bytes(buffer[start : end + 2])
        del buffer[: end + 2]
        yield frame


class Upstream:
    """One connection to a camera; :meth:`frames` yields JPEGs until the source ends or
    :meth:`close` is called (from any thread)."""

    def frames(self) -> Iterator[bytes]:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def ffmpeg_args(
    ffmpeg: str, url: str, kind: str, *, fps: float, width: int, frames: int | None = None
) -> list[str]:
    """ffmpeg reading ``url`` and writing JPEGs (``fps`` a second, ``width`` wide) to stdout."""
    args = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error"]
    if kind == "rtsp":
        # TCP: through firewalls and without lost packets; 5 s socket time-out (microseconds).
        args += ["-rtsp_transport", "tcp", "-timeout", "5000000"]
    # One decoding thread: frame threads would each hold a frame back (latency) and cost CPU.
    args += ["-fflags", "nobuffer", "-flags", "low_delay", "-threads", "1", "-i", url, "-an"]
    args += ["-vf", f"fps={fps:g},scale={width}:-2", "-q:v", "5"]
    if frames is not None:
        args += ["-frames:v", str(frames)]
    return [*args, "-threads", "1", "-f", "image2pipe", "-c:v", "mjpeg", "pipe:1"]


class FfmpegUpstream(Upstream):
    """RTSP or HLS through an ffmpeg process; its error lines are logged redacted."""

    def __init__(self, args: list[str], secrets: list[str]) -> None:
        self.args, self.secrets = args, secrets
        self._process: subprocess.Popen | None = None
        self._closed = threading.Event()

    def frames(self) -> Iterator[bytes]:
        process = subprocess.Popen(
            self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self._process = process
        threading.Thread(target=self._log_errors, args=(process,), daemon=True).start()
        buffer = bytearray()
        try:
            while not self._closed.is_set():
                chunk = process.stdout.read1(65536)  # type: ignore[union-attr]
                if not chunk:
                    return
                buffer += chunk
                yield from split_jpegs(buffer)
        finally:
            self._kill(process)
            process.stdout.close()  # type: ignore[union-attr]

    def _log_errors(self, process: subprocess.Popen) -> None:
        with process.stderr:  # type: ignore[union-attr]
            for line in process.stderr:  # type: ignore[union-attr]
                text = line.decode("utf-8", "replace").strip()
                if text:
                    log.info("ffmpeg: %s", redact(text, self.secrets))

    def close(self) -> None:
        self._closed.set()
        if self._process is not None:
            self._kill(self._process)

    @staticmethod
    def _kill(process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.kill()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            log.warning("ffmpeg %s did not end", process.pid)


class MjpegUpstream(Upstream):
    """An MJPEG stream over HTTP passed through as it is (its JPEGs are not re-encoded)."""

    def __init__(self, url: str, credentials: tuple[str, str] | None, timeout_s: float = 10.0):
        self.url, self.credentials, self.timeout_s = url, credentials, timeout_s
        self._response = None
        self._closed = threading.Event()

    def frames(self) -> Iterator[bytes]:
        request = urllib.request.Request(self.url)
        if self.credentials is not None:
            token = base64.b64encode(":".join(self.credentials).encode()).decode("ascii")
            request.add_header("Authorization", f"Basic {token}")
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout_s)
        except OSError as exc:
            log.info("mjpeg source %s: %s", redact(self.url), type(exc).__name__)
            return
        self._response = response
        buffer = bytearray()
        try:
            while not self._closed.is_set():
                chunk = response.read1(65536)
                if not chunk:
                    return
                buffer += chunk
                yield from split_jpegs(buffer)
        except OSError:
            return
        finally:
            response.close()

    def close(self) -> None:
        self._closed.set()
        response = self._response
        if response is not None:
            with contextlib.suppress(AttributeError, OSError):
                response.fp.raw._sock.shutdown(2)  # wake a blocked read


@dataclass(frozen=True)
class RelayOptions:
    ffmpeg: str = "ffmpeg"
    fps: float = 4.0
    width: int = 640
    max_relays: int = 16
    idle_stop_s: float = 60.0
    no_signal_after_s: float = 5.0
    retry_s: float = 2.0

    @classmethod
    def from_settings(cls, cameras) -> RelayOptions:
        return cls(
            ffmpeg=cameras.ffmpeg,
            fps=cameras.relay_fps,
            width=cameras.relay_width,
            max_relays=cameras.max_relays,
            idle_stop_s=cameras.idle_stop_s,
            no_signal_after_s=cameras.no_signal_after_s,
        )


def open_upstream(
    source: CameraSource,
    credentials: Credentials,
    options: RelayOptions,
    frames: int | None = None,
) -> Upstream:
    """The reader for ``source``: MJPEG passed through, RTSP and HLS through ffmpeg."""
    found = credentials.resolve(source.credentials_ref)
    if source.kind == "mjpeg":
        return MjpegUpstream(source.url, found)
    url = with_credentials(source.url, found)
    args = ffmpeg_args(
        options.ffmpeg, url, source.kind, fps=options.fps, width=options.width, frames=frames
    )
    return FfmpegUpstream(args, credentials.secrets(source.credentials_ref))


def grab_still(
    source: CameraSource, credentials: Credentials, options: RelayOptions, timeout_s: float = 10
) -> bytes | None:
    """One JPEG from ``source`` (a new short connection), or ``None`` when none came in
    ``timeout_s``."""
    upstream = open_upstream(source, credentials, options, frames=1)
    timer = threading.Timer(timeout_s, upstream.close)
    timer.start()
    try:
        for jpeg in upstream.frames():
            return jpeg
        return None
    finally:
        timer.cancel()
        upstream.close()


# --- the relay ----------------------------------------------------------------------------------


class Relay:
    """One camera's upstream, read by one thread; viewers wait on :meth:`next_frame`."""

    def __init__(
        self,
        camera_id: int,
        connect: Callable[[], Upstream],
        options: RelayOptions,
        *,
        on_frame: Callable[[int, datetime], None] | None = None,
    ) -> None:
        self.camera_id = camera_id
        self._connect, self.options, self._on_frame = connect, options, on_frame
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._upstream: Upstream | None = None
        self._thread: threading.Thread | None = None
        self.frame: bytes | None = None
        self.seq = 0
        self.last_frame_at: datetime | None = None
        self._last_frame_mono: float | None = None
        self.started_mono = time.monotonic()
        #: When the current upstream was opened: a stall is counted from the later of this and
        #: the last frame, or every reconnection after a long outage would be killed as
        #: "stalled" before it could deliver its first frame.
        self._opened_mono = self.started_mono
        #: Upstream connections opened so far (one while the source keeps sending).
        self.connections = 0
        self.viewers = 0
        self.idle_since: float | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"camera-relay-{self.camera_id}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        upstream = self._upstream
        if upstream is not None:
            upstream.close()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _run(self) -> None:
        while not self._stop.is_set():
            upstream = self._connect()
            self._opened_mono = time.monotonic()
            self._upstream = upstream
            self.connections += 1
            try:
                for jpeg in upstream.frames():
                    now = datetime.now(UTC)
                    with self._cond:
                        self.frame, self.seq = jpeg, self.seq + 1
                        self.last_frame_at, self._last_frame_mono = now, time.monotonic()
                        self._cond.notify_all()
                    if self._on_frame is not None:
                        self._on_frame(self.camera_id, now)
                    if self._stop.is_set():
                        break
            except Exception:  # a reader must not die: log (redacted) and reconnect
                log.exception("camera %s: upstream failed", self.camera_id)
            finally:
                upstream.close()
            self._stop.wait(self.options.retry_s)

    def next_frame(self, after_seq: int, timeout_s: float) -> tuple[int, bytes] | None:
        """The newest frame after ``after_seq``, waiting up to ``timeout_s``; ``None`` on time-out
        or stop."""
        with self._cond:
            self._cond.wait_for(
                lambda: self.seq > after_seq or self._stop.is_set(), timeout=timeout_s
            )
            if self.seq > after_seq and self.frame is not None:
                return self.seq, self.frame
            return None

    def live(self, now_mono: float | None = None) -> bool:
        now_mono = time.monotonic() if now_mono is None else now_mono
        last = self._last_frame_mono
        return last is not None and now_mono - last <= self.options.no_signal_after_s

    def status(self) -> dict:
        """``{"state": "live" | "starting" | "no_signal", "since": last frame (ISO) or None}``."""
        now = time.monotonic()
        if self.live(now):
            state = "live"
        elif (
            self.last_frame_at is None
            and now - self.started_mono < 2 * self.options.no_signal_after_s
        ):
            state = "starting"
        else:
            state = "no_signal"
        since = self.last_frame_at.isoformat() if self.last_frame_at else None
        return {"state": state, "since": since, "connections": self.connections}

    def kick_if_stalled(self) -> bool:
        """Close an upstream that sends nothing (a hung source): the reader opens it again."""
        last = max(self._last_frame_mono or self.started_mono, self._opened_mono)
        upstream = self._upstream
        if upstream is not None and time.monotonic() - last > self.options.no_signal_after_s * 2:
            upstream.close()
            return True
        return False


class RelayPool:
    """The relays of one process, by camera id. :meth:`acquire` / :meth:`release` per viewer."""

    def __init__(
        self,
        lookup: Callable[[int], CameraSource | None],
        options: RelayOptions,
        credentials: Credentials,
        *,
        on_frame: Callable[[int, datetime], None] | None = None,
        housekeeping_s: float = 1.0,
    ) -> None:
        self._lookup, self.options, self.credentials = lookup, options, credentials
        self._on_frame = on_frame
        self._lock = threading.Lock()
        self._relays: dict[int, Relay] = {}
        self._stop = threading.Event()
        self._housekeeping_s = housekeeping_s
        self._keeper: threading.Thread | None = None

    def acquire(self, camera_id: int) -> Relay:
        """The running relay of ``camera_id`` (started now when none runs), with one viewer
        more. Raises :class:`NoSource` or :class:`RelayLimit`."""
        with self._lock:
            relay = self._relays.get(camera_id)
            if relay is None:
                source = self._lookup(camera_id)
                if source is None:
                    raise NoSource(camera_id)
                if len(self._relays) >= self.options.max_relays:
                    raise RelayLimit(self.options.max_relays)
                relay = Relay(
                    camera_id,
                    lambda: open_upstream(source, self.credentials, self.options),
                    self.options,
                    on_frame=self._on_frame,
                )
                self._relays[camera_id] = relay
                relay.start()
                log.info("camera %s: relay started (%s)", camera_id, redact(source.url))
                self._start_keeper()
            relay.viewers += 1
            relay.idle_since = None
            return relay

    def release(self, relay: Relay) -> None:
        with self._lock:
            relay.viewers = max(0, relay.viewers - 1)
            if relay.viewers == 0:
                relay.idle_since = time.monotonic()

    def get(self, camera_id: int) -> Relay | None:
        with self._lock:
            return self._relays.get(camera_id)

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._relays)

    def sweep(self) -> None:
        """Stop relays idle for ``idle_stop_s``; reopen stalled upstreams."""
        now = time.monotonic()
        with self._lock:
            idle = [
                r
                for r in self._relays.values()
                if r.viewers == 0
                and r.idle_since is not None
                and now - r.idle_since >= self.options.idle_stop_s
            ]
            for relay in idle:
                del self._relays[relay.camera_id]
            busy = list(self._relays.values())
        for relay in idle:
            relay.stop()
            log.info("camera %s: relay stopped (no viewer)", relay.camera_id)
        for relay in busy:
            relay.kick_if_stalled()

    def _start_keeper(self) -> None:
        if self._keeper is None or not self._keeper.is_alive():
            self._keeper = threading.Thread(target=self._keep, name="camera-relays", daemon=True)
            self._keeper.start()

    def _keep(self) -> None:
        while not self._stop.wait(self._housekeeping_s):
            self.sweep()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            relays, self._relays = list(self._relays.values()), {}
        for relay in relays:
            relay.stop()
