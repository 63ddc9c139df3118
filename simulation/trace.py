"""Traces (the Utility Network's trace types) over the snapshot's start state: switch and valve
positions respected, failed assets carrying nothing.

- ``connected``: everything joined to the start by edges that carry service;
- ``downstream``: what the start feeds, i.e. what loses supply if the start fails (in a radial
  network, its subtree; in a looped one, what has no other way to a source);
- ``upstream``: the way service reaches the start, from its source along the breadth-first
  feeding tree (in a radial network the one path; in a looped one a shortest);
- ``subnetwork``: everything fed by the source that feeds the start (its feeding tree).

Drainage flows towards its outfalls (flagged as sources), so there upstream and downstream swap:
upstream of a manhole is what drains through it. Roads have no sources: only ``connected`` and
``downstream`` (what loses access if the start is closed) apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection, Engine

from simulation._graph import bfs_forest
from simulation.results import feature_collection
from twin.errors import InvalidInput

if TYPE_CHECKING:
    from simulation.compiled import CompiledNetwork, NetworkState
    from simulation.snapshot import Snapshot

DIRECTIONS = ("connected", "upstream", "downstream", "subnetwork")


@dataclass(frozen=True)
class TraceResult:
    """``nodes``/``edges``: topology ids traced; ``assets``: layer → asset ids among them."""

    network: str
    start: str
    direction: str
    nodes: frozenset[str]
    edges: frozenset[str]
    assets: dict[str, list[str]]

    def to_json(self) -> dict[str, Any]:
        return {"network": self.network, "start": self.start, "direction": self.direction,
                "assets": self.assets, "nodes": len(self.nodes), "edges": len(self.edges)}

    def to_geojson(self, db: Engine | Connection) -> dict[str, Any]:
        return feature_collection(db, {a: (layer, "affected") for layer, ids in
                                       self.assets.items() for a in ids})


def trace(snapshot: Snapshot, network: str, start: str, direction: str) -> TraceResult:
    """Trace ``network`` from ``start`` (an asset or topology id of that network)."""
    if direction not in DIRECTIONS:
        raise InvalidInput(f"unknown trace direction '{direction}'; one of {', '.join(DIRECTIONS)}")
    net = snapshot.network(network)
    element = snapshot.resolve([start])[0]
    nodes, edges = element.nodes.get(network, []), element.edges.get(network, [])
    if not nodes and not edges:
        raise InvalidInput(f"'{start}' is not an element of the {network} network")
    s = snapshot.start
    state = net.state(s.opened, s.closed, s.failed)
    if network == "drainage" and direction in ("upstream", "downstream"):
        direction_used = "downstream" if direction == "upstream" else "upstream"
    else:
        direction_used = direction
    if not net.is_source.any() and direction_used in ("upstream", "subnetwork"):
        raise InvalidInput(f"the {network} network has no sources: trace it 'connected' or "
                           "'downstream'")
    ends = sorted(set(nodes) | set(net.u[edges].tolist()) | set(net.v[edges].tolist()))
    node_mask, edge_mask = _TRACES[direction_used](net, state, ends, nodes, edges)
    edge_mask[edges] = True
    node_mask[nodes] = True
    assets: dict[str, list[str]] = {}
    for ids, mask in ((net.node_asset, node_mask), (net.edge_asset, edge_mask)):
        for asset in sorted(set(ids[mask & (ids != None)].tolist())):  # noqa: E711
            assets.setdefault(snapshot.layer_of(asset), []).append(asset)
    return TraceResult(network, start, direction, frozenset(net.node_ids[node_mask].tolist()),
                       frozenset(net.edge_ids[edge_mask].tolist()),
                       {k: v for k, v in sorted(assets.items())})


Masks = tuple[np.ndarray, np.ndarray]


def _connected(net: CompiledNetwork, state: NetworkState, ends: list[int], nodes: list[int],
               edges: list[int]) -> Masks:
    live = net.live_edges(state)
    labels = net.adjacency.components(live)
    node_mask = np.isin(labels, labels[ends])
    return node_mask, live & node_mask[net.u]


def _downstream(net: CompiledNetwork, state: NetworkState, ends: list[int], nodes: list[int],
                edges: list[int]) -> Masks:
    before = net.supplied(state)
    failed = state.with_failures(nodes, edges)
    after = net.supplied(failed)
    had = ~net.edges_without_service(state, before)
    return before & ~after, had & net.edges_without_service(failed, after)


def _forest(net: CompiledNetwork, state: NetworkState) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]:
    live = net.live_edges(state)
    sources = np.flatnonzero(net.is_source & ~state.failed_nodes)
    _, parent, root = bfs_forest(net.n, net.u[live], net.v[live], sources)
    return parent, root, live


def _upstream(net: CompiledNetwork, state: NetworkState, ends: list[int], nodes: list[int],
              edges: list[int]) -> Masks:
    parent, _, live = _forest(net, state)
    node_mask = np.zeros(net.n, dtype=bool)
    for node in ends:
        while node >= 0 and not node_mask[node]:
            node_mask[node] = True
            node = int(parent[node])
    pair = np.zeros(net.m, dtype=bool)
    on_path = node_mask[net.u] & node_mask[net.v] & live
    pair[on_path] = (parent[net.u[on_path]] == net.v[on_path]) | (
        parent[net.v[on_path]] == net.u[on_path])
    return node_mask, pair


def _subnetwork(net: CompiledNetwork, state: NetworkState, ends: list[int], nodes: list[int],
                edges: list[int]) -> Masks:
    _, root, live = _forest(net, state)
    feeding = root[ends]
    node_mask = np.isin(root, feeding[feeding >= 0])
    return node_mask, live & node_mask[net.u] & node_mask[net.v]


_TRACES = {"connected": _connected, "downstream": _downstream, "upstream": _upstream,
           "subnetwork": _subnetwork}
