"""An EPANET model's rows: each water layer's frame, and the water network's nodes and edges.

Every frame is indexed by ``<type>/<name>`` keys (``pipe/7``, ``junction/2``), the keys the
edges use for their ends and assets until :func:`ingest.epanet.assign_ids` swaps them for twin
ids. Values are WNTR's SI units turned into the twin's: m, mm, L/s, kW, m³.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from shapely.geometry import LineString, Point
from wntr.network import LinkStatus

SOURCE = "epanet"
NETWORK = "water"

Points = dict[str, Point]
"""Each EPANET node's point, by node name."""
Lines = dict[str, LineString]
"""Each EPANET link's line (start node, vertices, end node), by link name."""
Rows = dict[str, dict[str, Any]]


def layer_frames(wn: Any, points: Points, lines: Lines, crs: CRS,
                 ref: str) -> dict[str, gpd.GeoDataFrame]:
    """The water layers the model has rows for, in ``crs``, each row with ``source='epanet'``
    and ``source_ref='<ref>:<key>'`` (``ref`` is the file's name)."""
    rows = {
        "water_junctions": _junction_rows(wn, points),
        "water_sources": _reservoir_rows(wn, points),
        "water_tanks": _tank_rows(wn, points),
        "water_pipes": _pipe_rows(wn, lines),
        "water_pumps": _pump_rows(wn, lines),
        "water_valves": _valve_rows(wn, lines),
    }
    return {name: _frame(layer, crs, ref) for name, layer in rows.items() if layer}


def _frame(rows: Rows, crs: CRS, ref: str) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(list(rows.values()), index=pd.Index(list(rows), dtype=object),
                             geometry="geom", crs=crs)
    return frame.assign(source=SOURCE, source_ref=[f"{ref}:{key}" for key in frame.index])


def _junction_rows(wn: Any, points: Points) -> Rows:
    rows = {}
    for name, j in wn.junctions():
        demands = list(j.demand_timeseries_list)
        rows[f"junction/{name}"] = {
            "elevation_m": j.elevation,
            "base_demand_lps": sum(d.base_value for d in demands) * 1000.0,
            "attributes": _attributes(
                demand_patterns=[d.pattern_name for d in demands if d.pattern_name] or None,
                emitter_coefficient=j.emitter_coefficient or None),
            "geom": points[name],
        }
    return rows


def _reservoir_rows(wn: Any, points: Points) -> Rows:
    return {f"reservoir/{name}": {
        "name": name, "source_type": "reservoir", "head_m": r.base_head,
        "attributes": _attributes(head_pattern=r.head_pattern_name), "geom": points[name],
    } for name, r in wn.reservoirs()}


def _tank_rows(wn: Any, points: Points) -> Rows:
    return {f"tank/{name}": {
        "name": name, "elevation_m": t.elevation, "min_level_m": t.min_level,
        "max_level_m": t.max_level, "diameter_m": t.diameter,
        "capacity_m3": float(t.get_volume(t.max_level)),
        "attributes": _attributes(initial_level_m=t.init_level, min_volume_m3=t.min_vol or None,
                                  volume_curve=t.vol_curve_name, overflow=t.overflow or None),
        "geom": points[name],
    } for name, t in wn.tanks()}


def _pipe_rows(wn: Any, lines: Lines) -> Rows:
    headloss = wn.options.hydraulic.headloss
    return {f"pipe/{name}": {
        "diameter_mm": p.diameter * 1000.0, "length_m": p.length, "roughness": p.roughness,
        "normal_state": "closed" if _closed(p) else "open",
        "attributes": _attributes(minor_loss=p.minor_loss or None, check_valve=p.check_valve or None,
                                  headloss_formula=None if headloss == "H-W" else headloss),
        "geom": lines[name],
    } for name, p in wn.pipes()}


def _pump_rows(wn: Any, lines: Lines) -> Rows:
    return {f"pump/{name}": {
        "name": name,
        "power_kw": p.power / 1000.0 if p.pump_type == "POWER" else None,
        "pump_type": p.pump_type,
        "attributes": _attributes(pump_curve=getattr(p, "pump_curve_name", None),
                                  speed=p.base_speed, speed_pattern=p.speed_pattern_name,
                                  initial_status=p.initial_status.name),
        "geom": lines[name].interpolate(0.5, normalized=True),
    } for name, p in wn.pumps()}


def _valve_rows(wn: Any, lines: Lines) -> Rows:
    return {f"valve/{name}": {
        "valve_type": v.valve_type, "diameter_mm": v.diameter * 1000.0,
        "normal_state": "closed" if _closed(v) else "open",
        "attributes": _attributes(initial_status=v.initial_status.name,
                                  setting=getattr(v, "initial_setting", None),
                                  headloss_curve=getattr(v, "headloss_curve_name", None),
                                  minor_loss=v.minor_loss or None),
        "geom": lines[name].interpolate(0.5, normalized=True),
    } for name, v in wn.valves()}


def _closed(link: Any) -> bool:
    return bool(link.initial_status == LinkStatus.Closed)


def _attributes(**values: Any) -> dict[str, Any] | None:
    """The values that are set, as JSON-ready Python values; None when none is."""
    kept = {k: v.item() if isinstance(v, np.generic) else v
            for k, v in values.items() if v is not None}
    return kept or None


# -- topology ---------------------------------------------------------------------------------
_NODE_KINDS = {"Junction": ("junction", "junction", False), "Reservoir": ("reservoir", "source", True),
               "Tank": ("tank", "tank", True)}
"""EPANET node type → (key word in source_ref, the twin's node kind, whether it is a source)."""


def _node_key(node: Any) -> str:
    return f"{_NODE_KINDS[node.node_type][0]}/{node.name}"


def network_nodes(wn: Any, points: Points, crs: CRS) -> gpd.GeoDataFrame:
    """One node per EPANET node, keyed like its asset (``junction/2``); reservoirs and tanks are
    sources."""
    keys, rows = [], []
    for name, node in wn.nodes():
        _, kind, is_source = _NODE_KINDS[node.node_type]
        keys.append(_node_key(node))
        rows.append({"network": NETWORK, "asset_id": keys[-1], "kind": kind,
                     "is_source": is_source, "geom": points[name]})
    return gpd.GeoDataFrame(rows, index=pd.Index(keys, dtype=object), geometry="geom", crs=crs)


def network_edges(wn: Any) -> pd.DataFrame:
    """One edge per link, from its start node to its end node, keyed like its asset; pumps and
    valves have length 0, a link closed at the start is not normally connected."""
    rows = {}
    for name, link in wn.links():
        kind = link.link_type.lower()
        rows[f"{kind}/{name}"] = {
            "network": NETWORK, "from_node": _node_key(link.start_node),
            "to_node": _node_key(link.end_node), "asset_id": f"{kind}/{name}", "kind": kind,
            "normally_connected": not _closed(link),
            "length_m": float(link.length) if kind == "pipe" else 0.0,
        }
    return pd.DataFrame(list(rows.values()), index=pd.Index(list(rows), dtype=object))


def unmodelled(wn: Any) -> list[str]:
    """A note on the controls, patterns and curves the model has and the twin does not model."""
    counts = {"controls": len(wn.control_name_list), "patterns": len(wn.pattern_name_list),
              "curves": len(wn.curve_name_list)}
    held = [f"{what} ({n})" for what, n in counts.items() if n]
    if not held:
        return []
    listed = ", ".join(held[:-1]) + " and " + held[-1] if len(held) > 1 else held[0]
    return [f"the model's {listed} are not part of the twin; the assets' attributes name the "
            "patterns and curves they use"]
