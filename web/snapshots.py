"""The app's one simulation snapshot (contract B), reloaded when the data it was made from
change.

Change is found in two steps, both cheap: the cluster's WAL position (any write anywhere moves
it), and only when that moved, a fingerprint of the tables a snapshot is made from (row count and
newest row version of the topology, dependencies and current live state, ~25 ms at scale 1).
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Connection, Engine, text

from web.collections import quote
from web.backends import require

SOURCE_TABLES = ("network_nodes", "network_edges", "dependencies", "live_current")


def _fingerprint(conn: Connection) -> tuple[Any, ...]:
    parts = " UNION ALL ".join(
        f"SELECT '{t}', count(*), max(xmin::text::bigint) FROM {quote(t)}" for t in SOURCE_TABLES)
    return tuple(conn.execute(text(parts)).all())


class SnapshotCache:
    """Hands out the current ``Snapshot`` (live device states included); thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._snapshot: Any = None
        self._lsn: str | None = None
        self._fingerprint: tuple[Any, ...] | None = None

    def get(self) -> Any:
        load_snapshot = require("simulation.snapshot", "load_snapshot", "the network simulations")
        with self._lock, self._engine.connect() as conn:
            lsn = conn.execute(text("SELECT pg_current_wal_lsn()::text")).scalar_one()
            if self._snapshot is not None and lsn == self._lsn:
                return self._snapshot
            fingerprint = _fingerprint(conn)
            if self._snapshot is None or fingerprint != self._fingerprint:
                self._snapshot = load_snapshot(conn, live=True)
                self._fingerprint = fingerprint
            self._lsn = lsn
            return self._snapshot
