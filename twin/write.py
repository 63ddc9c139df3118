"""Bulk, atomic writes of layers and topology: validate, then COPY, in the caller's transaction.

Every importer and the demo write through here, so the rules at the boundary (CRS, geometry type
and validity, known columns, unique ids) hold for all of them. Frames are indexed by whatever
names a row to the user (a file row number, an OSM id): errors quote that label.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geoalchemy2 import Geometry
from sqlalchemy import Boolean, Connection, Date, Integer, Table, text
from sqlalchemy.dialects.postgresql import JSONB

from layers import EDGE_PREFIX, LAYERS, NODE_PREFIX, TOPOLOGY_TABLES, LayerSpec, get_layer
from twin.errors import InvalidInput
from twin.progress import Report
from twin.schema import STORAGE_SRID, asset_id, metadata
from twin.validate import check_columns, check_ids, check_values, prepare_layer, to_storage_crs


@dataclass
class Dataset:
    """What an importer or the demo hands to the twin: layers, then topology, written together.

    ``layers`` maps layer names to GeoDataFrames (columns as in the layer's table); ``nodes``,
    ``edges`` and ``dependencies`` have the columns of ``layers.network``'s tables. ``notes`` are
    told to the user after the write (e.g. what the source held that the twin does not model).
    """

    layers: dict[str, gpd.GeoDataFrame]
    nodes: gpd.GeoDataFrame | None = None
    edges: pd.DataFrame | None = None
    dependencies: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def table_count(self) -> int:
        """How many tables a write of this dataset fills (the steps of its progress bar)."""
        topology = (self.nodes, self.edges, self.dependencies)
        return len(self.layers) + sum(1 for frame in topology if frame is not None and len(frame))


def write_dataset(conn: Connection, dataset: Dataset, report: Report | None = None) -> dict[str, int]:
    """Write a whole dataset in the caller's transaction: all of it, or (on error) none of it."""
    written = write_layers(conn, dataset.layers, report)
    written.update(write_topology(conn, dataset.nodes, dataset.edges, dataset.dependencies,
                                  report))
    return written


def reserve_ids(conn: Connection, kind: str, count: int) -> list[str]:
    """``count`` fresh ids for a layer (``luminaires``) or a network's nodes or edges
    (``water:nodes``, ``water:edges``), for importers that must link rows before writing them."""
    network, _, what = kind.partition(":")
    if what:
        if network not in NODE_PREFIX or what not in ("nodes", "edges"):
            raise InvalidInput(f"no ids of kind '{kind}': give a layer or NETWORK:nodes|edges")
        prefix = (NODE_PREFIX if what == "nodes" else EDGE_PREFIX)[network]
        sequence = f"network_{what}_id_seq"
    else:
        spec = get_layer(kind)
        if spec.prefix is None:
            raise InvalidInput(f"layer '{kind}' has no numbered ids")
        prefix, sequence = spec.prefix, f"{kind}_id_seq"
    numbers = conn.execute(text("SELECT nextval(CAST(:sequence AS regclass)) "
                                "FROM generate_series(1, :count)"),
                           {"sequence": sequence, "count": int(count)}).scalars().all()
    return [asset_id(prefix, n) for n in numbers]


def write_layers(conn: Connection, frames: Mapping[str, gpd.GeoDataFrame],
                 report: Report | None = None) -> dict[str, int]:
    """Validate and COPY each layer's frame into its table; returns rows written per layer.

    Frames may omit ``id`` (the database numbers new assets) and any nullable column. Referenced
    tables are written first. Wards are then assigned to the new rows that lack one.
    """
    ready = {name: prepare_layer(get_layer(name), frame) for name, frame in frames.items()}
    written: dict[str, int] = {}
    for table in metadata.sorted_tables:
        if table.name in ready:
            written[table.name] = copy_rows(conn, table, ready[table.name])
            if report:
                report(table.name, written[table.name])
    advance_id_sequences(conn, [LAYERS[name] for name in ready])
    if "wards" in ready:  # new or changed wards: every asset's ward is worked out again
        assign_wards(conn, list(LAYERS.values()), every_row=True)
    else:
        assign_wards(conn, [LAYERS[name] for name in ready])
    return written


def write_topology(conn: Connection, nodes: gpd.GeoDataFrame | None = None,
                   edges: pd.DataFrame | None = None,
                   dependencies: pd.DataFrame | None = None,
                   report: Report | None = None) -> dict[str, int]:
    """COPY network nodes, edges and cross-network dependencies (columns as in layers.network)."""
    written = {}
    for table, frame in zip(TOPOLOGY_TABLES, (nodes, edges, dependencies), strict=True):
        if frame is not None and len(frame):
            check_columns(table, frame)
            check_ids(frame)
            check_values(frame, table)
            if isinstance(frame, gpd.GeoDataFrame):
                frame = to_storage_crs(frame, table.name)
            written[table.name] = copy_rows(conn, table, frame)
            if report:
                report(table.name, written[table.name])
    for table in TOPOLOGY_TABLES[:2]:
        if table.name in written:
            _advance_sequence(conn, f"{table.name}_id_seq", table.name, "[A-Z]+")
    return written


def copy_rows(conn: Connection, table: Table, frame: pd.DataFrame) -> int:
    """COPY ``frame`` into ``table`` as CSV with EWKB geometry, inside the caller's transaction."""
    if not len(frame):
        return 0
    columns = list(frame.columns)
    out = pd.DataFrame(index=frame.index)
    for name in columns:
        out[name] = _csv_values(table.columns[name].type, frame[name])
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, header=False)
    quoted = ", ".join(f'"{c}"' for c in columns)
    raw = conn.connection.driver_connection
    assert raw is not None  # a checked-out connection always has its driver connection
    with raw.cursor() as cursor, cursor.copy(
        f'COPY "{table.name}" ({quoted}) FROM STDIN (FORMAT csv)'
    ) as copy:
        copy.write(buffer.getvalue())
    return len(frame)


def _csv_values(sql_type: object, values: pd.Series) -> pd.Series:
    if isinstance(sql_type, Geometry):
        geoms = shapely.set_srid(np.asarray(values, dtype=object), STORAGE_SRID)
        return pd.Series(shapely.to_wkb(geoms, hex=True, include_srid=True), index=values.index)
    if isinstance(sql_type, JSONB):
        return values.map(lambda v: None if v is None or v != v else json.dumps(v,
                                                                                ensure_ascii=False))
    if isinstance(sql_type, Integer):
        return values.astype("Int64")
    if isinstance(sql_type, Boolean):
        return values.astype("boolean")
    if isinstance(sql_type, Date):
        return pd.to_datetime(values).dt.strftime("%Y-%m-%d")
    return values


def advance_id_sequences(conn: Connection, specs: list[LayerSpec]) -> None:
    """After rows with explicit ids, move each id sequence past the highest number in use."""
    for spec in specs:
        if spec.prefix is not None:
            _advance_sequence(conn, f"{spec.name}_id_seq", spec.name, spec.prefix)


def _advance_sequence(conn: Connection, sequence: str, table: str, prefix_pattern: str) -> None:
    conn.exec_driver_sql(
        f"SELECT setval('{sequence}', GREATEST("
        f"(SELECT max(substring(id FROM '-([0-9]+)$')::bigint) FROM \"{table}\" "
        f"WHERE id ~ '^{prefix_pattern}-[0-9]+$'), "
        f"(SELECT last_value FROM \"{sequence}\"), 1))"
    )


def assign_wards(conn: Connection, specs: list[LayerSpec], every_row: bool = False) -> None:
    """Give assets the ward that holds their point (a line's midpoint, a polygon's point on
    surface; the lowest code where that point is on a boundary), so that each counts in exactly
    one ward; residential groups too (every layer with a ``ward_code``). Only rows without a
    ward, unless ``every_row``."""
    for spec in specs:
        if "ward_code" not in spec.table.c:
            continue
        anchor = {
            "Point": "a.geom",
            "LineString": "ST_LineInterpolatePoint(a.geom, 0.5)",
        }.get(spec.geometry_type, "ST_PointOnSurface(a.geom)")
        conn.exec_driver_sql(
            f'UPDATE "{spec.name}" AS a SET ward_code = ('
            f"SELECT w.id FROM wards w WHERE ST_Intersects(w.geom, {anchor}) "
            f"ORDER BY w.id LIMIT 1)" + ("" if every_row else " WHERE a.ward_code IS NULL")
        )
