"""Where the city's plants stand, chosen from the street junctions before anything is built so
that buildings keep clear of their sites: substations, central offices, the water treatment
plant and tank, drainage outfalls, distribution transformers and telecom cabinets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from ingest.demo._geometry import OFFSETS, points, unit
from ingest.demo.site import ALONG, Site
from ingest.demo.streets import Streets

TRANSFORMER_CELL_M = 230.0
"""One distribution transformer per cell of this size: about 110-250 households each."""
CABINET_CELL_M = 450.0
OUTFALL_EVERY_M = 700.0
"""One outfall per this length of river bank."""


@dataclass(frozen=True)
class Facilities:
    """Junctions (indices into ``Streets.nodes``) of each plant, and the points of those that
    stand off the street (EPSG:9214 m)."""

    substations: np.ndarray
    offices: np.ndarray
    plant: int
    plant_xy: np.ndarray
    """The treatment plant, halfway from its junction to the river."""
    tank: int
    tank_xy: np.ndarray
    """The elevated tank, 14 m off its junction away from the centre."""
    outfalls: np.ndarray
    outfall_xy: np.ndarray
    """(k, 2) outfalls, 3 m short of the river's edge."""
    transformers: np.ndarray
    cabinets: np.ndarray

    def keep_clear(self, streets: Streets) -> shapely.Geometry:
        """Ground no building may cover: plant sites and the outfall pipes' way to the river."""
        nodes = streets.nodes
        sites = [
            shapely.buffer(points(nodes[self.substations] + OFFSETS["mv"]), 35.0),
            shapely.buffer(points(nodes[self.offices] + OFFSETS["telecom"]), 25.0),
            shapely.buffer(points(self.plant_xy), 60.0),
            shapely.buffer(shapely.LineString([nodes[self.plant], self.plant_xy]), 10.0),
            shapely.buffer(points(self.tank_xy), 15.0),
            shapely.buffer(shapely.linestrings(np.stack([nodes[self.outfalls], self.outfall_xy],
                                                        axis=1)), 6.0),
        ]
        return shapely.union_all(np.concatenate([np.atleast_1d(s) for s in sites]))


def place_facilities(site: Site, streets: Streets, scale: float) -> Facilities:
    """Plants for a city of ``scale``: about 3 substations and 2 central offices at scale 1."""
    nodes, arterial_nodes = streets.nodes, _arterial_junctions(streets)
    substations = _ring_of(site, nodes, arterial_nodes, max(1, round(3 * scale)), 0.45, 0.3)
    offices = _ring_of(site, nodes, np.setdiff1d(arterial_nodes, substations),
                       max(1, round(2 * scale)), 0.3, 2.0)
    bank_dist = shapely.distance(points(nodes), site.river)
    plant = _plant_junction(site, nodes, bank_dist)
    bank = _bank_point(site, nodes[plant])
    height = site.elevation(nodes[arterial_nodes])
    central = np.hypot(*(nodes[arterial_nodes] - site.centre).T) < 0.6 * site.radius_m
    tank = int(arterial_nodes[np.argmax(np.where(central, height, -np.inf))])
    outward = unit(nodes[[tank]] - site.centre)[0]
    outfalls = _outfall_junctions(site, nodes, bank_dist)
    bank_xy = np.array([_bank_point(site, nodes[o]) for o in outfalls])
    taken = np.concatenate([substations, offices])
    return Facilities(
        substations=substations, offices=offices, plant=plant,
        plant_xy=(nodes[plant] + bank) / 2, tank=tank, tank_xy=nodes[tank] + 14.0 * outward,
        outfalls=outfalls, outfall_xy=bank_xy + unit(nodes[outfalls] - bank_xy) * 3.0,
        transformers=np.setdiff1d(_one_per_cell(nodes, site.centre, TRANSFORMER_CELL_M), taken),
        # cabinet cells are shifted so that cabinets seldom share a junction with transformers
        cabinets=np.setdiff1d(_one_per_cell(nodes, site.centre + 100, CABINET_CELL_M), offices))


def _arterial_junctions(streets: Streets) -> np.ndarray:
    arterial = streets.arterial
    return np.unique(np.concatenate([streets.u[arterial], streets.v[arterial]]))


def _ring_of(site: Site, nodes: np.ndarray, candidates: np.ndarray, count: int,
             reach: float, turn: float) -> np.ndarray:
    """``count`` distinct candidates nearest points spread on a circle of ``reach`` × the city's
    radius (the centre itself for one)."""
    angles = turn + 2 * np.pi * np.arange(count) / count
    radius = reach * site.radius_m if count > 1 else 0.15 * site.radius_m
    targets = site.centre + radius * np.column_stack([np.cos(angles), np.sin(angles)])
    chosen: list[int] = []
    for target in targets:
        free = np.setdiff1d(candidates, chosen)
        chosen.append(int(free[np.argmin(np.hypot(*(nodes[free] - target).T))]))
    return np.array(chosen)


def _plant_junction(site: Site, nodes: np.ndarray, bank_dist: np.ndarray) -> int:
    """The junction near the river bank closest to the centre's reach of the river."""
    near = np.flatnonzero(bank_dist < bank_dist.min() + 150)
    chainage = (nodes[near] - site.centre) @ ALONG
    return int(near[np.argmin(np.abs(chainage))])


def _outfall_junctions(site: Site, nodes: np.ndarray, bank_dist: np.ndarray) -> np.ndarray:
    """One junction per OUTFALL_EVERY_M of bank: the one nearest the river in each stretch."""
    near = np.flatnonzero(bank_dist < bank_dist.min() + 150)
    stretch = np.floor((nodes[near] - site.axis_origin) @ ALONG / OUTFALL_EVERY_M)
    order = np.lexsort((near, bank_dist[near], stretch))
    _, first = np.unique(stretch[order], return_index=True)
    return near[order[first]]


def _bank_point(site: Site, xy: np.ndarray) -> np.ndarray:
    """The point of the river's edge nearest ``xy``."""
    line = shapely.shortest_line(shapely.Point(xy), site.river)
    return shapely.get_coordinates(line)[-1]


def _one_per_cell(nodes: np.ndarray, origin: np.ndarray, cell: float) -> np.ndarray:
    """In each square cell of ``cell`` m holding junctions, the one nearest the cell's centre."""
    index = np.floor((nodes - origin) / cell)
    offset = np.hypot(*(nodes - origin - (index + 0.5) * cell).T)
    key = index[:, 0] * 100_000 + index[:, 1]
    order = np.lexsort((np.arange(len(nodes)), offset, key))
    _, first = np.unique(key[order], return_index=True)
    return np.sort(order[first])
