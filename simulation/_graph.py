"""Graph routines on integer-indexed networks: reach from sources, components, and one depth-first
pass that yields every articulation point and bridge with the weight it cuts off.

Nodes are ``0..n-1``; edges are parallel arrays ``u``, ``v``. Everything here is numpy/scipy over
those arrays, O(n + m) per query (O(n log depth) for the sums and minima along a forest), except
the depth-first search (a tight Python loop over lists).

Networks have parallel edges (two pipes or cables between the same nodes), so a graph matrix may
hold the same entry twice. scipy's strongly connected components never return on such a matrix
(scipy 1.17: a 2 × 2 matrix with indices [1, 1, 0, 0] is enough); the graphs here are symmetric,
so components are always taken weakly, and searches (breadth-first) are safe with duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components


def rooted(n: int, u: np.ndarray, v: np.ndarray, sources: np.ndarray) -> csr_matrix:
    """Undirected 0/1 adjacency ((n + 1) × (n + 1)) of the edges ``u``–``v`` plus a virtual
    node n joined to every source: one search from n covers all sources at once."""
    uu = np.concatenate([u, np.full(len(sources), n)])
    vv = np.concatenate([v, sources])
    return coo_matrix((np.ones(len(uu)), (uu, vv)), shape=(n + 1, n + 1)).tocsr()


def reached_from(n: int, u: np.ndarray, v: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Which of the ``n`` nodes are joined to any of ``sources`` by the edges ``u``–``v``."""
    reached = np.zeros(n, dtype=bool)
    if len(sources) == 0:
        return reached
    order = breadth_first_order(rooted(n, u, v, sources), n, directed=False,
                                return_predecessors=False)
    reached[order[order < n]] = True
    return reached


def bfs_forest(n: int, u: np.ndarray, v: np.ndarray, sources: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Breadth-first forest from ``sources``: (order of the reached nodes, parent of each node
    (-1 at roots and unreached), root source of each node (-1 unreached))."""
    parent = np.full(n, -1)
    root = np.full(n, -1)
    if len(sources) == 0:
        return np.zeros(0, dtype=int), parent, root
    order, pred = breadth_first_order(rooted(n, u, v, sources), n, directed=False,
                                      return_predecessors=True)
    order = order[1:]
    parent[order] = np.where(pred[order] == n, -1, pred[order])
    ancestor = np.where(parent >= 0, parent, np.arange(n))
    while True:  # pointer doubling: log(depth) vectorised steps to every node's root
        further = ancestor[ancestor]
        if np.array_equal(further, ancestor):
            break
        ancestor = further
    root[order] = ancestor[order]
    return order, parent, root


@dataclass(frozen=True)
class LowpointTree:
    """A depth-first forest with Tarjan's low points, indexed by node.

    ``disc``: discovery rank (-1 unvisited); ``parent``/``parent_edge``: tree parent and the edge
    to it (-1 at roots); ``low``: lowest rank reachable from the subtree by one back edge;
    ``size``: nodes in the subtree; ``preorder``: nodes by rank.
    """

    disc: np.ndarray
    parent: np.ndarray
    parent_edge: np.ndarray
    low: np.ndarray
    size: np.ndarray
    preorder: np.ndarray

    def subtree_sums(self, weight: np.ndarray) -> np.ndarray:
        """Sum of ``weight`` (per node, shape (n,) or (n, k)) over each node's subtree."""
        ordered = weight[self.preorder]
        prefix = np.concatenate([np.zeros((1, *weight.shape[1:])), np.cumsum(ordered, axis=0)])
        sums = np.zeros(weight.shape)
        visited = self.disc >= 0
        start = self.disc[visited]
        sums[visited] = prefix[start + self.size[visited]] - prefix[start]
        return sums

    def separated_children(self) -> np.ndarray:
        """Nodes whose subtree is cut off from the rest when their parent is removed
        (low point not above the parent): the pieces an articulation point splits off."""
        child = np.flatnonzero(self.parent >= 0)
        return child[self.low[child] >= self.disc[self.parent[child]]]

    def bridge_children(self) -> np.ndarray:
        """Nodes whose tree edge to their parent is a bridge."""
        child = np.flatnonzero(self.parent >= 0)
        return child[self.low[child] > self.disc[self.parent[child]]]


def lowpoint_tree(n: int, u: np.ndarray, v: np.ndarray, roots: np.ndarray) -> LowpointTree:
    """Iterative Tarjan depth-first search from ``roots`` (in that order) over edges ``u``–``v``;
    parallel edges count as a cycle (the parent edge is skipped by id, not by node). O(n + m)."""
    m = len(u)
    ends = np.concatenate([u, v])
    others = np.concatenate([v, u])
    edge_of = np.concatenate([np.arange(m), np.arange(m)])
    order = np.argsort(ends, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(ends, minlength=n))]).tolist()
    nbr, eid = others[order].tolist(), edge_of[order].tolist()
    disc, low, size = [-1] * n, [0] * n, [1] * n
    parent, parent_edge = [-1] * n, [-1] * n
    preorder: list[int] = []
    for root in np.asarray(roots).tolist():
        if disc[root] >= 0:
            continue
        disc[root] = low[root] = len(preorder)
        preorder.append(root)
        nodes, cursor = [root], [indptr[root]]
        while nodes:
            node, i = nodes[-1], cursor[-1]
            if i < indptr[node + 1]:
                cursor[-1] = i + 1
                other, edge = nbr[i], eid[i]
                if edge == parent_edge[node]:
                    continue
                if disc[other] < 0:
                    disc[other] = low[other] = len(preorder)
                    preorder.append(other)
                    parent[other], parent_edge[other] = node, edge
                    nodes.append(other)
                    cursor.append(indptr[other])
                elif disc[other] < low[node]:
                    low[node] = disc[other]
            else:
                nodes.pop()
                cursor.pop()
                up = parent[node]
                if up >= 0:
                    if low[node] < low[up]:
                        low[up] = low[node]
                    size[up] += size[node]
    return LowpointTree(np.array(disc), np.array(parent), np.array(parent_edge), np.array(low),
                        np.array(size), np.array(preorder, dtype=int))


class Adjacency:
    """Both directions of every edge of one network, sorted by node once, so that each query
    (a mask of the edges that carry service) becomes a CSR graph without sorting or counting
    again: an entry of an edge that carries nothing becomes a loop on its own node, which joins
    nothing, so the row pointers never change."""

    def __init__(self, n: int, u: np.ndarray, v: np.ndarray) -> None:
        m = len(u)
        ends = np.concatenate([u, v])
        order = np.argsort(ends, kind="stable")
        self.n = n
        # int32 indices, as scipy's graph routines take them: no conversion per query
        self.rows = ends[order].astype(np.int32)
        self.cols = np.concatenate([v, u])[order].astype(np.int32)
        self.edge = np.concatenate([np.arange(m), np.arange(m)])[order]
        self._indptr = np.zeros(n + 2, dtype=np.int32)
        np.cumsum(np.bincount(ends, minlength=n + 1), out=self._indptr[1:])
        self._ones = np.ones(2 * m + n)

    def graph(self, live: np.ndarray, sources: np.ndarray | None = None) -> csr_matrix:
        """The (n + 1) × (n + 1) symmetric graph of the ``live`` edges; node n (virtual) has
        arcs to ``sources``."""
        extra = np.zeros(0, dtype=np.int32) if sources is None else np.asarray(
            sources, dtype=np.int32)
        indices = np.concatenate([np.where(live[self.edge], self.cols, self.rows), extra])
        indptr = self._indptr.copy()
        indptr[-1] += len(extra)
        return csr_matrix((self._ones[: len(indices)], indices, indptr),
                          shape=(self.n + 1, self.n + 1))

    def reach(self, live: np.ndarray, sources: np.ndarray) -> np.ndarray:
        """Which nodes the ``live`` edges join to any of ``sources``."""
        reached = np.zeros(self.n, dtype=bool)
        if len(sources) == 0:
            return reached
        order = breadth_first_order(self.graph(live, sources), self.n, directed=True,
                                    return_predecessors=False)
        reached[order[order < self.n]] = True
        return reached

    def components(self, live: np.ndarray) -> np.ndarray:
        """Component label of each node over the ``live`` edges (weak components of the
        symmetric graph: see the module's note on parallel edges)."""
        labels = connected_components(self.graph(live), directed=True, connection="weak")[1]
        return labels[: self.n]

    def forest(self, live: np.ndarray, sources: np.ndarray) -> np.ndarray:
        """Breadth-first forest of the ``live`` edges from ``sources``: each node's parent (-1
        at the sources and where unreached)."""
        parent = np.full(self.n, -1)
        if len(sources) == 0:
            return parent
        order, pred = breadth_first_order(self.graph(live, sources), self.n, directed=True,
                                          return_predecessors=True)
        below = order[order < self.n]
        parent[below] = np.where(pred[below] == self.n, -1, pred[below])
        return parent

    def tree_edges(self, live: np.ndarray, parent: np.ndarray) -> np.ndarray:
        """The ``live`` edge from each node to its ``parent`` (-1 at roots); of parallel edges,
        the first."""
        parent_edge = np.full(self.n, -1)
        tree = np.flatnonzero(live[self.edge] & (self.cols == parent[self.rows]))
        if len(tree):
            rows = self.rows[tree]
            first = tree[np.concatenate([[True], rows[1:] != rows[:-1]])]
            parent_edge[self.rows[first]] = self.edge[first]
        return parent_edge


def subtree_totals(parent: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Each node's ``weight`` plus that of all its descendants in the forest ``parent`` (-1 at
    roots). Pointer doubling: at step j every node that has a 2^j-th ancestor sends it its sum
    over 2^j generations, so log2(depth) vectorised steps, each over the nodes still that deep."""
    total = weight.astype(float)
    jump = parent.copy()
    active = np.flatnonzero(jump >= 0)
    while active.size:
        up = jump[active]
        total += np.bincount(up, weights=total[active], minlength=len(parent))
        further = jump[up]
        jump[active] = further
        active = active[further >= 0]
    return total


def path_minimum(parent: np.ndarray, value: np.ndarray, starts: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The least ``value`` on the way from each of ``starts`` to its root in the forest
    ``parent`` (both ends included) and the node where it is (the nearest on ties). A walk up
    from each start: O(depth) steps each, for the few starts restoration asks about."""
    least = np.empty(len(starts))
    where = np.empty(len(starts), dtype=np.int64)
    for k, start in enumerate(starts.tolist()):
        best, at, node = value[start], start, start
        while (node := parent[node]) >= 0:
            if value[node] < best:
                best, at = value[node], node
        least[k], where[k] = best, at
    return least, where
