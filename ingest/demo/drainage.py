"""Drainage: combined sewers under every street, manholes at junctions and at most 50 m apart,
draining by the shortest way to outfalls on the Thương river. EPSG:9214 metres.

The network is a forest rooted at the outfalls; in the topology each outfall node is flagged
``is_source`` (the node every manhole's water reaches), though water flows towards it. Pipes are
drawn from upstream to downstream. A street that is not on the shortest way to an outfall drains
half to each end, its middle length left without a pipe (the crown between the two runs). Invert
depth grows by a constant gradient downstream (0.9 m at the heads, at most about 5 m), so
``depth_end_m`` > ``depth_start_m`` on every pipe; diameters grow with the length drained.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from ingest.demo._geometry import OFFSETS, asset_ids, choice, conditions, frame, points, years
from ingest.demo._graph import Forest, nearest_source_forest
from ingest.demo._topology import Part, TopologyBuilder
from ingest.demo.facilities import Facilities
from ingest.demo.site import Site
from ingest.demo.streets import Streets

MANHOLE_EVERY_M = 50.0
DIAMETERS = ((300.0, 400.0), (1000.0, 600.0), (3000.0, 800.0), (8000.0, 1000.0),
             (20000.0, 1200.0), (np.inf, 1500.0))
"""(length drained up to, m; diameter, mm)."""


@dataclass(frozen=True)
class Drainage:
    part: Part
    manhole_junction: np.ndarray
    """The street junction each manhole is at, or nearest along its street."""


@dataclass(frozen=True)
class _Runs:
    """Points of the network (the manholes, then the outfalls) and the pipes between them:
    each point's position (m), distance to its outfall along the flow (m; negative at the
    outfalls, beyond the last manhole) and street junction; each pipe's upstream and downstream
    point."""

    xy: np.ndarray
    dist: np.ndarray
    junction: np.ndarray
    up: np.ndarray
    down: np.ndarray
    manholes: int


def build_drainage(site: Site, streets: Streets, facilities: Facilities,
                   rng: np.random.Generator) -> Drainage:
    """Manholes, pipes and outfalls."""
    runs = _runs(streets, facilities)
    reach = runs.dist.max() + 1.0
    depth = np.round(0.9 + min(0.003, 4.0 / reach) * (reach - runs.dist), 3)
    net = TopologyBuilder("drainage")
    m = runs.manholes
    manhole_ids, outfall_ids = asset_ids("MH", m), asset_ids("OUT", len(runs.xy) - m)
    node = np.r_[net.add_nodes(runs.xy[:m], "manhole", asset_id=manhole_ids),
                 net.add_nodes(runs.xy[m:], "outfall", asset_id=outfall_ids, is_source=True)]
    geoms = shapely.linestrings(np.stack([runs.xy[runs.up], runs.xy[runs.down]], axis=1))
    pipe_ids = asset_ids("DP", len(runs.up))
    net.add_edges(node[runs.up], node[runs.down], "pipe", asset_id=pipe_ids,
                  length_m=shapely.length(geoms))
    ground = site.elevation(runs.xy)
    n, n_out = len(pipe_ids), len(outfall_ids)
    diameter = _diameters(runs)
    layers = {
        "drainage_pipes": frame(
            pipe_ids, geoms, diameter_mm=diameter,
            shape=np.where(diameter > 1000, "box", "circular"),
            material=np.where(diameter < 600, choice(rng, ["concrete", "HDPE"], n, [3, 1]),
                              "concrete"),
            depth_start_m=depth[runs.up], depth_end_m=depth[runs.down], kind="combined",
            install_year=years(rng, n, 1980, 2024), condition=conditions(rng, n), source="demo"),
        "manholes": frame(
            manhole_ids, points(runs.xy[:m]), depth_m=depth[:m], rim_elevation_m=ground[:m],
            cover_type=choice(rng, ["cast_iron", "composite", "concrete"], m, [5, 3, 2]),
            install_year=years(rng, m, 1980, 2024), condition=conditions(rng, m), source="demo"),
        "outfalls": frame(
            outfall_ids, points(runs.xy[m:]), receiving_water="Sông Thương",
            invert_elevation_m=np.round(ground[m:] - depth[m:], 2),
            install_year=years(rng, n_out, 1990, 2020), condition=conditions(rng, n_out),
            source="demo"),
    }
    return Drainage(Part(layers, net.build()), runs.junction[:m])


def _runs(streets: Streets, facilities: Facilities) -> _Runs:
    """Manholes: one per junction (numbered as the junctions), then those along the segments;
    outfalls after them. Pipes: the pieces of every segment that carry water, then an outlet
    from each outfall's junction to the outfall."""
    forest = nearest_source_forest(streets, facilities.outfalls)
    length = streets.length
    pieces = np.maximum(np.ceil(length / MANHOLE_EVERY_M), 1).astype(int)
    edge = np.repeat(np.arange(len(length)), pieces + 1)
    k = np.arange(len(edge)) - np.repeat(np.cumsum(pieces + 1) - (pieces + 1), pieces + 1)
    along = k * length[edge] / pieces[edge]
    inner = (k > 0) & (k < pieces[edge])
    junctions = len(streets.nodes)
    point = np.where(k == 0, streets.u[edge], streets.v[edge])
    point[inner] = junctions + np.arange(inner.sum())
    to_v = _drains_to_v(forest, streets, edge, k, pieces)
    inner_xy = shapely.get_coordinates(
        shapely.line_interpolate_point(streets.geoms[edge[inner]], along[inner]))
    inner_dist = np.where(to_v, forest.dist[streets.v[edge]] + length[edge] - along,
                          forest.dist[streets.u[edge]] + along)[inner]
    up, down = _pieces(forest, streets, edge, k, pieces, point)
    outlet = np.hypot(*(facilities.outfall_xy - streets.nodes[facilities.outfalls]).T)
    n_out = len(outlet)
    manholes = junctions + int(inner.sum())
    return _Runs(
        xy=np.vstack([np.vstack([streets.nodes, inner_xy]) + OFFSETS["drainage"],
                      facilities.outfall_xy]),
        dist=np.r_[forest.dist, inner_dist, -outlet],
        junction=np.r_[np.arange(junctions),
                       np.where(along < length[edge] / 2, streets.u[edge], streets.v[edge])[inner],
                       facilities.outfalls],
        up=np.r_[up, facilities.outfalls], down=np.r_[down, manholes + np.arange(n_out)],
        manholes=manholes)


def _pieces(forest: Forest, streets: Streets, edge: np.ndarray, k: np.ndarray,
            pieces: np.ndarray, point: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upstream and downstream points of each piece (point k to k+1 of a segment) that carries
    water: towards the segment's end nearer the outfall, or on a segment off the shortest ways,
    the first half towards u and the second towards v (the middle piece is left out)."""
    towards_v = forest.edge[streets.u] == np.arange(len(streets.u))
    towards_u = forest.edge[streets.v] == np.arange(len(streets.u))
    start = np.flatnonzero(k < pieces[edge])
    e, kp = edge[start], k[start]
    flow = np.where(towards_v[e], 1, np.where(towards_u[e], -1, np.sign(kp - pieces[e] // 2)))
    start, flow = start[flow != 0], flow[flow != 0]
    a, b = point[start], point[start + 1]
    return np.where(flow > 0, a, b), np.where(flow > 0, b, a)


def _drains_to_v(forest: Forest, streets: Streets, edge: np.ndarray, k: np.ndarray,
                 pieces: np.ndarray) -> np.ndarray:
    """Whether point k of a segment drains towards the segment's end v (as ``_pieces`` has it)."""
    towards_v = forest.edge[streets.u[edge]] == edge
    towards_u = forest.edge[streets.v[edge]] == edge
    return towards_v | (~towards_u & (k > pieces[edge] // 2))


def _diameters(runs: _Runs) -> np.ndarray:
    """Diameter (mm) of each pipe from the length of pipe upstream of it, itself included."""
    length = np.hypot(*(runs.xy[runs.up] - runs.xy[runs.down]).T)
    drained = np.zeros(len(runs.xy))
    np.add.at(drained, runs.up, length)
    downstream = np.full(len(runs.xy), -1)
    downstream[runs.up] = runs.down
    for node in np.argsort(-runs.dist, kind="stable").tolist():
        if downstream[node] >= 0:
            drained[downstream[node]] += drained[node]
    limits = np.array([limit for limit, _ in DIAMETERS])
    sizes = np.array([size for _, size in DIAMETERS])
    return sizes[np.searchsorted(limits, drained[runs.up])]
