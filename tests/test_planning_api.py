"""``/api/planning`` through the app, on the small city of tests/planning_support.py: the
figures as JSON, ward names, bad parameters, the choropleth, and edits that need
PLANNING_EDIT and land in the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from tests.planning_support import W1, W2, W3, database_of, planning_city
from tests.web_fixtures import client_for


@pytest.fixture(scope="module")
def city_url(server_url: str, template_url: str) -> Iterator[str]:
    with database_of(planning_city(), server_url, template_url) as engine:
        yield engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def client(city_url: str) -> Iterator[Any]:
    with client_for(city_url, role="viewer") as viewer:
        yield viewer


def test_inventory_rows(client):
    answer = client.get("/api/planning/inventory", params={"level": "ward"})
    assert answer.status_code == 200, answer.text
    rows = {(r["area_code"], r["layer"]): r for r in answer.json()["rows"]}
    assert rows[(W1, "water_pipes")]["count"] == 4
    assert rows[(W3, "water_pipes")]["count"] == 0 and rows[(W3, "water_pipes")]["length_m"] == 0
    assert rows[(W1, "luminaires")]["length_m"] is None


@pytest.mark.parametrize("path", ["/api/planning/age-profile", "/api/planning/materials",
                                  "/api/planning/renewal", "/api/planning/targets"])
def test_each_roll_up_answers_rows_for_a_ward_by_name(client, path):
    answer = client.get(path, params={"level": "ward", "ward": "song mai"})
    assert answer.status_code == 200, answer.text
    assert {r["area_code"] for r in answer.json()["rows"]} == {W2}


def test_summary_of_a_ward_and_of_the_city(client):
    ward = client.get("/api/planning/summary", params={"ward": "Trần Phú", "year": 2026}).json()
    assert ward["area"] == {"level": "ward", "code": W1, "name": "Phường Trần Phú"}
    assert {r["area_code"] for r in ward["inventory"]} == {W1}
    assert ward["energy"]["year"] == 2026 and ward["energy"]["burning_h"] > 4000
    assert {r["metric"] for r in ward["targets"]} == {
        "fibre_households", "fibre_groups", "camera_junctions", "lamps_working"}
    assert ward["unit_costs"] and ward["parameters"]
    whole = client.get("/api/planning/summary").json()
    assert whole["area"]["level"] == "city"
    assert {r["area_level"] for r in whole["inventory"]} == {"city"}


def test_an_unknown_ward_is_404_and_a_bad_level_400(client):
    answer = client.get("/api/planning/summary", params={"ward": "Tran Pho"})
    assert answer.status_code == 404
    assert "unknown ward 'Tran Pho'" in answer.json()["detail"]
    assert client.get("/api/planning/inventory", params={"level": "province"}).status_code == 400
    assert client.get("/api/planning/renewal", params={"years": 0}).status_code == 400


def test_energy_and_a_what_if(client):
    energy = client.get("/api/planning/energy", params={"year": 2026}).json()
    city = next(r for r in energy["by_ward"] if r["area_code"] == "city")
    assert city["luminaires"] == 3 and city["kwh"] > 0
    answer = client.post("/api/planning/energy/what-if", params={"year": 2026},
                         json={"dimming_profile": "midnight-50"})
    assert answer.status_code == 200, answer.text
    assert set(answer.json()["what_if"]) >= {"saved_kwh", "failing_roads", "lighting_check",
                                             "capex_vnd", "payback_years", "after"}
    refused = client.post("/api/planning/energy/what-if", json={})
    assert refused.status_code == 400
    assert "needs a dimming schedule or retrofit_roads" in refused.json()["detail"]
    unknown = client.post("/api/planning/energy/what-if", json={"dimming_profile": "nope"})
    assert unknown.status_code == 400 and "unknown dimming profile 'nope'" in unknown.text
    late = client.post("/api/planning/energy/what-if", json={"dimming_schedule": [["25:00", 1]]})
    assert late.status_code == 400 and "time must be HH:MM (24 h), got '25:00'" in late.text


def test_the_choropleth(client):
    answer = client.get("/api/planning/choropleth", params={"metric": "fibre_households"})
    assert answer.status_code == 200
    features = {f["properties"]["code"]: f["properties"] for f in answer.json()["features"]}
    assert features[W1] == {"code": W1, "name": "Phường Trần Phú", "value": 0.3, "target": 0.8}
    assert features[W3]["value"] is None
    counts = client.get("/api/planning/choropleth", params={"metric": "count:luminaires"}).json()
    assert {f["properties"]["code"]: f["properties"]["value"] for f in counts["features"]} == {
        W1: 2, W2: 1, W3: 0}
    bad = client.get("/api/planning/choropleth", params={"metric": "happiness"})
    assert bad.status_code == 400 and "unknown metric 'happiness'" in bad.json()["detail"]


def test_editing_needs_planning_edit_and_is_audited(server_url, template_url):
    with database_of(planning_city(), server_url, template_url) as engine:
        url = engine.url.render_as_string(hide_password=False)
        path = "/api/planning/unit-costs/water_pipes/steel"
        with client_for(url, role=None) as anonymous:
            assert anonymous.put(path, json={"cost_vnd": 1}).status_code == 401
        with client_for(url, role="viewer") as viewer:
            assert viewer.put(path, json={"cost_vnd": 1}).status_code == 403
        with client_for(url, role="engineer") as engineer:
            before = engineer.get("/api/planning/summary").json()
            assert next(r for r in before["targets"]
                        if r["metric"] == "fibre_households")["target"] == 0.8
            answer = engineer.put(path, json={"cost_vnd": 1_000_000, "service_life_y": 60})
            assert answer.status_code == 200, answer.text
            assert answer.json()["assumption"] is False
            rows = engineer.get("/api/planning/unit-costs").json()["rows"]
            steel = next(r for r in rows if (r["layer"], r["material"]) == ("water_pipes",
                                                                            "steel"))
            assert (steel["cost_vnd"], steel["service_life_y"]) == (1_000_000, 60)
            target = engineer.put("/api/planning/targets/settings/fibre_households",
                                  json={"target": 0.9})
            assert target.status_code == 200 and target.json()["target"] == 0.9
            tariff = engineer.put("/api/planning/parameters/tariff_vnd_per_kwh",
                                  json={"value": 2500})
            assert tariff.status_code == 200
            assert engineer.put(path, json={"cost_vnd": -5}).status_code == 400
            assert engineer.put("/api/planning/unit-costs/nothing/x",
                                json={"cost_vnd": 5}).status_code == 400
            summary = engineer.get("/api/planning/summary").json()
            households = next(r for r in summary["targets"] if r["metric"] == "fibre_households")
            assert households["target"] == 0.9, "the view's cached summary follows the edit"
            assert engineer.get("/api/planning/summary").json() == summary
        with engine.connect() as conn:
            actions = conn.execute(sa.text(
                "SELECT action, target FROM audit_log WHERE action LIKE 'planning.%' "
                "ORDER BY id")).all()
        assert [tuple(a) for a in actions] == [
            ("planning.unit_cost", "water_pipes/steel"),
            ("planning.target", "fibre_households"),
            ("planning.parameter", "tariff_vnd_per_kwh")]


def test_a_what_if_or_report_is_refused_while_another_runs_and_kept_once_made(client):
    """One heavy computation at a time per process: with the slot taken, a new what-if and a
    report are 503 with Retry-After; once made, the same request at the same data version is
    answered from what was kept, even while the slot is taken."""
    from web.planning_cache import HEAVY

    ask = {"params": {"year": 2026, "ward": W1}, "json": {"dimming_profile": "dusk-dawn-70"}}
    report = {"ward": W2, "format": "html", "what_ifs": "false"}
    with HEAVY:
        busy = client.post("/api/planning/energy/what-if", **ask)
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "30"
        assert "busy" in busy.json()["detail"]
        assert client.get("/api/planning/report", params=report).status_code == 503
    made = client.post("/api/planning/energy/what-if", **ask)
    assert made.status_code == 200, made.text
    file = client.get("/api/planning/report", params=report)
    assert file.status_code == 200
    with HEAVY:
        again = client.post("/api/planning/energy/what-if", **ask)
        assert again.status_code == 200 and again.json() == made.json()
        assert client.get("/api/planning/report", params=report).content == file.content
