"""A live feed for the demo city: what its devices would report, at a chosen rate.

Street lights switch at civil dusk and dawn (spread over two minutes) with a few failing; sensors
report pressures, levels, flows, voltages and transformer loads with a daily rhythm and noise;
cameras send a heartbeat every minute and the odd one goes offline or sees an accident, a flood or
a fire; now and then a pressure drops or a transformer loses its voltage. Messages are produced by
:func:`demo_messages` (pure, seeded) and sent by an MQTT or HTTP sink at ``rate`` observations/s.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Connection, select

from layers.cameras import cameras, sensors
from layers.lighting import luminaires
from twin.live.rules import is_night

OBSERVATIONS_PER_MESSAGE = 100
TYPICAL = {  # property -> (mean, daily swing, noise) in the property's unit
    "pressure": (320.0, 40.0, 4.0), "water_level": (3.0, 0.5, 0.05), "flow": (120.0, 60.0, 5.0),
    "voltage": (230.0, 4.0, 1.0), "load": (180.0, 90.0, 8.0), "noise": (55.0, 10.0, 3.0),
    "air_quality": (45.0, 15.0, 5.0),
}
DEMO_FEED_TOPICS = ["twin/devices/+/state", "twin/cameras/+/events", "twin/observations/demo-feed"]
"""The topics the demo feed publishes: what its device credential must allow
(``twin.devices.create_device``)."""
LAMP_FAILURE_SHARE = 0.02
SWITCH_SPREAD_S = 120


@dataclass(frozen=True)
class FeedAssets:
    """The devices of the twin the feed speaks for."""

    luminaires: list[str]
    cameras: list[str]
    sensors: list[tuple[str, str]]
    """(sensor id, property it measures)."""

    @classmethod
    def read(cls, conn: Connection) -> FeedAssets:
        return cls(
            luminaires=list(conn.execute(select(luminaires.c.id).order_by("id")).scalars()),
            cameras=list(conn.execute(select(cameras.c.id).order_by("id")).scalars()),
            sensors=[(sid, measures) for sid, measures in conn.execute(
                select(sensors.c.id, sensors.c.measures).order_by("id")) if measures in TYPICAL],
        )


Message = tuple[str, dict[str, Any], int]
"""(topic, document, observations it holds)."""


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def demo_messages(assets: FeedAssets, clock: Clock, seed: int = 7) -> Iterator[Message]:
    """An endless stream for ``assets``; each message is stamped with ``clock.now()`` as it is made.
    Readings go round the sensors; events (lamps, cameras, incidents) come when they are due."""
    rng = random.Random(seed)
    failing = set(rng.sample(assets.luminaires, int(len(assets.luminaires) * LAMP_FAILURE_SHARE)))
    lamps_night: bool | None = None
    lamp_queue: list[str] = []
    switch_started = 0.0
    next_heartbeat = 0
    pressure_dips: dict[str, float] = {}
    dead_voltage: set[str] = set()
    readings: list[dict[str, Any]] = []
    sensor_index = 0
    while True:
        now = clock.now()
        night = is_night(now)
        if night != lamps_night:  # dusk or dawn (or the start): every lamp switches, spread out
            lamps_night, lamp_queue, switch_started = night, list(assets.luminaires), clock.elapsed()
            rng.shuffle(lamp_queue)
        spread = min(1.0, (clock.elapsed() - switch_started) / SWITCH_SPREAD_S)
        due = len(lamp_queue) - int(len(assets.luminaires) * (1 - spread))
        for _ in range(max(due, 0)):
            lamp = lamp_queue.pop()
            state = "failed" if lamp in failing else ("on" if night else "off")
            doc: dict[str, Any] = {"state": state, "time": _iso(now)}
            if state == "on":
                doc["level"] = 1.0 if now.hour < 16 or now.hour >= 22 else 0.7
            yield f"twin/devices/{lamp}/state", doc, 2 if "level" in doc else 1
        if assets.cameras and clock.elapsed() >= next_heartbeat:
            next_heartbeat += 60
            yield from _camera_round(assets.cameras, now, rng)
        if rng.random() < 0.002 and assets.sensors:
            _upset(assets.sensors, pressure_dips, dead_voltage, rng)
        for _ in range(min(OBSERVATIONS_PER_MESSAGE, len(assets.sensors))):  # each once a message
            sensor_id, prop = assets.sensors[sensor_index % len(assets.sensors)]
            sensor_index += 1
            readings.append({"asset_id": sensor_id, "property": prop,
                             "value": _reading(sensor_id, prop, now, rng, pressure_dips, dead_voltage),
                             "time": _iso(now)})
        if readings:
            yield "twin/observations/demo-feed", {"observations": readings}, len(readings)
            readings = []
        else:
            clock.sleep(1.0)


def _camera_round(camera_ids: list[str], now: datetime, rng: random.Random) -> Iterator[Message]:
    for camera_id in camera_ids:
        if rng.random() < 0.01:
            yield f"twin/cameras/{camera_id}/events", {"event": "offline", "time": _iso(now)}, 1
            continue
        yield f"twin/cameras/{camera_id}/events", {"event": "heartbeat", "time": _iso(now)}, 1
        if rng.random() < 0.002:
            kind = rng.choice(["accident", "flooding", "fire"])
            yield f"twin/cameras/{camera_id}/events", {
                "event": "incident", "time": _iso(now),
                "incident": {"type": kind, "confidence": round(rng.uniform(0.6, 0.99), 2),
                             "snapshot": f"snapshots/{camera_id}/{_iso(now)}.jpg"}}, 1


def _upset(sensor_list: list[tuple[str, str]], dips: dict[str, float], dead: set[str],
           rng: random.Random) -> None:
    """Now and then a pressure drops (a burst) or a transformer loses its supply."""
    sensor_id, prop = rng.choice(sensor_list)
    if prop == "pressure":
        dips[sensor_id] = rng.uniform(80, 150)
    elif prop == "voltage" and rng.random() < 0.3:
        dead.add(sensor_id)


def _reading(sensor_id: str, prop: str, now: datetime, rng: random.Random,
             dips: dict[str, float], dead: set[str]) -> float:
    if sensor_id in dead:
        return 0.0
    mean, swing, noise = TYPICAL[prop]
    hour = now.hour + now.minute / 60 + 7  # local time (UTC+7) drives the daily rhythm
    value = mean + swing * math.sin((hour - 8) / 24 * 2 * math.pi) + rng.gauss(0, noise)
    value -= dips.get(sensor_id, 0.0)
    return round(max(value, 0.0), 2)


class Clock:
    """Wall time, for stamping and pacing (a class so tests can look at it)."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class Sink(Protocol):
    def send(self, topic: str, document: dict[str, Any]) -> None: ...
    def close(self) -> None: ...


class MqttSink:
    """Publishes with QoS 1 to a broker."""

    def __init__(self, broker_url: str) -> None:
        from ingest.live.mqtt import connect_client, parse_broker

        self.client = connect_client(parse_broker(broker_url), f"urban-twin-feed-{random.randrange(1 << 30)}",
                                     persistent=False)
        self.pending: list[Any] = []

    def send(self, topic: str, document: dict[str, Any]) -> None:
        self.pending.append(self.client.publish(topic, json.dumps(document), qos=1))
        if len(self.pending) > 500:
            self.flush()

    def flush(self) -> None:
        for info in self.pending:
            info.wait_for_publish(30)
        self.pending.clear()

    def close(self) -> None:
        self.flush()
        self.client.loop_stop()
        self.client.disconnect()


class HttpSink:
    """Posts each message to the twin server's live ingest (``twin serve``): topic twin/<path>
    goes to ``<url>/<path>``, with the device key (``Authorization: Bearer``) the server needs.
    A refused key stops the feed with the server's reason; over the server's rate it waits as
    long as the server asks (``Retry-After``) and sends again."""

    def __init__(self, url: str, key: str | None = None) -> None:
        import httpx

        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.http = httpx.Client(timeout=30, headers=headers)
        self.has_key = bool(key)

    def send(self, topic: str, document: dict[str, Any]) -> None:
        import httpx

        from twin.errors import TwinError

        for _ in range(RATE_RETRIES):
            try:
                answer = self.http.post(f"{self.url}/{topic.removeprefix('twin/')}", json=document)
            except httpx.TransportError as exc:
                raise TwinError(f"cannot post to {self.url}: {exc} "
                                "(is 'twin serve' running?)") from None
            if answer.status_code != 429:
                break
            time.sleep(min(float(answer.headers.get("retry-after", "1") or 1), 60.0))
        if answer.status_code in (401, 403):
            hint = ("" if self.has_key else
                    ": the live ingest needs a device key (--key or TWIN_DEVICE_KEY)")
            raise TwinError(f"{self.url} refused {topic} ({answer.status_code} "
                            f"{_detail(answer)}){hint}")
        if answer.status_code >= 500 or answer.status_code == 429:
            raise TwinError(f"{self.url} answered {answer.status_code}: {_detail(answer)}")

    def close(self) -> None:
        self.http.close()


RATE_RETRIES = 5
"""Times a message is sent again when the server answers 429 (over its rate)."""


def _detail(answer: Any) -> str:
    """The server's one-line reason (its JSON ``detail``), else the start of its answer."""
    try:
        detail = answer.json().get("detail")
    except ValueError:
        detail = None
    return str(detail) if detail else answer.text[:200]


def run_feed(messages: Iterator[Message], sink: Sink, *, rate: float, count: int | None,
             clock: Clock) -> int:
    """Send ``messages`` at ``rate`` observations/s until ``count`` observations (None: forever);
    returns how many were sent."""
    sent = 0
    try:
        for topic, document, n in messages:
            if count is not None and sent + n > count:
                if topic.startswith("twin/observations"):
                    document = {"observations": document["observations"][:count - sent]}
                    n = count - sent
                if not n or sent + n > count:
                    break
            sink.send(topic, document)
            sent += n
            ahead = sent / rate - clock.elapsed()
            if ahead > 0:
                clock.sleep(ahead)
            if count is not None and sent >= count:
                break
    finally:
        sink.close()
    return sent
