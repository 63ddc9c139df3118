"""Incidents through the app API (``twin.live``), KPIs by ward, and the live HTTP ingest
mounted under /api/live."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.web_fixtures import bearer, client_for, make_device
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
