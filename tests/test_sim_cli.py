"""``twin simulate outage | isolate | criticality`` as a user runs them, on the tiny city."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_twin
from tests.sim_fixtures import write_tiny_city
from twin.scenarios import load_scenario


@pytest.fixture
def tiny_url(engine, database_url):
    with engine.begin() as conn:
        write_tiny_city(conn)
    return database_url


def test_outage_json_and_saved_scenario(tiny_url, engine):
    env = {"TWIN_DATABASE_URL": tiny_url}
    done = run_twin("simulate", "outage", "--asset", "PL-000001", "--asset", "RD-000002",
                    "--json", "--save", "feeder fault", env=env)
    data = json.loads(done.stdout)
    assert list(data)[:4] == ["affected", "customers", "actions", "timeline"]
    assert data["customers"] == 68
    assert data["affected"]["roads"] == ["RD-000002", "RD-000003"]
    assert set(data["timeline"][0]) == {"minute", "layer", "asset_id", "cause"}
    assert {"action", "asset_id"} <= set(data["actions"][0])
    stored = load_scenario(engine, "feeder fault")
    assert stored.kind == "outage" and stored.result == data
    assert stored.parameters == {"assets": ["PL-000001", "RD-000002"], "live": True}


def test_isolate_and_criticality_json(tiny_url):
    env = {"TWIN_DATABASE_URL": tiny_url}
    isolation = json.loads(run_twin("simulate", "isolate", "--asset", "WP-000002", "--json",
                                    env=env).stdout)
    assert [a["asset_id"] for a in isolation["operate"]] == ["WV-000001", "WV-000002"]
    assert isolation["customers"] == 50 and isolation["isolable"] is True
    ranking = json.loads(run_twin("simulate", "criticality", "--network", "power", "--json",
                                  env=env).stdout)["ranking"]
    assert ranking[0]["customers"] == 15 and {"asset_id", "customers"} <= set(ranking[0])
    assert [r["customers"] for r in ranking] == sorted((r["customers"] for r in ranking),
                                                       reverse=True)


def test_an_unknown_asset_is_one_clear_error(tiny_url):
    done = run_twin("simulate", "outage", "--asset", "PL-424242", "--json",
                    env={"TWIN_DATABASE_URL": tiny_url}, check=False)
    assert done.returncode == 1 and done.stdout == ""
    assert "error: unknown asset id: 'PL-424242'" in done.stderr
    assert "Traceback" not in done.stderr
