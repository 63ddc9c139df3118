"""Traces and isolation segments on the hand-worked tiny city (tests/sim_fixtures)."""

from __future__ import annotations

import pytest

from simulation.snapshot import load_snapshot
from tests.sim_fixtures import write_tiny_city
from twin.errors import InvalidInput


@pytest.fixture
def tiny(conn):
    write_tiny_city(conn)
    return load_snapshot(conn)


def test_downstream_of_a_switch_is_what_it_feeds(tiny):
    result = tiny.trace("power", "SW-000002", "downstream")
    assert result.assets == {"power_lines": ["PL-000002"], "power_switches": ["SW-000002"],
                             "service_points": ["SP-000001", "SP-000002"],
                             "transformers": ["TR-000001"]}


def test_upstream_of_a_service_point_is_its_feeding_path(tiny):
    result = tiny.trace("power", "SP-000001", "upstream")
    assert result.assets == {"power_lines": ["PL-000001", "PL-000002"],
                             "power_switches": ["SW-000001", "SW-000002"],
                             "service_points": ["SP-000001"], "substations": ["SUB-000001"],
                             "transformers": ["TR-000001"]}


def test_connected_and_subnetwork_stop_at_the_open_tie(tiny):
    connected = tiny.trace("power", "SUB-000002", "connected")
    assert connected.assets["service_points"] == ["SP-000003"]
    assert "SW-000003" not in connected.assets["power_switches"]
    fed = tiny.trace("power", "SP-000001", "subnetwork")
    assert fed.assets["substations"] == ["SUB-000001"]
    assert fed.assets["service_points"] == ["SP-000001", "SP-000002"]


def test_roads_trace_connected_but_have_no_upstream(tiny):
    assert len(tiny.trace("road", "RD-000003", "connected").assets["roads"]) == 5
    with pytest.raises(InvalidInput, match="no sources"):
        tiny.trace("road", "RD-000003", "upstream")


def test_bad_trace_requests_are_refused(tiny):
    with pytest.raises(InvalidInput, match="direction 'sideways'"):
        tiny.trace("power", "SP-000001", "sideways")
    with pytest.raises(InvalidInput, match="not an element of the water network"):
        tiny.trace("water", "SP-000001", "connected")


def test_valve_segments_group_what_the_valves_enclose(tiny):
    segments = tiny.valve_segments("water")
    node = segments.node_segment
    assert segments.count == 3
    assert node["WN-000001"] == node["WN-000002"] == node["WN-000003"] == node["WN-000010"]
    assert node["WN-000004"] == node["WN-000005"] == node["WN-000008"]
    assert node["WN-000006"] == node["WN-000007"] == node["WN-000009"]
    assert len({node["WN-000001"], node["WN-000004"], node["WN-000006"]}) == 3
    edge = segments.edge_segment
    assert "WE-000020" not in edge                       # WV-1 is a barrier, in no segment
    assert edge["WE-000011"] == node["WN-000004"]         # WP-2
    assert tiny.valve_segments("power").count == 6       # switches and transformers bound them
