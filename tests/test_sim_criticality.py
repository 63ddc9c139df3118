"""Criticality: hand-worked on the tiny city, and equal to one outage per element (brute force)
on the small demo city."""

from __future__ import annotations

import pytest

from simulation.snapshot import load_snapshot
from tests.sim_fixtures import write_tiny_city
from twin.errors import InvalidInput


@pytest.fixture
def tiny(conn):
    write_tiny_city(conn)
    return load_snapshot(conn)


def _customers(result):
    return {row["asset_id"]: row["customers"] for row in result.ranking}


def test_power_criticality_of_the_tiny_city(tiny):
    result = tiny.criticality("power")
    lost = _customers(result)
    assert lost["SUB-000001"] == lost["PL-000001"] == lost["TR-000001"] == 15
    assert lost["SP-000001"] == 10 and lost["SW-000003"] == 0   # an open tie carries nothing
    assert result.ranking[0]["customers"] == 15
    row = next(r for r in result.ranking if r["asset_id"] == "TR-000001")
    assert row["dependants"] == {"cameras": 1, "luminaires": 1, "telecom_cabinets": 1,
                                 "water_pumps": 1}
    customers = [r["customers"] for r in result.ranking]
    assert customers == sorted(customers, reverse=True)


def test_water_criticality_is_by_valve_segment(tiny):
    lost = _customers(tiny.criticality("water"))
    # WV-3 is normally closed: S2 hangs on S1 alone
    assert lost["WP-000002"] == lost["WSC-000001"] == 50
    assert lost["WP-000003"] == lost["WJ-000003"] == 30
    assert lost["WV-000002"] == 50          # shuts S1 and S2
    assert lost["WPU-000001"] == lost["WS-000001"] == 50


def test_road_criticality_is_what_a_closure_cuts_off(tiny):
    rows = {r["asset_id"]: r for r in tiny.criticality("road").ranking}
    assert rows["RD-000002"]["street_length_m"] == 80.0 and rows["RD-000002"]["nodes_lost"] == 2
    assert rows["RD-000003"]["street_length_m"] == 30.0
    assert rows["RD-000001"]["street_length_m"] == 100.0 and rows["RD-000001"]["nodes_lost"] == 0


def test_an_unknown_network_is_refused(tiny):
    with pytest.raises(InvalidInput, match="unknown network 'gas'"):
        tiny.criticality("gas")


@pytest.mark.slow
@pytest.mark.parametrize("network", ["power", "water", "telecom", "road"])
def test_criticality_equals_one_outage_per_element(demo_conn, network):
    snap = load_snapshot(demo_conn, live=False)
    ranking = snap.criticality(network).ranking
    assert len(ranking) > 100
    for row in ranking:
        outage = snap.outage([row["asset_id"]])
        if network == "road":
            assert outage.street_length_m == pytest.approx(row["street_length_m"], abs=0.11)
        else:
            assert outage.customers_by_network[network] == row["customers"], row
