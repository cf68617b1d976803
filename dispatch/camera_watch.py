"""The ticker's camera jobs, off every request's path, in a worker thread of their own (a
probe may wait seconds for a camera; the ticker's beat must not):

- **Station cameras' signal.** A camera at a regulator station whose last frame (seen by any
  relay, which writes ``cameras.signal_at``, or by a probe here) is older than
  ``[cameras] station_alarm_after_s`` raises a ``camera_no_signal`` alarm on the wall; a frame
  again clears it. A camera no relay shows is probed every ``probe_every_s``.
- **Evidence.** When an emergency ticket opens, one still from each camera with a real source
  that sees the place (:func:`gis.cameras.covering_sources`) is kept with the ticket
  (``camera_stills``) and named in its history (a ``camera_still`` event whose data links the
  image). Each ticket is claimed once, so several processes never take two sets.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from dispatch import repository as repo
from dispatch.camera_sources import CameraSource, Credentials, RelayOptions, grab_still
from dispatch.settings import CamerasSection, current
from dispatch.unit_of_work import UnitOfWork
from gis import cameras
from gis.errors import DatabaseUnavailable

log = logging.getLogger(__name__)
#: Emergencies opened longer ago than this get no stills (the picture no longer shows the call).
STILLS_WITHIN = timedelta(minutes=10)

Grab = Callable[[CameraSource], bytes | None]


def _source(row: dict) -> CameraSource:
    return CameraSource(
        int(row["id"]), row["source_url"], row["source_kind"], row["credentials_ref"]
    )


class CameraWatch:
    """:meth:`beat` (called by the ticker) runs :meth:`run` in a worker unless one still runs."""

    def __init__(
        self,
        dsn: str,
        settings: CamerasSection | None = None,
        *,
        grab: Grab | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.dsn = dsn
        self.settings = settings or current().cameras
        options = RelayOptions.from_settings(self.settings)
        credentials = Credentials(self.settings.secrets_file)
        self.grab = grab or (lambda source: grab_still(source, credentials, options))
        self.clock = clock or (lambda: datetime.now(UTC))
        self._worker: threading.Thread | None = None

    def beat(self) -> bool:
        """Start a round in the background; ``False`` when the last one still runs."""
        if self._worker is not None and self._worker.is_alive():
            return False
        self._worker = threading.Thread(target=self._safe_run, name="camera-watch", daemon=True)
        self._worker.start()
        return True

    def _safe_run(self) -> None:
        try:
            self.run()
        except DatabaseUnavailable as exc:
            log.warning("camera watch: %s", exc)
        except Exception:  # a failed round is tried again at the next beat
            log.exception("camera watch failed")

    def run(self) -> dict:
        """One round: stills first (evidence is time-critical), then station cameras."""
        return {"stills": self.take_stills(), "station_alarms": self.check_stations()}

    # --- evidence ---

    def take_stills(self) -> list[dict]:
        now = self.clock()
        with UnitOfWork(self.dsn) as uow:
            tickets = cameras.emergencies_without_stills(uow.cur, now - STILLS_WITHIN)
        taken = []
        for ticket in tickets:
            with UnitOfWork(self.dsn) as uow:
                if not cameras.mark_stills_checked(uow.cur, ticket["id"], now):
                    continue  # another process has it
                seen = cameras.covering_sources(uow.cur, ticket["lon"], ticket["lat"])
            for row in seen:
                jpeg = self.grab(_source(row))
                if jpeg is None:
                    log.info("ticket %s: camera %s sent no still", ticket["id"], row["id"])
                    continue
                at = self.clock()
                with UnitOfWork(self.dsn) as uow:
                    still_id = cameras.insert_still(uow.cur, ticket["id"], row["id"], at, jpeg)
                    repo.append_event(
                        uow.cur,
                        ticket["id"],
                        at=at,
                        actor="system",
                        event_type="camera_still",
                        data={
                            "camera_id": row["id"],
                            "camera": row["name"],
                            "still_id": still_id,
                            "image": cameras.still_path(still_id),
                        },
                    )
                taken.append({"ticket_id": ticket["id"], "camera_id": row["id"], "id": still_id})
        return taken

    # --- station cameras ---

    def check_stations(self) -> list[dict]:
        """Raise or clear the station cameras' no-signal alarms; returns the changes."""
        now = self.clock()
        alarm_after = timedelta(seconds=self.settings.station_alarm_after_s)
        probe_every = timedelta(seconds=self.settings.probe_every_s)
        with UnitOfWork(self.dsn) as uow:
            stations = cameras.station_cameras(uow.cur)
        changes = []
        for row in stations:
            signal_at = row["signal_at"]
            fresh = signal_at is not None and now - signal_at <= alarm_after
            if not fresh and (row["checked_at"] is None or now - row["checked_at"] >= probe_every):
                seen = self.grab(_source(row)) is not None
                with UnitOfWork(self.dsn) as uow:
                    cameras.mark_checked(uow.cur, row["id"], self.clock(), signal=seen)
                if seen:
                    signal_at, fresh = self.clock(), True
            # Never seen: counted from the first look that found it dark.
            lost_for = now - (signal_at or row["dark_since"] or now)
            with UnitOfWork(self.dsn) as uow:
                if fresh and row["alarm_id"] is not None:
                    if cameras.clear_signal_alarm(uow.cur, row["id"], now):
                        changes.append({"camera_id": row["id"], "alarm": "cleared"})
                elif (
                    not fresh
                    and row["alarm_id"] is None
                    and lost_for >= alarm_after
                    and cameras.raise_signal_alarm(uow.cur, row["id"], signal_at, now)
                ):
                    changes.append({"camera_id": row["id"], "alarm": "raised"})
        return changes
