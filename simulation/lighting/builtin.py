"""The project's own road-lighting distributions, named as the twin's luminaires name them.

These are NOT measured luminaires: each is an analytic model made for the demo city, so it needs
no outside file. A distribution is a sum of von Mises-Fisher lobes on the sphere (an even spread
of light around a direction, peak 1, width set by κ) plus a share of light straight down, cut off
towards the horizon:

    I(v) ∝ [w_down · max(cos γ, 0) + Σ_k exp(κ_k (v · p_k − 1))] · s(γ)

with v the direction, p_k the lobe directions (γ_k, ±C_k: the two throws along the road, turned
towards the street side C0) and s(γ) = 1 up to γ_cut − 10°, falling linearly to 0 at γ_cut. The
table is sampled every 5° in C and 2.5° in γ and scaled to 1000 lm; a luminaire's flux is its
wattage × the model's luminaire efficacy (lm/W). C0 faces the street, as ``orientation_deg`` in
the twin's ``luminaires`` layer (not the CIE road convention, where C90 faces the street).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from simulation.lighting.photometry import Photometry

PREFIX = "builtin:"


@dataclass(frozen=True)
class RoadOptic:
    """Parameters of one analytic distribution (angles in degrees)."""

    description: str
    lobe_gamma: float
    lobe_c: float
    kappa: float
    down_share: float
    gamma_cut: float
    efficacy_lm_per_w: float


OPTICS = {
    "led-road-wide": RoadOptic("LED road optic for wide carriageways, full cut-off, wide "
                               "street-side throw", 64.0, 62.0, 12.0, 0.25, 80.0, 130.0),
    "led-road-medium": RoadOptic("LED road optic for two-lane and narrower streets, full "
                                 "cut-off", 62.0, 75.0, 10.0, 0.35, 80.0, 125.0),
    "hps-road": RoadOptic("semi-cut-off high-pressure sodium road lantern (lamp 100 lm/W, "
                          "LOR 0.75)", 66.0, 80.0, 6.0, 0.6, 84.0, 75.0),
}


def builtin_names() -> list[str]:
    return [PREFIX + name for name in OPTICS]


@cache
def builtin_photometry(name: str) -> Photometry:
    """The distribution ``builtin:<name>`` for 1000 lm (cd); KeyError if there is none."""
    optic = OPTICS[name.removeprefix(PREFIX)]
    c = np.arange(0.0, 360.1, 5.0)
    g = np.arange(0.0, 180.1, 2.5)
    table = _model(optic, c[:, None], g[None, :])
    shape = Photometry(name, c, g, table)
    scale = 1000.0 / shape.flux()
    return Photometry(name, c, g, table * scale, rated_flux_lm=1000.0, lamp_flux_lm=None,
                      notes={"model": optic.description,
                             "efficacy_lm_per_w": f"{optic.efficacy_lm_per_w:g}"})


def _model(optic: RoadOptic, c_deg: np.ndarray, g_deg: np.ndarray) -> np.ndarray:
    c, g = np.radians(c_deg), np.radians(g_deg)
    v = np.stack(np.broadcast_arrays(np.sin(g) * np.cos(c), np.sin(g) * np.sin(c), -np.cos(g)))
    total = optic.down_share * np.maximum(np.cos(g), 0.0)
    for side in (1, -1):
        pg, pc = np.radians(optic.lobe_gamma), np.radians(side * optic.lobe_c)
        p = np.array([np.sin(pg) * np.cos(pc), np.sin(pg) * np.sin(pc), -np.cos(pg)])
        total = total + np.exp(optic.kappa * (np.tensordot(p, v, axes=1) - 1.0))
    cut = np.clip((optic.gamma_cut - g_deg) / 10.0, 0.0, 1.0)
    return total * cut
