"""The planning figures the browser's planning view asks for (the summary of an area, a ward
choropleth), kept until the data they are made from change, so a planner moving between wards
and metrics gets them as fast as the map's tiles.

The key is the database, the request and the data version (``web.versions``) of every table the roll-ups read
(the layers, the topology, the planning tables) with the live state's fingerprint (lamps
working) and the current year (the default of every figure). Answers are JSON; at most
``ENTRIES`` are kept, the oldest dropped first. Thread-safe; per server process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import HTTPException
from sqlalchemy import Connection

from layers import LAYERS, TOPOLOGY_TABLES
from simulation.planning.tables import planning_parameters, planning_targets, unit_costs_table
from web.snapshots import LIVE_STATE
from web.versions import data_version

ENTRIES = 128
RETRY_AFTER_S = 30
"""What a caller is told to wait (s) when the heavy work is busy."""
TABLES = tuple([*LAYERS, *(t.name for t in TOPOLOGY_TABLES), unit_costs_table.name,
                planning_targets.name, planning_parameters.name])


class Busy(Exception):
    """The heavy work (a what-if, a report) is already running in this process."""


class HeavyGuard:
    """At most ``limit`` heavy computations at once in this process (what-ifs run the lighting
    calculation, reports add the what-ifs and a PDF layout: seconds to minutes each, a worker
    and a database connection held). A caller that finds it full is refused at once (``Busy``)
    rather than queued, so a loop of requests cannot pile up."""

    def __init__(self, limit: int = 1) -> None:
        self._slots = threading.BoundedSemaphore(limit)

    def __enter__(self) -> HeavyGuard:
        if not self._slots.acquire(blocking=False):
            raise Busy("the planning server is busy with another what-if or report; "
                       f"try again in {RETRY_AFTER_S} s")
        return self

    def __exit__(self, *_: object) -> None:
        self._slots.release()


class PlanningCache:
    """JSON answers by request, recomputed when the twin's data or live state move."""

    def __init__(self, entries: int = ENTRIES) -> None:
        self._lock = threading.Lock()
        self._entries = entries
        self._answers: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()

    def get(self, conn: Connection, request: tuple[Any, ...],
            make: Callable[[], dict[str, Any]], guard: HeavyGuard | None = None
            ) -> dict[str, Any]:
        """The answer to ``request`` at the data's current version: kept, or made now (under
        ``guard`` when given: ``Busy`` when it is full; a kept answer never waits for it)."""
        key = (str(conn.engine.url), request, data_version(conn, TABLES),
               tuple(conn.execute(LIVE_STATE).one()), date.today().year)
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
        if guard is None:
            answer = make()
        else:
            with guard:
                answer = make()
        with self._lock:
            self._answers[key] = answer
            while len(self._answers) > self._entries:
                self._answers.popitem(last=False)
        return answer


HEAVY = HeavyGuard(1)
"""One what-if or report computed at a time per server process; identical requests at the same
data version are answered from ``HEAVY_CACHE`` without waiting for it."""
HEAVY_CACHE = PlanningCache(entries=16)


def heavy(conn: Connection, request: tuple[Any, ...],
          make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``make()`` under ``HEAVY`` (503 with Retry-After when busy), kept in ``HEAVY_CACHE``."""
    try:
        return HEAVY_CACHE.get(conn, request, make, guard=HEAVY)
    except Busy as error:
        raise HTTPException(503, str(error), headers={"Retry-After": str(RETRY_AFTER_S)}) \
            from None
