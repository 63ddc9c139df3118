"""Tree crowns in the way of the light: which crowns a ray from a luminaire to a grid point
crosses, and how much light gets through.

A crown is a spheroid centred over the trunk: horizontal semi-axis a = crown diameter / 2,
vertical semi-axis b = min(a, height / 3) (the crown fills at most the top two thirds of the
tree), top at the tree's height. Light crossing a crown along a chord of length ℓ (m) keeps the
fraction T = exp(−k·ℓ) (Beer-Lambert), with k = G · LAD = 0.5 × 1.0 m²/m³ = 0.5 m⁻¹ by default:
a spherical leaf-angle distribution (G = 0.5) and a leaf area density of 1 m²/m³, mid-range for
broadleaf street trees. A ray through the middle of a 6 m crown keeps 5 %. Crowns crossed one
after another multiply. Trunks are not modelled (a few decimetres wide, below the crown).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.spatial import cKDTree

from simulation.lighting._arrays import ranks

EXTINCTION_PER_M = 0.5
"""k (1/m): leaf area density 1 m²/m³ × projection G 0.5."""


@dataclass(frozen=True)
class Crowns:
    """Tree crowns as arrays, metric CRS: centre ``x``, ``y``, ``z`` (m above the road),
    horizontal and vertical semi-axes ``a``, ``b`` (m), extinction ``k`` (1/m)."""

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    a: np.ndarray
    b: np.ndarray
    k: float = EXTINCTION_PER_M

    @classmethod
    def from_trees(cls, x: np.ndarray, y: np.ndarray, height_m: np.ndarray,
                   crown_diameter_m: np.ndarray, k: float = EXTINCTION_PER_M) -> Crowns:
        a = np.asarray(crown_diameter_m, float) / 2
        b = np.minimum(a, np.asarray(height_m, float) / 3)
        return cls(np.asarray(x, float), np.asarray(y, float), height_m - b, a, b, k)

    def __len__(self) -> int:
        return len(self.x)

    @property
    def base(self) -> np.ndarray:
        return self.z - self.b

    @cached_property
    def tree(self) -> cKDTree:
        """The crowns' centres in a KD-tree, built once."""
        return cKDTree(np.column_stack([self.x, self.y]))


@dataclass(frozen=True)
class Shade:
    """Transmittance per ray (``through``, 0..1), and every crossing: ray index ``ray``, crown
    index ``crown``, optical depth ``depth`` (k·ℓ)."""

    through: np.ndarray
    ray: np.ndarray
    crown: np.ndarray
    depth: np.ndarray


RING_M = 8.0
"""Rays are grouped in rings of this width (m) around their luminaire."""


def shade(crowns: Crowns, lamp: np.ndarray, lx: np.ndarray, ly: np.ndarray, lh: np.ndarray,
          px: np.ndarray, py: np.ndarray) -> Shade:
    """Shade of the crowns on rays from luminaires (``lx``, ``ly`` at height ``lh``, per
    luminaire) to ground points (``px``, ``py``, per ray; ray k comes from luminaire
    ``lamp[k]``): ``shade_offsets`` with the points' offsets from their luminaires."""
    return shade_offsets(crowns, lamp, lx, ly, lh, (px - lx[lamp]).astype(np.float32),
                         (py - ly[lamp]).astype(np.float32))


def shade_offsets(crowns: Crowns, lamp: np.ndarray, lx: np.ndarray, ly: np.ndarray,
                  lh: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> Shade:
    """Shade of the crowns on rays from luminaires (``lx``, ``ly`` at height ``lh``, per
    luminaire) to the ground points ``dx``, ``dy`` (m, float32) east and north of them (ray k
    comes from luminaire ``lamp[k]``).

    Rays are sorted by luminaire, ring of distance and bearing, so each crown's shadow (the
    bearings its crown covers seen from the luminaire, and the distances at which a ray can
    still be within the crown's heights) selects a few runs of rays to test exactly
    (ray-spheroid intersection).
    """
    n = len(lamp)
    if n == 0 or len(crowns) == 0:
        return Shade(np.ones(n), *(np.empty(0, int),) * 2, np.empty(0))
    distance = np.hypot(dx, dy)
    rings = int(distance.max() // RING_M) + 1
    key = (lamp * rings + distance // RING_M) * 8.0 + (np.arctan2(dy, dx) + 4.0)
    order = np.argsort(key)
    sorted_key = key[order]
    longest = _longest(lamp[order], distance[order], len(lx))
    cand_lamp, cand_crown = _candidates(crowns, lx, ly, lh, longest)
    tx, ty = crowns.x[cand_crown] - lx[cand_lamp], crowns.y[cand_crown] - ly[cand_lamp]
    rho = np.hypot(tx, ty)
    a = crowns.a[cand_crown]
    half = np.where(rho > a, np.arcsin(np.minimum(a / np.maximum(rho, 1e-9), 1.0)), np.pi)
    near, far = _distance_bounds(crowns, cand_crown, rho, lh[cand_lamp])
    first_ring = (near // RING_M).astype(np.int64)
    last_ring = np.minimum(np.minimum(far, longest[cand_lamp]) // RING_M, rings - 1)
    ring_count = np.maximum(last_ring.astype(np.int64) - first_ring + 1, 0)
    candidate = np.repeat(np.arange(len(cand_crown)), ring_count)
    ring = first_ring[candidate] + ranks(ring_count)
    base = (cand_lamp[candidate] * rings + ring) * 8.0 + 4.0
    ray_parts, cand_parts = [], []
    for low, high in _wedges(np.arctan2(ty, tx)[candidate], half[candidate]):
        start = np.searchsorted(sorted_key, base + low)
        stop = np.searchsorted(sorted_key, base + high, side="right")
        count = np.maximum(stop - start, 0)
        ray_parts.append(order[np.repeat(start, count) + ranks(count)])
        cand_parts.append(np.repeat(candidate, count))
    ray, which = np.concatenate(ray_parts), np.concatenate(cand_parts)
    inside = (distance[ray] >= near[which]) & (distance[ray] <= far[which])
    ray, which = ray[inside], which[inside]
    depth = crowns.k * _chord(crowns, cand_crown, lx[cand_lamp], ly[cand_lamp], lh[cand_lamp],
                              which, dx[ray], dy[ray])
    hit = depth > 0
    ray, crown, depth = ray[hit], cand_crown[which[hit]], depth[hit]
    through = np.exp(-np.bincount(ray, weights=depth, minlength=n))
    return Shade(through, ray, crown, depth)


def _longest(lamp: np.ndarray, distance: np.ndarray, n: int) -> np.ndarray:
    """The longest ``distance`` of each of ``n`` luminaires (0 without rays), from rays
    grouped by ``lamp``."""
    first = np.flatnonzero(np.r_[True, lamp[1:] != lamp[:-1]])
    longest = np.zeros(n)
    longest[lamp[first]] = np.maximum.reduceat(distance, first)
    return longest


def _candidates(crowns: Crowns, lx: np.ndarray, ly: np.ndarray, lh: np.ndarray,
                longest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(luminaire, crown) pairs that can meet: the crown within the luminaire's longest ray
    (m) + its radius, its base below the light."""
    lamps = np.flatnonzero(longest > 0)
    found = crowns.tree.query_ball_point(np.column_stack([lx[lamps], ly[lamps]]),
                                  longest[lamps] + float(crowns.a.max()))
    counts = np.fromiter(map(len, found), int, len(found))
    if counts.sum() == 0:
        return np.empty(0, int), np.empty(0, int)
    lamp = np.repeat(lamps, counts)
    crown = np.concatenate(found).astype(np.int64)
    below = crowns.base[crown] < lh[lamp]
    return lamp[below], crown[below]


def _distance_bounds(crowns: Crowns, crown: np.ndarray, rho: np.ndarray, lh: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal distances (m) from the luminaire between which a ray to the ground can pass
    through the crown's heights: at distance r of a ray reaching the ground at R the ray is
    h·(1 − r/R) high, and r must lie within ρ ± a while that height lies within the crown."""
    a = crowns.a[crown]
    base, top = crowns.base[crown], crowns.z[crown] + crowns.b[crown]
    near = np.maximum(rho - a, 0.0) / (1.0 - base / lh)
    with np.errstate(divide="ignore"):
        far = np.where(top < lh, (rho + a) / (1.0 - np.minimum(top, lh) / lh), np.inf)
    return near, far


def _wedges(centre: np.ndarray, half: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Bearing ranges within ±π covering centre ± half (a wedge across ±π splits in two)."""
    low, high = centre - half, centre + half
    full = half >= np.pi
    main = (np.where(full, -np.pi, np.maximum(low, -np.pi)),
            np.where(full, np.pi, np.minimum(high, np.pi)))
    wrap_low = np.where(~full & (low < -np.pi), low + 2 * np.pi, np.inf)
    wrap_high = np.where(~full & (high > np.pi), high - 2 * np.pi, -np.inf)
    return [main, (wrap_low, np.full_like(low, np.pi)), (np.full_like(low, -np.pi), wrap_high)]


def _chord(crowns: Crowns, crown: np.ndarray, lx: np.ndarray, ly: np.ndarray, lh: np.ndarray,
           pair: np.ndarray, sx: np.ndarray, sy: np.ndarray) -> np.ndarray:
    """Length (m) inside crown ``crown[pair]`` of each segment from the light (``lx``, ``ly``,
    ``lh``; per (luminaire, crown) pair) down to the ground ``sx``, ``sy`` (m, float32) away
    from it; in the crown's frame scaled to a unit sphere, in float32 after the (float64)
    differences, each pair's frame computed once."""
    a, b = crowns.a[crown].astype(np.float32), crowns.b[crown].astype(np.float32)
    u0 = ((lx - crowns.x[crown]).astype(np.float32) / a,
          (ly - crowns.y[crown]).astype(np.float32) / a,
          (lh - crowns.z[crown]).astype(np.float32) / b)
    down = -lh.astype(np.float32)
    dz, qc = down / b, u0[0] ** 2 + u0[1] ** 2 + u0[2] ** 2 - 1
    a, down, dz, qc = a[pair], down[pair], dz[pair], qc[pair]
    du = (sx / a, sy / a, dz)
    qa = du[0] ** 2 + du[1] ** 2 + du[2] ** 2
    qb = 2 * (u0[0][pair] * du[0] + u0[1][pair] * du[1] + u0[2][pair] * du[2])
    disc = qb * qb - 4 * qa * qc
    root = np.sqrt(np.maximum(disc, 0.0))
    t1 = np.clip((-qb - root) / (2 * qa), 0.0, 1.0)
    t2 = np.clip((-qb + root) / (2 * qa), 0.0, 1.0)
    length = np.sqrt(sx * sx + sy * sy + down * down)
    return np.where(disc > 0, (t2 - t1) * length, 0.0).astype(np.float64)
