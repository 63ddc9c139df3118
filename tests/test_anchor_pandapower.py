"""pandapower as the anchor of power outages: its shipped networks loaded through the adapter
(``ingest.pandapower``) into a real PostGIS, then every single line and transformer outage
compared with ``pandapower.topology.unsupplied_buses`` (and its customers with the loads there:
the adapter makes each load a service point of one customer).

Reference: pandapower's own graph (``create_nxgraph``) with the element's edge taken out, which is
what ``unsupplied_buses`` builds once the element is out of service (checked literally, by
setting ``in_service=False``, on every ``LITERAL_EVERY``-th element). Compared: the in-service
buses without supply, base-case ones included; out-of-service buses are in neither.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import pandapower.topology as top
import pytest
from shapely.geometry import Point
from sqlalchemy import func, select

from ingest.pandapower import PandapowerImport, import_pandapower, pandapower_dataset
from layers import LAYERS
from tests.anchor_fixtures import pandapower_network
from twin.city import BAC_GIANG
from twin.errors import InvalidInput
from twin.read import read_layer, read_network

ANCHORS = ("mv_oberrhein", "lv_schutterwald")
LITERAL_EVERY = 25
"""Every this many elements, the reference is also computed the literal way (in_service=False)."""


@pytest.fixture(scope="module")
def anchors(module_engine) -> dict[str, tuple[Any, PandapowerImport]]:
    """Both anchor networks imported into one twin, with the ids their elements became."""
    imported = {}
    for name in ANCHORS:
        net = pandapower_network(name)
        imported[name] = net, import_pandapower(module_engine, net)
    return imported


@pytest.fixture(scope="module")
def snapshot(module_engine, anchors):
    from simulation.snapshot import load_snapshot

    return load_snapshot(module_engine, live=False)


def _bus_parts(graph: nx.MultiGraph, buses: dict[str, int], in_service: set[int]) -> set:
    """The connected parts of ``graph`` as sets of in-service pandapower buses."""
    parts = ({buses[n] for n in part if n in buses} & in_service
             for part in nx.connected_components(graph))
    return {frozenset(p) for p in parts if p}


# -- the adapter --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ANCHORS)
def test_every_element_is_written_once(module_engine, anchors, name):
    net, result = anchors[name]
    assert len(result.bus_nodes) == len(net.bus)
    assert (len(result.line_assets), len(result.trafo_assets), len(result.switch_assets),
            len(result.substation_assets), len(result.load_assets)) == (
        len(net.line), len(net.trafo), len(net.switch), len(net.ext_grid), len(net.load))
    line_switches = int((net.switch["et"] != "b").sum())
    assert result.written == {
        "substations": len(net.ext_grid), "power_lines": len(net.line),
        "transformers": len(net.trafo), "power_switches": len(net.switch),
        "service_points": len(net.load),
        "network_nodes": len(net.bus) + line_switches + len(net.load),
        "network_edges": len(net.line) + len(net.trafo) + len(net.switch) + len(net.load)}
    lines = read_layer(module_engine, "power_lines", ids=result.line_assets.values(),
                       columns=["source_ref", "voltage_kv", "construction"])
    first = int(net.line.index[0])
    assert lines.loc[result.line_assets[first], "source_ref"] == f"{net.name}:line/{first}"
    assert set(lines["construction"]) == {"underground" if t == "cs" else "overhead"
                                          for t in net.line["type"]}
    assert set(lines["voltage_kv"]) <= set(net.bus["vn_kv"])


@pytest.mark.parametrize("name", ANCHORS)
def test_topology_is_pandapowers_graph(module_engine, anchors, name):
    net, result = anchors[name]
    power = read_network(module_engine, "power")
    buses = {node: bus for bus, node in result.bus_nodes.items()}
    on = set(net.bus.index)
    assert _bus_parts(power.to_networkx(), buses, on) == {
        frozenset(p) for p in nx.connected_components(top.create_nxgraph(net))}
    sources = set(power.sources) & set(result.bus_nodes.values())
    assert sources == {result.bus_nodes[b] for b in net.ext_grid["bus"]}


def test_out_of_service_elements_and_open_switches(engine):
    """A small network with a three-winding transformer, bus-bus, line and transformer
    switches, an out-of-service bus, line and switch changes: the same parts as pandapower."""
    net = pandapower_network("example_multivoltage")
    net.bus.loc[net.bus.index[20], "in_service"] = False
    net.line.loc[net.line.index[3], "in_service"] = False
    net.trafo3w.loc[net.trafo3w.index[0], "in_service"] = False
    net.switch.loc[net.switch.index[net.switch["et"] == "b"][0], "closed"] = False
    assert len(net.trafo3w) and set(net.switch["et"]) >= {"b", "l", "t"}
    result = import_pandapower(engine, net, name="multivoltage")
    buses = {node: bus for bus, node in result.bus_nodes.items()}
    on = set(net.bus.index[net.bus["in_service"]])
    graph = read_network(engine, "power").to_networkx()
    assert _bus_parts(graph, buses, on) == {
        frozenset(p) for p in nx.connected_components(top.create_nxgraph(net))}
    assert len(result.trafo3w_assets) == len(net.trafo3w)


def test_network_without_geodata_is_drawn_around_the_city_centre(engine):
    net = pandapower_network("example_simple")
    assert net.bus["geo"].isna().all()
    dataset = pandapower_dataset(net)
    assert any("schematic" in note for note in dataset.notes)
    import_pandapower(engine, net, name="simple")
    nodes = read_network(engine, "power").nodes.to_crs(BAC_GIANG.metric_crs)
    x, y = BAC_GIANG.centre_metric()
    assert nodes.distance(Point(x, y)).max() < 500


BROKEN = {
    "line 0: column 'to_bus': names bus 999": ("line", 0, "to_bus", 999),
    "load 0: column 'bus': names bus 999": ("load", 0, "bus", 999),
    "trafo 0: joins a bus to itself": ("trafo", 0, "lv_bus", 2),
    "switch 2: is on bus 3 and l element 1, which the network does not join": (
        "switch", 2, "bus", 3),
}
"""What breaks example_simple (table, index, column, value) → the error it must give."""


@pytest.mark.parametrize("message", BROKEN)
def test_bad_network_is_refused_and_nothing_written(engine, message):
    net = pandapower_network("example_simple")
    table, index, column, value = BROKEN[message]
    net[table].loc[index, column] = value
    with pytest.raises(InvalidInput, match=f"^broken: {message}"):
        import_pandapower(engine, net, name="broken")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(LAYERS["power_lines"].table)
                            ).scalar() == 0


def test_second_import_of_the_same_network_is_refused(engine):
    net = pandapower_network("example_simple")
    import_pandapower(engine, net, name="simple")
    with pytest.raises(InvalidInput, match="already in the twin"):
        import_pandapower(engine, net, name="simple")


# -- the anchor: every single line and transformer outage ----------------------------------------
def _reference(net: Any, graph: nx.MultiGraph, table: str, index: int, literal: bool) -> set:
    """pandapower's unsupplied buses with the element out of service."""
    ends = ("from_bus", "to_bus") if table == "line" else ("hv_bus", "lv_bus")
    u, v = (int(net[table].at[index, end]) for end in ends)
    key = (table, index)
    data = graph.get_edge_data(u, v, key=key)
    if data is not None:
        graph.remove_edge(u, v, key=key)
    unsupplied = top.unsupplied_buses(net, mg=graph)
    if data is not None:
        graph.add_edge(u, v, key=key, **data)
    if literal:
        net[table].at[index, "in_service"] = False
        assert top.unsupplied_buses(net) == unsupplied
        net[table].at[index, "in_service"] = True
    return unsupplied


@pytest.mark.parametrize("table", ["line", "trafo"])
@pytest.mark.parametrize("name", [
    "mv_oberrhein", pytest.param("lv_schutterwald", marks=pytest.mark.slow)])
def test_every_single_outage_matches_unsupplied_buses(anchors, snapshot, name, table):
    net, result = anchors[name]
    assets = result.line_assets if table == "line" else result.trafo_assets
    buses = {node: bus for bus, node in result.bus_nodes.items()}
    on = set(net.bus.index[net.bus["in_service"]])
    loads = net.load[net.load["in_service"]].groupby("bus").size()
    graph = top.create_nxgraph(net)
    wrong = []
    for k, (index, asset) in enumerate(sorted(assets.items())):
        expected = _reference(net, graph, table, index, literal=k % LITERAL_EVERY == 0)
        outage = snapshot.outage([asset])
        got = {buses[n] for n in outage.dead_nodes["power"] if n in buses} & on
        if got != expected:
            wrong.append(f"{table} {index} ({asset}): twin-only {sorted(got - expected)[:5]}, "
                         f"pandapower-only {sorted(expected - got)[:5]}")
        elif outage.customers != loads.reindex(list(expected), fill_value=0).sum():
            wrong.append(f"{table} {index} ({asset}): {outage.customers} customers, not one "
                         "per load at the unsupplied buses")
    assert not wrong, f"{len(wrong)} of {len(assets)} outages differ:\n" + "\n".join(wrong[:10])
