"""Shortest-path forests over the street junctions: which source (substation, outfall, cabinet...)
each junction is nearest to along the streets, and the segment leading there."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from ingest.demo.streets import Streets


@dataclass(frozen=True)
class Forest:
    """One tree per source over the street junctions, indexed by junction.

    ``root``: the source junction each junction belongs to; ``parent``: the next junction towards
    it (-1 at a root); ``edge``: the street segment to the parent (-1 at a root); ``dist``: the
    weighted distance to the root (m); ``order``: junctions from the roots outwards."""

    root: np.ndarray
    parent: np.ndarray
    edge: np.ndarray
    dist: np.ndarray
    order: np.ndarray

    @property
    def depth(self) -> np.ndarray:
        """Segments between each junction and its root."""
        depth = np.zeros(len(self.parent), dtype=int)
        for node in self.order:
            if self.parent[node] >= 0:
                depth[node] = depth[self.parent[node]] + 1
        return depth

    def path(self, node: int) -> list[int]:
        """Junctions from ``node`` up to its root."""
        path = [int(node)]
        while self.parent[path[-1]] >= 0:
            path.append(int(self.parent[path[-1]]))
        return path

    def is_tree_edge(self, streets: Streets) -> np.ndarray:
        """Whether each street segment belongs to the forest."""
        used = np.zeros(len(streets.u), dtype=bool)
        used[self.edge[self.edge >= 0]] = True
        return used


def nearest_source_forest(streets: Streets, sources: np.ndarray,
                          weight: np.ndarray | None = None) -> Forest:
    """Multi-source Dijkstra over the streets from the junctions ``sources``; ``weight`` per
    segment defaults to its length (m). Ties break on junction number, so it is deterministic."""
    weight = streets.length if weight is None else weight
    n = len(streets.nodes)
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for e, (a, b) in enumerate(zip(streets.u.tolist(), streets.v.tolist(), strict=True)):
        adjacency[a].append((b, e))
        adjacency[b].append((a, e))
    dist = np.full(n, np.inf)
    parent, edge, root = np.full(n, -1), np.full(n, -1), np.full(n, -1)
    heap = [(0.0, int(s), int(s), -1, -1) for s in sorted(set(np.asarray(sources).tolist()))]
    order = []
    w = weight.tolist()
    while heap:
        d, node, src, par, via = heapq.heappop(heap)
        if dist[node] <= d:
            continue
        dist[node], root[node], parent[node], edge[node] = d, src, par, via
        order.append(node)
        for other, e in adjacency[node]:
            if d + w[e] < dist[other]:
                heapq.heappush(heap, (d + w[e], other, src, node, e))
    return Forest(root, parent, edge, dist, np.array(order))
