"""A pandapower network's rows: the power layers' frames and the power network's nodes and edges.

Every frame is keyed by ``<table>/<index>`` (``line/7``, ``ext_grid/0``; nodes ``bus/3``,
``switch/12``, ``trafo3w/1``), the keys :func:`ingest._load.link_ids` swaps for twin ids.
Values in the twin's units: kV, kVA, A, m.

Topology, as pandapower's own graph (``pandapower.topology.create_nxgraph``) sees it:

- a bus is a ``bus`` node; the bus of an external grid is that substation's node, a source;
- a line or a two-winding transformer is one edge between its buses; a three-winding
  transformer is a centre node with an edge to each of its three buses;
- a load is a ``consumer`` node (its service point's) joined to its bus by a ``cable`` edge;
- a bus-bus switch is an edge between its buses; a switch on a line or transformer sits between
  its bus and the element: an edge from the bus to a node of its own, where the element's edge
  then starts;
- an edge conducts in the normal state (``normally_connected``) when its element is in service
  (a switch: closed) and neither end is an out-of-service bus, which pandapower leaves out of
  its graph.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from ingest._pandapower_place import Placement, centre, middle
from twin.errors import InvalidInput

SOURCE = "pandapower"
NETWORK = "power"
SWITCH_TYPES = {"CB": "breaker", "LBS": "load_break", "LS": "load_break", "DS": "disconnector"}
"""pandapower switch type → the twin's ``switch_type``."""
ENDS = {"line": ("from_bus", "to_bus"), "trafo": ("hv_bus", "lv_bus"),
         "trafo3w": ("hv_bus", "mv_bus", "lv_bus")}
SWITCHED = {"l": "line", "t": "trafo", "t3": "trafo3w"}
"""pandapower switch ``et`` → the table of the element it sits on."""
Rows = dict[str, dict[str, Any]]


def refuse_dangling(net: Any) -> None:
    """InvalidInput for an element joined to a bus the network lacks, a line or transformer
    joining a bus to itself, or a switch on an element it is not at."""
    buses = set(net.bus.index)
    for table, ends in {**ENDS, "ext_grid": ("bus",), "load": ("bus",)}.items():
        for column in ends:
            bad = ~net[table][column].isin(buses)
            if bad.any():
                raise InvalidInput(f"names bus {net[table][column][bad].iloc[0]}, which the "
                                   "network does not have", where=f"{table} {bad.idxmax()}",
                                   column=column)
    for table in ("line", "trafo"):
        looped = net[table][ENDS[table][0]] == net[table][ENDS[table][1]]
        if looped.any():
            raise InvalidInput("joins a bus to itself", where=f"{table} {looped.idxmax()}")
    for index, bus, element, et in switch_rows(net):
        joined = {bus, element} <= buses if et == "b" else bus in _element_buses(net, et, element)
        if not joined:
            raise InvalidInput(f"is on bus {bus} and {et} element {element}, which the network "
                               "does not join", where=f"switch {index}")
        if et == "b" and bus == element:
            raise InvalidInput("joins a bus to itself", where=f"switch {index}")


def layer_frames(net: Any, place: Placement, ref: str) -> dict[str, gpd.GeoDataFrame]:
    """The power layers the network has rows for, in the placement's CRS, with
    ``source='pandapower'`` and ``source_ref='<ref>:<key>'``."""
    rows = {"substations": _substation_rows(net, place), "power_lines": _line_rows(net, place),
            "transformers": _transformer_rows(net, place),
            "service_points": _service_point_rows(net, place),
            "power_switches": {f"switch/{i}": _switch_row(net, i, bus, et, place.switches[i])
                               for i, bus, _, et in switch_rows(net)}}
    return {name: gpd.GeoDataFrame(list(layer.values()),
                                   index=pd.Index(list(layer), dtype=object), geometry="geom",
                                   crs=place.crs)
            .assign(source=SOURCE, source_ref=[f"{ref}:{key}" for key in layer])
            for name, layer in rows.items() if layer}


def topology(net: Any, place: Placement) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The power network's nodes and edges (keyed as the module says)."""
    nodes: Rows = {f"bus/{b}": _node(None, "bus", point) for b, point in place.buses.items()}
    for key, bus, is_source in _substations(net):
        nodes[f"bus/{bus}"] = _node(key, "substation", place.buses[bus], is_source)
    edges: Rows = {}
    chains: dict[tuple[str, int, int], list[int]] = defaultdict(list)
    for i, bus, element, et in switch_rows(net):
        if et == "b":
            edges[f"switch/{i}"] = _edge(f"bus/{bus}", f"bus/{element}", f"switch/{i}", "switch",
                                         _closed(net, i))
        else:
            chains[(SWITCHED[et], element, bus)].append(i)

    def end(table: str, element: int, bus: int) -> str:
        """The node where the element's edge starts at ``bus``: past the switches there."""
        at = f"bus/{bus}"
        for i in chains[(table, element, bus)]:
            nodes[f"switch/{i}"] = _node(None, "bus", place.switches[i])
            edges[f"switch/{i}"] = _edge(at, f"switch/{i}", f"switch/{i}", "switch",
                                         _closed(net, i))
            at = f"switch/{i}"
        return at

    for i, a, b, table, length_m, on in _branches(net):
        edges[f"{table}/{i}"] = _edge(end(table, i, a), end(table, i, b), f"{table}/{i}",
                                      _edge_kind(net, table, i), on, length_m)
    for i, ends, on in _trafo3w_ends(net):
        nodes[f"trafo3w/{i}"] = _node(None, "bus", centre(place.buses[b] for b in ends.values()))
        for side, bus in ends.items():
            edges[f"trafo3w/{i}/{side}"] = _edge(end("trafo3w", i, bus), f"trafo3w/{i}",
                                                 f"trafo3w/{i}", "transformer", on)
    for i, load in net.load.iterrows():
        bus = int(load["bus"])
        nodes[f"load/{i}"] = _node(f"load/{i}", "consumer", place.buses[bus])
        edges[f"load/{i}"] = _edge(f"bus/{bus}", f"load/{i}", None, "cable",
                                   bool(load["in_service"]))
    return _node_frame(nodes, place), _edge_frame(edges, net)


# -- layers -----------------------------------------------------------------------------------
def _substation_rows(net: Any, place: Placement) -> Rows:
    return {f"ext_grid/{i}": {
        "name": _text(g["name"]), "secondary_kv": float(net.bus.at[g["bus"], "vn_kv"]),
        "attributes": _kept(vm_pu=g.get("vm_pu"), va_degree=g.get("va_degree"),
                            in_service=_out_of_service(g)),
        "geom": place.buses[int(g["bus"])],
    } for i, g in net.ext_grid.iterrows()}


def _line_rows(net: Any, place: Placement) -> Rows:
    rows = {}
    for i, line in net.line.iterrows():
        kv = float(net.bus.at[line["from_bus"], "vn_kv"])
        rows[f"line/{i}"] = {
            "voltage_level": voltage_level(kv), "voltage_kv": kv,
            "construction": "underground" if line.get("type") == "cs" else "overhead",
            "conductor": _text(line.get("std_type")),
            "rated_current_a": line["max_i_ka"] * 1000.0 * line.get("parallel", 1),
            "attributes": _kept(name=_text(line.get("name")), length_km=line["length_km"],
                                r_ohm_per_km=line.get("r_ohm_per_km"),
                                x_ohm_per_km=line.get("x_ohm_per_km"),
                                c_nf_per_km=line.get("c_nf_per_km"),
                                parallel=line.get("parallel") if line.get("parallel", 1) != 1 else None,
                                in_service=_out_of_service(line)),
            "geom": place.lines[int(i)],
        }
    return rows


def _transformer_rows(net: Any, place: Placement) -> Rows:
    rows = {f"trafo/{i}": {
        "capacity_kva": t["sn_mva"] * 1000.0, "primary_kv": t["vn_hv_kv"],
        "secondary_kv": t["vn_lv_kv"],
        "attributes": _kept(name=_text(t.get("name")), std_type=_text(t.get("std_type")),
                            vk_percent=t.get("vk_percent"), in_service=_out_of_service(t)),
        "geom": middle(place.buses[int(t["hv_bus"])], place.buses[int(t["lv_bus"])]),
    } for i, t in net.trafo.iterrows()}
    for i, ends, _ in _trafo3w_ends(net):
        t = net.trafo3w.loc[i]
        rows[f"trafo3w/{i}"] = {
            "capacity_kva": t["sn_hv_mva"] * 1000.0, "primary_kv": t["vn_hv_kv"],
            "secondary_kv": t["vn_lv_kv"],
            "attributes": _kept(name=_text(t.get("name")), std_type=_text(t.get("std_type")),
                                three_winding=True, tertiary_kv=t["vn_mv_kv"],
                                in_service=_out_of_service(t)),
            "geom": centre(place.buses[b] for b in ends.values()),
        }
    return rows


def _service_point_rows(net: Any, place: Placement) -> Rows:
    """A service point of one customer per load, at its bus, with its real power as demand."""
    return {f"load/{i}": {
        "customers": 1, "demand_kw": load["p_mw"] * 1000.0 * load.get("scaling", 1.0),
        "attributes": _kept(name=_text(load.get("name")), q_mvar=load.get("q_mvar"),
                            in_service=_out_of_service(load)),
        "geom": place.buses[int(load["bus"])],
    } for i, load in net.load.iterrows()}


def _switch_row(net: Any, i: int, bus: int, et: str, point: Point) -> dict[str, Any]:
    closed = _closed(net, i)
    return {"switch_type": SWITCH_TYPES.get(str(net.switch.at[i, "type"])),
            "normal_state": "closed" if closed else "open", "is_tie": not closed,
            "voltage_level": voltage_level(float(net.bus.at[bus, "vn_kv"])),
            "attributes": _kept(name=_text(net.switch.at[i, "name"]),
                                element_type=SWITCHED.get(et, "bus")),
            "geom": point}


def voltage_level(kv: float) -> str:
    """The twin's voltage level of a nominal voltage (kV): LV below 1 kV, MV below 50 kV."""
    return "LV" if kv < 1 else "MV" if kv < 50 else "HV"


# -- elements ---------------------------------------------------------------------------------
def switch_rows(net: Any) -> list[tuple[int, int, int, str]]:
    """(switch index, bus, element, et) for every switch."""
    s = net.switch
    return list(zip(s.index.astype(int), s["bus"].astype(int), s["element"].astype(int),
                    s["et"].astype(str), strict=True))


def _element_buses(net: Any, et: str, element: int) -> set[int]:
    table = SWITCHED.get(et)
    if table is None or element not in net[table].index:
        return set()
    return {int(net[table].at[element, column]) for column in ENDS[table]}


def _substations(net: Any) -> list[tuple[str, int, bool]]:
    """(asset key, bus, is a source) per bus with an external grid: the first in service there,
    else the first; a source when that grid and its bus are in service."""
    grids = net.ext_grid.sort_values("in_service", ascending=False, kind="stable")
    first = grids[~grids["bus"].duplicated()]
    return [(f"ext_grid/{i}", int(bus), bool(on and net.bus.at[bus, "in_service"]))
            for i, bus, on in zip(first.index, first["bus"], first["in_service"], strict=True)]


def _branches(net: Any) -> list[tuple[int, int, int, str, float, bool]]:
    """(index, one bus, other bus, table, length (m), in service) per line and transformer."""
    lines = net.line
    return [*zip(lines.index.astype(int), lines["from_bus"].astype(int),
                 lines["to_bus"].astype(int), ["line"] * len(lines),
                 (lines["length_km"] * 1000.0).astype(float), lines["in_service"].astype(bool),
                 strict=True),
            *[(int(i), int(t["hv_bus"]), int(t["lv_bus"]), "trafo", 0.0, bool(t["in_service"]))
              for i, t in net.trafo.iterrows()]]


def _trafo3w_ends(net: Any) -> list[tuple[int, dict[str, int], bool]]:
    return [(int(i), {side: int(t[f"{side}_bus"]) for side in ("hv", "mv", "lv")},
             bool(t["in_service"])) for i, t in net.trafo3w.iterrows()]


def _closed(net: Any, switch: int) -> bool:
    return bool(net.switch.at[switch, "closed"])


def _edge_kind(net: Any, table: str, i: int) -> str:
    if table != "line":
        return "transformer"
    return "cable" if net.line.at[i, "type"] == "cs" else "line"


# -- frames -----------------------------------------------------------------------------------
def _node(asset: str | None, kind: str, point: Point, is_source: bool = False) -> dict[str, Any]:
    return {"network": NETWORK, "asset_id": asset, "kind": kind, "is_source": is_source,
            "geom": point}


def _edge(start: str, end: str, asset: str | None, kind: str, on: bool,
          length_m: float = 0.0) -> dict[str, Any]:
    return {"network": NETWORK, "from_node": start, "to_node": end, "asset_id": asset,
            "kind": kind, "normally_connected": on, "length_m": length_m}


def _node_frame(nodes: Rows, place: Placement) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(list(nodes.values()), index=pd.Index(list(nodes), dtype=object),
                            geometry="geom", crs=place.crs)


def _edge_frame(edges: Rows, net: Any) -> pd.DataFrame:
    """The edges, those at an out-of-service bus not conducting."""
    frame = pd.DataFrame(list(edges.values()), index=pd.Index(list(edges), dtype=object))
    off = {f"bus/{b}" for b in net.bus.index[~net.bus["in_service"].astype(bool)]}
    at_off = frame["from_node"].isin(off) | frame["to_node"].isin(off)
    return frame.assign(normally_connected=frame["normally_connected"] & ~at_off)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _out_of_service(element: Any) -> bool | None:
    """False for an element out of service (kept in ``attributes``), None (left out) otherwise."""
    return None if bool(element.get("in_service", True)) else False


def _kept(**values: Any) -> dict[str, Any] | None:
    """The values that are set (not None or NaN), as JSON-ready Python values; None if none is."""
    kept = {k: v.item() if isinstance(v, np.generic) else v for k, v in values.items()
            if v is not None and not (isinstance(v, float) and math.isnan(v))}
    return kept or None
