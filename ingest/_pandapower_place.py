"""Where a pandapower network's buses, lines and switches are drawn: buses and lines by their
``geo`` (GeoJSON, pandapower 3) when every bus has one, else a layered schematic around the city
centre; switches beside their bus (``SWITCH_AT``).

The schematic is in the city's metric CRS (m): each connected part of the network is drawn from
its external grid (or its first bus) as columns of buses by hops from it, ``SPACING_M`` apart,
the parts side by side, the whole centred on the city centre.
"""

from __future__ import annotations

from collections.abc import Iterable
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
SWITCH_AT = 0.1
"""Where a line or transformer switch is drawn: this fraction of the way from its bus to the
element's middle (a bus-bus switch: halfway between its buses)."""


@dataclass(frozen=True)
class Placement:
    """Each bus's point, each line's drawing and each switch's point (by pandapower index), in
    ``crs``."""

    crs: CRS
    buses: dict[int, Point]
    lines: dict[int, LineString]
    switches: dict[int, Point]


def place(net: Any, crs: CRS, city: CityProfile, notes: list[str]) -> Placement:
    """Bus points and line drawings from the network's ``geo`` columns taken in ``crs``, or a
    schematic layout in the city's metric CRS when a bus has none (a note says so)."""
    geo = _geo(net.bus)
    missing = len(net.bus) if geo is None else int(shapely.is_missing(geo).sum())
    if geo is not None and not missing:
        buses = dict(zip(net.bus.index.tolist(), geo.tolist(), strict=True))
        lines = _lines(net, buses, _geo(net.line))
    else:
        notes.append(f"{missing} of {len(net.bus)} buses have no geo: the network is drawn as a "
                     f"schematic ({SPACING_M:g} m between buses) around {city.name}'s centre")
        crs = CRS.from_user_input(city.metric_crs)
        buses = _layout(net, np.asarray(city.centre_metric()))
        lines = _lines(net, buses, None)
    return Placement(crs, buses, lines, _switches(net, buses, lines))


def middle(a: Point, b: Point, at: float = 0.5) -> Point:
    """The point ``at`` of the way from ``a`` to ``b``."""
    return Point(a.x + at * (b.x - a.x), a.y + at * (b.y - a.y))


def centre(points: Iterable[Point]) -> Point:
    """The mean of the points."""
    xy = np.array([(p.x, p.y) for p in points])
    return Point(*xy.mean(axis=0))


def _switches(net: Any, buses: dict[int, Point], lines: dict[int, LineString]
              ) -> dict[int, Point]:
    """Each switch's point: halfway between the buses of a bus-bus switch, else ``SWITCH_AT``
    of the way from its bus to the middle of its element."""
    def element_middle(et: str, element: int) -> Point:
        if et == "l":
            return lines[element].interpolate(0.5, normalized=True)
        if et == "t":
            return middle(buses[int(net.trafo.at[element, "hv_bus"])],
                          buses[int(net.trafo.at[element, "lv_bus"])])
        return centre(buses[int(net.trafo3w.at[element, f"{side}_bus"])]
                      for side in ("hv", "mv", "lv"))

    points = {}
    for i, bus, element, et in zip(net.switch.index, net.switch["bus"], net.switch["element"],
                                   net.switch["et"], strict=True):
        at = buses[int(bus)]
        points[int(i)] = (middle(at, buses[int(element)]) if et == "b"
                          else middle(at, element_middle(et, int(element)), SWITCH_AT))
    return points


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
        graph.add_edges_from(zip(net[table][one].astype(int), net[table][other].astype(int),
                                 strict=True))
    ties = net.switch[net.switch["et"] == "b"]
    graph.add_edges_from(zip(ties["bus"].astype(int), ties["element"].astype(int), strict=True))
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
