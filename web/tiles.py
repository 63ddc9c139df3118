"""Vector tiles (Mapbox Vector Tile) of one collection, made by PostGIS in EPSG:3857.

Each tile holds one source-layer named after the collection; every feature carries ``id`` and
the collection's plain columns (JSON ``attributes`` stay in the Features API). Tiles follow the
WebMercatorQuad tile matrix set (XYZ numbering, y down from the north), 4096 units, a 64-unit
buffer. Identifiers come from the collection registry (quoted); everything else is bound.

Tiles are made on their own pool of asynchronous connections (``tile_pool``), so a request
never waits for a thread: autocommit (a read needs no transaction round trips), no JIT and no
parallel workers (``_configure``).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from twin.errors import InvalidInput
from web.collections import Collection, quote

EXTENT, BUFFER = 4096, 64
MAX_ZOOM = 22
POOL_SIZE = 16
"""Connections making tiles at once per server process (more requests wait for one)."""
GZIP_LEVEL = 1
"""zlib level of the gzipped tiles (nginx's default). Over the scale-1 demo city's tiles at zooms
12-16 level 1 takes half the CPU of level 5 (0.24 s against 0.49 s for 26 MB of tiles) for 10%
more bytes (10.6 MB against 9.6 MB); at level 5 it was a fifth of the CPU of a cold tile."""


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


@cache
def tile_sql(collection: Collection) -> str:
    """The statement that makes one tile of ``collection`` from bound ``z``, ``x``, ``y`` and
    ``layer`` (the source-layer's name), in psycopg's ``%(name)s`` style.

    The rows are found with the GiST index on EPSG:4326 geometry (the tile plus its buffer,
    reprojected), then clipped and quantised by ``ST_AsMVTGeom`` in EPSG:3857. Rows it leaves
    without geometry (smaller than a unit of the tile, or only in the buffer's corner) are
    skipped by ``ST_AsMVT`` itself: a ``geom IS NOT NULL`` filter would be pushed into the scan
    and run ``ST_AsMVTGeom`` twice per row.
    """
    attributes = ", ".join(
        f"t.{quote(c.name)}" + ("::text" if c.kind in (date, datetime) else "")
        + f" AS {quote(c.name)}"
        for c in collection.plain_columns
    )
    tile = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s)"
    area = f"ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {BUFFER / EXTENT})"
    return (
        f"SELECT ST_AsMVT(m, %(layer)s, {EXTENT}, 'geom') FROM ("
        f"SELECT ST_AsMVTGeom(ST_Transform(t.geom, 3857), {tile}, {EXTENT}, {BUFFER}, true) "
        f"AS geom, t.id, {attributes} FROM {collection.relation} "
        f"WHERE t.geom && ST_Transform({area}, 4326)) m"
    )


async def read_tile(conn: AsyncConnection, collection: Collection, tile: Tile) -> bytes:
    """The tile's MVT bytes (empty when no feature falls in it)."""
    cursor = await conn.execute(tile_sql(collection),  # binary: the bytes as they are, not hex
                                {"z": tile.z, "x": tile.x, "y": tile.y, "layer": collection.id},
                                binary=True)
    row = await cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


def compress(data: bytes) -> bytes:
    """gzip at level ``GZIP_LEVEL`` (once per tile and data version)."""
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


async def _configure(conn: AsyncConnection) -> None:
    # PostgreSQL's JIT compiles a large tile's plan (ST_AsMVTGeom is costed high) for 100-300 ms,
    # more than making the tile takes. Parallel workers for one tile take cores from the other
    # tiles being made at the same time (a map asks for a dozen at once), and cost their start.
    await conn.execute("SET jit = off")
    await conn.execute("SET max_parallel_workers_per_gather = 0")
    # Load PostGIS and PROJ into the new backend now, not in the first tile (~20 ms).
    await conn.execute("SELECT ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_Point(0, 0), 4326), 3857),"
                       " ST_TileEnvelope(0, 0, 0))")


def tile_pool(url: str, size: int = POOL_SIZE) -> AsyncConnectionPool:
    """A pool (not yet open: ``await pool.open()``) of autocommit connections to ``url``
    (``postgresql://``) for making tiles; half of them kept open, ready for a map's first burst.
    Each is checked (an empty query) when handed out, so a server restart costs no failed tile."""
    return AsyncConnectionPool(url, min_size=size // 2, max_size=size, open=False,
                               kwargs={"autocommit": True}, configure=_configure,
                               check=AsyncConnectionPool.check_connection)
