"""A luminaire's luminous intensity distribution I(C, γ) (photometric type C), interpolated
bilinearly, turned into the luminaire's frame (tilt, orientation) and integrated to a flux.

Angles in degrees; intensities in candela. C is the azimuth around the luminaire's vertical axis,
counted counter-clockwise seen from above from the C0 plane; γ is the angle from the downward
vertical (0 = nadir, 90 = horizontal, 180 = zenith). Tables always cover C 0..360 and γ 0..180
after reading: symmetric halves and quarters are unfolded, missing γ ranges are zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from twin.errors import InvalidInput


@dataclass(frozen=True)
class Photometry:
    """An intensity table in cd on a rectilinear (C, γ) grid.

    ``candela[i, j]`` is I(c_deg[i], gamma_deg[j]); ``rated_flux_lm`` is the luminaire flux
    the file itself states (EULUMDAT: LORL × lamp flux) or None (an IES file states only its
    lamps' flux, ``lamp_flux_lm`` = lamps × lumens × multiplier).
    """

    name: str
    c_deg: np.ndarray
    gamma_deg: np.ndarray
    candela: np.ndarray
    rated_flux_lm: float | None = None
    lamp_flux_lm: float | None = None
    notes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        c, g, table = self.c_deg, self.gamma_deg, self.candela
        if table.shape != (len(c), len(g)):
            raise InvalidInput(f"intensity table is {table.shape}, angles say {(len(c), len(g))}",
                               source=self.name)
        if c[0] != 0 or c[-1] != 360 or g[0] != 0 or g[-1] != 180:
            raise InvalidInput("table must span C 0..360 and γ 0..180 after unfolding",
                               source=self.name)
        if np.any(np.diff(c) <= 0) or np.any(np.diff(g) <= 0):
            raise InvalidInput("angles must increase", source=self.name)
        if not np.all(np.isfinite(table)) or np.any(table < 0):
            raise InvalidInput("intensities must be finite and not negative", source=self.name)

    def intensity(self, c_deg: np.ndarray, gamma_deg: np.ndarray) -> np.ndarray:
        """I (cd) at the given angles (any shape), bilinear between table angles."""
        i, u = _cell(self.c_deg, np.mod(c_deg, 360.0))
        j, v = _cell(self.gamma_deg, np.clip(gamma_deg, 0.0, 180.0))
        flat, width = self._flat, self.candela.shape[1]
        k = i * width + j
        return ((1 - u) * ((1 - v) * flat[k] + v * flat[k + 1])
                + u * ((1 - v) * flat[k + width] + v * flat[k + width + 1]))

    @cached_property
    def _flat(self) -> np.ndarray:
        """The table as one float32 row: 7 digits are plenty, and half the memory traffic."""
        return self.candela.astype(np.float32).ravel()

    def flux(self, gamma_max_deg: float = 180.0, step_deg: float = 0.25) -> float:
        """Luminous flux (lm) of the interpolated distribution within γ ≤ ``gamma_max_deg``:
        ∫∫ I(C, γ) sin γ dγ dC by the midpoint rule on a ``step_deg`` grid."""
        g = np.arange(step_deg / 2, gamma_max_deg, step_deg)
        c = np.arange(step_deg / 2, 360.0, step_deg)
        values = self.intensity(c[:, None], g[None, :])
        weights = np.sin(np.radians(g)) * np.radians(step_deg) ** 2
        return float((values * weights[None, :]).sum())


def _cell(axis: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the table cell holding ``x`` and the fraction across it (0..1); evenly spaced
    axes (most tables) are indexed by arithmetic, others by search."""
    step = float(axis[1] - axis[0])
    if len(axis) > 2 and np.allclose(np.diff(axis), step):
        t = (x - float(axis[0])) * (1.0 / step)  # Python floats: x's own precision
        whole = np.minimum(np.floor(t), len(axis) - 2)
        return whole.astype(np.int64), t - whole
    i = np.clip(np.searchsorted(axis, x, side="right") - 1, 0, len(axis) - 2)
    return i, (x - axis[i]) / (axis[i + 1] - axis[i])


def luminaire_angles(dx: np.ndarray, dy: np.ndarray, dz: np.ndarray, orientation_deg: np.ndarray,
                     tilt_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(C, γ) in degrees of the direction (dx east, dy north, dz up; any length) seen from a
    luminaire whose C0 plane points to azimuth ``orientation_deg`` (clockwise from north) and
    whose optical axis is tilted up by ``tilt_deg`` towards C0."""
    theta, tau = np.radians(orientation_deg), np.radians(tilt_deg)
    return frame_angles(dx, dy, dz, np.sin(theta), np.cos(theta), np.sin(tau), np.cos(tau))


def frame_angles(dx: np.ndarray, dy: np.ndarray, dz: np.ndarray, sin_o: np.ndarray,
                 cos_o: np.ndarray, sin_t: np.ndarray, cos_t: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``luminaire_angles`` from the sines and cosines of orientation and tilt.

    The luminaire frame: e1 = C0 axis = cos τ·u0 + sin τ·z, e2 = C90 axis (u0 turned 90°
    counter-clockwise seen from above), e3 = the luminaire's up = cos τ·z − sin τ·u0, with u0
    the horizontal unit vector of the orientation and τ the tilt.
    """
    along = dx * sin_o + dy * cos_o
    a = cos_t * along + sin_t * dz
    b = dy * sin_o - dx * cos_o
    up = cos_t * dz - sin_t * along
    norm = np.sqrt(dx * dx + dy * dy + dz * dz)
    gamma = np.degrees(np.arccos(np.clip(-up / norm, -1.0, 1.0)))
    c = np.degrees(np.arctan2(b, a))
    return np.where(c < 0, c + 360.0, c), gamma


def unfold(name: str, c_deg: np.ndarray, gamma_deg: np.ndarray, table: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unfold measured C planes (a single plane, 0..90, 0..180, 90..270, 180..360 or a full
    turn) to 0..360 by the symmetry they imply, and pad γ to 0..180 with zeros."""
    c, t = np.asarray(c_deg, float), np.asarray(table, float)
    first, last = c[0], c[-1]
    if len(c) == 1:  # rotational symmetry
        c, t = np.array([0.0, 360.0]), np.vstack([t, t])
    elif (first, last) == (0, 90):  # quadrant symmetry
        c, t = _mirror_about_last(*_mirror_about_last(c, t))
    elif (first, last) == (0, 180):  # symmetric about the C0-C180 plane
        c, t = _mirror_about_last(c, t)
    elif (first, last) == (90, 270):  # symmetric about the C90-C270 plane: I(C) = I(180 - C)
        low, high = c <= 180, c >= 180
        c = np.concatenate([180.0 - c[low][:0:-1], c, 540.0 - c[high][-2::-1]])
        t = np.vstack([t[low][:0:-1], t, t[high][-2::-1]])
    elif (first, last) == (180, 360):  # the C180..C360 half, mirrored onto C0..C180
        c = np.concatenate([360.0 - c[:0:-1], c])
        t = np.vstack([t[:0:-1], t])
    elif first == 0 and last < 360 and np.isclose(360 - last, c[1] - c[0]):
        c, t = np.append(c, 360.0), np.vstack([t, t[:1]])  # a full turn without C360
    elif (first, last) != (0, 360):
        raise InvalidInput(f"C planes from {first:g} to {last:g} imply no symmetry known to "
                           "type C photometry", source=name)
    g, t = _pad_gamma(name, np.asarray(gamma_deg, float), t)
    return c, g, t


def _mirror_about_last(c: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Planes c[0]..c[-1] extended to c[0]..2·c[-1] − c[0], mirrored about the plane c[-1]."""
    return np.concatenate([c, 2 * c[-1] - c[-2::-1]]), np.vstack([t, t[-2::-1]])


def _pad_gamma(name: str, g: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """γ extended to 0..180: unmeasured directions give no light. The padding keeps the
    table's step where it fits, so evenly spaced tables stay evenly spaced."""
    if g[0] < 0 or g[-1] > 180:
        raise InvalidInput(f"γ angles must lie within 0..180, got {g[0]:g}..{g[-1]:g}",
                           source=name)
    step = g[1] - g[0] if len(g) > 1 else 180.0
    before = _padding(g[0], step)
    after = g[-1] + _padding(180 - g[-1], step)
    g = np.concatenate([g[0] - before[::-1], g, after])
    zeros_before, zeros_after = np.zeros((len(t), len(before))), np.zeros((len(t), len(after)))
    return g, np.hstack([zeros_before, t, zeros_after])


def _padding(gap: float, step: float) -> np.ndarray:
    """Offsets (> 0) of the zero rows that fill a ``gap`` (deg) at one end of the γ range."""
    if gap <= 1e-9:
        return np.empty(0)
    whole = gap / step
    if np.isclose(whole, round(whole)):
        return step * np.arange(1, round(whole) + 1)
    return np.array([1e-6, gap])
