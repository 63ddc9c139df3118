"""Outages, cascades, isolation and restoration on the hand-worked tiny city (tests/sim_fixtures)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from simulation.outage import run_outage
from simulation.snapshot import load_snapshot
from simulation.state import ScenarioChanges
from tests.sim_fixtures import by_minute, write_tiny_city
from twin.errors import InvalidInput
from twin.live import live_current

LV_SIDE = {"PN-000004", "PN-000005", "PN-000006", "PN-000007", "PN-000020", "PN-000021"}


@pytest.fixture
def tiny(conn):
    write_tiny_city(conn)
    return load_snapshot(conn)


def test_a_line_fault_cascades_across_networks_on_a_timeline(tiny):
    result = tiny.outage(["PL-000001"])
    assert result.dead_nodes["power"] == LV_SIDE
    assert result.affected["service_points"] == ["SP-000001", "SP-000002"]
    assert result.affected["power_lines"] == ["PL-000001", "PL-000002"]
    assert result.affected["transformers"] == ["TR-000001"]
    minute = by_minute(result.timeline)
    assert minute["PL-000001"] == 0 and minute["LUM-000001"] == 0
    # the pump stops with its transformer, and the water behind it (no other source) goes
    assert minute["WPU-000001"] == 0 and minute["WSC-000001"] == minute["WSC-000002"] == 0
    assert minute["CAM-000001"] == 120          # 2 h battery, before its cabinet goes
    assert minute["CAB-000001"] == 240          # 4 h battery
    assert minute["ONT-000001"] == minute["SEN-000001"] == 240   # the cabinet takes them down
    assert [t["minute"] for t in result.timeline] == sorted(t["minute"] for t in result.timeline)
    assert result.customers_by_network == {"power": 15, "water": 50, "telecom": 3,
                                           "drainage": 0, "road": 0}
    assert result.customers == 68
    assert result.street_length_m == 100.0     # RD-1, lit by LUM-1, goes dark
    assert "SUB-000002" not in str(result.affected)


def test_restoration_closes_the_tie_within_capacity(tiny):
    result = tiny.outage(["PL-000001"])
    acts = [(a["action"], a["asset_id"]) for a in result.actions]
    assert acts == [("open", "SW-000001"), ("open", "SW-000002"), ("close", "SW-000003")]
    # 135 kW · 0.5 / 0.9 = 75 kVA picked up; PL-3 carries 1000 · 0.5 / 0.9 = 556 of 3,811 kVA
    assert "75 kVA" in result.actions[2]["why"] and "3,180 kVA to spare" in result.actions[2]["why"]
    assert result.restored["service_points"] == ["SP-000001", "SP-000002"]
    assert result.refused == []


def test_restoration_is_refused_past_capacity(conn):
    write_tiny_city(conn, feeder_b_kw=6800.0)   # PL-3 already carries 3,778 of its 3,811 kVA
    result = load_snapshot(conn).outage(["PL-000001"])
    assert [a["action"] for a in result.actions] == ["open", "open"]
    assert result.restored == {}
    (refused,) = result.refused
    assert refused["asset_id"] == "SW-000003" and refused["network"] == "power"
    assert "PL-000003" in refused["reason"] and "42 kVA" in refused["reason"]


def test_a_road_closure_cuts_access_to_what_lies_behind_it(tiny):
    bridge = tiny.outage(["RD-000002"])
    assert bridge.affected == {"roads": ["RD-000002", "RD-000003"]}
    assert bridge.street_length_m == 80.0
    assert {t["asset_id"]: t["cause"] for t in bridge.timeline}["RD-000003"] == "no access"
    looped = tiny.outage(["RD-000004"])
    assert looped.affected == {"roads": ["RD-000004"]} and looped.street_length_m == 70.0


def test_a_water_break_is_shut_in_by_its_valves(tiny):
    result = tiny.isolate("WP-000002")
    assert result.isolable
    assert [(a["action"], a["asset_id"]) for a in result.operate] == [
        ("close", "WV-000001"), ("close", "WV-000002")]
    assert result.isolated["water_pipes"] == ["WP-000002"]
    assert result.isolated["water_service_connections"] == ["WSC-000001"]
    assert result.affected["water_service_connections"] == ["WSC-000001", "WSC-000002"]
    assert result.customers == 50
    # the normally closed WV-3 can feed the segment beyond the break from the other side
    assert ("open", "WV-000003") in [(a["action"], a["asset_id"]) for a in result.outage.actions]
    assert result.outage.restored == {"water_junctions": ["WJ-000003"],
                                      "water_service_connections": ["WSC-000002"]}


def test_a_break_next_to_the_source_takes_all_water(tiny):
    result = tiny.isolate("WP-000001")
    assert [a["asset_id"] for a in result.operate] == ["WV-000001"]
    assert result.already_shut == ["WV-000003"]
    assert result.customers == 50


def test_a_break_no_valve_bounds_is_not_isolable(tiny):
    stuck = ScenarioChanges.of(failed=["WV-000001", "WV-000002", "WV-000003"])
    result = tiny.isolate("WP-000002", changes=stuck)
    assert not result.isolable and result.operate == []
    assert result.to_json()["isolable"] is False


def test_power_isolation_opens_the_switches_around_the_fault(tiny):
    result = tiny.isolate("PL-000002")
    # SW-2 leads back to a source; TR-1 leads only to its own LV network, which stays shut in
    assert [(a["action"], a["asset_id"]) for a in result.operate] == [("open", "SW-000002")]
    assert result.already_shut == ["SW-000003"]
    assert result.affected["service_points"] == ["SP-000001", "SP-000002"]
    # the tie ends in the isolated segment: nothing beyond it can be picked up
    assert result.outage.restored == {} and len(result.outage.actions) == 1


def test_live_states_and_scenario_changes_set_the_start(conn):
    write_tiny_city(conn)
    conn.execute(sa.insert(live_current), [
        {"asset_id": "SW-000003", "property": "state", "observed_at": datetime.now(UTC),
         "value_text": "closed"},
        {"asset_id": "SP-000002", "property": "state", "observed_at": datetime.now(UTC),
         "value_text": "failed"}])
    snap = load_snapshot(conn, live=True)
    # the tie reported closed feeds PN-4 onwards from SUB-2
    live = snap.outage(["PL-000001"])
    assert live.customers_by_network["power"] == 0
    assert live.dead_nodes["power"] == {"PN-000021"}   # SP-2 reported failed, nothing else
    # a scenario that opens the tie again wins over the report
    reopened = snap.outage(["PL-000001"], changes=ScenarioChanges.of(opened=["SW-000003"]))
    assert reopened.customers_by_network["power"] == 10
    assert "SP-000002" not in reopened.affected["service_points"]
    assert load_snapshot(conn, live=False).outage(["PL-000001"]).customers_by_network[
        "power"] == 15


def test_several_assets_fail_together(tiny):
    result = tiny.outage(["RD-000002", "CAB-000001"])
    assert result.failed == ["RD-000002", "CAB-000001"]
    assert set(result.affected) == {"roads", "telecom_cabinets", "customer_terminals",
                                    "fibre_cables", "cameras", "sensors"}
    assert by_minute(result.timeline)["CAM-000001"] == 0


def test_unknown_asset_ids_are_refused_by_name(tiny):
    with pytest.raises(InvalidInput, match="unknown asset ids: 'NOPE-000001', 'PL-999999'"):
        tiny.outage(["PL-000001", "NOPE-000001", "PL-999999"])
    with pytest.raises(InvalidInput, match="at least one"):
        tiny.outage([])


def test_geojson_marks_failed_affected_and_operated_assets(conn, tiny):
    collection = tiny.outage(["PL-000001"]).to_geojson(conn)
    roles = {f["properties"]["asset_id"]: f["properties"]["role"]
             for f in collection["features"]}
    assert roles["PL-000001"] == "failed"
    assert roles["SP-000001"] == "affected"
    assert roles["SW-000003"] == roles["SW-000001"] == "operate"
    feature = next(f for f in collection["features"] if f["id"] == "LUM-000001")
    assert feature["geometry"]["type"] == "Point" and feature["properties"]["layer"] == "luminaires"


def test_the_convenience_wrapper_reads_the_twin(conn):
    write_tiny_city(conn)
    assert run_outage(conn, ["TR-000001"]).customers_by_network["power"] == 15
