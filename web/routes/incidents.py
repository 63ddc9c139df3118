"""Incidents for the operations centre: list, acknowledge, resolve (``twin.live``); each change is
audited with the incident's status before and after.

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
from web.auth import Permission, requires
from web.collections import NotFound
from web.deps import ConnectionDep, EngineDep

router = APIRouter(prefix="/api/incidents", tags=["Incidents"])


class Acknowledge(BaseModel):
    who: str | None = Field(default=None, min_length=1, max_length=200,
                            description="who is on it, when not the signed-in user (kept as "
                                        "'<user> for <who>')")


class Resolve(Acknowledge):
    note: str | None = Field(default=None, max_length=4000)


@router.get("", summary="Incidents, newest first", dependencies=[requires(Permission.READ)])
def list_incidents(
    conn: ConnectionDep,
    status: Annotated[str | None, Query(description="open, acknowledged or resolved")] = None,
    asset: Annotated[str | None, Query(description="only those involving this asset")] = None,
) -> dict[str, Any]:
    found = twin_live.list_incidents(conn, status=status, asset_id=asset)
    return {"incidents": [incident.to_json() for incident in found]}


AUDITED = ("status", "acknowledged_by", "resolved_by", "notes")
Operator = Annotated[Principal, requires(Permission.INCIDENTS)]


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
