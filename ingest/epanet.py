"""Importing an EPANET model (.inp) into the water layers and the water network, with WNTR.

``read_epanet`` reads the model into a :class:`twin.write.Dataset` and writes nothing: its frames
are indexed by ``<type>/<name>`` keys (``pipe/7``, ``junction/2``) that the network frames use
for links; ``import_epanet_file`` swaps the keys for fresh twin ids inside its one transaction.

What becomes what (WNTR's SI units: m, m³/s, W):

- junctions → ``water_junctions`` (``elevation_m``; ``base_demand_lps``, the sum of its demand
  categories' base demands, m³/s × 1000) and a ``junction`` node;
- reservoirs → ``water_sources`` (``source_type='reservoir'``, ``head_m``) and a source node;
- tanks → ``water_tanks`` (levels, diameter, ``capacity_m3`` = volume at the maximum level) and a
  source node: a tank feeds the network while it holds water, as EPANET treats it (a fixed-head
  node at any instant), so what a tank can reach counts as supplied; an outage study that cares
  how long must read the tank's capacity;
- pipes → ``water_pipes`` (``diameter_mm``, the model's ``length_m`` and ``roughness``), drawn as
  straight lines through their [VERTICES], and ``pipe`` edges of the model's length;
- pumps → ``water_pumps`` and valves → ``water_valves`` (``valve_type`` PRV/PSV/FCV/TCV/GPV/PBV),
  points halfway along the link, and ``pump`` / ``valve`` edges of length 0.

A link whose initial status is Closed is ``normal_state='closed'`` (pipes, valves) and its edge is
not normally connected; for a pump that is a standby pump. Pump and valve settings, curves,
patterns and check valves are kept in ``attributes``; controls, rules and curves themselves are
not modelled (a note says how many the model had). Rows get ``source='epanet'`` and
``source_ref='<file name>:<type>/<name>'``.

Coordinates: with ``crs`` the [COORDINATES] are taken in that CRS. Without it they are taken as
metres (EPANET drawings are usually schematic) in the city's metric CRS, shifted so that the
model's bounding-box centre sits on the city centre, and a note says so.

Tolerance: a file WNTR refuses is read again from a repaired temporary copy (the file itself is
never changed), with a note for each repair: Latin-1 text (older Spanish or Portuguese models)
made UTF-8, and a [BACKDROP] section (display settings only) that WNTR refuses, such as the Hà
Nội benchmark's ``UNITS Ninguno``, left out. Any other fault is InvalidInput naming the file and
WNTR's reason; nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import wntr
from pyproj import CRS
from shapely.geometry import LineString, Point
from sqlalchemy import Connection, Engine

from ingest._epanet_load import load, refuse_unplaced
from ingest._epanet_rows import (
    NETWORK,
    Points,
    layer_frames,
    network_edges,
    network_nodes,
    unmodelled,
)
from ingest._load import Written, link_ids, write_import
from layers import LAYERS
from twin.city import BAC_GIANG, CityProfile
from twin.errors import InvalidInput
from twin.schema import STORAGE_SRID
from twin.validate import parse_crs, prepare_layer, refuse_outside_world
from twin.write import Dataset

__all__ = ["assign_ids", "import_epanet_file", "read_epanet"]


def read_epanet(path: str | Path, *, crs: str | None = None,
                city: CityProfile = BAC_GIANG, name: str | None = None) -> Dataset:
    """The model as a Dataset keyed by ``<type>/<name>`` (no twin ids yet), or InvalidInput.

    ``crs`` is the CRS of [COORDINATES]; without it they are metres placed around ``city``'s
    centre. ``name`` is the file's name in ``source_ref`` and messages (default: its name on
    disk; an upload is stored under a generated one). Nothing is written.
    """
    path = Path(path)
    name = name or path.name
    notes: list[str] = []
    try:
        wn, text = load(path, notes)
        dataset = _dataset(wn, text, name, parse_crs(crs), city, notes)
    except InvalidInput as exc:
        raise exc.in_source(name) from None
    return dataset


def _dataset(wn: wntr.network.WaterNetworkModel, text: str, ref: str, crs: CRS | None,
             city: CityProfile, notes: list[str]) -> Dataset:
    refuse_unplaced(wn, text)
    where, (dx, dy) = _placement(wn, crs, city, notes)
    points = {name: Point(x + dx, y + dy) for name, (x, y) in _coordinates(wn)}
    lines = {name: _line(link, points, dx, dy) for name, link in wn.links()}
    layers = {name: prepare_layer(LAYERS[name], frame, "")
              for name, frame in layer_frames(wn, points, lines, where, ref).items()}
    nodes = network_nodes(wn, points, where)
    refuse_outside_world(nodes.geometry.to_crs(STORAGE_SRID), nodes.geometry, "")
    return Dataset(layers=layers, nodes=nodes, edges=network_edges(wn),
                   notes=notes + unmodelled(wn))


def import_epanet_file(engine: Engine, path: str | Path, *, crs: str | None = None,
                       on_written: Written | None = None) -> dict[str, int]:
    """Import an EPANET model into the water layers and network, all or nothing; returns rows
    written per table. ``on_written`` runs in that transaction after the rows are written."""
    dataset = read_epanet(path, crs=crs)
    return write_import(engine, dataset, Path(path).name, assign_ids=assign_ids,
                        on_written=on_written)


def assign_ids(conn: Connection, dataset: Dataset) -> Dataset:
    """The dataset with fresh twin ids (reserved in ``conn``'s transaction) for its keys."""
    return link_ids(conn, dataset, NETWORK)[0]


# -- placing the drawing ----------------------------------------------------------------------
def _coordinates(wn: wntr.network.WaterNetworkModel) -> Iterable[tuple[str, tuple[float, float]]]:
    return ((name, (float(node.coordinates[0]), float(node.coordinates[1])))
            for name, node in wn.nodes())


def _placement(wn: wntr.network.WaterNetworkModel, crs: CRS | None, city: CityProfile,
               notes: list[str]) -> tuple[CRS, tuple[float, float]]:
    """The CRS of the drawing and the shift (dx, dy) to apply to it: none with ``crs``, else
    the one that puts the drawing's bounding-box centre on the city centre (metric CRS, m)."""
    if crs is not None:
        return crs, (0.0, 0.0)
    xy = np.array([xy for _, xy in _coordinates(wn)]
                  + [v for _, link in wn.links() for v in link.vertices], dtype=float)
    centre = city.centre_metric()
    middle = (xy.min(axis=0) + xy.max(axis=0)) / 2
    notes.append(f"no --crs: [COORDINATES] were taken as metres in {city.metric_crs} and the "
                 f"model centred on {city.name} ({city.centre_lon}, {city.centre_lat}); give "
                 "--crs if they are real coordinates")
    return CRS.from_user_input(city.metric_crs), (centre[0] - middle[0], centre[1] - middle[1])


def _line(link: Any, points: Points, dx: float, dy: float) -> LineString:
    inner = [(x + dx, y + dy) for x, y in link.vertices]
    return LineString([points[link.start_node_name], *inner, points[link.end_node_name]])
