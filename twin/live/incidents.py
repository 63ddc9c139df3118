"""Incidents: raised by rules over the live state, by cameras or by hand; acknowledged and
resolved by someone, at a time. Every change is announced on ``twin_live`` (kind ``incident``).

By hand (the CLI's ``twin incidents raise``, the API's ``POST /api/incidents``) is one function,
:func:`raise_by_hand`: checked, placed, audited in the caller's transaction.

An incident whose asset has failed lists what that asset takes down, from the outage simulation
(``details["takes_down"]``), when the simulation is installed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert

from layers import LAYERS
from twin.audit import record
from twin.errors import Conflict, InvalidInput
from twin.live.assets import unknown_assets
from twin.live.notify import notify
from twin.live.tables import INCIDENT_STATUSES, RAISED_BY, incidents


@dataclass(frozen=True)
class Incident:
    id: int
    kind: str
    status: str
    raised_by: str
    raised_at: datetime
    asset_ids: list[str]
    title: str
    details: dict[str, Any]
    position: tuple[float, float] | None
    """(longitude, latitude) in EPSG:4326, when known."""
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    notes: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v)
                for k, v in self.__dict__.items()}


_COLUMNS = [c for c in incidents.c if c.name not in ("geom", "rule_key")]
_POSITION = [func.ST_X(incidents.c.geom).label("lon"), func.ST_Y(incidents.c.geom).label("lat")]


def _incident(row: sa.Row[Any]) -> Incident:
    values = dict(row._mapping)
    lon, lat = values.pop("lon"), values.pop("lat")
    return Incident(**values, position=None if lon is None else (lon, lat))


KIND = re.compile(r"[a-z][a-z0-9_]{0,39}")
"""An incident's kind: lower-case words joined by '_' (``burst_main``), at most 40 characters."""


def raise_incident(conn: Connection, kind: str, asset_ids: Sequence[str], *,
                   raised_by: str = "hand", title: str | None = None,
                   details: dict[str, Any] | None = None,
                   position: tuple[float, float] | None = None, rule_key: str | None = None
                   ) -> Incident | None:
    """Open an incident on ``asset_ids``; None when one with the same ``rule_key`` is still open
    (a rule or camera reporting what is already known). For a failed asset, put
    ``{"takes_down": takes_down(conn, asset)}`` in ``details``."""
    _check(conn, kind, asset_ids, raised_by)
    return _insert(conn, {
        "kind": kind, "raised_by": raised_by, "asset_ids": list(asset_ids),
        "details": details or {}, "title": title or _title(kind, asset_ids), "rule_key": rule_key,
    }, position)


def raise_by_hand(conn: Connection, kind: str, asset_ids: Sequence[str], *, actor: str,
                  title: str | None = None, note: str | None = None,
                  position: tuple[float, float] | None = None, failed: bool = False) -> Incident:
    """Open an incident someone reports (a phone call to the operations centre), audited as
    ``incident.raise`` by ``actor`` (a user's name, or ``cli:<os user>``), who is also kept in
    ``details["reported_by"]`` (``raised_by`` is ``hand``). Without ``position`` (longitude,
    latitude, EPSG:4326) the incident is placed at the first asset's point (a line's midpoint, a
    polygon's point on surface), so the map shows it. ``failed``: the first asset has failed, and
    ``details["takes_down"]`` lists what that takes down. ``note`` opens the incident's notes."""
    asset_ids = list(dict.fromkeys(asset_ids))  # each asset once, in the order given
    where = None if position is None else checked_position(position)
    _check(conn, kind, asset_ids, "hand")
    details: dict[str, Any] = {"reported_by": actor}
    if failed:
        details["takes_down"] = takes_down(conn, asset_ids[0])
    values: dict[str, Any] = {"kind": kind, "raised_by": "hand", "asset_ids": asset_ids,
                              "details": details,
                              "title": (title or "").strip() or _title(kind, asset_ids)}
    if note and note.strip():
        values["notes"] = _note(actor, note.strip())
    incident = _insert(conn, values, where or asset_position(conn, asset_ids[0]))
    if incident is None:  # only a rule key meets an open incident, and a hand has none
        raise Conflict(f"the {kind} incident on {', '.join(asset_ids)} was not opened")
    record(conn, actor=actor, action="incident.raise", table="incidents", target=str(incident.id),
           before=None, after={"kind": kind, "asset_ids": asset_ids, "title": incident.title,
                               "position": incident.position, "note": note})
    return incident


def checked_position(position: Sequence[float]) -> tuple[float, float]:
    """``position`` as (longitude, latitude) in EPSG:4326 degrees, or InvalidInput naming it."""
    if len(position) != 2 or not all(isinstance(v, int | float) and math.isfinite(v)
                                     for v in position):
        raise InvalidInput(f"position must be [longitude, latitude], two finite numbers, "
                           f"not {list(position)}")
    lon, lat = float(position[0]), float(position[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput(f"position [{lon:g}, {lat:g}] is outside longitude -180..180, "
                           f"latitude -90..90 (EPSG:4326, longitude first)")
    return lon, lat


_SPEC_BY_PREFIX = {spec.prefix: spec for spec in LAYERS.values() if spec.prefix is not None}


def asset_position(conn: Connection, asset_id: str) -> tuple[float, float] | None:
    """An existing asset's point (longitude, latitude, EPSG:4326) as wards are given it: a
    point itself, a line's midpoint, a polygon's point on surface; None without geometry."""
    spec = _SPEC_BY_PREFIX[asset_id.split("-", 1)[0]]
    geom = spec.table.c.geom
    anchor = (geom if spec.geometry_type == "Point"
              else func.ST_LineInterpolatePoint(geom, 0.5) if spec.geometry_type == "LineString"
              else func.ST_PointOnSurface(geom))
    row = conn.execute(select(func.ST_X(anchor), func.ST_Y(anchor))
                       .where(spec.table.c.id == asset_id)).one_or_none()
    return None if row is None or row[0] is None else (float(row[0]), float(row[1]))


def _check(conn: Connection, kind: str, asset_ids: Sequence[str], raised_by: str) -> None:
    if raised_by not in RAISED_BY:
        raise InvalidInput(f"raised_by must be one of {', '.join(RAISED_BY)}, not '{raised_by}'")
    if not KIND.fullmatch(kind):
        raise InvalidInput(f"kind must be lower-case words joined by '_' (burst_main), at most "
                           f"40 characters, not {kind!r}")
    if not asset_ids:
        raise InvalidInput("an incident needs at least one asset")
    missing = unknown_assets(conn, set(asset_ids))
    if missing:
        raise InvalidInput(f"no asset {', '.join(sorted(missing))} in the twin")


def _title(kind: str, asset_ids: Sequence[str]) -> str:
    return f"{kind.replace('_', ' ')} at {', '.join(asset_ids)}"


def _insert(conn: Connection, values: dict[str, Any], position: tuple[float, float] | None
            ) -> Incident | None:
    """Insert and announce the incident; None when its rule key is already open."""
    if position is not None:
        values = {**values, "geom": func.ST_SetSRID(func.ST_MakePoint(*position), 4326)}
    statement = insert(incidents).values(**values).on_conflict_do_nothing(
        index_elements=["rule_key"],
        index_where=sa.text("status <> 'resolved' AND rule_key IS NOT NULL"),
    ).returning(*_COLUMNS, *_POSITION)
    row = conn.execute(statement).one_or_none()
    if row is None:
        return None
    incident = _incident(row)
    _announce(conn, incident)
    return incident


def takes_down(conn: Connection, asset_id: str) -> dict[str, Any]:
    """What the failure of ``asset_id`` takes down (the outage simulation's affected assets and
    customers), or why it is not known. Run on the network's normal state: the live state
    already holds the failure itself, and against it the failure would take down nothing new."""
    try:
        from simulation.outage import run_outage
    except ImportError:
        return {"error": "not built yet: the outage simulation (simulation.outage.run_outage) "
                         "is not installed"}
    result = run_outage(conn, [asset_id], live=False).to_json()
    return {"affected": result.get("affected", {}), "customers": result.get("customers", 0)}


def list_incidents(conn: Connection, status: str | None = None,
                   asset_id: str | None = None) -> list[Incident]:
    """Incidents, newest first; of one status, or involving one asset, when given."""
    query = select(*_COLUMNS, *_POSITION).order_by(incidents.c.raised_at.desc(), incidents.c.id.desc())
    if status is not None:
        if status not in INCIDENT_STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(INCIDENT_STATUSES)}, not '{status}'")
        query = query.where(incidents.c.status == status)
    if asset_id is not None:
        query = query.where(incidents.c.asset_ids.contains([asset_id]))
    return [_incident(row) for row in conn.execute(query)]


def get_incident(conn: Connection, incident_id: int) -> Incident:
    row = conn.execute(select(*_COLUMNS, *_POSITION).where(incidents.c.id == incident_id)).one_or_none()
    if row is None:
        raise InvalidInput(f"no incident {incident_id}")
    return _incident(row)


def acknowledge_incident(conn: Connection, incident_id: int, who: str) -> Incident:
    """Someone is on it: only an open incident can be acknowledged."""
    return _move(conn, incident_id, who, to="acknowledged", allowed_from=("open",), note=None)


def resolve_incident(conn: Connection, incident_id: int, who: str,
                     note: str | None = None) -> Incident:
    """Close an open or acknowledged incident, with an optional note."""
    return _move(conn, incident_id, who, to="resolved", allowed_from=("open", "acknowledged"),
                 note=note)


def add_note(conn: Connection, incident_id: int, who: str, text: str) -> Incident:
    get_incident(conn, incident_id)
    return _update(conn, incident_id, {"notes": incidents.c.notes + _note(who, text)})


def _move(conn: Connection, incident_id: int, who: str, *, to: str,
          allowed_from: tuple[str, ...], note: str | None) -> Incident:
    if not who.strip():
        raise InvalidInput("say who: an incident is acknowledged or resolved by someone")
    current = get_incident(conn, incident_id)
    if current.status not in allowed_from:
        raise Conflict(f"incident {incident_id} is {current.status}: it cannot be {to}")
    values: dict[str, Any] = {"status": to, f"{to}_by": who, f"{to}_at": func.now()}
    if note:
        values["notes"] = incidents.c.notes + _note(who, note)
    return _update(conn, incident_id, values)


def _note(who: str, text: str) -> Any:
    return sa.func.jsonb_build_array(sa.func.jsonb_build_object(
        "who", who, "at", func.now(), "text", text))


def _update(conn: Connection, incident_id: int, values: dict[str, Any]) -> Incident:
    row = conn.execute(incidents.update().where(incidents.c.id == incident_id).values(**values)
                       .returning(*_COLUMNS, *_POSITION)).one()
    incident = _incident(row)
    _announce(conn, incident)
    return incident


def _announce(conn: Connection, incident: Incident) -> None:
    notify(conn, [{"kind": "incident", "asset_id": incident.asset_ids[0], "id": incident.id,
                   "incident": incident.kind, "status": incident.status,
                   "asset_ids": incident.asset_ids[:50]}])
