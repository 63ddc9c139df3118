"""The app's one simulation snapshot, reloaded when the data it was made from change: the
topology and the dependencies (their data versions, ``web.versions``) and the current live state
(``live_current`` carries no version: its row count and newest row version, ~2 ms for the demo
city's 13,000 reporting assets, checked at each simulation request)."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, text

from simulation.snapshot import Snapshot, load_snapshot
from web.versions import data_version

TOPOLOGY_TABLES = ("network_nodes", "network_edges", "dependencies")
LIVE_STATE = text("SELECT count(*), max(xmin::text::bigint) FROM live_current")


class SnapshotCache:
    """Hands out the current ``Snapshot`` (live device states included); thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._version: tuple[str, tuple[object, ...]] | None = None

    def get(self) -> Snapshot:
        with self._lock, self._engine.connect() as conn:
            version = (data_version(conn, TOPOLOGY_TABLES),
                       tuple(conn.execute(LIVE_STATE).one()))
            if self._snapshot is None or version != self._version:
                self._snapshot = load_snapshot(conn, live=True)
                self._version = version
            return self._snapshot
