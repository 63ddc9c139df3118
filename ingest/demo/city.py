"""Assembling the demo city from its stages into one :class:`twin.write.Dataset`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ingest.demo._geometry import asset_ids, rng_for
from ingest.demo._topology import Part, number
from ingest.demo.buildings import build_buildings
from ingest.demo.devices import build_cameras, build_sensors, sensor_sites
from ingest.demo.drainage import build_drainage
from ingest.demo.facilities import place_facilities
from ingest.demo.lighting import build_lighting
from ingest.demo.power import build_power
from ingest.demo.site import build_site
from ingest.demo.streets import build_streets
from ingest.demo.telecom import build_telecom
from ingest.demo.trees import build_trees
from ingest.demo.wards import build_residential_groups, build_wards
from ingest.demo.water import build_water
from layers import LAYERS
from twin.city import BAC_GIANG
from twin.write import Dataset

STAGES = ("streets", "buildings", "power", "water", "drainage", "telecom", "lighting", "trees",
          "cameras and sensors", "wards", "topology")
"""The stages of the build, reported in this order."""


def build_demo_city(scale: float = 1.0, seed: int = 7, shared_data: Path | None = None, *,
                    report: Callable[[str], None] | None = None) -> Dataset:
    """The demo city as a Dataset (layers in EPSG:9214). ``shared_data`` is the optional
    reference data folder (real ward names); ``report`` is called with each stage as it ends."""
    done = report or (lambda stage: None)
    site = build_site(np.array(BAC_GIANG.centre_metric()), scale, rng_for(seed, "site"))
    streets = build_streets(site, rng_for(seed, "streets"))
    facilities = place_facilities(site, streets, scale)
    done("streets")
    buildings = build_buildings(site, streets, facilities.keep_clear(streets),
                                rng_for(seed, "buildings"))
    done("buildings")
    power = build_power(site, streets, facilities, buildings, rng_for(seed, "power"))
    done("power")
    water = build_water(site, streets, facilities, buildings, power.lv_node,
                        rng_for(seed, "water"))
    done("water")
    drainage = build_drainage(site, streets, facilities, rng_for(seed, "drainage"))
    done("drainage")
    telecom = build_telecom(streets, facilities, buildings, power.lv_node,
                            rng_for(seed, "telecom"))
    done("telecom")
    lighting, lighting_poles = build_lighting(streets, power.circuit_node,
                                              rng_for(seed, "lighting"))
    done("lighting")
    trees = build_trees(streets, rng_for(seed, "trees"))
    done("trees")
    cameras = build_cameras(streets, power.lv_node, telecom.cabinet_node, rng_for(seed, "cameras"))
    sensors = build_sensors(streets, sensor_sites(streets, facilities, power, water, drainage),
                            telecom.cabinet_node, rng_for(seed, "sensors"))
    done("cameras and sensors")
    district, wards = build_wards(site, shared_data)
    done("wards")
    others = Part({"roads": streets.roads, "buildings": buildings.frame, "trees": trees,
                   "poles": _poles(lighting_poles, power.poles),
                   "water_areas": site.water_areas(), "districts": district, "wards": wards,
                   "residential_groups": build_residential_groups(wards)},
                  streets.topology())
    dataset = _dataset([power.part, water, drainage.part, telecom.part, lighting, cameras,
                        sensors, others], wards)
    done("topology")
    return dataset


def _dataset(parts: list[Part], wards: gpd.GeoDataFrame) -> Dataset:
    """The parts' layers in LAYERS order, the numbered topology of all networks and the
    dependencies between them. Assets have no ``ward_code``: the twin gives them their wards when
    the dataset is written (twin.write.assign_wards), by the one rule every source follows."""
    numbered = number([p.topology for p in parts if p.topology is not None])
    layers = {name: frame for p in parts for name, frame in p.layers.items()}
    return Dataset(
        layers={name: layers[name] for name in LAYERS if name in layers},
        nodes=numbered.nodes, edges=numbered.edges,
        dependencies=numbered.dependencies([p.dependencies for p in parts
                                            if p.dependencies is not None]),
        notes=[_ward_note(wards)])


def _poles(lighting: gpd.GeoDataFrame, power: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Lighting poles (numbered first: luminaires refer to them), then the power poles."""
    power = power.assign(id=asset_ids("POL", len(power), len(lighting) + 1))
    return pd.concat([lighting, power], ignore_index=True)


def _ward_note(wards: gpd.GeoDataFrame) -> str:
    generic = bool(np.all(wards["id"].str.startswith("9")))
    origin = "generic names and made-up codes (no reference data found)" if generic else \
        "GSO names and codes from the reference data"
    return f"demo city: {len(wards)} wards with {origin}"
