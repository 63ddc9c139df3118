"""Restoration: which normally-open ties (switches, or normally-closed isolation valves) can be
closed to pick up what an outage left without service, without loading any element past its
capacity.

Loads are the service points' demand (kW) times a diversity of 0.5 at a power factor of 0.9, as
the demo city sizes its transformers (kVA). A tie is checked along the path that would feed the
picked-up part: every line (√3 · kV · A), transformer and the substation between the tie and its
source. Networks without capacities in the model (water) are restored by connectivity alone.
Ties are closed greedily, the one with the most headroom first, one per dead part, until none
fits.

Cost: what every candidate tie needs is computed once per round, for all ties at once: the lost
parts (one component search, once per outage), and the supplied forest with each node's load
and the least spare capacity on its way to the source (one breadth-first search and a few
vectorised pointer-doubling steps). A round follows each tie closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulation._graph import path_minimum, subtree_totals
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
    u, v = net.u, net.v
    out = state.failed_nodes | exclude
    live = net.live_edges(state) & ~out[u] & ~out[v]
    sources = np.flatnonzero(net.is_source & ~out)
    feeding = _Feeding(net, live, sources)
    before = supplied = feeding.supplied
    tie = net.is_tie & ~state.conducts & ~state.failed_edges & ~out[u] & ~out[v]
    tie[keep_open] = False
    dead = ~supplied & ~out
    candidates = np.flatnonzero(tie & (supplied[u] != supplied[v]) & (dead[u] | dead[v]))
    if len(candidates) == 0:
        return Restoration([], np.zeros(net.n, dtype=bool))
    part = net.adjacency.components(live & dead[u] & dead[v])
    part_kva = np.bincount(part[dead], weights=net.demand_kw[dead], minlength=net.n) \
        * DIVERSITY / POWER_FACTOR
    closed: list[int] = []
    reasons: dict[int, str] = {}
    refused: dict[int, str] = {}
    while len(candidates):
        alive_end = np.where(supplied[u[candidates]], u[candidates], v[candidates])
        dead_end = np.where(supplied[u[candidates]], v[candidates], u[candidates])
        picked = part_kva[part[dead_end]]
        headroom = feeding.spare[alive_end] - picked
        fits = headroom >= 0
        for edge, room, at in zip(candidates[~fits].tolist(), headroom[~fits].tolist(),
                                  alive_end[~fits].tolist(), strict=True):
            refused[edge] = (f"would load {feeding.limit(at)} past its capacity by "
                             f"{-room:,.0f} kVA")
        for edge in candidates[fits].tolist():
            refused.pop(edge, None)
        if not fits.any():
            break
        best = int(np.flatnonzero(fits)[np.argmax(headroom[fits])])
        edge, limit = int(candidates[best]), feeding.limit(int(alive_end[best]))
        reasons[edge] = f"picks up {picked[best]:,.0f} kVA" + (
            f"; {headroom[best]:,.0f} kVA to spare on {limit}" if limit else "")
        closed.append(edge)
        live[edge] = True
        supplied = supplied | ((part == part[dead_end[best]]) & dead)
        dead = dead & ~supplied
        candidates = np.flatnonzero(tie & ~live & (supplied[u] != supplied[v])
                                    & (dead[u] | dead[v]))
        if len(candidates):
            feeding = _Feeding(net, live, sources)
    return Restoration(closed, supplied & ~before, [
        {"asset_id": net.edge_asset[e] or net.edge_ids[e], "reason": r}
        for e, r in sorted(refused.items())], reasons)


class _Feeding:
    """The supplied forest of the ``live`` edges from ``sources``: which nodes it reaches and,
    per node, the least spare capacity (kVA) on its way to its source (``spare``: +inf where
    the model holds no capacity) and the element where that is least."""

    def __init__(self, net: CompiledNetwork, live: np.ndarray, sources: np.ndarray) -> None:
        self.net = net
        if not net.has_capacities:
            self.supplied = net.adjacency.reach(live, sources)
            self.spare = np.full(net.n, np.inf)
            return
        parent, self.parent_edge = net.adjacency.forest(live, sources)
        self.supplied = parent >= 0
        self.supplied[sources] = True
        load = subtree_totals(parent, np.where(self.supplied, net.demand_kw, 0.0)
                              * DIVERSITY / POWER_FACTOR)
        capacity = np.where(parent >= 0, net.edge_capacity_kva[np.maximum(self.parent_edge, 0)],
                            net.source_capacity_kva)
        spare = np.where(np.isnan(capacity), np.inf, capacity - load)
        self.spare, self.where = path_minimum(parent, spare)

    def limit(self, node: int) -> str:
        """The element with the least spare capacity on ``node``'s way to its source ('' when
        nothing on the way has a capacity)."""
        if np.isinf(self.spare[node]):
            return ""
        at = int(self.where[node])
        edge = int(self.parent_edge[at])
        return str((self.net.edge_asset[edge] if edge >= 0 else self.net.node_asset[at]) or "")
