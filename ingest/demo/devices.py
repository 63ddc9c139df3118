"""Cameras at the major junctions and sensors on the networks. EPSG:9214 metres.

Where two arterials cross, a traffic camera looks down one and a security camera down the
other; about a third of the junctions of an arterial with a local street have a security dome.
Cameras stand at the kerb of the street they watch, are fed by the LV node of their junction (2 h
of battery) and send over the cabinet serving it.

Sensors: pressure at a quarter of the water junctions on the mains, flow at the treatment plant and
its pump, water level at every outfall and every 100th manhole, load and voltage at a third of the
transformers, and a few air-quality and noise sensors at arterial crossings. Each sends over the
cabinet serving the junction it is at or nearest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingest.demo._geometry import (
    asset_ids,
    azimuth_deg,
    conditions,
    frame,
    left_normal,
    point_and_tangent,
    points,
    years,
)
from ingest.demo._topology import Part, dependencies
from ingest.demo.drainage import Drainage
from ingest.demo.facilities import Facilities
from ingest.demo.power import Power
from ingest.demo.streets import Streets

CAMERAS = pd.DataFrame(
    {"purpose": ["traffic", "security", "security"], "fov_deg": [30.0, 60.0, 90.0],
     "range_m": [60.0, 150.0, 40.0], "height_m": [6.0, 8.0, 5.0]},
    index=["anpr", "ptz", "dome"])
UNITS = {"pressure": "kPa", "flow": "m3/h", "water_level": "m", "load": "kW", "voltage": "V",
         "air_quality": "ug/m3", "noise": "dB"}


def build_cameras(streets: Streets, lv_node: np.ndarray, cabinet_node: np.ndarray,
                  rng: np.random.Generator) -> Part:
    """The ``cameras`` layer with each camera's power and telecom dependencies; ``lv_node`` and
    ``cabinet_node`` give the power and telecom node serving each junction."""
    junction, segment, camera_type = _placements(streets, rng)
    geoms = streets.geoms[segment]
    at_start = streets.u[segment] == junction
    along = np.where(at_start, 0.0, streets.length[segment])
    xy, tangent = point_and_tangent(geoms, along)
    looking = tangent * np.where(at_start, 1.0, -1.0)[:, None]
    kerb = streets.roads["width_m"].to_numpy()[segment] / 2 + 1.0
    xy = xy - left_normal(looking) * kerb[:, None]
    spec = CAMERAS.loc[camera_type]
    n = len(junction)
    ids = asset_ids("CAM", n)
    cameras = frame(ids, points(xy), purpose=spec["purpose"].to_numpy(),
                    heading_deg=azimuth_deg(looking), fov_deg=spec["fov_deg"].to_numpy(),
                    range_m=spec["range_m"].to_numpy(), height_m=spec["height_m"].to_numpy(),
                    camera_type=camera_type, install_year=years(rng, n, 2015, 2024),
                    condition=conditions(rng, n), source="demo")
    deps = pd.concat([dependencies(ids, "cameras", lv_node[junction], "power", 2.0),
                      dependencies(ids, "cameras", cabinet_node[junction], "telecom", 0.0)],
                     ignore_index=True)
    return Part({"cameras": cameras}, dependencies=deps)


def _placements(streets: Streets, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(junction, street segment watched, camera type) of each camera."""
    ends = pd.DataFrame({"junction": np.r_[streets.u, streets.v],
                         "segment": np.tile(np.arange(len(streets.u)), 2),
                         "arterial": np.tile(streets.arterial, 2),
                         "street": np.tile(streets.line_of, 2)})
    ends = ends.sort_values(["junction", "street", "segment"], ignore_index=True)
    arterial = ends[ends["arterial"]].drop_duplicates(["junction", "street"])
    arterial = arterial.assign(n=arterial.groupby("junction").cumcount())
    crossing = arterial.loc[arterial["n"] == 1, "junction"]
    watched = arterial[arterial["junction"].isin(crossing) & (arterial["n"] < 2)]
    side = ends[~ends["arterial"] & ends["junction"].isin(arterial["junction"])
                & ~ends["junction"].isin(crossing)].drop_duplicates("junction")
    side = side[rng.random(len(side)) < 0.35]
    kind = np.r_[np.where(watched["n"] == 0, "anpr", "ptz"), np.full(len(side), "dome")]
    return (np.r_[watched["junction"], side["junction"]],
            np.r_[watched["segment"], side["segment"]], kind.astype(object))


def build_sensors(streets: Streets, sites: pd.DataFrame, cabinet_node: np.ndarray,
                  rng: np.random.Generator) -> Part:
    """The ``sensors`` layer from ``sites`` (one row per sensor: measures, watched_asset_id,
    x, y, height_m and the junction it sends from), with their telecom dependencies."""
    n = len(sites)
    ids = asset_ids("SEN", n)
    xy = sites[["x", "y"]].to_numpy() + [0.5, 0.5]
    sensors = frame(ids, points(xy), measures=sites["measures"].to_numpy(),
                    unit=sites["measures"].map(UNITS).to_numpy(),
                    watched_asset_id=sites["watched_asset_id"].to_numpy(),
                    height_m=sites["height_m"].to_numpy(), install_year=years(rng, n, 2018, 2024),
                    condition=conditions(rng, n), source="demo")
    junction = sites["junction"].to_numpy()
    return Part({"sensors": sensors},
                dependencies=dependencies(ids, "sensors", cabinet_node[junction], "telecom", 0.0))


def sensor_sites(streets: Streets, facilities: Facilities, power: Power, water: Part,
                 drainage: Drainage) -> pd.DataFrame:
    """Where the sensors go, one row each: measures, watched_asset_id, x, y (m), height_m and
    the junction it sends from."""
    arterial = np.unique(np.r_[streets.u[streets.arterial], streets.v[streets.arterial]])
    mains = arterial[::4]
    pumping = pd.concat([water.layers["water_sources"], water.layers["water_pumps"]])
    transformers = power.part.layers["transformers"].iloc[::3]
    every_100th = np.arange(0, len(drainage.manhole_junction), 100)
    groups = [
        ("pressure", water.layers["water_junctions"].iloc[mains], mains, 0.0),
        ("flow", pumping, np.full(2, facilities.plant), 0.0),
        ("water_level", drainage.part.layers["outfalls"], facilities.outfalls, 0.0),
        ("water_level", drainage.part.layers["manholes"].iloc[every_100th],
         drainage.manhole_junction[every_100th], 0.0),
        ("load", transformers, facilities.transformers[::3], 3.0),
        ("voltage", transformers, facilities.transformers[::3], 3.0),
    ]
    rows = [pd.DataFrame({"measures": measures, "watched_asset_id": layer["id"].to_numpy(),
                          "x": layer.geometry.x.to_numpy(), "y": layer.geometry.y.to_numpy(),
                          "height_m": height, "junction": junction})
            for measures, layer, junction, height in groups]
    spots = arterial[np.linspace(0, len(arterial) - 1, max(1, len(arterial) // 60)).astype(int)]
    for measures in ("air_quality", "noise"):
        rows.append(pd.DataFrame({"measures": measures, "watched_asset_id": None,
                                  "x": streets.nodes[spots, 0] + 4.0,
                                  "y": streets.nodes[spots, 1] + 4.0, "height_m": 4.0,
                                  "junction": spots}))
    return pd.concat(rows, ignore_index=True)
