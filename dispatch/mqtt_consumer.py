"""Crew GPS fixes over MQTT: a consumer that stores them, and a publisher for simulators.

Crews publish each fix to ``crews/<id>/position`` with a JSON object::

    {"lon": 24.9466, "lat": 60.1712, "time": "2024-05-01T08:15:00+03:00",
     "speed": 8.3, "heading": 270}

``lon``/``lat`` in degrees (EPSG:4326), ``time`` ISO 8601 with a zone, ``speed`` in m/s,
``heading`` in degrees clockwise from north. :class:`PositionConsumer` keeps up with thousands
of fixes a second: messages go into a bounded queue, a writer thread stores them in batches
(:func:`dispatch.crew_service.record_positions`, one transaction and one multi-row insert per
batch of at most ``batch_size`` fixes or ``flush_s`` seconds) through a connection it keeps,
and each message is acknowledged to the broker only once its batch is committed (MQTT 5 manual
acknowledgements), so a fix the broker counts as delivered is stored. When the queue is full the
network thread waits: the broker holds the rest (back-pressure, not loss).

Two kinds of consumer, never both for one broker (each fix would be stored twice):

- a *named* consumer (a fixed ``client_id``: the worker of ``dispatch serve``, run by the worker
  that holds the leader lock) keeps a persistent session and subscribes with the ordinary
  subscription ``crews/+/position``. The broker keeps that subscription, and queues the fixes
  for it, while the consumer is away, and a persistent Mosquitto restores both after its own
  restart, so a fix published before the consumer is back is delivered, not dropped (Mosquitto
  2.0.11 restores no shared subscription from its persistence file, which is why a named
  consumer does not use one);
- *anonymous* scale-out consumers (no ``client_id``) share the subscription
  ``$share/dispatch/crews/+/position``, so several of them split the load; what is published
  while none is connected (a broker restart) goes to nobody.
 Everything the rules refuse (bad topic, malformed JSON, a latitude of 95, a time in the
future, an unknown crew) is logged with its reason and counted, and the consumer carries on. It
reconnects by itself when the broker goes away and subscribes again on every connect.

The broker is a setting: ``[mqtt] url`` (``mqtt://host:port``; the environment variable
``MQTT_URL`` overrides it), see :mod:`dispatch.settings`.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import paho.mqtt.client as mqtt
import psycopg2
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from psycopg2.pool import ThreadedConnectionPool

from dispatch import crew_service
from dispatch.actor import Actor
from dispatch.errors import DispatchError, InvalidInput
from dispatch.unit_of_work import UnitOfWork
from gis.database import connect
from gis.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

#: The subscription of anonymous consumers: those of one group share the fixes between them.
POSITION_TOPIC_FILTER = "$share/dispatch/crews/+/position"
#: The subscription of a named consumer: ordinary, so the broker restores it from persistence.
NAMED_TOPIC_FILTER = "crews/+/position"
#: Who the service sees as the author of a fix received over MQTT.
MQTT_ACTOR = Actor("mqtt", "dispatcher")
#: Reconnect back-off: first wait and cap, in seconds (doubled after every failed attempt).
RECONNECT_MIN_DELAY_S = 0.5
RECONNECT_MAX_DELAY_S = 5.0
QOS = 1
#: How long the broker keeps a named consumer's session (and queues its fixes) while it is away.
SESSION_EXPIRY_S = 3600
#: A batch is written when it holds this many fixes, or when its first fix waited this long.
BATCH_SIZE = 500
FLUSH_S = 0.2
#: Fixes waiting to be written, at most; beyond it the network thread waits (back-pressure).
QUEUE_SIZE = 5000

_TOPIC_RE = re.compile(r"crews/([1-9][0-9]{0,9})/position")
_MAX_CREW_ID = 2**31 - 1  # crews.id is a Postgres integer
_JSON_KIND = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


# ---------------------------------------------------------------------------------------------
# Messages (pure)


def position_topic(crew_id: int) -> str:
    """The topic a crew publishes its fixes to."""
    return f"crews/{crew_id}/position"


def parse_message(topic: str, payload: bytes) -> tuple[int, dict]:
    """``(crew_id, fix)`` from one MQTT message; the fix's fields are checked by the service.

    Raises :class:`~dispatch.errors.InvalidInput` (field ``topic`` or ``payload``) when the
    topic is not ``crews/<id>/position`` or the payload is not a UTF-8 JSON object."""
    match = _TOPIC_RE.fullmatch(topic)
    if match is None:
        raise InvalidInput(f"`topic` must look like crews/<id>/position, got {topic!r}", "topic")
    crew_id = int(match.group(1))
    if crew_id > _MAX_CREW_ID:
        raise InvalidInput(f"`topic`: crew id {crew_id} is out of range", "topic")
    try:
        fix = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput("`payload` must be UTF-8 text", "payload") from None
    except ValueError as err:
        raise InvalidInput(f"`payload` is not valid JSON ({err})", "payload") from None
    if not isinstance(fix, dict):
        kind = _JSON_KIND.get(type(fix), type(fix).__name__)
        raise InvalidInput(f"`payload` must be a JSON object, got {kind}", "payload")
    return crew_id, fix


def encode_fix(fix: Mapping[str, Any]) -> bytes:
    """The JSON payload of a fix; datetimes become ISO 8601 strings (give them a zone)."""

    def default(value: object) -> str:
        if isinstance(value, datetime | date):
            return value.isoformat()
        msg = f"`fix`: {type(value).__name__} is not JSON serialisable"
        raise TypeError(msg)

    return json.dumps(fix, default=default, allow_nan=False).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Consumer

#: A batch the database did not take: counted as failed, not as rejected.
_FAILED = object()


class PositionConsumer:
    """Subscribes to crews' fixes and stores them in batches through
    :func:`crew_service.record_positions`.

    ``dsn`` is a libpq DSN or the app's connection pool (the writer keeps one connection of
    its own either way). ``clock`` returns the current time (aware datetime; default UTC now)
    used to refuse fixes from the future.

    ``start()`` returns at once and never raises for an absent broker: a background thread
    connects, and reconnects after any loss with a back-off of 0.5 s doubling up to 5 s.
    The writer stores fixes in the order the broker delivers them. QoS 1 means a fix may
    arrive twice; the history then holds it twice and the latest position is unchanged.

    Counters (read from any thread): ``stored``, ``rejected`` (refused by the rules, with
    ``last_rejection`` holding the reason), ``failed`` (not the fix's fault: the database is
    unreachable, or an unexpected error, logged with its traceback; ``last_failure`` says which;
    a fix the database did not take is counted here once and tried again until it is stored,
    then counted as stored too; one that raised anything else is dropped), ``connections``
    (successful connects)."""

    def __init__(
        self,
        dsn: str | ThreadedConnectionPool,
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        topic: str | None = None,
        clock: Callable[[], datetime] | None = None,
        batch_size: int = BATCH_SIZE,
        flush_s: float = FLUSH_S,
        queue_size: int = QUEUE_SIZE,
        username: str | None = None,
        password: str | None = None,
        client_id: str | None = None,
        session_expiry_s: int = SESSION_EXPIRY_S,
    ) -> None:
        self._source = dsn
        # A fixed client id resumes its session (clean_start off): the broker keeps the
        # subscription and queues the fixes while this consumer is away (a restart, kill -9)
        # and delivers them, with those it never acknowledged, when it is back.
        self.client_id, self.session_expiry_s = client_id, session_expiry_s
        self._credentials = (username, password) if username else None
        self.host, self.port = host, port
        self.topic = topic or (NAMED_TOPIC_FILTER if client_id else POSITION_TOPIC_FILTER)
        self._clock = clock or (lambda: datetime.now(UTC))
        self.batch_size, self.flush_s = batch_size, flush_s
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._writer: threading.Thread | None = None
        self._closing = threading.Event()
        self._own_pool: ThreadedConnectionPool | None = None
        self._client: mqtt.Client | None = None
        self._changed = threading.Condition()
        self._subscribed = False
        self._broker_down_logged = False
        self.stored = 0
        self.rejected = 0
        self.failed = 0
        self.connections = 0
        self.last_rejection: str | None = None
        self.last_failure: str | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background and start processing; returns immediately."""
        if self._client is not None:
            msg = "the consumer is already started"
            raise RuntimeError(msg)
        self._closing.clear()
        client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id or f"dispatch-positions-{uuid.uuid4().hex[:12]}",
            protocol=mqtt.MQTTv5,
            manual_ack=True,  # a fix is acknowledged once it is stored
        )
        # paho annotates the delays as int; fractions of a second work as well.
        client.reconnect_delay_set(
            min_delay=RECONNECT_MIN_DELAY_S,  # type: ignore[arg-type]
            max_delay=RECONNECT_MAX_DELAY_S,  # type: ignore[arg-type]
        )
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        if self._credentials is not None:
            client.username_pw_set(*self._credentials)
        # Fixes are acknowledged a batch at a time: let the broker send a few batches ahead.
        properties = Properties(PacketTypes.CONNECT)
        properties.ReceiveMaximum = min(65535, 4 * self.batch_size)
        if self.client_id:
            properties.SessionExpiryInterval = self.session_expiry_s
        client.connect_async(
            self.host,
            self.port,
            keepalive=30,
            clean_start=not self.client_id,
            properties=properties,
        )
        self._client = client
        self._writer = threading.Thread(target=self._write, name="gps-writer", daemon=True)
        self._writer.start()
        client.loop_start()  # retries the first connection too
        log.info("MQTT consumer started for %s on %s:%s", self.topic, self.host, self.port)

    def stop(self) -> None:
        """Disconnect and wait for the background thread to end. Safe to call twice."""
        client, self._client = self._client, None
        if client is None:
            return
        self._closing.set()  # a writer retrying a failed batch gives up (not acknowledged)
        self._queue.put(None)  # the writer stores what it holds, then ends
        if self._writer is not None:
            self._writer.join(timeout=10)
        client.disconnect()
        client.loop_stop()
        if self._own_pool is not None:
            self._own_pool.closeall()
            self._own_pool = None
        with self._changed:
            self._subscribed = False
            self._changed.notify_all()
        log.info("MQTT consumer stopped")

    def __enter__(self) -> PositionConsumer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- waiting (for tests and start-up checks) -------------------------------------------

    @property
    def handled(self) -> int:
        """Messages processed so far: stored + rejected + failed."""
        return self.stored + self.rejected + self.failed

    @property
    def is_subscribed(self) -> bool:
        """True while connected and the broker has acknowledged the subscription."""
        return self._subscribed

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until ``handled`` reaches ``count``; False when ``timeout`` seconds pass first."""
        with self._changed:
            return self._changed.wait_for(lambda: self.handled >= count, timeout)

    def wait_subscribed(self, timeout: float = 5.0) -> bool:
        """Wait until the subscription is active; False when ``timeout`` seconds pass first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._subscribed, timeout)

    # -- paho callbacks (network thread); each delegates or only logs ----------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("MQTT broker %s:%s refused the connection: %s", *self._at, reason_code)
            return
        self._broker_down_logged = False
        with self._changed:
            self.connections += 1
            self._changed.notify_all()
        log.info(
            "MQTT connected to %s:%s (session %s); subscribing to %s",
            *self._at,
            "resumed" if getattr(flags, "session_present", False) else "new",
            self.topic,
        )
        if self.client_id and self.topic != POSITION_TOPIC_FILTER:
            # A session kept from a version that shared the subscription would get each fix
            # twice (once per subscription): drop that one (nothing happens when it is absent).
            client.unsubscribe(POSITION_TOPIC_FILTER)
        client.subscribe(self.topic, qos=QOS)

    def _on_connect_fail(self, client, userdata) -> None:
        # Warn once per outage; paho keeps retrying with back-off.
        level = logging.DEBUG if self._broker_down_logged else logging.WARNING
        log.log(level, "MQTT broker %s:%s unreachable; retrying", *self._at)
        self._broker_down_logged = True

    def _on_subscribe(self, client, userdata, mid, reason_code_list, properties) -> None:
        failures = [code for code in reason_code_list if code.is_failure]
        if failures:
            log.error("MQTT subscription to %s refused: %s", self.topic, failures)
            return
        with self._changed:
            self._subscribed = True
            self._changed.notify_all()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        with self._changed:
            self._subscribed = False
            self._changed.notify_all()
        if self._client is not None:  # not a stop() we asked for
            log.warning("MQTT connection to %s:%s lost (%s); reconnecting", *self._at, reason_code)

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        # Waits when the queue is full: the broker keeps the rest until we catch up.
        self._queue.put((message.topic, message.payload, message.mid, message.qos))

    @property
    def _at(self) -> tuple[str, int]:
        return self.host, self.port

    # -- the translation -------------------------------------------------------------------

    def handle(self, topic: str, payload: bytes) -> dict | None:
        """Store one message's fix at once; the service's answer, or None when the fix was
        rejected or failed (logged and counted, never raised)."""
        (outcome,) = self.handle_batch([(topic, payload)])
        return outcome

    def handle_batch(self, messages: list[tuple[str, bytes]]) -> list[dict | None]:
        """Store a batch of messages in one transaction; per message the service's answer, or
        None when it was rejected or failed (logged and counted, never raised)."""
        return self._store(messages)[0]

    def _store(
        self, messages: list[tuple[str, bytes]], *, count_failure: bool = True
    ) -> tuple[list[dict | None], bool]:
        """:meth:`handle_batch`, and whether the database failed (the batch may be retried)."""
        database_failed = False
        outcomes: list[dict | DispatchError | None] = []
        fixes, where = [], []
        for topic, payload in messages:
            try:
                fixes.append(parse_message(topic, payload))
                where.append(len(outcomes))
                outcomes.append(None)
            except DispatchError as err:
                outcomes.append(err)
        if fixes:
            try:
                with UnitOfWork(self._connections()) as uow:
                    stored = crew_service.record_positions(uow, fixes, MQTT_ACTOR, self._clock())
            except (DatabaseUnavailable, psycopg2.OperationalError, psycopg2.InterfaceError) as err:
                database_failed = True
                if count_failure:
                    log.error("could not store %d GPS fixes: %s", len(fixes), err)
                    self._count_failure(str(err).strip().splitlines()[0], len(fixes))
                stored = [_FAILED] * len(fixes)
            except Exception as err:  # the edge: an exception would end the writer
                log.exception("could not store %d GPS fixes", len(fixes))
                self._count_failure(repr(err), len(fixes))
                stored = [_FAILED] * len(fixes)
            for i, outcome in zip(where, stored, strict=True):
                outcomes[i] = outcome
        if database_failed and not count_failure:
            return [None] * len(messages), True  # a retry that failed again: counted once
        return [self._count(messages[i][0], o) for i, o in enumerate(outcomes)], database_failed

    def _store_until_done(self, messages: list[tuple[str, bytes]]) -> bool:
        """Store the batch, trying again while the database fails (a restart, a connection
        ended under it): a fix the broker counts as delivered is stored, not dropped. The
        queue behind it fills and the broker holds the rest. False when the consumer stops
        first (then nothing is acknowledged and the broker delivers the batch again)."""
        delay = RECONNECT_MIN_DELAY_S
        _, failed = self._store(messages)
        while failed:
            if self._closing.wait(delay):
                return False
            delay = min(RECONNECT_MAX_DELAY_S, delay * 2)
            _, failed = self._store(messages, count_failure=False)
            if not failed:
                log.info("stored %d GPS fixes after the database came back", len(messages))
        return True

    def _connections(self) -> ThreadedConnectionPool:
        """The pool the writer stores through: the app's, or one kept for the writer."""
        if isinstance(self._source, ThreadedConnectionPool):
            return self._source
        if self._own_pool is None:
            connect(self._source).close()  # a one-line DatabaseUnavailable when nobody answers
            self._own_pool = ThreadedConnectionPool(1, 2, self._source, connect_timeout=5)
        return self._own_pool

    def _count(self, topic: str, outcome) -> dict | None:
        if outcome is _FAILED:
            return None
        with self._changed:
            if isinstance(outcome, DispatchError):
                log.warning("rejected GPS fix on %s: %s", topic, outcome)
                self.rejected += 1
                self.last_rejection = str(outcome)
                outcome = None
            else:
                self.stored += 1
            self._changed.notify_all()
        return outcome

    def _write(self) -> None:
        """The writer thread: batches from the queue, stored, then acknowledged."""
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            batch, deadline = [first], time.monotonic() + self.flush_s
            while len(batch) < self.batch_size:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            if not self._store_until_done([(topic, payload) for topic, payload, _, _ in batch]):
                return
            client = self._client
            for _, _, mid, qos in batch:
                if client is not None and qos > 0:
                    client.ack(mid, qos)

    def _count_failure(self, reason: str, count: int = 1) -> None:
        with self._changed:
            self.failed += count
            self.last_failure = reason
            self._changed.notify_all()


# ---------------------------------------------------------------------------------------------
# Publisher


def publish_fix(
    host: str, port: int, crew_id: int, fix: Mapping[str, Any], *, timeout: float = 5.0
) -> None:
    """Publish one fix to ``crews/<crew_id>/position`` with QoS 1 and wait for the broker's
    acknowledgement. Opens and closes a connection per call (fine for a demo simulator).

    Raises ``OSError`` when the broker cannot be reached and ``TimeoutError`` when it does not
    acknowledge within ``timeout`` seconds."""
    connected = threading.Event()

    def on_connect(client, userdata, flags, reason_code, properties) -> None:
        if not reason_code.is_failure:
            connected.set()

    client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2)
    client.on_connect = on_connect
    client.connect(host, port, keepalive=30)
    client.loop_start()
    try:
        if not connected.wait(timeout):
            msg = f"the broker at {host}:{port} did not accept the connection within {timeout} s"
            raise TimeoutError(msg)
        info = client.publish(position_topic(crew_id), encode_fix(fix), qos=QOS)
        info.wait_for_publish(timeout)
        if not info.is_published():
            msg = f"the broker at {host}:{port} did not acknowledge the fix within {timeout} s"
            raise TimeoutError(msg)
    finally:
        client.disconnect()
        client.loop_stop()
