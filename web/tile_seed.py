"""Tiles made ahead: every map layer's tiles at the zooms where one tile holds a district or the
whole city, at start and again after each write to its tables.

Such a tile holds tens of thousands of features (the scale-1 demo city's buildings: 34,570 in
one zoom-12 tile, 2 MB of MVT) and costs PostGIS ~0.2 s of CPU, where a street-level tile costs a
few ms. A client showing the whole city (QGIS or GDAL reading the tiles, a notebook, the map from
the zoom each layer is drawn at) would wait for a handful of them; so the server makes them
ahead, one at a time (requests keep the other core), into its tile cache, at the data version a
request would ask for: what a request then finds is exactly the tile it would have made. It
seeds when its ``LISTEN twin_data`` connection is up (``twin.changes``: every committed write
names its table), then, once writes have been quiet for ``SETTLE_S`` (at most ``MAX_WAIT_S``
after the first), the layers whose tables changed, dropping their tiles of older versions.
Higher zooms, and the topology collections (``network_nodes``, ``network_edges``: for GIS
clients, not drawn by the map), are made on request. Each server process seeds its own cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

import morecantile

from layers import LAYERS
from twin.changes import CHANNEL
from twin.errors import InvalidInput
from web.collections import Collection, get_collection
from web.features import extents_of, extents_sql
from web.listen import listen
from web.tile_cache import TileCache
from web.tiles import Tile

log = logging.getLogger("web.tile_seed")
SEED_MIN_ZOOM = 10
"""The lowest zoom the browser map draws any layer at (``LayerStyle.min_zoom``)."""
SEED_MAX_ZOOM = 16
"""The highest ``TWIN_TILE_SEED_MAX_ZOOM`` accepted (the map's tiles stop at 16)."""
SETTLE_S = 1.0
"""Quiet time after a write before making tiles again: an import commits many statements."""
MAX_WAIT_S = 30.0
"""Writes that never pause still get their tiles made this long after the first."""
TMS = morecantile.tms.get("WebMercatorQuad")


@dataclass
class SeedStatus:
    """What the seeder has done (``GET /api/tiles/cache``)."""

    state: str = "waiting"
    """waiting (for its LISTEN connection), seeding (or about to: a change was heard), ready,
    or off"""
    zooms: tuple[int, int] | None = None
    tiles: int = 0
    """tiles made or found in the last round (it stops when they fill half the cache)"""
    seconds: float = 0.0
    """the last round's duration"""
    rounds: int = 0


def seed_zooms(max_zoom: int) -> range:
    """The zooms made ahead: from the map's lowest to ``max_zoom`` (-1: none)."""
    if max_zoom != -1 and not SEED_MIN_ZOOM <= max_zoom <= SEED_MAX_ZOOM:
        raise InvalidInput(f"TWIN_TILE_SEED_MAX_ZOOM must be {SEED_MIN_ZOOM}-{SEED_MAX_ZOOM}, "
                           f"or -1 for no tiles made ahead; got {max_zoom}")
    return range(SEED_MIN_ZOOM, max_zoom + 1)


def seed_tiles(extent: tuple[float, float, float, float], zooms: range) -> list[Tile]:
    """The WebMercatorQuad tiles covering ``extent`` (lon/lat) at ``zooms``, lowest zoom first."""
    return [Tile(t.z, t.x, t.y) for t in TMS.tiles(*extent, zooms=list(zooms))]


class TileSeeder:
    """Keeps the cache holding every map layer's tiles at ``zooms`` for the current data."""

    def __init__(self, cache: TileCache, conninfo: str, max_zoom: int) -> None:
        self._cache = cache
        self._conninfo = conninfo
        self.zooms = seed_zooms(max_zoom)
        self.status = SeedStatus(zooms=(self.zooms.start, self.zooms.stop - 1) if self.zooms
                                 else None, state="waiting" if self.zooms else "off")
        self._pending: set[str] = set()
        self._changed: set[str] = set()
        """pending because their data changed (their older tiles are dropped)"""
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        if not self.zooms:
            return
        self._tasks = [asyncio.create_task(listen(self._conninfo, CHANNEL, self._heard,
                                                  self._listening)),
                       asyncio.create_task(self._seed_forever())]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _listening(self, listening: bool) -> None:
        if listening:  # first time, or after a lost connection: changes may have been missed
            self._due(LAYERS)
        elif self.status.state != "seeding":
            self.status.state = "waiting"

    def _heard(self, table: str) -> None:
        changed = [name for name in LAYERS if table in get_collection(name).tables]
        self._changed.update(changed)
        self._due(changed)

    def _due(self, names: Iterable[str]) -> None:
        names = set(names)
        if names:
            self._pending.update(names)
            self.status.state = "seeding"
            self._wake.set()  # each write heard restarts the quiet time

    async def _seed_forever(self) -> None:
        while True:
            await self._wake.wait()
            first = time.monotonic()
            while self._wake.is_set() and time.monotonic() - first < MAX_WAIT_S:
                self._wake.clear()
                await asyncio.sleep(SETTLE_S)
            self._wake.clear()
            wanted = [get_collection(name) for name in sorted(self._pending)]
            changed = set(self._changed)
            self._pending.clear()
            self._changed.clear()
            if not wanted:
                continue
            try:
                await self._seed(wanted, changed)
            except Exception:  # a failed round must not end seeding; requests still make tiles
                log.exception("making tiles ahead for %s failed", [c.id for c in wanted])
            self.status.state = "seeding" if self._pending else "ready"

    async def _seed(self, wanted: list[Collection], changed: set[str]) -> None:
        start = time.perf_counter()
        async with self._cache.pool.connection() as conn:
            extents = extents_of(await (await conn.execute(extents_sql(wanted) or "")
                                        ).fetchall())
        versions = {c.id: await self._cache.version(c) for c in wanted}
        for collection in wanted:
            if collection.id in changed:
                self._cache.drop_other_versions(collection, versions[collection.id])
        work = sorted(((tile, collection) for collection in wanted
                       if (extent := extents[collection.id]) is not None
                       for tile in seed_tiles(extent, self.zooms)), key=lambda w: w[0].z)
        made = done = 0
        for tile, collection in work:
            if made > self._cache.max_bytes // 2:  # leave the other half to tiles asked for
                log.warning("tiles made ahead stop at %d of %d: they fill half the tile cache",
                            done, len(work))
                break
            made += (await self._cache.tile(collection, tile, versions[collection.id])).size
            done += 1
        self.status.tiles = done
        self.status.seconds = round(time.perf_counter() - start, 3)
        self.status.rounds += 1
        log.info("made %d tiles of %d layers at zooms %d-%d ahead in %.1f s", done,
                 len(wanted), self.zooms.start, self.zooms.stop - 1, self.status.seconds)
