"""``run_lighting``: the lighting study of the twin's own streets — read roads, luminaires and
trees, set each luminaire's output (dimming profile at an hour, live state, failures), compute,
and apply a what-if on top, reporting each road before and after."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from simulation.lighting.dimming import output_level
from simulation.lighting.photometry import Photometry
from simulation.lighting.result import DARK_LUX, FIGURES, LightingResult, dark_spots, pruning_list
from simulation.lighting.study import MAINTENANCE_FACTOR, Study, study_lighting
from twin.city import BAC_GIANG
from twin.errors import InvalidInput
from twin.read import BBox, read_layer

MARGIN_DEG = 0.0015
"""Luminaires and trees are read this far (≈ 160 m) beyond the bbox: they light its roads."""
READ_COLUMNS = ["road_id", "mounting_height_m", "tilt_deg", "orientation_deg",
                     "wattage_w", "photometry", "dimming_profile"]


@dataclass(frozen=True)
class WhatIf:
    """Changes to study: luminaires dimmed to a level (0..1), given another photometry
    (id -> name), and new luminaires (``add``: points in EPSG:4326 with the ``luminaires``
    layer's columns, indexed by a new id)."""

    dim: Mapping[str, float] = field(default_factory=dict)
    photometry: Mapping[str, str] = field(default_factory=dict)
    add: gpd.GeoDataFrame | None = None

    def is_empty(self) -> bool:
        return not (self.dim or self.photometry or (self.add is not None and len(self.add)))


@dataclass(frozen=True)
class Options:
    """How to compute: with the trees' shade, extra photometries by name (read with
    ``read_photometry``), the maintenance factor, the dark-spot threshold (lx)."""

    trees: bool = True
    photometries: Mapping[str, Photometry] = field(default_factory=dict)
    maintenance_factor: float = MAINTENANCE_FACTOR
    dark_lux: float = DARK_LUX


def run_lighting(db: Engine | Connection, bbox: BBox | None = None, at: time | None = None,
                 fail: Sequence[str] = (), what_if: WhatIf | None = None, live: bool = True,
                 options: Options | None = None, progress: Callable[[str], None] | None = None
                 ) -> LightingResult:
    """Lighting of the lit roads (in ``bbox``, EPSG:4326 lon/lat) at ``at`` (a time of night;
    None = full output), with the live state's failed and dimmed luminaires when ``live``.
    ``fail`` and ``what_if`` are applied on top: the roads then carry ``*_before`` figures."""
    options = options or Options()
    step = progress or (lambda label: None)
    crs = BAC_GIANG.metric_crs
    roads, lamps, tree_frame = _read(db, bbox, crs, options.trees)
    step(f"read {len(roads):,} lit roads, {len(lamps):,} luminaires, "
         f"{0 if tree_frame is None else len(tree_frame):,} trees")
    failed, dimmed = _live_state(db) if live else (frozenset(), {})
    study = study_lighting(lamps.assign(output=_levels(lamps, at, failed, dimmed)), roads,
                           tree_frame, photometries=options.photometries,
                           maintenance_factor=options.maintenance_factor)
    step(f"illuminance at {len(study.E):,} grid points")
    before = study.figures()
    changed = bool(fail) or (what_if is not None and not what_if.is_empty())
    if changed:
        study = _apply(study, lamps, fail, what_if or WhatIf(), crs, options.photometries)
        step("what-if applied")
    figures = study.figures()
    if changed:
        figures = figures.join(before[list(FIGURES)].add_suffix("_before"))
    spots = dark_spots(study, options.dark_lux)
    step(f"{len(spots):,} dark spots")
    parameters = {"bbox": list(bbox) if bbox else None, "at": at.strftime("%H:%M") if at else None,
                  "fail": list(fail), "live": live, "trees": options.trees,
                  "maintenance_factor": options.maintenance_factor, "dark_lux": options.dark_lux,
                  "live_failed": len(failed), "live_dimmed": len(dimmed),
                  "what_if": _describe(what_if)}
    info = roads[["name", "road_class"]].join(figures.drop(columns="road_id"), how="inner")
    out_roads = gpd.GeoDataFrame(info.assign(road_id=info.index),
                                 geometry=roads.geometry.loc[info.index], crs=crs).to_crs(4326)
    return LightingResult(out_roads[["road_id", *[c for c in out_roads if c != "road_id"]]],
                          spots.to_crs(4326), pruning_list(study), study, crs, parameters)


def _levels(lamps: pd.DataFrame, at: time | None, failed: frozenset[str],
            dimmed: Mapping[str, float]) -> np.ndarray:
    """Each luminaire's output (0..1): its dimming profile at ``at``; with no ``at``, the
    live state's reported level (full when none); failed ones off."""
    levels = np.array([output_level(p, at) for p in lamps["dimming_profile"]])
    if at is None:
        levels = np.array([dimmed.get(i, 1.0) for i in lamps.index], float)
    levels[lamps.index.isin(list(failed))] = 0.0
    return levels


def _read(db: Engine | Connection, bbox: BBox | None, crs: str, trees: bool
          ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
    """Lit roads in the bbox; luminaires and trees around it (metric CRS)."""
    wider = None if bbox is None else (bbox[0] - MARGIN_DEG, bbox[1] - MARGIN_DEG,
                                       bbox[2] + MARGIN_DEG, bbox[3] + MARGIN_DEG)
    roads = read_layer(db, "roads", bbox=bbox, crs=crs,
                       columns=["name", "road_class", "width_m", "lanes", "footway_width_m", "lit"])
    lamps = read_layer(db, "luminaires", bbox=wider, crs=crs, columns=READ_COLUMNS)
    lit = roads["lit"].fillna(False).astype(bool) | roads.index.isin(lamps["road_id"])
    tree_frame = read_layer(db, "trees", bbox=wider, crs=crs,
                            columns=["height_m", "crown_diameter_m"]) if trees else None
    return roads[lit.to_numpy()], lamps, tree_frame


def _live_state(db: Engine | Connection) -> tuple[frozenset[str], Mapping[str, float]]:
    """Failed luminaires and reported output levels from the live state
    (``twin.live.current_device_states``)."""
    from twin.live import current_device_states

    if isinstance(db, Engine):
        with db.connect() as conn:
            states = current_device_states(conn)
    else:
        states = current_device_states(db)
    return states.failed, states.dimmed


def _apply(study: Study, lamps: gpd.GeoDataFrame, fail: Sequence[str], what_if: WhatIf,
           crs: str, photometries: Mapping[str, Photometry] | None) -> Study:
    """The study after the what-if: failures and dimming, other photometries, new luminaires
    (each recomputing only the grid points those luminaires reach)."""
    unknown = [i for i in [*fail, *what_if.dim, *what_if.photometry] if i not in lamps.index]
    if unknown:
        raise InvalidInput(f"no luminaire '{unknown[0]}' in the area studied")
    levels = {**{i: float(v) for i, v in what_if.dim.items()}, **{i: 0.0 for i in fail}}
    if levels:
        study = study.with_output(levels)
    if what_if.photometry:
        ids = list(what_if.photometry)
        current = study.output[study.lamp_ids.get_indexer(ids)]
        swapped = lamps.loc[ids].assign(photometry=[what_if.photometry[i] for i in ids],
                                        output=current)
        study = study.with_luminaires(swapped, photometries=photometries)
    if what_if.add is not None and len(what_if.add):
        taken = what_if.add.index.intersection(lamps.index)
        if len(taken):
            raise InvalidInput(f"a new luminaire's id '{taken[0]}' is taken")
        if what_if.add.crs is None:
            raise InvalidInput("new luminaires need a CRS (EPSG:4326 points)")
        study = study.with_luminaires(what_if.add.to_crs(crs), photometries=photometries)
    return study


def _describe(what_if: WhatIf | None) -> dict[str, Any] | None:
    if what_if is None:
        return None
    return {"dim": dict(what_if.dim), "photometry": dict(what_if.photometry),
            "add": [] if what_if.add is None else list(what_if.add.index)}
