"""Results of the network simulations as plain objects: ids by layer, counts, actions, a timeline,
with ``to_json`` (the CLI's ``--json`` and the stored scenario) and ``to_geojson`` (the map)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from sqlalchemy import Connection, Engine

from twin.read import read_layer

if TYPE_CHECKING:
    from simulation.outage import _Cascade
    from simulation.snapshot import Snapshot

ROLES = ("failed", "affected", "operate")


def feature_collection(db: Engine | Connection, roles: Mapping[str, tuple[str, str]],
                       extra: Mapping[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """GeoJSON (EPSG:4326) of assets: ``roles`` maps asset id → (layer, role), ``extra`` asset
    id → more properties. Topology-only ids (no asset) are left out: they have no geometry of
    their own."""
    by_layer: dict[str, list[str]] = {}
    for asset_id, (layer, _) in roles.items():
        if layer not in ("network_nodes", "network_edges"):
            by_layer.setdefault(layer, []).append(asset_id)
    features = []
    for layer, ids in sorted(by_layer.items()):
        frame = read_layer(db, layer, ids=ids, columns=["id"])
        geojson = shapely.to_geojson(frame.geometry.to_numpy())
        for asset_id, geometry in zip(frame.index.tolist(), geojson.tolist(), strict=True):
            features.append({"type": "Feature", "id": asset_id,
                             "geometry": _json_geometry(geometry),
                             "properties": {"layer": layer, "asset_id": asset_id,
                                            "role": roles[asset_id][1],
                                            **(extra or {}).get(asset_id, {})}})
    return {"type": "FeatureCollection", "features": features}


def _json_geometry(text: str) -> dict[str, Any]:
    import json

    return dict(json.loads(text))


def _minute(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(float(value), 1)


@dataclass(frozen=True)
class OutageResult:
    """What an outage takes down. ``affected``: layer → asset ids that lose service (the failed
    ones included); ``customers``: customer accounts lost summed over the utilities (power
    service points, water connections, telecom households), ``customers_by_network`` each;
    ``street_length_m``: length (m) of the roads that lose access or whose lights go dark;
    ``actions``: devices to operate (isolation, then restoration); ``timeline``: when each asset
    fails (minutes from the fault) and why; ``dead_nodes``: network → topology node ids without
    supply once the cascade has run (before any action); ``restored``: layer → assets the
    restoration actions bring back; ``refused``: ties that would overload something."""

    failed: list[str]
    affected: dict[str, list[str]]
    customers: int
    customers_by_network: dict[str, int]
    street_length_m: float
    actions: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    dead_nodes: dict[str, frozenset[str]]
    restored: dict[str, list[str]] = field(default_factory=dict)
    refused: list[dict[str, Any]] = field(default_factory=list)
    unisolable: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, snapshot: Snapshot, cascade: _Cascade, failed: list[str],
              restoration: dict[str, Any]) -> OutageResult:
        timeline: list[dict[str, Any]] = []
        customers: dict[str, int] = {}
        dead: dict[str, frozenset[str]] = {}
        lost_roads: set[str] = set()
        for name, net in snapshot.networks.items():
            dead[name] = frozenset(net.node_ids[~cascade.supplied[name]].tolist())
            track = cascade.tracks.get(name)
            customers[name] = 0 if track is None else int(
                net.customers[~np.isnan(track.node_minute) & cascade.base[name].supplied].sum())
            if track is None:
                continue
            for assets, has, mins, why in (
                    (net.node_asset, net.node_has_asset, track.node_minute, track.node_cause),
                    (net.edge_asset, net.edge_has_asset, track.edge_minute, track.edge_cause)):
                for k in np.flatnonzero(~np.isnan(mins) & has).tolist():
                    timeline.append({"minute": _minute(mins[k]),
                                     "layer": snapshot.layer_of(assets[k]),
                                     "asset_id": assets[k], "cause": cascade.causes[why[k]]})
            if name == "road":
                edges = ~np.isnan(track.edge_minute) & net.edge_has_asset
                lost_roads.update(net.edge_asset[edges].tolist())
        for asset_id, (minute, layer, cause) in cascade.consumers.items():
            timeline.append({"minute": _minute(minute), "layer": layer, "asset_id": asset_id,
                             "cause": cause})
        timeline = _first_per_asset(timeline)
        affected: dict[str, list[str]] = {}
        for entry in timeline:
            affected.setdefault(entry["layer"], []).append(entry["asset_id"])
        dark = [a for a in affected.get("luminaires", []) if a in snapshot.luminaire_road.index]
        if dark:
            lost_roads.update(snapshot.luminaire_road.loc[dark].tolist())
        restored: dict[str, list[str]] = {}
        for name, mask in restoration["restored"].items():
            net = snapshot.networks[name]
            for asset in net.node_asset[mask & net.node_has_asset].tolist():
                restored.setdefault(snapshot.layer_of(asset), []).append(asset)
        return cls(
            failed=failed, affected={k: sorted(v) for k, v in sorted(affected.items())},
            customers=sum(customers.values()), customers_by_network=customers,
            street_length_m=round(snapshot.road_length_m(lost_roads), 1),
            actions=cascade.actions, timeline=timeline, dead_nodes=dead,
            restored={k: sorted(v) for k, v in sorted(restored.items())},
            refused=restoration["refused"], unisolable=cascade.unisolable)

    def to_json(self) -> dict[str, Any]:
        """``{"affected", "customers", "actions", "timeline"}`` and the other figures."""
        return {"affected": self.affected, "customers": self.customers, "actions": self.actions,
                "timeline": self.timeline, "failed": self.failed,
                "customers_by_network": self.customers_by_network,
                "street_length_m": self.street_length_m, "restored": self.restored,
                "refused": self.refused, "unisolable": self.unisolable,
                "dead_nodes": {k: len(v) for k, v in self.dead_nodes.items()}}

    def to_geojson(self, db: Engine | Connection) -> dict[str, Any]:
        """Affected assets (role failed or affected) and the devices to operate (operate)."""
        roles = {a: (layer, "affected") for layer, ids in self.affected.items() for a in ids}
        for entry in self.timeline:
            if entry["asset_id"] in self.failed:
                roles[entry["asset_id"]] = (entry["layer"], "failed")
        for action in self.actions:
            roles[action["asset_id"]] = (action["layer"], "operate")
        return feature_collection(db, roles)


def _first_per_asset(timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per asset (its earliest), ordered by minute, layer and id."""
    timeline.sort(key=itemgetter("minute", "layer", "asset_id"))
    seen: set[str] = set()
    first = []
    for entry in timeline:
        if entry["asset_id"] not in seen:
            seen.add(entry["asset_id"])
            first.append(entry)
    return first
