"""A tiny RTSP server (GStreamer's gst-rtsp-server, Debian's gir1.2-gst-rtsp-server-1.0) that
serves the H.264 RTP packets arriving on a local UDP port as ``rtsp://HOST:PORT/PATH``.

Run by :mod:`dispatch.simulation.test_camera` with the system Python (``/usr/bin/python3``,
which has PyGObject): ffmpeg cannot serve RTSP itself, it only publishes. One shared media: every
RTSP client sees the same stream, and ``--user``/``--password`` (optional) require basic auth.

    python3 rtsp_server_gst.py --port 8554 --path /cam --udp-port 5004 [--user u --password p]
"""

import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/cam")
    parser.add_argument("--udp-port", type=int, required=True)
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f'( udpsrc port={args.udp_port} caps="application/x-rtp,media=video,'
        'clock-rate=90000,encoding-name=H264,payload=96" ! rtph264depay'
        " ! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    factory.set_shared(True)
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", args.user)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password or ""), token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_role(args.user)
        permissions.add_permission_for_role(args.user, "media.factory.access", True)
        permissions.add_permission_for_role(args.user, "media.factory.construct", True)
        factory.set_permissions(permissions)
    server.get_mount_points().add_factory(args.path, factory)
    server.attach(None)
    print(f"rtsp ready on {args.port}{args.path}", flush=True)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
