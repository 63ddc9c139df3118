"""A small city for the planning tests, every figure worked by hand (tests/test_planning_*.py).

Three wards side by side, 1 km × 1 km each (0.01° in both directions; x east, y north from
106.19° E, 21.27° N): 00001 "Phường Trần Phú" (x 0..1), 00002 "Xã Song Mai" (x 1..2), and
00003 "Phường Trống" (x 2..3) with nothing in it; district 213 covers the three.

- Water pipes: WP-1 (W1, HDPE, 2000, good), WP-2 (W1, CI DN200, 1980, failed), WP-3 (W2, no
  material, no year, no condition), WP-4 (W1, DI, 1950), WP-5 (W1, steel, 1970); each runs
  0.009° north from its start. WP-6 crosses from W1 into W2 with its midpoint in W2.
- Luminaires: LUM-1 (W1, 150 W, none, good), LUM-2 (W2, 100 W, midnight-50, failed), LUM-3
  exactly on the W1/W2 boundary (50 W, dusk-dawn-70): it counts in W1 (the lower code) only.
- Trees: TRE-1 (W1, inspected 2025-03-01), TRE-2 (W2, never inspected).
- Telecom: CO-1 (source) ─FC-1─ CAB-1 ─FC-2─ ONT-1 (W1, 3 households); CAB-1 ─FC-3─ ONT-3 (W2,
  4 households); ONT-2 (W1, 2 households) is joined to nothing.
- Service points: SP-1 (W1, 10 customers), SP-2 (W2, 2 customers).
- Residential groups: 00001-TDP01 (W1 south half, holds ONT-1), 00001-TDP02 (W1 north half,
  holds ONT-2), 00002-TH01 (W2, holds ONT-3).
- Roads: junction J1 in W1 and J2 in W2, each with three dead-end arms (degree 3); camera
  CAM-1 30 m south of J1 looking north (fov 60°, range 50 m): J1 covered; CAM-2 30 m south of
  J2 looking south: J2 not covered.

Fixtures (a plugin of tests/conftest.py): ``city_engine``, that city in a database of its own for
each test module, and ``city``, a connection to it rolled back after each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import geopandas as gpd
import pytest
import sqlalchemy as sa
from shapely.geometry import LineString, MultiPolygon, Point, box

from tests.conftest import admin_sql, make_database
from tests.sim_fixtures import TinyCity
from twin.database import create_engine
from twin.write import Dataset, write_dataset

LON, LAT, STEP = 106.19, 21.27, 0.01
W1, W2, W3 = "00001", "00002", "00003"


def at(x: float, y: float) -> Point:
    """The point x, y km (0.01° per unit) east and north of the corner."""
    return Point(LON + x * STEP, LAT + y * STEP)


def square(x0: float, y0: float, x1: float, y1: float) -> MultiPolygon:
    return MultiPolygon([box(LON + x0 * STEP, LAT + y0 * STEP, LON + x1 * STEP, LAT + y1 * STEP)])


def north(x: float, y: float, dy: float = 0.9) -> LineString:
    return LineString([at(x, y), at(x, y + dy)])


def _areas() -> dict[str, gpd.GeoDataFrame]:
    wards = gpd.GeoDataFrame(
        {"id": [W1, W2, W3], "name": ["Phường Trần Phú", "Xã Song Mai", "Phường Trống"],
         "kind": ["Phường", "Xã", "Phường"], "district_code": "213"},
        geometry=[square(0, 0, 1, 1), square(1, 0, 2, 1), square(2, 0, 3, 1)], crs=4326)
    districts = gpd.GeoDataFrame({"id": ["213"], "name": ["Thành phố Bắc Giang"],
                                  "province_code": ["24"]},
                                 geometry=[square(0, 0, 3, 1)], crs=4326)
    groups = gpd.GeoDataFrame(
        {"id": ["00001-TDP01", "00001-TDP02", "00002-TH01"],
         "name": ["Tổ dân phố 1", "Tổ dân phố 2", "Thôn 1"],
         "kind": ["Tổ dân phố", "Tổ dân phố", "Thôn"], "ward_code": [W1, W1, W2]},
        geometry=[square(0, 0, 1, 0.5), square(0, 0.5, 1, 1), square(1, 0, 2, 1)], crs=4326)
    return {"districts": districts.rename_geometry("geom"),
            "wards": wards.rename_geometry("geom"),
            "residential_groups": groups.rename_geometry("geom")}


def _junction(c: TinyCity, number: int, x: float, y: float, first_edge: int) -> None:
    name = f"RN-{number:06d}"
    c.where[name] = at(x, y)
    c.node(name, "road", "junction")
    for k, (dx, dy) in enumerate([(0.0, 0.1), (0.1, 0.0), (-0.1, 0.0)]):
        end = f"RN-{number * 10 + k:06d}"
        c.where[end] = at(x + dx, y + dy)
        c.node(end, "road", "dead_end")
        road = f"RD-{first_edge + k:06d}"
        c.edge(f"RE-{first_edge + k:06d}", "road", name, end, "road", ("roads", road),
               road_class="residential")


def planning_city() -> Dataset:
    """The city of this module's docstring."""
    c = TinyCity()
    pipes = [("WP-000001", 0.2, W1, "HDPE", 2000, "good"), ("WP-000002", 0.4, W1, "CI", 1980,
                                                               "failed"),
             ("WP-000003", 1.5, W2, None, None, None), ("WP-000004", 0.6, W1, "DI", 1950, "fair"),
             ("WP-000005", 0.8, W1, "steel", 1970, "poor")]
    for pipe, x, _, material, year, condition in pipes:
        c.asset("water_pipes", pipe, north(x, 0.05), material=material, install_year=year,
                condition=condition, normal_state="open",
                diameter_mm=200.0 if pipe == "WP-000002" else None)
    c.asset("water_pipes", "WP-000006", LineString([at(0.9, 0.1), at(1.3, 0.1)]),
            material="PVC", install_year=2010, condition="good", normal_state="open")
    for lamp, point, watts, profile, condition in [
            ("LUM-000001", at(0.5, 0.5), 150.0, "none", "good"),
            ("LUM-000002", at(1.5, 0.5), 100.0, "midnight-50", "failed"),
            ("LUM-000003", at(1.0, 0.3), 50.0, "dusk-dawn-70", "good")]:
        c.asset("luminaires", lamp, point, wattage_w=watts, dimming_profile=profile,
                condition=condition, lamp_type="LED", install_year=2020)
    c.asset("trees", "TRE-000001", at(0.3, 0.3), species="Sao đen",
            planted_date=date(2010, 5, 1), last_inspected=date(2025, 3, 1))
    c.asset("trees", "TRE-000002", at(1.3, 0.3), species="Bằng lăng",
            planted_date=date(2015, 5, 1), last_inspected=None)
    t = "telecom"
    for node, point in [("TN-000001", at(0.1, 0.1)), ("TN-000002", at(0.2, 0.2)),
                        ("TN-000003", at(0.3, 0.25)), ("TN-000004", at(1.6, 0.6)),
                        ("TN-000005", at(0.7, 0.8))]:
        c.where[node] = point
    c.node("TN-000001", t, "central_office", ("central_offices", "CO-000001"), source=True)
    c.node("TN-000002", t, "cabinet", ("telecom_cabinets", "CAB-000001"))
    c.node("TN-000003", t, "consumer", ("customer_terminals", "ONT-000001"), households=3)
    c.node("TN-000004", t, "consumer", ("customer_terminals", "ONT-000003"), households=4)
    c.node("TN-000005", t, "consumer", ("customer_terminals", "ONT-000002"), households=2)
    c.edge("TE-000001", t, "TN-000001", "TN-000002", "fibre", ("fibre_cables", "FC-000001"))
    c.edge("TE-000002", t, "TN-000002", "TN-000003", "fibre", ("fibre_cables", "FC-000002"))
    c.edge("TE-000003", t, "TN-000002", "TN-000004", "fibre", ("fibre_cables", "FC-000003"))
    c.asset("service_points", "SP-000001", at(0.6, 0.6), customers=10)
    c.asset("service_points", "SP-000002", at(1.7, 0.7), customers=2)
    _junction(c, 1, 0.5, 0.9, 1)
    _junction(c, 2, 1.5, 0.9, 4)
    south = 30 / 110_720 / STEP  # 30 m in the test's units (1 unit = 0.01° of latitude)
    c.asset("cameras", "CAM-000001", at(0.5, 0.9 - south), purpose="traffic", heading_deg=0.0,
            fov_deg=60.0, range_m=50.0)
    c.asset("cameras", "CAM-000002", at(1.5, 0.9 - south), purpose="traffic",
            heading_deg=180.0, fov_deg=60.0, range_m=50.0)
    dataset = c.dataset()
    return Dataset(layers={**_areas(), **dataset.layers}, nodes=dataset.nodes,
                   edges=dataset.edges, dependencies=None)


@contextmanager
def database_of(dataset: Dataset, server_url: str, template_url: str) -> Iterator[sa.Engine]:
    """A fresh database holding ``dataset``, dropped afterwards."""
    url = make_database(server_url, template_url)
    engine = create_engine(url)
    with engine.begin() as conn:
        write_dataset(conn, dataset)
    try:
        yield engine
    finally:
        engine.dispose()
        admin_sql(server_url, f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')


@pytest.fixture(scope="module")
def city_engine(server_url: str, template_url: str) -> Iterator[sa.Engine]:
    """The city of this module's docstring in a database of its own, per test module (a
    plugin of tests/conftest.py, as ``city``)."""
    with database_of(planning_city(), server_url, template_url) as engine:
        yield engine


@pytest.fixture
def city(city_engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection to the small city, rolled back after the test."""
    with city_engine.connect() as conn:
        transaction = conn.begin()
        yield conn
        transaction.rollback()


M_LAT = 1 / 110_720
"""Degrees of latitude per metre at the city."""
M_LON = 1 / 103_760
"""Degrees of longitude per metre at the city (111,320 m × cos 21.27°)."""


def metres(x: float, y: float) -> Point:
    """The point x m east and y m north of (0.1, 0.1) in ward 00001."""
    return Point(LON + 0.1 * STEP + x * M_LON, LAT + 0.1 * STEP + y * M_LAT)


def lit_street(c: TinyCity, road: str, y: float, spacing: float, watts: float, *,
               hps: bool = False, first: int = 1) -> list[str]:
    """A 7 m residential street running 200 m east at y m, with a row of luminaires on its
    south side every ``spacing`` m (8 m high, 1 m overhang, facing north); their ids."""
    length = 200.0
    photometry, lamp_type = ("builtin:hps-road", "HPS") if hps else \
        ("builtin:led-road-medium", "LED")
    c.asset("roads", road, LineString([metres(0, y), metres(length, y)]),
            road_class="residential", width_m=7.0, lanes=2, footway_width_m=0.0, lit=True)
    ids = []
    for k in range(int(length // spacing)):
        lamp = f"LUM-{first + k:06d}"
        c.asset("luminaires", lamp, metres(spacing / 2 + k * spacing, y - 2.5),
                road_id=road, mounting_height_m=8.0, overhang_m=1.0, tilt_deg=0.0,
                orientation_deg=0.0, lamp_type=lamp_type, wattage_w=watts,
                photometry=photometry, dimming_profile="none", install_year=2015,
                condition="good")
        ids.append(lamp)
    return ids


def lighting_city() -> tuple[Dataset, dict[str, list[str]]]:
    """The three wards and three lit streets in ward 00001: RD-000001 (60 W LED every 30 m),
    RD-000002 (150 W LED every 12 m: far above P1), RD-000003 (150 W HPS every 25 m)."""
    c = TinyCity()
    lamps = {"RD-000001": lit_street(c, "RD-000001", 0.0, 30.0, 60.0, first=1),
             "RD-000002": lit_street(c, "RD-000002", 300.0, 12.0, 150.0, first=100),
             "RD-000003": lit_street(c, "RD-000003", 600.0, 25.0, 150.0, hps=True, first=200)}
    layers = {layer: gpd.GeoDataFrame(rows, geometry="geom", crs=4326)
              for layer, rows in c.assets.items()}
    return Dataset(layers={**_areas(), **layers}), lamps


def adjacent_city() -> tuple[Dataset, dict[str, list[str]]]:
    """The three wards and, in ward 00001, RD-000005 (150 W LED every 12 m, like RD-000002 far
    above P1) and 15 m north of it RD-000006, a lit 7 m street with no lamps of its own: all its
    light comes from RD-000005's lamps. LUM-000900 lights nothing in particular and belongs to
    no road (ids of the lamps by road, LUM-000900 under None)."""
    c = TinyCity()
    lamps: dict[str, list[str]] = {"RD-000005": lit_street(c, "RD-000005", 0.0, 12.0, 150.0,
                                                           first=300)}
    c.asset("roads", "RD-000006", LineString([metres(0, 15), metres(200, 15)]),
            road_class="residential", width_m=7.0, lanes=2, footway_width_m=0.0, lit=True)
    c.asset("luminaires", "LUM-000900", metres(100, 600), road_id=None, mounting_height_m=8.0,
            overhang_m=0.0, tilt_deg=0.0, orientation_deg=0.0, lamp_type="LED", wattage_w=100.0,
            photometry="builtin:led-road-medium", dimming_profile="none", install_year=2015,
            condition="good")
    lamps["None"] = ["LUM-000900"]
    layers = {layer: gpd.GeoDataFrame(rows, geometry="geom", crs=4326)
              for layer, rows in c.assets.items()}
    return Dataset(layers={**_areas(), **layers}), lamps
