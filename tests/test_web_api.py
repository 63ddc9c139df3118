"""The app API over the small demo city: assets, state, the live stream, KPIs, simulations."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, time, timedelta

import httpx
import pytest
import sqlalchemy as sa

from simulation.lighting import run_lighting
from simulation.snapshot import load_snapshot
from tests.web_fixtures import bearer, client_for
from twin.database import create_engine
from twin.live import live_current, live_history
from twin.read import read_layer

T0 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def observe(url: str, asset_id: str, prop: str, readings: list[tuple[datetime, object]]) -> None:
    """Store observations as the live ingest does: every one in the history, the newest as
    the current state."""
    def row(at: datetime, value: object) -> dict[str, object]:
        number = isinstance(value, (int, float))
        return {"asset_id": asset_id, "property": prop, "observed_at": at,
                "value": value if number else None, "value_text": None if number else value,
                "unit": "1" if number else None}

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(live_history.insert(), [row(at, v) for at, v in readings])
        conn.execute(live_current.insert(), [row(*max(readings, key=lambda r: r[0]))])
    engine.dispose()


def test_an_asset_with_its_attributes(web_client, demo_engine):
    transformer = read_layer(demo_engine, "transformers").iloc[0]
    asset = web_client.get(f"/api/assets/{transformer.name}").json()
    assert asset["id"] == transformer.name and asset["layer"] == "transformers"
    assert asset["properties"]["capacity_kva"] == pytest.approx(transformer["capacity_kva"])
    assert asset["geometry"]["type"] == "Point"
    assert asset["live"] is None and asset["history"] == []
    node = web_client.get("/api/assets/PN-000001").json()
    assert node["layer"] == "network_nodes"
    missing = web_client.get("/api/assets/TR-999999")
    assert missing.status_code == 404 and "'TR-999999'" in missing.json()["detail"]


def test_live_values_history_and_state_at_a_time(demo_database_url):
    lamp = "LUM-000001"
    observe(demo_database_url, lamp, "state",
            [(T0, "on"), (T0 + timedelta(hours=1), "off"), (T0 + timedelta(hours=2), "failed")])
    with client_for(demo_database_url) as client:
        asset = client.get(f"/api/assets/{lamp}").json()
        assert asset["live"]["state"]["value"] == "failed"
        assert [h["value"] for h in asset["history"]] == ["on", "off", "failed"]
        earlier = client.get("/api/state", params={"at": (T0 + timedelta(minutes=90))
                                                   .isoformat()}).json()
        assert {"asset_id": lamp, "property": "state", "value": "off", "unit": None,
                "observed_at": (T0 + timedelta(hours=1)).isoformat()} in earlier["observations"]
        now = client.get("/api/state").json()["observations"]
        assert [o["value"] for o in now if o["asset_id"] == lamp] == ["failed"]
        bad = client.get("/api/state", params={"at": "yesterday"})
        assert bad.status_code == 400 and "yesterday" in str(bad.json()["detail"])
        assert client.get("/api/state", params={"bbox": "1,2"}).status_code == 400


def test_kpis_follow_the_live_state(demo_database_url):
    engine = create_engine(demo_database_url)
    with engine.connect() as conn:
        lamps = conn.execute(sa.text("SELECT count(*) FROM luminaires")).scalar_one()
        households = conn.execute(sa.text("SELECT sum(households) FROM customer_terminals")
                                  ).scalar_one()
        transformer = conn.execute(sa.text("SELECT id FROM transformers ORDER BY id LIMIT 1")
                                   ).scalar_one()
    engine.dispose()
    with client_for(demo_database_url) as client:
        before = client.get("/api/kpis").json()
        assert before["lamps"] == {"total": lamps, "failed": 0, "off": 0, "working": lamps}
        assert before["households_with_fibre"] == households
        assert before["customers_without_service"]["power"] == 0
        assert before["cameras"]["uptime_percent"] == 100.0
        observe(demo_database_url, transformer, "state", [(T0, "failed")])
        observe(demo_database_url, "LUM-000002", "state", [(T0, "off")])
        after = client.get("/api/kpis").json()
        engine = create_engine(demo_database_url)
        expected = load_snapshot(engine, live=False).outage([transformer])
        engine.dispose()
        assert after["customers_without_service"]["power"] == \
            expected.customers_by_network["power"] > 0
        assert after["lamps"]["off"] == 1


def test_outage_isolation_and_criticality_match_the_simulation(web_client, demo_engine):
    snapshot = load_snapshot(demo_engine)
    transformer = read_layer(demo_engine, "transformers").index[0]
    outage = web_client.post("/api/simulate/outage", json={"assets": [transformer]}).json()
    assert outage["result"] == json.loads(json.dumps(snapshot.outage([transformer]).to_json()))
    assert outage["geojson"]["type"] == "FeatureCollection" and outage["geojson"]["features"]
    pipe = read_layer(demo_engine, "water_pipes").index[0]
    isolation = web_client.post("/api/simulate/isolate", json={"asset": pipe}).json()
    assert isolation["result"] == json.loads(json.dumps(snapshot.isolate(pipe).to_json()))
    ranking = web_client.get("/api/simulate/criticality/power").json()["result"]["ranking"]
    assert ranking[0]["customers"] >= ranking[-1]["customers"]


@pytest.mark.parametrize(("method", "url", "body", "named"), [
    ("post", "/api/simulate/outage", {"assets": ["TR-999999"]}, "'TR-999999'"),
    ("post", "/api/simulate/outage", {"assets": []}, "at least 1"),
    ("post", "/api/simulate/outage", {"asset": "TR-000001"}, "assets"),
    ("post", "/api/simulate/isolate", {"asset": "NOPE-1"}, "'NOPE-1'"),
    ("get", "/api/simulate/criticality/gas", None, "'gas'"),
])
def test_bad_simulation_requests(web_client, method, url, body, named):
    answer = web_client.request(method, url, json=body)
    assert answer.status_code == 400
    assert named in str(answer.json()["detail"])


def test_the_live_stream_carries_notifications(live_server, live_server_database_url,
                                               live_server_token):
    payload = {"kind": "state", "asset_id": "LUM-000003", "property": "state", "value": "off"}
    received: list[tuple[str, str]] = []

    def send_when_listening(lines) -> None:  # type: ignore[no-untyped-def]
        event = None
        for line in lines:
            if line == ": listening":
                engine = create_engine(live_server_database_url)
                with engine.begin() as conn:
                    conn.execute(sa.text("SELECT pg_notify('twin_live', :p)"),
                                 {"p": json.dumps(payload)})
                engine.dispose()
            elif line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                received.append((event or "", line.removeprefix("data: ")))
                return

    with httpx.stream("GET", f"{live_server}/api/live/stream", headers=bearer(live_server_token),
                      timeout=httpx.Timeout(20.0)) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = threading.Thread(target=send_when_listening, args=(response.iter_lines(),))
        reader.start()
        reader.join(20)
    assert received == [("state", json.dumps(payload))]


def test_lighting_what_if_matches_the_simulation(web_client, demo_engine):
    lamps = read_layer(demo_engine, "luminaires")
    lamp = lamps.iloc[len(lamps) // 2]
    bbox = (lamp.geom.x - 0.002, lamp.geom.y - 0.002, lamp.geom.x + 0.002, lamp.geom.y + 0.002)
    answer = web_client.post("/api/simulate/lighting",
                             json={"bbox": bbox, "fail": [lamp.name], "at": "23:30"})
    assert answer.status_code == 200, answer.text
    with demo_engine.connect() as conn:
        expected = run_lighting(conn, bbox=bbox, at=time(23, 30), fail=[lamp.name])
    assert answer.json()["result"] == json.loads(json.dumps(expected.to_json()))
    kinds = {f["properties"]["kind"] for f in answer.json()["geojson"]["features"]}
    assert "road" in kinds
    dimmed = web_client.post("/api/simulate/lighting", json={
        "bbox": bbox, "what_if": {"dim": {lamp.name: 0.5}}}).json()["result"]["roads"]
    assert any("eav_before" in road for road in dimmed)


@pytest.mark.parametrize(("body", "named"), [
    ({"fail": ["LUM-999999"], "bbox": [106.19, 21.27, 106.2, 21.28]}, "'LUM-999999'"),
    ({"what_if": {"dim": {"LUM-000001": 2}}}, "less than or equal to 1"),
    ({"at": "25:99"}, "25:99"),
    ({"what_if": {"add": {"type": "FeatureCollection"}}}, "what_if.add"),
])
def test_bad_lighting_requests(web_client, body, named):
    answer = web_client.post("/api/simulate/lighting", json=body)
    assert answer.status_code == 400
    assert named in str(answer.json()["detail"])
