"""A lighting study: the pure calculation from luminaires, roads and trees to illuminance and
figures per road, with no database — one street in a notebook or the whole city.

Frames are in a metric CRS (the twin's: EPSG:9214) and indexed by asset id.
``luminaires``: point at the light centre, ``mounting_height_m``, ``tilt_deg``,
``orientation_deg``, ``photometry``, ``wattage_w``, ``road_id``, optionally ``output`` (0..1).
``roads``: centreline, ``width_m`` (carriageway), ``lanes`` and ``footway_width_m`` (either
may be missing).
``trees``: point, ``height_m``, ``crown_diameter_m``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from simulation.lighting.builtin import PREFIX
from simulation.lighting.calculation import Chunking, Lamps, Scene
from simulation.lighting.catalogue import resolve
from simulation.lighting.classes import C_FAMILY_ROADS, best_c_class, best_p_class
from simulation.lighting.crowns import Crowns
from simulation.lighting.grid import CARRIAGEWAY, Grid, lay_grid, luminaire_spacing
from simulation.lighting.photometry import Photometry
from twin.errors import InvalidInput

MAINTENANCE_FACTOR = 0.8
"""Light lost to lamp ageing and dirt over a maintenance cycle (LED, IP66, 4-year cleaning)."""
LUMINAIRE_COLUMNS = ("mounting_height_m", "tilt_deg", "orientation_deg", "photometry",
                     "wattage_w", "road_id")


@dataclass(frozen=True)
class Study:
    """A prepared scene and its result: illuminance ``E`` (lx) per grid point, and the light
    each tree crown takes from each road (``shade``: tree_id, road_id, lost_lm)."""

    scene: Scene
    lamp_ids: pd.Index
    output: np.ndarray
    road_frame: gpd.GeoDataFrame
    E: np.ndarray
    shade: pd.DataFrame

    @property
    def grid(self) -> Grid:
        return self.scene.grid

    def figures(self) -> pd.DataFrame:
        """Figures per road: see ``road_figures``."""
        return road_figures(self.grid.road, self.E, self.road_frame, self.grid.surface)

    def with_output(self, changes: Mapping[str, float]) -> Study:
        """The study with luminaires set to other outputs (0 = failed), recomputing only the
        grid points they reach."""
        which = self.lamp_ids.get_indexer(list(changes))
        if (which < 0).any():
            raise InvalidInput(f"no luminaire '{list(changes)[int(np.argmax(which < 0))]}'")
        new_output = self.output.copy()
        new_output[which] = np.clip(np.fromiter(changes.values(), float, len(changes)), 0, 1)
        lamps = self.scene.lamps.take(which)
        delta = self.scene.illuminance(new_output[which] - self.output[which], lamps)
        return replace(self, output=new_output, E=np.maximum(self.E + delta, 0.0))

    def with_luminaires(self, luminaires: gpd.GeoDataFrame, remove: list[str] | None = None,
                        photometries: Mapping[str, Photometry] | None = None) -> Study:
        """The study with luminaires added or replaced (same id: a new photometry, height, …)
        and ``remove`` taken away, recomputing only the grid points they reach."""
        _check_luminaires(luminaires)
        gone = list(dict.fromkeys([*(remove or []),
                                   *self.lamp_ids.intersection(luminaires.index)]))
        old = self.lamp_ids.get_indexer(gone)
        if (old < 0).any():
            raise InvalidInput(f"no luminaire '{gone[int(np.argmax(old < 0))]}'")
        files = {p.name: p for p in self.scene.optics if not p.name.startswith(PREFIX)}
        added, index, scale = resolve(luminaires["photometry"], luminaires["wattage_w"],
                                      {**files, **(photometries or {})})
        known = {p.name for p in self.scene.optics}
        optics = self.scene.optics + tuple(p for p in added if p.name not in known)
        names = [p.name for p in optics]
        position = np.array([names.index(p.name) for p in added], int)
        new = _make_lamps(luminaires, position[index], scale)
        scene = self.scene.with_lamps(self.scene.lamps, optics)
        out_new = luminaires.get("output", pd.Series(1.0, luminaires.index)).to_numpy(float)
        minus = scene.illuminance(-self.output[old], scene.lamps.take(old))
        plus = scene.illuminance(out_new, new)
        keep = np.setdiff1d(np.arange(len(self.lamp_ids)), old)
        return replace(self, scene=scene.with_lamps(scene.lamps.take(keep).join(new)),
                       E=np.maximum(self.E + minus + plus, 0.0),
                       lamp_ids=self.lamp_ids[keep].append(luminaires.index),
                       output=np.concatenate([self.output[keep], out_new]))


def study_lighting(luminaires: gpd.GeoDataFrame, roads: gpd.GeoDataFrame,
                   trees: gpd.GeoDataFrame | None = None, *,
                   photometries: Mapping[str, Photometry] | None = None,
                   maintenance_factor: float = MAINTENANCE_FACTOR,
                   chunking: Chunking | None = None) -> Study:
    """Lay the grids, compute illuminance everywhere, and the trees' shade per road."""
    for frame, what in ((luminaires, "luminaires"), (roads, "roads"), (trees, "trees")):
        if frame is not None and (frame.crs is None or not frame.crs.is_projected):
            raise InvalidInput(f"{what} must be in a metric (projected) CRS, got {frame.crs}")
    _check_luminaires(luminaires)
    optics, index, scale = resolve(luminaires["photometry"], luminaires["wattage_w"],
                                   photometries)
    lamps = _make_lamps(luminaires, index, scale)
    grid = _road_grid(roads, luminaires)
    crowns = None if trees is None or len(trees) == 0 else Crowns.from_trees(
        trees.geometry.x.to_numpy(), trees.geometry.y.to_numpy(),
        trees["height_m"].to_numpy(float), trees["crown_diameter_m"].to_numpy(float))
    scene = Scene.build(lamps, optics, grid, crowns, maintenance_factor, chunking or Chunking())
    output = luminaires.get("output", pd.Series(1.0, luminaires.index)).to_numpy(float)
    e, shade = scene.illuminance_and_shade(output)
    tree_ids = trees.index if trees is not None else pd.Index([])
    return Study(scene, luminaires.index, output, roads, e,
                 _shade_frame(shade, roads.index, tree_ids))


def road_figures(road: np.ndarray, e: np.ndarray, roads: pd.DataFrame,
                 surface: np.ndarray | None = None) -> pd.DataFrame:
    """Per road with carriageway grid points (index road_id): eav, emin (lx), u0, class_c,
    class_p, class (on the scale the road is judged by), points; and, where it has footways,
    footway_eav, footway_emin (lx), footway_class (P scale). ``surface`` (per grid point,
    CARRIAGEWAY or FOOTWAY) is all carriageway when None."""
    surface = np.zeros(len(road), np.int8) if surface is None else surface
    lane = surface == CARRIAGEWAY
    eav, emin, count = _per_road(road[lane], e[lane], len(roads))
    with np.errstate(invalid="ignore", divide="ignore"):
        u0 = np.where(eav > 0, emin / eav, np.nan)
    class_c = best_c_class(np.nan_to_num(eav), np.nan_to_num(u0))
    class_p = best_p_class(np.nan_to_num(eav), np.nan_to_num(emin))
    judged_c = roads["road_class"].isin(C_FAMILY_ROADS).to_numpy() if "road_class" in roads \
        else np.zeros(len(roads), bool)
    frame = pd.DataFrame({"road_id": roads.index, "eav": eav, "emin": emin, "u0": u0,
                          "class": np.where(judged_c, class_c, class_p), "class_c": class_c,
                          "class_p": class_p, "points": count}, index=roads.index)
    if (~lane).any():
        f_eav, f_emin, _ = _per_road(road[~lane], e[~lane], len(roads))
        frame["footway_eav"], frame["footway_emin"] = f_eav, f_emin
        frame["footway_class"] = best_p_class(np.nan_to_num(f_eav), np.nan_to_num(f_emin))
    return frame[count > 0]


def _per_road(road: np.ndarray, e: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    """Mean and minimum of ``e`` per road (NaN where a road has no point), and the count."""
    count = np.bincount(road, minlength=n)
    mean = np.bincount(road, weights=e, minlength=n) / np.maximum(count, 1)
    low = np.full(n, np.inf)
    np.minimum.at(low, road, e)
    has = count > 0
    return np.where(has, mean, np.nan), np.where(has, low, np.nan), count


def _check_luminaires(luminaires: pd.DataFrame) -> None:
    missing = [c for c in LUMINAIRE_COLUMNS if c not in luminaires]
    if missing:
        raise InvalidInput("luminaires lack a column", column=missing[0])
    height = pd.to_numeric(luminaires["mounting_height_m"], errors="coerce")
    bad = ~(height > 0)
    if bad.any():
        raise InvalidInput("mounting height must be a number > 0",
                           where=f"luminaire {luminaires.index[bad.to_numpy()][0]}",
                           column="mounting_height_m")


def _make_lamps(luminaires: gpd.GeoDataFrame, index: np.ndarray, scale: np.ndarray) -> Lamps:
    def number(column: str) -> np.ndarray:
        return pd.to_numeric(luminaires[column], errors="coerce").fillna(0.0).to_numpy(float)

    return Lamps(luminaires.geometry.x.to_numpy(), luminaires.geometry.y.to_numpy(),
                 number("mounting_height_m"), number("tilt_deg"), number("orientation_deg"),
                 index, scale)


def _road_grid(roads: gpd.GeoDataFrame, luminaires: pd.DataFrame) -> Grid:
    """EN 13201-3 grids over ``roads``; S from each road's luminaires, counted in rows by the
    side of the centreline they stand on."""
    if "width_m" not in roads:
        raise InvalidInput("roads lack a column", column="width_m")
    width = pd.to_numeric(roads["width_m"], errors="coerce")
    if not (width > 0).all():
        raise InvalidInput("carriageway width must be a number > 0",
                           where=f"road {roads.index[~(width > 0).to_numpy()][0]}",
                           column="width_m")
    geoms = roads.geometry.to_numpy()
    on = roads.index.get_indexer(luminaires["road_id"])
    mine = on >= 0
    counts = np.bincount(on[mine], minlength=len(roads))
    side = _side(geoms[on[mine]], shapely.points(luminaires.geometry.x.to_numpy()[mine],
                                                 luminaires.geometry.y.to_numpy()[mine]))
    left = np.bincount(on[mine], weights=side > 0, minlength=len(roads)) > 0
    right = np.bincount(on[mine], weights=side < 0, minlength=len(roads)) > 0
    rows = np.maximum(left.astype(int) + right.astype(int), 1)
    surfaces = pd.DataFrame({"width_m": width.to_numpy(float),
                             "lanes": roads.get("lanes", pd.Series(np.nan, roads.index)),
                             "footway_width_m": roads.get("footway_width_m",
                                                          pd.Series(0.0, roads.index))})
    return lay_grid(surfaces, geoms, luminaire_spacing(shapely.length(geoms), counts, rows))


def _side(lines: np.ndarray, points: np.ndarray) -> np.ndarray:
    """+1 left of the line's direction, −1 right (at the nearest point of the line)."""
    along = shapely.line_locate_point(lines, points)
    here = shapely.line_interpolate_point(lines, along)
    ahead = shapely.line_interpolate_point(lines, along + 0.5)
    behind = shapely.line_interpolate_point(lines, along - 0.5)
    tx = shapely.get_x(ahead) - shapely.get_x(behind)
    ty = shapely.get_y(ahead) - shapely.get_y(behind)
    px = shapely.get_x(points) - shapely.get_x(here)
    py = shapely.get_y(points) - shapely.get_y(here)
    return np.sign(tx * py - ty * px)


def _shade_frame(shade: tuple[np.ndarray, ...] | None, road_ids: pd.Index,
                 tree_ids: pd.Index) -> pd.DataFrame:
    """Light taken by each crown from each road (lm), most first."""
    if shade is None:
        return pd.DataFrame({"tree_id": [], "road_id": [], "lost_lm": []})
    crown, road, lost = shade
    frame = pd.DataFrame({"tree_id": tree_ids[crown], "road_id": road_ids[road],
                          "lost_lm": lost})
    return frame.sort_values("lost_lm", ascending=False, ignore_index=True)
