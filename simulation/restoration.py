"""Restoration: which normally-open ties (switches, or normally-closed valves) can be closed to pick
up what an outage left without service, without loading any element past its capacity.

Loads are the service points' demand (kW) times a diversity of 0.5 at a power factor of 0.9, as
the demo city sizes its transformers (kVA). A tie is checked along the path that would feed the
picked-up part: every line (√3 · kV · A), transformer and the substation between the tie and its
source. Networks without capacities in the model (water) are restored by connectivity alone.
Ties are closed greedily, the one with the most headroom first, one per dead part, until none
fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse.csgraph import shortest_path

from simulation._graph import bfs_forest, rooted
from simulation.compiled import CompiledNetwork, NetworkState

DIVERSITY = 0.5
"""Peak load per unit of the service points' summed demand."""
POWER_FACTOR = 0.9


@dataclass(frozen=True)
class Restoration:
    """Ties to close (``closed``: edge numbers, in order, each with its reason in ``reasons``),
    the nodes they bring back, and the ties refused with the element they would overload."""

    closed: list[int]
    restored: np.ndarray
    refused: list[dict[str, Any]] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)


def restore(net: CompiledNetwork, state: NetworkState, exclude: np.ndarray,
            keep_open: np.ndarray) -> Restoration:
    """Close ties in ``state`` to pick up nodes without service, never nodes ``exclude`` (the
    isolated segments) and never edges ``keep_open`` (the barriers just opened to isolate)."""
    before = supplied = net.supplied(state)
    conducts = state.conducts.copy()
    closed: list[int] = []
    reasons: dict[int, str] = {}
    refused: dict[int, str] = {}
    tie = net.tie_kind & ~state.failed_edges & ~state.failed_nodes[net.u] \
        & ~state.failed_nodes[net.v]
    tie[keep_open] = False
    while True:
        current = NetworkState(conducts, state.failed_nodes, state.failed_edges)
        dead = ~supplied & ~exclude & ~state.failed_nodes
        candidates = np.flatnonzero(tie & ~conducts & (supplied[net.u] != supplied[net.v])
                                    & (dead[net.u] | dead[net.v]))
        if len(candidates) == 0:
            break
        choice = _best_tie(net, current, supplied, dead, candidates, refused)
        if choice is None:
            break
        edge, reason = choice
        conducts[edge] = True
        closed.append(int(edge))
        reasons[int(edge)] = reason
        refused.pop(int(edge), None)
        supplied = net.supplied(NetworkState(conducts, state.failed_nodes, state.failed_edges))
    return Restoration(closed, supplied & ~before, [
        {"asset_id": net.edge_asset[e] or net.edge_ids[e], "reason": r}
        for e, r in sorted(refused.items())], reasons)


def _best_tie(net: CompiledNetwork, state: NetworkState, supplied: np.ndarray, dead: np.ndarray,
              candidates: np.ndarray, refused: dict[int, str]) -> tuple[int, str] | None:
    """The candidate tie with the most headroom that loads nothing past its capacity (None if
    none fits); the others that do not fit are noted in ``refused``."""
    live = net.live_edges(state)
    inside = live & dead[net.u] & dead[net.v]
    part = net.adjacency.components(inside)
    part_load = np.bincount(part[dead], weights=net.demand_kw[dead], minlength=net.n)
    feeding = _Feeding(net, state, live)
    best: tuple[float, int, str] | None = None
    for edge in candidates.tolist():
        alive_end, dead_end = (net.u[edge], net.v[edge]) if supplied[net.u[edge]] else (
            net.v[edge], net.u[edge])
        picked_kva = part_load[part[dead_end]] * DIVERSITY / POWER_FACTOR
        headroom, limit = feeding.headroom(int(alive_end), picked_kva)
        if headroom < 0:
            refused[edge] = f"would load {limit} past its capacity by {-headroom:,.0f} kVA"
            continue
        refused.pop(edge, None)
        reason = f"picks up {picked_kva:,.0f} kVA" + (
            f"; {headroom:,.0f} kVA to spare on {limit}" if limit else "")
        if best is None or headroom > best[0]:
            best = (headroom, edge, reason)
    return None if best is None else (best[1], best[2])


class _Feeding:
    """The supplied forest of a state: each node's parent and feeding edge and the load (kVA)
    each edge and source carries."""

    def __init__(self, net: CompiledNetwork, state: NetworkState, live: np.ndarray) -> None:
        self.net = net
        u, v = net.u[live], net.v[live]
        sources = np.flatnonzero(net.is_source & ~state.failed_nodes)
        order, self.parent, _ = bfs_forest(net.n, u, v, sources)
        self.load = net.demand_kw * DIVERSITY / POWER_FACTOR
        # breadth-first order is by depth: add each level into its parents, deepest first
        reached = order[self.parent[order] >= 0]
        depth = _depths(net.n, u, v, sources)[reached]
        starts = np.searchsorted(depth, np.arange(1, depth.max() + 2) if len(depth) else [])
        for first, last in zip(starts[-2::-1], starts[:0:-1], strict=True):
            nodes = reached[first:last]
            np.add.at(self.load, self.parent[nodes], self.load[nodes])
        key = np.minimum(u, v) * net.n + np.maximum(u, v)
        order_key = np.argsort(key)
        self._keys, self._edges = key[order_key], np.flatnonzero(live)[order_key]

    def _edge(self, a: int, b: int) -> int:
        key = min(a, b) * self.net.n + max(a, b)
        return int(self._edges[np.searchsorted(self._keys, key)])

    def headroom(self, node: int, extra_kva: float) -> tuple[float, str]:
        """The least spare capacity (kVA) on the way from ``node`` to its source once
        ``extra_kva`` more flows along it, and the element where that is least."""
        net = self.net
        best, where = np.inf, ""
        while True:
            up = int(self.parent[node])
            capacity = net.edge_capacity_kva[self._edge(node, up)] if up >= 0 else \
                net.source_capacity_kva[node]
            if not np.isnan(capacity):
                spare = capacity - self.load[node] - extra_kva
                if spare < best:
                    element = self._edge(node, up) if up >= 0 else node
                    ids = net.edge_asset if up >= 0 else net.node_asset
                    best, where = spare, ids[element] or ""
            if up < 0:
                return best, where
            node = up


def _depths(n: int, u: np.ndarray, v: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Edges from the nearest source to each node (the breadth-first depth); 0 unreached."""
    if len(sources) == 0:
        return np.zeros(n, dtype=int)
    dist = shortest_path(rooted(n, u, v, sources), directed=False, unweighted=True, indices=n)
    return np.where(np.isinf(dist[:n]), 0, dist[:n] - 1).astype(int)
