"""The demo city: built once at scale 0.05, written to a real PostGIS, and checked as a planner and
a network engineer would (ids, networks in their normal state, dependencies, geography)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from ingest.demo import build_demo_city, load_demo_city
from ingest.demo._geometry import CITY_CRS
from ingest.demo.lighting import DIMMING_PROFILES, PHOTOMETRIES, SPACING_PER_HEIGHT
from ingest.demo.load import foreign_data
from ingest.demo.wards import UNITS_FILE, ward_names
from layers import EDGE_PREFIX, LAYERS, NETWORKS, NODE_PREFIX
from tests.conftest import admin_sql, make_database
from twin.city import BAC_GIANG
from twin.database import create_engine
from twin.errors import InvalidInput
from twin.read import read_layer, read_network
from twin.stats import twin_stats
from twin.write import Dataset, write_dataset, write_layers

SCALE, SEED = 0.05, 7
ASSETS = [name for name, spec in LAYERS.items() if spec.is_asset]


@pytest.fixture(scope="module")
def city() -> Dataset:
    return build_demo_city(SCALE, SEED)


@pytest.fixture(scope="module")
def demo_twin(server_url: str, template_url: str, city: Dataset) -> Iterator[Engine]:
    """A database holding the small demo city, committed, for this module's read-only tests."""
    url = make_database(server_url, template_url)
    engine = create_engine(url)
    with engine.begin() as conn:
        write_dataset(conn, city)
    yield engine
    engine.dispose()
    admin_sql(server_url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def test_every_layer_has_rows_and_every_row_is_demo(demo_twin: Engine):
    with demo_twin.connect() as conn:
        stats = twin_stats(conn)
        assert foreign_data(conn) == []
    assert [name for name, rows in stats["layers"].items() if rows == 0] == []
    assert set(stats["networks"]) == set(NETWORKS)


def test_ids_follow_their_prefix_and_are_unique(city: Dataset):
    for name in ASSETS:
        ids = city.layers[name]["id"]
        assert ids.str.fullmatch(rf"{LAYERS[name].prefix}-\d{{6}}").all(), name
        assert ids.is_unique, name
    for frame, prefixes in ((city.nodes, NODE_PREFIX), (city.edges, EDGE_PREFIX)):
        assert frame["id"].is_unique
        expected = frame["network"].map(prefixes)
        assert (frame["id"].str[:2] == expected).all()
        assert frame["id"].str.fullmatch(r"[A-Z]{2}-\d{6}").all()


def _reached(network: str, engine: Engine) -> tuple[nx.MultiGraph, set[str]]:
    """The normal-state graph of ``network`` and the nodes connected to one of its sources."""
    topology = read_network(engine, network)
    graph = topology.to_networkx()
    reached: set[str] = set()
    for source in topology.sources:
        if source not in reached:
            reached |= nx.node_connected_component(graph, source)
    return graph, reached


@pytest.mark.parametrize(("network", "consumer"), [
    ("power", "SP-"), ("power", "TR-"), ("water", "WSC-"), ("water", "WJ-"), ("water", "HYD-"),
    ("telecom", "ONT-"), ("telecom", "CAB-"), ("drainage", "MH-"),
])
def test_every_consumer_reaches_a_source_in_the_normal_state(demo_twin: Engine, network: str,
                                                             consumer: str):
    topology = read_network(demo_twin, network)
    _, reached = _reached(network, demo_twin)
    nodes = topology.nodes
    points_of_service = nodes.index[nodes["asset_id"].fillna("").str.startswith(consumer)]
    edges = topology.edges
    devices = edges[edges["asset_id"].fillna("").str.startswith(consumer)]
    ends = set(devices["from_node"]) | set(devices["to_node"])
    assert len(points_of_service) + len(ends) > 0
    assert set(points_of_service) | ends <= reached


def test_power_is_radial_with_one_substation_per_tree(demo_twin: Engine):
    power = read_network(demo_twin, "power")
    graph = power.to_networkx()
    assert nx.is_forest(nx.Graph(graph)) and nx.Graph(graph).number_of_edges() == len(graph.edges)
    sources = set(power.sources)
    for part in nx.connected_components(graph):
        assert len(part & sources) == 1
    supply = set(power.dependencies["provider_node"])
    assert supply <= set().union(*(nx.node_connected_component(graph, s) for s in sources))
    switches = read_layer(demo_twin, "power_switches")
    ties = switches[switches["is_tie"]]
    assert len(ties) and (ties["normal_state"] == "open").all()
    assert set(power.edges.loc[~power.edges["normally_connected"], "asset_id"]) == set(ties.index)


def test_water_has_closed_valves_only_where_supply_goes_around(demo_twin: Engine):
    valves = read_layer(demo_twin, "water_valves")
    closed = valves.index[valves["normal_state"] == "closed"]
    assert 0 < len(closed) < 0.1 * len(valves)
    water = read_network(demo_twin, "water")
    assert set(water.edges.loc[~water.edges["normally_connected"], "asset_id"]) == set(closed)
    sources = water.nodes[water.nodes["is_source"]]
    assert sorted(sources["kind"]) == ["source", "tank"]  # the plant, and the tank while it holds water


def test_a_pipe_break_shuts_in_a_block_not_the_city(demo_twin: Engine):
    """Valve segments (the water network's parts once every valve is shut) stay small: the
    largest serves under a tenth of the service connections of even the small test city (under 2 % at
    scale 1; one segment served nine in ten before the valves were made dense)."""
    water = read_network(demo_twin, "water")
    graph = nx.Graph()
    graph.add_nodes_from(water.nodes.index)
    pipes = water.edges[water.edges["kind"] != "valve"]
    graph.add_edges_from(zip(pipes["from_node"], pipes["to_node"], strict=True))
    connections = water.nodes.index[water.nodes["asset_id"].fillna("").str.startswith("WSC-")]
    served = [len(part & set(connections)) for part in nx.connected_components(graph)]
    assert max(served) < 0.1 * len(connections)


def test_drainage_runs_downhill_to_outfalls(city: Dataset):
    pipes = city.layers["drainage_pipes"]
    assert (pipes["depth_end_m"] > pipes["depth_start_m"]).all()
    outfalls = city.nodes[city.nodes["asset_id"].fillna("").str.startswith("OUT-")]
    assert len(outfalls) and outfalls["is_source"].all()
    drainage = city.edges[city.edges["network"] == "drainage"]
    assert set(drainage["from_node"]).isdisjoint(outfalls["id"])
    assert not drainage["from_node"].duplicated().any()  # one way down from every manhole


def test_dependencies_point_at_nodes_of_their_network(demo_twin: Engine):
    providers = pd.concat([read_network(demo_twin, n).dependencies.assign(network=n)
                           for n in ("power", "telecom")])
    with demo_twin.connect() as conn:
        total = conn.exec_driver_sql("SELECT count(*) FROM dependencies").scalar_one()
    assert len(providers) == total
    assert (providers["kind"] == providers["network"]).all()
    for layer, rows in providers.groupby("consumer_layer"):
        assert set(rows["consumer_id"]) <= set(read_layer(demo_twin, layer, columns=[]).index), layer
    fed = providers.groupby(["consumer_layer", "kind"])["consumer_id"].nunique()
    for layer, kind in [("luminaires", "power"), ("cameras", "power"), ("cameras", "telecom"),
                        ("sensors", "telecom"), ("telecom_cabinets", "power"),
                        ("central_offices", "power"), ("water_pumps", "power")]:
        assert fed[(layer, kind)] == len(read_layer(demo_twin, layer, columns=[])), (layer, kind)
    backup = providers.groupby("consumer_layer")["backup_hours"].max()
    assert backup["telecom_cabinets"] == 4 and backup["central_offices"] == 8


def test_the_same_seed_and_scale_give_the_same_city(city: Dataset):
    again = build_demo_city(SCALE, SEED)
    assert list(again.layers) == list(city.layers)
    for name, frame in city.layers.items():
        assert_geodataframe_equal(again.layers[name], frame)
    assert_geodataframe_equal(again.nodes, city.nodes)
    pd.testing.assert_frame_equal(again.edges, city.edges)
    pd.testing.assert_frame_equal(again.dependencies, city.dependencies)
    other = build_demo_city(SCALE, SEED + 1)
    assert len(other.layers["buildings"]) != len(city.layers["buildings"])


def test_the_city_lies_at_bac_giang_with_the_river_to_the_south_west(city: Dataset):
    centre = shapely.Point(BAC_GIANG.centre_metric())
    river = city.layers["water_areas"]
    assert river.crs == CITY_CRS and list(river["name"]) == ["Sông Thương"]
    river_shape = river.geometry.iloc[0]
    towards = np.array(river_shape.representative_point().coords[0]) - centre.coords[0]
    assert towards[0] < 0 and towards[1] < 0
    for name in ASSETS:
        geoms = city.layers[name].geometry
        assert (geoms.distance(centre) < 8000).all(), name
        assert not geoms.intersects(river_shape).any(), name
    lonlat = city.layers["roads"].to_crs(4326).union_all().centroid
    assert lonlat.x == pytest.approx(106.194, abs=0.02) and lonlat.y == pytest.approx(21.273,
                                                                                      abs=0.02)


def test_luminaires_stand_at_road_lighting_spacings(city: Dataset):
    lamps = city.layers["luminaires"]
    poles = city.layers["poles"].set_index("id")
    roads = city.layers["roads"].set_index("id")
    assert set(lamps["photometry"]) <= set(PHOTOMETRIES)
    assert set(lamps["dimming_profile"]) <= set(DIMMING_PROFILES)
    assert (lamps["lamp_type"] == "LED").mean() > 0.7
    lit = roads[roads["lit"]]
    assert set(lamps["road_id"]) <= set(lit.index)
    long = lit.index[lit.length > 100]
    assert set(long) <= set(lamps["road_id"])
    gaps = _pole_gaps(lamps, poles, roads)
    ratio = gaps["gap"] / gaps["height"]
    assert ratio.between(2.5, 4.5).all(), ratio.describe()
    assert ratio.median() == pytest.approx(SPACING_PER_HEIGHT, rel=0.1)


def _pole_gaps(lamps: gpd.GeoDataFrame, poles: gpd.GeoDataFrame,
               roads: gpd.GeoDataFrame) -> pd.DataFrame:
    """Distance along its road between each pole and the next on the same side, with the
    mounting height of its luminaires."""
    first = lamps.drop_duplicates("pole_id")
    road = roads.geometry.loc[first["road_id"]].to_numpy()
    pole = poles.geometry.loc[first["pole_id"]].to_numpy()
    along = shapely.line_locate_point(road, pole)
    ahead = shapely.line_interpolate_point(road, along + 1.0)
    on_axis = shapely.line_interpolate_point(road, along)
    cross = ((shapely.get_x(ahead) - shapely.get_x(on_axis)) * (shapely.get_y(pole)
             - shapely.get_y(on_axis)) - (shapely.get_y(ahead) - shapely.get_y(on_axis))
             * (shapely.get_x(pole) - shapely.get_x(on_axis)))
    table = pd.DataFrame({"road": first["road_id"].to_numpy(), "side": np.sign(np.round(cross)),
                          "along": along, "height": first["mounting_height_m"].to_numpy()})
    table = table.sort_values(["road", "side", "along"])
    table["gap"] = table.groupby(["road", "side"])["along"].diff()
    return table.dropna(subset=["gap"])


def test_assets_roll_up_by_ward(demo_twin: Engine, city: Dataset):
    wards = read_layer(demo_twin, "wards")
    district = read_layer(demo_twin, "districts")
    assert len(wards) >= 3 and (wards["district_code"] == "213").all()
    assert list(district.index) == ["213"] and district["province_code"].iloc[0] == "24"
    assert wards.to_crs(CITY_CRS).area.sum() == pytest.approx(
        district.to_crs(CITY_CRS).area.iloc[0], rel=1e-6)
    for name in ("buildings", "luminaires", "water_pipes", "service_points", "trees"):
        codes = read_layer(demo_twin, name, columns=["ward_code"])["ward_code"]
        assert codes.notna().mean() > 0.99, name
        assert codes.nunique() >= 2, name


def test_ward_names_come_from_the_gso_list_when_present(tmp_path: Path):
    units = {"districts": [{"code": "213", "name": "Thành phố Bắc Giang", "wards": [
        {"code": "07720", "name": "Xã Trí Yên", "type": "Xã"},
        {"code": "07201", "name": "Phường Thọ Xương", "type": "Phường"},
        {"code": "07207", "name": "Phường Ngô Quyền", "type": "Phường"},
        {"code": "07210", "name": "Phường Hoàng Văn Thụ", "type": "Phường"},
    ]}]}
    (tmp_path / UNITS_FILE).parent.mkdir()
    (tmp_path / UNITS_FILE).write_text(json.dumps(units, ensure_ascii=False), encoding="utf-8")
    names = ward_names(tmp_path)
    assert list(names["code"]) == ["07201", "07207", "07210", "07720"]
    assert list(names["kind"]) == ["Phường"] * 3 + ["Xã"]
    wards = build_demo_city(SCALE, SEED, tmp_path).layers["wards"]
    assert set(wards["name"]) == {"Phường Thọ Xương", "Phường Ngô Quyền", "Phường Hoàng Văn Thụ"}
    generic = ward_names(None)
    assert generic["name"].iloc[0] == "Phường 1" and generic["code"].str.fullmatch(r"\d{5}").all()


def test_load_refuses_foreign_data_then_replaces_it_and_rebuilds_a_demo_twin(engine: Engine):
    tree = gpd.GeoDataFrame({"species": ["Sao đen"], "height_m": [12.0]},
                            geometry=[shapely.Point(106.19, 21.27)], crs=4326)
    with engine.begin() as conn:
        write_layers(conn, {"trees": tree})
    with pytest.raises(InvalidInput, match=re.escape("trees: 1 row from manual")):
        load_demo_city(engine, scale=SCALE, seed=SEED)
    assert len(read_layer(engine, "trees")) == 1 and len(read_layer(engine, "roads")) == 0

    first = load_demo_city(engine, scale=SCALE, seed=SEED, replace=True)
    trees = read_layer(engine, "trees", columns=["source"])
    assert (trees["source"] == "demo").all() and trees.index.min() == "TRE-000001"

    again = load_demo_city(engine, scale=SCALE, seed=SEED)
    assert again == first
    with engine.connect() as conn:
        assert twin_stats(conn)["layers"]["luminaires"] == first["luminaires"]
    with engine.begin() as conn:
        write_layers(conn, {"trees": tree})
    assert read_layer(engine, "trees").index.max() == f"TRE-{first['trees'] + 1:06d}"


@pytest.mark.slow
def test_the_full_city_has_ten_thousand_lights_among_a_hundred_thousand_assets():
    city = build_demo_city(1.0, SEED)
    assert city.layers["districts"].area.iloc[0] / 1e6 == pytest.approx(19.9, abs=0.05)  # km²
    assert len(city.layers["luminaires"]) >= 10_000
    assert sum(len(city.layers[name]) for name in ASSETS) >= 100_000
    assert all(len(city.layers[name]) for name in LAYERS)
