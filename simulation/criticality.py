"""Criticality: what each element of a network takes down if it alone fails, for every element in
one pass, ranked worst first.

Method (near-linear, no trace per element):

- **power, telecom, drainage** (fed from sources): one depth-first search with Tarjan's low points
  from a virtual root joined to every working source, over the edges carrying service. A node's
  loss is itself plus every DFS child subtree it separates (low point not above it: an
  articulation point); an edge's loss is the subtree below it when it is a bridge, else nothing.
  Subtree sums of any per-node weight come from prefix sums in preorder. In a radial network
  every tree edge is a bridge and this is the subtree sum of a rooted tree.
- **water** (looped): breaks are shut in by valves, so the unit of failure is the valve segment.
  The same search runs on the segment graph (segments joined by the open valves between them);
  a break anywhere in a segment loses the segment and what it separates from every source. A
  valve's own break shuts the segments on both its sides: one reach on the segment graph per
  valve (the segment graph is one to two orders smaller than the network). Pumps, sources and tanks,
  which fail without isolation, get one reach each on the network (a handful).
- **road** (no sources): access is being joined to the largest connected part. A closed road
  that is a bridge cuts the network in two and the smaller part loses access; any other closure
  loses only itself.

Customers are counted in the network's own accounts (service points, water connections,
telecom households); ``dependants`` counts the assets of other layers fed directly by the lost
nodes (luminaires, pumps, cabinets, cameras...), not their own cascades.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection, Engine

from simulation._graph import lowpoint_tree, reached_from
from simulation.compiled import CompiledNetwork, NetworkState
from simulation.results import feature_collection
from simulation.segments import SELF_ISOLATING, segments_of

if TYPE_CHECKING:
    from simulation.snapshot import Snapshot

Step = Callable[[str], None]


@dataclass(frozen=True)
class CriticalityResult:
    """``ranking``: one dict per asset (asset_id, layer, customers, nodes_lost,
    street_length_m, dependants), worst first."""

    network: str
    method: str
    ranking: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"network": self.network, "method": self.method, "ranking": self.ranking}

    def to_geojson(self, db: Engine | Connection, top: int | None = 500) -> dict[str, Any]:
        """The ``top`` worst assets (all with None), role ``affected``, with their figures."""
        rows = self.ranking[:top] if top is not None else self.ranking
        roles = {r["asset_id"]: (r["layer"], "affected") for r in rows}
        extra = {r["asset_id"]: {"rank": k + 1, "customers": r["customers"],
                                 "nodes_lost": r["nodes_lost"]} for k, r in enumerate(rows)}
        return feature_collection(db, roles, extra)


@dataclass(frozen=True)
class _Loss:
    """Per node and per edge: weights lost (columns: customers, nodes, dependants by layer...)."""

    node: np.ndarray
    edge: np.ndarray


def network_criticality(snapshot: Snapshot, network: str,
                        step: Step | None = None) -> CriticalityResult:
    """Rank every asset of ``network`` by what it takes down alone (see the module's method)."""
    say = step or (lambda _: None)
    net = snapshot.network(network)
    start = snapshot.start
    state = net.state(start.opened, start.closed, start.failed)
    weights, names = _weights(snapshot, net, state)
    say("weights")
    if network == "water":
        loss, method = _water_loss(net, state, weights), "valve segment graph, low points"
    elif network == "road":
        loss, method = _road_loss(net, state), "bridges: the smaller side loses access"
    else:
        loss, method = _tree_loss(net, state, weights), "low points from the sources"
    say("losses")
    ranking = _ranking(snapshot, net, loss, names)
    say("ranking")
    return CriticalityResult(network, method, ranking)


def _weights(snapshot: Snapshot, net: CompiledNetwork, state: NetworkState
             ) -> tuple[np.ndarray, list[str]]:
    """Per node: customers, 1 (the node), and the count of each layer's direct dependants;
    zero for nodes without supply in ``state``. Columns named by the returned list."""
    deps = snapshot.dependencies
    deps = deps[deps["network"] == net.name]
    layers = sorted(deps["consumer_layer"].unique().tolist())
    weights = np.zeros((net.n, 2 + len(layers)))
    weights[:, 0] = net.customers
    weights[:, 1] = 1.0
    for k, layer in enumerate(layers):
        providers = deps.loc[deps["consumer_layer"] == layer, "provider"].to_numpy(dtype=int)
        np.add.at(weights[:, 2 + k], providers, 1.0)
    weights[~net.supplied(state)] = 0.0
    return weights, ["customers", "nodes", *layers]


def _tree_loss(net: CompiledNetwork, state: NetworkState, weights: np.ndarray) -> _Loss:
    """Articulation points and bridges from a virtual root joined to the working sources."""
    live = net.live_edges(state)
    sources = np.flatnonzero(net.is_source & ~state.failed_nodes)
    u = np.concatenate([net.u[live], np.full(len(sources), net.n)])
    v = np.concatenate([net.v[live], sources])
    edge_of = np.concatenate([np.flatnonzero(live), np.full(len(sources), -1)])
    tree = lowpoint_tree(net.n + 1, u, v, np.array([net.n]))
    full = np.vstack([weights, np.zeros((1, weights.shape[1]))])
    below = tree.subtree_sums(full)
    node = full.copy()
    cut = tree.separated_children()
    np.add.at(node, tree.parent[cut], below[cut])
    edge = np.zeros((net.m, weights.shape[1]))
    bridges = tree.bridge_children()
    real = edge_of[tree.parent_edge[bridges]]
    edge[real[real >= 0]] = below[bridges[real >= 0]]
    node[~(tree.disc >= 0)] = 0.0
    return _Loss(node[: net.n], edge)


def _water_loss(net: CompiledNetwork, state: NetworkState, weights: np.ndarray) -> _Loss:
    """Segments as the unit of failure (see the module's method)."""
    seg = segments_of(net, state)
    count = seg.count
    seg_weight = np.zeros((count + 1, weights.shape[1]))
    np.add.at(seg_weight, seg.node_label, weights)
    live = net.live_edges(state)
    joins = np.flatnonzero(seg.barrier & live)
    a, b = seg.node_label[net.u[joins]], seg.node_label[net.v[joins]]
    apart = a != b
    a, b = a[apart], b[apart]
    fed = np.unique(seg.node_label[net.is_source & ~state.failed_nodes])
    u = np.concatenate([a, np.full(len(fed), count)])
    v = np.concatenate([b, fed])
    tree = lowpoint_tree(count + 1, u, v, np.array([count]))
    below = tree.subtree_sums(seg_weight)
    seg_loss = seg_weight.copy()
    cut = tree.separated_children()
    np.add.at(seg_loss, tree.parent[cut], below[cut])
    seg_loss[~(tree.disc >= 0)] = 0.0
    node = seg_loss[seg.node_label]
    edge = np.zeros((net.m, weights.shape[1]))
    inside = seg.edge_label >= 0
    edge[inside] = seg_loss[seg.edge_label[inside]]
    reached = tree.disc >= 0
    total = seg_weight[reached].sum(axis=0)
    for valve in np.flatnonzero(seg.barrier).tolist():
        a, b = seg.node_label[net.u[valve]], seg.node_label[net.v[valve]]
        if a == b:
            edge[valve] = seg_loss[a]
            continue
        keep = (u != a) & (u != b) & (v != a) & (v != b)
        still = reached_from(count + 1, u[keep], v[keep], np.array([count]))
        edge[valve] = total - seg_weight[still].sum(axis=0)
    _self_isolating(net, state, weights, node, edge)
    return _Loss(node, edge)


def _self_isolating(net: CompiledNetwork, state: NetworkState, weights: np.ndarray,
                    node: np.ndarray, edge: np.ndarray) -> None:
    """Sources and pumps fail without being shut in: one reach on the network each."""
    total = weights[net.supplied(state)].sum(axis=0)
    for x in np.flatnonzero(net.is_source).tolist():
        after = net.supplied(state.with_failures(nodes=[x]))
        node[x] = total - weights[after].sum(axis=0)
    for x in np.flatnonzero(np.isin(net.edge_kind, list(SELF_ISOLATING[net.name]))).tolist():
        after = net.supplied(state.with_failures(edges=[x]))
        edge[x] = total - weights[after].sum(axis=0)


def _road_loss(net: CompiledNetwork, state: NetworkState) -> _Loss:
    """Bridge closures: the smaller side (nodes) loses access, with its road length (m)."""
    live = net.live_edges(state)
    access = net.supplied(state)
    roots = np.flatnonzero(access)[:1]
    u, v, edges = net.u[live], net.v[live], np.flatnonzero(live)
    tree = lowpoint_tree(net.n, u, v, roots)
    deeper = np.where(tree.disc[u] > tree.disc[v], u, v)
    weights = np.zeros((net.n, 2))
    weights[:, 1] = access
    np.add.at(weights[:, 0], deeper, net.length_m[edges])
    below = tree.subtree_sums(weights)
    total = below[roots[0]] if len(roots) else np.zeros(2)
    edge = np.zeros((net.m, 3))  # customers, nodes lost, street length
    edge[:, 2] = net.length_m
    for child in tree.bridge_children().tolist():
        e = edges[tree.parent_edge[child]]
        side = below[child]
        rest_nodes = total[1] - side[1]
        if side[1] <= rest_nodes:
            edge[e, 1], edge[e, 2] = side[1], side[0]
        else:
            edge[e, 1], edge[e, 2] = rest_nodes, total[0] - side[0] + net.length_m[e]
    return _Loss(np.zeros((net.n, 3)), edge)


def _ranking(snapshot: Snapshot, net: CompiledNetwork, loss: _Loss,
             names: list[str]) -> list[dict[str, Any]]:
    """One row per asset, worst first (customers, then nodes lost, then street length)."""
    rows: dict[str, dict[str, Any]] = {}
    road = net.name == "road"
    for assets, has, lost, ids in ((net.node_asset, net.node_has_asset, loss.node, net.node_ids),
                                   (net.edge_asset, net.edge_has_asset, loss.edge, net.edge_ids)):
        at = np.flatnonzero(has)
        counts = np.rint(lost[at]).astype(np.int64).tolist()
        metres = np.round(lost[at, 2], 1).tolist() if road else None
        for j, (asset, element) in enumerate(zip(assets[at].tolist(), ids[at].tolist(),
                                                 strict=True)):
            if asset in rows:
                continue
            row: dict[str, Any] = {"asset_id": asset, "layer": snapshot.layer_of(asset),
                                   "element": element, "customers": counts[j][0],
                                   "nodes_lost": counts[j][1]}
            if metres is not None:
                row["street_length_m"] = metres[j]
            else:
                row["dependants"] = {name: n for name, n in zip(names[2:], counts[j][2:],
                                                               strict=True) if n}
            rows[asset] = row
    return sorted(rows.values(), key=lambda r: (-r["customers"], -r["nodes_lost"],
                                                -r.get("street_length_m", 0.0), r["asset_id"]))


def run_criticality(db: Engine | Connection, network: str) -> CriticalityResult:
    """Load a snapshot and rank one network (the convenience wrapper)."""
    from simulation.snapshot import load_snapshot

    return load_snapshot(db, live=True).criticality(network)
