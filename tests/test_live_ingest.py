"""MQTT ingest against a real Mosquitto and the small demo city: nothing lost while the ingester
is down, each kind of bad message dead-lettered with its reason, the rest of its batch kept."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ingest.live.mqtt import Broker, MqttIngester, connect_client


@contextmanager
def ingesting(engine: Engine, broker: Broker, client_id: str) -> Iterator[MqttIngester]:
    """An MQTT ingester running in a thread, subscribed when the block starts."""
    ingester = MqttIngester(engine, broker.url, client_id=client_id, max_delay_s=0.02)
    worker = threading.Thread(target=ingester.run)
    worker.start()
    try:
        assert ingester.ready.wait(10), "the ingester did not subscribe"
        yield ingester
    finally:
        ingester.stop.set()
        worker.join(30)


def publish(broker: Broker, messages: list[tuple[str, bytes | str]]) -> None:
    """Publish with QoS 1 and wait until the broker has each one."""
    client = connect_client(broker, f"test-publisher-{uuid.uuid4().hex[:8]}", persistent=False)
    infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(10)
    client.loop_stop()
    client.disconnect()


def wait_for(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the ingester")
        time.sleep(0.1)


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


def sensor_ids(engine: Engine, n: int) -> list[str]:
    with engine.connect() as conn:
        return list(conn.exec_driver_sql(
            f"SELECT id FROM sensors ORDER BY id LIMIT {n}").scalars())


def readings(asset_ids: list[str], start: datetime, per_message: int, messages: int
             ) -> list[tuple[str, str]]:
    """``messages`` observation messages of ``per_message`` pressures, all at distinct times."""
    out = []
    for m in range(messages):
        entries = [{"asset_id": asset_ids[(m * per_message + i) % len(asset_ids)],
                    "property": "pressure", "value": 300 + i, "unit": "kPa",
                    "time": (start + timedelta(seconds=m * per_message + i)).isoformat()}
                   for i in range(per_message)]
        out.append(("twin/observations/test", json.dumps({"observations": entries})))
    return out


def test_messages_published_while_stopped_arrive_after_start(demo_copy, mqtt_broker):
    client_id = f"ingester-{uuid.uuid4().hex[:8]}"
    with ingesting(demo_copy, mqtt_broker, client_id):
        pass  # the broker now keeps a session for this ingester
    start = datetime.now(UTC) - timedelta(hours=1)
    publish(mqtt_broker, readings(sensor_ids(demo_copy, 20), start, per_message=4, messages=50))
    assert count(demo_copy, "live_history") == 0
    with ingesting(demo_copy, mqtt_broker, client_id):
        wait_for(lambda: count(demo_copy, "live_history") == 200)
    assert count(demo_copy, "live_current") == 20
    assert count(demo_copy, "live_dead_letters") == 0


def test_each_kind_of_bad_message_is_dead_lettered_and_the_rest_stored(demo_copy, mqtt_broker):
    sensor, camera = sensor_ids(demo_copy, 1)[0], "CAM-000001"
    now = datetime.now(UTC)
    t = now.isoformat()

    def obs(**entry: object) -> str:
        good = {"asset_id": sensor, "property": "pressure", "value": 310.0, "time": t}
        return json.dumps({"observations": [{**good, **entry}]})

    bad = {
        "bad_json": ("twin/observations", "{\"observations\": [ oops"),
        "unknown_topic": ("twin/weather/today", obs()),
        "unknown_asset": ("twin/observations", obs(asset_id="SEN-999999")),
        "wrong_type": ("twin/observations", obs(value="very high")),
        "out_of_range": ("twin/observations", obs(value=-40.0)),
        "future_time": ("twin/observations", obs(time=(now + timedelta(hours=2)).isoformat())),
        "unknown_property": ("twin/observations", obs(property="mood")),
        "bad_message": ("twin/devices/WV-000001/state", json.dumps({"state": "ajar", "time": t})),
    }
    good = [("twin/observations", obs(time=(now - timedelta(minutes=1)).isoformat())),
            ("twin/devices/LUM-000001/state", json.dumps({"state": "on", "level": 0.5, "time": t})),
            ("twin/cameras/" + camera + "/events", json.dumps({
                "event": "incident", "time": t,
                "incident": {"type": "flooding", "confidence": 0.9, "position": [106.2, 21.27],
                             "snapshot": "snap/1.jpg"}}))]
    with ingesting(demo_copy, mqtt_broker, f"ingester-{uuid.uuid4().hex[:8]}"):
        publish(mqtt_broker, [*bad.values(), *good])
        wait_for(lambda: count(demo_copy, "live_dead_letters") == len(bad)
                 and count(demo_copy, "live_history") == 3 and count(demo_copy, "incidents") == 1)
    with demo_copy.connect() as conn:
        letters = {r.reason: r for r in conn.execute(sa.text(
            "SELECT reason, topic, item, payload, detail, channel FROM live_dead_letters"))}
        assert set(letters) == set(bad)
        for reason, (topic, payload) in bad.items():
            kept = bytes(letters[reason].payload)
            if letters[reason].item is None:  # the whole message, as received
                assert kept == payload.encode()
            else:  # the refused entry of an observations message
                assert json.loads(kept) == json.loads(payload)["observations"][letters[reason].item]
            assert (letters[reason].topic, letters[reason].channel) == (topic, "mqtt")
        assert "SEN-999999" in letters["unknown_asset"].detail
        incident = conn.execute(sa.text(
            "SELECT kind, raised_by, asset_ids, details FROM incidents")).one()
        assert (incident.kind, incident.raised_by, incident.asset_ids) == ("flooding", "camera", [camera])
        assert incident.details["snapshot"] == "snap/1.jpg"
