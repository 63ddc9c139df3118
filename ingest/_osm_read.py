"""One pass over an OSM file's objects, gathering each layer's rows, the roads and the notes.

Geometry is in EPSG:4326: points at nodes, lines through located nodes, polygons from osmium's
area assembly (closed ways and multipolygon relations). A way that leaves the extract keeps its
located stretches, each a row (``osm:way/7``, ``osm:way/7#2``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import geopandas as gpd
import osmium
import pandas as pd
import shapely

from ingest._osm_features import (
    Columns,
    Notes,
    area_layers,
    building,
    line,
    node_points,
    road,
    site_points,
    water_area,
)
from ingest._osm_roads import RoadWay, Run, road_network
from layers import LAYERS
from twin.write import Dataset

KEYS = ("highway", "building", "natural", "power", "man_made", "emergency", "waterway", "landuse")
"""Objects without any of these keys cannot become a row and are not read at all."""
AREA_KEYS = ("building", "natural", "waterway", "landuse", "power")
"""Multipolygon relations with any of these keys are assembled into areas."""

_SITES = ("substation", "transformer")
_INCOMPLETE = ("whose polygon could not be built from the file (nodes or members outside "
               "the extract, or broken rings)")


class Collector:
    """Feed it every object (``add``), then take the ``dataset()``."""

    def __init__(self) -> None:
        self.rows: dict[str, list[Columns]] = defaultdict(list)
        self.roads: list[RoadWay] = []
        self.notes = Notes()
        self.pending: set[tuple[str, str]] = set()
        """(layer, source_ref) of closed ways and multipolygons still waiting for their area."""
        self._wkb = osmium.geom.WKBFactory()

    def add(self, obj: Any) -> None:
        tags = {tag.k: tag.v for tag in obj.tags}
        if obj.is_node():
            self._node(obj, tags)
        elif obj.is_way():
            self._way(obj, tags)
        elif obj.is_relation():
            self._relation(obj, tags)
        elif obj.is_area():
            self._area(obj, tags)

    def _row(self, layer: str, ref: str, geom: shapely.Geometry, columns: Columns) -> None:
        self.rows[layer].append({**columns, "source_ref": ref, "geom": geom})

    def _node(self, node: Any, tags: dict[str, str]) -> None:
        ref = f"osm:node/{node.id}"
        found = node_points(tags, self.notes)
        if not found:
            for key, what in (("building", "buildings mapped as a point"),
                              ("natural", "water bodies mapped as a point")):
                if key in tags and (key != "natural" or tags[key] == "water"):
                    self.notes.absent[what] += 1
            return
        if not node.location.valid():
            self.notes.skip("nodes without a valid location", ref)
            return
        point = shapely.Point(node.location.lon, node.location.lat)
        on_pole = any(layer == "poles" for layer, _ in found)
        for layer, columns in found:
            if layer == "luminaires" and on_pole:
                columns = columns | {"pole_id": ref}  # the pole this same node is
            self._row(layer, ref, point, columns)

    def _way(self, way: Any, tags: dict[str, str]) -> None:
        ref = f"osm:way/{way.id}"
        runs, complete = _runs(way)
        if "highway" in tags and (found := road(tags, self.notes)):
            columns, reverse = found
            self._lines_of(ref, runs, complete, "road ways")
            if runs:
                self.roads.append(RoadWay(way.id, columns, _reversed(runs) if reverse else runs))
        if found_line := line(tags, self.notes):
            self._lines_of(ref, runs, complete, "power lines and pipelines")
            for number, (_, coords) in enumerate(runs, start=1):
                piece = ref if number == 1 else f"{ref}#{number}"
                if len(set(coords)) < 2:
                    self.notes.skip("lines of zero length", piece)
                else:
                    self._row(found_line[0], piece, shapely.LineString(coords), found_line[1])
        closed = len(way.nodes) >= 4 and way.nodes[0].ref == way.nodes[-1].ref
        self._outline(ref, tags, runs, closed, closed and complete)

    def _outline(self, ref: str, tags: dict[str, str], runs: list[Run], closed: bool,
                 complete_ring: bool) -> None:
        """A way as the edge of an area: a polygon still to come, or a site's point."""
        for layer in area_layers(tags):
            if closed:
                self.pending.add((layer, ref))
            else:
                self.notes.skip(f"{LAYERS[layer].title.lower()} drawn as an unclosed way", ref)
        sites = site_points(tags, self.notes)
        if sites and runs:
            point = _way_point(runs, complete_ring)
            for layer, columns in sites:
                self._row(layer, ref, point, columns)
        elif sites:
            self.notes.skip("substations, transformers and cabinets with no located node", ref)
        for key, value, what in (("natural", "tree_row", "tree rows (natural=tree_row ways)"),
                                 ("man_made", "surveillance", "surveillance areas (ways)")):
            if tags.get(key) == value:
                self.notes.absent[what] += 1

    def _lines_of(self, ref: str, runs: list[Run], complete: bool, what: str) -> None:
        if not runs:
            self.notes.skip(f"{what} with fewer than two nodes in the file", ref)
        elif not complete:
            self.notes.assumed[f"{what} cut by the extract's edge, kept as their parts "
                               "inside (one row each)"] += 1

    def _relation(self, relation: Any, tags: dict[str, str]) -> None:
        if tags.get("type") != "multipolygon":
            return
        ref = f"osm:relation/{relation.id}"
        self.pending.update((layer, ref) for layer in area_layers(tags))
        if tags.get("power") in _SITES:
            self.pending.add(("sites", ref))

    def _area(self, area: Any, tags: dict[str, str]) -> None:
        ref = f"osm:{'way' if area.from_way() else 'relation'}/{area.orig_id()}"
        layers = area_layers(tags)
        sites = not area.from_way() and tags.get("power") in _SITES
        if not layers and not sites:
            return
        try:
            geom = shapely.from_wkb(self._wkb.create_multipolygon(area))
        except RuntimeError:
            geom = None
        for layer in layers + (["sites"] if sites else []):
            self.pending.discard((layer, ref))
            if geom is None or not geom.is_valid:
                self.notes.skip(f"{_title(layer)} with invalid geometry", ref)
            elif layer == "sites":
                for site, columns in site_points(tags, self.notes):
                    self._row(site, ref, geom.representative_point(), columns)
            elif layer == "buildings":
                self._row(layer, ref, geom, building(tags) or {})
            else:
                self._row(layer, ref, geom, {"id": ref} | (water_area(tags) or {}))

    def dataset(self) -> Dataset:
        """All rows as frames in EPSG:4326, indexed by source_ref, with the road network."""
        for layer, ref in sorted(self.pending):
            self.notes.skip(f"{_title(layer)} {_INCOMPLETE}", ref)
        network = road_network(self.roads)
        for ref in network.degenerate:
            self.notes.skip("road segments of zero length", ref)
        rows = dict(self.rows) | ({"roads": network.segments} if network.segments else {})
        frames = {name: _frame(name, rows[name]) for name in LAYERS if rows.get(name)}
        has_roads = network.edges is not None and len(network.edges) > 0
        return Dataset(frames, nodes=network.nodes if has_roads else None,
                       edges=network.edges if has_roads else None, notes=self.notes.lines())


def _title(layer: str) -> str:
    return "substations and transformers" if layer == "sites" else LAYERS[layer].title.lower()


def _runs(way: Any) -> tuple[list[Run], bool]:
    """The way's stretches of located nodes (two or more), repeated nodes in a row dropped,
    and whether every node was located."""
    complete = True
    runs: list[Run] = []
    refs: list[int] = []
    coords: list[tuple[float, float]] = []
    for node in way.nodes:
        location = node.location
        if not location.valid():
            complete = False
            if len(refs) > 1:
                runs.append((refs, coords))
            refs, coords = [], []
        elif not refs or refs[-1] != node.ref:
            refs.append(node.ref)
            coords.append((location.lon, location.lat))
    if len(refs) > 1:
        runs.append((refs, coords))
    return runs, complete


def _reversed(runs: list[Run]) -> list[Run]:
    return [(refs[::-1], coords[::-1]) for refs, coords in reversed(runs)]


def _way_point(runs: list[Run], complete_ring: bool) -> shapely.Point:
    """A point inside a closed way, else the centre of its located nodes."""
    coords = [xy for _, run in runs for xy in run]
    if complete_ring and len(coords) >= 4:
        polygon = shapely.Polygon(coords)
        if polygon.is_valid:
            return polygon.representative_point()
    return shapely.MultiPoint(coords).centroid


def _frame(layer: str, rows: list[Columns]) -> gpd.GeoDataFrame:
    table = LAYERS[layer].table
    frame = pd.DataFrame.from_records(rows)
    frame["source"] = "osm"
    columns = [c for c in table.columns.keys() if c in frame.columns]
    frame.index = pd.Index(frame["source_ref"].to_numpy(), name=None)
    return gpd.GeoDataFrame(frame[columns], geometry="geom", crs=4326)
