"""Network topology while the city is generated: nodes and edges numbered locally per network,
given their twin ids (``PN-000001``, ``PE-000001``) only once every network is built."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from ingest.demo._geometry import CITY_CRS, asset_ids, points
from layers import EDGE_PREFIX, NETWORKS, NODE_PREFIX


@dataclass(frozen=True)
class Topology:
    """One network. ``nodes``: x, y (EPSG:9214 m), kind, asset_id, is_source, indexed 0..n-1;
    ``edges``: from_node, to_node (those indices), kind, asset_id, normally_connected, length_m."""

    network: str
    nodes: pd.DataFrame
    edges: pd.DataFrame


@dataclass(frozen=True)
class Part:
    """What one generator adds to the city: layer frames (EPSG:9214), the topology of its network
    and its assets' dependencies on other networks' nodes (``provider``: a local node number of the
    network named by ``kind``)."""

    layers: dict[str, gpd.GeoDataFrame]
    topology: Topology | None = None
    dependencies: pd.DataFrame | None = None


@dataclass
class TopologyBuilder:
    """Collects a network's nodes and edges in the order they are added."""

    network: str
    _nodes: list[pd.DataFrame] = field(default_factory=list)
    _edges: list[pd.DataFrame] = field(default_factory=list)
    _count: int = 0

    def add_nodes(self, xy: np.ndarray, kind: str | np.ndarray, asset_id: object = None,
                  is_source: bool = False) -> np.ndarray:
        """Add nodes at (n, 2) ``xy``; returns their local numbers."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        numbers = np.arange(self._count, self._count + len(xy))
        self._count += len(xy)
        self._nodes.append(pd.DataFrame({
            "x": xy[:, 0], "y": xy[:, 1], "kind": kind, "asset_id": asset_id,
            "is_source": is_source}, index=numbers))
        return numbers

    def add_edges(self, from_node: np.ndarray, to_node: np.ndarray, kind: str | np.ndarray, *,
                  asset_id: object = None, connected: bool | np.ndarray = True,
                  length_m: float | np.ndarray = 0.0) -> None:
        """Add edges between local node numbers; ``length_m`` in metres (0 for devices)."""
        self._edges.append(pd.DataFrame({
            "from_node": np.asarray(from_node, dtype=int), "to_node": np.asarray(to_node, dtype=int),
            "kind": kind, "asset_id": asset_id, "normally_connected": connected,
            "length_m": np.round(np.asarray(length_m, dtype=float), 2)}))

    def build(self) -> Topology:
        nodes = pd.concat(self._nodes) if self._nodes else pd.DataFrame()
        edges = pd.concat(self._edges, ignore_index=True) if self._edges else pd.DataFrame()
        return Topology(self.network, nodes, edges)


def dependencies(consumer_id: np.ndarray, layer: str, provider: np.ndarray, kind: str,
                 backup_hours: float | np.ndarray) -> pd.DataFrame:
    """Rows of ``dependencies`` with providers still as local node numbers of network ``kind``."""
    return pd.DataFrame({"consumer_id": consumer_id, "consumer_layer": layer,
                         "provider": np.asarray(provider, dtype=int), "kind": kind,
                         "backup_hours": backup_hours})


@dataclass(frozen=True)
class NumberedTopology:
    """Every network's nodes and edges with twin ids, ready for ``twin.write.Dataset``."""

    nodes: gpd.GeoDataFrame
    edges: pd.DataFrame
    node_ids: dict[str, np.ndarray]
    """Per network, the twin id of each local node number."""

    def dependencies(self, frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
        """``frames`` of :func:`dependencies` with ``provider_node`` ids in place of numbers."""
        rows = pd.concat(frames, ignore_index=True)
        provider = np.empty(len(rows), dtype=object)
        for network in ("power", "telecom"):
            mine = (rows["kind"] == network).to_numpy()
            provider[mine] = self.node_ids[network][rows["provider"].to_numpy()[mine]]
        return rows.drop(columns="provider").assign(provider_node=provider)[
            ["consumer_id", "consumer_layer", "provider_node", "kind", "backup_hours"]]


def number(topologies: Sequence[Topology]) -> NumberedTopology:
    """Ids for every network's nodes and edges: one count over all networks (as the twin's one
    node sequence and one edge sequence do), in the order of ``layers.NETWORKS``."""
    by_network = {t.network: t for t in topologies}
    node_frames, edge_frames, node_ids = [], [], {}
    next_node, next_edge = 1, 1
    for network in NETWORKS:
        topology = by_network[network]
        ids = asset_ids(NODE_PREFIX[network], len(topology.nodes), next_node)
        node_ids[network] = ids
        next_node += len(ids)
        nodes = topology.nodes
        node_frames.append(gpd.GeoDataFrame(
            {"id": ids, "network": network, "asset_id": nodes["asset_id"].to_numpy(),
             "kind": nodes["kind"].to_numpy(), "is_source": nodes["is_source"].to_numpy()},
            geometry=points(nodes[["x", "y"]].to_numpy()), crs=CITY_CRS))
        edges = topology.edges
        edge_frames.append(pd.DataFrame({
            "id": asset_ids(EDGE_PREFIX[network], len(edges), next_edge), "network": network,
            "from_node": ids[edges["from_node"].to_numpy()],
            "to_node": ids[edges["to_node"].to_numpy()],
            "asset_id": edges["asset_id"].to_numpy(), "kind": edges["kind"].to_numpy(),
            "normally_connected": edges["normally_connected"].to_numpy(dtype=bool),
            "length_m": edges["length_m"].to_numpy()}))
        next_edge += len(edges)
    nodes = pd.concat(node_frames, ignore_index=True).rename_geometry("geom")
    return NumberedTopology(nodes, pd.concat(edge_frames, ignore_index=True), node_ids)
