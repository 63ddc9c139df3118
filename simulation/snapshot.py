"""The twin's networks compiled once, with the live device states: every simulation query runs on
a snapshot, in memory, without touching the database.

    snap = load_snapshot(db, live=True)
    snap.outage(["TR-000012"]).to_json()
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from layers import LAYERS, NETWORKS
from simulation.compiled import CompiledNetwork, NetworkState, compile_network, isolating_valve
from simulation.segments import Segments, segments_of
from simulation.state import ScenarioChanges, StartState, live_start_state
from twin.errors import InvalidInput
from twin.read import read_layer, read_network

if TYPE_CHECKING:
    from simulation.criticality import CriticalityResult
    from simulation.isolation import IsolationResult
    from simulation.outage import OutageResult
    from simulation.trace import TraceResult

LAYER_OF_PREFIX = {spec.prefix: name for name, spec in LAYERS.items() if spec.prefix}
SNAPSHOT_STEPS = 2 + len(NETWORKS)


@dataclass(frozen=True)
class Element:
    """Where an asset (or a topology id) sits: node and edge numbers per network."""

    asset_id: str
    layer: str
    nodes: dict[str, list[int]]
    edges: dict[str, list[int]]


@dataclass(frozen=True)
class Base:
    """One network in a start state, before anything fails: the state, the nodes supplied, the
    edges carrying service, and its isolation segments."""

    network: CompiledNetwork
    state: NetworkState
    supplied: np.ndarray
    with_service: np.ndarray

    @cached_property
    def segments(self) -> Segments:
        return segments_of(self.network, self.state)

    @cached_property
    def dead(self) -> frozenset[str]:
        """Topology ids of the nodes without supply."""
        return frozenset(self.network.node_ids[~self.supplied].tolist())


@dataclass(frozen=True)
class Snapshot:
    """Every network compiled (``networks``), the cross-network ``dependencies`` (consumer_id,
    consumer_layer, network, provider (node number), backup_hours), the luminaires' roads and
    the start state (live device states)."""

    networks: dict[str, CompiledNetwork]
    dependencies: pd.DataFrame
    luminaire_road: pd.Series
    start: StartState = field(default_factory=StartState)
    _bases: dict[str, Base] = field(default_factory=dict, repr=False, compare=False)
    _dependants: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False)
    _elements: dict[str, Element] = field(default_factory=dict, repr=False, compare=False)

    def base(self, name: str, start: StartState) -> Base:
        """Network ``name`` in ``start`` before any failure (kept for the snapshot's own start
        state, which most queries share)."""
        if start == self.start and name in self._bases:
            return self._bases[name]
        net = self.networks[name]
        state = net.state(start.opened, start.closed, start.failed)
        supplied = net.supplied(state)
        base = Base(net, state, supplied, ~net.edges_without_service(state, supplied))
        if start == self.start:
            self._bases[name] = base
        return base

    # -- ids ------------------------------------------------------------------------------------
    def layer_of(self, asset_id: str) -> str:
        """The layer an asset id belongs to (by its prefix); topology ids name their table."""
        prefix = asset_id.rsplit("-", 1)[0]
        if prefix in LAYER_OF_PREFIX:
            return LAYER_OF_PREFIX[prefix]
        for network in self.networks.values():
            if asset_id in network.node_index:
                return "network_nodes"
            if asset_id in network.edge_index:
                return "network_edges"
        raise InvalidInput(f"unknown asset id '{asset_id}'")

    def resolve(self, ids: Sequence[str]) -> list[Element]:
        """Each id as an :class:`Element`; ids that are neither an asset of a network element
        nor a dependent asset nor a topology id are refused, all named in one error."""
        found, unknown = [], []
        for asset_id in dict.fromkeys(ids):
            element = self._element(asset_id)
            if element is None:
                unknown.append(asset_id)
            else:
                found.append(element)
        if unknown:
            raise InvalidInput(f"unknown asset id{'s' if len(unknown) > 1 else ''}: "
                               f"{', '.join(repr(u) for u in unknown)} (no network element or "
                               "dependent asset has that id)")
        return found

    def _element(self, asset_id: str) -> Element | None:
        element = self._elements.get(asset_id) or self._find(asset_id)
        if element is not None:
            self._elements[asset_id] = element
        return element

    def _find(self, asset_id: str) -> Element | None:
        nodes: dict[str, list[int]] = {}
        edges: dict[str, list[int]] = {}
        for name, network in self.networks.items():
            if asset_id in network.node_index:
                nodes[name] = [network.node_index[asset_id]]
            elif asset_id in network.edge_index:
                edges[name] = [network.edge_index[asset_id]]
            else:
                if asset_id in network.asset_nodes:
                    nodes[name] = network.asset_nodes[asset_id]
                if asset_id in network.asset_edges:
                    edges[name] = network.asset_edges[asset_id]
        if not nodes and not edges and asset_id not in self._consumers:
            return None
        return Element(asset_id, self.layer_of(asset_id), nodes, edges)

    def dependants(self, network: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The dependencies on ``network``'s nodes as arrays: provider node number, consumer
        asset id, backup hours."""
        if network not in self._dependants:
            rows = self.dependencies[self.dependencies["network"] == network]
            self._dependants[network] = (rows["provider"].to_numpy(dtype=np.int64),
                                         rows["consumer_id"].to_numpy(dtype=object),
                                         rows["backup_hours"].to_numpy(dtype=float))
        return self._dependants[network]

    @cached_property
    def _consumers(self) -> frozenset[str]:
        return frozenset(self.dependencies["consumer_id"].tolist())

    def road_length_m(self, roads: Iterable[str]) -> float:
        """Summed length (m) of the road assets ``roads``, from the road network's edges."""
        net = self.networks["road"]
        return float(sum(net.length_m[net.asset_edges[r]].sum() for r in set(roads)
                         if r in net.asset_edges))

    def network(self, name: str) -> CompiledNetwork:
        if name not in self.networks:
            raise InvalidInput(f"unknown network '{name}'; networks: {', '.join(self.networks)}")
        return self.networks[name]

    # -- queries ---------------------------------------------------------------------------------
    def outage(self, asset_ids: Sequence[str], *,
               changes: ScenarioChanges | None = None) -> OutageResult:
        """What fails, when and for whom if ``asset_ids`` fail (see :mod:`simulation.outage`)."""
        from simulation.outage import simulate_outage

        return simulate_outage(self, asset_ids, changes=changes)

    def dead_nodes(self, asset_ids: Sequence[str], *, changes: ScenarioChanges | None = None
                   ) -> dict[str, frozenset[str]]:
        """Network → topology ids of the nodes without supply once ``asset_ids`` fail, and
        nothing more: no isolation, cascade or restoration (see
        :func:`simulation.outage.dead_nodes`)."""
        from simulation.outage import dead_nodes

        return dead_nodes(self, asset_ids, changes=changes)

    def isolate(self, asset_id: str, *, changes: ScenarioChanges | None = None
                ) -> IsolationResult:
        """The devices to operate to isolate ``asset_id``, what that leaves without service, and
        the ties that restore the rest (see :mod:`simulation.isolation`)."""
        from simulation.isolation import simulate_isolation

        return simulate_isolation(self, asset_id, changes=changes)

    def criticality(self, network: str) -> CriticalityResult:
        """What each element of ``network`` takes down alone, ranked (one pass)."""
        from simulation.criticality import network_criticality

        return network_criticality(self, network)

    def valve_segments(self, network: str = "water") -> Segments:
        """The segments that valves (water) or switches (power) bound."""
        from simulation.segments import isolation_segments

        return isolation_segments(self, network)

    def trace(self, network: str, start: str, direction: str = "downstream") -> TraceResult:
        """Connected, upstream, downstream or subnetwork trace from ``start``."""
        from simulation.trace import trace

        return trace(self, network, start, direction)


def load_snapshot(db: Engine | Connection, live: bool = True,
                  step: Callable[[str], None] | None = None) -> Snapshot:
    """Read every network and the figures the simulations weigh (customers, demand, capacities,
    the luminaires' roads) once; with ``live`` start from the reported device states. ``step``
    is called as each part is read (for progress bars: ``SNAPSHOT_STEPS`` calls)."""
    if isinstance(db, Engine):
        with db.connect() as conn:
            return load_snapshot(conn, live=live, step=step)
    say = step or (lambda _: None)
    points = read_layer(db, "service_points", columns=["customers", "demand_kw"])
    customers = pd.concat([
        points["customers"],
        read_layer(db, "water_service_connections", columns=["customers"])["customers"],
        read_layer(db, "customer_terminals", columns=["households"])["households"],
    ]).astype(float)
    demand = points["demand_kw"].astype(float)
    capacity = _capacities_kva(db)
    valve_type = read_layer(db, "water_valves", columns=["valve_type"])["valve_type"]
    control_valves = frozenset(a for a, t in valve_type.items() if not isolating_valve(t))
    say("customers and capacities")
    networks, dependencies = {}, []
    for name in NETWORKS:
        network = read_network(db, name)
        compiled = compile_network(network, customers, demand, capacity, control_valves)
        networks[name] = compiled
        deps = network.dependencies
        dependencies.append(pd.DataFrame({
            "consumer_id": deps["consumer_id"], "consumer_layer": deps["consumer_layer"],
            "network": name, "provider": deps["provider_node"].map(compiled.node_index),
            "backup_hours": deps["backup_hours"].astype(float)}))
        say(f"{name} network")
    lamps = read_layer(db, "luminaires", columns=["road_id"])["road_id"].dropna()
    start = live_start_state(db) if live else StartState()
    say("live state")
    return Snapshot(networks, pd.concat(dependencies, ignore_index=True), lamps, start)


def _capacities_kva(db: Connection) -> pd.Series:
    """Rated capacity (kVA) per asset: substations, transformers, and lines (√3 · kV · A)."""
    lines = read_layer(db, "power_lines", columns=["voltage_kv", "rated_current_a"])
    line_kva = np.sqrt(3) * lines["voltage_kv"].astype(float) * lines["rated_current_a"].astype(
        float)
    return pd.concat([
        read_layer(db, "substations", columns=["capacity_kva"])["capacity_kva"].astype(float),
        read_layer(db, "transformers", columns=["capacity_kva"])["capacity_kva"].astype(float),
        line_kva]).dropna()
