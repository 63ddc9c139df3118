"""The app's one simulation snapshot, reloaded when the data it was made from
change: the topology, the dependencies and the current live state (``web.versions``)."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from simulation.snapshot import Snapshot, load_snapshot
from web.versions import data_version

SOURCE_TABLES = ("network_nodes", "network_edges", "dependencies", "live_current")


class SnapshotCache:
    """Hands out the current ``Snapshot`` (live device states included); thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._version: str | None = None

    def get(self) -> Snapshot:
        with self._lock, self._engine.connect() as conn:
            version = data_version(conn, SOURCE_TABLES)
            if self._snapshot is None or version != self._version:
                self._snapshot = load_snapshot(conn, live=True)
                self._version = version
            return self._snapshot
