"""Buildings: rectangular footprints on an 18 m lattice, turned to face the nearest street and
set back from it (carriageway, footway, then 2-3.5 m), with use, levels and height.
EPSG:9214 metres.

Each building's frontage (the street it faces and where) is kept: service points, water service
connections and customer terminals are laid out from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from ingest.demo._geometry import asset_ids, choice, conditions, frame, left_normal, unit, years
from ingest.demo.site import Site
from ingest.demo.streets import GRID_ROTATION_DEG, Streets

LATTICE_M = 18.0
USES = ("residential", "mixed", "commercial", "public", "industrial")
STOREY_M = 3.4


@dataclass(frozen=True)
class Buildings:
    """The ``buildings`` layer and each building's frontage, row for row."""

    frame: gpd.GeoDataFrame
    households: np.ndarray
    road: np.ndarray
    """The street segment it faces."""
    node: np.ndarray
    """That segment's end junction nearer to it."""
    front: np.ndarray
    """(n, 2) point of the street's axis in front of it (m)."""
    outward: np.ndarray
    """(n, 2) unit vector from the street's axis towards it."""
    facade_m: np.ndarray
    """Distance from the street's axis to its facade (m)."""
    along_m: np.ndarray
    """Distance along the street from ``node`` to ``front`` (m)."""

    def at_facade(self, inset_m: float) -> np.ndarray:
        """(n, 2) points ``inset_m`` m in front of each facade, towards the street."""
        return self.front + self.outward * (self.facade_m - inset_m)[:, None]


def build_buildings(site: Site, streets: Streets, keep_clear: shapely.Geometry,
                    rng: np.random.Generator) -> Buildings:
    """Buildings on every lot of ``site.land`` that streets and ``keep_clear`` leave free."""
    buildable = _buildable(site, streets, keep_clear, rng)
    centre = _lattice(site, buildable, rng)
    road = shapely.STRtree(streets.geoms).query_nearest(shapely.points(centre),
                                                        all_matches=False)[1]
    along = shapely.line_locate_point(streets.geoms[road], shapely.points(centre))
    front = shapely.get_coordinates(shapely.line_interpolate_point(streets.geoms[road], along))
    outward = unit(centre - front)
    width = np.where(rng.random(len(centre)) < 0.6, rng.uniform(4.5, 6.0, len(centre)),
                     rng.uniform(6.0, 10.5, len(centre)))
    depth = rng.uniform(7.0, 12.5, len(centre))
    footprint = _rectangles(centre, left_normal(outward), width, depth)
    fits = np.unique(shapely.STRtree(shapely.get_parts(buildable)).query(
        footprint, predicate="within")[0])
    road, along, front, outward, depth = road[fits], along[fits], front[fits], outward[fits], \
        depth[fits]
    centre, footprint = centre[fits], footprint[fits]
    length = streets.length[road]
    near_start = along < length / 2
    attrs = _attributes(site, streets, centre, rng)
    return Buildings(
        frame=frame(asset_ids("BLD", len(centre)), footprint, use=attrs["use"],
                    height_m=attrs["height_m"], levels=attrs["levels"],
                    ground_elevation_m=site.elevation(centre),
                    install_year=years(rng, len(centre), 1975, 2024),
                    condition=conditions(rng, len(centre)), source="demo"),
        households=attrs["households"], road=road,
        node=np.where(near_start, streets.u[road], streets.v[road]),
        front=front, outward=outward,
        facade_m=np.hypot(*(centre - front).T) - depth / 2,
        along_m=np.where(near_start, along, length - along))


def _buildable(site: Site, streets: Streets, keep_clear: shapely.Geometry,
               rng: np.random.Generator) -> shapely.Geometry:
    """The land less every street's reserve (half the carriageway, the footway, a setback)."""
    roads = streets.roads
    reserve = (roads["width_m"] / 2 + roads["footway_width_m"]).to_numpy()
    reserve = reserve + rng.uniform(2.0, 3.5, len(roads))
    clear = shapely.union_all(np.append(shapely.buffer(streets.geoms, reserve), keep_clear))
    buildable = shapely.difference(site.land, clear)
    shapely.prepare(buildable)
    return buildable


def _lattice(site: Site, buildable: shapely.Geometry, rng: np.random.Generator) -> np.ndarray:
    """Lattice points (aligned with the street grid, slightly jittered) on buildable ground."""
    angle = np.radians(GRID_ROTATION_DEG)
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    local = (shapely.get_coordinates(site.land.exterior) - site.centre) @ rotate
    lo, hi = local.min(axis=0), local.max(axis=0)
    grid = np.stack(np.meshgrid(np.arange(lo[0], hi[0], LATTICE_M),
                                np.arange(lo[1], hi[1], LATTICE_M)), axis=-1).reshape(-1, 2)
    xy = site.centre + (grid + rng.uniform(-0.4, 0.4, grid.shape)) @ rotate.T
    return xy[shapely.contains_xy(buildable, xy[:, 0], xy[:, 1])]


def _rectangles(centre: np.ndarray, along: np.ndarray, width: np.ndarray,
                depth: np.ndarray) -> np.ndarray:
    """Rectangles ``width`` m along the unit vectors ``along`` and ``depth`` m across them."""
    a = along * (width / 2)[:, None]
    b = left_normal(along) * (depth / 2)[:, None]
    corners = np.stack([centre - a - b, centre + a - b, centre + a + b, centre - a + b,
                        centre - a - b], axis=1)
    return shapely.polygons(corners)


def _attributes(site: Site, streets: Streets, centre: np.ndarray,
                rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Use (shops and mixed use line the arterials), levels, height (m) and households."""
    n = len(centre)
    arterials = streets.geoms[streets.arterial]
    _, to_arterial = shapely.STRtree(arterials).query_nearest(
        shapely.points(centre), all_matches=False, return_distance=True)
    on_arterial = to_arterial < 35
    use = np.where(on_arterial, choice(rng, USES, n, [25, 35, 35, 5, 0]),
                   choice(rng, USES, n, [85, 7, 4, 3, 1]))
    central = np.clip(1 - np.hypot(*(centre - site.centre).T) / site.radius_m, 0, 1)
    levels = np.where(np.isin(use, ["public", "industrial"]), rng.integers(1, 4, n),
                      rng.integers(1, 5, n) + rng.binomial(4, 0.15 + 0.5 * central))
    apartments = rng.random(n) < 0.02 * (use == "residential")
    levels = np.where(apartments, rng.integers(9, 16, n), levels)
    households = np.where(apartments, levels * 4,
                          np.where(use == "commercial", 1, 1 + (rng.random(n) < 0.15)))
    height = np.round(levels * STOREY_M + rng.uniform(0.3, 1.5, n), 1)
    return {"use": use, "levels": levels, "height_m": height, "households": households}
