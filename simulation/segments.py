"""Isolation segments: the parts of a network that its operable devices bound, as WNTR's valve
segments (water: what isolation valves enclose, control valves being plain links as in WNTR;
power: what switches and transformer fuse switches enclose).

A segment is a connected component of the network once every operable barrier edge is taken
out; every node and every non-barrier edge belongs to exactly one. A barrier reported failed
cannot be relied on to shut, so it joins the segments on its two sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation._graph import Adjacency
from simulation.compiled import CompiledNetwork, NetworkState

if TYPE_CHECKING:
    from simulation.snapshot import Snapshot


@dataclass(frozen=True)
class Segments:
    """``node_label``/``edge_label``: the segment number of each node and edge (-1 for the
    barrier edges between segments); ``barrier``: which edges are operable barriers."""

    network: CompiledNetwork
    node_label: np.ndarray
    edge_label: np.ndarray
    barrier: np.ndarray

    @cached_property
    def node_segment(self) -> dict[str, int]:
        """Topology node id → segment number."""
        return dict(zip(self.network.node_ids.tolist(), self.node_label.tolist(), strict=True))

    @cached_property
    def edge_segment(self) -> dict[str, int]:
        """Topology edge id → segment number, for every edge that is not a barrier."""
        inside = ~self.barrier
        return dict(zip(self.network.edge_ids[inside].tolist(), self.edge_label[inside].tolist(),
                        strict=True))

    @property
    def count(self) -> int:
        return int(self.node_label.max()) + 1 if len(self.node_label) else 0

    @cached_property
    def segment_graph(self) -> tuple[Adjacency, np.ndarray, np.ndarray]:
        """Segments as nodes, joined by every barrier between two of them (whatever its
        state), and those barriers' end segments."""
        net = self.network
        joins = np.flatnonzero(self.barrier)
        a, b = self.node_label[net.u[joins]], self.node_label[net.v[joins]]
        return Adjacency(self.count, a, b), a, b

    def bounding(self, in_segment: np.ndarray) -> np.ndarray:
        """Barrier edges with exactly one end among the nodes ``in_segment`` (bool per node)."""
        net = self.network
        return np.flatnonzero(self.barrier & (in_segment[net.u] != in_segment[net.v]))

    def to_json(self) -> dict[str, Any]:
        return {"network": self.network.name, "segments": self.count,
                "node_segment": self.node_segment, "edge_segment": self.edge_segment}


def segments_of(network: CompiledNetwork, state: NetworkState) -> Segments:
    """The segments of ``network``: components without its operable barriers (its
    ``is_barrier`` edges not failed in ``state``)."""
    barrier = network.is_barrier & ~state.failed_edges
    inside = ~barrier
    node_label = network.adjacency.components(inside)
    edge_label = np.where(barrier, -1, node_label[network.u])
    return Segments(network, node_label, edge_label, barrier)


def isolation_segments(snapshot: Snapshot, network: str = "water") -> Segments:
    """The segments of ``network`` in the snapshot's start state."""
    snapshot.network(network)
    return snapshot.base(network, snapshot.start).segments


@dataclass(frozen=True)
class IsolationPlan:
    """What isolating some failed elements takes: the nodes and edges shut in with them
    (``nodes``/``edges``, bool), the barrier edges to shut (``operate``, currently carrying
    service) and those already shut; ``isolable`` is False when no barrier bounds them."""

    nodes: np.ndarray
    edges: np.ndarray
    operate: np.ndarray
    already_shut: np.ndarray
    isolable: bool


SELF_ISOLATING = {"water": frozenset({"pump"}), "power": frozenset({"switch", "transformer"})}
"""Edge kinds whose failure takes out only themselves: a pump stops; a switch fails open, a
transformer's own fuse switch opens. Other failed edges are breaks to be shut in."""


FEED_BACK_ONLY = frozenset({"power"})
"""Networks where only the barriers with a possible supply beyond them need opening (a
transformer feeding a radial LV network with no other source stays as it is)."""


def _leads_to_source(segments: Segments, labels: set[int], bounding: np.ndarray
                     ) -> np.ndarray:
    """For each barrier edge ``bounding``, whether its far side reaches a source over any edge
    (whatever its state: a tie may close) without passing through the segments ``labels``:
    one search on the segment graph (segments joined by the barriers between them) from the
    segments holding a source, without those segments."""
    net = segments.network
    graph, a, b = segments.segment_graph
    out = np.zeros(segments.count, dtype=bool)
    out[list(labels)] = True
    sources = segments.node_label[net.is_source]
    fed = graph.reach(~out[a] & ~out[b], np.unique(sources[~out[sources]]))
    ends = segments.node_label[np.stack([net.u[bounding], net.v[bounding]])]
    return fed[np.where(out[ends[0]], ends[1], ends[0])]


def isolation_plan(segments: Segments, state: NetworkState, nodes: list[int],
                   edges: list[int]) -> IsolationPlan:
    """The segment(s) holding the failed ``nodes`` and ``edges`` and the barriers around them.

    A failed node or edge isolates its segment; a failed valve the segments on both its sides;
    a source node, a pump, a switch or a transformer only itself.
    """
    net = segments.network
    labels = {int(segments.node_label[x]) for x in nodes if not net.is_source[x]}
    for edge in edges:
        if net.edge_kind[edge] in SELF_ISOLATING.get(net.name, ()):
            continue
        labels.update({int(segments.node_label[net.u[edge]]),
                       int(segments.node_label[net.v[edge]])})
    chosen = np.zeros(segments.count + 1, dtype=bool)   # the last stands for label -1
    chosen[list(labels)] = True
    inside = chosen[segments.node_label]
    inside_edges = chosen[segments.edge_label]
    inside_edges[edges] = True
    bounding = segments.bounding(inside)
    bounding = bounding[~state.failed_edges[bounding]]
    if net.name in FEED_BACK_ONLY:
        bounding = bounding[_leads_to_source(segments, labels, bounding)]
    shut = ~state.conducts[bounding]
    return IsolationPlan(inside, inside_edges, bounding[~shut], bounding[shut],
                         isolable=not labels or len(bounding) > 0)
