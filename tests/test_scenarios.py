"""Named scenarios round-trip through PostGIS; names are unique unless replaced."""

import pytest

from twin.errors import InvalidInput
from twin.scenarios import delete_scenario, list_scenarios, load_scenario, save_scenario


def test_a_scenario_round_trips_and_a_taken_name_is_refused(conn):
    result = {"affected": {"luminaires": ["LUM-000001"]}, "customers": 3}
    saved = save_scenario(conn, "feeder 2 down", "outage", {"assets": ["TRF-000001"]}, result)
    assert load_scenario(conn, "feeder 2 down") == saved
    assert saved.result == result and saved.kind == "outage"
    with pytest.raises(InvalidInput, match="a scenario named 'feeder 2 down' exists"):
        save_scenario(conn, "feeder 2 down", "outage", {}, {})
    replaced = save_scenario(conn, "feeder 2 down", "outage", {"assets": []}, {"customers": 0},
                             replace=True)
    assert load_scenario(conn, "feeder 2 down").result == {"customers": 0} == replaced.result


def test_scenarios_are_listed_by_kind_and_deleted(conn):
    save_scenario(conn, "a", "outage", {}, {})
    save_scenario(conn, "b", "lighting", {}, {})
    assert [s.name for s in list_scenarios(conn, kind="lighting")] == ["b"]
    assert {s.name for s in list_scenarios(conn)} == {"a", "b"}
    delete_scenario(conn, "a")
    with pytest.raises(InvalidInput, match="no scenario named 'a'"):
        load_scenario(conn, "a")
    with pytest.raises(InvalidInput, match="no scenario named 'a'"):
        delete_scenario(conn, "a")
