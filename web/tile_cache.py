"""Tiles kept in memory, keyed by the version of the data they were made from
(``web.versions``): a tile is made once per data version and served from memory after that;
any write to its tables makes a new version, so a stale tile is never served (it ages out).

Each server process has its own cache (default budget 256 MB of tiles, least recently used
dropped first). ETags derive from the data version, so a revalidation (``If-None-Match``) is
answered 304 without making the tile. Everything runs on the event loop over the tile pool
(``web.tiles.tile_pool``); only gzipping a large tile goes to a thread.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool

from web.collections import Collection
from web.tiles import Tile, compress, read_tile
from web.versions import data_version_async

MAX_BYTES = 256 * 2**20
INLINE_GZIP_BYTES = 64 * 1024
"""Tiles up to this size are gzipped on the event loop (< 1 ms); larger ones in a thread."""


@dataclass(frozen=True)
class CachedTile:
    """A tile as made (MVT) and gzipped (browsers ask for gzip: compressed once, when made)."""

    data: bytes
    gzipped: bytes
    etag: str

    @property
    def size(self) -> int:
        return len(self.data) + len(self.gzipped)


def tile_etag(collection: Collection, version: str, tile: Tile) -> str:
    key = f"{collection.id}/{version}/{tile.z}/{tile.x}/{tile.y}".encode()
    return '"' + hashlib.blake2b(key, digest_size=12).hexdigest() + '"'


class TileCache:
    """Least-recently-used tiles within a byte budget, made over ``pool``; used from one event
    loop (no locks)."""

    def __init__(self, pool: AsyncConnectionPool, max_bytes: int = MAX_BYTES) -> None:
        self.pool = pool
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[str, CachedTile] = OrderedDict()
        self._bytes = 0

    def stats(self) -> dict[str, int]:
        return {"tiles": len(self._tiles), "bytes": self._bytes, "max_bytes": self.max_bytes}

    async def etag(self, collection: Collection, tile: Tile) -> str:
        """The ETag the tile has now (changes with its data)."""
        async with self.pool.connection() as conn:
            version = await data_version_async(conn, collection.tables)
        return tile_etag(collection, version, tile)

    async def tile(self, collection: Collection, tile: Tile, etag: str) -> CachedTile:
        """The tile whose ETag is ``etag``: from memory, or made by PostGIS and kept."""
        found = self._tiles.get(etag)
        if found is not None:
            self._tiles.move_to_end(etag)
            return found
        async with self.pool.connection() as conn:
            data = await read_tile(conn, collection, tile)
        gzipped = (compress(data) if len(data) <= INLINE_GZIP_BYTES
                   else await asyncio.to_thread(compress, data))
        made = CachedTile(data, gzipped, etag)
        self._tiles[etag] = made
        self._bytes += made.size
        while self._bytes > self.max_bytes and self._tiles:
            self._bytes -= self._tiles.popitem(last=False)[1].size
        return made
