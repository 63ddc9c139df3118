"""Parallel edges and control valves, on networks compiled in memory (no database).

Two pipes or cables between the same nodes once made scipy's strongly connected components
never return, so every check runs in a child process with a time limit: a hang fails the test
instead of stopping the suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.sim_fixtures import compiled_network, memory_snapshot

CHILD_SECONDS = 60
ROOT = Path(__file__).resolve().parent.parent


def in_child(check: str) -> None:
    """Run ``check`` (a function of this module) in a child process, failing on a hang."""
    code = f"from tests.test_sim_graph import {check}; {check}()"
    try:
        child = subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=ROOT,
                               capture_output=True, text=True, timeout=CHILD_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{check} did not return within {CHILD_SECONDS} s (a graph search hangs)")
    assert child.returncode == 0, child.stderr[-3000:]


def parallel_water():
    """WS-1 ─WP-1─ WN2 ═WP-2, WP-3═ WN3 ═WV-1, WV-2 (gates)═ WN4 ─WV-3 (PRV)─ WN5 ─WP-4─ WSC-1.

    Segments: {WN1, WN2, WN3} and {WN4, WN5, WN6}; the PRV bounds nothing."""
    nodes = [("WN-1", "source", True, "WS-000001"), ("WN-2", "junction", False, None),
             ("WN-3", "junction", False, None), ("WN-4", "junction", False, None),
             ("WN-5", "junction", False, None), ("WN-6", "consumer", False, "WSC-000001")]
    edges = [("WE-1", "WN-1", "WN-2", "pipe", "WP-000001", True),
             ("WE-2", "WN-2", "WN-3", "pipe", "WP-000002", True),
             ("WE-3", "WN-3", "WN-2", "pipe", "WP-000003", True),
             ("WE-4", "WN-3", "WN-4", "valve", "WV-000001", True),
             ("WE-5", "WN-4", "WN-3", "valve", "WV-000002", True),
             ("WE-6", "WN-4", "WN-5", "valve", "WV-000003", True),
             ("WE-7", "WN-5", "WN-6", "pipe", "WP-000004", True)]
    return compiled_network("water", nodes, edges, customers={"WSC-000001": 7.0},
                            not_isolating=frozenset({"WV-000003"}))


def parallel_power():
    """SUB-1 ─PL-1─ B2 ═PL-2, PL-3═ B3 ─PL-4─ SP-1 (3 customers)."""
    nodes = [("PN-1", "substation", True, "SUB-000001"), ("PN-2", "bus", False, None),
             ("PN-3", "bus", False, None), ("PN-4", "consumer", False, "SP-000001")]
    edges = [("PE-1", "PN-1", "PN-2", "line", "PL-000001", True),
             ("PE-2", "PN-2", "PN-3", "line", "PL-000002", True),
             ("PE-3", "PN-2", "PN-3", "line", "PL-000003", True),
             ("PE-4", "PN-3", "PN-4", "cable", "PL-000004", True)]
    return compiled_network("power", nodes, edges, customers={"SP-000001": 3.0})


def check_components_of_a_duplicate_entry_matrix():
    from simulation._graph import Adjacency

    graph = Adjacency(2, np.array([0, 0]), np.array([1, 1]))   # the 2 × 2 matrix that hung
    live = np.ones(2, dtype=bool)
    assert graph.components(live).tolist() == [0, 0]
    assert graph.reach(live, np.array([0])).tolist() == [True, True]
    parent = graph.forest(live, np.array([0]))
    assert parent.tolist() == [-1, 0] and graph.tree_edges(live, parent).tolist() == [-1, 0]


def check_water_segments_isolation_and_criticality():
    water = parallel_water()
    assert water.is_barrier.tolist() == [False, False, False, True, True, False, False]
    snap = memory_snapshot(water, parallel_power())
    segments = snap.valve_segments("water")
    assert segments.count == 2
    assert segments.node_segment == {"WN-1": 0, "WN-2": 0, "WN-3": 0, "WN-4": 1, "WN-5": 1,
                                     "WN-6": 1}
    assert segments.edge_segment == {"WE-1": 0, "WE-2": 0, "WE-3": 0, "WE-6": 1, "WE-7": 1}
    isolation = snap.isolate("WP-000004")
    assert [(a["action"], a["asset_id"]) for a in isolation.operate] == [
        ("close", "WV-000001"), ("close", "WV-000002")]
    assert isolation.isolated["water_valves"] == ["WV-000003"]
    lost = {r["asset_id"]: r["customers"] for r in snap.criticality("water").ranking}
    assert lost == {"WS-000001": 7, "WSC-000001": 7, "WP-000001": 7, "WP-000002": 7,
                    "WP-000003": 7, "WP-000004": 7, "WV-000001": 7, "WV-000002": 7,
                    "WV-000003": 7}


def check_parallel_lines_carry_each_other():
    snap = memory_snapshot(parallel_water(), parallel_power())
    lost = {r["asset_id"]: r["customers"] for r in snap.criticality("power").ranking}
    assert lost == {"SUB-000001": 3, "PL-000001": 3, "PL-000002": 0, "PL-000003": 0,
                    "PL-000004": 3, "SP-000001": 3}
    assert snap.outage(["PL-000002"]).customers == 0
    both = snap.outage(["PL-000002", "PL-000003"])
    assert both.dead_nodes["power"] == {"PN-3", "PN-4"} and both.customers == 3
    assert snap.dead_nodes(["PL-000002", "PL-000003"])["power"] == {"PN-3", "PN-4"}
    assert snap.trace("power", "PL-000002", "connected").nodes == {"PN-1", "PN-2", "PN-3",
                                                                   "PN-4"}


def test_components_of_a_matrix_with_duplicate_entries():
    in_child("check_components_of_a_duplicate_entry_matrix")


def test_parallel_pipes_with_control_valves_segment_as_wntr():
    in_child("check_water_segments_isolation_and_criticality")


def test_parallel_lines_carry_each_other():
    in_child("check_parallel_lines_carry_each_other")
