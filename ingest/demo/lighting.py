"""Street lighting: poles and luminaires along every lit street, each luminaire fed by the
lighting circuit of the transformer whose LV network reaches the street. EPSG:9214 metres.

Layouts (spacing 3.5 × mounting height, within 0.8-1.25 of it on segments over two spacings):

- primary: twin-arm poles on the central median, 11-12 m, a luminaire over each carriageway;
- secondary: poles on both sides, staggered, 10-11 m;
- tertiary and residential: poles on one side, 6-8 m.

Poles stand 0.6 m behind the kerb, never in a crossing street's carriageway; the luminaire
hangs ``overhang_m`` towards the road, and ``orientation_deg`` (the azimuth of its C0 plane)
points across the road from the pole, the way the built-in road photometries face. Lamps are
mostly LED; about 15 % are high-pressure sodium left from before the city's LED retrofit.

Photometry names (distributions a later release supplies as built-ins):

- ``builtin:led-road-wide``: LED road optic for wide carriageways (arterials);
- ``builtin:led-road-medium``: LED road optic for two-lane and narrower streets;
- ``builtin:hps-road``: semi-cut-off HPS road lantern.

Dimming profile names:

- ``none``: full output dusk to dawn (the HPS lanterns);
- ``midnight-50``: full output until midnight, 50 % until dawn (LED arterials, some locals);
- ``dusk-dawn-70``: 70 % all night (most LED on local streets).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ingest.demo._geometry import (
    Stations,
    asset_ids,
    azimuth_deg,
    choice,
    conditions,
    frame,
    left_normal,
    points,
    stations,
    years,
)
from ingest.demo._topology import Part, dependencies
from ingest.demo.streets import Streets

PHOTOMETRIES = ("builtin:led-road-wide", "builtin:led-road-medium", "builtin:hps-road")
DIMMING_PROFILES = ("none", "midnight-50", "dusk-dawn-70")
SPACING_PER_HEIGHT = 3.5
KERB_SETBACK_M = 0.6
LAYOUTS = pd.DataFrame(
    {"sides": [(0,), (1, -1), (1,), (1,)], "phases": [(0.5,), (0.25, 0.75), (0.5,), (0.5,)],
     "heights": [(11.0, 12.0), (10.0, 11.0), (7.0, 8.0), (6.0, 7.0)]},
    index=["primary", "secondary", "tertiary", "residential"])
"""Per road class: pole sides (0 the median, 1 left, -1 right), the phase of each side's first
pole in a spacing, and the mounting heights to draw from (m)."""


def build_lighting(streets: Streets, circuit_node: np.ndarray, rng: np.random.Generator
                   ) -> tuple[Part, gpd.GeoDataFrame]:
    """The ``poles`` (numbered from 1) and ``luminaires`` layers and the luminaires' power
    dependencies; ``circuit_node`` is the power node of the lighting circuit per junction."""
    runs = _runs(streets, rng)
    at = stations(streets.geoms[runs["segment"]], runs["height"] * SPACING_PER_HEIGHT,
                  runs["phase"].to_numpy(),
                  min_length=0.5 * runs["height"].to_numpy() * SPACING_PER_HEIGHT)
    on = runs["segment"].to_numpy()[at.line]
    kerb = streets.clearance(streets.roads["width_m"].to_numpy() / 2) + KERB_SETBACK_M
    clear = (at.along > kerb[streets.u[on]]) & (at.along < streets.length[on] - kerb[streets.v[on]])
    at = at.select(clear)
    run = runs.iloc[at.line].reset_index(drop=True)
    pole_xy = at.offset(run["side"].to_numpy() * (run["width"].to_numpy() / 2 + KERB_SETBACK_M))
    poles = _poles(pole_xy, run, rng)
    lamps = _luminaires(at, run, pole_xy, poles["id"].to_numpy(), streets, rng)
    power = dependencies(lamps["id"].to_numpy(), "luminaires",
                         circuit_node[streets.u[run["segment"].to_numpy()]][lamps["pole"]],
                         "power", 0.0)
    return Part({"luminaires": lamps.drop(columns="pole")}, dependencies=power), poles


def _runs(streets: Streets, rng: np.random.Generator) -> pd.DataFrame:
    """One row per lit segment and side: segment, side, phase, mounting height (m), width (m)."""
    roads = streets.roads
    lit = np.flatnonzero(roads["lit"].to_numpy())
    layout = LAYOUTS.loc[roads["road_class"].to_numpy()[lit]].reset_index(drop=True)
    flip = np.where(rng.random(len(lit)) < 0.5, 1, -1)
    heights = np.array([rng.choice(h) for h in layout["heights"]])
    count = layout["sides"].map(len).to_numpy()
    rows = pd.DataFrame({
        "segment": np.repeat(lit, count),
        "side": np.concatenate(layout["sides"].to_numpy()) * np.repeat(flip, count),
        "phase": np.concatenate(layout["phases"].to_numpy()),
        "height": np.repeat(heights, count),
        "width": np.repeat(roads["width_m"].to_numpy()[lit], count),
        "arterial": np.repeat(streets.arterial[lit], count)})
    return rows


def _poles(xy: np.ndarray, run: pd.DataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Lighting poles at ``xy``, 0.3 m taller than the luminaires' mounting height."""
    n = len(xy)
    arterial = run["arterial"].to_numpy()
    return frame(asset_ids("POL", n), points(xy), height_m=run["height"].to_numpy() + 0.3,
                 material=np.where(arterial, "steel", choice(rng, ["concrete", "steel"], n,
                                                             [3, 2])),
                 purpose="lighting", install_year=years(rng, n, 2000, 2024),
                 condition=conditions(rng, n), source="demo")


def _luminaires(at: Stations, run: pd.DataFrame, pole_xy: np.ndarray, pole_ids: np.ndarray,
                streets: Streets, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """One luminaire per side pole, two on a median pole, reaching over the road."""
    side = run["side"].to_numpy()
    pole = np.repeat(np.arange(len(side)), np.where(side == 0, 2, 1))
    median = side[pole] == 0
    facing = np.where(median, np.where(np.r_[True, pole[1:] != pole[:-1]], 1, -1), -side[pole])
    n = len(pole)
    arterial = run["arterial"].to_numpy()[pole]
    overhang = np.round(np.where(arterial, rng.uniform(1.5, 2.5, n), rng.uniform(0.5, 1.2, n)), 2)
    normal = left_normal(at.tangent[pole]) * facing[:, None]
    xy = pole_xy[pole] + normal * overhang[:, None]
    hps = rng.random(n) < np.where(arterial, 0.1, 0.17)
    watts = np.where(arterial, np.where(hps, choice(rng, [150, 250], n, [1, 1]),
                                        choice(rng, [100, 120, 150], n, [2, 2, 1])),
                     np.where(hps, choice(rng, [70, 100], n, [1, 1]),
                              choice(rng, [40, 60, 80], n, [2, 3, 1]))).astype(float)
    photometry = np.where(hps, PHOTOMETRIES[2], np.where(arterial, PHOTOMETRIES[0],
                                                         PHOTOMETRIES[1]))
    dimming = np.where(hps, DIMMING_PROFILES[0],
                       np.where(arterial | (rng.random(n) < 0.3), DIMMING_PROFILES[1],
                                DIMMING_PROFILES[2]))
    return frame(asset_ids("LUM", n), points(xy), pole=pole,
                 pole_id=pole_ids[pole],
                 road_id=streets.roads["id"].to_numpy()[run["segment"].to_numpy()[pole]],
                 mounting_height_m=run["height"].to_numpy()[pole], overhang_m=overhang,
                 tilt_deg=np.where(hps, choice(rng, [10.0, 15.0], n, [1, 1]),
                                   choice(rng, [0.0, 5.0], n, [1, 1])).astype(float),
                 orientation_deg=azimuth_deg(normal), lamp_type=np.where(hps, "HPS", "LED"),
                 wattage_w=watts, photometry=photometry, dimming_profile=dimming,
                 install_year=np.where(hps, years(rng, n, 2000, 2014), years(rng, n, 2016, 2024)),
                 condition=conditions(rng, n), source="demo")

