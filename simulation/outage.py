"""Outage of one or more elements and its cascade across networks, on a timeline (minutes).

At minute 0 the named elements fail: a water break is isolated at once by closing the valves
around its segment (WNTR's valve segments); a power, telecom, drainage or road element simply
stops carrying service. Each network then loses what no longer reaches a source (roads: what no
longer reaches the largest connected part). A consumer of a lost node (``dependencies``) fails
after its battery: a luminaire or pump at once, a camera after 2 h, a cabinet after 4 h...;
a consumer that is itself a network element (a pump, a cabinet, an office) then fails in its
network, and so on until nothing changes. Restoration over ties and the switches that isolate a
power fault are given as actions; the timeline is the outage before any of them.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection, Engine

from simulation.compiled import CompiledNetwork, NetworkState
from simulation.restoration import restore
from simulation.results import OutageResult
from simulation.segments import isolation_plan
from simulation.state import ScenarioChanges, StartState
from twin.errors import InvalidInput

if TYPE_CHECKING:
    from simulation.snapshot import Base, Element, Snapshot

LOSS = {"power": "no power", "water": "no water", "telecom": "no signal",
        "drainage": "no way to an outfall", "road": "no access"}


@dataclass
class _Event:
    minute: float
    asset_id: str
    cause: str
    element: Element | None = None


@dataclass
class Track:
    """When each node and edge of one network lost service (minutes, NaN: never) and why (an
    index into the cascade's ``causes``)."""

    node_minute: np.ndarray
    edge_minute: np.ndarray
    node_cause: np.ndarray
    edge_cause: np.ndarray

    @classmethod
    def empty(cls, net: CompiledNetwork) -> Track:
        return cls(np.full(net.n, np.nan), np.full(net.m, np.nan),
                   np.full(net.n, -1, dtype=np.int32), np.full(net.m, -1, dtype=np.int32))


@dataclass
class _Cascade:
    """One outage's mutable bookkeeping: each network's current state and when each node, edge
    and dependent asset lost service, and why."""

    snapshot: Snapshot
    start: StartState
    isolate: frozenset[str]
    states: dict[str, NetworkState] = field(default_factory=dict)
    base: dict[str, Base] = field(default_factory=dict)
    supplied: dict[str, np.ndarray] = field(default_factory=dict)
    tracks: dict[str, Track] = field(default_factory=dict)
    """The networks touched so far, each with its :class:`Track`."""
    causes: list[str] = field(default_factory=list)
    consumers: dict[str, tuple[float, str, str]] = field(default_factory=dict)
    """Assets failed by the cascade (dependants): id → (minute, layer, cause)."""
    actions: list[dict[str, Any]] = field(default_factory=list)
    unisolable: list[str] = field(default_factory=list)
    shut_in: dict[str, tuple[np.ndarray, list[int]]] = field(default_factory=dict)
    """Per network, the nodes isolated and the barrier edges operated to isolate them."""

    def __post_init__(self) -> None:
        for name in self.snapshot.networks:
            base = self.snapshot.base(name, self.start)
            self.base[name] = base
            self.states[name] = base.state
            self.supplied[name] = base.supplied

    # -- failing ---------------------------------------------------------------------------------
    def fail(self, minute: float, element: Element, cause: str) -> set[str]:
        """Fail ``element`` in every network it belongs to; returns the networks touched."""
        touched = set()
        for name in set(element.nodes) | set(element.edges):
            nodes, edges = element.nodes.get(name, []), element.edges.get(name, [])
            self._mark(name, nodes, edges, minute, cause)
            opened: list[int] = []
            if name in self.isolate:
                plan = isolation_plan(self.base[name].segments, self.states[name], nodes, edges)
                if not plan.isolable:
                    self.unisolable.append(element.asset_id)
                inside = np.flatnonzero(plan.nodes)
                self._mark(name, inside, np.flatnonzero(plan.edges), minute,
                           f"isolated with {element.asset_id}")
                nodes, edges = list(inside), list(np.flatnonzero(plan.edges))
                opened = plan.operate.tolist()
                self.note_plan(name, element.asset_id, plan.operate, plan.nodes)
            self.states[name] = self.states[name].with_failures(nodes, edges, opened)
            touched.add(name)
        return touched

    def note_plan(self, name: str, asset_id: str, operate: np.ndarray,
                  nodes: np.ndarray) -> None:
        """Record the barriers ``operate`` shut to isolate ``asset_id`` as actions, and the
        ``nodes`` shut in."""
        net = self.snapshot.networks[name]
        verb = "close" if name == "water" else "open"
        for edge in operate.tolist():
            self.actions.append({"action": verb, "asset_id": _edge_name(net, edge),
                                 "layer": self.layer(net.edge_asset[edge]), "network": name,
                                 "why": f"isolates {asset_id}"})
        inside, operated = self.shut_in.get(name, (np.zeros(net.n, bool), []))
        self.shut_in[name] = (inside | nodes, operated + operate.tolist())

    def _mark(self, name: str, nodes: Sequence[int] | np.ndarray,
              edges: Sequence[int] | np.ndarray, minute: float, cause: str) -> None:
        if name not in self.tracks:
            self.tracks[name] = Track.empty(self.snapshot.networks[name])
        track = self.tracks[name]
        if cause not in self.causes:
            self.causes.append(cause)
        for minutes, causes, which in ((track.node_minute, track.node_cause, nodes),
                                       (track.edge_minute, track.edge_cause, edges)):
            which = np.asarray(which, dtype=int)
            fresh = which[np.isnan(minutes[which])]
            minutes[fresh] = minute
            causes[fresh] = self.causes.index(cause)

    def settle(self, name: str, minute: float) -> np.ndarray:
        """Recompute ``name`` after failures at ``minute``; the nodes it lost at that minute
        (the failed ones among them)."""
        net = self.snapshot.networks[name]
        state = self.states[name]
        supplied = net.supplied(state)
        self.supplied[name] = supplied
        base = self.base[name]
        track = self.tracks[name]
        self._mark(name, np.flatnonzero(base.supplied & ~supplied), [], minute, LOSS[name])
        edges = base.with_service & net.edges_without_service(state, supplied)
        self._mark(name, [], np.flatnonzero(edges), minute, LOSS[name])
        return np.flatnonzero(base.supplied & (track.node_minute == minute))

    def layer(self, asset_id: str | None) -> str:
        """The layer of an edge's asset (``network_edges`` for a bare topology edge)."""
        return self.snapshot.layer_of(asset_id) if asset_id else "network_edges"


def _edge_name(net: CompiledNetwork, edge: int) -> str:
    return str(net.edge_asset[edge] or net.edge_ids[edge])


def simulate_outage(snapshot: Snapshot, asset_ids: Sequence[str], *,
                    changes: ScenarioChanges | None = None,
                    isolate: Sequence[str] = ("water",)) -> OutageResult:
    """The outage of ``asset_ids`` (asset or topology ids) and its cascade; breaks in the
    networks ``isolate`` are shut in by their valves or switches at minute 0."""
    if not asset_ids:
        raise InvalidInput("name at least one asset to fail")
    elements = snapshot.resolve(asset_ids)
    cascade = _Cascade(snapshot, snapshot.start.changed(changes), frozenset(isolate))
    queue: list[tuple[float, int, _Event]] = []
    for k, element in enumerate(elements):
        queue.append((0.0, k, _Event(0.0, element.asset_id, "failed", element)))
    heapq.heapify(queue)
    counter = len(queue)
    while queue:
        minute = queue[0][0]
        touched: set[str] = set()
        while queue and queue[0][0] == minute:
            event = heapq.heappop(queue)[2]
            touched |= _apply(cascade, event)
        for name in sorted(touched):
            lost = cascade.settle(name, minute)
            for event in _dependants(cascade, name, lost, minute):
                counter += 1
                heapq.heappush(queue, (event.minute, counter, event))
    restoration = _restore(cascade, elements)
    return OutageResult.build(snapshot, cascade, [e.asset_id for e in elements], restoration)


def dead_nodes(snapshot: Snapshot, asset_ids: Sequence[str], *,
               changes: ScenarioChanges | None = None) -> dict[str, frozenset[str]]:
    """Network → topology ids of the nodes without supply once ``asset_ids`` fail, as
    ``OutageResult.dead_nodes`` but without isolating breaks, cascading or planning: the
    topological answer alone, as pandapower's ``unsupplied_buses`` (nodes without supply before
    the failure included). One search per network the assets belong to."""
    if not asset_ids:
        raise InvalidInput("name at least one asset to fail")
    elements = snapshot.resolve(asset_ids)
    start = snapshot.start.changed(changes)
    dead = {}
    for name, net in snapshot.networks.items():
        base = snapshot.base(name, start)
        nodes = [x for e in elements for x in e.nodes.get(name, [])]
        edges = [x for e in elements for x in e.edges.get(name, [])]
        if not nodes and not edges:
            dead[name] = base.dead
            continue
        supplied = net.supplied(base.state.with_failures(nodes, edges))
        dead[name] = frozenset(net.node_ids[~supplied].tolist())
    return dead


def _apply(cascade: _Cascade, event: _Event) -> set[str]:
    """Fail the event's asset (unless it already failed earlier); the networks touched."""
    if event.element is not None and (event.element.nodes or event.element.edges):
        if event.asset_id in cascade.consumers:
            return set()
        if event.cause != "failed":
            cascade.consumers[event.asset_id] = (event.minute, event.element.layer, event.cause)
        return cascade.fail(event.minute, event.element, event.cause)
    if event.asset_id not in cascade.consumers:
        layer = event.element.layer if event.element else cascade.snapshot.layer_of(
            event.asset_id)
        cascade.consumers[event.asset_id] = (event.minute, layer, event.cause)
    return set()


def _dependants(cascade: _Cascade, network: str, lost: np.ndarray,
                minute: float) -> list[_Event]:
    """Events for the assets fed by the nodes ``network`` lost at ``minute``: each fails when
    its battery runs out."""
    provider, consumers, backup = cascade.snapshot.dependants(network)
    events = []
    for k in np.flatnonzero(np.isin(provider, lost)).tolist():
        consumer, hours = consumers[k], float(backup[k])
        if consumer in cascade.consumers:
            continue
        cause = LOSS[network] + (f" (battery {hours:g} h ran out)" if hours > 0 else "")
        element = cascade.snapshot.resolve([consumer])[0]
        events.append(_Event(minute + 60.0 * hours, consumer, cause, element))
    return events


def _restore(cascade: _Cascade, elements: list[Element]) -> dict[str, Any]:
    """Isolate the minute-0 power faults with their switches and close ties to pick up what lies
    beyond them, within capacity; water ties (normally closed valves) likewise."""
    found: dict[str, Any] = {"refused": [], "restored": {}}
    for name in ("power", "water"):
        net = cascade.snapshot.networks[name]
        nodes = [n for e in elements for n in e.nodes.get(name, [])]
        edges = [x for e in elements for x in e.edges.get(name, [])]
        if not nodes and not edges:
            continue
        state = cascade.states[name]
        if name in cascade.isolate:
            inside, operated = cascade.shut_in[name]
            keep_open = np.array(operated, dtype=int)
        else:
            plan = isolation_plan(cascade.base[name].segments, state, nodes, edges)
            cascade.note_plan(name, ", ".join(e.asset_id for e in elements), plan.operate,
                              plan.nodes)
            state = state.with_failures(np.flatnonzero(plan.nodes), [], plan.operate)
            inside, keep_open = plan.nodes, plan.operate
        result = restore(net, state, inside, keep_open)
        for edge in result.closed:
            cascade.actions.append({"action": "close" if name == "power" else "open",
                                    "asset_id": _edge_name(net, edge),
                                    "layer": cascade.layer(net.edge_asset[edge]),
                                    "network": name, "why": result.reasons[edge]})
        found["refused"] += [{**r, "network": name} for r in result.refused]
        found["restored"][name] = result.restored
    return found


def run_outage(db: Engine | Connection, asset_ids: Sequence[str], live: bool = True
               ) -> OutageResult:
    """Load a snapshot and run one outage (the convenience wrapper)."""
    from simulation.snapshot import load_snapshot

    return load_snapshot(db, live=live).outage(asset_ids)
