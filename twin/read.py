"""Reading the twin from Python: layers as GeoDataFrames, networks as graphs.

The simulations, the web app and the notebooks all read through these functions.
Every frame is indexed by asset id and in EPSG:4326 unless a ``crs`` is asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd
import shapely
from geoalchemy2 import Geometry
from sqlalchemy import Connection, Engine, Integer, Select, and_, func, literal, select

from layers import NETWORKS, dependencies, get_layer, network_edges, network_nodes
from twin.errors import InvalidInput
from twin.schema import STORAGE_SRID

BBox = tuple[float, float, float, float]


def read_layer(
    db: Engine | Connection,
    layer: str,
    *,
    bbox: Sequence[float] | None = None,
    polygon: shapely.Geometry | None = None,
    ids: Iterable[str] | None = None,
    columns: Sequence[str] | None = None,
    crs: str | int | None = None,
) -> gpd.GeoDataFrame:
    """One layer as a GeoDataFrame indexed by ``id``.

    ``bbox`` is (min lon, min lat, max lon, max lat) in EPSG:4326; ``polygon`` is a shapely
    geometry in EPSG:4326; both keep the rows whose geometry intersects them. ``ids`` keeps those
    assets (an unknown id is simply absent: compare the index to find it). ``columns`` narrows the
    attributes (``geom`` is always read). ``crs`` reprojects the result.
    """
    spec = get_layer(layer)
    table = spec.table
    wanted = list(columns) if columns is not None else [c.name for c in table.columns]
    unknown = [c for c in wanted if c not in table.columns]
    if unknown:
        raise InvalidInput(f"unknown column for layer '{layer}'", column=unknown[0])
    cols = [table.c[c] for c in wanted if c not in ("id", "geom")]
    query = select(table.c.id, func.ST_AsBinary(table.c.geom).label("geom"), *cols)
    conditions: list[Any] = []
    if bbox is not None:
        if len(bbox) != 4 or not (bbox[0] <= bbox[2] and bbox[1] <= bbox[3]):
            raise InvalidInput(f"bbox must be min lon, min lat, max lon, max lat; got {bbox}")
        conditions.append(func.ST_Intersects(table.c.geom, func.ST_MakeEnvelope(*bbox,
                                                                               STORAGE_SRID)))
    if polygon is not None:
        shape = literal(shapely.to_wkb(polygon, hex=True)).cast(Geometry)
        conditions.append(func.ST_Intersects(table.c.geom, func.ST_SetSRID(shape, STORAGE_SRID)))
    if ids is not None:
        conditions.append(table.c.id.in_(list(ids)))
    if conditions:
        query = query.where(and_(*conditions))
    frame = _fetch_frame(db, query.order_by(table.c.id))
    for column in cols:  # whole numbers stay whole where some are missing
        if isinstance(column.type, Integer):
            frame[column.name] = frame[column.name].astype("Int64")
    geoms = shapely.from_wkb(frame.pop("geom").map(bytes).to_numpy())
    result = gpd.GeoDataFrame(frame, geometry=geoms, crs=STORAGE_SRID).set_index("id")
    result = result.rename_geometry("geom")
    return result.to_crs(crs) if crs is not None else result


def _fetch_frame(db: Engine | Connection, query: Select[Any]) -> pd.DataFrame:
    """The query's rows as a DataFrame, fetched as plain tuples by the driver (psycopg decodes
    JSON, dates and booleans itself): several times faster than going through Row objects."""
    if isinstance(db, Engine):
        with db.connect() as conn:
            return _fetch_frame(conn, query)
    compiled = query.compile(dialect=db.dialect, compile_kwargs={"render_postcompile": True})
    raw = db.connection.driver_connection
    assert raw is not None  # a checked-out connection always has its driver connection
    with raw.cursor() as cursor:
        cursor.execute(str(compiled), compiled.params)
        columns = [c.name for c in cursor.description or []]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)


@dataclass(frozen=True)
class Network:
    """One network's topology: nodes (GeoDataFrame by node id), edges and dependencies (frames)."""

    name: str
    nodes: gpd.GeoDataFrame
    """is_source, asset_id, kind, geom (EPSG:4326), indexed by node id."""
    edges: pd.DataFrame
    """from_node, to_node, asset_id, kind, normally_connected, length_m, indexed by edge id."""
    dependencies: pd.DataFrame
    """Assets of other networks fed by this network's nodes: consumer_id, consumer_layer,
    provider_node, kind, backup_hours."""

    @property
    def sources(self) -> list[str]:
        return self.nodes.index[self.nodes["is_source"]].tolist()

    def to_networkx(self, normal_state: bool = True) -> nx.MultiGraph:
        """An undirected multigraph; with ``normal_state`` only the edges connected normally.

        Node and edge attributes are the frames' columns; edge keys are edge ids.
        """
        edges = self.edges[self.edges["normally_connected"]] if normal_state else self.edges
        graph = nx.MultiGraph(name=self.name)
        graph.add_nodes_from(
            (node, {"asset_id": a, "kind": k, "is_source": s})
            for node, a, k, s in zip(self.nodes.index, self.nodes["asset_id"], self.nodes["kind"],
                                     self.nodes["is_source"], strict=True)
        )
        graph.add_edges_from(
            (f, t, e, {"asset_id": a, "kind": k, "length_m": length})
            for e, f, t, a, k, length in zip(edges.index, edges["from_node"], edges["to_node"],
                                             edges["asset_id"], edges["kind"], edges["length_m"],
                                             strict=True)
        )
        return graph


def read_network(db: Engine | Connection, network: str) -> Network:
    """The topology of ``network`` (power, water, drainage, telecom or road)."""
    if network not in NETWORKS:
        raise InvalidInput(f"unknown network '{network}'; networks: {', '.join(NETWORKS)}")
    n, e, d = network_nodes.c, network_edges.c, dependencies.c
    nodes = _fetch_frame(db, select(n.id, n.asset_id, n.kind, n.is_source,
                                    func.ST_AsBinary(n.geom).label("geom"))
                         .where(n.network == network).order_by(n.id))
    geoms = shapely.from_wkb(nodes.pop("geom").map(bytes).to_numpy(dtype=object))
    nodes = gpd.GeoDataFrame(nodes.astype({"is_source": bool}), geometry=geoms,
                             crs=STORAGE_SRID).set_index("id")
    edges = _fetch_frame(db, select(e.id, e.from_node, e.to_node, e.asset_id, e.kind,
                                    e.normally_connected, e.length_m)
                         .where(e.network == network).order_by(e.id)).set_index("id")
    edges = edges.astype({"normally_connected": bool, "length_m": float})
    deps = _fetch_frame(db, select(d.consumer_id, d.consumer_layer, d.provider_node, d.kind,
                                   d.backup_hours)
                        .join(network_nodes, network_nodes.c.id == d.provider_node)
                        .where(n.network == network).order_by(d.id))
    return Network(network, nodes.rename_geometry("geom"), edges, deps)
