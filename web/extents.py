"""Each collection's extent, computed once per data version (``web.versions``): the collection
documents and tilesets ask for it on every request, a full scan of the table each time."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import Connection

from web.collections import Collection
from web.features import BBox, read_extents
from web.versions import data_version


class Extents:
    """Extents by collection, each kept with the data version it was computed at."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, tuple[str, BBox | None]] = {}
        """collection id -> (data version, extent)"""

    def of(self, conn: Connection, wanted: Sequence[Collection]) -> dict[str, BBox | None]:
        """The extents (EPSG:4326, None when empty) of the collections ``wanted``."""
        versions = {c.id: data_version(conn, c.tables) for c in wanted}
        found, stale = {}, []
        for collection in wanted:
            known = self._known.get(collection.id)
            if known is not None and known[0] == versions[collection.id]:
                found[collection.id] = known[1]
            else:
                stale.append(collection)
        fresh = read_extents(conn, stale)
        with self._lock:
            self._known.update({cid: (versions[cid], box) for cid, box in fresh.items()})
        return {**found, **fresh}
