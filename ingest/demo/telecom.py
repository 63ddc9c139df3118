"""Telecom: a GPON from central offices (the OLTs, the sources) by feeder fibre to street
cabinets holding level-1 splitters (1:8), by distribution fibre to level-2 splitters (1:8, or
1:16 where more than eight terminals share a junction) and by drops to the customer terminals of
85 % of the buildings; ducts under the arterials. EPSG:9214 metres.

Each cabinet serves the junctions nearest to it along the streets, each office the cabinets
nearest to it; fibres follow those streets. Offices and cabinets depend on the power network
(8 h and 4 h of battery).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ingest.demo._geometry import (
    OFFSETS,
    asset_ids,
    choice,
    conditions,
    frame,
    points,
    translate,
    years,
)
from ingest.demo._graph import Forest, nearest_source_forest
from ingest.demo._topology import Part, TopologyBuilder, dependencies
from ingest.demo.buildings import Buildings
from ingest.demo.facilities import Facilities
from ingest.demo.streets import Streets

TAKE_UP = 0.85
"""Share of buildings with fibre."""
CABINET_SHIFT = np.array([2.0, -1.5])
"""Where a cabinet stands from the telecom line at its junction (m)."""


@dataclass(frozen=True)
class Telecom:
    part: Part
    cabinet_node: np.ndarray
    """Per street junction, the node of the cabinet serving it."""


@dataclass(frozen=True)
class _Layout:
    """The PON's tree before it has nodes: each terminal's building and level-2 splitter, each
    level-2 splitter's junction, ratio and level-1 splitter, each level-1 splitter's cabinet
    (index into the cabinets)."""

    building: np.ndarray
    terminal_l2: np.ndarray
    l2_junction: np.ndarray
    l2_ratio: np.ndarray
    l2_xy: np.ndarray
    l2_l1: np.ndarray
    l1_cabinet: np.ndarray


def build_telecom(streets: Streets, facilities: Facilities, buildings: Buildings,
                  lv_node: np.ndarray, rng: np.random.Generator) -> Telecom:
    """Offices, cabinets, splitters, fibres, ducts and customer terminals; ``lv_node`` (power
    node per junction) feeds the offices and cabinets."""
    by_office = nearest_source_forest(streets, facilities.offices)
    by_cabinet = nearest_source_forest(streets, facilities.cabinets)
    layout = _layout(streets, facilities, buildings, by_cabinet, rng)
    net = TopologyBuilder("telecom")
    office_xy = streets.nodes[facilities.offices] + OFFSETS["telecom"]
    office_ids = asset_ids("CO", len(office_xy))
    office = net.add_nodes(office_xy, "central_office", asset_id=office_ids, is_source=True)
    cabinet_xy = streets.nodes[facilities.cabinets] + OFFSETS["telecom"] + CABINET_SHIFT
    cabinet_ids = asset_ids("CAB", len(cabinet_xy))
    cabinet = net.add_nodes(cabinet_xy, "cabinet", asset_id=cabinet_ids)
    splitters, l1, l2 = _splitters(net, layout, cabinet, cabinet_ids, cabinet_xy, rng)
    office_of = np.searchsorted(facilities.offices, by_office.root[facilities.cabinets])
    feeders = _fibres(streets, by_office, facilities.cabinets, office_xy[office_of], cabinet_xy)
    cabinet_of = np.searchsorted(facilities.cabinets, by_cabinet.root[layout.l2_junction])
    spans = _fibres(streets, by_cabinet, layout.l2_junction, cabinet_xy[cabinet_of], layout.l2_xy)
    fibres = _fibre_frame(feeders, spans, rng)
    edge_ids = fibres["id"].to_numpy()
    net.add_edges(office[office_of], cabinet, "fibre", asset_id=edge_ids[: len(cabinet)],
                  length_m=shapely.length(feeders))
    net.add_edges(l1[layout.l2_l1], l2, "fibre", asset_id=edge_ids[len(cabinet):],
                  length_m=shapely.length(spans))
    layers = {**_premises(office_ids, office_xy, cabinet_ids, cabinet_xy,
                          _olt_ports(layout, office_of, len(office_ids)), rng),
              "splitters": splitters, "fibre_cables": fibres, "ducts": _ducts(streets, rng),
              "customer_terminals": _terminals(net, buildings, layout, l2, rng)}
    deps = pd.concat([
        dependencies(office_ids, "central_offices", lv_node[facilities.offices], "power", 8.0),
        dependencies(cabinet_ids, "telecom_cabinets", lv_node[facilities.cabinets], "power", 4.0),
    ], ignore_index=True)
    node_of = np.full(len(streets.nodes), -1)
    node_of[facilities.cabinets] = cabinet
    return Telecom(Part(layers, net.build(), deps), node_of[by_cabinet.root])


def _premises(office_ids: np.ndarray, office_xy: np.ndarray, cabinet_ids: np.ndarray,
              cabinet_xy: np.ndarray, olt_ports: np.ndarray,
              rng: np.random.Generator) -> dict[str, gpd.GeoDataFrame]:
    """The ``central_offices`` and ``telecom_cabinets`` layers."""
    offices, cabinets = len(office_ids), len(cabinet_ids)
    return {
        "central_offices": frame(office_ids, points(office_xy),
                                 name=[f"Trung tâm Viễn thông Bắc Giang {k + 1}"
                                       for k in range(offices)],
                                 olt_ports=olt_ports, install_year=years(rng, offices, 2000, 2015),
                                 condition="good", source="demo"),
        "telecom_cabinets": frame(cabinet_ids, points(cabinet_xy),
                                  cabinet_type="fibre distribution hub",
                                  operator=choice(rng, ["VNPT", "Viettel", "FPT Telecom"],
                                                  cabinets, [5, 3, 2]),
                                  install_year=years(rng, cabinets, 2010, 2024),
                                  condition=conditions(rng, cabinets), source="demo"),
    }


def _layout(streets: Streets, facilities: Facilities, buildings: Buildings, by_cabinet: Forest,
            rng: np.random.Generator) -> _Layout:
    """Who hangs on which splitter: terminals grouped by the junction nearer their frontage
    (1:16 splitters where a junction has more than eight), level-2 splitters in turn by
    cabinet, eight to a level-1 splitter, nearest first."""
    building = np.flatnonzero(rng.random(len(buildings.node)) < TAKE_UP)
    junction = buildings.node[building]
    order = np.lexsort((building, junction))
    building, junction = building[order], junction[order]
    first = np.r_[0, np.flatnonzero(np.diff(junction)) + 1]
    count = np.diff(np.r_[first, len(junction)])
    ratio = np.where(count > 8, 16, 8)
    per_junction = -(-count // ratio)
    rank = np.arange(len(junction)) - np.repeat(first, count)
    l2_start = np.cumsum(per_junction) - per_junction
    terminal_l2 = np.repeat(l2_start, count) + rank // np.repeat(ratio, count)
    l2_junction = np.repeat(junction[first], per_junction)
    k = np.arange(len(l2_junction)) - np.repeat(l2_start, per_junction)
    l2_xy = streets.nodes[l2_junction] + OFFSETS["telecom"] + np.outer(k, [0.8, 0.8]) + [0.6, 0.6]
    cabinet = np.searchsorted(facilities.cabinets, by_cabinet.root[l2_junction])
    by_reach = np.lexsort((np.arange(len(l2_junction)), by_cabinet.dist[l2_junction], cabinet))
    first_of = np.searchsorted(cabinet[by_reach], cabinet[by_reach])
    slot = (np.arange(len(by_reach)) - first_of) // 8
    l1_key = cabinet[by_reach] * 10_000 + slot
    l1_keys, l1_of = np.unique(l1_key, return_inverse=True)
    l2_l1 = np.empty(len(l2_junction), dtype=int)
    l2_l1[by_reach] = l1_of
    return _Layout(building, terminal_l2, l2_junction, np.repeat(ratio, per_junction), l2_xy,
                   l2_l1, l1_keys // 10_000)


def _splitters(net: TopologyBuilder, layout: _Layout, cabinet: np.ndarray,
               cabinet_ids: np.ndarray, cabinet_xy: np.ndarray, rng: np.random.Generator
               ) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """Level-1 splitters in their cabinets (patched to it), then the level-2 splitters: the
    ``splitters`` layer and the nodes of each level."""
    n1, n2 = len(layout.l1_cabinet), len(layout.l2_junction)
    ids = asset_ids("SPL", n1 + n2)
    slot = np.arange(n1) - np.searchsorted(layout.l1_cabinet, layout.l1_cabinet)
    l1_xy = cabinet_xy[layout.l1_cabinet] + np.outer(slot + 1, [0.0, 0.25])
    l1 = net.add_nodes(l1_xy, "splitter", asset_id=ids[:n1])
    net.add_edges(cabinet[layout.l1_cabinet], l1, "fibre", length_m=1.0)
    l2 = net.add_nodes(layout.l2_xy, "splitter", asset_id=ids[n1:])
    cabinet_id = np.concatenate([cabinet_ids[layout.l1_cabinet], np.full(n2, None)])
    layer = frame(ids, points(np.vstack([l1_xy, layout.l2_xy])),
                  ratio=np.concatenate([np.full(n1, 8), layout.l2_ratio]),
                  split_level=np.repeat([1, 2], [n1, n2]), cabinet_id=cabinet_id,
                  install_year=years(rng, n1 + n2, 2012, 2024),
                  condition=conditions(rng, n1 + n2), source="demo")
    return layer, l1, l2


def _fibres(streets: Streets, forest: Forest, ends: np.ndarray, start_xy: np.ndarray,
            end_xy: np.ndarray) -> np.ndarray:
    """Fibre routes from ``start_xy`` (beside each end's root junction) along the forest's
    streets to junctions ``ends``, then to ``end_xy``: LineStrings (m)."""
    paths = [forest.path(j)[::-1] for j in ends.tolist()]
    coords = np.vstack([np.vstack([start_xy[i], streets.nodes[p] + OFFSETS["telecom"], end_xy[i]])
                        for i, p in enumerate(paths)])
    return shapely.linestrings(coords, indices=np.repeat(np.arange(len(paths)),
                                                         [len(p) + 2 for p in paths]))


def _fibre_frame(feeders: np.ndarray, spans: np.ndarray,
                 rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Feeder cables (96 fibres, in the ducts), then distribution cables (12 fibres, 70 % on
    poles)."""
    n = len(feeders) + len(spans)
    aerial = np.r_[np.zeros(len(feeders), dtype=bool), rng.random(len(spans)) < 0.7]
    return frame(asset_ids("FC", n), np.concatenate([feeders, spans]),
                 fibre_count=np.r_[np.full(len(feeders), 96), np.full(len(spans), 12)],
                 construction=np.where(aerial, "aerial", "duct"),
                 depth_m=np.where(aerial, np.nan, 0.9), install_year=years(rng, n, 2010, 2024),
                 condition=conditions(rng, n), source="demo")


def _terminals(net: TopologyBuilder, buildings: Buildings, layout: _Layout, l2: np.ndarray,
               rng: np.random.Generator) -> gpd.GeoDataFrame:
    """An ONT in each connected building, on a drop from its level-2 splitter."""
    b = layout.building
    xy = shapely.get_coordinates(shapely.centroid(buildings.frame.geometry.to_numpy()[b]))
    ids = asset_ids("ONT", len(b))
    node = net.add_nodes(xy, "consumer", asset_id=ids)
    net.add_edges(l2[layout.terminal_l2], node, "fibre",
                  length_m=buildings.along_m[b] + buildings.facade_m[b] + 5.0)
    use = buildings.frame["use"].to_numpy()[b]
    return frame(ids, points(xy), households=buildings.households[b],
                 service=np.where(np.isin(use, ["residential", "mixed"]), "FTTH", "business"),
                 building_id=buildings.frame["id"].to_numpy()[b],
                 install_year=years(rng, len(b), 2012, 2024), condition=conditions(rng, len(b)),
                 source="demo")


def _olt_ports(layout: _Layout, office_of: np.ndarray, offices: int) -> np.ndarray:
    """PON ports: one per level-1 splitter the office feeds, in cards of 16."""
    per_office = np.bincount(office_of[layout.l1_cabinet], minlength=offices)
    return np.maximum(16 * -(-per_office // 16), 16)


def _ducts(streets: Streets, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """HDPE duct banks (110 mm bores) under every arterial segment, beside the fibre."""
    edge = np.flatnonzero(streets.arterial)
    n = len(edge)
    return frame(asset_ids("DU", n), translate(streets.geoms[edge], OFFSETS["telecom"]),
                 diameter_mm=110.0, ways=choice(rng, [4, 6, 9], n, [3, 2, 1]).astype(int),
                 material="HDPE", depth_m=np.round(rng.uniform(0.8, 1.2, n), 2),
                 install_year=years(rng, n, 2005, 2024), condition=conditions(rng, n),
                 source="demo")
