"""The crew lead's page offline: ``GET /crew-sw.js`` serves the page's service worker
(``dashboards/offline/crew-sw.js``). It is not among the Dash assets, because Dash puts every
script of ``assets/`` into every page; and it is served from the root, so its scope may cover
``/crew`` (a worker under ``/assets/`` could only control ``/assets/``). ``assets/crew.js``
registers it; the taps themselves are queued by the page, not by the worker."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response

SERVICE_WORKER_PATH = "/crew-sw.js"
SCRIPT = Path(__file__).resolve().with_name("offline") / "crew-sw.js"


def register_offline_routes(server: Flask) -> None:
    @server.get(SERVICE_WORKER_PATH)
    def crew_service_worker() -> Response:
        return Response(
            SCRIPT.read_text(encoding="utf-8"),
            mimetype="text/javascript",
            headers={
                "Service-Worker-Allowed": "/crew",
                # A new version reaches the phones at their next visit.
                "Cache-Control": "no-cache",
            },
        )
