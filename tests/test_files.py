"""GIS file import on a real PostGIS: each format, the CRS rules, and every refusal in one line.

The VN-2000 reference is the worked point of ../shared/data/vn2000_crs/vn2000_crs.json:
416226.772 E, 2353402.453 N in EPSG:9214 is 106.1946 E, 21.2731 N in WGS 84.
"""

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, Polygon

from ingest.files import import_gis_file, parse_mapping, read_gis_file
from tests.conftest import run_twin
from twin.database import create_engine
from twin.errors import InvalidInput
from twin.read import read_layer

SURVEY_XY = (416226.772, 2353402.453)  # EPSG:9214
SURVEY_LONLAT = (106.1946, 21.2731)  # EPSG:4326
BOWTIE = Polygon([(106.19, 21.27), (106.20, 21.28), (106.20, 21.27), (106.19, 21.28)])
SQUARE = Polygon([(106.19, 21.27), (106.20, 21.27), (106.20, 21.28), (106.19, 21.28)])


def _write(frame: gpd.GeoDataFrame, path: Path, **options) -> Path:
    frame.to_file(path, engine="pyogrio", **options)
    return path


def _trees(crs: str = "EPSG:9214") -> gpd.GeoDataFrame:
    x, y = SURVEY_XY
    return gpd.GeoDataFrame(
        {"species": ["Sao đen", "Bằng lăng"], "height_m": [12.5, 8.0],
         "planted_date": ["2019-03-01", None], "condition": ["good", None]},
        geometry=[Point(x, y), Point(x + 100, y + 50)], crs=crs)


def _stats(url: str) -> dict:
    return json.loads(run_twin("stats", "--json", env={"TWIN_DATABASE_URL": url}).stdout)


# -- each format ------------------------------------------------------------------------------
def test_a_survey_geopackage_in_vn2000_lands_at_its_wgs84_position(engine, tmp_path):
    path = _write(_trees(), tmp_path / "survey.gpkg")
    assert import_gis_file(engine, path, layer="trees") == {"trees": 2}
    trees = read_layer(engine, "trees").sort_values("source_ref")
    first = trees.geometry.iloc[0]
    assert (first.x, first.y) == pytest.approx(SURVEY_LONLAT, abs=1e-6)
    assert trees["species"].tolist() == ["Sao đen", "Bằng lăng"]
    assert trees["height_m"].tolist() == [12.5, 8.0]
    assert str(trees["planted_date"].iloc[0]) == "2019-03-01"
    assert trees["source"].tolist() == ["file", "file"]
    assert trees["source_ref"].tolist() == ["survey.gpkg:1", "survey.gpkg:2"]
    assert trees.index.str.fullmatch(r"TRE-\d{6}").all()


def test_a_shapefile_with_its_prj_in_vn2000(engine, tmp_path):
    x, y = SURVEY_XY
    poles = gpd.GeoDataFrame({"height_m": [9.0, 10.0], "material": ["concrete", "steel"]},
                             geometry=[Point(x, y), Point(x + 10, y)], crs="EPSG:9214")
    path = _write(poles, tmp_path / "poles.shp")
    assert import_gis_file(engine, path, layer="poles") == {"poles": 2}
    back = read_layer(engine, "poles")
    assert (back.geometry.iloc[0].x, back.geometry.iloc[0].y) == pytest.approx(SURVEY_LONLAT,
                                                                               abs=1e-6)
    assert back["material"].tolist() == ["concrete", "steel"]
    assert back["purpose"].tolist() == ["lighting", "lighting"]  # the column's default


def test_a_geojson_of_polygons_becomes_multipolygons(engine, tmp_path):
    buildings = gpd.GeoDataFrame({"name": ["Chợ"], "levels": [3], "height_m": [10.5]},
                                 geometry=[SQUARE], crs=4326)
    path = _write(buildings, tmp_path / "buildings.geojson")
    assert import_gis_file(engine, path, layer="buildings") == {"buildings": 1}
    back = read_layer(engine, "buildings")
    assert back.geometry.iloc[0].geom_type == "MultiPolygon"
    assert back.geometry.iloc[0].equals(SQUARE)
    assert int(back["levels"].iloc[0]) == 3


@pytest.mark.parametrize(
    ("header", "row", "crs", "expected"),
    [
        ("lon,lat", "106.1946,21.2731", "EPSG:4326", SURVEY_LONLAT),
        ("Longitude,Latitude", "106.1946,21.2731", "EPSG:4326", SURVEY_LONLAT),
        ("easting,northing", "416226.772,2353402.453", "EPSG:9214", SURVEY_LONLAT),
        ("x,y", "416226.772,2353402.453", "EPSG:9214", SURVEY_LONLAT),
        ("wkt", '"POINT (416226.772 2353402.453)"', "EPSG:9214", SURVEY_LONLAT),
    ],
)
def test_a_csv_with_coordinates(engine, tmp_path, header, row, crs, expected):
    path = tmp_path / "cameras.csv"
    path.write_text(f"{header},purpose,heading_deg,install_year\n{row},traffic,90,2021\n",
                    encoding="utf-8")
    assert import_gis_file(engine, path, layer="cameras", crs=crs) == {"cameras": 1}
    camera = read_layer(engine, "cameras").iloc[0]
    assert (camera.geom.x, camera.geom.y) == pytest.approx(expected, abs=1e-6)
    assert (camera["purpose"], camera["heading_deg"], camera["install_year"]) == (
        "traffic", 90.0, 2021)


def test_values_are_converted_to_the_columns_types(engine, tmp_path):
    path = tmp_path / "roads.csv"
    path.write_text(
        "wkt,name,road_class,lanes,lit,oneway,attributes\n"
        '"LINESTRING (106.19 21.27, 106.2 21.27)",Hùng Vương,primary,4,yes,false,"{""ref"": ""QL1""}"\n'
        '"LINESTRING (106.2 21.27, 106.2 21.28)",,,,1,,\n', encoding="utf-8")
    import_gis_file(engine, path, layer="roads", crs="EPSG:4326")
    roads = read_layer(engine, "roads").sort_values("source_ref")
    assert roads["name"].tolist()[0] == "Hùng Vương"
    assert roads["road_class"].tolist() == ["primary", "unclassified"]  # empty: the default
    assert roads["lit"].tolist() == [True, True]
    assert roads["oneway"].tolist() == [False, None]
    assert roads["attributes"].tolist()[0] == {"ref": "QL1"}
    assert int(roads["lanes"].tolist()[0]) == 4


@pytest.mark.slow
def test_a_mapping_renames_fields_through_the_cli(database_url, tmp_path):
    # a Shapefile without .prj, in VN-2000 / TM-3 107-00, with its own field names
    frame = _trees().rename(columns={"species": "LOAI_CAY", "height_m": "CAO"})
    path = _write(frame.drop(columns=["planted_date"]), tmp_path / "cay_xanh.shp")
    path.with_suffix(".prj").unlink()
    args = ["import", "file", str(path), "--layer", "trees", "--crs", "EPSG:9214",
            "--map", "species=LOAI_CAY", "--map", "height_m=CAO"]
    result = run_twin(*args, env={"TWIN_DATABASE_URL": database_url})
    assert "trees: 2" in result.stderr
    again = run_twin(*args, env={"TWIN_DATABASE_URL": database_url}, check=False)
    assert again.returncode == 1
    assert again.stderr.splitlines()[0] == (
        "error: cay_xanh.shp: 2 of its features are already in the twin (first: trees "
        "'cay_xanh.shp:1'): each feature is imported once; nothing was written")
    engine = create_engine(database_url)
    trees = read_layer(engine, "trees").sort_values("source_ref")
    engine.dispose()
    assert trees["species"].tolist() == ["Sao đen", "Bằng lăng"]
    assert trees["height_m"].tolist() == [12.5, 8.0]
    assert (trees.geometry.iloc[0].x, trees.geometry.iloc[0].y) == pytest.approx(
        SURVEY_LONLAT, abs=1e-6)


def test_a_geopackage_layer_is_chosen(engine, tmp_path):
    path = _write(_trees(), tmp_path / "city.gpkg", layer="cay")
    _write(_trees().iloc[:1], path, layer="other")
    with pytest.raises(InvalidInput, match=r"^city\.gpkg: holds 2 layers \(cay, other\): choose"):
        read_gis_file(path, layer="trees")
    with pytest.raises(InvalidInput, match=r"^city\.gpkg: has no layer 'nope'"):
        read_gis_file(path, layer="trees", file_layer="nope")
    assert import_gis_file(engine, path, layer="trees", file_layer="other") == {"trees": 1}
    assert read_layer(engine, "trees")["source_ref"].tolist() == ["city.gpkg:other:1"]


# -- ids and provenance -----------------------------------------------------------------------
def test_ids_that_follow_the_layer_pattern_are_kept(engine, tmp_path):
    frame = _trees().assign(id=["TRE-000041", "TRE-000042"])
    import_gis_file(engine, _write(frame, tmp_path / "a.gpkg"), layer="trees")
    later = _write(_trees().assign(id=["7", "8"]), tmp_path / "b.gpkg")
    dataset = read_gis_file(later, layer="trees")
    assert any("ids do not follow TRE-NNNNNN" in note for note in dataset.notes)
    import_gis_file(engine, later, layer="trees")
    ids = sorted(read_layer(engine, "trees").index)
    assert ids == ["TRE-000041", "TRE-000042", "TRE-000043", "TRE-000044"]


def test_importing_the_same_file_twice_is_refused(engine, tmp_path):
    path = _write(_trees(), tmp_path / "survey.gpkg")
    import_gis_file(engine, path, layer="trees")
    with pytest.raises(InvalidInput, match=r"^survey\.gpkg: 2 of its features are already in the "
                                           r"twin \(first: trees 'survey\.gpkg:1'\)"):
        import_gis_file(engine, path, layer="trees")
    assert len(read_layer(engine, "trees")) == 2


def test_an_id_already_in_the_twin_is_refused(engine, tmp_path):
    frame = _trees().assign(id=["TRE-000001", "TRE-000002"])
    import_gis_file(engine, _write(frame, tmp_path / "a.gpkg"), layer="trees")
    with pytest.raises(InvalidInput, match=r"^b\.gpkg: id 'TRE-00000[12]' is already in layer"):
        import_gis_file(engine, _write(frame, tmp_path / "b.gpkg"), layer="trees")


# -- refusals ---------------------------------------------------------------------------------
def _csv(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


REFUSALS = [
    # (layer, csv text, crs, expected message after "data.csv: ")
    ("trees", "lon,lat,species,colour\n106.19,21.27,Sao,red\n", "EPSG:4326",
     "column 'colour': unknown column for layer 'trees' (its columns: id, install_year, "),
    ("trees", "lon,lat,height_m\n106.19,21.27,12\n106.19,21.27,tall\n", "EPSG:4326",
     "row 2: column 'height_m': 'tall' is not a number"),
    ("trees", "lon,lat,height_m\n106.19,21.27,-2\n", "EPSG:4326",
     "row 1: column 'height_m': '-2.0' is negative"),
    ("trees", "lon,lat,condition\n106.19,21.27,excellent\n", "EPSG:4326",
     "row 1: column 'condition': 'excellent' is not one of good, fair, poor, failed"),
    ("cameras", "lon,lat,purpose\n106.19,21.27,\n106.19,21.27,parking\n", "EPSG:4326",
     "row 2: column 'purpose': 'parking' is not one of security, traffic"),
    ("trees", "lon,lat,install_year\n106.19,21.27,1999.5\n", "EPSG:4326",
     "row 1: column 'install_year': '1999.5' is not a whole number"),
    ("trees", "lon,lat,planted_date\n106.19,21.27,03/01/2019\n", "EPSG:4326",
     "row 1: column 'planted_date': '03/01/2019' is not a date (YYYY-MM-DD)"),
    ("roads", "lon,lat,lit\n106.19,21.27,maybe\n", "EPSG:4326",
     "row 1: column 'lit': 'maybe' is not true or false"),
    ("trees", 'lon,lat,attributes\n106.19,21.27,"[1, 2]"\n', "EPSG:4326",
     "row 1: column 'attributes': '[1, 2]' is not a JSON object"),
    ("power_lines", 'wkt,voltage_kv\n"LINESTRING (106.19 21.27, 106.2 21.27)",22\n', "EPSG:4326",
     "column 'voltage_level': layer 'power_lines' requires this column and the file has no "
     "such field (name one with --map voltage_level=FIELD)"),
    ("power_lines", 'wkt,voltage_level\n"LINESTRING (106.19 21.27, 106.2 21.27)",MV\n'
     '"LINESTRING (106.19 21.27, 106.2 21.27)",\n', "EPSG:4326",
     "row 2: column 'voltage_level': empty, but layer 'power_lines' requires a value"),
    ("trees", 'wkt\n"LINESTRING (106.19 21.27, 106.2 21.27)"\n', "EPSG:4326",
     "row 1: geometry is a LineString, layer 'trees' holds Points"),
    ("buildings", f'wkt\n"{SQUARE.wkt}"\n"{BOWTIE.wkt}"\n', "EPSG:4326",
     "row 2: invalid geometry: Self-intersection[106.195 21.275]"),
    ("trees", 'wkt\n"POINT (106.19 21.27"\n', "EPSG:4326",
     "row 1: column 'wkt': 'POINT (106.19 21.27' is not WKT"),
    ("trees", "lon,lat\n106.19,21.27\n,21.27\n", "EPSG:4326", "row 2: geometry is empty"),
    ("trees", "x,y\n416226.772,2353402.453\n", "EPSG:4326",
     "row 1: coordinates (416226.772, 2353402.453) in EPSG:4326 (WGS 84) fall outside the "
     "world: is the CRS right?"),
    ("trees", "lon,lat\n106.19,21.27\n", None, "a CSV has no CRS: name the CRS of its "
     "coordinates with --crs, e.g. EPSG:4326 (WGS 84 / GPS longitude, latitude), EPSG:4756"),
    ("trees", "species\nSao\n", "EPSG:4326", "has no coordinates: give columns x/y, lon/lat"),
    ("trees", "x,y,lon,lat\n1,2,106,21\n", "EPSG:4326",
     "has coordinates in more than one form (x/y, lon/lat): keep one"),
    ("trees", "lon,lat\n106.19,21.27\n", "EPSG:99999", "--crs 'EPSG:99999' is not a CRS pyproj"),
    ("treez", "lon,lat\n106.19,21.27\n", "EPSG:4326",
     "unknown layer 'treez'; known layers: districts, wards, "),
    ("buildings", 'wkt,id\n"POLYGON ((0 0, 1 0, 1 1, 0 0))",BLD-000001\n'
     '"POLYGON ((0 0, 1 0, 1 1, 0 0))",B2\n', "EPSG:4326",
     "row 2: column 'id': 'B2' is not an id of layer 'buildings' (BLD-NNNNNN) though other "
     "rows' ids are"),
    ("trees", "", "EPSG:4326", "cannot be read as CSV: No columns to parse from file"),
    ("trees", "lon,lat\n", "EPSG:4326", "holds no features"),
]


@pytest.mark.parametrize(("layer", "text", "crs", "message"), REFUSALS)
def test_bad_files_are_refused_in_one_line(tmp_path, layer, text, crs, message):
    path = _csv(tmp_path, text)
    with pytest.raises(InvalidInput) as refused:
        read_gis_file(path, layer=layer, crs=crs)
    assert str(refused.value).startswith(f"data.csv: {message}")
    assert "\n" not in str(refused.value)


def test_mapping_rules(tmp_path):
    assert parse_mapping(["height_m=CAO", " species = LOAI "]) == {"height_m": "CAO",
                                                                   "species": "LOAI"}
    for bad, message in [(["height_m"], "is not column=field"), (["=CAO"], "is not column=field"),
                         (["a=x", "a=y"], "names column 'a' twice"),
                         (["a=x", "b=x"], "uses field 'x' twice")]:
        with pytest.raises(InvalidInput, match=message):
            parse_mapping(bad)
    path = _csv(tmp_path, "lon,lat,CAO,height_m\n106.19,21.27,3,4\n")
    with pytest.raises(InvalidInput, match="--map colour=CAO: layer 'trees' has no column"):
        read_gis_file(path, layer="trees", crs="EPSG:4326", mapping={"colour": "CAO"})
    with pytest.raises(InvalidInput, match="--map height_m=HOEHE: the file has no field 'HOEHE'"):
        read_gis_file(path, layer="trees", crs="EPSG:4326", mapping={"height_m": "HOEHE"})
    with pytest.raises(InvalidInput, match="fields CAO and height_m both fill column 'height_m'"):
        read_gis_file(path, layer="trees", crs="EPSG:4326", mapping={"height_m": "CAO"})


def test_crs_rules(tmp_path):
    path = _write(_trees(), tmp_path / "survey.gpkg")
    # --crs names the CRS of a file without one; it never overrides the file's own
    with pytest.raises(InvalidInput, match=r"^survey\.gpkg: its CRS is EPSG:9214 \(VN-2000 / "
                                           r"TM-3 107-00\) but --crs says EPSG:4326 \(WGS 84\)"):
        read_gis_file(path, layer="trees", crs="EPSG:4326")
    same = read_gis_file(path, layer="trees", crs="EPSG:9214").layers["trees"]
    assert (same.geometry.iloc[0].x, same.geometry.iloc[0].y) == pytest.approx(SURVEY_LONLAT,
                                                                               abs=1e-6)
    shp = _write(_trees().drop(columns="planted_date"), tmp_path / "no_prj.shp")
    shp.with_suffix(".prj").unlink()
    with pytest.raises(InvalidInput, match=r"^no_prj\.shp: has no CRS \(a Shapefile without its "
                                           r"\.prj\?\): name the CRS"):
        read_gis_file(shp, layer="trees")
    with pytest.raises(InvalidInput, match=r"^notes\.txt: cannot import '\.txt' files"):
        read_gis_file(_csv(tmp_path, "x", "notes.txt"), layer="trees")
    with pytest.raises(InvalidInput, match=r"^absent\.gpkg: no such file"):
        read_gis_file(tmp_path / "absent.gpkg", layer="trees")


# -- the checks, through the command ---------------------------------------------------
def _self_intersecting_geopackage(tmp_path: Path) -> Path:
    frame = gpd.GeoDataFrame({"name": ["ok", "bowtie"]}, geometry=[SQUARE, BOWTIE], crs=4326)
    return _write(frame, tmp_path / "blocks.gpkg")


def _shapefile_without_crs(tmp_path: Path) -> Path:
    path = _write(_trees().drop(columns="planted_date"), tmp_path / "trees_vn2000.shp")
    path.with_suffix(".prj").unlink()
    return path


def _csv_with_unknown_column(tmp_path: Path) -> Path:
    return _csv(tmp_path, "lon,lat,species,colour\n106.19,21.27,Sao,red\n", "trees.csv")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("make", "layer", "crs", "message"),
    [
        (_self_intersecting_geopackage, "buildings", None,
         "error: blocks.gpkg: feature 2: invalid geometry: Self-intersection"),
        (_shapefile_without_crs, "trees", None,
         "error: trees_vn2000.shp: has no CRS (a Shapefile without its .prj?)"),
        (_csv_with_unknown_column, "trees", "EPSG:4326",
         "error: trees.csv: column 'colour': unknown column for layer 'trees'"),
    ],
)
def test_the_command_refuses_bad_files_and_leaves_the_twin_as_it_was(
        database_url, tmp_path, make, layer, crs, message):
    env = {"TWIN_DATABASE_URL": database_url}
    engine = create_engine(database_url)
    import_gis_file(engine, _write(_trees(), tmp_path / "before.gpkg"), layer="trees")
    engine.dispose()
    before = _stats(database_url)
    assert before["layers"]["trees"] == 2

    args = ["import", "file", str(make(tmp_path)), "--layer", layer]
    result = run_twin(*args, *(["--crs", crs] if crs else []), env=env, check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith(message)
    assert _stats(database_url) == before


def test_a_line_string_csv_into_a_network_layer(engine, tmp_path):
    """A line layer from WKT in the city's survey CRS keeps its vertices."""
    a = SURVEY_XY
    b = (a[0] + 120.0, a[1] + 35.0)
    line = LineString([a, b])
    path = _csv(tmp_path, f'wkt,diameter_mm,material\n"{line.wkt}",150,HDPE\n', "pipes.csv")
    import_gis_file(engine, path, layer="water_pipes", crs="EPSG:9214")
    pipe = read_layer(engine, "water_pipes", crs="EPSG:9214").iloc[0]
    assert list(pipe.geom.coords) == [pytest.approx(a, abs=0.01), pytest.approx(b, abs=0.01)]
    assert (pipe["diameter_mm"], pipe["material"], pipe["normal_state"]) == (150, "HDPE", "open")
