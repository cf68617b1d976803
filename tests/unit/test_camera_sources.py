"""The camera relay's pure logic: URLs and credentials, JPEG framing, one upstream shared by
every viewer, the idle stop and the relay limit (fake upstreams; the real ffmpeg path is in
tests/e2e/test_camera_relay.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from dispatch.camera_sources import (
    CameraSource,
    Credentials,
    NoSource,
    Relay,
    RelayLimit,
    RelayOptions,
    RelayPool,
    Upstream,
    check_credentials_ref,
    check_source_url,
    ffmpeg_args,
    redact,
    split_jpegs,
    with_credentials,
)
from dispatch.errors import InvalidInput

JPEG_A = b"\xff\xd8AAAA\xff\xd9"
JPEG_B = b"\xff\xd8BB\x00BB\xff\xd9"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("rtsp://10.1.2.3:554/Streaming/Channels/101", "rtsp"),
        ("http://cam.local/video.mjpg", "mjpeg"),
        ("https://cam.local/live/index.m3u8", "hls"),
        ("https://cam.local/live/INDEX.M3U8", "hls"),
    ],
)
def test_a_source_url_names_its_kind(url, kind):
    assert check_source_url(url) == (url, kind)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("rtsp://admin:hunter2@10.1.2.3/stream", "must not hold credentials"),
        ("rtsp://admin@10.1.2.3/stream", "must not hold credentials"),
        ("ftp://10.1.2.3/cam", "must be an rtsp://"),
        ("/video/cameras/1.mjpg", "must be an rtsp://"),
    ],
)
def test_a_source_url_with_credentials_or_another_scheme_is_refused_naming_the_field(url, words):
    with pytest.raises(InvalidInput, match=words) as caught:
        check_source_url(url)
    assert caught.value.field == "source_url"
    assert "hunter2" not in str(caught.value)


def test_a_credentials_reference_is_env_or_file():
    assert check_credentials_ref("env:CAM_7") == "env:CAM_7"
    assert check_credentials_ref("file:station-3") == "file:station-3"
    assert check_credentials_ref("") is None
    with pytest.raises(InvalidInput) as caught:
        check_credentials_ref("admin:hunter2")
    assert caught.value.field == "credentials_ref"


def test_credentials_come_from_the_environment_or_the_secrets_file(tmp_path):
    secrets = tmp_path / "cameras.toml"
    secrets.write_text('station-3 = "viewer:s3:cr@t"\n')
    found = Credentials(str(secrets), environ={"CAM_7": "admin:hunter2"})
    assert found.resolve("env:CAM_7") == ("admin", "hunter2")
    assert found.resolve("file:station-3") == ("viewer", "s3:cr@t")  # the first colon splits
    assert found.resolve("env:MISSING") is None
    assert found.resolve("file:missing") is None
    assert Credentials("", environ={}).resolve("file:station-3") is None  # no file configured


def test_credentials_go_into_the_upstream_url_percent_encoded():
    url = with_credentials("rtsp://10.1.2.3:554/s1", ("ad min", "p@ss:w/rd"))
    assert url == "rtsp://ad%20min:p%40ss%3Aw%2Frd@10.1.2.3:554/s1"
    assert with_credentials("rtsp://10.1.2.3/s1", None) == "rtsp://10.1.2.3/s1"


def test_redaction_removes_user_info_and_the_secret_itself():
    line = "rtsp://admin:p%40ss@10.1.2.3/s1: 401 Unauthorized; tried p@ss"
    assert redact(line, ["p@ss"]) == "rtsp://***@10.1.2.3/s1: 401 Unauthorized; tried ***"
    assert redact("http://u:x@h/a and https://h/b") == "http://***@h/a and https://h/b"


def test_jpegs_are_cut_out_of_a_byte_stream_across_reads():
    buffer = bytearray(b"--frame\r\nContent-Type: image/jpeg\r\n\r\n" + JPEG_A[:5])
    assert list(split_jpegs(buffer)) == []
    buffer += JPEG_A[5:] + b"\r\n--frame\r\n" + JPEG_B + JPEG_A[:3]
    assert list(split_jpegs(buffer)) == [JPEG_A, JPEG_B]
    assert bytes(buffer) == JPEG_A[:3]  # the start of the next frame is kept


def test_ffmpeg_reads_rtsp_over_tcp_and_writes_scaled_jpegs():
    args = ffmpeg_args("ffmpeg", "rtsp://h/s", "rtsp", fps=4, width=480)
    assert args[args.index("-rtsp_transport") + 1] == "tcp"
    assert args[args.index("-i") + 1] == "rtsp://h/s"
    assert args[args.index("-vf") + 1] == "fps=4,scale=480:-2"
    assert args[-1] == "pipe:1"
    hls = ffmpeg_args("ffmpeg", "https://h/x.m3u8", "hls", fps=2, width=640, frames=1)
    assert "-rtsp_transport" not in hls
    assert hls[hls.index("-frames:v") + 1] == "1"


# --- the relay with a fake upstream ---------------------------------------------------------------


class FakeUpstream(Upstream):
    """Sends ``frames`` JPEGs every ``every_s``, then ends (or blocks until closed)."""

    def __init__(self, frames: int = 1000, every_s: float = 0.02, then_block: bool = False):
        self.count, self.every_s, self.then_block = frames, every_s, then_block
        self.closed = threading.Event()

    def frames(self) -> Iterator[bytes]:
        for i in range(self.count):
            if self.closed.wait(self.every_s):
                return
            yield b"\xff\xd8" + str(i).encode() + b"\xff\xd9"
        if self.then_block:
            self.closed.wait()

    def close(self) -> None:
        self.closed.set()


OPTIONS = RelayOptions(idle_stop_s=0.3, no_signal_after_s=0.3, retry_s=0.05, max_relays=2)


def _pool(connects: list, upstream=lambda: FakeUpstream()):
    sources = {1: CameraSource(1, "rtsp://h/1", "rtsp"), 2: CameraSource(2, "rtsp://h/2", "rtsp")}
    sources[3] = CameraSource(3, "rtsp://h/3", "rtsp")
    pool = RelayPool(sources.get, OPTIONS, Credentials("", {}), housekeeping_s=0.05)

    def counting_upstream(source, credentials, options):
        connects.append(source.camera_id)
        return upstream()

    return pool, counting_upstream


def test_eight_viewers_share_one_upstream_and_each_gets_every_new_frame(monkeypatch):
    connects: list[int] = []
    pool, fake = _pool(connects)
    monkeypatch.setattr("dispatch.camera_sources.open_upstream", fake)
    try:
        relays = [pool.acquire(1) for _ in range(8)]
        assert all(r is relays[0] for r in relays)
        seen = [relays[0].next_frame(0, 2.0) for _ in range(8)]
        assert all(s is not None and s[1].startswith(b"\xff\xd8") for s in seen)
        later = relays[0].next_frame(seen[0][0], 2.0)
        assert later is not None and later[0] > seen[0][0]
        assert connects == [1]
        assert relays[0].viewers == 8 and relays[0].connections == 1
    finally:
        pool.close()


def test_a_relay_stops_after_its_last_viewer_has_been_gone_for_the_idle_time(monkeypatch):
    connects: list[int] = []
    pool, fake = _pool(connects)
    monkeypatch.setattr("dispatch.camera_sources.open_upstream", fake)
    try:
        one, two = pool.acquire(1), pool.acquire(1)
        pool.release(one)
        time.sleep(0.5)
        assert pool.get(1) is two  # a viewer is left
        pool.release(two)
        time.sleep(0.15)
        assert pool.get(1) is two  # not yet: 0.3 s idle
        deadline = time.monotonic() + 3
        while pool.get(1) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool.get(1) is None and two.stopped
    finally:
        pool.close()


def test_beyond_the_limit_a_relay_is_refused_and_a_camera_without_source_too(monkeypatch):
    connects: list[int] = []
    pool, fake = _pool(connects)
    monkeypatch.setattr("dispatch.camera_sources.open_upstream", fake)
    try:
        pool.acquire(1), pool.acquire(2)
        with pytest.raises(RelayLimit, match="at most 2 camera relays") as caught:
            pool.acquire(3)
        assert caught.value.limit == 2
        assert pool.acquire(1).camera_id == 1  # a running relay takes more viewers
        with pytest.raises(NoSource):
            pool.acquire(99)
    finally:
        pool.close()


def test_a_silent_source_is_no_signal_since_its_last_frame_and_is_reopened():
    upstreams: list[FakeUpstream] = []

    def connect():
        upstreams.append(FakeUpstream(frames=3, every_s=0.02, then_block=True))
        return upstreams[-1]

    relay = Relay(7, connect, OPTIONS)
    relay.start()
    try:
        assert relay.next_frame(0, 2.0) is not None
        time.sleep(0.5)  # three frames, then silence
        status = relay.status()
        assert status["state"] == "no_signal"
        assert status["since"] == relay.last_frame_at.isoformat()
        time.sleep(0.2)
        assert relay.kick_if_stalled()  # silent for twice the no-signal time: closed
        deadline = time.monotonic() + 2
        while relay.connections < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert relay.connections == 2
        assert relay.next_frame(relay.seq, 2.0) is not None  # the picture is back
        assert relay.status()["state"] == "live"
    finally:
        relay.stop()


def test_after_a_long_outage_a_new_connection_has_time_to_send_its_first_frame():
    """A source back after minutes: the new connection needs a moment (RTSP set-up, the next
    key frame) before its first frame. Counting the stall from the last frame of long ago
    killed every new connection at the next look, and the tile never came back."""
    upstreams: list[FakeUpstream] = []

    def connect():
        if not upstreams:  # the source before the outage: two frames, then silence
            upstreams.append(FakeUpstream(frames=2, every_s=0.02, then_block=True))
        else:  # the source back: its first frame 0.4 s after the connection opens
            upstreams.append(FakeUpstream(frames=1000, every_s=0.4))
        return upstreams[-1]

    relay = Relay(8, connect, OPTIONS)
    relay.start()
    try:
        assert relay.next_frame(0, 2.0) is not None
        time.sleep(1.0)  # the outage: silent for three times the no-signal time
        assert relay.kick_if_stalled()
        deadline = time.monotonic() + 2
        while relay.connections < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert relay.connections == 2
        time.sleep(0.1)
        kicked_while_connecting = relay.kick_if_stalled()
        back = relay.next_frame(relay.seq, 2.0)
    finally:
        relay.stop()
    assert not kicked_while_connecting, "0.1 s after opening, well within twice 0.3 s"
    assert back is not None and relay.connections == 2


# --- HLS names and playlists ---------------------------------------------------------------------


def test_the_hls_proxy_fetches_only_the_cameras_own_files():
    from dispatch.hls_proxy import SOURCE_PLAYLIST, BadName, upstream_url

    source = CameraSource(3, "https://cam.local/live/index.m3u8?token=1", "hls")
    assert upstream_url(source, SOURCE_PLAYLIST) == source.url
    assert upstream_url(source, "seg_104.ts") == "https://cam.local/live/seg_104.ts"
    assert upstream_url(source, "720p/index.m3u8") == "https://cam.local/live/720p/index.m3u8"
    for bad in ("../admin", "/etc/passwd", "http://evil/x.ts", "a b.ts", "x/../../y.ts"):
        with pytest.raises(BadName):
            upstream_url(source, bad)


def test_a_playlist_keeps_relative_uris_and_drops_other_hosts():
    from dispatch.hls_proxy import rewrite_playlist

    text = (
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg1.ts\n"
        "#EXTINF:2.0,\nhttps://cam.local/live/seg2.ts\n#EXTINF:2.0,\nhttps://cdn.example/seg3.ts\n"
    )
    out = rewrite_playlist(text, "https://cam.local/live/index.m3u8")
    assert out.splitlines() == [
        "#EXTM3U",
        "#EXT-X-TARGETDURATION:2",
        "#EXTINF:2.0,",
        "seg1.ts",
        "#EXTINF:2.0,",
        "seg2.ts",
    ]
