"""Incidents through the app API (``twin.live``): listed, raised by hand, acknowledged,
resolved; KPIs by ward, and the live HTTP ingest mounted under /api/live."""

from __future__ import annotations

import json
import select

import psycopg
import pytest
import sqlalchemy as sa
from shapely.geometry import shape

from tests.conftest import run_twin
from tests.web_fixtures import bearer, client_for, first_id, make_device
from twin.audit import cli_actor
from twin.database import create_engine
from twin.live import raise_incident


@pytest.fixture
def incident_city(demo_database_url):
    """The small demo city with one open incident at a luminaire; yields (url, incident id,
    the luminaire's ward)."""
    engine = create_engine(demo_database_url)
    with engine.begin() as conn:
        lamp, ward, lon, lat = conn.execute(sa.text(
            "SELECT id, ward_code, ST_X(geom), ST_Y(geom) FROM luminaires ORDER BY id LIMIT 1")
        ).one()
        incident = raise_incident(conn, "accident", [lamp], title="pole hit by a truck",
                                  position=(lon, lat))
    engine.dispose()
    assert incident is not None
    yield demo_database_url, incident.id, ward


def test_list_acknowledge_resolve(incident_city):
    url, incident_id, ward = incident_city
    with client_for(url) as client:
        listed = client.get("/api/incidents").json()["incidents"]
        assert [(i["id"], i["status"]) for i in listed] == [(incident_id, "open")]
        kpis = client.get("/api/kpis").json()
        assert kpis["open_incidents"] == 1
        assert [(w["ward_code"], w["open"]) for w in kpis["open_incidents_by_ward"]] == [(ward, 1)]
        done = client.post(f"/api/incidents/{incident_id}/acknowledge", json={"who": "Lan"})
        # the API records the signed-in user, and keeps a "who" naming someone else beside it
        assert done.status_code == 200 and done.json()["acknowledged_by"] == "test-admin for Lan"
        again = client.post(f"/api/incidents/{incident_id}/acknowledge", json={"who": "Lan"})
        assert again.status_code == 409 and "acknowledged" in again.json()["detail"]
        closed = client.post(f"/api/incidents/{incident_id}/resolve",
                             json={"who": "Minh", "note": "pole replaced"}).json()
        assert closed["status"] == "resolved" and closed["notes"][-1]["text"] == "pole replaced"
        assert client.get("/api/incidents", params={"status": "open"}).json()["incidents"] == []
        assert client.get("/api/kpis").json()["open_incidents"] == 0


@pytest.mark.parametrize(("path", "body", "status", "named"), [
    ("/api/incidents/999999/acknowledge", {"who": "Lan"}, 404, "999999"),
    ("/api/incidents/abc/acknowledge", {"who": "Lan"}, 400, "'abc'"),
    ("/api/incidents/{id}/acknowledge", {"who": ""}, 400, "who"),
    ("/api/incidents/{id}/resolve", {"who": "x" * 201}, 400, "who"),
])
def test_bad_incident_moves(incident_city, path, body, status, named):
    url, incident_id, _ = incident_city
    with client_for(url) as client:
        answer = client.post(path.replace("{id}", str(incident_id)), json=body)
    assert answer.status_code == status and named in str(answer.json()["detail"])


@pytest.fixture
def fresh_client(demo_database_url):
    with client_for(demo_database_url) as client:
        yield client


def test_an_unknown_status_is_refused(fresh_client):
    answer = fresh_client.get("/api/incidents", params={"status": "lost"})
    assert answer.status_code == 400 and "'lost'" in answer.json()["detail"]


def test_http_ingest_is_mounted(fresh_client, demo_database_url):
    client = fresh_client
    device = bearer(make_device(demo_database_url))  # only device keys may post
    stored = client.post("/api/live/devices/LUM-000002/state", headers=device,
                         json={"state": "off", "time": "2026-11-20T11:05:00Z"})
    assert stored.status_code == 200, stored.text
    live = client.get("/api/assets/LUM-000002").json()["live"]
    assert live["state"]["value"] == "off"
    refused = client.post("/api/live/devices/LUM-999999/state", json={"state": "off"},
                          headers=device)
    assert refused.status_code == 422


# -- raised by hand -------------------------------------------------------------------------------
def _written(url: str) -> tuple[int, int]:
    """How many incidents and audited raises the database holds."""
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = conn.execute(sa.text(
            "SELECT (SELECT count(*) FROM incidents), "
            "(SELECT count(*) FROM audit_log WHERE action = 'incident.raise')")).one()
    engine.dispose()
    return int(counts[0]), int(counts[1])


def test_an_operator_raises_an_incident_by_hand(demo_database_url):
    url = demo_database_url
    pipe, lamp = first_id(url, "water_pipes"), first_id(url, "luminaires")
    listen_url = url.replace("postgresql+psycopg://", "postgresql://")
    with client_for(url, role="operator") as operator, \
            psycopg.connect(listen_url, autocommit=True) as listener:
        listener.execute("LISTEN twin_live")
        answer = operator.post("/api/incidents", json={
            "kind": "burst_main", "title": "water across Lê Lợi street",
            "asset_ids": [pipe, lamp, pipe], "note": "caller: the road is flooded"})
        select.select([listener.fileno()], [], [], 5)
        told = [json.loads(n.payload) for n in listener.notifies(timeout=1, stop_after=5)]
        pipe_line = shape(operator.get(f"/collections/water_pipes/items/{pipe}").json()["geometry"])
        listed = operator.get("/api/incidents").json()["incidents"]
    assert answer.status_code == 201, answer.text
    raised = answer.json()
    assert (raised["kind"], raised["status"], raised["raised_by"], raised["title"]) == (
        "burst_main", "open", "hand", "water across Lê Lợi street")
    assert raised["asset_ids"] == [pipe, lamp]  # each asset once, in the order given
    assert raised["details"] == {"reported_by": "test-operator"}
    assert [(n["who"], n["text"]) for n in raised["notes"]] == [
        ("test-operator", "caller: the road is flooded")]
    # placed at the first asset, a pipe: its midpoint (to the GeoJSON's 7 decimals, ~1 cm)
    middle = pipe_line.interpolate(0.5, normalized=True)
    assert raised["position"] == pytest.approx([middle.x, middle.y], abs=1e-7)
    assert listed == [raised]  # as the list shows it
    assert [(t["kind"], t["id"], t["status"], t["asset_ids"]) for t in told] == [
        ("incident", raised["id"], "open", [pipe, lamp])]
    with client_for(url) as admin:
        audit = admin.get("/api/admin/audit", params={"table": "incidents",
                                                  "target": str(raised["id"])}).json()
    [entry] = audit["entries"]
    assert (entry["actor"], entry["role"], entry["action"], entry["table_name"]) == (
        "test-operator", "operator", "incident.raise", "incidents")
    assert entry["after"]["asset_ids"] == [pipe, lamp] and entry["before"] is None


def test_an_incident_raised_at_a_position_stays_there(demo_database_url):
    lamp = first_id(demo_database_url, "luminaires")
    with client_for(demo_database_url, role="operator") as operator:
        answer = operator.post("/api/incidents", json={
            "kind": "fallen_tree", "asset_ids": [lamp], "position": [106.2, 21.27]})
    assert answer.status_code == 201, answer.text
    assert answer.json()["position"] == [106.2, 21.27]
    assert answer.json()["title"] == f"fallen tree at {lamp}"


@pytest.mark.parametrize(("body", "named"), [
    ({"kind": "fire", "asset_ids": ["{lamp}", "LUM-999999"]}, "LUM-999999"),
    ({"kind": "fire", "asset_ids": ["NOPE-1"]}, "NOPE-1"),
    ({"kind": "Burst Main!", "asset_ids": ["{lamp}"]}, "'Burst Main!'"),
    ({"kind": "", "asset_ids": ["{lamp}"]}, "kind"),
    ({"kind": "fire", "asset_ids": []}, "asset_ids"),
    ({"kind": "fire", "asset_ids": ["{lamp}"], "position": [200, 21.27]}, "[200, 21.27]"),
    ({"kind": "fire", "asset_ids": ["{lamp}"], "position": [106.2, -91]}, "[106.2, -91]"),
    ({"kind": "fire", "asset_ids": ["{lamp}"], "position": [106.2]}, "position"),
    ({"kind": "fire", "asset_ids": ["{lamp}"], "title": ""}, "title"),
])
def test_a_bad_incident_is_refused_and_nothing_is_written(demo_database_url, body, named):
    lamp = first_id(demo_database_url, "luminaires")
    body = {**body, "asset_ids": [a.replace("{lamp}", lamp) for a in body["asset_ids"]]}
    before = _written(demo_database_url)
    with client_for(demo_database_url, role="operator") as operator:
        answer = operator.post("/api/incidents", json=body)
    assert answer.status_code == 400 and named in answer.json()["detail"], answer.text
    assert _written(demo_database_url) == before


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("engineer", 403), (None, 401)])
def test_only_operators_and_admins_raise_incidents(demo_database_url, role, status):
    body = {"kind": "fire", "asset_ids": [first_id(demo_database_url, "luminaires")]}
    with client_for(demo_database_url, role=role) as client:
        answer = client.post("/api/incidents", json=body)
    assert answer.status_code == status
    assert _written(demo_database_url) == (0, 0)


def test_the_cli_raises_as_the_api_does(demo_database_url):
    """``twin incidents raise`` goes the same way: placed at its first asset, the reporter kept,
    the same refusals."""
    env = {"TWIN_DATABASE_URL": demo_database_url}
    lamp = first_id(demo_database_url, "luminaires")
    run_twin("incidents", "raise", "fallen_tree", lamp, "--note", "tree on the lamp", env=env)
    refused = run_twin("incidents", "raise", "Fallen Tree", lamp, env=env, check=False)
    assert refused.returncode != 0 and "'Fallen Tree'" in refused.stderr + refused.stdout
    with client_for(demo_database_url) as admin:
        [raised] = admin.get("/api/incidents").json()["incidents"]
        where = admin.get(f"/collections/luminaires/items/{lamp}").json()["geometry"]
    assert raised["details"]["reported_by"] == cli_actor()
    assert raised["position"] == pytest.approx(where["coordinates"], abs=1e-7)
    assert [n["text"] for n in raised["notes"]] == ["tree on the lamp"]
    assert _written(demo_database_url) == (1, 1)
