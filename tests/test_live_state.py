"""The live state read back: HTTP ingest, current state, time travel, device states for the
simulations, incidents by rule, camera and hand, notifications, and the figures of twin stats."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
import uvicorn
from fastapi import FastAPI

from ingest.live.http import router
from ingest.live.messages import Origin
from ingest.live.writer import BatchWriter
from tests.conftest import run_twin
from twin.devices import create_device
from twin.errors import Conflict, InvalidInput
from twin.live import (
    RuleSettings,
    acknowledge_incident,
    asset_history,
    check_rules,
    current_device_states,
    list_incidents,
    live_kpis,
    raise_incident,
    resolve_incident,
    state_at,
)

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 19:00 in Bắc Giang: night
NOON = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)  # 12:00 local, the day after


def send(writer: BatchWriter, topic: str, doc: object, channel: str = "mqtt"):
    return writer.write([Origin(channel, topic, json.dumps(doc).encode())],
                        now=T0 + timedelta(hours=1))


def obs(asset_id: str, prop: str, value: object, at: datetime) -> dict[str, object]:
    return {"asset_id": asset_id, "property": prop, "value": value, "time": at.isoformat()}


def ids(engine, table: str, n: int) -> list[str]:
    with engine.connect() as conn:
        return list(conn.exec_driver_sql(f"SELECT id FROM {table} ORDER BY id LIMIT {n}").scalars())


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free port of 127.0.0.1; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_http_ingest_stores_and_dead_letters(demo_copy):
    app = FastAPI()
    app.state.engine = demo_copy
    app.include_router(router, prefix="/api/live")
    sensor = ids(demo_copy, "sensors", 1)[0]
    now = datetime.now(UTC)
    with demo_copy.begin() as conn:  # only device keys may post
        key = create_device(conn, "test-gateway", ["twin/#"])
    with serving(app) as base, httpx.Client(base_url=base,
                                            headers={"Authorization": f"Bearer {key}"}) as http:
        answer = http.post("/api/live/observations", json={"observations": [
            obs(sensor, "pressure", 305.5, now), obs(sensor, "pressure", 1e6, now)]})
        assert answer.status_code == 200
        assert answer.json() == {"stored": 1, "dead_lettered": 1, "reasons": {"out_of_range": 1},
                                 "incidents": 0}
        lamp = http.post("/api/live/devices/LUM-000001/state",
                         json={"state": "on", "level": 0.3, "time": now.isoformat()})
        assert lamp.json()["stored"] == 2
        refused = http.post("/api/live/cameras/CAM-000001/events", content=b"not json")
        assert refused.status_code == 422 and refused.json()["reasons"] == {"bad_json": 1}
    with demo_copy.connect() as conn:
        assert current_device_states(conn).dimmed == {"LUM-000001": 0.3}
        channel = conn.exec_driver_sql("SELECT DISTINCT channel FROM live_dead_letters").scalars().all()
        assert channel == ["http"]


def test_current_state_time_travel_and_device_states(demo_copy):
    writer = BatchWriter(demo_copy)
    valve, switch = ids(demo_copy, "water_valves", 1)[0], ids(demo_copy, "power_switches", 1)[0]
    lamps, sensors = ids(demo_copy, "luminaires", 3), ids(demo_copy, "sensors", 2)
    with demo_copy.connect() as conn:
        assert current_device_states(conn) == current_device_states(conn, at=T0)
        assert not current_device_states(conn).opened and state_at(conn).empty
    for minute, (valve_state, pressure) in enumerate([("open", 300.0), ("closed", 250.0),
                                                      ("open", 310.0)]):
        at = T0 + timedelta(minutes=10 * minute)
        send(writer, "twin/observations", {"observations": [
            obs(valve, "state", valve_state, at), obs(sensors[0], "pressure", pressure, at)]})
    send(writer, "twin/devices/" + switch + "/state", {"state": "open", "time": T0.isoformat()})
    send(writer, "twin/devices/" + lamps[0] + "/state", {"state": "on", "level": 0.5,
                                                          "time": T0.isoformat()})
    send(writer, "twin/devices/" + lamps[1] + "/state", {"state": "failed", "time": T0.isoformat()})
    send(writer, "twin/devices/" + lamps[2] + "/state", {"state": "off", "time": T0.isoformat()})
    send(writer, "twin/observations", {"observations": [obs(sensors[1], "voltage", 0.0, T0)]})
    # an older observation arriving late goes to the history, not over the current state
    send(writer, "twin/observations", {"observations": [
        obs(sensors[0], "pressure", 111.0, T0 - timedelta(hours=1))]})
    with demo_copy.connect() as conn:
        now = current_device_states(conn)
        assert now.opened == {valve, switch} and not now.closed
        assert now.dimmed == {lamps[0]: 0.5, lamps[1]: 0.0, lamps[2]: 0.0}
        watched = conn.exec_driver_sql(
            f"SELECT watched_asset_id FROM sensors WHERE id = '{sensors[1]}'").scalar()
        assert now.failed == {lamps[1], watched or sensors[1]}
        then = current_device_states(conn, at=T0 + timedelta(minutes=15))
        assert then.closed == {valve} and then.opened == {switch}
        assert current_device_states(conn, at=T0 - timedelta(minutes=1)).opened == frozenset()

        current = state_at(conn).set_index(["asset_id", "property"])
        assert current.loc[(sensors[0], "pressure"), "value"] == 310.0
        past = state_at(conn, T0 + timedelta(minutes=15)).set_index(["asset_id", "property"])
        assert past.loc[(sensors[0], "pressure"), "value"] == 250.0
        assert past.loc[(valve, "state"), "value_text"] == "closed"
        assert len(state_at(conn, T0 - timedelta(minutes=30))) == 1  # only the late reading
        lon, lat = conn.exec_driver_sql(
            f"SELECT ST_X(geom), ST_Y(geom) FROM water_valves WHERE id = '{valve}'").one()
        boxed = state_at(conn, bbox=(lon - 1e-5, lat - 1e-5, lon + 1e-5, lat + 1e-5))
        assert set(boxed.asset_id) == {valve}

        history = asset_history(conn, sensors[0])
        assert list(history.value) == [111.0, 300.0, 250.0, 310.0]
        newest = asset_history(conn, sensors[0], since=T0 + timedelta(minutes=5), limit=1)
        assert list(newest.value) == [310.0]


def test_redelivered_messages_are_kept_once(demo_copy):
    writer = BatchWriter(demo_copy)
    sensor = ids(demo_copy, "sensors", 1)[0]
    message = {"observations": [obs(sensor, "pressure", 300.0 + i, T0 + timedelta(seconds=i))
                                for i in range(5)]}
    send(writer, "twin/observations", message)
    send(writer, "twin/observations", message)
    with demo_copy.connect() as conn:
        assert live_kpis(conn)["observations"] == 5


def test_rules_raise_incidents_once_and_people_resolve_them(demo_copy):
    writer = BatchWriter(demo_copy)
    lamp, camera = ids(demo_copy, "luminaires", 1)[0], ids(demo_copy, "cameras", 1)[0]
    sensor = ids(demo_copy, "sensors", 1)[0]
    readings = [obs(sensor, "pressure", 320.0, T0 - timedelta(minutes=50 - 10 * i)) for i in range(4)]
    send(writer, "twin/observations", {"observations": [
        *readings, obs(sensor, "pressure", 200.0, T0), obs(lamp, "state", "off", T0),
        obs("TR-000001", "voltage", 0.0, T0)]})
    send(writer, f"twin/cameras/{camera}/events",
         {"event": "heartbeat", "time": (T0 - timedelta(minutes=30)).isoformat()})
    with demo_copy.begin() as conn:
        assert check_rules(conn, NOON + timedelta(minutes=1)) != []  # by day: no lamp incident
        raised = {i.kind: i for i in list_incidents(conn)}
        assert set(raised) == {"camera_offline", "pressure_drop", "no_voltage"}
        assert raised["no_voltage"].asset_ids == ["TR-000001"]
        takes_down = raised["no_voltage"].details["takes_down"]  # the outage simulation's answer
        assert takes_down["customers"] > 0 and takes_down["affected"]["service_points"]
        assert raised["pressure_drop"].details["mean_before_kpa"] == 320.0
        at_night = check_rules(conn, T0 + timedelta(minutes=1), RuleSettings())
        assert [i.kind for i in at_night] == ["luminaire_off_at_night"]
        assert check_rules(conn, T0 + timedelta(minutes=2)) == []  # nothing twice

        by_hand = raise_incident(conn, "burst_main", [sensor], title="water in the street",
                                 position=(106.2, 21.27))
        assert by_hand is not None and by_hand.position == (106.2, 21.27)
        with pytest.raises(InvalidInput, match="no asset"):
            raise_incident(conn, "fire", ["LUM-999999"])
        acknowledged = acknowledge_incident(conn, by_hand.id, "Lan")
        assert (acknowledged.status, acknowledged.acknowledged_by) == ("acknowledged", "Lan")
        with pytest.raises(Conflict, match="cannot be acknowledged"):
            acknowledge_incident(conn, by_hand.id, "Minh")
        resolved = resolve_incident(conn, by_hand.id, "Minh", note="valve 12 closed, pipe fixed")
        assert resolved.status == "resolved" and resolved.resolved_at is not None
        assert resolved.notes[0]["who"] == "Minh"
        assert live_kpis(conn)["open_incidents"] == 4


def test_changes_are_notified_after_commit(demo_copy):
    writer = BatchWriter(demo_copy)
    lamp = ids(demo_copy, "luminaires", 1)[0]
    url = demo_copy.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute("LISTEN twin_live")
        send(writer, f"twin/devices/{lamp}/state", {"state": "off", "time": T0.isoformat()})
        later = (T0 + timedelta(minutes=1)).isoformat()
        send(writer, f"twin/devices/{lamp}/state", {"state": "off", "time": later})
        send(writer, "twin/cameras/CAM-000001/events", {"event": "incident", "time": T0.isoformat(),
             "incident": {"type": "fire", "confidence": 0.7}})
        select.select([listener.fileno()], [], [], 5)
        payloads = [json.loads(n.payload) for n in listener.notifies(timeout=1, stop_after=10)]
    kinds = [(p["kind"], p["asset_id"]) for p in payloads]
    assert kinds[0] == ("state", lamp) and payloads[0]["value"] == "off"
    assert ("incident", "CAM-000001") in kinds
    assert kinds.count(("state", lamp)) == 1  # the same state again is no change


def test_twin_stats_reports_the_live_state(demo_database_url, demo_copy):
    send(BatchWriter(demo_copy), "twin/observations", {"observations": [
        obs("SEN-000001", "pressure", 300.0, T0), obs("SEN-000001", "pressure", -1.0, T0)]})
    figures = json.loads(run_twin("stats", "--json", env={"TWIN_DATABASE_URL": demo_database_url}).stdout)
    assert figures["live"] == {"observations": 1, "dead_letters": 1, "open_incidents": 0}


def test_odd_asset_ids_and_values_survive_the_copy(demo_copy):
    odd = "SEN-odd\tid\\with\nbreaks"
    with demo_copy.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO sensors (id, geom, measures) "
            "VALUES (%(id)s, ST_SetSRID(ST_MakePoint(106.2, 21.27), 4326), 'pressure')", {"id": odd})
    send(BatchWriter(demo_copy), "twin/observations", {"observations": [
        obs(odd, "pressure", 0.1, T0), obs(odd, "pressure", 1e-7, T0 + timedelta(seconds=1))]})
    with demo_copy.connect() as conn:
        assert list(asset_history(conn, odd).value) == [0.1, 1e-7]
        assert state_at(conn).asset_id.tolist() == [odd]


def test_a_district_switching_at_once_is_one_notification(demo_copy):
    lamps = ids(demo_copy, "luminaires", 250)
    url = demo_copy.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute("LISTEN twin_live")
        send(BatchWriter(demo_copy), "twin/observations", {"observations": [
            obs(lamp, "state", "on", T0) for lamp in lamps]})
        select.select([listener.fileno()], [], [], 5)
        payloads = [json.loads(n.payload) for n in listener.notifies(timeout=1, stop_after=10)]
    (summary,) = payloads
    assert (summary["kind"], summary["asset_id"], summary["count"]) == ("state", None, 250)
    assert summary["asset_ids"] == sorted(lamps)
