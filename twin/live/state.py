"""Reading the live state: now, at any past time, one asset's history, and the device states the
simulations start from.

Times are timezone-aware UTC datetimes; a naive datetime is taken as UTC. ``bbox`` is
(min lon, min lat, max lon, max lat) in EPSG:4326, as in :func:`twin.read.read_layer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Connection, func, select

from layers import LAYERS
from layers.cameras import sensors
from twin.live.tables import incidents, live_current, live_dead_letters, live_history

STATE = "state"
LEVEL = "illuminance_level"
VOLTAGE = "voltage"
OPEN_STATES = frozenset({"open"})
CLOSED_STATES = frozenset({"closed"})
FAILED_STATES = frozenset({"failed", "out_of_service"})
DARK_STATES = frozenset({"off"}) | FAILED_STATES
LUMINAIRE_PREFIX = "LUM-"
NO_VOLTAGE_V = 1.0
"""A voltage reading below this (V) means the asset has no supply."""

OBSERVATION_COLUMNS = ["asset_id", "property", "observed_at", "value", "value_text", "unit"]


@dataclass(frozen=True)
class DeviceStates:
    """The latest reported device states; empty sets when nothing was reported."""

    opened: frozenset[str] = frozenset()
    """Valves and switches whose latest reported state is open."""
    closed: frozenset[str] = frozenset()
    """Valves and switches whose latest reported state is closed."""
    failed: frozenset[str] = frozenset()
    """Assets whose latest state is failed or out of service, or whose latest voltage is ~0 V."""
    dimmed: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    """Luminaire id → latest output level 0..1 (0 = off or failed)."""


def utc(at: datetime) -> datetime:
    """``at`` as an aware UTC datetime (naive datetimes are taken as UTC)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def current_device_states(conn: Connection, at: datetime | None = None) -> DeviceStates:
    """Device states now (``at`` None) or as they were at ``at``."""
    rows = _latest(conn, at, properties=(STATE, LEVEL, VOLTAGE), bbox=None)
    states: dict[str, str] = {}
    levels: dict[str, float] = {}
    failed: set[str] = set()
    for asset_id, prop, _, value, value_text, _ in rows:
        if prop == STATE:
            states[asset_id] = value_text
        elif prop == LEVEL:
            levels[asset_id] = float(value)
        elif prop == VOLTAGE and value is not None and value < NO_VOLTAGE_V:
            failed.add(asset_id)
    failed = _watched(conn, failed) | {a for a, s in states.items() if s in FAILED_STATES}
    dimmed = dict(levels)
    for asset_id, state in states.items():
        if not asset_id.startswith(LUMINAIRE_PREFIX):
            continue
        if state in DARK_STATES:
            dimmed[asset_id] = 0.0
        elif state == "on" and asset_id not in levels:
            dimmed[asset_id] = 1.0
    return DeviceStates(
        opened=frozenset(a for a, s in states.items() if s in OPEN_STATES),
        closed=frozenset(a for a, s in states.items() if s in CLOSED_STATES),
        failed=frozenset(failed),
        dimmed=MappingProxyType(dimmed),
    )


def _watched(conn: Connection, asset_ids: set[str]) -> set[str]:
    """The assets read by these: a sensor's reading is of the asset it watches, when it names one."""
    readers = [a for a in asset_ids if a.startswith("SEN-")]
    if not readers:
        return asset_ids
    watched = dict(conn.execute(select(sensors.c.id, sensors.c.watched_asset_id)
                                .where(sensors.c.id.in_(readers))).all())
    return {watched.get(a) or a for a in asset_ids}


def state_at(conn: Connection, at: datetime | None = None,
             bbox: tuple[float, float, float, float] | None = None) -> pd.DataFrame:
    """The latest observation of every asset's every property at ``at`` (None: now), within
    ``bbox`` when given. Columns: asset_id, property, observed_at, value, value_text, unit."""
    return pd.DataFrame(_latest(conn, at, properties=None, bbox=bbox), columns=OBSERVATION_COLUMNS)


def asset_history(conn: Connection, asset_id: str, since: datetime | None = None,
                  until: datetime | None = None, prop: str | None = None,
                  limit: int | None = None) -> pd.DataFrame:
    """One asset's observations, oldest first (the newest ``limit`` when given), between
    ``since`` and ``until`` inclusive; columns as :func:`state_at`."""
    h = live_history
    query = select(*(h.c[c] for c in OBSERVATION_COLUMNS)).where(h.c.asset_id == asset_id)
    if since is not None:
        query = query.where(h.c.observed_at >= utc(since))
    if until is not None:
        query = query.where(h.c.observed_at <= utc(until))
    if prop is not None:
        query = query.where(h.c.property == prop)
    query = query.order_by(h.c.observed_at.desc(), h.c.property)
    if limit is not None:
        query = query.limit(limit)
    frame = pd.DataFrame(conn.execute(query).all(), columns=OBSERVATION_COLUMNS)
    return frame.iloc[::-1].reset_index(drop=True)


def live_kpis(conn: Connection) -> dict[str, int]:
    """``{"observations", "dead_letters", "open_incidents"}``: observations kept in the history,
    messages refused, incidents not yet resolved (open or acknowledged)."""
    count = func.count()
    return {
        "observations": int(conn.execute(select(count).select_from(live_history)).scalar_one()),
        "dead_letters": int(conn.execute(select(count).select_from(live_dead_letters)).scalar_one()),
        "open_incidents": int(conn.execute(
            select(count).select_from(incidents).where(incidents.c.status != "resolved")
        ).scalar_one()),
    }


def _latest(conn: Connection, at: datetime | None, *, properties: tuple[str, ...] | None,
            bbox: tuple[float, float, float, float] | None) -> list[Any]:
    """Rows (asset_id, property, observed_at, value, value_text, unit): the current state, or for
    a past ``at`` one probe per (asset, property) into the history's primary key."""
    c = live_current
    conditions = []
    if properties is not None:
        conditions.append(c.c.property.in_(properties))
    if bbox is not None:
        conditions.append(c.c.asset_id.in_(_assets_in_bbox(conn, bbox)))
    if at is None:
        return list(conn.execute(
            select(*(c.c[col] for col in OBSERVATION_COLUMNS)).where(*conditions)).all())
    pairs = select(c.c.asset_id, c.c.property).where(*conditions).cte("pairs")
    h = live_history
    latest = (select(h.c.observed_at, h.c.value, h.c.value_text, h.c.unit)
              .where(h.c.asset_id == pairs.c.asset_id, h.c.property == pairs.c.property,
                     h.c.observed_at <= utc(at))
              .order_by(h.c.observed_at.desc()).limit(1).lateral("latest"))
    query = select(pairs.c.asset_id, pairs.c.property, latest).select_from(
        pairs.join(latest, sa.true()))
    return list(conn.execute(query).all())


def _assets_in_bbox(conn: Connection, bbox: tuple[float, float, float, float]) -> sa.Select[Any]:
    """Ids of the assets with a live state whose geometry meets ``bbox`` (EPSG:4326); only the
    layers that have any live state are searched."""
    envelope = func.ST_MakeEnvelope(*bbox, 4326)
    prefixes = set(conn.execute(
        select(func.split_part(live_current.c.asset_id, "-", 1)).distinct()).scalars())
    tables = [spec.table for spec in LAYERS.values() if spec.prefix in prefixes]
    if not tables:
        return select(live_current.c.asset_id).where(sa.false())
    return sa.union_all(*(
        select(table.c.id).where(table.c.geom.op("&&")(envelope),
                                 func.ST_Intersects(table.c.geom, envelope))
        for table in tables
    ))  # type: ignore[return-value]
