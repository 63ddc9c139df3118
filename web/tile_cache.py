"""Tiles kept in memory, keyed by the version of the data they were made from
(``web.versions``): a tile is made once per data version and served from memory after that;
any write to its tables makes a new version, so a stale tile is never served (it ages out, or
goes when the tiles of the new version are made ahead: ``web.tile_seed``).

Each server process has its own cache (default budget 256 MB of tiles, least recently used
dropped first). ETags derive from the data version, so a revalidation (``If-None-Match``) is
answered 304 without making the tile. A tile asked for again while it is being made is made once:
the second request waits for the first. Everything runs on the event loop over the tile pool
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

    collection: str
    version: str
    data: bytes
    gzipped: bytes

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
        """by the tile's ETag"""
        self._making: dict[str, asyncio.Future[CachedTile]] = {}
        self._bytes = 0

    def stats(self) -> dict[str, int]:
        return {"tiles": len(self._tiles), "bytes": self._bytes, "max_bytes": self.max_bytes}

    async def version(self, collection: Collection) -> str:
        """The version of the collection's data now."""
        async with self.pool.connection() as conn:
            return await data_version_async(conn, collection.tables)

    async def tile(self, collection: Collection, tile: Tile, version: str) -> CachedTile:
        """The tile at data ``version``: from memory, or made by PostGIS and kept."""
        etag = tile_etag(collection, version, tile)
        found = self._tiles.get(etag)
        if found is not None:
            self._tiles.move_to_end(etag)
            return found
        making = self._making.get(etag)
        if making is None:
            making = asyncio.ensure_future(self._make(collection, tile, version, etag))
            self._making[etag] = making
            making.add_done_callback(lambda _: self._making.pop(etag, None))
        # shielded: a request that goes away does not stop the tile others wait for
        return await asyncio.shield(making)

    def drop_other_versions(self, collection: Collection, version: str) -> None:
        """Forget the collection's tiles of any other data version (they are never asked again)."""
        stale = [etag for etag, t in self._tiles.items()
                 if t.collection == collection.id and t.version != version]
        for etag in stale:
            self._bytes -= self._tiles.pop(etag).size

    async def _make(self, collection: Collection, tile: Tile, version: str,
                    etag: str) -> CachedTile:
        async with self.pool.connection() as conn:
            data = await read_tile(conn, collection, tile)
        gzipped = (compress(data) if len(data) <= INLINE_GZIP_BYTES
                   else await asyncio.to_thread(compress, data))
        made = CachedTile(collection.id, version, data, gzipped)
        self._tiles[etag] = made
        self._bytes += made.size
        while self._bytes > self.max_bytes and self._tiles:
            self._bytes -= self._tiles.popitem(last=False)[1].size
        return made
