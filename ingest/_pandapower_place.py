"""Where a pandapower network's buses and lines are drawn: their ``geo`` (GeoJSON, pandapower 3)
when every bus has one, else a layered schematic around the city centre.

The schematic is in the city's metric CRS (m): each connected part of the network is drawn from
its external grid (or its first bus) as columns of buses by hops from it, ``SPACING_M`` apart,
the parts side by side, the whole centred on the city centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry import LineString, Point

from twin.city import CityProfile

SPACING_M = 20.0
"""Distance between neighbouring buses of the schematic layout (m)."""


@dataclass(frozen=True)
class Placement:
    """Each bus's point and each line's drawing (by pandapower index), in ``crs``."""

    crs: CRS
    buses: dict[int, Point]
    lines: dict[int, LineString]


def place(net: Any, crs: CRS, city: CityProfile, notes: list[str]) -> Placement:
    """Bus points and line drawings from the network's ``geo`` columns taken in ``crs``, or a
    schematic layout in the city's metric CRS when a bus has none (a note says so)."""
    geo = _geo(net.bus)
    missing = len(net.bus) if geo is None else int(shapely.is_missing(geo).sum())
    if geo is not None and not missing:
        buses = dict(zip(net.bus.index.tolist(), geo.tolist(), strict=True))
        return Placement(crs, buses, _lines(net, buses, _geo(net.line)))
    notes.append(f"{missing} of {len(net.bus)} buses have no geo: the network is drawn as a schematic "
                 f"({SPACING_M:g} m between buses) around {city.name}'s centre")
    buses = _layout(net, np.asarray(city.centre_metric()))
    return Placement(CRS.from_user_input(city.metric_crs), buses, _lines(net, buses, None))


def _geo(table: Any) -> np.ndarray | None:
    """The table's ``geo`` column as shapely geometries (None where empty), or None without it."""
    if "geo" not in table:
        return None
    text = table["geo"].to_numpy(dtype=object)
    given = np.array([isinstance(t, str) and bool(t) for t in text])
    geoms = np.full(len(text), None, dtype=object)
    geoms[given] = shapely.from_geojson(text[given].astype(str))
    return geoms


def _lines(net: Any, buses: dict[int, Point], geo: np.ndarray | None) -> dict[int, LineString]:
    """Each line's own drawing where it has one, else straight from its from bus to its to bus."""
    drawn = {}
    for k, (index, start, end) in enumerate(zip(net.line.index, net.line["from_bus"],
                                                net.line["to_bus"], strict=True)):
        own = geo[k] if geo is not None else None
        drawn[int(index)] = own if isinstance(own, LineString) else LineString(
            [buses[int(start)], buses[int(end)]])
    return drawn


def _layout(net: Any, centre: np.ndarray) -> dict[int, Point]:
    graph = nx.Graph()
    graph.add_nodes_from(int(b) for b in net.bus.index)
    pairs = [("line", "from_bus", "to_bus"), ("trafo", "hv_bus", "lv_bus"),
             ("trafo3w", "hv_bus", "mv_bus"), ("trafo3w", "hv_bus", "lv_bus")]
    for table, one, other in pairs:
        graph.add_edges_from(zip(net[table][one].astype(int), net[table][other].astype(int)))
    ties = net.switch[net.switch["et"] == "b"]
    graph.add_edges_from(zip(ties["bus"].astype(int), ties["element"].astype(int)))
    roots = set(net.ext_grid["bus"].astype(int))
    xy: dict[int, tuple[float, float]] = {}
    left = 0.0
    for part in sorted(nx.connected_components(graph), key=min):
        start = min(part & roots or part)
        columns = list(nx.bfs_layers(graph, start))
        for depth, column in enumerate(columns):
            for k, bus in enumerate(sorted(column)):
                xy[bus] = (left + depth * SPACING_M, (k - (len(column) - 1) / 2) * SPACING_M)
        left += len(columns) * SPACING_M
    points = np.array(list(xy.values()))
    shift = centre - (points.min(axis=0) + points.max(axis=0)) / 2
    return {bus: Point(x + shift[0], y + shift[1]) for bus, (x, y) in xy.items()}
