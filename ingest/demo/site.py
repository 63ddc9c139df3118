"""The city's site: its limit, the Thương river along its south-west side, the land left to build
on, and the ground's elevation. Everything in EPSG:9214 metres around twin.city.BAC_GIANG.

At scale 1 the limit is an irregular oval of about 20 km² (5.8 × 4.9 km), the urban core of
Bắc Giang; its area grows with ``scale``. The river (about 120 m wide, narrower on tiny cities)
runs north-west to south-east at some 60-70 % of the way from the centre to the limit, and the
limit stops at its far bank: the city lies on the north-east bank, as the old city core does.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from ingest.demo._geometry import asset_ids, frame

ACROSS = np.array([0.6, 0.8])
"""Unit vector from the river towards the city (north-east)."""
ALONG = np.array([0.8, -0.6])
"""Unit vector down the river (it flows towards the south-east)."""
BANK_SETBACK_M = 40.0
"""Nothing is built within this distance of the river (dyke and bank)."""
LIMIT_MARGIN_M = 30.0
"""Streets stop this far inside the city limit, so all that lines them lies within it."""


@dataclass(frozen=True)
class Site:
    centre: np.ndarray
    """City centre, (2,) EPSG:9214 m."""
    extent: shapely.Polygon
    """The city limit (the district), river included."""
    river: shapely.Polygon
    land: shapely.Polygon
    """Where streets and buildings may go: the limit less the river and its banks."""
    axis_origin: np.ndarray
    """A point of the river's axis (before meanders), (2,) m."""
    radius_m: float
    """Distance from the centre to the limit towards the river (m): the city's size."""

    def elevation(self, xy: np.ndarray) -> np.ndarray:
        """Ground elevation (m above datum) at (n, 2) points: 4 m at the river rising about
        2 m per km inland, with gentle undulations (Bắc Giang is flat, 4-15 m)."""
        inland = (np.asarray(xy) - self.axis_origin) @ ACROSS
        x, y = (np.asarray(xy) - self.centre).T
        return np.round(4.0 + 0.002 * np.maximum(inland, 0) + 0.6 * np.sin(x / 900 + 0.7)
                        * np.sin(y / 700 + 1.3), 2)

    def water_areas(self) -> gpd.GeoDataFrame:
        """The ``water_areas`` layer: the Thương river."""
        return frame(asset_ids("WA", 1), [self.river], name=["Sông Thương"], kind=["river"],
                     source="demo")


def build_site(centre: np.ndarray, scale: float, rng: np.random.Generator) -> Site:
    """The limit, river and land of a city of ``scale`` (1: about 20 km²) around ``centre``."""
    a, b = 2900.0 * np.sqrt(scale), 2400.0 * np.sqrt(scale)
    theta = np.linspace(0, 2 * np.pi, 145)[:-1]
    phases = rng.uniform(0, 2 * np.pi, 2)
    r = a * b / np.hypot(b * np.cos(theta), a * np.sin(theta))
    r *= 1 + 0.07 * np.sin(3 * theta + phases[0]) + 0.04 * np.sin(5 * theta + phases[1])
    oval = shapely.Polygon(centre + np.column_stack([r * np.cos(theta), r * np.sin(theta)]))
    towards_river = -ACROSS
    radius = a * b / np.hypot(b * towards_river[0], a * towards_river[1])
    axis_origin = centre - ACROSS * 0.7 * radius
    axis = _river_axis(axis_origin, radius, rng)
    width = min(120.0, 0.25 * radius)
    river = shapely.buffer(axis, width / 2, cap_style="flat")
    city_side = shapely.Polygon(np.vstack([
        shapely.get_coordinates(axis),
        shapely.get_coordinates(axis)[::-1] + ACROSS * 6 * radius]))
    extent = _largest(shapely.intersection(oval, shapely.union(city_side, river)))
    land = _largest(shapely.difference(shapely.intersection(shapely.buffer(oval, -LIMIT_MARGIN_M),
                                                            city_side),
                                       shapely.buffer(river, BANK_SETBACK_M)))
    return Site(centre, extent, _largest(shapely.intersection(river, shapely.buffer(extent, 400))),
                land, axis_origin, float(radius))


def _river_axis(origin: np.ndarray, radius: float, rng: np.random.Generator) -> shapely.LineString:
    """The river's meandering centreline, reaching well past the city limit both ways."""
    s = np.linspace(-1.6 * radius, 1.6 * radius, 161)
    meander = 0.04 * radius * np.sin(2 * np.pi * s / (1.5 * radius) + rng.uniform(0, 2 * np.pi))
    return shapely.LineString(origin + np.outer(s, ALONG) + np.outer(meander, ACROSS))


def _largest(geometry: shapely.Geometry) -> shapely.Polygon:
    """The largest polygon of ``geometry`` (slivers left by clipping are dropped)."""
    parts = shapely.get_parts(geometry)
    parts = parts[shapely.get_type_id(parts) == 3]
    return parts[np.argmax(shapely.area(parts))]
