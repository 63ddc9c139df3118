"""Water supply: the treatment plant on the river (the source) and its pump station, an elevated
tank, mains under the arterials and distribution pipes under the other streets, a junction at
every street junction, isolation valves near junctions, hydrants every 150 m along the mains and a
service connection per building. EPSG:9214 metres.

Pipes follow every street, so the network is looped; a few valves on loop-closing pipes are
normally closed (district meter boundaries), never on the shortest way from the plant, so every
junction and service connection still reaches the source with them shut.
"""

from __future__ import annotations

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
    left_normal,
    point_and_tangent,
    points,
    translate,
    years,
)
from ingest.demo._graph import Forest, nearest_source_forest
from ingest.demo._topology import Part, TopologyBuilder, dependencies
from ingest.demo.buildings import Buildings
from ingest.demo.facilities import Facilities
from ingest.demo.site import Site
from ingest.demo.streets import Streets

HYDRANT_EVERY_M = 150.0
MATERIALS = pd.DataFrame({"roughness": [130.0, 150.0, 150.0, 100.0]},
                         index=["DI", "HDPE", "uPVC", "CI"])
"""Pipe materials and their Hazen-Williams C."""


def build_water(site: Site, streets: Streets, facilities: Facilities, buildings: Buildings,
                lv_node: np.ndarray, rng: np.random.Generator) -> Part:
    """The water network; ``lv_node`` (power node per junction) feeds the pump station."""
    net = TopologyBuilder("water")
    junction_ids = asset_ids("WJ", len(streets.nodes))
    junction = net.add_nodes(streets.nodes + OFFSETS["water"], "junction", asset_id=junction_ids)
    forest = nearest_source_forest(streets, np.array([facilities.plant]))
    plant, plant_pipes = _plant(net, site, streets, facilities, junction, rng)
    pipes = pd.concat([plant_pipes, _street_pipes(site, streets, forest, junction, rng)],
                      ignore_index=True)
    pipes["id"] = asset_ids("WP", len(pipes))
    valves = _valves(net, streets, forest, pipes, rng)
    start = pipes["from_node"].to_numpy().copy()
    start[valves["pipe_row"].to_numpy()] = valves["to_node"].to_numpy()
    net.add_edges(start, pipes["to_node"], "pipe", asset_id=pipes["id"].to_numpy(),
                  length_m=pipes["length_m"].to_numpy())
    connections = _connections(net, buildings, junction, rng)
    demand = np.bincount(buildings.node, connections["demand_m3_per_day"].to_numpy(),
                         minlength=len(streets.nodes))
    layers = {
        **plant,
        "water_pipes": frame_of_rows(pipes.drop(columns=["from_node", "to_node", "edge"])),
        "water_valves": _valve_frame(valves, pipes, rng),
        "water_junctions": frame(junction_ids, points(streets.nodes + OFFSETS["water"]),
                                 elevation_m=site.elevation(streets.nodes),
                                 base_demand_lps=np.round(demand / 86.4, 3),
                                 depth_m=np.round(rng.uniform(1.0, 1.5, len(streets.nodes)), 2),
                                 source="demo"),
        "hydrants": _hydrants(net, streets, junction, rng),
        "water_service_connections": connections,
    }
    pump_power = dependencies(layers["water_pumps"]["id"].to_numpy(), "water_pumps",
                              lv_node[[facilities.plant]], "power", 0.0)
    return Part(layers, net.build(), pump_power)


def _plant(net: TopologyBuilder, site: Site, streets: Streets, facilities: Facilities,
           junction: np.ndarray, rng: np.random.Generator
           ) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame]:
    """The treatment plant (the source), its pump (source → pump outlet) and the DN500 trunk
    main to the street; the elevated tank on its DN300 pipe. Their layers, and the two pipes."""
    street_xy = streets.nodes[facilities.plant] + OFFSETS["water"]
    pump_xy = facilities.plant_xy + 0.3 * (street_xy - facilities.plant_xy)
    source = net.add_nodes(facilities.plant_xy, "source", asset_id="WS-000001", is_source=True)
    outlet = net.add_nodes(pump_xy, "junction")
    net.add_edges(source, outlet, "pump", asset_id="WPU-000001")
    tank_xy = facilities.tank_xy
    tank = net.add_nodes(tank_xy, "tank", asset_id="WT-000001", is_source=True)
    ground = site.elevation(np.array([tank_xy, facilities.plant_xy]))
    pipes = pd.DataFrame({
        "geom": [shapely.LineString([pump_xy, street_xy]),
                 shapely.LineString([streets.nodes[facilities.tank] + OFFSETS["water"], tank_xy])],
        "from_node": [outlet[0], junction[facilities.tank]],
        "to_node": [junction[facilities.plant], tank[0]], "edge": -1,
        "diameter_mm": [500.0, 300.0], "material": "DI", "depth_m": [1.8, 1.5],
        "roughness": 130.0, "normal_state": "open", "install_year": [2005, 2012],
        "condition": "good", "source": "demo"})
    pipes["length_m"] = np.round(shapely.length(pipes["geom"].to_numpy()), 2)
    layers = {
        "water_sources": frame(np.array(["WS-000001"]), points(facilities.plant_xy),
                               name=["Nhà máy nước Bắc Giang"], source_type="treatment_plant",
                               head_m=ground[1] + 30.0, capacity_m3_per_day=50000.0,
                               install_year=1998, condition="good", source="demo"),
        "water_pumps": frame(np.array(["WPU-000001"]), points(pump_xy),
                             name=["Trạm bơm cấp II"], power_kw=250.0, pump_type="POWER",
                             install_year=2010, condition="good", source="demo"),
        "water_tanks": frame(np.array(["WT-000001"]), points(tank_xy), name=["Đài nước số 1"],
                             elevation_m=ground[0] + 25.0, min_level_m=1.0, max_level_m=8.0,
                             diameter_m=12.0, capacity_m3=round(np.pi * 36 * 8),
                             install_year=2012, condition=conditions(rng, 1), source="demo"),
    }
    return layers, pipes


def _street_pipes(site: Site, streets: Streets, forest: Forest, junction: np.ndarray,
                  rng: np.random.Generator) -> pd.DataFrame:
    """A pipe under every street segment: mains DN250-400 (larger near the plant, ductile iron
    or HDPE, 1.2-2 m deep) under arterials, DN110-160 elsewhere (0.8-1.2 m deep)."""
    n = len(streets.u)
    main = streets.arterial
    near = np.minimum(forest.dist[streets.u], forest.dist[streets.v]) / site.radius_m
    diameter = np.where(main, np.select([near < 0.4, near < 0.8], [400.0, 300.0], 250.0),
                        choice(rng, [110.0, 160.0], n, [2, 1]).astype(float))
    material = np.where(main, choice(rng, ["DI", "HDPE"], n, [3, 2]),
                        choice(rng, ["HDPE", "uPVC", "CI"], n, [55, 35, 10]))
    last_year = np.where(material == "CI", 1995, 2024)
    return pd.DataFrame({
        "geom": translate(streets.geoms, OFFSETS["water"]), "from_node": junction[streets.u],
        "to_node": junction[streets.v], "edge": np.arange(n), "diameter_mm": diameter,
        "material": material,
        "depth_m": np.round(np.where(main, rng.uniform(1.2, 2.0, n), rng.uniform(0.8, 1.2, n)), 2),
        "roughness": MATERIALS.loc[material, "roughness"].to_numpy(), "normal_state": "open",
        "install_year": np.minimum(years(rng, n, 1975, 2024), last_year),
        "condition": conditions(rng, n), "source": "demo",
        "length_m": np.round(streets.length, 2)})


def _valves(net: TopologyBuilder, streets: Streets, forest: Forest, pipes: pd.DataFrame,
            rng: np.random.Generator) -> pd.DataFrame:
    """Isolation valves 3 m into street pipes from their starting junction (on 95 % of mains,
    80 % of other pipes), each an edge junction → valve node, the pipe then starting at the valve
    node; about 4 % of those on loop-closing pipes (at least one) are normally closed.

    So dense that a break shuts in a junction and its pipes, not a district: with fewer valves
    the pipes without one join up across the grid (bond percolation past one half) and one valve
    segment holds most of the city."""
    rows = np.flatnonzero(pipes["edge"].to_numpy() >= 0)
    edge = pipes["edge"].to_numpy()[rows]
    has = rng.random(len(edge)) < np.where(streets.arterial[edge], 0.95, 0.8)
    rows, edge = rows[has], edge[has]
    along = np.minimum(3.0, streets.length[edge] / 3)
    xy, _ = point_and_tangent(pipes["geom"].to_numpy()[rows], along)
    node = net.add_nodes(xy, "junction")
    loop = ~forest.is_tree_edge(streets)[edge]
    closed = loop & (rng.random(len(edge)) < 0.04)
    if loop.any() and not closed.any():
        closed[np.flatnonzero(loop)[0]] = True
    ids = asset_ids("WV", len(rows))
    net.add_edges(pipes["from_node"].to_numpy()[rows], node, "valve", asset_id=ids,
                  connected=~closed)
    return pd.DataFrame({"id": ids, "pipe_row": rows, "to_node": node, "geom": points(xy),
                         "normal_state": np.where(closed, "closed", "open")})


def _valve_frame(valves: pd.DataFrame, pipes: pd.DataFrame,
                 rng: np.random.Generator) -> gpd.GeoDataFrame:
    pipe = pipes.iloc[valves["pipe_row"].to_numpy()]
    n = len(valves)
    return frame(valves["id"].to_numpy(), valves["geom"].to_numpy(),
                 valve_type=np.where(pipe["diameter_mm"] >= 300, "butterfly", "gate"),
                 diameter_mm=pipe["diameter_mm"].to_numpy(),
                 normal_state=valves["normal_state"].to_numpy(), pipe_id=pipe["id"].to_numpy(),
                 depth_m=pipe["depth_m"].to_numpy(), install_year=pipe["install_year"].to_numpy(),
                 condition=conditions(rng, n), source="demo")


def _hydrants(net: TopologyBuilder, streets: Streets, junction: np.ndarray,
              rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Pillar hydrants every HYDRANT_EVERY_M m of each arterial (counted along the whole street,
    across junctions), 1 m beside the main, on a lateral from its nearer junction."""
    edge = np.flatnonzero(streets.arterial)
    line = streets.lines[streets.line_of[edge]]
    geoms = streets.geoms[edge]
    s_a = shapely.line_locate_point(line, shapely.get_point(geoms, 0))
    s_b = shapely.line_locate_point(line, shapely.get_point(geoms, -1))
    lo = np.floor((np.minimum(s_a, s_b) - HYDRANT_EVERY_M / 2) / HYDRANT_EVERY_M)
    hi = np.floor((np.maximum(s_a, s_b) - HYDRANT_EVERY_M / 2) / HYDRANT_EVERY_M)
    count = (hi - lo).astype(int)
    which = np.repeat(np.arange(len(edge)), count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + 1
    chainage = (lo[which] + k) * HYDRANT_EVERY_M + HYDRANT_EVERY_M / 2
    along = np.abs(chainage - s_a[which])
    pipe = translate(geoms[which], OFFSETS["water"])
    xy, tangent = point_and_tangent(pipe, along)
    xy = xy + left_normal(tangent)
    length = streets.length[edge[which]]
    near_start = along < length / 2
    ids = asset_ids("HYD", len(xy))
    node = net.add_nodes(xy, "hydrant", asset_id=ids)
    ends = np.where(near_start, streets.u[edge[which]], streets.v[edge[which]])
    net.add_edges(junction[ends], node, "pipe", length_m=np.where(near_start, along,
                                                                  length - along) + 1.0)
    n = len(ids)
    return frame(ids, points(xy), hydrant_type="pillar", diameter_mm=100.0,
                 install_year=years(rng, n, 1995, 2024), condition=conditions(rng, n),
                 source="demo")


def _connections(net: TopologyBuilder, buildings: Buildings, junction: np.ndarray,
                 rng: np.random.Generator) -> gpd.GeoDataFrame:
    """A metered connection 1.2 m in front of each building on a service pipe from the junction
    its frontage is nearer to; 0.45 m³/day a household, 1-3 m³/day for other uses."""
    n = len(buildings.households)
    xy = buildings.at_facade(1.2)
    ids = asset_ids("WSC", n)
    node = net.add_nodes(xy, "consumer", asset_id=ids)
    net.add_edges(junction[buildings.node], node, "pipe",
                  length_m=buildings.along_m + buildings.facade_m)
    residential = np.isin(buildings.frame["use"].to_numpy(), ["residential", "mixed"])
    demand = np.where(residential, buildings.households * 0.45, rng.uniform(1.0, 3.0, n))
    return frame(ids, points(xy), customers=buildings.households,
                 demand_m3_per_day=np.round(demand, 2),
                 building_id=buildings.frame["id"].to_numpy(),
                 install_year=years(rng, n, 1995, 2024), condition=conditions(rng, n),
                 source="demo")
