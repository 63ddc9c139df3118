"""Wards and the district: Voronoi cells around ward centres spread evenly over the city limit,
clipped to it, and their union as district 213, Thành phố Bắc Giang. EPSG:9214 metres.

Ward names and GSO codes come from ``bacgiang_admin_units_gso/bac_giang_admin_units.json`` in
the reference data folder when it is there: the city's units in the file's order, its wards
(Phường) before its communes (Xã), the first names going to the wards nearest the centre.
Without it the wards are 'Phường 1', 'Phường 2', ... with made-up codes 90001, 90002, ... Only
the names depend on the file: the shapes are the same either way. About one ward per 1.3 km²,
at least three; each ward is cut into residential groups (tổ dân phố, thôn) of about 0.25 km².
The city is not clipped to the real city limit: the demo is the same with or without the
reference data.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ingest.demo._geometry import frame
from ingest.demo.site import Site
from twin.city import BAC_GIANG

UNITS_FILE = Path("bacgiang_admin_units_gso") / "bac_giang_admin_units.json"
DISTRICT_NAME = "Thành phố Bắc Giang"
KM2_PER_WARD = 1.3
KM2_PER_GROUP = 0.25
GOLDEN_ANGLE = np.pi * (3 - np.sqrt(5))


def ward_names(shared_data: Path | None) -> pd.DataFrame:
    """Code, name and kind (Phường or Xã) of the city's units: from the GSO list in
    ``shared_data`` when present, else generic ones."""
    path = shared_data / UNITS_FILE if shared_data is not None else None
    if path is None or not path.is_file():
        return pd.DataFrame({"code": [f"9{k:04d}" for k in range(1, 35)],
                             "name": [f"Phường {k}" for k in range(1, 35)], "kind": "Phường"})
    districts = json.loads(path.read_text(encoding="utf-8"))["districts"]
    city = next(d for d in districts if d["code"] == BAC_GIANG.district_code)
    units = pd.DataFrame([{"code": w["code"], "name": w["name"],
                           "kind": "Xã" if w["name"].startswith("Xã") else "Phường"}
                          for w in city["wards"]])
    return units.sort_values("kind", kind="stable", key=lambda k: k == "Xã", ignore_index=True)


def build_wards(site: Site, shared_data: Path | None) -> tuple[gpd.GeoDataFrame,
                                                                gpd.GeoDataFrame]:
    """The ``districts`` and ``wards`` layers covering ``site.extent``."""
    names = ward_names(shared_data)
    count = int(np.clip(round(site.extent.area / 1e6 / KM2_PER_WARD), 3, len(names)))
    seeds = _seeds(site, count)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds),
                                                       extend_to=site.extent))
    seed_of, cell = shapely.STRtree(cells).query(shapely.points(seeds), predicate="within")
    shapes = np.empty(count, dtype=object)
    shapes[seed_of] = [_multipolygon(shapely.intersection(c, site.extent)) for c in cells[cell]]
    units = names.iloc[:count]
    wards = frame(units["code"].to_numpy(), shapes, name=units["name"].to_numpy(),
                  kind=units["kind"].to_numpy(), district_code=BAC_GIANG.district_code)
    wards = wards.sort_values("id", ignore_index=True)
    district = frame(np.array([BAC_GIANG.district_code]),
                     [_multipolygon(shapely.union_all(shapes))], name=[DISTRICT_NAME],
                     province_code=BAC_GIANG.province_code)
    return district, wards


def build_residential_groups(wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The ``residential_groups`` layer: each ward cut into groups of about ``KM2_PER_GROUP``
    (Voronoi cells of a square grid of centres inside it, clipped to it; a small ward is one
    group): tổ dân phố in a Phường, thôn in a Xã, numbered from the north-west."""
    step = np.sqrt(KM2_PER_GROUP * 1e6)
    ids, names, kinds, codes, shapes = [], [], [], [], []
    for code, kind, shape in zip(wards["id"], wards["kind"], wards.geometry, strict=False):
        x0, y0, x1, y1 = shape.bounds
        grid = np.stack(np.meshgrid(np.arange(x0 + step / 2, x1, step),
                                    np.arange(y1 - step / 2, y0, -step)), axis=-1).reshape(-1, 2)
        inside = grid[shapely.contains_xy(shape, grid[:, 0], grid[:, 1])]
        if len(inside) < 2:
            cells = [shape]
        else:
            voronoi = shapely.get_parts(shapely.voronoi_polygons(
                shapely.multipoints(inside), extend_to=shape))
            owner, cell = shapely.STRtree(voronoi).query(shapely.points(inside),
                                                          predicate="within")
            ordered = np.empty(len(inside), dtype=object)
            ordered[owner] = voronoi[cell]
            cells = [_multipolygon(shapely.intersection(c, shape)) for c in ordered]
        village = kind == "Xã"
        for number, cell_shape in enumerate(cells, start=1):
            ids.append(f"{code}-{'TH' if village else 'TDP'}{number:02d}")
            names.append(f"{'Thôn' if village else 'Tổ dân phố'} {number}")
            kinds.append("Thôn" if village else "Tổ dân phố")
            codes.append(code)
            shapes.append(_multipolygon(cell_shape))
    return frame(np.array(ids), shapes, name=np.array(names), kind=np.array(kinds),
                 ward_code=np.array(codes))


def _seeds(site: Site, count: int) -> np.ndarray:
    """``count`` ward centres inside the limit, nearest the city centre first: Lloyd's
    iterations over a grid of points inside it, starting from a golden-angle spiral."""
    step = np.sqrt(site.extent.area / (60 * count))
    x0, y0, x1, y1 = site.extent.bounds
    grid = np.stack(np.meshgrid(np.arange(x0, x1, step), np.arange(y0, y1, step)),
                    axis=-1).reshape(-1, 2)
    inside = grid[shapely.contains_xy(site.extent, grid[:, 0], grid[:, 1])]
    k = np.arange(count)
    r = 0.9 * np.sqrt(site.extent.area / np.pi) * np.sqrt((k + 0.5) / count)
    spiral = site.centre + np.column_stack([r * np.cos(k * GOLDEN_ANGLE),
                                            r * np.sin(k * GOLDEN_ANGLE)])
    free = np.ones(len(inside), dtype=bool)
    centres = np.empty((count, 2))
    for i, target in enumerate(spiral):
        nearest = np.flatnonzero(free)[np.argmin(np.hypot(*(inside[free] - target).T))]
        centres[i], free[nearest] = inside[nearest], False
    for _ in range(20):
        label = np.argmin(np.hypot(*(inside[:, None] - centres[None]).transpose(2, 0, 1)), axis=1)
        sums = np.zeros((count, 2))
        np.add.at(sums, label, inside)
        sizes = np.bincount(label, minlength=count)[:, None]
        centres = np.where(sizes > 0, sums / np.maximum(sizes, 1), centres)
    return centres[np.argsort(np.hypot(*(centres - site.centre).T), kind="stable")]


def _multipolygon(geometry: shapely.Geometry) -> shapely.MultiPolygon:
    """The polygons of ``geometry`` as one MultiPolygon (clipping may leave lines or points)."""
    parts = shapely.get_parts(geometry)
    return shapely.MultiPolygon(list(parts[shapely.get_type_id(parts) == 3]))
