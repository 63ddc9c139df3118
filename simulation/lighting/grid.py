"""Calculation grids over carriageways and footways, laid per EN 13201-3:2015 §7.2 (metres,
city CRS).

Along the road: spacing D = S/N with S the spacing of the luminaires in one row, N = 10 for
S ≤ 30 m, else the smallest N with D ≤ 3 m. Across: three points per lane, d = W_L/3; a footway
is one lane of its own width. The first row and column sit half a step in from the field's
edges. The twin's road segments run from junction to junction rather than one luminaire
spacing, so the field is the whole segment: the number of rows is L/D rounded (at least one)
and the rows are spread evenly over L. Footways lie beside the carriageway on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from simulation.lighting._arrays import ranks

POINTS_PER_LANE = 3
LANE_WIDTH_M = 3.5
"""Lane width assumed when a road does not say how many lanes it has."""
CARRIAGEWAY, FOOTWAY = 0, 1
"""Codes of ``Grid.surface``."""


@dataclass(frozen=True)
class Grid:
    """Grid points: ``road`` (row of the roads frame), ``x``, ``y`` (m), the cell's length
    along the road ``step_m`` and width across ``width_m``, the road's direction at the
    point as a unit vector (``ux``, ``uy``), and the ``surface`` (CARRIAGEWAY or FOOTWAY)."""

    road: np.ndarray
    x: np.ndarray
    y: np.ndarray
    step_m: np.ndarray
    width_m: np.ndarray
    ux: np.ndarray
    uy: np.ndarray
    surface: np.ndarray

    def __len__(self) -> int:
        return len(self.x)

    def cells(self, which: np.ndarray | None = None) -> np.ndarray:
        """The grid cells (shapely polygons) of the points ``which`` (all by default)."""
        k = slice(None) if which is None else which
        x, y, ux, uy = self.x[k], self.y[k], self.ux[k], self.uy[k]
        a, b = self.step_m[k] / 2, self.width_m[k] / 2
        corners = ((-1, -1), (1, -1), (1, 1), (-1, 1))  # (along, across) signs
        ring = np.stack([np.stack([x + sa * a * ux - sb * b * uy, y + sa * a * uy + sb * b * ux],
                                  axis=-1) for sa, sb in corners], axis=1)
        return shapely.polygons(ring)


def luminaire_spacing(lengths: np.ndarray, lamps: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """S (m): a road's length over its luminaires per row; the length itself without any."""
    per_row = lamps / np.maximum(rows, 1)
    return np.where(per_row > 0, lengths / np.maximum(per_row, 1), lengths)


def longitudinal_step(spacing_m: np.ndarray) -> np.ndarray:
    """D = S/N (m), N = 10 for S ≤ 30 m, else the smallest N with D ≤ 3 m (EN 13201-3)."""
    n = np.where(spacing_m <= 30.0, 10, np.ceil(spacing_m / 3.0))
    return spacing_m / n


def lay_grid(roads: pd.DataFrame, geoms: np.ndarray, spacing_m: np.ndarray) -> Grid:
    """The grid over every road: ``roads`` has ``width_m`` (carriageway), ``lanes`` and
    ``footway_width_m`` (either may be missing: lanes from the width, no footways),
    ``geoms`` are their centrelines (metric CRS), ``spacing_m`` the luminaire spacing S."""
    lengths = shapely.length(geoms)
    width = roads["width_m"].to_numpy(float)
    lanes_given = pd.to_numeric(roads["lanes"], errors="coerce").to_numpy(float)
    lanes = np.where(np.isfinite(lanes_given) & (lanes_given > 0), lanes_given,
                     np.maximum(1, np.round(width / LANE_WIDTH_M))).astype(int)
    footway = pd.to_numeric(roads.get("footway_width_m", pd.Series(0.0, roads.index)),
                            errors="coerce").fillna(0.0).to_numpy(float)
    rows = np.maximum(1, np.round(lengths / longitudinal_step(spacing_m))).astype(int)
    step = lengths / rows
    road = np.repeat(np.arange(len(geoms)), rows)
    along = (ranks(rows) + 0.5) * step[road]
    frame = (road, *_frames(geoms, lengths, road, along))
    footway_points = np.where(footway > 0, POINTS_PER_LANE, 0)
    strips = [_strip(frame, step, -width / 2, width, POINTS_PER_LANE * lanes, CARRIAGEWAY),
              _strip(frame, step, width / 2, footway, footway_points, FOOTWAY),
              _strip(frame, step, -width / 2 - footway, footway, footway_points, FOOTWAY)]
    return Grid(*(np.concatenate(parts) for parts in zip(*strips, strict=True)))


def _strip(frame: tuple[np.ndarray, ...], step: np.ndarray, edge: np.ndarray,
           width: np.ndarray, across: np.ndarray, surface: int) -> tuple[np.ndarray, ...]:
    """Grid points of one strip along each road, from ``edge`` (m left of the centreline) to
    ``edge`` + ``width``, ``across`` points wide: the fields of a ``Grid``."""
    road, px, py, ux, uy = frame
    count = across[road]
    row = np.repeat(np.arange(len(road)), count)
    owner = road[row]
    cell = width[owner] / np.maximum(across[owner], 1)
    offset = edge[owner] + (ranks(count) + 0.5) * cell
    return (owner, px[row] - offset * uy[row], py[row] + offset * ux[row], step[owner], cell,
            ux[row], uy[row], np.full(len(row), surface, np.int8))


def _frames(geoms: np.ndarray, lengths: np.ndarray, line: np.ndarray, along: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Position and unit direction of each line ``line`` at distance ``along`` from its start."""
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    seg = np.hypot(*np.diff(coords, axis=0).T)
    same = owner[1:] == owner[:-1]
    seg = np.where(same, seg, 0.0)
    start = np.concatenate([[0.0], np.cumsum(seg)])  # running distance at each vertex
    first_vertex = np.searchsorted(owner, np.arange(len(geoms)))
    target = start[first_vertex][line] + along
    vertex = np.searchsorted(start, target, side="right") - 1
    last = np.r_[first_vertex[1:], len(coords)] - 2  # last segment start of each line
    vertex = np.clip(vertex, first_vertex[line], last[line])
    dx, dy = (coords[vertex + 1] - coords[vertex]).T
    norm = np.hypot(dx, dy)
    norm = np.where(norm > 0, norm, 1.0)
    ux, uy = dx / norm, dy / norm
    t = target - start[vertex]
    return coords[vertex, 0] + t * ux, coords[vertex, 1] + t * uy, ux, uy
