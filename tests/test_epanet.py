"""EPANET import on a real PostGIS, checked against WNTR's own reading of each model.

References: the Hà Nội trunk network (Fujiwara & Khang 1990: 1 reservoir, 31 junctions, 34 pipes,
39 420 m of pipe, 304.8-1016 mm, 5538.9 L/s of demand) and WNTR's shipped Net3 and Net6.
"""

import json
import re
from pathlib import Path

import networkx as nx
import pytest
import wntr
from pyproj import Transformer

from ingest.epanet import import_epanet_file, read_epanet
from tests.conftest import run_twin, shared_file
from twin.city import BAC_GIANG
from twin.errors import InvalidInput
from twin.read import read_layer, read_network

NETWORKS = Path(wntr.__file__).parent / "library" / "networks"
LAYER_OF = {"junction": "water_junctions", "reservoir": "water_sources", "tank": "water_tanks",
            "pipe": "water_pipes", "pump": "water_pumps", "valve": "water_valves"}


def _hanoi() -> Path:
    return shared_file("hanoi_water_network/Hanoi.inp")


def _model_path(name: str) -> Path:
    return _hanoi() if name == "Hanoi" else NETWORKS / f"{name}.inp"


def _stats(url: str) -> dict:
    return json.loads(run_twin("stats", "--json", env={"TWIN_DATABASE_URL": url}).stdout)


def _names_by_asset(engine) -> dict[str, str]:
    """asset id → EPANET '<type>/<name>', from source_ref."""
    names = {}
    for layer in LAYER_OF.values():
        frame = read_layer(engine, layer, columns=["source_ref"])
        names.update({i: ref.split(":", 1)[1] for i, ref in frame["source_ref"].items()})
    return names


def _wntr_model(path: Path, folder: Path) -> wntr.network.WaterNetworkModel:
    """WNTR's own reading of the model; Hanoi.inp is read from a copy in ``folder`` with its
    [BACKDROP] quirk fixed."""
    if path.name != "Hanoi.inp":
        return wntr.network.WaterNetworkModel(str(path))
    text = path.read_text().replace("Ninguno", "NONE")  # the file's known [BACKDROP] quirk
    copy = folder / "Hanoi.inp"
    copy.write_text(text)
    return wntr.network.WaterNetworkModel(str(copy))


@pytest.mark.parametrize("model", ["Hanoi", "Net3", "Net6"])
def test_model_imports_as_wntr_reads_it(engine, model, tmp_path):
    path = _model_path(model)
    wn = _wntr_model(path, tmp_path)
    written = import_epanet_file(engine, path, crs=None)

    expected = {"water_junctions": wn.num_junctions, "water_sources": wn.num_reservoirs,
                "water_tanks": wn.num_tanks, "water_pipes": wn.num_pipes,
                "water_pumps": wn.num_pumps, "water_valves": wn.num_valves,
                "network_nodes": wn.num_nodes, "network_edges": wn.num_links}
    assert written == {k: v for k, v in expected.items() if v}
    network = read_network(engine, "water")
    assert len(network.nodes) == wn.num_nodes and len(network.edges) == wn.num_links

    # every link runs between the model's nodes, named through source_ref
    names = _names_by_asset(engine)
    node_name = {node: names[asset] for node, asset in network.nodes["asset_id"].items()}
    for edge in network.edges.itertuples():
        kind, name = names[edge.asset_id].split("/", 1)
        link = wn.get_link(name)
        assert kind == edge.kind == link.link_type.lower()
        assert node_name[edge.from_node].split("/", 1)[1] == link.start_node_name
        assert node_name[edge.to_node].split("/", 1)[1] == link.end_node_name

    # same connected components as WNTR's graph, and every node reachable from a source
    graph = network.to_networkx(normal_state=False)
    ours = {frozenset(node_name[n].split("/", 1)[1] for n in c)
            for c in nx.connected_components(graph)}
    theirs = {frozenset(c) for c in nx.connected_components(wn.to_graph().to_undirected())}
    assert ours == theirs
    normal = network.to_networkx()
    reached = set().union(*(nx.node_connected_component(normal, s) for s in network.sources))
    assert reached == set(network.nodes.index)
    assert sorted(node_name[s].split("/")[0] for s in network.sources) == sorted(
        ["reservoir"] * wn.num_reservoirs + ["tank"] * wn.num_tanks)


def test_hanoi_figures_and_placement(engine, tmp_path):
    written = import_epanet_file(engine, _hanoi(), crs=None)
    assert written["water_pipes"] == 34 and written["water_junctions"] == 31
    pipes = read_layer(engine, "water_pipes")
    assert pipes["length_m"].sum() == pytest.approx(39_420)
    assert pipes["diameter_mm"].min() == pytest.approx(304.8)
    assert pipes["diameter_mm"].max() == pytest.approx(1016)
    assert (pipes["roughness"] == 130).all() and (pipes["normal_state"] == "open").all()
    assert set(pipes["source"]) == {"epanet"}
    assert "Hanoi.inp:pipe/7" in set(pipes["source_ref"])
    junctions = read_layer(engine, "water_junctions")
    assert junctions["base_demand_lps"].sum() == pytest.approx(5538.9, abs=0.01)
    assert (junctions["elevation_m"] == 30).all()
    source = read_layer(engine, "water_sources").iloc[0]
    assert (source["source_type"], source["head_m"], source["name"]) == ("reservoir", 100, "1")

    # without --crs the drawing (metres) is centred on the city: bbox centre on the centre
    nodes = read_network(engine, "water").nodes.to_crs(BAC_GIANG.metric_crs)
    minx, miny, maxx, maxy = nodes.total_bounds
    centre = Transformer.from_crs(4326, BAC_GIANG.metric_crs, always_xy=True).transform(
        BAC_GIANG.centre_lon, BAC_GIANG.centre_lat)
    assert ((minx + maxx) / 2, (miny + maxy) / 2) == pytest.approx(centre, abs=0.01)
    # and keeps the drawing's size, in metres
    drawing = _wntr_model(_hanoi(), tmp_path)
    xs, ys = zip(*(node.coordinates for _, node in drawing.nodes()), strict=True)
    assert (maxx - minx, maxy - miny) == pytest.approx((max(xs) - min(xs), max(ys) - min(ys)),
                                                       abs=0.01)


def test_hanoi_is_read_despite_its_backdrop_and_says_so():
    dataset = read_epanet(_hanoi(), crs=None)
    assert any("[BACKDROP]" in note and "Backdrop units" in note for note in dataset.notes)
    assert any("no --crs" in note for note in dataset.notes)
    assert "Ninguno" in _hanoi().read_text()  # the shared file is left as it was


def test_a_latin1_model_with_a_refused_backdrop_is_repaired_in_a_copy(tmp_path):
    text = (NETWORKS / "Net1.inp").read_text().replace(
        "[TITLE]", "[TITLE]\n Red de distribución (Ñuñoa)", 1)
    text = text.replace("[END]", "[BACKDROP]\n UNITS Ninguno\n\n[END]")
    path = tmp_path / "red.inp"
    path.write_bytes(text.encode("latin-1"))
    dataset = read_epanet(path, crs=None)
    assert len(dataset.layers["water_pipes"]) == 12
    assert dataset.notes[:2] == [
        "the file is not UTF-8: it was read as Latin-1",
        "the [BACKDROP] section (display settings only) was ignored: WNTR refuses it"]
    assert path.read_bytes() == text.encode("latin-1")


def test_net3_devices_states_and_tanks(engine):
    import_epanet_file(engine, NETWORKS / "Net3.inp", crs=None)
    pipes = read_layer(engine, "water_pipes").reset_index().set_index("source_ref")
    assert pipes.loc["Net3.inp:pipe/330", "normal_state"] == "closed"
    assert (pipes.drop("Net3.inp:pipe/330")["normal_state"] == "open").all()
    network = read_network(engine, "water")
    edges = network.edges.set_index("asset_id")
    assert not edges.loc[pipes.loc["Net3.inp:pipe/330", "id"], "normally_connected"]
    pumps = read_layer(engine, "water_pumps").reset_index().set_index("name")
    assert pumps.loc["10", "attributes"]["initial_status"] == "Closed"
    assert not edges.loc[pumps.loc["10", "id"], "normally_connected"]  # a standby pump
    assert edges.loc[pumps.loc["335", "id"], "normally_connected"]
    assert (edges.loc[pumps["id"], "length_m"] == 0).all()
    tanks = read_layer(engine, "water_tanks").set_index("name")
    wn = wntr.network.WaterNetworkModel(str(NETWORKS / "Net3.inp"))
    tank = wn.get_node("1")
    assert tanks.loc["1", "max_level_m"] == pytest.approx(tank.max_level)
    assert tanks.loc["1", "capacity_m3"] == pytest.approx(
        3.141592653589793 / 4 * tank.diameter**2 * tank.max_level)
    junction = wn.get_node("15")
    junctions = read_layer(engine, "water_junctions").set_index("source_ref")
    assert junctions.loc["Net3.inp:junction/15", "base_demand_lps"] == pytest.approx(
        junction.base_demand * 1000)


def test_net6_valves(engine):
    import_epanet_file(engine, NETWORKS / "Net6.inp", crs=None)
    valves = read_layer(engine, "water_valves")
    assert len(valves) == 2 and set(valves["valve_type"]) == {"PRV"}
    assert valves["diameter_mm"].tolist() == pytest.approx([152.4, 152.4])
    assert (valves["normal_state"] == "open").all()


def test_crs_places_the_drawing(engine, tmp_path):
    # a small model drawn in VN-2000 / TM-3 107-00 (the worked point of vn2000_crs.json)
    inp = tmp_path / "survey.inp"
    inp.write_text(
        "[OPTIONS]\n UNITS LPS\n[JUNCTIONS]\n J1 10 1\n J2 10 2\n[RESERVOIRS]\n R1 50\n"
        "[PIPES]\n P1 R1 J1 100 200 130 0 Open\n P2 J1 J2 100 150 130 0 Closed\n"
        "[VERTICES]\n P1 416250 2353450\n"
        "[COORDINATES]\n J1 416226.772 2353402.453\n J2 416300 2353402.453\n"
        "R1 416200 2353500\n[END]\n")
    import_epanet_file(engine, inp, crs="EPSG:9214")
    junctions = read_layer(engine, "water_junctions").set_index("source_ref")
    point = junctions.loc["survey.inp:junction/J1", "geom"]
    assert (point.x, point.y) == pytest.approx((106.1946, 21.2731), abs=1e-6)
    assert junctions.loc["survey.inp:junction/J2", "base_demand_lps"] == pytest.approx(2)
    pipes = read_layer(engine, "water_pipes", crs="EPSG:9214").set_index("source_ref")
    line = pipes.loc["survey.inp:pipe/P1", "geom"]
    assert list(line.coords) == [pytest.approx(xy, abs=0.01) for xy in
                                 [(416200, 2353500), (416250, 2353450), (416226.772, 2353402.453)]]
    assert pipes.loc["survey.inp:pipe/P2", "normal_state"] == "closed"
    reachable = read_network(engine, "water").to_networkx()
    assert reachable.number_of_edges() == 1  # the closed pipe is not normally connected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[OPTIONS]\n UNITS LPS\n[JUNCTIONS]\n J1 10\n[PIPES]\n P1 J1 X 100 200 130 0\n[END]\n",
         "undefined node, 'X', at line 6"),
        ("this is not a model\n", "syntax error"),
        ("[OPTIONS]\n UNITS LPS\n[JUNCTIONS]\n J1 abc\n[END]\n", "could not convert"),
        ("[OPTIONS]\n UNITS LPS\n[END]\n", "holds no network"),
        ("[OPTIONS]\n UNITS LPS\n[JUNCTIONS]\n J1 10\n J2 10\n[RESERVOIRS]\n R 5\n"
         "[PIPES]\n P1 R J1 1 1 1 0\n P2 J1 J2 1 1 1 0\n[COORDINATES]\n J1 0 0\n R 1 1\n[END]\n",
         "node 'J2' has no [COORDINATES] (1 of 3 nodes have none)"),
    ],
)
def test_malformed_models_are_refused(tmp_path, text, reason):
    inp = tmp_path / "broken.inp"
    inp.write_text(text)
    with pytest.raises(InvalidInput, match=r"^broken\.inp: .*" + re.escape(reason)):
        read_epanet(inp, crs=None)


@pytest.mark.slow
def test_malformed_model_through_the_cli_leaves_the_twin_as_it_was(database_url, tmp_path):
    env = {"TWIN_DATABASE_URL": database_url}
    run_twin("import", "epanet", str(NETWORKS / "Net1.inp"), env=env)
    before = _stats(database_url)
    broken = tmp_path / "broken.inp"
    broken.write_text(re.sub(r"(?m)^ 31(\s+)31(\s+)32", r" 31\g<1>31\g<2>XX",
                             (NETWORKS / "Net1.inp").read_text()))
    result = run_twin("import", "epanet", str(broken), env=env, check=False)
    assert result.returncode == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: broken.inp: not a valid EPANET file: (Error 203) undefined node")
    assert _stats(database_url) == before


@pytest.mark.slow
def test_the_cli_imports_and_tells_the_notes(database_url):
    env = {"TWIN_DATABASE_URL": database_url}
    result = run_twin("import", "epanet", str(_hanoi()), env=env)
    assert "water_pipes: 34" in result.stderr + result.stdout
    assert "note:" in result.stderr and "[BACKDROP]" in result.stderr
    assert _stats(database_url)["networks"]["water"] == {"nodes": 32, "edges": 34}
    # the same file again is refused in one line, and nothing changes
    again = run_twin("import", "epanet", str(_hanoi()), env=env, check=False)
    assert again.returncode == 1
    assert again.stderr.splitlines()[0].startswith(
        "error: Hanoi.inp: 66 of its features are already in the twin")
    assert _stats(database_url)["networks"]["water"] == {"nodes": 32, "edges": 34}


def test_a_wrong_crs_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="--crs 'EPSG:99999' is not a CRS"):
        read_epanet(NETWORKS / "Net1.inp", crs="EPSG:99999")
    # Net6's schematic drawing (x up to 335) read as longitude/latitude lies outside the world
    with pytest.raises(InvalidInput, match=r"^Net6\.inp: junction/JUNCTION-\d+: .* fall outside the world"):
        read_epanet(NETWORKS / "Net6.inp", crs="EPSG:4326")


def test_net6_imports_whole(engine):
    written = import_epanet_file(engine, NETWORKS / "Net6.inp", crs=None)
    assert written["network_nodes"] == 3356
