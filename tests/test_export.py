"""Export to GeoPackage and GeoJSON, checked by importing the file into a fresh twin."""

import json
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
import wntr
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from sqlalchemy.engine import Engine, make_url

from ingest.epanet import import_epanet_file
from ingest.files import import_gis_file
from layers import LAYERS
from tests.conftest import admin_sql, make_database, run_twin
from twin.database import create_engine
from twin.errors import InvalidInput
from twin.export import export_layer
from twin.read import read_layer
from twin.write import write_layers

SQUARE = Polygon([(106.19, 21.27), (106.20, 21.27), (106.20, 21.28), (106.19, 21.28)])
HOLED = Polygon([(106.21, 21.27), (106.23, 21.27), (106.23, 21.29), (106.21, 21.29)],
                [[(106.215, 21.275), (106.22, 21.275), (106.22, 21.28), (106.215, 21.28)]])
PROVENANCE = ["source", "source_ref", "ward_code"]  # the twin sets these itself on each import


@pytest.fixture
def other_engine(server_url: str, template_url: str) -> Iterator[Engine]:
    """A second fresh twin to import the exported files into."""
    url = make_database(server_url, template_url)
    engine = create_engine(url)
    yield engine
    engine.dispose()
    admin_sql(server_url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def _fill(engine: Engine) -> None:
    trees = gpd.GeoDataFrame(
        {"id": ["TRE-000007", "TRE-000008", "TRE-000009"],
         "species": ["Sao đen", "Bằng lăng", None], "height_m": [12.5, None, 3.0],
         "planted_date": ["2019-03-01", None, "2024-12-31"], "condition": ["good", None, "poor"],
         "install_year": [2019, None, 2024], "ward_code": ["07201", None, None],
         "attributes": [{"loài": "Hopea odorata", "tags": [1, 2]}, None, {}]},
        geometry=[Point(106.1946, 21.2731), Point(106.2, 21.28), Point(106.21, 21.29)], crs=4326)
    roads = gpd.GeoDataFrame(
        {"name": ["Hùng Vương", None], "road_class": ["primary", "service"], "lanes": [4, None],
         "lit": [True, None], "oneway": [False, True], "width_m": [14.0, None]},
        geometry=[LineString([(106.19, 21.27), (106.2, 21.27), (106.2, 21.275)]),
                  LineString([(106.2, 21.27), (106.2, 21.28)])], crs=4326)
    buildings = gpd.GeoDataFrame(
        {"name": ["Chợ", "Nhà văn hoá"], "levels": [3, None], "height_m": [10.5, 6.0]},
        geometry=[MultiPolygon([SQUARE]), MultiPolygon([HOLED])], crs=4326)
    with engine.begin() as conn:
        write_layers(conn, {"trees": trees, "roads": roads, "buildings": buildings})
    networks = Path(wntr.__file__).parent / "library" / "networks"
    import_epanet_file(engine, networks / "Net3.inp", crs=None)


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
@pytest.mark.parametrize("layer", ["trees", "roads", "buildings", "water_pipes", "water_tanks",
                                   "water_pumps"])
def test_export_then_import_gives_the_same_features(engine, other_engine, tmp_path, layer,
                                                    suffix):
    _fill(engine)
    path = tmp_path / f"{layer}{suffix}"
    original = read_layer(engine, layer)
    assert export_layer(engine, layer, path) == len(original) > 0

    import_gis_file(other_engine, path, layer=layer)
    back = read_layer(other_engine, layer)
    assert_geodataframe_equal(back.drop(columns=PROVENANCE), original.drop(columns=PROVENANCE),
                              check_less_precise=suffix == ".geojson")
    assert (back["source_ref"] == [f"{path.name}:{n}" for n in range(1, len(back) + 1)]).all()


def test_the_file_holds_ids_json_text_and_wgs84(engine, tmp_path):
    _fill(engine)
    path = tmp_path / "trees.gpkg"
    export_layer(engine, "trees", path)
    frame = gpd.read_file(path, engine="pyogrio")
    assert frame.crs.to_epsg() == 4326
    assert frame["id"].tolist() == ["TRE-000007", "TRE-000008", "TRE-000009"]
    assert json.loads(frame["attributes"].iloc[0]) == {"loài": "Hopea odorata", "tags": [1, 2]}
    assert frame["planted_date"].iloc[0] == "2019-03-01"
    assert (frame.geometry.iloc[0].x, frame.geometry.iloc[0].y) == (106.1946, 21.2731)


def test_an_empty_layer_exports_as_an_empty_file(engine, tmp_path):
    path = tmp_path / "hydrants.geojson"
    assert export_layer(engine, "hydrants", path) == 0
    assert json.loads(path.read_text())["features"] == []


def test_an_existing_file_is_replaced_whole(engine, tmp_path):
    _fill(engine)
    path = tmp_path / "roads.gpkg"
    path.write_text("old")
    assert export_layer(engine, "roads", path) == 2
    assert len(gpd.read_file(path, engine="pyogrio")) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["roads.gpkg"]


@pytest.mark.parametrize(
    ("layer", "name", "message"),
    [
        ("treez", "out.gpkg", "unknown layer 'treez'; known layers: districts, wards,"),
        ("trees", "out.shp", "out.shp: cannot export to '.shp' files: give a .gpkg, .geojson"),
    ],
)
def test_bad_exports_are_refused(engine, tmp_path, layer, name, message):
    with pytest.raises(InvalidInput, match=message.replace(".", r"\.")):
        export_layer(engine, layer, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_the_command_refuses_an_unknown_layer_cleanly(database_url, tmp_path):
    result = run_twin("export", "lamps", str(tmp_path / "lamps.gpkg"),
                      env={"TWIN_DATABASE_URL": database_url}, check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: unknown layer 'lamps'; known layers: " + ", ".join(LAYERS)]
    assert list(tmp_path.iterdir()) == []
