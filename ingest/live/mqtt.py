"""The MQTT ingester: a persistent QoS 1 session on ``twin/#``, batches written by
:class:`ingest.live.writer.BatchWriter`, and each message acknowledged only once its batch is
committed, so the broker keeps (and re-delivers) whatever the twin has not stored yet.

The session is persistent (MQTT 3.1.1 ``clean_session=False`` under a fixed client id): what is
published while the ingester is down is queued by the broker and arrives when it comes back. The
broker must keep enough of it: see docs/live.md for mosquitto's ``max_queued_messages``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from sqlalchemy.engine import Engine

from ingest.live.messages import Origin, Parsed
from ingest.live.writer import BatchResult, BatchWriter, parse_batch
from twin.errors import InvalidInput, TwinError

log = logging.getLogger(__name__)

DEFAULT_BROKER = "mqtt://127.0.0.1:1883"
CLIENT_ID = "urban-twin-ingester"
TOPIC = "twin/#"


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"


def parse_broker(url: str) -> Broker:
    """``mqtt://[user:password@]host[:port]`` (port 1883 by default)."""
    parsed = urlparse(url if "://" in url else f"mqtt://{url}")
    if parsed.scheme not in ("mqtt", "tcp") or not parsed.hostname:
        raise InvalidInput(f"broker URL must look like mqtt://host:1883, got '{url}'")
    try:
        port = parsed.port or 1883
    except ValueError:
        raise InvalidInput(f"broker URL has a bad port: '{url}'") from None
    return Broker(parsed.hostname, port, parsed.username, parsed.password)


def connect_client(broker: Broker, client_id: str, *, persistent: bool,
                   manual_ack: bool = False,
                   setup: Callable[[mqtt.Client], None] | None = None) -> mqtt.Client:
    """A connected MQTT 3.1.1 client with its network loop running in a thread; ``setup`` sets
    its callbacks before it connects."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                         clean_session=not persistent, protocol=mqtt.MQTTv311,
                         manual_ack=manual_ack)
    if setup is not None:
        setup(client)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    try:
        client.connect(broker.host, broker.port, keepalive=30)
    except OSError as exc:
        raise TwinError(f"cannot reach the MQTT broker at {broker.url}: {exc}") from None
    client.loop_start()
    return client


class MqttIngester:
    """Reads ``twin/#`` into the twin until ``stop`` is set. ``batch_messages`` and
    ``max_delay_s`` bound a batch: it is written when either is reached."""

    def __init__(self, engine: Engine, broker: str = DEFAULT_BROKER, *,
                 client_id: str = CLIENT_ID, batch_messages: int = 2000,
                 max_delay_s: float = 0.02,
                 on_batch: Callable[[BatchResult, list[mqtt.MQTTMessage]], None] | None = None
                 ) -> None:
        self.broker = parse_broker(broker)
        self.client_id = client_id
        self.batch_messages = batch_messages
        self.max_delay_s = max_delay_s
        self.on_batch = on_batch
        self.stop = threading.Event()
        self.writer = BatchWriter(engine, stop=self.stop, keep_connection=True)
        self.ready = threading.Event()
        """Set once subscribed: from then on every message on twin/# reaches the twin."""
        self._inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self._failure: Exception | None = None

    def run(self) -> None:
        """Ingest until :attr:`stop` is set. Two stages overlap: this thread gathers and parses
        the next batch while a committer thread writes the last one and then acknowledges its
        messages; a batch in hand when stopping is not acknowledged (the broker re-delivers it)."""
        self.writer.warm_up()
        client = connect_client(self.broker, self.client_id, persistent=True, manual_ack=True,
                                setup=self._setup)
        parsed: queue.Queue[tuple[list[mqtt.MQTTMessage], Parsed]] = queue.Queue(maxsize=1)
        committer = threading.Thread(target=self._commit_loop, args=(client, parsed),
                                     name="live-commit")
        committer.start()
        try:
            while not self.stop.is_set() and committer.is_alive():
                batch = self._next_batch()
                if not batch:
                    continue
                work = (batch, parse_batch([Origin("mqtt", m.topic, bytes(m.payload)) for m in batch]))
                while not self.stop.is_set():
                    try:
                        parsed.put(work, timeout=0.2)
                        break
                    except queue.Full:
                        continue
        finally:
            self.stop.set()
            committer.join()
            self.writer.close()
            client.loop_stop()
            client.disconnect()
        if self._failure is not None:
            raise self._failure

    def _commit_loop(self, client: mqtt.Client,
                     parsed: queue.Queue[tuple[list[mqtt.MQTTMessage], Parsed]]) -> None:
        """Write each parsed batch, then acknowledge its messages: never before the commit."""
        while not self.stop.is_set():
            try:
                batch, work = parsed.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                result = self.writer.commit(work)
            except InterruptedError:
                return
            except Exception as exc:  # not the database going away: stop, and say why
                self._failure = exc
                self.stop.set()
                return
            for message in batch:
                if message.qos:
                    client.ack(message.mid, message.qos)
            if self.on_batch is not None:
                self.on_batch(result, batch)

    def _setup(self, client: mqtt.Client) -> None:
        client.on_connect = self._on_connect
        client.on_subscribe = lambda *_: self.ready.set()
        client.on_message = lambda _c, _u, message: self._inbox.put(message)
        client.reconnect_delay_set(1, 10)

    def _on_connect(self, client: mqtt.Client, _userdata: object, _flags: object,
                    reason_code: mqtt.ReasonCode, _properties: object) -> None:
        if reason_code.is_failure:
            log.warning("the broker refused the connection: %s", reason_code)
            return
        client.subscribe(TOPIC, qos=1)

    def _next_batch(self) -> list[mqtt.MQTTMessage]:
        """Messages that arrived, from the first one up to ``max_delay_s`` later."""
        try:
            batch = [self._inbox.get(timeout=0.2)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.max_delay_s
        while len(batch) < self.batch_messages:
            remaining = deadline - time.monotonic()
            try:
                batch.append(self._inbox.get(timeout=remaining) if remaining > 0
                             else self._inbox.get_nowait())
            except queue.Empty:
                break
        return batch
