"""Vectorised helpers for the demo city: ids, random draws, points along lines, frames.

Every coordinate here is in the city's metric CRS (EPSG:9214, VN-2000 / TM-3 107°00', metres).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin.city import BAC_GIANG
from twin.schema import CONDITIONS

CITY_CRS = BAC_GIANG.metric_crs

OFFSETS = {
    "road": (0.0, 0.0),
    "drainage": (1.0, -1.0),
    "water": (2.5, 1.5),
    "mv": (-3.0, 2.5),
    "lv": (-2.0, 3.2),
    "telecom": (2.0, -3.0),
}
"""Where each network runs relative to the street centreline (dx, dy in m): utilities share the
street's topology but lie side by side in the road reserve, never more than 4.3 m off the axis."""


def rng_for(seed: int, stage: str) -> np.random.Generator:
    """A generator of its own for each stage, so one stage's draws never shift another's."""
    return np.random.default_rng([seed, zlib.crc32(stage.encode())])


def asset_ids(prefix: str, count: int, start: int = 1) -> np.ndarray:
    """``PREFIX-000001`` ... numbered from ``start``, as an array of str."""
    numbers = np.arange(start, start + count).astype(str)
    return np.char.add(f"{prefix}-", np.char.zfill(numbers, 6)).astype(object)


def conditions(rng: np.random.Generator, count: int) -> np.ndarray:
    """Asset conditions drawn as a mostly maintained city's: 60 % good ... 2 % failed."""
    return rng.choice(np.array(CONDITIONS, dtype=object), count, p=[0.6, 0.28, 0.1, 0.02])


def years(rng: np.random.Generator, count: int, first: int, last: int) -> np.ndarray:
    """Install years, more of them recent (the city grew fast after 2000)."""
    return (last - np.floor((last - first + 1) * rng.random(count) ** 1.6)).astype(int)


def choice(rng: np.random.Generator, values: Sequence[object], count: int,
           weights: Sequence[float]) -> np.ndarray:
    """``count`` draws from ``values`` with relative ``weights``."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(np.array(values, dtype=object), count, p=p / p.sum())


def points(xy: np.ndarray) -> np.ndarray:
    """Shapely points from an (n, 2) array."""
    return shapely.points(np.asarray(xy, dtype=float).reshape(-1, 2))


def translate(geoms: np.ndarray, offset: tuple[float, float]) -> np.ndarray:
    """Geometries shifted by ``offset`` (dx, dy) metres."""
    return shapely.transform(geoms, lambda c: c + np.asarray(offset))


def unit(vectors: np.ndarray) -> np.ndarray:
    """Unit vectors along (n, 2) ``vectors`` (zero vectors stay zero)."""
    norm = np.hypot(vectors[:, 0], vectors[:, 1])[:, None]
    return np.divide(vectors, norm, out=np.zeros_like(vectors), where=norm > 0)


def left_normal(tangent: np.ndarray) -> np.ndarray:
    """Unit normals 90° anticlockwise of (n, 2) unit tangents."""
    return np.column_stack([-tangent[:, 1], tangent[:, 0]])


def azimuth_deg(vectors: np.ndarray) -> np.ndarray:
    """Azimuths of (n, 2) vectors in degrees clockwise from north (grid north), in [0, 360)."""
    return np.round(np.degrees(np.arctan2(vectors[:, 0], vectors[:, 1])) % 360.0, 1)


@dataclass(frozen=True)
class Stations:
    """Points spaced along lines: which line, how far along it (m), where, and its direction."""

    line: np.ndarray
    along: np.ndarray
    xy: np.ndarray
    tangent: np.ndarray

    def select(self, keep: np.ndarray) -> Stations:
        """The stations where ``keep`` is true."""
        return Stations(self.line[keep], self.along[keep], self.xy[keep], self.tangent[keep])

    def offset(self, distance: np.ndarray | float) -> np.ndarray:
        """Positions moved ``distance`` m to the left of the line (negative: to the right)."""
        return self.xy + left_normal(self.tangent) * np.reshape(distance, (-1, 1))


def stations(lines: np.ndarray, spacing: np.ndarray | float, phase: np.ndarray | float = 0.5,
             min_length: np.ndarray | float = 0.0) -> Stations:
    """Points about every ``spacing`` m along each line (m, the lines' CRS).

    A line of length L gets ``round(L / spacing)`` points (at least one when L >= ``min_length``,
    none below), evenly spaced with the first at ``phase`` of a spacing from its start, so the
    spacing kept is within 0.8-1.25 of the one asked for on lines longer than two spacings.
    ``spacing``, ``phase`` and ``min_length`` are one value or one per line.
    """
    length = shapely.length(lines)
    spacing = np.broadcast_to(np.asarray(spacing, dtype=float), length.shape)
    phase = np.broadcast_to(np.asarray(phase, dtype=float), length.shape)
    count = np.maximum(np.rint(length / spacing), 1).astype(int)
    count[length < np.broadcast_to(min_length, length.shape)] = 0
    line = np.repeat(np.arange(len(lines)), count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    along = (k + phase[line]) * (length[line] / count[line])
    xy, tangent = point_and_tangent(lines[line], along)
    return Stations(line, along, xy, tangent)


def point_and_tangent(lines: np.ndarray, along: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``along`` m from each line's start, and the unit direction there."""
    length = shapely.length(lines)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(lines, along))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(lines,
                                                                   np.minimum(along + 1, length)))
    behind = shapely.get_coordinates(shapely.line_interpolate_point(lines,
                                                                    np.maximum(along - 1, 0)))
    return xy, unit(ahead - behind)


def frame(ids: np.ndarray, geoms: np.ndarray | Sequence[shapely.Geometry],
          **columns: object) -> gpd.GeoDataFrame:
    """A layer frame in EPSG:9214: ``id``, the columns given, ``geom``."""
    data = pd.DataFrame({"id": ids, **columns})
    return gpd.GeoDataFrame(data, geometry=np.asarray(geoms), crs=CITY_CRS).rename_geometry("geom")


def frame_of_rows(rows: pd.DataFrame) -> gpd.GeoDataFrame:
    """A layer frame in EPSG:9214 from plain rows with ``id`` and ``geom`` (shapely geometries)
    columns: ``id``, the other columns in their order, ``geom``."""
    columns = [c for c in rows.columns if c not in ("id", "geom")]
    return frame(rows["id"].to_numpy(), rows["geom"].to_numpy(),
                 **{c: rows[c].to_numpy() for c in columns})
