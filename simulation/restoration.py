"""Restoration: which normally-open ties (switches, or normally-closed isolation valves) can be
closed to pick up what an outage left without service, without loading any element past its
capacity.

Loads are the service points' demand (kW) times a diversity of 0.5 at a power factor of 0.9, as
the demo city sizes its transformers (kVA). A tie is checked along the path that would feed the
picked-up part: every line (√3 · kV · A), transformer and the substation between the tie and its
source. Networks without capacities in the model (water) are restored by connectivity alone.
Ties are closed greedily, the one with the most headroom first, one per dead part, until none
fits.

Cost: what the candidate ties need is computed once per round for all of them at once, never
per tie: the supplied forest (one breadth-first search, which also says what is supplied); when
there are candidates, the lost parts and their loads (one component search, once per outage),
each node's load (log2(depth) pointer-doubling steps) and the spare capacity of the element
above it; then each candidate walks up its feeding path for the least spare. A round follows
each tie closed.
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
        spare, limits = feeding.spare(alive_end)
        headroom = spare - picked
        fits = headroom >= 0
        for k, edge in enumerate(candidates.tolist()):
            if fits[k]:
                refused.pop(edge, None)
            else:
                refused[edge] = (f"would load {limits[k]} past its capacity by "
                                 f"{-headroom[k]:,.0f} kVA")
        if not fits.any():
            break
        best = int(np.flatnonzero(fits)[np.argmax(headroom[fits])])
        edge = int(candidates[best])
        reasons[edge] = f"picks up {picked[best]:,.0f} kVA" + (
            f"; {headroom[best]:,.0f} kVA to spare on {limits[best]}" if limits[best] else "")
        closed.append(edge)
        live = live.copy()
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
    """The supplied forest of the ``live`` edges from ``sources`` (one breadth-first search):
    which nodes it reaches and, on demand, the least spare capacity (kVA) on the way from a
    node to its source."""

    def __init__(self, net: CompiledNetwork, live: np.ndarray, sources: np.ndarray) -> None:
        self.net, self.live = net, live
        if net.has_capacities:
            self.parent = net.adjacency.forest(live, sources)
            self.supplied = self.parent >= 0
            self.supplied[sources] = True
        else:
            self.supplied = net.adjacency.reach(live, sources)

    def _spare_above(self) -> tuple[np.ndarray, np.ndarray]:
        """Per node, the spare capacity (kVA, +inf without one) of the element above it (the
        edge to its parent, or its source) once its subtree's load flows through, and that
        edge (-1 at roots)."""
        net = self.net
        parent_edge = net.adjacency.tree_edges(self.live, self.parent)
        load = subtree_totals(self.parent, np.where(self.supplied, net.demand_kw, 0.0)
                              * DIVERSITY / POWER_FACTOR)
        capacity = np.where(parent_edge >= 0, net.edge_capacity_kva[np.maximum(parent_edge, 0)],
                            net.source_capacity_kva)
        return np.where(np.isnan(capacity), np.inf, capacity - load), parent_edge

    def spare(self, nodes: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """The least spare capacity (kVA, +inf without any) on the way from each of ``nodes``
        to its source, and the element where it is least ('' when none has a capacity)."""
        if not self.net.has_capacities:
            return np.full(len(nodes), np.inf), [""] * len(nodes)
        above, parent_edge = self._spare_above()
        least, where = path_minimum(self.parent, above, nodes)
        assets = [self.net.edge_asset[parent_edge[x]] if parent_edge[x] >= 0 else
                  self.net.node_asset[x] for x in where.tolist()]
        return least, ["" if np.isinf(s) else str(a or "")
                       for s, a in zip(least.tolist(), assets, strict=True)]
