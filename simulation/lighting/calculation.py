"""Horizontal illuminance on the road grid from every luminaire in reach (the pure core).

E = I(C, γ) · cos³γ / h² = I · h / d³ (lx), with I in cd towards the point from the luminaire's
own frame (tilt, orientation), h the mounting height and d the distance from the light centre to
the point (m). I is the table × the luminaire's flux scale × its output level (dimming, 0 when
failed) × the maintenance factor, × the transmittance of the tree crowns on the way.

A luminaire reaches the ground points within h · tan(γ_reach) of it: γ_reach is the angle past
which its distribution, tilted, gives (almost) nothing (``reach_angle``), at most
``MAX_REACH_DEG`` (h · tan 86° = 14.3 h). EN 13201-3 asks for every luminaire within 5 h; the
wider reach keeps the result within 0.5 % of the every-luminaire sum (``bench/``).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from simulation.lighting._buckets import Buckets
from simulation.lighting.crowns import Crowns, Shade, shade_offsets
from simulation.lighting.grid import Grid
from simulation.lighting.photometry import Photometry, frame_angles

REACH_FRACTION = 3e-4
"""A distribution 'gives nothing' past the γ where I·cos³γ stays below this share of its peak."""
MAX_REACH_DEG = 86.0


@dataclass(frozen=True)
class Chunking:
    """How the sum is split: ``lamps`` luminaires computed together (some 10⁵-10⁶ rays, small
    enough to stay in cache), on ``threads`` threads (numpy releases the GIL in the chunks'
    array work, so threads scale with the cores). The result does not depend on it."""

    lamps: int = 200
    threads: int = min(os.cpu_count() or 1, 8)


@dataclass(frozen=True)
class Lamps:
    """Luminaires as arrays (metric CRS): light centre ``x``, ``y``, mounting ``height`` (m),
    ``tilt`` and ``orientation`` (deg), ``optic`` (index into the scene's photometries) and
    ``scale`` (× the table's intensities: 1 for a file photometry, the luminaire's flux over
    1000 lm for a built-in)."""

    x: np.ndarray
    y: np.ndarray
    height: np.ndarray
    tilt: np.ndarray
    orientation: np.ndarray
    optic: np.ndarray
    scale: np.ndarray

    def __len__(self) -> int:
        return len(self.x)

    def take(self, which: np.ndarray) -> Lamps:
        return Lamps(*(getattr(self, f)[which] for f in self.__dataclass_fields__))

    def join(self, other: Lamps) -> Lamps:
        return Lamps(*(np.concatenate([getattr(self, f), getattr(other, f)])
                       for f in self.__dataclass_fields__))


def reach_angle(photometry: Photometry) -> float:
    """γ (deg, luminaire frame) past which I·cos³γ stays below ``REACH_FRACTION`` of its
    peak, whatever C."""
    g = np.arange(0.0, 90.0, 0.25)
    profile = photometry.intensity(photometry.c_deg[:, None], g[None, :]).max(axis=0)
    weight = profile * np.cos(np.radians(g)) ** 3
    above = np.flatnonzero(weight > REACH_FRACTION * weight.max())
    return float(g[above[-1]] + 0.25) if len(above) else 0.0


@dataclass(frozen=True)
class Scene:
    """What the illuminance depends on, prepared once: luminaires, their photometries, the
    grid (its points in buckets), tree crowns, and the maintenance factor."""

    lamps: Lamps
    optics: tuple[Photometry, ...]
    grid: Grid
    crowns: Crowns | None
    maintenance_factor: float
    reach_deg: np.ndarray
    points: Buckets
    chunking: Chunking = Chunking()

    @classmethod
    def build(cls, lamps: Lamps, optics: tuple[Photometry, ...], grid: Grid,
              crowns: Crowns | None = None, maintenance_factor: float = 0.8,
              chunking: Chunking = Chunking()) -> Scene:
        reach = np.array([reach_angle(p) for p in optics])
        return cls(lamps, optics, grid, crowns, maintenance_factor, reach,
                   Buckets(grid.x, grid.y), chunking)

    def with_lamps(self, lamps: Lamps, optics: tuple[Photometry, ...] | None = None) -> Scene:
        """The same grid and trees with other luminaires (and photometries)."""
        if optics is None:
            return replace(self, lamps=lamps)
        return replace(self, lamps=lamps, optics=optics,
                       reach_deg=np.array([reach_angle(p) for p in optics]))

    def reach_m(self, lamps: Lamps) -> np.ndarray:
        """Horizontal reach (m) of each luminaire."""
        angle = np.minimum(self.reach_deg[lamps.optic] + np.abs(lamps.tilt), MAX_REACH_DEG)
        return lamps.height * np.tan(np.radians(angle))

    def pairs(self, lamps: Lamps) -> tuple[np.ndarray, ...]:
        """(lamp index, grid point index, x and y offset of the point from the luminaire (m))
        of every point within each luminaire's reach."""
        return self.points.within(lamps.x, lamps.y, self.reach_m(lamps))

    def contributions(self, lamps: Lamps, output: np.ndarray, lamp: np.ndarray,
                      dx: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, Shade | None]:
        """E (lx) that luminaire ``lamp[k]`` (at ``output`` 0..1) would give the ground point
        ``dx[k]``, ``dy[k]`` (m, float64: coordinates are 10⁶ m) east and north of it without
        trees, and the crowns' shade on each ray (None without trees): the light that arrives
        is E × shade.through. The rest is float32 (7 digits)."""
        dx, dy = dx.astype(np.float32), dy.astype(np.float32)
        h = lamps.height.astype(np.float32)[lamp]
        theta = np.radians(lamps.orientation).astype(np.float32)
        tau = np.radians(lamps.tilt).astype(np.float32)
        c, gamma = frame_angles(dx, dy, -h, np.sin(theta)[lamp], np.cos(theta)[lamp],
                                np.sin(tau)[lamp], np.cos(tau)[lamp])
        intensity = np.empty(len(lamp), np.float32)
        optic = lamps.optic[lamp]
        if len(optic) and (np.diff(optic) >= 0).all():  # runs of one photometry (see _sum)
            bounds = np.flatnonzero(np.diff(optic)) + 1
            runs = zip(np.r_[0, bounds], np.r_[bounds, len(lamp)], strict=True)
            for start, stop in runs:
                intensity[start:stop] = self.optics[optic[start]].intensity(
                    c[start:stop], gamma[start:stop])
        else:
            for k in np.unique(optic):
                mine = optic == k
                intensity[mine] = self.optics[k].intensity(c[mine], gamma[mine])
        d2 = dx * dx + dy * dy + h * h
        strength = (lamps.scale * output * self.maintenance_factor).astype(np.float32)
        e = (intensity * strength[lamp] * h / (d2 * np.sqrt(d2))).astype(np.float64)
        if self.crowns is None or len(lamp) == 0:
            return e, None
        return e, shade_offsets(self.crowns, lamp, lamps.x, lamps.y, lamps.height, dx, dy)

    def illuminance(self, output: np.ndarray, lamps: Lamps | None = None) -> np.ndarray:
        """E (lx) at every grid point from ``lamps`` (the scene's own by default) at
        ``output`` (0..1 each)."""
        return self._sum(output, lamps, with_shade=False)[0]

    def illuminance_and_shade(self, output: np.ndarray
                              ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
        """E (lx) at every grid point, and the light the crowns take from the roads:
        (crown, road, lm lost) — lx lost × cell area, a ray's loss shared among its crowns
        by optical depth — or None without trees."""
        return self._sum(output, None, with_shade=self.crowns is not None)

    def _sum(self, output: np.ndarray, lamps: Lamps | None, with_shade: bool
             ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
        """Luminaires in chunks on threads, as the scene's ``chunking`` says."""
        lamps = self.lamps if lamps is None else lamps
        by_optic = np.argsort(lamps.optic, kind="stable")
        size = self.chunking.lamps
        chunks = [by_optic[s:s + size] for s in range(0, len(lamps), size)]

        def one(chunk: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
            part = lamps.take(chunk)
            lamp, point, dx, dy = self.pairs(part)
            e, found = self.contributions(part, output[chunk], lamp, dx, dy)
            arriving = e if found is None else e * found.through
            total = np.bincount(point, weights=arriving, minlength=len(self.grid))
            if not with_shade or found is None:
                return total, None
            return total, self._shade_by_road(found, e - arriving, point)

        total = np.zeros(len(self.grid))
        shades = []
        with ThreadPoolExecutor(self.chunking.threads) as pool:
            for part, shaded in pool.map(one, chunks):
                total += part
                if shaded is not None:
                    shades.append(shaded)
        if not with_shade:
            return total, None
        crown, road, lost = (np.concatenate(x) for x in zip(*shades, strict=True))
        return total, _sum_by_key(crown, road, lost) if len(crown) else None

    def _shade_by_road(self, found: Shade, lost_lx: np.ndarray, point: np.ndarray
                       ) -> tuple[np.ndarray, ...]:
        """(crown, road, lm lost) summed over one chunk's crossings."""
        ray = found.ray
        depth_of_ray = np.bincount(ray, weights=found.depth, minlength=len(lost_lx))
        on = point[ray]
        lost_lm = (lost_lx[ray] * found.depth / depth_of_ray[ray]
                   * self.grid.step_m[on] * self.grid.width_m[on])
        return _sum_by_key(found.crown, self.grid.road[on], lost_lm)

    def brute_force(self, output: np.ndarray, points: np.ndarray, chunk: int = 2_000_000
                    ) -> np.ndarray:
        """E (lx) at grid points ``points`` from every luminaire, no reach cut-off: the
        reference the reach is checked against."""
        total = np.zeros(len(points))
        n = len(self.lamps)
        per = max(1, chunk // max(n, 1))
        for start in range(0, len(points), per):
            block = np.arange(start, min(start + per, len(points)))
            lamp = np.tile(np.arange(n), len(block))
            point = points[np.repeat(block, n)]
            e, found = self.contributions(self.lamps, output, lamp,
                                          self.grid.x[point] - self.lamps.x[lamp],
                                          self.grid.y[point] - self.lamps.y[lamp])
            arriving = e if found is None else e * found.through
            total[block] = arriving.reshape(len(block), n).sum(axis=1)
        return total


def _sum_by_key(crown: np.ndarray, road: np.ndarray, value: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``value`` summed per (crown, road)."""
    key = crown.astype(np.int64) << 32 | road.astype(np.int64)
    unique, index = np.unique(key, return_inverse=True)
    return unique >> 32, unique & 0xFFFFFFFF, np.bincount(index, weights=value)
