"""Street trees in the footways, of species planted along Vietnamese city streets, sized by age.
EPSG:9214 metres.

Arterials have rows on both sides every 12 m, tertiary streets every 15 m, and 60 % of the
residential streets that have a footway one row every 18 m; none in a crossing street's
carriageway or footway.
Height and crown grow towards the species' mature size with age (time constant 12 years).
Three trees in four were inspected in the four years before the survey; the rest never were.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ingest.demo._geometry import asset_ids, conditions, frame, points, stations
from ingest.demo.streets import Streets

SPECIES = pd.DataFrame(
    {"height_m": [25.0, 12.0, 12.0, 25.0, 15.0, 10.0, 20.0],
     "crown_m": [12.0, 8.0, 12.0, 14.0, 10.0, 6.0, 8.0],
     "arterial": [3, 2, 1, 3, 2, 1, 2], "local": [1, 3, 2, 1, 1, 3, 1]},
    index=["Sao đen", "Bằng lăng", "Phượng vĩ", "Xà cừ", "Long não", "Muồng hoàng yến",
           "Lát hoa"])
"""Mature height and crown diameter (m), and relative frequency along arterials and locals."""
ROWS = pd.DataFrame({"sides": [(1, -1), (1, -1), (1, -1), (1,)],
                     "spacing_m": [12.0, 12.0, 15.0, 18.0], "share": [1.0, 1.0, 1.0, 0.6]},
                    index=["primary", "secondary", "tertiary", "residential"])
SURVEY_YEAR = 2025


def build_trees(streets: Streets, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """The ``trees`` layer."""
    roads = streets.roads
    rows = ROWS.loc[roads["road_class"].to_numpy()].reset_index(drop=True)
    planted = (roads["footway_width_m"].to_numpy() > 0) & (rng.random(len(roads)) < rows["share"])
    segment = np.flatnonzero(planted)
    count = rows["sides"].map(len).to_numpy()[segment]
    flip = np.repeat(np.where(rng.random(len(segment)) < 0.5, 1, -1), count)
    side = np.concatenate(rows["sides"].to_numpy()[segment]) * flip
    segment = np.repeat(segment, count)
    at = stations(streets.geoms[segment], rows["spacing_m"].to_numpy()[segment],
                  phase=np.where(side > 0, 0.5, 0.0) + 0.25)
    width, footway = roads["width_m"].to_numpy(), roads["footway_width_m"].to_numpy()
    reserve = streets.clearance(width / 2 + footway) + 1.0
    on = segment[at.line]
    at = at.select((at.along > reserve[streets.u[on]])
                   & (at.along < streets.length[on] - reserve[streets.v[on]]))
    on = segment[at.line]
    xy = at.offset(side[at.line] * (width / 2 + footway / 2)[on])
    return _sized(xy, streets.arterial[on], rng)


def _sized(xy: np.ndarray, arterial: np.ndarray, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Trees at ``xy`` with species, planting date and the size their age gives them."""
    n = len(xy)
    weights = np.where(arterial[:, None], SPECIES["arterial"].to_numpy(),
                       SPECIES["local"].to_numpy())
    species = (weights.cumsum(axis=1) / weights.sum(axis=1)[:, None]
               < rng.random(n)[:, None]).sum(axis=1)
    age_days = (rng.random(n) ** 1.3 * np.where(arterial, 40, 25) * 365.25).astype(int) + 365
    planted = np.datetime64(f"{SURVEY_YEAR}-01-01") - age_days.astype("timedelta64[D]")
    growth = 1 - np.exp(-age_days / 365.25 / 12)
    height = SPECIES["height_m"].to_numpy()[species] * growth * rng.uniform(0.8, 1.1, n)
    crown = SPECIES["crown_m"].to_numpy()[species] * growth * rng.uniform(0.8, 1.1, n)
    inspected = _last_inspected(rng, n)
    return frame(asset_ids("TRE", n), points(xy), species=SPECIES.index.to_numpy()[species],
                 height_m=np.round(np.maximum(height, 2.0), 1),
                 trunk_diameter_m=np.round(0.028 * height * rng.uniform(0.8, 1.2, n), 2),
                 crown_diameter_m=np.round(np.maximum(crown, 1.0), 1),
                 planted_date=pd.to_datetime(planted), condition=conditions(rng, n),
                 install_year=planted.astype("datetime64[Y]").astype(int) + 1970,
                 last_inspected=inspected, source="demo")


def _last_inspected(rng: np.random.Generator, n: int) -> pd.Series:
    """Last safety inspection: within the four years before the survey for 75 % of the trees,
    never (missing) for the rest."""
    days = (rng.random(n) * 4 * 365.25).astype(int)
    dates = pd.Series(pd.to_datetime(np.datetime64(f"{SURVEY_YEAR}-01-01")
                                     - days.astype("timedelta64[D]")))
    return dates.where(rng.random(n) < 0.75)
