"""A tiny city for hand-worked simulation cases, written through ``twin.write.write_dataset``; and
networks compiled straight from lists (``compiled_network``, ``memory_snapshot``) for pure cases.

Power (22 kV feeders, 0.4 kV LV)::

    SUB-1 ─SW-1─ PN3 ─PL-1─ PN4 ─SW-2─ PN5 ─PL-2─ PN6 ═TR-1═ PN7 ─┬─ SP-1 (10 customers, 90 kW)
    (PN1)                                 ┆                         └─ SP-2 (5 customers, 45 kW)
                                         SW-3 (normally open tie)
                                          ┆
    SUB-2 ─SW-4─ PN11 ─PL-3 (100 A)─ PN10 ─ SP-3 (1 customer, ``feeder_b_kw``)
    (PN2)

PN7 (the LV bus of TR-1) feeds LUM-1 (no battery), the pump WPU-1 (none), CAB-1 (4 h) and
CAM-1 (2 h); CAM-1 and SEN-1 send over CAB-1.

Water: WS-1 ─WPU-1─ WN2 ─WP-1─ WN3 ─WV-1─ WN4 ─WP-2─ WN5 ─WV-2─ WN6 ─WP-3─ WN7, with WSC-1
(20 customers) off WN5, WSC-2 (30) off WN7, and WN7 ─WV-3 (normally closed)─ WN10 ─WP-4─ WN3.
Segments: S0 {WN1-3, WN10}, S1 {WN4, WN5, WN8}, S2 {WN6, WN7, WN9}.

Telecom: CO-1 ─FC-1─ CAB-1 ─FC-2─ ONT-1 (3 households).

Roads: RN1 ─RD-1 (100 m)─ RN2 ─RD-2 (50 m)─ RN3 ─RD-3 (30 m)─ RN4, and a loop
RN1 ─RD-4 (70 m)─ RN5 ─RD-5 (60 m)─ RN2. LUM-1 lights RD-1.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point
from sqlalchemy import Connection

from simulation.compiled import CompiledNetwork, compile_network
from simulation.snapshot import Snapshot
from twin.read import Network
from twin.write import Dataset, write_dataset

CENTRE = (106.19, 21.27)
LAYER_COLUMNS = {"power_lines": {"voltage_level": "MV", "voltage_kv": 22.0,
                                 "rated_current_a": 100.0},
                 "power_switches": {"normal_state": "closed", "is_tie": False},
                 "water_valves": {"normal_state": "open"}}
"""Columns every row of a layer carries unless the row says otherwise."""


class TinyCity:
    """Collects assets, nodes, edges and dependencies, each node at its own point."""

    def __init__(self) -> None:
        self.assets: dict[str, list[dict[str, Any]]] = {}
        self.nodes: list[dict[str, Any]] = []
        self.edges: list[dict[str, Any]] = []
        self.deps: list[dict[str, Any]] = []
        self.where: dict[str, Point] = {}

    def point(self, node: str) -> Point:
        if node not in self.where:
            k = len(self.where)
            self.where[node] = Point(CENTRE[0] + 0.001 * (k % 7), CENTRE[1] + 0.001 * (k // 7))
        return self.where[node]

    def asset(self, layer: str, asset_id: str, geom: Any, **columns: Any) -> None:
        self.assets.setdefault(layer, []).append({"id": asset_id, "geom": geom, **columns})

    def node(self, node: str, network: str, kind: str, asset: tuple[str, str] | None = None,
             source: bool = False, **columns: Any) -> None:
        """A node; ``asset`` = (layer, id) makes it that point asset too."""
        self.nodes.append({"id": node, "network": network, "kind": kind, "is_source": source,
                           "asset_id": asset[1] if asset else None, "geom": self.point(node)})
        if asset:
            self.asset(asset[0], asset[1], self.point(node), **columns)

    def edge(self, edge: str, network: str, a: str, b: str, kind: str,
             asset: tuple[str, str] | None = None, connected: bool = True,
             length_m: float = 10.0, **columns: Any) -> None:
        """An edge; ``asset`` = (layer, id) makes it that asset too (a line, or a point for
        devices)."""
        self.edges.append({"id": edge, "network": network, "from_node": a, "to_node": b,
                           "kind": kind, "asset_id": asset[1] if asset else None,
                           "normally_connected": connected, "length_m": length_m})
        if asset:
            layer, asset_id = asset
            line = LineString([self.point(a), self.point(b)])
            is_line = layer in ("power_lines", "water_pipes", "fibre_cables", "roads")
            self.asset(layer, asset_id, line if is_line else line.interpolate(0.5, normalized=True),
                       **{**LAYER_COLUMNS.get(layer, {}), **columns})

    def depends(self, consumer: str, layer: str, provider: str, kind: str, hours: float) -> None:
        self.deps.append({"consumer_id": consumer, "consumer_layer": layer,
                          "provider_node": provider, "kind": kind, "backup_hours": hours})

    def dataset(self) -> Dataset:
        layers = {layer: gpd.GeoDataFrame(rows, geometry="geom", crs=4326)
                  for layer, rows in self.assets.items()}
        nodes = gpd.GeoDataFrame(self.nodes, geometry="geom", crs=4326)
        return Dataset(layers=layers, nodes=nodes, edges=pd.DataFrame(self.edges),
                       dependencies=pd.DataFrame(self.deps))


def tiny_city(feeder_b_kw: float = 1000.0) -> Dataset:
    """The tiny city of this module's docstring; SP-3 on feeder B draws ``feeder_b_kw``."""
    c = TinyCity()
    p = "power"
    c.node("PN-000001", p, "substation", ("substations", "SUB-000001"), source=True,
           capacity_kva=10000.0)
    c.node("PN-000002", p, "substation", ("substations", "SUB-000002"), source=True,
           capacity_kva=10000.0)
    for k in (3, 4, 5, 6, 7, 10, 11):
        c.node(f"PN-{k:06d}", p, "bus")
    c.edge("PE-000001", p, "PN-000001", "PN-000003", "switch", ("power_switches", "SW-000001"))
    c.edge("PE-000002", p, "PN-000003", "PN-000004", "line", ("power_lines", "PL-000001"))
    c.edge("PE-000003", p, "PN-000004", "PN-000005", "switch", ("power_switches", "SW-000002"))
    c.edge("PE-000004", p, "PN-000005", "PN-000006", "line", ("power_lines", "PL-000002"))
    c.edge("PE-000005", p, "PN-000006", "PN-000007", "transformer",
           ("transformers", "TR-000001"), capacity_kva=400.0)
    c.edge("PE-000006", p, "PN-000005", "PN-000010", "switch", ("power_switches", "SW-000003"),
           connected=False, normal_state="open", is_tie=True)
    c.edge("PE-000007", p, "PN-000002", "PN-000011", "switch", ("power_switches", "SW-000004"))
    c.edge("PE-000008", p, "PN-000011", "PN-000010", "line", ("power_lines", "PL-000003"))
    for k, (sp, bus, customers, kw) in enumerate(
            [("SP-000001", "PN-000007", 10, 90.0), ("SP-000002", "PN-000007", 5, 45.0),
             ("SP-000003", "PN-000010", 1, feeder_b_kw)]):
        c.node(f"PN-{20 + k:06d}", p, "consumer", ("service_points", sp), customers=customers,
               demand_kw=kw)
        c.edge(f"PE-{20 + k:06d}", p, bus, f"PN-{20 + k:06d}", "cable")
    w = "water"
    c.node("WN-000001", w, "source", ("water_sources", "WS-000001"), source=True)
    for k in (2, 4, 6, 10):
        c.node(f"WN-{k:06d}", w, "junction")
    for k, junction in ((3, "WJ-000001"), (5, "WJ-000002"), (7, "WJ-000003")):
        c.node(f"WN-{k:06d}", w, "junction", ("water_junctions", junction))
    c.edge("WE-000001", w, "WN-000001", "WN-000002", "pump", ("water_pumps", "WPU-000001"))
    for k, (a, b, pipe) in enumerate([(2, 3, "WP-000001"), (4, 5, "WP-000002"),
                                      (6, 7, "WP-000003"), (10, 3, "WP-000004")]):
        c.edge(f"WE-{10 + k:06d}", w, f"WN-{a:06d}", f"WN-{b:06d}", "pipe",
               ("water_pipes", pipe), length_m=100.0)
    for k, (a, b, valve, open_) in enumerate([(3, 4, "WV-000001", True),
                                              (5, 6, "WV-000002", True),
                                              (7, 10, "WV-000003", False)]):
        c.edge(f"WE-{20 + k:06d}", w, f"WN-{a:06d}", f"WN-{b:06d}", "valve",
               ("water_valves", valve), connected=open_,
               normal_state="open" if open_ else "closed")
    for k, (wsc, junction, customers) in enumerate([("WSC-000001", 5, 20),
                                                    ("WSC-000002", 7, 30)]):
        c.node(f"WN-{8 + k:06d}", w, "consumer", ("water_service_connections", wsc),
               customers=customers)
        c.edge(f"WE-{30 + k:06d}", w, f"WN-{junction:06d}", f"WN-{8 + k:06d}", "pipe")
    t = "telecom"
    c.node("TN-000001", t, "central_office", ("central_offices", "CO-000001"), source=True)
    c.node("TN-000002", t, "cabinet", ("telecom_cabinets", "CAB-000001"))
    c.node("TN-000003", t, "consumer", ("customer_terminals", "ONT-000001"), households=3)
    c.edge("TE-000001", t, "TN-000001", "TN-000002", "fibre", ("fibre_cables", "FC-000001"))
    c.edge("TE-000002", t, "TN-000002", "TN-000003", "fibre", ("fibre_cables", "FC-000002"))
    r = "road"
    for k in range(1, 6):
        c.node(f"RN-{k:06d}", r, "junction")
    for k, (a, b, length) in enumerate([(1, 2, 100.0), (2, 3, 50.0), (3, 4, 30.0),
                                        (1, 5, 70.0), (5, 2, 60.0)], start=1):
        c.edge(f"RE-{k:06d}", r, f"RN-{a:06d}", f"RN-{b:06d}", "road",
               ("roads", f"RD-{k:06d}"), length_m=length)
    c.asset("luminaires", "LUM-000001", c.point("PN-000007"), road_id="RD-000001")
    c.asset("cameras", "CAM-000001", c.point("RN-000002"))
    c.asset("sensors", "SEN-000001", c.point("RN-000003"), measures="pressure")
    for consumer, layer, provider, kind, hours in [
            ("LUM-000001", "luminaires", "PN-000007", "power", 0.0),
            ("WPU-000001", "water_pumps", "PN-000007", "power", 0.0),
            ("CAB-000001", "telecom_cabinets", "PN-000007", "power", 4.0),
            ("CAM-000001", "cameras", "PN-000007", "power", 2.0),
            ("CAM-000001", "cameras", "TN-000002", "telecom", 0.0),
            ("SEN-000001", "sensors", "TN-000002", "telecom", 0.0)]:
        c.depends(consumer, layer, provider, kind, hours)
    return c.dataset()


def write_tiny_city(conn: Connection, feeder_b_kw: float = 1000.0) -> None:
    write_dataset(conn, tiny_city(feeder_b_kw))


def by_minute(timeline: list[dict[str, Any]]) -> dict[str, int | float]:
    """Asset id → the minute it fails."""
    return {entry["asset_id"]: entry["minute"] for entry in timeline}




def compiled_network(name: str, nodes: list[tuple[str, str, bool, str | None]],
                     edges: list[tuple[str, str, str, str, str | None, bool]],
                     customers: dict[str, float] | None = None,
                     capacity_kva: dict[str, float] | None = None,
                     not_isolating: frozenset[str] = frozenset()) -> CompiledNetwork:
    """A network compiled straight from lists, without a database: nodes (id, kind, is_source,
    asset_id), edges (id, from_node, to_node, kind, asset_id, normally_connected), 10 m each."""
    node_frame = pd.DataFrame(nodes, columns=["id", "kind", "is_source", "asset_id"])
    edge_frame = pd.DataFrame(edges, columns=["id", "from_node", "to_node", "kind", "asset_id",
                                              "normally_connected"])
    edge_frame["length_m"] = 10.0
    network = Network(name, node_frame.set_index("id"), edge_frame.set_index("id"),
                      pd.DataFrame())
    return compile_network(network, pd.Series(customers or {}, dtype=float),
                           pd.Series(dtype=float), pd.Series(capacity_kva or {}, dtype=float),
                           not_isolating)


def memory_snapshot(*networks: CompiledNetwork) -> Snapshot:
    """A snapshot of compiled networks (an empty road network added when missing), no
    dependencies, no live state."""
    nets = {net.name: net for net in networks}
    nets.setdefault("road", compiled_network("road", [], []))
    dependencies = pd.DataFrame(columns=["consumer_id", "consumer_layer", "network", "provider",
                                         "backup_hours"])
    return Snapshot(nets, dependencies, pd.Series(dtype=object))


__all__ = ["TinyCity", "by_minute", "compiled_network", "memory_snapshot", "tiny_city",
           "write_tiny_city"]
