"""run_lighting over the small demo city, the live state's failed and dimmed luminaires, the
raster, the stored scenario, and the CLI's JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from sqlalchemy.engine import Engine

from ingest.live.messages import Origin
from ingest.live.writer import BatchWriter
from simulation.lighting import Options, WhatIf, run_lighting
from tests.conftest import run_twin
from twin.database import create_engine
from twin.read import read_layer
from twin.scenarios import load_scenario

BBOX = (106.185, 21.265, 106.2, 21.28)


@pytest.fixture(scope="module")
def city_result(demo_engine: Engine):
    return run_lighting(demo_engine, live=False)


def test_every_lit_road_gets_figures_and_a_class(demo_engine: Engine, city_result) -> None:
    roads = read_layer(demo_engine, "roads", columns=["lit"])
    lum = read_layer(demo_engine, "luminaires", columns=["road_id"])
    result = city_result
    assert set(lum["road_id"]) <= set(result.roads.index)
    assert len(result.roads) == int(roads["lit"].sum())
    assert (result.roads["eav"] > 0).all()
    assert (result.roads["emin"] <= result.roads["eav"]).all()
    with_footways = result.roads["footway_eav"].notna()
    assert with_footways.any() and (result.roads.loc[with_footways, "footway_eav"] > 0).all()
    assert set(result.dark_spots["surface"]) <= {"carriageway", "footway"}
    assert set(result.roads["class"].dropna()) <= {f"C{k}" for k in range(6)} | {
        f"P{k}" for k in range(1, 7)}
    data = result.to_json()
    first = data["roads"][0]
    assert {"road_id", "eav", "emin", "u0", "class"} <= set(first)
    json.dumps(data)
    kinds = {f["properties"]["kind"] for f in result.to_geojson()["features"]}
    assert "road" in kinds


def test_trees_make_the_pruning_list(city_result) -> None:
    pruning = city_result.pruning
    assert len(pruning) > 0
    assert pruning["lost_lm"].is_monotonic_decreasing
    assert pruning["tree_id"].str.startswith("TRE-").all()
    assert (pruning["lost_lm"] >= 1.0).all()
    assert ((pruning["lost_percent"] >= 0) & (pruning["lost_percent"] < 100)).all()


def test_raster_is_a_cloud_optimised_geotiff(city_result, tmp_path: Path) -> None:
    path = city_result.write_raster(tmp_path / "lux.tif")
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 9214
        assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        band = src.read(1)
    assert np.nanmax(band) > 5
    assert np.isnan(band).any()


def test_failed_and_dimmed_luminaires_change_their_street(demo_engine: Engine) -> None:
    base = run_lighting(demo_engine, bbox=BBOX, live=False)
    lamps = read_layer(demo_engine, "luminaires", bbox=BBOX, columns=["road_id"])
    target = lamps["road_id"].value_counts().index[0]
    victim = lamps.index[lamps["road_id"] == target][0]
    after = run_lighting(demo_engine, bbox=BBOX, fail=[victim], live=False)
    assert after.roads.loc[target, "eav"] < after.roads.loc[target, "eav_before"]
    assert after.roads.loc[target, "eav_before"] == pytest.approx(base.roads.loc[target, "eav"])
    untouched = after.roads.drop(target)
    far = untouched["eav"] == untouched["eav_before"]
    assert far.sum() > len(untouched) / 2
    dim = run_lighting(demo_engine, bbox=BBOX, what_if=WhatIf(dim={victim: 0.0}), live=False)
    assert dim.roads.loc[target, "eav"] == pytest.approx(after.roads.loc[target, "eav"])


def test_dimming_profiles_at_an_hour(demo_engine: Engine) -> None:
    """By day every lamp is off; after midnight the midnight-50 lamps give half."""
    day = run_lighting(demo_engine, bbox=BBOX, at=time(12, 0), live=False, options=Options(trees=False))
    assert (day.roads["eav"] == 0).all()
    evening = run_lighting(demo_engine, bbox=BBOX, at=time(20, 0), live=False, options=Options(trees=False))
    night = run_lighting(demo_engine, bbox=BBOX, at=time(2, 0), live=False, options=Options(trees=False))
    assert (night.roads["eav"] <= evening.roads["eav"] + 1e-9).all()
    assert (night.roads["eav"] < evening.roads["eav"]).any()


def test_new_pole_and_another_photometry(demo_engine: Engine) -> None:
    lamps = read_layer(demo_engine, "luminaires", bbox=BBOX)
    one = lamps.iloc[[0]]
    new = gpd.GeoDataFrame(one.drop(columns="geom").assign(photometry="builtin:led-road-wide"),
                           geometry=[shapely.Point(one.geometry.x.iloc[0] + 0.0002,
                                                   one.geometry.y.iloc[0])],
                           crs=4326).set_axis(["LUM-new"])
    added = run_lighting(demo_engine, bbox=BBOX, what_if=WhatIf(add=new), live=False)
    road = one["road_id"].iloc[0]
    assert added.roads.loc[road, "eav"] > added.roads.loc[road, "eav_before"]
    swapped = run_lighting(demo_engine, bbox=BBOX, live=False, what_if=WhatIf(
        photometry={one.index[0]: "builtin:hps-road"}))
    assert swapped.roads.loc[road, "eav"] != swapped.roads.loc[road, "eav_before"]


def test_live_state_fails_and_dims_luminaires(demo_database_url: str) -> None:
    engine = create_engine(demo_database_url)
    lamps = read_layer(engine, "luminaires", bbox=BBOX, columns=["road_id"])
    target = lamps["road_id"].value_counts().index[0]
    failed, dimmed = lamps.index[lamps["road_id"] == target][:2]
    when = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    messages = [Origin("mqtt", f"twin/devices/{failed}/state",
                       json.dumps({"state": "failed", "time": when}).encode()),
                Origin("mqtt", f"twin/devices/{dimmed}/state",
                       json.dumps({"state": "on", "level": 0.5, "time": when}).encode())]
    assert BatchWriter(engine).write(messages).dead_lettered == 0
    offline = run_lighting(engine, bbox=BBOX, live=False, options=Options(trees=False))
    live = run_lighting(engine, bbox=BBOX, live=True, options=Options(trees=False))
    assert live.parameters["live_failed"] == 1
    assert live.roads.loc[target, "eav"] < offline.roads.loc[target, "eav"]
    engine.dispose()


@pytest.mark.slow
def test_cli_prints_json_and_stores_the_scenario(demo_database_url: str, tmp_path: Path) -> None:
    env = {"TWIN_DATABASE_URL": demo_database_url}
    bbox = ",".join(map(str, BBOX))
    out = run_twin("simulate", "lighting", "--bbox", bbox, "--at", "23:00", "--json",
                   "--save", "night", "--raster", str(tmp_path / "night.tif"), env=env)
    data = json.loads(out.stdout)
    assert data["roads"] and {"road_id", "eav", "emin", "u0", "class"} <= set(data["roads"][0])
    assert (tmp_path / "night.tif").exists()
    engine = create_engine(demo_database_url)
    assert load_scenario(engine, "night").result["roads"] == data["roads"]
    engine.dispose()
    bad = run_twin("simulate", "lighting", "--at", "25:99", env=env, check=False)
    assert bad.returncode == 1 and "HH:MM" in bad.stderr
