"""Incidents for the operations centre: list, raise by hand, acknowledge, resolve (``twin.live``);
each change is audited (a raise with what was raised, a move with the status before and after).

An incident raised here is one an operator heard of (a phone call): ``twin.live.incidents.
raise_by_hand``, the CLI's path, with the signed-in user as the reporter; the live stream tells
every browser of it as it tells them of a camera's.

Who acknowledged or resolved is the signed-in user; a ``who`` naming someone else (a field crew)
is kept beside it, as ``<user> for <who>``, so nobody can move an incident in another's name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from twin import live as twin_live
from twin.audit import record
from twin.auth import Principal
from twin.errors import InvalidInput
from twin.live import Incident
from twin.live.incidents import raise_by_hand
from web.auth import Permission, requires
from web.collections import NotFound
from web.deps import ConnectionDep, EngineDep

router = APIRouter(prefix="/api/incidents", tags=["Incidents"])


MAX_ASSETS = 1000


class Raise(BaseModel):
    kind: str = Field(description="what happened, lower-case words joined by '_': burst_main, "
                                  "flooding, fire, accident, ...", examples=["burst_main"])
    title: str | None = Field(default=None, min_length=1, max_length=200,
                              description="one line for the operators (default: kind at assets)")
    asset_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=MAX_ASSETS, description="the assets involved; each must exist")
    position: tuple[float, float] | None = Field(
        default=None, description="[longitude, latitude] in EPSG:4326 (default: the first "
                                  "asset's point)")
    note: str | None = Field(default=None, max_length=4000,
                             description="what the caller said: the incident's first note")
    failed: bool = Field(default=False, description="the first asset has failed: list what it "
                                                    "takes down (outage simulation)")


class Acknowledge(BaseModel):
    who: str | None = Field(default=None, min_length=1, max_length=200,
                            description="who is on it, when not the signed-in user (kept as "
                                        "'<user> for <who>')")


class Resolve(Acknowledge):
    note: str | None = Field(default=None, max_length=4000)


Operator = Annotated[Principal, requires(Permission.INCIDENTS)]


@router.get("", summary="Incidents, newest first", dependencies=[requires(Permission.READ)])
def list_incidents(
    conn: ConnectionDep,
    status: Annotated[str | None, Query(description="open, acknowledged or resolved")] = None,
    asset: Annotated[str | None, Query(description="only those involving this asset")] = None,
) -> dict[str, Any]:
    found = twin_live.list_incidents(conn, status=status, asset_id=asset)
    return {"incidents": [incident.to_json() for incident in found]}


@router.post("", summary="Raise an incident by hand (operators), audited",
             status_code=201)
def raise_incident(body: Raise, engine: EngineDep, principal: Operator) -> dict[str, Any]:
    with engine.begin() as conn:
        return raise_by_hand(conn, body.kind, body.asset_ids, actor=principal.name,
                             title=body.title, note=body.note, position=body.position,
                             failed=body.failed).to_json()


AUDITED = ("status", "acknowledged_by", "resolved_by", "notes")


def _by(principal: Principal, who: str | None) -> str:
    """The signed-in user, and whom they act for when they say so."""
    if who is None or not who.strip() or who.strip() == principal.name:
        return principal.name
    return f"{principal.name} for {who.strip()}"


def _move(engine: EngineDep, principal: Principal, incident_id: int,
          action: Callable[..., Incident], **kwargs: Any) -> dict[str, Any]:
    """``action`` on the incident in one transaction, audited; NotFound when there is no such
    incident."""
    with engine.begin() as conn:
        try:
            before = twin_live.get_incident(conn, incident_id).to_json()
        except InvalidInput:
            raise NotFound(f"no incident {incident_id}") from None
        after = action(conn, incident_id, **kwargs).to_json()
        record(conn, actor=principal.name, action=f"incident.{action.__name__.split('_')[0]}",
               table="incidents", target=str(incident_id),
               before={k: before[k] for k in AUDITED}, after={k: after[k] for k in AUDITED})
        return after


@router.post("/{incident_id}/acknowledge", summary="Someone is on it (open incidents only)")
def acknowledge(incident_id: int, body: Acknowledge, engine: EngineDep, principal: Operator
                ) -> dict[str, Any]:
    return _move(engine, principal, incident_id, twin_live.acknowledge_incident,
                 who=_by(principal, body.who))


@router.post("/{incident_id}/resolve", summary="Close an open or acknowledged incident")
def resolve(incident_id: int, body: Resolve, engine: EngineDep, principal: Operator
            ) -> dict[str, Any]:
    return _move(engine, principal, incident_id, twin_live.resolve_incident,
                 who=_by(principal, body.who), note=body.note)
