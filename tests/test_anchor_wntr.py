"""WNTR as the anchor of valve segments: its shipped Net3 imported through the EPANET importer,
a valve layer from ``wntr.network.generate_valve_layer`` added through ``ingest.valve_layer``,
and the twin's segments compared with ``wntr.metrics.valve_segments`` as partitions of the
model's nodes and links (same groups, up to the numbering).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
import wntr
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from ingest.epanet import import_epanet_file
from ingest.valve_layer import EpanetIds, epanet_ids, import_valve_layer
from layers import LAYERS
from tests.conftest import admin_sql, make_database
from twin.database import create_engine
from twin.errors import InvalidInput
from twin.read import read_layer, read_network

NETWORKS = Path(wntr.__file__).parent / "library" / "networks"
LAYOUTS = {"strategic N-2": ("strategic", 2, 7), "strategic N-1": ("strategic", 1, 11),
           "random 40": ("random", 40, 3)}
"""Valve layers tested on Net3: (placement, n, seed) for generate_valve_layer."""
ENGINE_SECONDS = 120


def _model(name: str) -> wntr.network.WaterNetworkModel:
    return wntr.network.WaterNetworkModel(str(NETWORKS / name))


def _groups(node_segment: Mapping[str, object], link_segment: Mapping[str, object]) -> set:
    """A segmentation as a partition: the set of groups of ``node:<name>``/``link:<name>``."""
    groups: dict[object, set[str]] = {}
    for kind, labels in (("node", node_segment), ("link", link_segment)):
        for name, label in labels.items():
            groups.setdefault(label, set()).add(f"{kind}:{name}")
    return {frozenset(g) for g in groups.values()}


def _wntr_groups(wn: wntr.network.WaterNetworkModel, layer: pd.DataFrame) -> set:
    nodes, links, _ = wntr.metrics.valve_segments(wn.to_graph(), layer)
    return _groups(nodes.to_dict(), links.to_dict())


def _twin_groups(ids: EpanetIds, node_segment: Mapping[str, int],
                 edge_segment: Mapping[str, int]) -> set:
    return _groups({name: node_segment[n] for name, n in ids.nodes.items()},
                   {name: edge_segment[e] for name, e in ids.links.items()})


@pytest.fixture(scope="module")
def net3(module_engine):
    """Net3 imported as EPANET, the model WNTR reads, and the twin's ids of its elements."""
    import_epanet_file(module_engine, NETWORKS / "Net3.inp")
    return _model("Net3.inp")


@dataclass(frozen=True)
class Valved:
    """A twin holding Net3 and a valve layer; the model WNTR reads and the twin's ids of it."""

    engine: Engine
    layer: pd.DataFrame
    wn: wntr.network.WaterNetworkModel
    ids: EpanetIds
    written: dict[str, int]


@pytest.fixture(scope="module", params=list(LAYOUTS))
def valved(request, server_url, template_url) -> Iterator[Valved]:
    """Net3 with one of the ``LAYOUTS`` valve layers, in a database of its own."""
    placement, n, seed = LAYOUTS[request.param]
    url = make_database(server_url, template_url)
    engine = create_engine(url)
    import_epanet_file(engine, NETWORKS / "Net3.inp")
    wn = _model("Net3.inp")
    layer = wntr.network.generate_valve_layer(wn, placement, n, seed=seed)
    written = import_valve_layer(engine, "Net3.inp", layer)
    yield Valved(engine, layer, wn, epanet_ids(engine, "Net3.inp"), written)
    engine.dispose()
    admin_sql(server_url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def test_valve_layer_splits_each_valved_link(valved):
    engine, layer, wn, ids, written = (valved.engine, valved.layer, valved.wn, valved.ids,
                                       valved.written)
    assert written == {"water_valves": len(layer), "network_nodes": len(layer),
                       "network_edges": len(layer), "links_split": layer["link"].nunique()}
    water = read_network(engine, "water")
    assert len(water.nodes) == wn.num_nodes + len(layer)
    assert len(water.edges) == wn.num_links + len(layer)
    valves = read_layer(engine, "water_valves", columns=["source_ref", "pipe_id", "valve_type"])
    layer_valves = valves[valves["source_ref"].str.startswith("Net3.inp:valve/")]
    assert len(layer_valves) == len(layer) and set(layer_valves["valve_type"]) == {"gate"}
    edges = water.edges.set_index("asset_id")
    for index, link, node in layer.itertuples():
        valve = layer_valves.index[layer_valves["source_ref"] == f"Net3.inp:valve/{index}"][0]
        assert edges.at[valve, "from_node"] == ids.nodes[node]  # N ─valve─ X ──L── M
        pipe = water.edges.loc[ids.links[link]]
        assert edges.at[valve, "to_node"] in (pipe["from_node"], pipe["to_node"])
        assert ids.nodes[node] not in (pipe["from_node"], pipe["to_node"])


def test_components_without_valves_are_wntr_segments(valved):
    """The representation alone (networkx on the twin's topology) gives WNTR's segments."""
    water = read_network(valved.engine, "water")
    graph = nx.Graph()
    graph.add_nodes_from(water.nodes.index)
    pipes = water.edges[water.edges["kind"] != "valve"]
    graph.add_edges_from(zip(pipes["from_node"], pipes["to_node"], strict=True))
    label = {n: k for k, part in enumerate(nx.connected_components(graph)) for n in part}
    edge_label = {e: label[f] for e, f in zip(pipes.index, pipes["from_node"], strict=True)}
    assert _twin_groups(valved.ids, label, edge_label) == _wntr_groups(valved.wn, valved.layer)


def test_engine_segments_equal_wntr_valve_segments(valved):
    from simulation.snapshot import load_snapshot

    segments = load_snapshot(valved.engine, live=False).valve_segments("water")
    assert _twin_groups(valved.ids, segments.node_segment, segments.edge_segment) == _wntr_groups(
        valved.wn, valved.layer)


ENGINE_SEGMENTS = """
import json, sys
from simulation.snapshot import load_snapshot
from twin.database import create_engine
segments = load_snapshot(create_engine(sys.argv[1]), live=False).valve_segments("water")
print(json.dumps([segments.node_segment, segments.edge_segment]))
"""


@pytest.mark.slow
def test_engine_segments_of_net6_equal_wntr_valve_segments(database_url):
    """Net6 (3,356 nodes, parallel links, two PRVs) with a strategic N-2 valve layer. The engine
    runs in a child process with a time limit: its segment search has been seen never to return
    on a network with parallel links."""
    engine = create_engine(database_url)
    import_epanet_file(engine, NETWORKS / "Net6.inp")
    wn = _model("Net6.inp")
    layer = wntr.network.generate_valve_layer(wn, "strategic", 2, seed=7)
    import_valve_layer(engine, "Net6.inp", layer)
    ids = epanet_ids(engine, "Net6.inp")
    engine.dispose()
    try:
        child = subprocess.run([sys.executable, "-c", ENGINE_SEGMENTS, database_url],
                               capture_output=True, text=True, timeout=ENGINE_SECONDS, check=True)
    except subprocess.TimeoutExpired:
        pytest.fail(f"valve_segments('water') did not return within {ENGINE_SECONDS} s on Net6")
    nodes, edges = json.loads(child.stdout.strip().splitlines()[-1])
    links = {name: edges.get(edge, f"barrier {edge}") for name, edge in ids.links.items()}
    assert _groups({n: nodes[i] for n, i in ids.nodes.items()}, links) == _wntr_groups(wn, layer)


def test_bad_valve_layer_is_refused_and_nothing_written(module_engine, net3):
    pipe = net3.get_link("10")
    other = next(n for n in net3.node_name_list
                 if n not in (pipe.start_node_name, pipe.end_node_name))
    cases = {
        "link '404' is not in the model": [("404", pipe.start_node_name)],
        f"node '{other}' is not an end of link '10'": [("10", other)],
        "a second valve on link '10'": [("10", pipe.start_node_name)] * 2,
    }
    for message, rows in cases.items():
        with pytest.raises(InvalidInput, match=message):
            import_valve_layer(module_engine, "Net3.inp",
                               pd.DataFrame(rows, columns=["link", "node"]))
    with module_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(LAYERS["water_valves"].table)
                            ).scalar() == net3.num_valves


def test_valve_layer_on_an_unknown_model_is_refused(module_engine, net3):
    layer = pd.DataFrame([("10", "10")], columns=["link", "node"])
    with pytest.raises(InvalidInput, match="Net9.inp valve layer: valve 0: link '10' is not"):
        import_valve_layer(module_engine, "Net9.inp", layer)
