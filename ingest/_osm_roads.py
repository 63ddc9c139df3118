"""The road network from OSM highway ways: split into segments at junctions, nodes and edges.

A way is cut at every node it shares with another road way (or with itself) and at its ends,
so each segment runs from junction to junction and is one ``roads`` row and one road edge.
A ring with no junction on it (a roundabout by itself) is cut in two, because an edge may not
start and end at the same node. Ids are provisional: segments are named by their source_ref
(``osm:way/45``, then ``osm:way/45#2``, ... in drawing order) and nodes by ``osm:node/<id>``;
the importer swaps them for the twin's ids at write time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import Geod

_GEOD = Geod(ellps="WGS84")

Run = tuple[list[int], list[tuple[float, float]]]
"""Consecutive located nodes of a way: their OSM ids and (lon, lat) in EPSG:4326."""


@dataclass(frozen=True)
class RoadWay:
    way_id: int
    columns: dict[str, Any]
    """The ``roads`` columns every segment of the way shares."""
    runs: list[Run]
    """The way's node runs in travel order; more than one when the extract cut the way."""


@dataclass
class RoadNetwork:
    segments: list[dict[str, Any]] = field(default_factory=list)
    """``roads`` rows: the way's columns plus ``source_ref`` and ``geom`` (LineString)."""
    nodes: gpd.GeoDataFrame | None = None
    edges: pd.DataFrame | None = None
    degenerate: list[str] = field(default_factory=list)
    """Segments of zero length (distinct nodes at one place), left out."""


def road_network(ways: list[RoadWay]) -> RoadNetwork:
    """Segments, junction nodes and edges (``network='road'``, length in m on the WGS84
    ellipsoid), edges drawn from ``from_node`` to ``to_node`` in the way's travel direction."""
    uses = Counter(ref for way in ways for refs, _ in way.runs for ref in refs)
    network = RoadNetwork()
    places: dict[int, tuple[float, float]] = {}
    edges: list[dict[str, Any]] = []
    for way in ways:
        number = 0
        for refs, coords in way.runs:
            cuts = [i for i, ref in enumerate(refs) if i in (0, len(refs) - 1) or uses[ref] > 1]
            for start, end in (piece for cut in pairwise(cuts) for piece in _without_loops(refs, *cut)):
                number += 1
                ref = f"osm:way/{way.way_id}" + (f"#{number}" if number > 1 else "")
                line = coords[start:end + 1]
                if len(set(line)) < 2:
                    network.degenerate.append(ref)
                    continue
                network.segments.append({**way.columns, "source_ref": ref,
                                         "geom": shapely.LineString(line)})
                places[refs[start]], places[refs[end]] = line[0], line[-1]
                lons, lats = zip(*line, strict=True)
                edges.append({"id": ref, "network": "road", "from_node": _node(refs[start]),
                              "to_node": _node(refs[end]), "asset_id": ref, "kind": "road",
                              "normally_connected": True,
                              "length_m": round(_GEOD.line_length(lons, lats), 3)})
    network.edges = pd.DataFrame(edges, columns=["id", "network", "from_node", "to_node",
                                                 "asset_id", "kind", "normally_connected",
                                                 "length_m"])
    degree = Counter([*network.edges["from_node"], *network.edges["to_node"]])
    ids = [_node(ref) for ref in places]
    network.nodes = gpd.GeoDataFrame(
        {"id": ids, "network": "road",
         "kind": ["dead_end" if degree[i] == 1 else "junction" for i in ids], "is_source": False},
        geometry=gpd.points_from_xy([p[0] for p in places.values()],
                                    [p[1] for p in places.values()]),
        crs=4326).rename_geometry("geom")
    return network


def _node(ref: int) -> str:
    return f"osm:node/{ref}"


def _without_loops(refs: list[int], start: int, end: int) -> list[tuple[int, int]]:
    """The piece, or its two halves when it starts and ends at the same node (a ring)."""
    if refs[start] != refs[end]:
        return [(start, end)]
    middle = (start + end) // 2
    return [(start, middle), (middle, end)]
