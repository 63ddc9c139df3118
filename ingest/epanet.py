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

import re
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import wntr
from pyproj import CRS, Transformer
from shapely.geometry import LineString, Point
from sqlalchemy import Connection, Engine
from wntr.epanet.exceptions import EpanetException
from wntr.network import LinkStatus

from ingest._load import write_import
from layers import LAYERS
from twin.city import BAC_GIANG, CityProfile
from twin.errors import InvalidInput
from twin.schema import STORAGE_SRID
from twin.validate import parse_crs, prepare_layer, refuse_outside_world
from twin.write import Dataset, reserve_ids

SOURCE = "epanet"
NETWORK = "water"

Points = dict[str, Point]


def read_epanet(path: str | Path, *, crs: str | None = None,
                city: CityProfile = BAC_GIANG) -> Dataset:
    """The model as a Dataset keyed by ``<type>/<name>`` (no twin ids yet), or InvalidInput.

    ``crs`` is the CRS of [COORDINATES]; without it they are metres placed around ``city``'s
    centre. Nothing is written.
    """
    path = Path(path)
    notes: list[str] = []
    wn, text = _load(path, notes)
    try:
        dataset = _dataset(wn, text, path.name, parse_crs(crs), city, notes)
    except InvalidInput as exc:
        raise exc.in_source(path.name) from None
    return dataset


def _dataset(wn: wntr.network.WaterNetworkModel, text: str, ref: str, crs: CRS | None,
             city: CityProfile, notes: list[str]) -> Dataset:
    _refuse_unplaced(wn, text)
    where, (dx, dy) = _placement(wn, crs, city, notes)
    points = {name: Point(x + dx, y + dy) for name, (x, y) in _coordinates(wn)}
    lines = {name: _line(link, points, dx, dy) for name, link in wn.links()}
    frames = {
        "water_junctions": _frame(_junction_rows(wn, points), where, ref),
        "water_sources": _frame(_reservoir_rows(wn, points), where, ref),
        "water_tanks": _frame(_tank_rows(wn, points), where, ref),
        "water_pipes": _frame(_pipe_rows(wn, lines), where, ref),
        "water_pumps": _frame(_pump_rows(wn, lines), where, ref),
        "water_valves": _frame(_valve_rows(wn, lines), where, ref),
    }
    layers = {name: prepare_layer(LAYERS[name], frame, "")
              for name, frame in frames.items() if frame is not None}
    nodes = _nodes(wn, points, where)
    refuse_outside_world(nodes.geometry.to_crs(STORAGE_SRID), nodes.geometry, "")
    return Dataset(layers=layers, nodes=nodes, edges=_edges(wn), notes=notes + _unmodelled(wn))


def import_epanet_file(engine: Engine, path: str | Path, *, crs: str | None = None
                       ) -> dict[str, int]:
    """Import an EPANET model into the water layers and network, all or nothing; returns rows
    written per table."""
    dataset = read_epanet(path, crs=crs)
    return write_import(engine, dataset, Path(path).name, assign_ids=assign_ids)


def assign_ids(conn: Connection, dataset: Dataset) -> Dataset:
    """The dataset with fresh twin ids (reserved in ``conn``'s transaction) for its keys."""
    assets: dict[str, str] = {}
    layers = {}
    for layer, frame in dataset.layers.items():
        ids = reserve_ids(conn, layer, len(frame))
        assets.update(zip(frame.index, ids, strict=True))
        layers[layer] = frame.assign(id=ids)
    nodes, edges = dataset.nodes, dataset.edges
    if nodes is None or edges is None:
        raise ValueError("assign_ids links a network: the dataset needs nodes and edges")
    node_ids = dict(zip(nodes.index, reserve_ids(conn, f"{NETWORK}:nodes", len(nodes)),
                        strict=True))
    nodes = nodes.assign(id=nodes.index.map(node_ids), asset_id=nodes["asset_id"].map(assets))
    edges = edges.assign(id=reserve_ids(conn, f"{NETWORK}:edges", len(edges)),
                         from_node=edges["from_node"].map(node_ids),
                         to_node=edges["to_node"].map(node_ids),
                         asset_id=edges["asset_id"].map(assets))
    return Dataset(layers=layers, nodes=nodes, edges=edges, notes=dataset.notes)


# -- reading the model ------------------------------------------------------------------------
def _load(path: Path, notes: list[str]) -> tuple[wntr.network.WaterNetworkModel, str]:
    """The model and the file's text. A file WNTR refuses is tried again from repaired temporary
    copies: Latin-1 text made UTF-8, then a [BACKDROP] section left out; each repair is noted."""
    if not path.is_file():
        raise InvalidInput("no such file", source=path.name)
    raw = path.read_bytes()
    try:
        text, latin = raw.decode("utf-8"), False
    except UnicodeDecodeError:
        text, latin = raw.decode("latin-1"), True
    try:
        wn = _parse(path, path.name)
    except InvalidInput as first:
        wn = _repaired(text, latin, path.name, first, notes)
    if not wn.num_nodes:
        raise InvalidInput("holds no network: no junctions, reservoirs or tanks", source=path.name)
    return wn, text


def _repaired(text: str, latin: bool, name: str, first: InvalidInput,
              notes: list[str]) -> wntr.network.WaterNetworkModel:
    encoding = ["the file is not UTF-8: it was read as Latin-1"] if latin else []
    reason = "" if latin else f": {first.rule.removeprefix('not a valid EPANET file: ')}"
    attempts = [(text, encoding)] if latin else []
    without = _without_section(text, "BACKDROP")
    if without != text:
        attempts.append((without, [*encoding, "the [BACKDROP] section (display settings only) "
                                   f"was ignored: WNTR refuses it{reason}"]))
    for variant, repairs in attempts:
        with tempfile.TemporaryDirectory(prefix="twin-epanet-") as folder:
            copy = Path(folder) / name
            copy.write_text(variant, encoding="utf-8")
            try:
                wn = _parse(copy, name)
            except InvalidInput:
                continue
        notes.extend(repairs)
        return wn
    raise first


def _parse(path: Path, name: str) -> wntr.network.WaterNetworkModel:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return wntr.network.WaterNetworkModel(str(path))
    except Exception as exc:  # WNTR raises many kinds of exception on bad input
        raise InvalidInput(f"not a valid EPANET file: {_reason(exc, path)}", source=name) from None


def _reason(exc: BaseException, path: Path) -> str:
    """WNTR's most specific message: the innermost EPANET error in the chain, else its own."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    specific = [e for e in chain if isinstance(e, EpanetException)] or [exc]
    chosen = specific[-1]
    message = str(chosen.args[0]) if chosen.args else str(chosen)
    first = (message.strip().splitlines() or [type(chosen).__name__])[0]
    return first.replace(str(path), path.name)


def _without_section(text: str, section: str) -> str:
    return re.sub(rf"(?ims)^[ \t]*\[{section}\][^\n]*\n.*?(?=^[ \t]*\[|\Z)", "", text)


def _section_names(text: str, section: str) -> set[str]:
    """First words of the data lines of ``[section]``."""
    match = re.search(rf"(?ims)^[ \t]*\[{section}S?\][^\n]*\n(.*?)(?=^[ \t]*\[|\Z)", text)
    lines = match.group(1).splitlines() if match else []
    return {words[0] for line in lines if (words := line.split(";")[0].split())}


def _refuse_unplaced(wn: wntr.network.WaterNetworkModel, text: str) -> None:
    placed = _section_names(text, "COORDINATE")
    missing = [n for n in wn.node_name_list if n not in placed]
    if missing:
        raise InvalidInput(f"node '{missing[0]}' has no [COORDINATES] ({len(missing)} of "
                           f"{wn.num_nodes} nodes have none): the twin must know where each is")


def _coordinates(wn: wntr.network.WaterNetworkModel) -> Iterable[tuple[str, tuple[float, float]]]:
    return ((name, (float(node.coordinates[0]), float(node.coordinates[1])))
            for name, node in wn.nodes())


def _placement(wn: wntr.network.WaterNetworkModel, crs: CRS | None, city: CityProfile,
               notes: list[str]) -> tuple[CRS, tuple[float, float]]:
    """The CRS of the drawing and the shift to apply to it."""
    if crs is not None:
        return crs, (0.0, 0.0)
    xy = np.array([xy for _, xy in _coordinates(wn)]
                  + [v for _, link in wn.links() for v in link.vertices], dtype=float)
    centre = Transformer.from_crs("EPSG:4326", city.metric_crs, always_xy=True).transform(
        city.centre_lon, city.centre_lat)
    middle = (xy.min(axis=0) + xy.max(axis=0)) / 2
    notes.append(f"no --crs: [COORDINATES] were taken as metres in {city.metric_crs} and the "
                 f"model centred on {city.name} ({city.centre_lon}, {city.centre_lat}); give "
                 "--crs if they are real coordinates")
    return CRS.from_user_input(city.metric_crs), (centre[0] - middle[0], centre[1] - middle[1])


def _line(link: Any, points: Points, dx: float, dy: float) -> LineString:
    inner = [(x + dx, y + dy) for x, y in link.vertices]
    return LineString([points[link.start_node_name], *inner, points[link.end_node_name]])


# -- rows of each layer -----------------------------------------------------------------------
Rows = dict[str, dict[str, Any]]


def _frame(rows: Rows, crs: CRS, ref: str) -> gpd.GeoDataFrame | None:
    if not rows:
        return None
    frame = gpd.GeoDataFrame(list(rows.values()), index=pd.Index(list(rows), dtype=object),
                             geometry="geom", crs=crs)
    return frame.assign(source=SOURCE, source_ref=[f"{ref}:{key}" for key in frame.index])


def _junction_rows(wn: Any, points: Points) -> Rows:
    rows = {}
    for name, j in wn.junctions():
        demands = list(j.demand_timeseries_list)
        rows[f"junction/{name}"] = {
            "elevation_m": j.elevation,
            "base_demand_lps": sum(d.base_value for d in demands) * 1000.0,
            "attributes": _attributes(
                demand_patterns=[d.pattern_name for d in demands if d.pattern_name] or None,
                emitter_coefficient=j.emitter_coefficient or None),
            "geom": points[name],
        }
    return rows


def _reservoir_rows(wn: Any, points: Points) -> Rows:
    return {f"reservoir/{name}": {
        "name": name, "source_type": "reservoir", "head_m": r.base_head,
        "attributes": _attributes(head_pattern=r.head_pattern_name), "geom": points[name],
    } for name, r in wn.reservoirs()}


def _tank_rows(wn: Any, points: Points) -> Rows:
    return {f"tank/{name}": {
        "name": name, "elevation_m": t.elevation, "min_level_m": t.min_level,
        "max_level_m": t.max_level, "diameter_m": t.diameter,
        "capacity_m3": float(t.get_volume(t.max_level)),
        "attributes": _attributes(initial_level_m=t.init_level, min_volume_m3=t.min_vol or None,
                                  volume_curve=t.vol_curve_name, overflow=t.overflow or None),
        "geom": points[name],
    } for name, t in wn.tanks()}


def _pipe_rows(wn: Any, lines: dict[str, LineString]) -> Rows:
    headloss = wn.options.hydraulic.headloss
    return {f"pipe/{name}": {
        "diameter_mm": p.diameter * 1000.0, "length_m": p.length, "roughness": p.roughness,
        "normal_state": "closed" if _closed(p) else "open",
        "attributes": _attributes(minor_loss=p.minor_loss or None, check_valve=p.check_valve or None,
                                  headloss_formula=None if headloss == "H-W" else headloss),
        "geom": lines[name],
    } for name, p in wn.pipes()}


def _pump_rows(wn: Any, lines: dict[str, LineString]) -> Rows:
    return {f"pump/{name}": {
        "name": name,
        "power_kw": p.power / 1000.0 if p.pump_type == "POWER" else None,
        "pump_type": p.pump_type,
        "attributes": _attributes(pump_curve=getattr(p, "pump_curve_name", None),
                                  speed=p.base_speed, speed_pattern=p.speed_pattern_name,
                                  initial_status=p.initial_status.name),
        "geom": lines[name].interpolate(0.5, normalized=True),
    } for name, p in wn.pumps()}


def _valve_rows(wn: Any, lines: dict[str, LineString]) -> Rows:
    return {f"valve/{name}": {
        "valve_type": v.valve_type, "diameter_mm": v.diameter * 1000.0,
        "normal_state": "closed" if _closed(v) else "open",
        "attributes": _attributes(initial_status=v.initial_status.name,
                                  setting=getattr(v, "initial_setting", None),
                                  headloss_curve=getattr(v, "headloss_curve_name", None),
                                  minor_loss=v.minor_loss or None),
        "geom": lines[name].interpolate(0.5, normalized=True),
    } for name, v in wn.valves()}


def _closed(link: Any) -> bool:
    return bool(link.initial_status == LinkStatus.Closed)


def _attributes(**values: Any) -> dict[str, Any] | None:
    """The values that are set, as JSON-ready Python values; None when none is."""
    kept = {k: v.item() if isinstance(v, np.generic) else v
            for k, v in values.items() if v is not None}
    return kept or None


# -- topology ---------------------------------------------------------------------------------
_NODE_KINDS = {"Junction": ("junction", "junction", False), "Reservoir": ("reservoir", "source", True),
               "Tank": ("tank", "tank", True)}
"""EPANET node type → (key word in source_ref, the twin's node kind, whether it is a source)."""


def _node_key(node: Any) -> str:
    return f"{_NODE_KINDS[node.node_type][0]}/{node.name}"


def _nodes(wn: Any, points: Points, crs: CRS) -> gpd.GeoDataFrame:
    """One node per EPANET node, keyed like its asset (``junction/2``); reservoirs and tanks are
    sources."""
    keys, rows = [], []
    for name, node in wn.nodes():
        _, kind, is_source = _NODE_KINDS[node.node_type]
        keys.append(_node_key(node))
        rows.append({"network": NETWORK, "asset_id": keys[-1], "kind": kind,
                     "is_source": is_source, "geom": points[name]})
    return gpd.GeoDataFrame(rows, index=pd.Index(keys, dtype=object), geometry="geom", crs=crs)


def _edges(wn: Any) -> pd.DataFrame:
    """One edge per link, from its start node to its end node, keyed like its asset."""
    rows = {}
    for name, link in wn.links():
        kind = link.link_type.lower()
        rows[f"{kind}/{name}"] = {
            "network": NETWORK, "from_node": _node_key(link.start_node),
            "to_node": _node_key(link.end_node), "asset_id": f"{kind}/{name}", "kind": kind,
            "normally_connected": not _closed(link),
            "length_m": float(link.length) if kind == "pipe" else 0.0,
        }
    return pd.DataFrame(list(rows.values()), index=pd.Index(list(rows), dtype=object))


def _unmodelled(wn: Any) -> list[str]:
    counts = {"controls": len(wn.control_name_list), "patterns": len(wn.pattern_name_list),
              "curves": len(wn.curve_name_list)}
    held = [f"{what} ({n})" for what, n in counts.items() if n]
    if not held:
        return []
    listed = ", ".join(held[:-1]) + " and " + held[-1] if len(held) > 1 else held[0]
    return [f"the model's {listed} are not part of the twin; the assets' attributes name the "
            "patterns and curves they use"]
