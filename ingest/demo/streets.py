"""Streets: a slightly irregular grid turned about 9°, arterials every fifth line, a curving
diagonal (Hùng Vương) and a ring arc (Xương Giang), clipped to the land and split at every
junction. EPSG:9214 metres.

Local grid lines are 105-150 m apart and wobble by a few metres; some local segments are left out
(blocks merged, dead ends), and only the largest connected part of the network is kept, so every
utility laid under the streets is one connected network.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from ingest.demo._geometry import asset_ids, choice, conditions, frame, years
from ingest.demo._topology import Topology, TopologyBuilder
from ingest.demo.site import Site

GRID_ROTATION_DEG = 9.0
ARTERIAL_EVERY = 5
ARTERIAL_NAMES = (
    "Hoàng Văn Thụ", "Lê Lợi", "Ngô Gia Tự", "Nguyễn Thị Minh Khai", "Trần Phú", "Nguyễn Văn Cừ",
    "Lý Thái Tổ", "Lê Lai", "Quang Trung", "Nguyễn Du", "Trần Hưng Đạo", "Nguyễn Trãi",
    "Lê Hồng Phong", "Hoàng Hoa Thám", "Giáp Hải", "Thân Nhân Trung", "Nguyễn Gia Thiều",
    "Lý Thường Kiệt", "Ngô Quyền", "Hai Bà Trưng", "Nguyễn Văn Linh", "Võ Nguyên Giáp",
)
LOCAL_NAMES = (
    "Nguyễn Khắc Nhu", "Minh Khai", "Hà Thị Quế", "Trần Nguyên Hãn", "Nguyễn Công Hãng",
    "Thánh Thiên", "Võ Thị Sáu", "Lý Tự Trọng", "Nguyễn Văn Mẫn", "Hoàng Quốc Việt",
    "Đào Sư Tích", "Huyền Quang", "Châu Xuyên", "Cả Trọng", "Nghĩa Long", "Tăng Quang Tự",
    "Vương Văn Trà", "Đàm Thận Huy", "Lê Quý Đôn", "Chu Văn An", "Bà Triệu", "Phan Đình Phùng",
    "Phan Bội Châu", "Tô Hiến Thành", "Mỹ Độ", "Phồn Xương", "Thái Đào", "Yết Kiêu", "Dã Tượng",
    "Cao Kỳ Vân", "Đinh Tiên Hoàng", "Lê Thánh Tông", "Hàm Nghi", "Nguyễn Thái Học",
    "Trần Quang Khải", "Lê Văn Hưu", "Nguyễn Bỉnh Khiêm", "Tô Vĩnh Diện", "Kim Đồng",
    "Hoàng Công Phụ",
)
PROFILES = pd.DataFrame(
    {"lanes": [(4, 6), (2, 4), (2,), (1, 2)], "lane_m": [3.5, 3.5, 3.5, 2.75],
     "footway": [(4.0, 6.0), (3.0, 4.5), (2.0, 3.0), (1.0, 2.0)]},
    index=["primary", "secondary", "tertiary", "residential"])
"""Cross-section of each road class: lanes to draw from, lane width and footway width range (m)."""


@dataclass(frozen=True)
class Streets:
    """The street network: ``roads`` (one row per segment between junctions, ids RD-...), its
    junctions ``nodes`` ((n, 2) m), each segment's end junctions ``u`` → ``v`` (the direction it
    is drawn in), and the grid ``lines`` (with ``line_of`` per segment) it was cut from."""

    roads: gpd.GeoDataFrame
    nodes: np.ndarray
    u: np.ndarray
    v: np.ndarray
    lines: np.ndarray
    line_of: np.ndarray

    @property
    def geoms(self) -> np.ndarray:
        return self.roads.geometry.to_numpy()

    @property
    def length(self) -> np.ndarray:
        return shapely.length(self.geoms)

    @property
    def arterial(self) -> np.ndarray:
        return self.roads["road_class"].isin(["primary", "secondary"]).to_numpy()

    def clearance(self, reserve_m: np.ndarray) -> np.ndarray:
        """Per junction, the largest of ``reserve_m`` (m, one per segment) over the segments
        meeting there: how far along a street things must stay from it."""
        clear = np.zeros(len(self.nodes))
        np.maximum.at(clear, self.u, reserve_m)
        np.maximum.at(clear, self.v, reserve_m)
        return clear

    def topology(self) -> Topology:
        """The ``road`` network: a node per junction, an edge per segment (its RD asset)."""
        topology = TopologyBuilder("road")
        degree = np.bincount(np.concatenate([self.u, self.v]), minlength=len(self.nodes))
        topology.add_nodes(self.nodes, np.where(degree == 1, "dead_end", "junction"))
        topology.add_edges(self.u, self.v, "road", asset_id=self.roads["id"].to_numpy(),
                           length_m=self.length)
        return topology.build()


def build_streets(site: Site, rng: np.random.Generator) -> Streets:
    """The street network on ``site.land``."""
    lines = _grid_lines(site, rng)
    clipped = shapely.intersection(lines["geom"].to_numpy(), site.land)
    parts, source = shapely.get_parts(clipped, return_index=True)
    keep = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 1)
    parts, source = parts[keep], source[keep]
    segments = shapely.get_parts(shapely.node(shapely.multilinestrings(parts)))
    line_of = _source_line(segments, parts, source, lines["rank"].to_numpy())
    segments, line_of, nodes, u, v = _connected(segments, line_of, lines, rng)
    attrs = lines.iloc[line_of].reset_index(drop=True)
    roads = frame(asset_ids("RD", len(segments)), segments, name=attrs["name"],
                  road_class=attrs["road_class"], width_m=attrs["width_m"], lanes=attrs["lanes"],
                  surface=attrs["surface"], lit=attrs["lit"], oneway=False,
                  footway_width_m=attrs["footway_width_m"],
                  install_year=years(rng, len(segments), 1990, 2024),
                  condition=conditions(rng, len(segments)), source="demo")
    return Streets(roads, nodes, u, v, lines["geom"].to_numpy(), line_of)


def _grid_lines(site: Site, rng: np.random.Generator) -> pd.DataFrame:
    """Every street line before clipping, with its attributes; ``rank`` orders classes."""
    angle = np.radians(GRID_ROTATION_DEG)
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    local = (shapely.get_coordinates(site.land.exterior) - site.centre) @ rotate
    lo, hi = local.min(axis=0) - 60, local.max(axis=0) + 60
    rows = []
    for axis in (0, 1):
        for k, offset in _grid_offsets(lo[axis], hi[axis], rng):
            across = np.arange(lo[1 - axis], hi[1 - axis] + 130, 130.0)
            wobble = rng.normal(0, 1.0 if k % ARTERIAL_EVERY == 0 else 2.5, len(across))
            xy = np.empty((len(across), 2))
            xy[:, axis], xy[:, 1 - axis] = offset + wobble, across
            rows.append({"k": k, "axis": axis, "geom": site.centre + xy @ rotate.T})
    grid = pd.DataFrame(rows)
    grid["arterial"] = grid["k"] % ARTERIAL_EVERY == 0
    special = pd.DataFrame([
        {"k": -1, "axis": 2, "geom": _diagonal(site, rng), "arterial": True},
        {"k": -1, "axis": 3, "geom": _ring(site), "arterial": True}])
    lines = pd.concat([special, grid], ignore_index=True)
    lines["geom"] = [shapely.LineString(g) for g in lines["geom"]]
    return _line_attributes(lines, rng)


def _grid_offsets(lo: float, hi: float, rng: np.random.Generator) -> list[tuple[int, float]]:
    """(k, offset) of the grid lines across [lo, hi] (m), k = 0 through the centre."""
    ahead = np.cumsum(rng.uniform(105, 150, int(hi / 105) + 2))
    behind = -np.cumsum(rng.uniform(105, 150, int(-lo / 105) + 2))
    found = [(0, 0.0)] + [(i + 1, o) for i, o in enumerate(ahead) if o < hi]
    return found + [(-(i + 1), o) for i, o in enumerate(behind) if o > lo]


def _diagonal(site: Site, rng: np.random.Generator) -> np.ndarray:
    """A gently curving arterial from the river bank north-eastwards, past the centre."""
    s = np.linspace(-1.6, 1.6, 81) * site.radius_m
    direction = np.array([np.sin(np.radians(35)), np.cos(np.radians(35))])
    bend = 0.06 * site.radius_m * np.sin(np.pi * s / (1.6 * site.radius_m) + rng.uniform(-.3, .3))
    start = site.centre + np.array([0.08, -0.06]) * site.radius_m
    return start + np.outer(s, direction) + np.outer(bend, [direction[1], -direction[0]])


def _ring(site: Site) -> np.ndarray:
    """A ring road arc around the centre, open towards the river."""
    theta = np.radians(np.linspace(-40, 220, 105))
    radius = 0.55 * site.radius_m
    return site.centre + [0, 0.1 * site.radius_m] + radius * np.column_stack(
        [np.cos(theta), np.sin(theta)])


def _line_attributes(lines: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Class, name and cross-section of each line (constant along a street)."""
    n = len(lines)
    local_class = choice(rng, ["tertiary", "residential"], n, [1, 3])
    primary = (lines["axis"] == 2) | (lines["arterial"] & (lines["k"] == 0))
    lines["road_class"] = np.where(primary, "primary",
                                   np.where(lines["arterial"], "secondary", local_class))
    lines["rank"] = lines["road_class"].map({c: i for i, c in enumerate(PROFILES.index)})
    profile = PROFILES.loc[lines["road_class"]].reset_index(drop=True)
    lines["lanes"] = [rng.choice(options) for options in profile["lanes"]]
    lines["width_m"] = np.round(lines["lanes"] * profile["lane_m"] + rng.uniform(0.5, 1.5, n), 1)
    low, high = np.array(list(profile["footway"])).T
    footway = rng.uniform(low, high)
    footway[(lines["road_class"] == "residential") & (rng.random(n) < 0.3)] = 0.0
    lines["footway_width_m"] = np.round(footway, 1)
    concrete = (lines["road_class"] == "residential") & (rng.random(n) < 0.4)
    lines["surface"] = np.where(concrete, "concrete", "asphalt")
    lines["lit"] = (lines["road_class"] != "residential") | (rng.random(n) < 0.93)
    lines["name"] = _names(lines)
    return lines


def _names(lines: pd.DataFrame) -> list[str]:
    """Vietnamese street names: the best known for the arterials nearest the centre."""
    names = [""] * len(lines)
    near = np.where(lines["axis"] >= 2, -1, lines["k"].abs())
    order = lines.assign(near=near).sort_values(["near", "axis", "k"]).index
    arterial_pool = ["Hùng Vương", "Xương Giang", *ARTERIAL_NAMES]
    arterials = [i for i in order if lines.at[i, "arterial"]]
    locals_ = [i for i in order if not lines.at[i, "arterial"]]
    for pool, indices in ((arterial_pool, arterials), (list(LOCAL_NAMES), locals_)):
        for n, i in enumerate(indices):
            names[i] = f"Đường {pool[n]}" if n < len(pool) else f"Đường số {n - len(pool) + 1}"
    return names


def _source_line(segments: np.ndarray, parts: np.ndarray, source: np.ndarray,
                 rank: np.ndarray) -> np.ndarray:
    """For each noded segment, the street line it was cut from (the higher class where two
    overlap)."""
    middle = shapely.line_interpolate_point(segments, 0.5, normalized=True)
    seg, part = shapely.STRtree(parts).query(middle, predicate="dwithin", distance=0.05)
    found = pd.DataFrame({"seg": seg, "line": source[part]})
    found["rank"] = rank[found["line"]]
    best = found.sort_values(["seg", "rank", "line"]).drop_duplicates("seg")
    line_of = np.full(len(segments), -1)
    line_of[best["seg"].to_numpy()] = best["line"].to_numpy()
    return line_of


def _connected(segments: np.ndarray, line_of: np.ndarray, lines: pd.DataFrame,
               rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Drop some local segments, stubs and loops; keep the largest connected network.
    Returns segments, line_of, nodes (n, 2), u, v."""
    nodes, u, v = _junctions(segments)
    local = ~lines["arterial"].to_numpy()[line_of]
    keep = (u != v) & (line_of >= 0) & ~(local & (rng.random(len(segments)) < 0.08))
    degree = np.bincount(np.concatenate([u[keep], v[keep]]), minlength=len(nodes))
    stub = ((degree[u] == 1) | (degree[v] == 1)) & (shapely.length(segments) < 30)
    keep &= ~stub
    graph = nx.Graph()
    graph.add_edges_from(zip(u[keep], v[keep], strict=True))
    largest = max(nx.connected_components(graph), key=lambda c: (len(c), min(c)))
    in_largest = np.zeros(len(nodes), dtype=bool)
    in_largest[list(largest)] = True
    keep &= in_largest[u]
    used, renumber = np.unique(np.concatenate([u[keep], v[keep]]), return_inverse=True)
    u, v = renumber[: keep.sum()], renumber[keep.sum():]
    return segments[keep], line_of[keep], nodes[used], u, v


def _junctions(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct segment end points (to the cm) and each segment's start and end among them."""
    ends = np.vstack([shapely.get_coordinates(shapely.get_point(segments, 0)),
                      shapely.get_coordinates(shapely.get_point(segments, -1))])
    nodes, index = np.unique(np.round(ends, 2), axis=0, return_inverse=True)
    index = index.ravel()
    return nodes, index[: len(segments)], index[len(segments):]

