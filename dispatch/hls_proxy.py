"""HLS camera feeds relayed by the server to the browsers' player: the playlist and its segments
are fetched from the camera (with its credentials, which stay here) once, kept a moment, and
handed to every viewer, so a wall of screens makes one request per file to the camera.

Names are relative to the camera's playlist (``seg_104.ts``, ``720p/index.m3u8``); a name with
``..``, a scheme or a leading ``/`` is refused, so the proxy never fetches anything but the
camera's own files. Absolute URIs inside a playlist that point into the camera's folder are
made relative; any other absolute URI is left out (it would send the player elsewhere).
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import time
import urllib.request
from collections import OrderedDict
from datetime import UTC, datetime
from urllib.parse import urljoin

from dispatch.camera_sources import CameraSource, Credentials, redact

log = logging.getLogger(__name__)

SOURCE_PLAYLIST = "_source.m3u8"
_NAME_RE = re.compile(r"[A-Za-z0-9_.\-/]+(\?[A-Za-z0-9_.=&%\-]*)?")
_MAX_BYTES = 32 * 1024 * 1024
_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".aac": "audio/aac",
}


#: Tags that describe the next segment only.
_SEGMENT_TAGS = ("#EXTINF", "#EXT-X-BYTERANGE", "#EXT-X-PROGRAM-DATE-TIME", "#EXT-X-DISCONTINUITY")


class BadName(LookupError):
    """A file name the proxy will not fetch."""


def content_type(name: str) -> str:
    path = name.split("?", 1)[0].lower()
    for suffix, kind in _TYPES.items():
        if path.endswith(suffix):
            return kind
    return "application/octet-stream"


def upstream_url(source: CameraSource, name: str) -> str:
    """The camera's URL of ``name`` (:data:`SOURCE_PLAYLIST`: the playlist itself)."""
    if name == SOURCE_PLAYLIST:
        return source.url
    if not _NAME_RE.fullmatch(name) or ".." in name or name.startswith("/"):
        raise BadName(name)
    return urljoin(source.url, name)


def rewrite_playlist(text: str, playlist_url: str) -> str:
    """URIs under the playlist's folder made relative; other absolute ones left out."""
    folder = playlist_url.split("?", 1)[0].rsplit("/", 1)[0] + "/"
    out = []
    for line in text.splitlines():
        if line and not line.startswith("#") and "://" in line:
            if not line.startswith(folder):
                while out and out[-1].startswith(_SEGMENT_TAGS):  # its tags go with it
                    out.pop()
                continue
            line = line[len(folder) :]
        out.append(line)
    return "\n".join(out) + "\n"


class HlsProxy:
    """Files of HLS cameras, each fetched once per ``playlist_ttl_s`` (playlists) or kept
    ``segment_ttl_s`` (segments), whoever asks. Thread-safe."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        playlist_ttl_s: float = 0.5,
        segment_ttl_s: float = 30.0,
        max_entries: int = 64,
        timeout_s: float = 10.0,
    ) -> None:
        self.credentials = credentials
        self.playlist_ttl_s, self.segment_ttl_s = playlist_ttl_s, segment_ttl_s
        self.max_entries, self.timeout_s = max_entries, timeout_s
        self._cache: OrderedDict[tuple[int, str], tuple[float, bytes]] = OrderedDict()
        self._locks: dict[tuple[int, str], threading.Lock] = {}
        self._lock = threading.Lock()
        self._playlists: dict[int, bytes] = {}
        #: The last time each camera's playlist changed (a live feed moves on).
        self.changed_at: dict[int, datetime] = {}
        #: Requests made to cameras, all together.
        self.fetches = 0

    def get(self, source: CameraSource, name: str) -> tuple[bytes, str]:
        """``(body, content type)``; raises :class:`BadName` or ``OSError`` (camera failed)."""
        url = upstream_url(source, name)
        key = (source.camera_id, name)
        playlist = content_type(name) == _TYPES[".m3u8"] or name == SOURCE_PLAYLIST
        ttl = self.playlist_ttl_s if playlist else self.segment_ttl_s
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one fetch per file at a time; the others wait and take its answer
            cached = self._cached(key, ttl)
            if cached is None:
                cached = self._fetch(source, url)
                if playlist:
                    cached = rewrite_playlist(cached.decode("utf-8", "replace"), url).encode()
                    self._note_playlist(source.camera_id, cached)
                self._store(key, cached)
        return cached, _TYPES[".m3u8"] if playlist else content_type(name)

    def _cached(self, key, ttl: float) -> bytes | None:
        with self._lock:
            entry = self._cache.get(key)
            if entry is not None and time.monotonic() - entry[0] < ttl:
                self._cache.move_to_end(key)
                return entry[1]
        return None

    def _store(self, key, body: bytes) -> None:
        with self._lock:
            self._cache[key] = (time.monotonic(), body)
            self._cache.move_to_end(key)
            while len(self._cache) > self.max_entries:
                old, _ = self._cache.popitem(last=False)
                self._locks.pop(old, None)

    def _note_playlist(self, camera_id: int, body: bytes) -> None:
        with self._lock:
            if self._playlists.get(camera_id) != body:
                self._playlists[camera_id] = body
                self.changed_at[camera_id] = datetime.now(UTC)

    def _fetch(self, source: CameraSource, url: str) -> bytes:
        request = urllib.request.Request(url)
        found = self.credentials.resolve(source.credentials_ref)
        if found is not None:
            token = base64.b64encode(":".join(found).encode()).decode("ascii")
            request.add_header("Authorization", f"Basic {token}")
        with self._lock:
            self.fetches += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                body = response.read(_MAX_BYTES + 1)
        except OSError as exc:
            log.info("camera %s: HLS %s: %s", source.camera_id, redact(url), type(exc).__name__)
            raise OSError(f"camera {source.camera_id} did not answer") from None
        if len(body) > _MAX_BYTES:
            raise OSError(f"camera {source.camera_id}: file larger than {_MAX_BYTES} bytes")
        return body
