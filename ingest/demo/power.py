"""Power distribution: 110/22 kV substations, radial 22 kV feeders along the streets (mostly the
arterials) with breakers at their heads, sectionalisers along them and one normally-open tie
between each pair of neighbouring feeders; 22/0.4 kV transformers feeding radial LV networks,
which supply the buildings' service points and the lighting circuits. EPSG:9214 metres.

In the normal state (ties open) the network is a forest: each tree holds exactly one substation
(its source), and every service point, transformer and lighting circuit lies in one. Feeders and LV
networks follow the shortest streets from their source (feeders prefer arterials 3:1); within
0.35 of the city's radius of the centre lines are underground cables, elsewhere overhead on poles.
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
    frame_of_rows,
    points,
    stations,
    translate,
    years,
)
from ingest.demo._graph import Forest, nearest_source_forest
from ingest.demo._topology import Part, TopologyBuilder
from ingest.demo.buildings import Buildings
from ingest.demo.facilities import Facilities
from ingest.demo.site import Site
from ingest.demo.streets import Streets

TRANSFORMER_KVA = np.array([160, 250, 320, 400, 560, 630])
SECTIONALISE_EVERY = 6
"""A sectionaliser on the arterial segments this many segments down a feeder, and every as many
after that."""


@dataclass(frozen=True)
class Power:
    """The power part and, per street junction, the local numbers of the nodes that feed it."""

    part: Part
    lv_node: np.ndarray
    """The LV network node at each junction."""
    circuit_node: np.ndarray
    """The lighting circuit node (of the transformer whose LV network reaches the junction)."""
    poles: gpd.GeoDataFrame
    """Poles of the overhead lines, not yet numbered (ids follow the lighting poles')."""


@dataclass(frozen=True)
class _Feeders:
    """The MV tree: which junctions it reaches, the feeder (root's child) each lies on."""

    forest: Forest
    reached: np.ndarray
    feeder: np.ndarray


def build_power(site: Site, streets: Streets, facilities: Facilities, buildings: Buildings,
                rng: np.random.Generator) -> Power:
    """Substations, MV and LV networks, transformers, switches and service points."""
    net = TopologyBuilder("power")
    feeders = _feeders(streets, facilities)
    mv_node, substations = _mv_nodes(net, streets, feeders, rng)
    underground = np.hypot(*(streets.nodes - site.centre).T) < 0.35 * site.radius_m
    mv_lines, switches = _mv_edges(net, streets, feeders, mv_node, underground, rng)
    lv = nearest_source_forest(streets, facilities.transformers)
    lv_node = net.add_nodes(streets.nodes + OFFSETS["lv"], "bus")
    lv_lines = _lv_lines(streets, lv, lv_node, underground, rng)
    service = _service_points(net, buildings, lv_node, rng)
    demand = np.bincount(lv.root[buildings.node], weights=service["demand_kw"].to_numpy(),
                         minlength=len(streets.nodes))
    transformers = _transformers(net, streets, facilities.transformers, mv_node, lv_node,
                                 demand, underground, rng)
    circuit = net.add_nodes(streets.nodes[facilities.transformers] + OFFSETS["lv"] + [1.5, 0],
                            "lighting_circuit")
    net.add_edges(lv_node[facilities.transformers], circuit, "cable", length_m=1.5)
    circuit_of = np.full(len(streets.nodes), -1)
    circuit_of[facilities.transformers] = circuit
    lines = pd.concat([mv_lines, lv_lines], ignore_index=True)
    lines["id"] = asset_ids("PL", len(lines))
    net.add_edges(lines.pop("from_node"), lines.pop("to_node"),
                  np.where(lines["construction"] == "overhead", "line", "cable"),
                  asset_id=lines["id"].to_numpy(), length_m=shapely.length(lines["geom"]))
    layers = {"substations": substations, "power_lines": frame_of_rows(lines), "transformers":
              transformers, "power_switches": switches, "service_points": service}
    return Power(Part(layers, net.build()), lv_node, circuit_of[lv.root],
                 _poles(lines, rng))


def _feeders(streets: Streets, facilities: Facilities) -> _Feeders:
    """Shortest paths from the substations (arterials cost a third) to every transformer and
    along every arterial."""
    weight = streets.length * np.where(streets.arterial, 1.0, 3.0)
    forest = nearest_source_forest(streets, facilities.substations, weight)
    arterial = streets.arterial
    wanted = np.concatenate([facilities.transformers, streets.u[arterial], streets.v[arterial]])
    reached = np.zeros(len(streets.nodes), dtype=bool)
    for node in np.unique(wanted).tolist():
        while node >= 0 and not reached[node]:
            reached[node] = True
            node = forest.parent[node]
    feeder = np.full(len(streets.nodes), -1)
    for node in forest.order.tolist():
        parent = forest.parent[node]
        if reached[node] and parent >= 0:
            feeder[node] = node if forest.parent[parent] < 0 else feeder[parent]
    return _Feeders(forest, reached, feeder)


def _mv_nodes(net: TopologyBuilder, streets: Streets, feeders: _Feeders,
              rng: np.random.Generator) -> tuple[np.ndarray, gpd.GeoDataFrame]:
    """Substation nodes (the sources), then the MV bus at every junction the feeders reach."""
    mv_node = np.full(len(streets.nodes), -1)
    roots = np.flatnonzero((feeders.forest.parent < 0) & feeders.reached)
    xy = streets.nodes[roots] + OFFSETS["mv"]
    ids = asset_ids("SUB", len(roots))
    mv_node[roots] = net.add_nodes(xy, "substation", asset_id=ids, is_source=True)
    buses = np.flatnonzero(feeders.reached & (feeders.forest.parent >= 0))
    mv_node[buses] = net.add_nodes(streets.nodes[buses] + OFFSETS["mv"], "bus")
    names = [f"Trạm 110 kV Bắc Giang {k + 1}" for k in range(len(roots))]
    substations = frame(ids, points(xy), name=names, primary_kv=110.0, secondary_kv=22.0,
                        capacity_kva=choice(rng, [40000.0, 63000.0], len(roots), [1, 1]) * 2,
                        install_year=years(rng, len(roots), 1995, 2020),
                        condition=conditions(rng, len(roots)), source="demo")
    return mv_node, substations


def _mv_edges(net: TopologyBuilder, streets: Streets, feeders: _Feeders, mv_node: np.ndarray,
              underground: np.ndarray, rng: np.random.Generator
              ) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """MV lines down each feeder, breakers at the heads, sectionalisers, and tie lines with
    their normally-open switches. Lines keep their end nodes as ``from_node``/``to_node``."""
    forest = feeders.forest
    child = np.flatnonzero(feeders.reached & (forest.parent >= 0))
    parent, edge = forest.parent[child], forest.edge[child]
    start = mv_node[parent].copy()
    head = forest.parent[parent] < 0
    breakers = _series_switches(net, streets, parent[head], edge[head], start[head], "breaker")
    start[head] = breakers["to_node"]
    cut = ~head & streets.arterial[edge] & (forest.depth[child] % SECTIONALISE_EVERY == 0)
    sections = _series_switches(net, streets, parent[cut], edge[cut], start[cut], "load_break")
    start[cut] = sections["to_node"]
    lines = _lines(streets, edge, parent, start, mv_node[child], "MV", underground, rng)
    tie_lines, ties = _ties(net, streets, feeders, mv_node, underground, rng)
    switches = pd.concat([breakers, sections, ties], ignore_index=True)
    switches["id"] = asset_ids("SW", len(switches))
    net.add_edges(switches.pop("from_node"), switches.pop("to_node"), "switch",
                  asset_id=switches["id"].to_numpy(),
                  connected=(switches["normal_state"] == "closed").to_numpy())
    switches["install_year"] = years(rng, len(switches), 2000, 2024)
    switches["condition"] = conditions(rng, len(switches))
    return pd.concat([lines, tie_lines], ignore_index=True), frame_of_rows(switches)


def _series_switches(net: TopologyBuilder, streets: Streets, at: np.ndarray, edge: np.ndarray,
                     from_node: np.ndarray, switch_type: str) -> pd.DataFrame:
    """Closed switches 4 m down ``edge`` from junction ``at``, each with a new node after it."""
    xy = _towards(streets, edge, at, 4.0) + OFFSETS["mv"]
    to_node = net.add_nodes(xy, "bus")
    return pd.DataFrame({"from_node": from_node, "to_node": to_node, "geom": points(xy),
                         "switch_type": switch_type, "normal_state": "closed", "is_tie": False,
                         "voltage_level": "MV", "source": "demo"})


def _ties(net: TopologyBuilder, streets: Streets, feeders: _Feeders, mv_node: np.ndarray,
          underground: np.ndarray, rng: np.random.Generator
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Between each pair of feeders that meet along a street segment, on the shortest such
    segment: a tie line from one end and a normally-open switch 4 m before the other end."""
    u, v = streets.u, streets.v
    feeder = feeders.feeder
    candidate = (feeder[u] >= 0) & (feeder[v] >= 0) & (feeder[u] != feeder[v])
    candidate &= ~feeders.forest.is_tree_edge(streets)
    edges = np.flatnonzero(candidate)
    pair = np.sort(np.column_stack([feeder[u[edges]], feeder[v[edges]]]), axis=1)
    order = np.lexsort((edges, streets.length[edges], pair[:, 1], pair[:, 0]))
    _, first = np.unique(pair[order], axis=0, return_index=True)
    edges = np.sort(edges[order[first]])
    xy = _towards(streets, edges, v[edges], 4.0) + OFFSETS["mv"]
    middle = net.add_nodes(xy, "bus")
    lines = _lines(streets, edges, u[edges], mv_node[u[edges]], middle, "MV", underground, rng)
    ties = pd.DataFrame({"from_node": middle, "to_node": mv_node[v[edges]], "geom": points(xy),
                         "switch_type": "load_break", "normal_state": "open", "is_tie": True,
                         "voltage_level": "MV", "source": "demo"})
    return lines, ties


def _towards(streets: Streets, edge: np.ndarray, at: np.ndarray, distance: float) -> np.ndarray:
    """Points ``distance`` m (at most a third of the way) along segments from their end ``at``."""
    length = streets.length[edge]
    along = np.minimum(distance, length / 3)
    along = np.where(streets.u[edge] == at, along, length - along)
    return shapely.get_coordinates(shapely.line_interpolate_point(streets.geoms[edge], along))


def _lines(streets: Streets, edge: np.ndarray, first: np.ndarray, from_node: np.ndarray,
           to_node: np.ndarray, level: str, underground: np.ndarray,
           rng: np.random.Generator) -> pd.DataFrame:
    """Power line rows along street segments ``edge``, drawn from junction ``first`` onwards."""
    offset = OFFSETS["mv" if level == "MV" else "lv"]
    geoms = translate(streets.geoms[edge], offset)
    geoms = np.where(streets.u[edge] == first, geoms, shapely.reverse(geoms))
    buried = underground[streets.u[edge]] & underground[streets.v[edge]]
    spec = {("MV", False): ("AC-185", 510.0), ("MV", True): ("Cu/XLPE 3x240", 420.0),
            ("LV", False): ("ABC 4x95", 240.0), ("LV", True): ("Cu/XLPE 4x120", 300.0)}
    conductor = np.array([spec[(level, b)][0] for b in buried], dtype=object)
    current = np.array([spec[(level, b)][1] for b in buried])
    return pd.DataFrame({
        "from_node": from_node, "to_node": to_node, "geom": geoms, "voltage_level": level,
        "voltage_kv": 22.0 if level == "MV" else 0.4,
        "construction": np.where(buried, "underground", "overhead"), "conductor": conductor,
        "rated_current_a": current,
        "depth_m": np.where(buried, np.round(rng.uniform(0.7, 1.2, len(edge)), 2), np.nan),
        "install_year": years(rng, len(edge), 1995, 2024),
        "condition": conditions(rng, len(edge)), "source": "demo"})


def _lv_lines(streets: Streets, lv: Forest, lv_node: np.ndarray,
              underground: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """LV lines along the shortest streets from each transformer: radial LV networks."""
    child = np.flatnonzero(lv.parent >= 0)
    parent = lv.parent[child]
    return _lines(streets, lv.edge[child], parent, lv_node[parent], lv_node[child], "LV",
                  underground, rng)


def _service_points(net: TopologyBuilder, buildings: Buildings, lv_node: np.ndarray,
                    rng: np.random.Generator) -> gpd.GeoDataFrame:
    """A service point on each building's facade, fed from the LV node of the junction its
    frontage is nearer to; demand 1.2-2.5 kW a household (commercial 3-8 kW)."""
    n = len(buildings.households)
    xy = buildings.at_facade(0.3)
    ids = asset_ids("SP", n)
    node = net.add_nodes(xy, "consumer", asset_id=ids)
    net.add_edges(lv_node[buildings.node], node, "cable",
                  length_m=buildings.along_m + buildings.facade_m)
    commercial = (buildings.frame["use"] != "residential").to_numpy()
    demand = buildings.households * np.where(commercial, rng.uniform(3, 8, n),
                                             rng.uniform(1.2, 2.5, n))
    return frame(ids, points(xy), customers=buildings.households, demand_kw=np.round(demand, 1),
                 building_id=buildings.frame["id"].to_numpy(),
                 install_year=years(rng, n, 1995, 2024), condition=conditions(rng, n),
                 source="demo")


def _transformers(net: TopologyBuilder, streets: Streets, at: np.ndarray, mv_node: np.ndarray,
                  lv_node: np.ndarray, demand_kw: np.ndarray, underground: np.ndarray,
                  rng: np.random.Generator) -> gpd.GeoDataFrame:
    """22/0.4 kV transformers at junctions ``at``, between the MV and LV buses there, sized for
    the demand (kW, by LV root junction) of the LV network they feed: diversity 0.5, pf 0.9."""
    ids = asset_ids("TR", len(at))
    net.add_edges(mv_node[at], lv_node[at], "transformer", asset_id=ids)
    size = np.searchsorted(TRANSFORMER_KVA, demand_kw[at] * 0.5 / 0.9)
    capacity = TRANSFORMER_KVA[np.minimum(size, len(TRANSFORMER_KVA) - 1)].astype(float)
    mounting = np.where(underground[at], "kiosk", np.where(capacity <= 400, "pole", "pad"))
    return frame(ids, points(streets.nodes[at] + OFFSETS["lv"]), capacity_kva=capacity,
                 primary_kv=22.0, secondary_kv=0.4, mounting=mounting,
                 install_year=years(rng, len(at), 2000, 2024),
                 condition=conditions(rng, len(at)), source="demo")


def _poles(lines: pd.DataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Concrete poles along the overhead lines: MV 14 m every 45 m, LV 8.5 m every 35 m."""
    overhead = lines[lines["construction"] == "overhead"]
    mv = (overhead["voltage_level"] == "MV").to_numpy()
    at = stations(overhead["geom"].to_numpy(), np.where(mv, 45.0, 35.0))
    n = len(at.line)
    return frame(np.full(n, None), points(at.xy), height_m=np.where(mv[at.line], 14.0, 8.5),
                 material="concrete", purpose="power", install_year=years(rng, n, 1995, 2024),
                 condition=conditions(rng, n), source="demo")
