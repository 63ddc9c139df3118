"""Rules over the live state that raise incidents: a luminaire off at night, a camera offline (or
silent) for longer than N minutes, a pressure drop beyond a threshold, an asset reporting no
voltage. Each incident carries a ``rule_key`` (rule:asset), so checking again while it is open
raises nothing new. Run after ingest batches (the MQTT ingester does, every ``every_s``) or with
``twin incidents check``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from astral import Observer
from astral.sun import elevation
from sqlalchemy import Connection

from twin.city import BAC_GIANG
from twin.live.incidents import Incident, raise_incident, takes_down
from twin.live.state import NO_VOLTAGE_V, utc

CIVIL_TWILIGHT_DEG = -6.0
"""Street lights are due on when the sun is below this elevation (civil dusk to civil dawn)."""


@dataclass(frozen=True)
class RuleSettings:
    camera_offline_min: float = 10.0
    """A camera offline, or silent, for longer than this (minutes) is an incident."""
    pressure_drop_kpa: float = 50.0
    """A pressure this far (kPa) below its mean of the hour before is an incident."""
    pressure_window_min: float = 60.0


def is_night(at: datetime, latitude: float = BAC_GIANG.centre_lat,
             longitude: float = BAC_GIANG.centre_lon) -> bool:
    """Whether street lights should be on at ``at`` (sun below civil twilight) at the place."""
    return elevation(Observer(latitude, longitude), utc(at)) < CIVIL_TWILIGHT_DEG


def check_rules(conn: Connection, now: datetime, settings: RuleSettings = RuleSettings()
                ) -> list[Incident]:
    """Raise the incidents the live state calls for at ``now``; returns those newly opened."""
    now = utc(now)
    found: list[Incident | None] = []
    if is_night(now):
        for asset_id, state, since in _rows(conn, """
                SELECT asset_id, value_text, observed_at FROM live_current
                WHERE property = 'state' AND asset_id LIKE 'LUM-%%'
                  AND value_text IN ('off', 'failed')"""):
            found.append(raise_incident(
                conn, "luminaire_off_at_night", [asset_id], raised_by="rule",
                title=f"{asset_id} is {state} at night", rule_key=f"luminaire_off_at_night:{asset_id}",
                details={"state": state, "since": since.isoformat()}))
    limit = now - timedelta(minutes=settings.camera_offline_min)
    for asset_id, state, since in _rows(conn, """
            SELECT asset_id, value_text, observed_at FROM live_current
            WHERE property = 'state' AND asset_id LIKE 'CAM-%%' AND observed_at < :limit""",
                                        limit=limit):
        what = "offline" if state == "offline" else "silent"
        found.append(raise_incident(
            conn, "camera_offline", [asset_id], raised_by="rule",
            title=f"{asset_id} {what} since {since:%H:%M} UTC", rule_key=f"camera_offline:{asset_id}",
            details={"state": state, "since": since.isoformat(),
                     "minutes": round((now - since).total_seconds() / 60, 1)}))
    for asset_id, value, mean in _rows(conn, """
            SELECT c.asset_id, c.value, avg(h.value) FROM live_current c
            JOIN live_history h ON h.asset_id = c.asset_id AND h.property = c.property
             AND h.observed_at >= c.observed_at - :window * interval '1 minute'
             AND h.observed_at < c.observed_at
            WHERE c.property = 'pressure'
            GROUP BY c.asset_id, c.value HAVING avg(h.value) - c.value > :drop""",
                                        window=settings.pressure_window_min,
                                        drop=settings.pressure_drop_kpa):
        found.append(raise_incident(
            conn, "pressure_drop", [asset_id], raised_by="rule",
            title=f"pressure at {asset_id} fell to {value:.0f} kPa (mean {mean:.0f} kPa)",
            rule_key=f"pressure_drop:{asset_id}",
            details={"pressure_kpa": value, "mean_before_kpa": round(mean, 1)}))
    for asset_id, value, watched in _rows(conn, """
            SELECT c.asset_id, c.value, s.watched_asset_id FROM live_current c
            LEFT JOIN sensors s ON s.id = c.asset_id
            WHERE c.property = 'voltage' AND c.value < :no_voltage""", no_voltage=NO_VOLTAGE_V):
        failed = watched or asset_id  # a sensor's reading is of the asset it watches
        key = f"no_voltage:{failed}"
        if not _open(conn, key):
            found.append(raise_incident(
                conn, "no_voltage", sorted({failed, asset_id}), raised_by="rule", rule_key=key,
                title=f"{failed} reports no voltage",
                details={"voltage_v": value, "takes_down": takes_down(conn, failed)}))
    return [incident for incident in found if incident is not None]


def _rows(conn: Connection, sql: str, **params: object) -> list[Any]:
    return list(conn.execute(sa.text(sql.replace("%%", "%")), params).all())


def _open(conn: Connection, rule_key: str) -> bool:
    """Whether an incident with this key is still open (skips the outage run for it)."""
    return conn.execute(sa.text("SELECT 1 FROM incidents WHERE rule_key = :k AND status <> 'resolved'"),
                        {"k": rule_key}).first() is not None
