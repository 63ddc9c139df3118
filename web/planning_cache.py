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

from sqlalchemy import Connection

from layers import LAYERS, TOPOLOGY_TABLES
from simulation.planning.tables import planning_parameters, planning_targets, unit_costs_table
from web.snapshots import LIVE_STATE
from web.versions import data_version

ENTRIES = 128
TABLES = tuple([*LAYERS, *(t.name for t in TOPOLOGY_TABLES), unit_costs_table.name,
                planning_targets.name, planning_parameters.name])


class PlanningCache:
    """JSON answers by request, recomputed when the twin's data or live state move."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()

    def get(self, conn: Connection, request: tuple[Any, ...],
            make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        key = (str(conn.engine.url), request, data_version(conn, TABLES),
               tuple(conn.execute(LIVE_STATE).one()), date.today().year)
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
        answer = make()
        with self._lock:
            self._answers[key] = answer
            while len(self._answers) > ENTRIES:
                self._answers.popitem(last=False)
        return answer
