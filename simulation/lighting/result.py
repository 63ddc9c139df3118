"""What a lighting run answers: figures per road (before and after a what-if), dark spots,
the pruning list, the raster; as frames, JSON and GeoJSON (EPSG:4326)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from simulation.lighting.grid import FOOTWAY
from simulation.lighting.raster import illuminance_raster, write_cog
from simulation.lighting.study import Study

DARK_LUX = 1.0
"""A grid cell below this (lx) is a dark spot: the EN 13201-2 P4 minimum."""
MIN_LOST_LM = 1.0
"""Crowns that cost a road less than this (lm) are left off the pruning list."""
PRUNING_IN_JSON = 500
FIGURES = ("eav", "emin", "u0", "class")


@dataclass(frozen=True)
class LightingResult:
    """``roads``: GeoDataFrame per road (index road_id; EPSG:4326 centreline): road_id, name,
    road_class, eav, emin (lx), u0, class (EN 13201-2 class met on the road's scale, or None),
    class_c, class_p, points, and ``*_before`` columns when a what-if was asked.
    Roads with footways add footway_eav, footway_emin, footway_class (P scale).
    ``dark_spots``: polygons (EPSG:4326) of grid cells below ``dark_lux``, per road and
    surface, with area_m2. ``pruning``: tree_id, road_id, lost_lm (light the crown keeps from
    the road), lost_percent (of the light the road would get without that loss)."""

    roads: gpd.GeoDataFrame
    dark_spots: gpd.GeoDataFrame
    pruning: pd.DataFrame
    study: Study
    crs: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """``{"roads": [{"road_id", "eav", "emin", "u0", "class", ...}], "pruning": [the
        ``PRUNING_IN_JSON`` worst], "dark_spots": N, "parameters": {...}}``, plain JSON values
        (NaN as null)."""
        roads = pd.DataFrame(self.roads.drop(columns="geometry"))
        return {"roads": _records(roads), "pruning": _records(self.pruning.head(PRUNING_IN_JSON)),
                "dark_spots": len(self.dark_spots), "parameters": self.parameters}

    def to_geojson(self) -> dict[str, Any]:
        """Road figures (kind "road") and dark-spot polygons (kind "dark_spot")."""
        parts = [frame for frame in (self.roads.assign(kind="road"),
                                     self.dark_spots.assign(kind="dark_spot")) if len(frame)]
        both = pd.concat(parts, ignore_index=True) if parts else self.roads.assign(kind="road")
        return json.loads(gpd.GeoDataFrame(both, geometry="geometry",
                                           crs="EPSG:4326").to_json(na="null"))

    def write_raster(self, path: str | Path) -> Path:
        """The illuminance (lx) as a Cloud-Optimised GeoTIFF in the city's metric CRS."""
        band, transform = illuminance_raster(self.study.grid, self.study.E)
        return write_cog(path, band, transform, self.crs)


def dark_spots(study: Study, dark_lux: float = DARK_LUX) -> gpd.GeoDataFrame:
    """Grid cells below ``dark_lux``, dissolved per road and surface (carriageway or
    footway; metric CRS of the study): road_id, surface, area_m2."""
    dark = np.flatnonzero(study.E < dark_lux)
    surface = np.where(study.grid.surface[dark] == FOOTWAY, "footway", "carriageway")
    cells = gpd.GeoDataFrame({"road_id": study.road_frame.index[study.grid.road[dark]],
                              "surface": surface},
                             geometry=study.grid.cells(dark), crs=study.road_frame.crs)
    if len(cells) == 0:
        return gpd.GeoDataFrame({"road_id": [], "surface": [], "area_m2": []}, geometry=[],
                                crs=study.road_frame.crs)
    cells["geometry"] = shapely.buffer(cells.geometry.to_numpy(), 0.01, join_style="mitre")
    merged = cells.dissolve(["road_id", "surface"]).explode(index_parts=False).reset_index()
    merged["area_m2"] = merged.geometry.area.round(1)
    return merged[["road_id", "surface", "area_m2", "geometry"]]


def pruning_list(study: Study) -> pd.DataFrame:
    """Each crown's cost to each road (lm and % of the road's light without that loss), at
    least ``MIN_LOST_LM``, worst first."""
    shade = study.shade
    if len(shade) == 0:
        return shade.assign(lost_percent=pd.Series(dtype=float))
    delivered = pd.Series(np.bincount(study.grid.road, weights=study.E * study.grid.step_m
                                      * study.grid.width_m, minlength=len(study.road_frame)),
                          index=study.road_frame.index)
    shade = shade[shade["lost_lm"] >= MIN_LOST_LM]
    lost = shade["lost_lm"].to_numpy()
    base = delivered.reindex(shade["road_id"]).to_numpy() + lost
    return shade.assign(lost_lm=lost.round(1), lost_percent=(100 * lost / base).round(2))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = frame.reset_index(drop=True).to_dict(orient="records")
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


def _plain(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else round(float(value), 4)
    if value is pd.NA or value is None:
        return None
    return value
