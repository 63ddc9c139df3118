"""The bulk writer and the read API on a real PostGIS, inside a rolled-back transaction."""

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from twin.errors import InvalidInput
from twin.read import read_layer, read_network
from twin.write import Dataset, reserve_ids, write_dataset, write_layers


def _ward(code: str, x0: float) -> dict:
    return {"id": code, "name": f"Phường {code}", "kind": "Phường",
            "geom": Polygon([(x0, 21.0), (x0 + 0.1, 21.0), (x0 + 0.1, 21.1), (x0, 21.1)])}


def _wards() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame([_ward("W1", 106.0), _ward("W2", 106.1)], geometry="geom",
                            crs=4326)


def test_write_then_read_back_by_bbox_polygon_and_ids(conn):
    trees = gpd.GeoDataFrame(
        {"species": ["Sao đen", "Bằng lăng", "Phượng"], "height_m": [12.0, 8.0, 10.0]},
        geometry=[Point(106.05, 21.05), Point(106.15, 21.05), Point(106.3, 21.5)], crs=4326)
    written = write_layers(conn, {"wards": _wards(), "trees": trees})
    assert written == {"wards": 2, "trees": 3}

    all_trees = read_layer(conn, "trees")
    assert len(all_trees) == 3
    assert all_trees.index.str.match(r"^TRE-\d{6}$").all()
    assert all_trees.crs.to_epsg() == 4326
    # every tree inside a ward got that ward; the one outside got none
    assert sorted(all_trees["ward_code"].dropna()) == ["W1", "W2"]

    in_box = read_layer(conn, "trees", bbox=(106.0, 21.0, 106.1, 21.1))
    assert list(in_box["species"]) == ["Sao đen"]
    in_polygon = read_layer(conn, "trees", polygon=shapely.box(106.1, 21.0, 106.2, 21.1))
    assert list(in_polygon["species"]) == ["Bằng lăng"]
    first = all_trees.index[0]
    by_id = read_layer(conn, "trees", ids=[first, "TRE-999999"], columns=["species"])
    assert list(by_id.index) == [first]
    assert list(by_id.columns) == ["species", "geom"]


def test_a_line_on_a_ward_boundary_counts_in_one_ward(conn):
    road = gpd.GeoDataFrame({"road_class": ["primary"]},
                            geometry=[LineString([(106.09, 21.05), (106.12, 21.05)])], crs=4326)
    write_layers(conn, {"wards": _wards(), "roads": road})
    # the midpoint (106.105) lies in W2
    assert read_layer(conn, "roads")["ward_code"].tolist() == ["W2"]


def test_metric_crs_input_is_reprojected(conn):
    point = gpd.GeoDataFrame({"species": ["x"]}, geometry=[Point(416226.772, 2353402.453)],
                             crs="EPSG:9214")
    write_layers(conn, {"trees": point})
    back = read_layer(conn, "trees").geometry.iloc[0]
    assert back.x == pytest.approx(106.1946, abs=1e-6)
    assert back.y == pytest.approx(21.2731, abs=1e-6)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (gpd.GeoDataFrame({"colour": ["red"]}, geometry=[Point(106, 21)], crs=4326),
         "unknown column"),
        (gpd.GeoDataFrame({"species": ["x"]}, geometry=[Point(106, 21)]), "has no CRS"),
        (gpd.GeoDataFrame({"species": ["x"]}, geometry=[LineString([(106, 21), (106.1, 21)])],
                          crs=4326), "geometry is a LineString"),
        (gpd.GeoDataFrame({"id": ["TRE-000001", "TRE-000001"]},
                          geometry=[Point(106, 21), Point(106, 21)], crs=4326), "appears twice"),
    ],
)
def test_bad_frames_are_refused_before_anything_is_written(conn, frame, message):
    with pytest.raises(InvalidInput, match=message):
        write_layers(conn, {"trees": frame})
    assert len(read_layer(conn, "trees")) == 0


def test_broken_polygon_is_named(conn):
    bowtie = Polygon([(106, 21), (106.1, 21.1), (106.1, 21), (106, 21.1)])
    frame = gpd.GeoDataFrame({"height_m": [9.0]}, geometry=[bowtie], crs=4326, index=[17])
    with pytest.raises(InvalidInput, match=r"row 17.*Self-intersection"):
        write_layers(conn, {"buildings": frame})


def test_network_round_trip_and_graph(conn):
    nodes = reserve_ids(conn, "power:nodes", 3)
    edges = reserve_ids(conn, "power:edges", 2)
    assert nodes[0].startswith("PN-") and edges[0].startswith("PE-")
    node_frame = gpd.GeoDataFrame(
        {"id": nodes, "network": "power", "kind": ["source", "bus", "bus"],
         "is_source": [True, False, False]},
        geometry=[Point(106, 21), Point(106.01, 21), Point(106.02, 21)], crs=4326)
    node_frame = node_frame.rename_geometry("geom")
    import pandas as pd

    edge_frame = pd.DataFrame({
        "id": edges, "network": "power", "from_node": nodes[:2], "to_node": nodes[1:],
        "kind": ["line", "switch"], "normally_connected": [True, False], "length_m": [1000.0, 0.0],
    })
    write_dataset(conn, Dataset(layers={}, nodes=node_frame, edges=edge_frame))
    network = read_network(conn, "power")
    assert network.sources == [nodes[0]]
    assert network.to_networkx().number_of_edges() == 1
    assert network.to_networkx(normal_state=False).number_of_edges() == 2


def test_ids_past_a_million_keep_every_digit(conn):
    last = conn.exec_driver_sql("SELECT last_value FROM trees_id_seq").scalar()
    conn.exec_driver_sql("SELECT setval('trees_id_seq', 999999)")
    try:
        trees = gpd.GeoDataFrame({"species": ["a"]}, geometry=[Point(106, 21)], crs=4326)
        write_layers(conn, {"trees": trees})
        assert read_layer(conn, "trees").index.tolist() == ["TRE-1000000"]
        assert reserve_ids(conn, "trees", 1) == ["TRE-1000001"]
    finally:  # sequences ignore the rollback: give the other tests their numbering back
        conn.exec_driver_sql(f"SELECT setval('trees_id_seq', {last})")


@pytest.mark.parametrize("kind", ["water:x'); DROP TABLE trees; --", "wards", "nowhere"])
def test_reserving_ids_of_an_unknown_kind_is_refused(conn, kind):
    with pytest.raises(InvalidInput):
        reserve_ids(conn, kind, 1)


def test_an_empty_network_is_an_empty_graph(conn):
    network = read_network(conn, "telecom")
    assert network.sources == []
    assert network.to_networkx().number_of_nodes() == 0


def test_wards_written_after_the_assets_give_them_their_ward(conn):
    trees = gpd.GeoDataFrame({"species": ["a", "b"], "install_year": [2001, None]},
                             geometry=[Point(106.05, 21.05), Point(106.15, 21.05)], crs=4326)
    write_layers(conn, {"trees": trees})
    assert read_layer(conn, "trees")["ward_code"].isna().all()
    write_layers(conn, {"wards": _wards()})
    back = read_layer(conn, "trees")
    assert back["ward_code"].tolist() == ["W1", "W2"]
    assert back["install_year"].tolist()[0] == 2001 and str(back["install_year"].dtype) == "Int64"
