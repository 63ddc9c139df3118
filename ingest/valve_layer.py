"""Isolation valves of a valve layer added to an EPANET model already in the twin.

A valve layer (``wntr.network.generate_valve_layer``, or a utility's valve survey in the same
shape) is a frame with columns ``link`` and ``node``: a valve on link L that shuts L off from its
end node N. In the twin such a valve is what the demo city's valves are: a ``water_valves``
asset and a ``valve`` edge from N to a new ``junction`` node X, where L's edge now ends instead
of N. So the valve splits L at N, and WNTR's valve segments are the components of the water
network without its valve edges::

    N ──L── M     becomes     N ─valve─ X ──L── M

A link with valves at both ends gets a node at each end and forms a segment of its own, as in
WNTR. Valves are gate valves, normally open, on the link's drawing a tenth of the way from N
(``AT``), with the pipe's diameter and ``pipe_id``; rows get ``source='valve_layer'`` and
``source_ref='<model>:valve/<index in the layer>'``.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString
from sqlalchemy import Connection, Engine, case, update

from ingest._load import refuse_reimport
from layers import network_edges
from twin.errors import InvalidInput
from twin.progress import table_progress
from twin.read import Network, read_layer, read_network
from twin.schema import STORAGE_SRID
from twin.write import Dataset, reserve_ids, write_dataset

__all__ = ["EpanetIds", "epanet_ids", "import_valve_layer", "split_at_valves"]

SOURCE = "valve_layer"
AT = 0.1
"""Where a valve is drawn: this fraction of its link's drawing from the node it shuts off."""
_NODE_LAYERS = ("water_junctions", "water_sources", "water_tanks")
_LINK_LAYERS = ("water_pipes", "water_pumps", "water_valves")


@dataclass(frozen=True)
class EpanetIds:
    """The twin's topology ids of an imported EPANET model's nodes and links, by EPANET name."""

    nodes: dict[str, str]
    """EPANET node name → network node id."""
    links: dict[str, str]
    """EPANET link name → network edge id."""


@dataclass(frozen=True)
class ValveSplit:
    """What a valve layer adds (keyed ``valve/<index>``): valve assets, their nodes and edges,
    and the link edges' ends moved onto the new nodes (``edge``, ``end`` column, ``node`` key)."""

    dataset: Dataset
    moved: pd.DataFrame


def epanet_ids(db: Engine | Connection, model: str, network: Network | None = None
               ) -> EpanetIds:
    """Node and edge ids of the EPANET model imported from the file named ``model``
    (``Net3.inp``), read through the assets' ``source_ref`` (``network``: the water network, if
    read already)."""
    network = network if network is not None else read_network(db, "water")
    return EpanetIds(_by_name(db, _NODE_LAYERS, model, network.nodes),
                     _by_name(db, _LINK_LAYERS, model, network.edges))


def _by_name(db: Engine | Connection, layers: tuple[str, ...], model: str,
             topology: pd.DataFrame) -> dict[str, str]:
    of_asset = pd.Series(topology.index, index=topology["asset_id"])
    of_asset = of_asset[of_asset.index.notna()]
    names: dict[str, str] = {}
    for layer in layers:
        refs = read_layer(db, layer, columns=["source", "source_ref"])
        refs = refs[(refs["source"] == "epanet") & refs["source_ref"].str.startswith(f"{model}:")]
        found = refs.index.intersection(of_asset.index)
        names.update(zip(refs.loc[found, "source_ref"].str.split("/", n=1).str[1],
                         of_asset[found], strict=True))
    return names


def split_at_valves(network: Network, ids: EpanetIds, valve_layer: pd.DataFrame,
                    pipes: gpd.GeoDataFrame, model: str) -> ValveSplit:
    """The valves of ``valve_layer`` (``link``, ``node``: EPANET names) as twin rows, keyed by
    ``valve/<index>``. ``pipes`` (EPSG:4326, ``diameter_mm``) draws the valves on pipes; other
    links are drawn straight between their nodes. InvalidInput for an unknown link or node, a
    node that is not an end of its link, or a valve given twice."""
    _refuse_bad_layer(valve_layer, ids, network)
    edges, points = network.edges, network.nodes.geometry
    valves, nodes, valve_edges, moved = {}, {}, {}, []
    for index, link, node in zip(valve_layer.index, valve_layer["link"], valve_layer["node"],
                                 strict=True):
        key, edge, at = f"valve/{index}", ids.links[link], ids.nodes[node]
        row = edges.loc[edge]
        end = "from_node" if row["from_node"] == at else "to_node"
        pipe = row["asset_id"] if row["asset_id"] in pipes.index else None
        line = (pipes.geometry[pipe] if pipe else LineString([points[row["from_node"]],
                                                             points[row["to_node"]]]))
        point = line.interpolate(AT if end == "from_node" else 1 - AT, normalized=True)
        valves[key] = {"valve_type": "gate", "normal_state": "open", "pipe_id": pipe,
                       "diameter_mm": pipes["diameter_mm"].get(pipe) if pipe else None,
                       "source": SOURCE, "source_ref": f"{model}:{key}", "geom": point}
        nodes[key] = {"network": "water", "asset_id": None, "kind": "junction",
                      "is_source": False, "geom": point}
        valve_edges[key] = {"network": "water", "from_node": at, "to_node": key,
                            "asset_id": key, "kind": "valve", "normally_connected": True,
                            "length_m": 0.0}
        moved.append((edge, end, key))
    dataset = Dataset(layers={"water_valves": _frame(valves)}, nodes=_frame(nodes),
                      edges=pd.DataFrame.from_dict(valve_edges, orient="index"))
    return ValveSplit(dataset, pd.DataFrame(moved, columns=["edge", "end", "node"]))


def _refuse_bad_layer(valve_layer: pd.DataFrame, ids: EpanetIds, network: Network) -> None:
    """InvalidInput naming the first valve whose link or node the model lacks, whose node is not
    an end of its link, or that repeats another."""
    missing = {"link", "node"} - set(valve_layer.columns)
    if missing:
        raise InvalidInput(f"a valve layer has columns link and node; '{sorted(missing)[0]}' "
                           "is missing")
    seen: set[tuple[str, str]] = set()
    for index, link, node in zip(valve_layer.index, valve_layer["link"], valve_layer["node"],
                                 strict=True):
        where = f"valve {index}"
        if link not in ids.links:
            raise InvalidInput(f"link '{link}' is not in the model", where=where)
        if node not in ids.nodes:
            raise InvalidInput(f"node '{node}' is not in the model", where=where)
        edge = network.edges.loc[ids.links[link]]
        if ids.nodes[node] not in (edge["from_node"], edge["to_node"]):
            raise InvalidInput(f"node '{node}' is not an end of link '{link}' (is it already "
                               "split by a valve?)", where=where)
        if (link, node) in seen:
            raise InvalidInput(f"a second valve on link '{link}' at node '{node}'", where=where)
        seen.add((link, node))


def import_valve_layer(engine: Engine, model: str, valve_layer: pd.DataFrame) -> dict[str, int]:
    """Add a valve layer to the EPANET model imported from ``model`` (``Net3.inp``), all or
    nothing; returns rows written per table (``network_edges`` counts the valve edges, and
    ``links_split`` the links whose end moved onto a valve)."""
    name = f"{model} valve layer"
    try:
        with engine.begin() as conn:
            network = read_network(conn, "water")
            pipes = read_layer(conn, "water_pipes", columns=["diameter_mm"])
            split = split_at_valves(network, epanet_ids(conn, model, network), valve_layer,
                                    pipes, model)
            refuse_reimport(conn, split.dataset, name)
            dataset, moved = _linked(conn, split)
            with table_progress(f"importing {name}", dataset.table_count + 1) as report:
                written = write_dataset(conn, dataset, report)
                written["links_split"] = _move_ends(conn, moved)
                report("links split", written["links_split"])
    except InvalidInput as exc:
        raise exc.in_source(name) from None
    return written


def _linked(conn: Connection, split: ValveSplit) -> tuple[Dataset, pd.DataFrame]:
    """The split's rows with fresh twin ids (valves, nodes, edges), and its moves in ids."""
    data = split.dataset
    assert data.nodes is not None and data.edges is not None  # split_at_valves makes both
    valve = dict(zip(data.nodes.index, reserve_ids(conn, "water_valves", len(data.nodes)),
                     strict=True))
    node = dict(zip(data.nodes.index, reserve_ids(conn, "water:nodes", len(data.nodes)),
                    strict=True))
    edges = data.edges.assign(id=reserve_ids(conn, "water:edges", len(data.edges)),
                              to_node=data.edges["to_node"].map(node),
                              asset_id=data.edges["asset_id"].map(valve))
    linked = Dataset(layers={"water_valves": data.layers["water_valves"].assign(
                         id=data.layers["water_valves"].index.map(valve))},
                     nodes=data.nodes.assign(id=data.nodes.index.map(node)), edges=edges)
    return linked, split.moved.assign(node=split.moved["node"].map(node))


def _move_ends(conn: Connection, moved: pd.DataFrame) -> int:
    """Point each split link's end at its valve's node; returns how many links moved."""
    for end in ("from_node", "to_node"):
        rows = moved[moved["end"] == end]
        if len(rows):
            new = dict(zip(rows["edge"], rows["node"], strict=True))
            column = network_edges.c[end]
            conn.execute(update(network_edges).where(network_edges.c.id.in_(list(new)))
                         .values({end: case(new, value=network_edges.c.id, else_=column)}))
    return int(moved["edge"].nunique())


def _frame(rows: dict[str, dict[str, object]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(list(rows.values()), index=pd.Index(list(rows), dtype=object),
                            geometry="geom", crs=STORAGE_SRID)
