"""The illuminance grid as a raster: a Cloud-Optimised GeoTIFF in the city's metric CRS.

Each grid point's cell (a rectangle along the road) is sampled at points ``PIXEL_M``/2 apart;
a pixel holds the mean illuminance (lx) of the samples falling in it, NaN off the roads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

from simulation.lighting.grid import Grid

PIXEL_M = 2.0


def illuminance_raster(grid: Grid, e: np.ndarray, pixel_m: float = PIXEL_M
                       ) -> tuple[np.ndarray, Affine]:
    """(band, transform): float32 lx per pixel, north up."""
    if len(grid) == 0:
        return np.full((1, 1), np.nan, np.float32), _north_up(0.0, 0.0, pixel_m)
    along = np.ceil(grid.step_m.max() / (pixel_m / 2)).astype(int)
    across = np.ceil(grid.width_m.max() / (pixel_m / 2)).astype(int)
    fa = (np.arange(along) + 0.5) / along - 0.5
    fc = (np.arange(across) + 0.5) / across - 0.5
    sa, sc = (m.ravel() for m in np.meshgrid(fa, fc))
    xs = (grid.x[:, None] + sa * grid.step_m[:, None] * grid.ux[:, None]
          - sc * grid.width_m[:, None] * grid.uy[:, None])
    ys = (grid.y[:, None] + sa * grid.step_m[:, None] * grid.uy[:, None]
          + sc * grid.width_m[:, None] * grid.ux[:, None])
    west, north = np.floor(xs.min()) - pixel_m, np.ceil(ys.max()) + pixel_m
    cols = ((xs - west) // pixel_m).astype(np.int64).ravel()
    rows = ((north - ys) // pixel_m).astype(np.int64).ravel()
    width, height = int(cols.max()) + 2, int(rows.max()) + 2
    flat = rows * width + cols
    values = np.repeat(e, len(sa))
    sums = np.bincount(flat, weights=values, minlength=width * height)
    counts = np.bincount(flat, minlength=width * height)
    with np.errstate(invalid="ignore"):
        band = np.where(counts > 0, sums / counts, np.nan).astype(np.float32)
    return band.reshape(height, width), _north_up(west, north, pixel_m)


def _north_up(west: float, north: float, pixel_m: float) -> Affine:
    """The transform of a north-up raster (rasterio's from_origin multiplies Affines with *,
    which affine 2.4 deprecates)."""
    return Affine(pixel_m, 0.0, west, 0.0, -pixel_m, north)


def write_cog(path: str | Path, band: np.ndarray, transform: Affine, crs: str) -> Path:
    """Write ``band`` as a Cloud-Optimised GeoTIFF (deflate, NaN as no data)."""
    path = Path(path)
    profile = {"driver": "COG", "width": band.shape[1], "height": band.shape[0], "count": 1,
               "dtype": "float32", "crs": crs, "transform": transform, "nodata": np.nan,
               "compress": "DEFLATE"}
    with rasterio.open(path, "w", **profile) as out:
        out.write(band, 1)
        out.update_tags(1, units="lx", quantity="maintained horizontal illuminance")
    return path
