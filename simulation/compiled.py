"""One network compiled once into integer-indexed arrays: what every simulation query runs on.

Nodes and edges are numbered ``0..n-1`` / ``0..m-1`` in the order of their ids; asset ids and
topology ids map to those numbers through dictionaries built once. Weights per node (customers,
demand) and per edge (capacity, length) are float arrays.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from simulation._graph import Adjacency
from twin.read import Network

OPEN_CONDUCTS = frozenset({"valve", "pipe", "pump"})
"""Edge kinds that carry service when open (water); the others (switches) when closed."""
BARRIERS = {"water": ("valve",), "power": ("switch", "transformer"), "drainage": (),
            "telecom": (), "road": ()}
"""Edge kinds that bound isolation segments in each network: isolation valves close; switches,
and a transformer's own fuse switch, open."""
ISOLATION_VALVE_TYPES = frozenset({"gate", "butterfly", "ball", "sluice", "plug", "globe",
                                   "knife", "isolation", "stop"})
"""``water_valves.valve_type`` values (any case) of the valves crews shut to isolate a segment;
a valve of no recorded type counts as one. Control valves (EPANET's PRV, PSV, PBV, FCV, TCV,
GPV), check valves and the like conduct or not by their state but bound no segment (as in
WNTR, where only the valve layer bounds segments) and are not operated to isolate or restore."""


def isolating_valve(valve_type: object) -> bool:
    """Whether a valve of this type (text; None or NaN: not recorded) bounds isolation
    segments (``ISOLATION_VALVE_TYPES``)."""
    return not isinstance(valve_type, str) or valve_type.strip().lower() in ISOLATION_VALVE_TYPES


@dataclass(frozen=True)
class NetworkState:
    """A state of one network: which edges carry service and which nodes and edges failed."""

    conducts: np.ndarray
    failed_nodes: np.ndarray
    failed_edges: np.ndarray

    def with_failures(self, nodes: Iterable[int] = (), edges: Iterable[int] = (),
                      opened: Iterable[int] = ()) -> NetworkState:
        """A new state with more failed nodes and edges, and edges ``opened`` (no service)."""
        failed_nodes, failed_edges = self.failed_nodes.copy(), self.failed_edges.copy()
        conducts = self.conducts.copy()
        failed_nodes[list(nodes)] = True
        failed_edges[list(edges)] = True
        conducts[list(opened)] = False
        return NetworkState(conducts, failed_nodes, failed_edges)


@dataclass(frozen=True)
class CompiledNetwork:
    """A network as arrays. ``u``/``v``: edge end node numbers; ``node_weight`` columns are
    named by ``weight_names`` (customers, demand_kw, ...); ``edge_capacity_kva`` is NaN where the
    model holds no capacity; ``source_capacity_kva`` likewise per node; ``is_barrier``: the
    edges that bound isolation segments (``BARRIERS``, isolation valves only)."""

    name: str
    node_ids: np.ndarray
    node_asset: np.ndarray
    node_kind: np.ndarray
    is_source: np.ndarray
    edge_ids: np.ndarray
    edge_asset: np.ndarray
    edge_kind: np.ndarray
    u: np.ndarray
    v: np.ndarray
    normally_connected: np.ndarray
    length_m: np.ndarray
    customers: np.ndarray
    demand_kw: np.ndarray
    edge_capacity_kva: np.ndarray
    source_capacity_kva: np.ndarray
    is_barrier: np.ndarray
    node_index: dict[str, int] = field(repr=False)
    edge_index: dict[str, int] = field(repr=False)
    asset_nodes: dict[str, list[int]] = field(repr=False)
    asset_edges: dict[str, list[int]] = field(repr=False)

    @cached_property
    def carries_open(self) -> np.ndarray:
        """Edges that carry service when open (valves, pipes, pumps)."""
        return np.isin(self.edge_kind, list(OPEN_CONDUCTS))

    @cached_property
    def is_tie(self) -> np.ndarray:
        """Edges that may be closed to restore service: switches and isolation valves."""
        return self.is_barrier & np.isin(self.edge_kind, ["switch", "valve"])

    @cached_property
    def has_capacities(self) -> bool:
        """Whether the model holds any capacity (else restoration goes by connectivity)."""
        return bool((~np.isnan(self.edge_capacity_kva)).any()
                    or (~np.isnan(self.source_capacity_kva)).any())

    @cached_property
    def adjacency(self) -> Adjacency:
        return Adjacency(self.n, self.u, self.v)

    @cached_property
    def node_has_asset(self) -> np.ndarray:
        return np.array([a is not None for a in self.node_asset.tolist()], dtype=bool)

    @cached_property
    def edge_has_asset(self) -> np.ndarray:
        return np.array([a is not None for a in self.edge_asset.tolist()], dtype=bool)

    @property
    def n(self) -> int:
        return len(self.node_ids)

    @property
    def m(self) -> int:
        return len(self.edge_ids)

    def state(self, opened: Iterable[str] = (), closed: Iterable[str] = (),
              failed: Iterable[str] = ()) -> NetworkState:
        """The normal state with reported device positions and failed assets applied: an
        ``opened`` valve carries water, an ``opened`` switch carries no power (and the reverse
        for ``closed``). Ids of other networks are ignored."""
        conducts = self.normally_connected.copy()
        carries_open = self.carries_open
        for ids, value in ((opened, True), (closed, False)):
            edges = [e for a in ids for e in self.asset_edges.get(a, ())]
            conducts[edges] = np.where(carries_open[edges], value, not value)
        failed_nodes = np.zeros(self.n, dtype=bool)
        failed_edges = np.zeros(self.m, dtype=bool)
        for asset in failed:
            failed_nodes[self.asset_nodes.get(asset, [])] = True
            failed_edges[self.asset_edges.get(asset, [])] = True
        return NetworkState(conducts, failed_nodes, failed_edges)

    def live_edges(self, state: NetworkState) -> np.ndarray:
        """Edges that carry service in ``state``: conducting, not failed, both ends not failed."""
        return (state.conducts & ~state.failed_edges & ~state.failed_nodes[self.u]
                & ~state.failed_nodes[self.v])

    def supplied(self, state: NetworkState) -> np.ndarray:
        """Nodes joined to a working source in ``state``. A network without sources (roads)
        counts its largest connected part as the one with access."""
        live = self.live_edges(state)
        sources = np.flatnonzero(self.is_source & ~state.failed_nodes)
        if self.is_source.any():
            return self.adjacency.reach(live, sources)
        labels = self.adjacency.components(live)
        labels = np.where(state.failed_nodes, -1, labels)
        if not (labels >= 0).any():
            return np.zeros(self.n, dtype=bool)
        return labels == np.bincount(labels[labels >= 0]).argmax()

    def edges_without_service(self, state: NetworkState, supplied: np.ndarray) -> np.ndarray:
        """Edges with no supplied end, and failed edges."""
        return (~supplied[self.u] & ~supplied[self.v]) | state.failed_edges | \
            state.failed_nodes[self.u] | state.failed_nodes[self.v]


def compile_network(network: Network, customers: pd.Series, demand_kw: pd.Series,
                    capacity_kva: pd.Series, not_isolating: Collection[str] = frozenset()
                    ) -> CompiledNetwork:
    """Arrays for ``network``; ``customers``/``demand_kw`` are per asset id (nodes carrying
    those assets get them), ``capacity_kva`` per asset id of an edge or a source node;
    ``not_isolating``: asset ids of devices of a barrier kind that bound no segment (control
    valves)."""
    nodes, edges = network.nodes, network.edges
    node_ids = nodes.index.to_numpy(dtype=object)
    node_index = {node: i for i, node in enumerate(node_ids.tolist())}
    edge_ids = edges.index.to_numpy(dtype=object)
    node_asset = nodes["asset_id"].to_numpy(dtype=object)
    edge_asset = edges["asset_id"].to_numpy(dtype=object)
    u = edges["from_node"].map(node_index).to_numpy(dtype=np.int64)
    v = edges["to_node"].map(node_index).to_numpy(dtype=np.int64)
    by_node_asset = pd.Series(node_asset)
    by_edge_asset = pd.Series(edge_asset)
    is_source = nodes["is_source"].to_numpy(dtype=bool)
    edge_kind = edges["kind"].to_numpy(dtype=object)
    is_barrier = np.isin(edge_kind, list(BARRIERS[network.name])) & ~by_edge_asset.isin(
        list(not_isolating)).to_numpy(dtype=bool)
    return CompiledNetwork(
        name=network.name, node_ids=node_ids, node_asset=node_asset,
        node_kind=nodes["kind"].to_numpy(dtype=object), is_source=is_source,
        edge_ids=edge_ids, edge_asset=edge_asset, edge_kind=edge_kind,
        u=u, v=v, normally_connected=edges["normally_connected"].to_numpy(dtype=bool),
        length_m=edges["length_m"].fillna(0.0).to_numpy(dtype=float),
        customers=by_node_asset.map(customers).fillna(0).to_numpy(dtype=float),
        demand_kw=by_node_asset.map(demand_kw).fillna(0).to_numpy(dtype=float),
        edge_capacity_kva=by_edge_asset.map(capacity_kva).to_numpy(dtype=float),
        source_capacity_kva=np.where(is_source, by_node_asset.map(capacity_kva), np.nan
                                     ).astype(float),
        is_barrier=is_barrier, node_index=node_index,
        edge_index={e: i for i, e in enumerate(edge_ids.tolist())},
        asset_nodes=_positions(node_asset), asset_edges=_positions(edge_asset),
    )


def _positions(assets: np.ndarray) -> dict[str, list[int]]:
    """Asset id → the positions it holds in ``assets`` (None skipped)."""
    positions: dict[str, list[int]] = {}
    for i, asset in enumerate(assets.tolist()):
        if asset is not None:
            positions.setdefault(asset, []).append(i)
    return positions
