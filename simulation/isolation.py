"""Isolation of a failed element: the valves to close (water) or switches to open (power) around
the segment that holds it, everything that leaves without service, and the ties that restore what
lies beyond (see :mod:`simulation.restoration`).

A break no barrier bounds (its segment reaches every source with no valve or switch between) is
reported as not isolable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine

from simulation.outage import simulate_outage
from simulation.results import OutageResult, feature_collection
from simulation.segments import isolation_plan, segments_of
from simulation.state import ScenarioChanges
from twin.errors import InvalidInput

if TYPE_CHECKING:
    from simulation.snapshot import Snapshot


@dataclass(frozen=True)
class IsolationResult:
    """``operate``: the devices to shut (valves to close, switches to open), each a dict with
    asset_id, layer, action; ``already_shut``: bounding devices already closed/open;
    ``isolated``: layer → the assets shut in with the failed one; ``outage``: the outage once
    isolated (affected assets, customers, restoration actions, timeline)."""

    asset_id: str
    network: str
    isolable: bool
    operate: list[dict[str, Any]]
    already_shut: list[str]
    isolated: dict[str, list[str]]
    outage: OutageResult

    @property
    def affected(self) -> dict[str, list[str]]:
        return self.outage.affected

    @property
    def customers(self) -> int:
        return self.outage.customers

    def to_json(self) -> dict[str, Any]:
        """The isolation (asset_id, network, isolable, operate, already_shut, isolated) and the
        outage it leaves (affected, customers, actions, timeline, restored, refused)."""
        return {"asset_id": self.asset_id, "network": self.network, "isolable": self.isolable,
                "operate": self.operate, "already_shut": self.already_shut,
                "isolated": self.isolated, **self.outage.to_json()}

    def to_geojson(self, db: Engine | Connection) -> dict[str, Any]:
        collection = self.outage.to_geojson(db)
        shown = {f["id"] for f in collection["features"]}
        extra = {a: (layer, "affected") for layer, ids in self.isolated.items() for a in ids
                 if a not in shown}
        if extra:
            collection["features"] += feature_collection(db, extra)["features"]
        return collection


def simulate_isolation(snapshot: Snapshot, asset_id: str, *,
                       changes: ScenarioChanges | None = None) -> IsolationResult:
    """Isolate ``asset_id`` (an element of the water or power network, or any other network
    with barriers) and say what that takes."""
    element = snapshot.resolve([asset_id])[0]
    networks = sorted(set(element.nodes) | set(element.edges))
    if not networks:
        raise InvalidInput(f"'{asset_id}' is not an element of any network: nothing to isolate")
    name = "water" if "water" in networks else networks[0]
    net = snapshot.networks[name]
    start = snapshot.start.changed(changes)
    state = net.state(start.opened, start.closed, start.failed)
    nodes, edges = element.nodes.get(name, []), element.edges.get(name, [])
    plan = isolation_plan(segments_of(net, state), state, nodes, edges)
    verb = "close" if name == "water" else "open"
    operate = [{"action": verb, "asset_id": _name(net.edge_asset[e], net.edge_ids[e]),
                "layer": snapshot.layer_of(_name(net.edge_asset[e], net.edge_ids[e]))}
               for e in plan.operate.tolist()]
    isolated: dict[str, list[str]] = {}
    for assets, mask in ((net.node_asset, plan.nodes), (net.edge_asset, plan.edges)):
        for asset in sorted(set(assets[mask & (assets != None)].tolist())):  # noqa: E711
            isolated.setdefault(snapshot.layer_of(asset), []).append(asset)
    outage = simulate_outage(snapshot, [asset_id], changes=changes,
                             isolate=tuple(sorted({name, "water"})))
    return IsolationResult(asset_id, name, plan.isolable, operate,
                           [_name(net.edge_asset[e], net.edge_ids[e])
                            for e in plan.already_shut.tolist()],
                           {k: sorted(v) for k, v in sorted(isolated.items())}, outage)


def _name(asset: str | None, topology_id: str) -> str:
    return str(asset or topology_id)


def run_isolation(db: Engine | Connection, asset_id: str, live: bool = True) -> IsolationResult:
    """Load a snapshot and isolate one asset (the convenience wrapper)."""
    from simulation.snapshot import load_snapshot

    return load_snapshot(db, live=live).isolate(asset_id)

