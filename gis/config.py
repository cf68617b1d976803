"""Storage settings, read from environment variables with local defaults.

- ``DATABASE_URL``: a libpq URL; when set it is used as is and nothing is started.
- ``DISPATCH_DB_NAME``: the database created on a found or private server (default ``gasdispatch``).
- ``DISPATCH_LOCAL_PG``: ``host:port`` of the server probed before a private cluster is started
  (default ``127.0.0.1:5432``); ``off`` skips the probe.
- ``DISPATCH_VAR_DIR``: where the private cluster lives (default ``var/`` in the project).
- ``DISPATCH_PRIVATE_PG_PORT``: port of the private cluster's socket (default 5433).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class StorageSettings:
    database_url: str | None
    database_name: str
    local_server: tuple[str, int] | None
    var_dir: Path
    private_port: int


def _parse_host_port(value: str) -> tuple[str, int] | None:
    if value.strip().lower() in {"", "off", "no", "none"}:
        return None
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        msg = f"`DISPATCH_LOCAL_PG` must look like host:port or be 'off', got {value!r}"
        raise ValueError(msg)
    return host, int(port)


def load_storage_settings(environ: dict[str, str] | None = None) -> StorageSettings:
    env = os.environ if environ is None else environ
    port = env.get("DISPATCH_PRIVATE_PG_PORT", "5433")
    if not port.isdigit():
        msg = f"`DISPATCH_PRIVATE_PG_PORT` must be a port number, got {port!r}"
        raise ValueError(msg)
    return StorageSettings(
        database_url=env.get("DATABASE_URL") or None,
        database_name=env.get("DISPATCH_DB_NAME", "gasdispatch"),
        local_server=_parse_host_port(env.get("DISPATCH_LOCAL_PG", "127.0.0.1:5432")),
        var_dir=Path(env.get("DISPATCH_VAR_DIR", str(PROJECT_DIR / "var"))),
        private_port=int(port),
    )
