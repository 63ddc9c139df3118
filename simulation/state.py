"""Where a simulation starts: the devices' reported positions and failures (the live state of
``twin.live.current_device_states``), overridden by a scenario's own explicit changes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class ScenarioChanges:
    """A scenario's changes to the live state: devices it opens or closes, assets it fails, and
    assets reported failed that it takes as repaired. Ids are asset ids."""

    opened: frozenset[str] = frozenset()
    closed: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()
    repaired: frozenset[str] = frozenset()

    @classmethod
    def of(cls, opened: Iterable[str] = (), closed: Iterable[str] = (),
           failed: Iterable[str] = (), repaired: Iterable[str] = ()) -> ScenarioChanges:
        return cls(frozenset(opened), frozenset(closed), frozenset(failed), frozenset(repaired))


@dataclass(frozen=True)
class StartState:
    """Device positions and failures a simulation starts from (asset ids)."""

    opened: frozenset[str] = frozenset()
    closed: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()

    def changed(self, changes: ScenarioChanges | None) -> StartState:
        """This state with a scenario's changes on top (they win over what was reported)."""
        if changes is None:
            return self
        return StartState(
            opened=(self.opened - changes.closed) | changes.opened,
            closed=(self.closed - changes.opened) | changes.closed,
            failed=(self.failed - changes.repaired) | changes.failed,
        )


def live_start_state(conn: sa.Connection) -> StartState:
    """The latest reported device states (``twin.live.current_device_states``)."""
    from twin.live import current_device_states

    states = current_device_states(conn)
    return StartState(frozenset(states.opened), frozenset(states.closed),
                      frozenset(states.failed))
