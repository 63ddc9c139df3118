"""Vector tiles (Mapbox Vector Tile) of one collection, made by PostGIS in EPSG:3857.

Each tile holds one source-layer named after the collection; every feature carries ``id`` and
the collection's plain columns (JSON ``attributes`` stay in the Features API). Tiles follow the
WebMercatorQuad tile matrix set (XYZ numbering, y down from the north), 4096 units, a 64-unit
buffer. Identifiers come from the collection registry (quoted); everything else is bound.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, text

from twin.errors import InvalidInput
from web.collections import Collection, quote

EXTENT, BUFFER = 4096, 64
MAX_ZOOM = 22


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int


def check_tile(z: int, x: int, y: int) -> Tile:
    """The tile, or InvalidInput when it is outside WebMercatorQuad at zoom ``z`` (0..22)."""
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidInput(f"zoom must be 0..{MAX_ZOOM}; got {z}")
    side = 1 << z
    if not (0 <= x < side and 0 <= y < side):
        raise InvalidInput(f"tile {z}/{x}/{y} does not exist: x and y must be 0..{side - 1} "
                           f"at zoom {z}")
    return Tile(z, x, y)


def tile_sql(collection: Collection) -> str:
    """The statement that makes one tile of ``collection`` from bound ``:z``, ``:x``, ``:y`` and
    ``:layer`` (the source-layer's name).

    The rows are found with the GiST index on EPSG:4326 geometry (the tile plus its buffer,
    reprojected), then clipped and quantised by ``ST_AsMVTGeom`` in EPSG:3857.
    """
    attributes = ", ".join(
        f"t.{quote(c.name)}" + ("::text" if c.kind in (date, datetime) else "")
        + f" AS {quote(c.name)}"
        for c in collection.plain_columns
    )
    return (
        "WITH b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS tile, ST_Transform("
        f"ST_TileEnvelope(:z, :x, :y, margin => {BUFFER / EXTENT}), 4326) AS area) "
        f"SELECT ST_AsMVT(m, :layer, {EXTENT}, 'geom') FROM ("
        f"SELECT ST_AsMVTGeom(ST_Transform(t.geom, 3857), b.tile, {EXTENT}, {BUFFER}, true) "
        f"AS geom, t.id, {attributes} FROM {collection.relation}, b WHERE t.geom && b.area"
        ") m WHERE m.geom IS NOT NULL"
    )


def read_tile(conn: Connection, collection: Collection, tile: Tile) -> bytes:
    """The tile's MVT bytes (empty when no feature falls in it)."""
    data = conn.execute(text(tile_sql(collection)),
                        {"z": tile.z, "x": tile.x, "y": tile.y, "layer": collection.id})
    return bytes(data.scalar_one() or b"")


def compress(data: bytes) -> bytes:
    """gzip at level 5, a middle setting (made once per tile and data version)."""
    return gzip.compress(data, compresslevel=5, mtime=0)
